"""How fast the latent explorer answers, server side and in a real browser.

    python -m dgm_core bench latent_speed [--repeats 7] [--releases 8]

Server side (one torch thread, the app's setting; medians of ``repeats``), for every installed generator
of the page: one image, an 11-frame strip, the whole perturbation grid (5 directions x 10 eps), the slider
panel's work on a release (the image and 5 strips of 21 frames), the interpolation (3 paths x 11 frames,
critic scores). Targets: 10, 30 and 150 ms for the first three.

In chromium at 1280x720 against a live server (the page's default model): the time from releasing a slider
to the server's redrawn panel arriving in the browser (median of ``releases`` releases; target 150 ms), and,
while a slider is dragged across its whole range, how many pictures per second the panel shows (goal 15),
and how long each swap takes until its picture is decoded: the panel swaps to frames the server rendered in
advance. The page is measured from outside, with the browser's own events: a MutationObserver stamps each
change of the big picture (``performance.now()``, then ``img.decode()``), and a release is answered when the
server's render replaces the sliders.

Writes benchmarks/results/latent_speed.{json,md}. Needs no data directory (the generators are shipped).
"""
from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

import torch

from benchmarks.common import CHROMIUM_ARGS, machine, median_ms, streamlit_server, write_results
from dgm_core import pretrained
from dgm_core.demos import latent as demo
from dgm_core.device import set_threads

RESULTS = Path(__file__).resolve().parent / "results"
# Injected by the measurement (never part of the page): stamps every swap of the big picture and the time
# until the swapped picture is decoded; called with the picture's element (the panel lives in a shadow root,
# which document.querySelector does not enter), read back with ``page.evaluate(READ_SWAPS)``.
WATCH_SWAPS = """img => {
  const swaps = [], decode = [];
  new MutationObserver(() => {
    const t0 = performance.now();
    swaps.push(t0);
    img.decode().then(() => decode.push(performance.now() - t0)).catch(() => {});
  }).observe(img, {attributes: true, attributeFilter: ['src']});
  document.latentSwaps = {swaps, decode};
}"""
READ_SWAPS = "() => [document.latentSwaps.swaps, document.latentSwaps.decode]"
# a release is answered when the server's render replaces the slider the mouse let go of
REDRAWN = "old => !old.isConnected"
TARGETS_MS = {"one_image": 10, "strip_11": 30, "grid": 150}


def server(name: str, repeats: int) -> dict:
    model, _ = pretrained.load(name)
    t0 = time.perf_counter()
    ex = demo.build(name, model)
    build_ms = round(1000 * (time.perf_counter() - t0), 1)
    dirs = ex.directions("pca", list(range(5)))
    z = demo.base_latent(ex, 0)
    try:
        critic, _ = pretrained.load(demo.CRITIC_OF[demo.MODELS[name][0]])
    except pretrained.PretrainedError:
        critic = None
    strip = demo.lt.strip_latents(z, dirs.vectors[0], torch.linspace(-5, 5, 11))
    return {"directions_once_ms": build_ms,
            "one_image": median_ms(lambda: ex.render(z[None]), repeats),
            "strip_11": median_ms(lambda: ex.render(strip), repeats),
            "grid": median_ms(lambda: demo.perturbation_grid(ex, 0, dirs), repeats),
            "slider_release": median_ms(lambda: demo.slider_view(ex, 0, dirs, [1.0, 0, 0, 0, 0]), repeats),
            "interpolation": median_ms(lambda: demo.interpolation(ex, 0, 1, critic), repeats)}


