"""Presenting the shipped lecture deck in chromium at 1280x720, from the first step to the last with the →
key and one step back with ←: no step raises, none is empty, each opens its page on its own link."""
from __future__ import annotations

from urllib.parse import parse_qsl, urlparse

from playwright.sync_api import expect

from ui import deck
from ui.pages import PAGES

from .conftest import ROOT, wait_for_app

PAGE_FILES = {p.url_path: p.file for p in PAGES}


def _place(page):
    return page.locator('[data-testid="stCaptionContainer"]', has_text=" · step ").first


def _press(page, key: str, k: int, n: int) -> None:
    """Press ``key`` on the page (not on a widget) and wait until step ``k`` is drawn."""
    page.mouse.click(5, 700)
    page.keyboard.press(key)
    expect(_place(page)).to_contain_text(f"step {k} of {n}", timeout=180_000)
    wait_for_app(page, timeout=180_000)


def test_the_shipped_deck_presents_from_first_to_last_with_the_keyboard(page, app_url):
    lecture = deck.shipped(PAGE_FILES)["lecture"]
    n = len(lecture.steps)
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(f"{app_url}/?deck=lecture&step=1")
    wait_for_app(page, timeout=180_000)
    shots = ROOT / ".screens"
    shots.mkdir(exist_ok=True)
    for k, step in enumerate(lecture.steps, 1):
        assert not page.get_by_test_id("stException").count(), f"step {k}: an exception"
        expect(_place(page)).to_contain_text(f"step {k} of {n}")
        note = page.locator(".st-key-deck_note").inner_text().strip()
        assert note and note[:30] in step.note.replace("**", ""), f"step {k}: the note shown is {note[:60]!r}"
        assert page.locator("h1").first.inner_text().strip(), f"step {k}: an empty page"
        url = urlparse(page.url)
        assert url.path.strip("/") in ("", step.page) if step.page == PAGES[0].url_path else \
            url.path.strip("/") == step.page, f"step {k} opened {url.path}"
        params = dict(parse_qsl(url.query))
        assert all(params.get(key) == value for key, value in parse_qsl(step.link)), f"step {k}: {url.query}"
        if k in (1, n // 2, n):
            page.screenshot(path=str(shots / f"deck-step-{k:02d}.png"))
        if k < n:
            _press(page, "ArrowRight", k + 1, n)
    _press(page, "ArrowLeft", n - 1, n)
