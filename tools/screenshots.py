"""Screenshots of every demo page at 1280×720 for assets/ (the home page's pictures and the README).

    .venv/bin/python tools/screenshots.py [PAGE ...]   (only these pages, e.g. clusters; deck steps: decks)

Runs the app WITHOUT a data directory, so the pages show generated images, never images of a data set
(they may not be committed). Each page opens on its default; the inpainting page is run once, the VAE
page shows its bound tab; then three steps of the shipped lecture deck. Needs chromium (/usr/bin/chromium)
and the dev requirements (playwright).
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script from the repository root
from benchmarks.common import CHROMIUM_ARGS, streamlit_server  # noqa: E402

# page url path -> what to do before the shot: ("button" | "tab", name), ("scroll" | "wait", CSS selector), or None
SHOTS = {"home": None, "inpainting": ("button", "Run"), "mnar": None, "mnar_images": None,
         "latent": ("scroll", ".ls"), "critics": None, "vae": ("tab", "Bound against K"), "gan": ("button", "Play"),
         "flow2d": ("wait", ".fp[data-trained]:not([data-trained=''])"), "clusters": None,
         "results": None, "decks": None, "about": None}
DECK_STEPS = (2, 10, 18)  # three steps of the shipped lecture deck (assets/decks/lecture.json), presented


def _wait(page, timeout: float = 180_000) -> None:
    page.wait_for_timeout(300)
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(timeout=timeout)
    page.wait_for_function(
        "() => document.querySelectorAll('[data-testid=\"stStatusWidget\"]').length === 0", timeout=timeout)
    page.wait_for_timeout(1500)  # images and plotly charts finish drawing


def _shoot(page, name: str) -> None:
    """assets/<name>.png of what the page shows now; stops on a page that shows an exception."""
    if page.get_by_test_id("stException").count():
        raise SystemExit(f"{name}: the page shows an exception")
    out = ROOT / "assets" / f"{name}.png"
    page.screenshot(path=str(out))
    print(f"wrote {out.relative_to(ROOT)} ({out.stat().st_size // 1024} KB)")


def main(only: list[str]) -> int:
    unknown = sorted(set(only) - set(SHOTS))
    if unknown:
        print(f"No such page: {', '.join(unknown)}; the pages are {', '.join(SHOTS)}.", file=sys.stderr)
        return 2
    env = {k: v for k, v in os.environ.items() if k != "DGM_DATA_DIR"}
    with streamlit_server(env) as (url, _), sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        for path, action in SHOTS.items():
            if only and path not in only:
                continue
            page.goto(f"{url}/{'' if path == 'home' else path}")
            _wait(page)
            if action is not None:
                kind, name = action
                if kind == "scroll":  # the part worth showing sits below the first screen
                    page.locator(name).first.scroll_into_view_if_needed()
                    page.wait_for_timeout(500)
                elif kind == "wait":  # the browser's own work done (the flow trained; its film then plays on)
                    page.locator(name).first.wait_for(timeout=180_000)
                    page.wait_for_timeout(1200)
                else:
                    page.get_by_role(kind, name=name).first.click()
                    _wait(page)
            _shoot(page, path)
        for k in DECK_STEPS if not only or "decks" in only else ():
            page.goto(f"{url}/?deck=lecture&step={k}&present=1")
            _wait(page)
            _shoot(page, f"deck-step-{k:02d}")
        browser.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