def browser(releases: int) -> dict:
    from playwright.sync_api import sync_playwright

    from benchmarks.app_memory import wait

    with streamlit_server(dict(os.environ)) as (url, _), sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = b.new_page(viewport={"width": 1280, "height": 720})
        page.goto(f"{url}/latent")
        wait(page)
        slider = page.locator('.ls input[type="range"]').first
        slider.wait_for(timeout=120_000)
        slider.scroll_into_view_if_needed()
        box = slider.bounding_box()
        y = box["y"] + box["height"] / 2
        latencies = []
        for i in range(releases):  # release a little further each time: every release is a new value
            old = page.query_selector('.ls input[type="range"]')
            page.mouse.move(box["x"] + box["width"] * 0.5, y)
            page.mouse.down()
            page.mouse.move(box["x"] + box["width"] * (0.55 + 0.05 * (i % 8)), y, steps=4)
            t0 = page.evaluate("performance.now()")
            page.mouse.up()
            page.wait_for_function(REDRAWN, arg=old, timeout=60_000)
            latencies.append(page.evaluate("performance.now()") - t0)
            wait(page)
        page.locator(".ls img.main").evaluate(WATCH_SWAPS)
        page.mouse.move(box["x"] + 2, y)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] - 2, y, steps=40)  # the whole range, 21 positions
        page.wait_for_timeout(300)
        frames, decode = page.evaluate(READ_SWAPS)
        page.mouse.up()
        wait(page)
        b.close()
    gaps = [b - a for a, b in zip(frames, frames[1:])]
    return {"release_to_redraw_ms": [round(v, 1) for v in latencies],
            "release_to_redraw_median_ms": round(statistics.median(latencies), 1),
            "drag_frames": len(frames), "drag_seconds": round((frames[-1] - frames[0]) / 1000, 3),
            "drag_frames_per_second": round((len(frames) - 1) / max(1e-3, (frames[-1] - frames[0]) / 1000), 1),
            "drag_longest_gap_ms": round(max(gaps), 1) if gaps else None,
            "swap_to_decoded_ms_median": round(statistics.median(decode), 2) if decode else None,
            "swap_to_decoded_ms_max": round(max(decode), 2) if decode else None}


def report(rec: dict) -> str:
    lines = ["# Latent explorer speed", "", "Server side, one thread, median ms (targets: one image 10, 11-frame strip "
             "30, grid 150):", "", "| model | one image | strip of 11 | grid 5x10 | slider release | interpolation |"
             " directions (once) |", "|---|---|---|---|---|---|---|"]
    for name, r in rec["server"].items():
        lines.append(f"| {name} | {r['one_image']} | {r['strip_11']} | {r['grid']} | {r['slider_release']} | "
                     f"{r['interpolation']} | {r['directions_once_ms']} |")
    br = rec["browser"]
    lines += ["", f"Chromium, 1280x720: slider release to the server's redraw, median {br['release_to_redraw_median_ms']}"
              f" ms over {len(br['release_to_redraw_ms'])} releases (target 150); while dragging across the range "
              f"{br['drag_frames']} frames in {br['drag_seconds']} s = {br['drag_frames_per_second']} per second "
              f"(goal 15), longest gap {br['drag_longest_gap_ms']} ms; from a swap to its picture decoded: median "
              f"{br['swap_to_decoded_ms_median']} ms, at most {br['swap_to_decoded_ms_max']} ms. The drag's rate is set by "
              "how fast the mouse crosses the 21 positions; the decode time bounds how fast the panel could follow."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m dgm_core bench latent_speed")
    p.add_argument("--repeats", type=int, default=7)
    p.add_argument("--releases", type=int, default=8)
    p.add_argument("--out", default=str(RESULTS))
    a = p.parse_args(argv)
    load = os.getloadavg()
    set_threads(1)
    have = {c.name for c in pretrained.list_cards()}
    rec = {"server": {m: server(m, a.repeats) for m in demo.MODELS if m in have},
           "browser": browser(a.releases), "targets_ms": TARGETS_MS, "threads": 1, "repeats": a.repeats,
           "releases": a.releases, "viewport": [1280, 720], "grid": [5, len(demo.lt.EPSILONS)],
           "slider_positions": len(demo.SLIDER_EPS), "frames_sent_per_release": 5 * len(demo.SLIDER_EPS),
           "command": "python -m dgm_core bench latent_speed", "machine": machine(load)}
    write_results(a.out, "latent_speed", rec, report(rec))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
