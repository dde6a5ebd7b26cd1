"""The 2-D flow page in chromium against a fresh server: a drawing trained in the visitor's browser
(static/js/workers/flow_train.worker.js, TensorFlow.js in a Web Worker) and the film it plays.

    python -m dgm_core bench flow2d_browser [--trials 3]

- Draw -> trained and playing: from the end of a mouse stroke on the picture (the page's default, 800 steps) to the
  first film of the flow learned so far (the worker's first report, ``data-step``) and to the end of its training
  (``data-trained``; it plays throughout). Unthrottled, and throttled 4x: the page's main thread by CDP's
  Emulation.setCPUThrottlingRate and chromium's processes held to a quarter of one core (a cgroup quota,
  ``benchmarks.browser_train.WorkerThrottle``), harsher than a laptop 4 times slower; and the main thread alone
  4x slower (CDP), the worker and chromium's other processes at full speed on their own cores.
- Frames a second: the picture's repaints (the panel's ``painted`` count) over 3 s of Play, and over 3 s of
  dragging the time slider back and forth with the mouse; the longest main-thread task meanwhile
  (PerformanceObserver 'longtask').

Writes benchmarks/results/flow2d_browser.{json,md}. Needs no data directory.
"""
from __future__ import annotations

import argparse
import os
import statistics
import time

from benchmarks.harness import bench
from benchmarks.browser_train import LONGTASKS, WorkerThrottle
from benchmarks.common import CHROMIUM_ARGS, machine_line, streamlit_server

BAR_DRAW_S, GOAL_DRAW_S = 10.0, 3.0  # draw -> trained and playing
BAR_FPS, GOAL_FPS = 30, 60  # frames a second while playing or scrubbing
WINDOW_S = 3.0
PANEL = ".fp"


def _idle(page) -> None:
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(timeout=120_000)


def stroke(page, points: list[tuple[float, float]]) -> None:
    """A press and drag on the flow page's picture through ``points`` (fractions of its width and height)."""
    box = page.locator(f"{PANEL} canvas").bounding_box()
    xy = [(box["x"] + box["width"] * u, box["y"] + box["height"] * v) for u, v in points]
    page.mouse.move(*xy[0])
    page.mouse.down()
    for x, y in xy[1:]:
        page.mouse.move(x, y, steps=8)
    page.mouse.up()


def _draw(page, shift: float) -> dict:
    """Clear, draw three sides of a square (shifted by ``shift``), and time the training from the stroke's end."""
    clear = page.get_by_role("button", name="Clear drawing", exact=True)
    root = page.locator(PANEL).element_handle()  # in the component's shadow root: a handle, not a selector
    if clear.is_enabled():
        clear.click()
        page.wait_for_function("el => el.dataset.trained === ''", arg=root)
        _idle(page)
    root.evaluate("el => { el.dataset.step = ''; }")
    stroke(page, [(0.3 + shift, 0.3), (0.7 + shift, 0.3), (0.7 + shift, 0.7), (0.3 + shift, 0.7)])  # a new one
    t0 = time.perf_counter()
    page.wait_for_function("el => +el.dataset.step > 0", arg=root, timeout=300_000)
    first = time.perf_counter() - t0
    page.wait_for_function("el => el.dataset.trained", arg=root, timeout=300_000)
    done = time.perf_counter() - t0
    return {"first_film_s": round(first, 2), "trained_s": round(done, 2),
            "worker_s": float(page.locator(PANEL).get_attribute("data-seconds"))}


def _painted(page) -> int:
    return int(page.locator(PANEL).evaluate("el => el.painted || 0"))


def _fps(page) -> dict:
    """Repaints a second while playing, then while the slider is dragged; the longest task meanwhile (ms)."""
    play = page.get_by_role("button", name="Play", exact=True)
    if play.count():
        play.click()
    page.evaluate(LONGTASKS)
    n0, t0 = _painted(page), time.perf_counter()
    page.wait_for_timeout(WINDOW_S * 1000)
    playing = (_painted(page) - n0) / (time.perf_counter() - t0)
    page.get_by_role("button", name="Pause", exact=True).click()
    box = page.locator(f"{PANEL} input.time").bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + 4, y)
    page.mouse.down()
    n0, t0 = _painted(page), time.perf_counter()
    right = True
    while time.perf_counter() - t0 < WINDOW_S:
        page.mouse.move(box["x"] + (box["width"] - 4 if right else 4), y, steps=40)
        right = not right
    page.mouse.up()
    scrubbing = (_painted(page) - n0) / (time.perf_counter() - t0)
    longest = max(page.evaluate("() => window.__long"), default=0)
    return {"playing_fps": round(playing, 1), "scrubbing_fps": round(scrubbing, 1), "longest_task_ms": round(longest)}


def measure(trials: int) -> dict:
    from playwright.sync_api import sync_playwright

    env = {k: v for k, v in os.environ.items() if k != "DGM_DATA_DIR"}
    rec: dict = {"runs": []}
    with streamlit_server(env) as (url, _), sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = b.new_context(viewport={"width": 1280, "height": 720}).new_page()
        page.goto(f"{url}/flow2d?flow_data=drawn")
        page.locator(f"{PANEL}[data-backend]").wait_for(timeout=180_000)
        _idle(page)
        rec["backend"] = page.locator(PANEL).get_attribute("data-backend")
        knob = WorkerThrottle(page)
        for rate, quota in ((1, True), (4, True), (4, False)):  # last: the main thread only, as on a slow laptop
            slowed = knob.rate(rate) if quota else knob.rate(1) * 0
            if not quota:
                knob.page_cdp.send("Emulation.setCPUThrottlingRate", {"rate": rate})
            draws = [_draw(page, 0.05 * (k % 3)) for k in range(trials)]
            rec["runs"].append({"throttle": rate, "quota": quota, "workers_slowed": slowed, "draws": draws,
                                **_fps(page)})
        knob.rate(1)
        rec["worker_throttle_errors"] = knob.errors[:3]
        b.close()
    return rec


def summary(rec: dict) -> dict:
    out = {}
    for r in rec["runs"]:
        med = {k: statistics.median(d[k] for d in r["draws"]) for k in ("first_film_s", "trained_s", "worker_s")}
        key = f"x{r['throttle']}" + ("" if r.get("quota", True) else "_main")
        out[key] = {**med, "playing_fps": r["playing_fps"], "scrubbing_fps": r["scrubbing_fps"],
                    "longest_task_ms": r["longest_task_ms"]}
    return out


def report(rec: dict) -> str:
    s = rec["summary"]
    lines = ["# The 2-D flow page in chromium: a drawing trained in the browser, and its film", "",
             f"`{rec['command']}`. Backend: {rec['backend']}. Each figure the median of {rec['trials']} drawings; "
             "the page's default, 800 steps.", "",
             "| chromium | stroke's end -> first film (s) | -> trained (s) | the worker's own (s) | playing (frames/s) "
             "| scrubbing (frames/s) | longest main-thread task (ms) |", "|---|---|---|---|---|---|---|"]
    for key, label in (("x1", "unthrottled"), ("x4", "throttled 4x (main thread by CDP, processes by a quota)"),
                       ("x4_main", "main thread 4x slower only (CDP)")):
        r = s[key]
        lines.append(f"| {label} | {r['first_film_s']:g} | {r['trained_s']:g} | {r['worker_s']:g} | "
                     f"{r['playing_fps']:g} | {r['scrubbing_fps']:g} | {r['longest_task_ms']:g} |")
    b = rec["bars"]
    lines += ["", f"Bars: draw -> trained and playing at most {b['draw_s'][0]:g} s (goal {b['draw_s'][1]:g}), "
              f"throttled; at least {b['fps'][0]} frames a second (goal {b['fps'][1]}). The film plays from the "
              "first report on, while the rest trains.", "", machine_line(rec["machine"])]
    return "\n".join(lines) + "\n"


def options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--trials", type=int, default=3, help="drawings timed at each throttle")


def run(a: argparse.Namespace) -> dict:
    rec = measure(a.trials)
    rec.update({"trials": a.trials, "summary": summary(rec), "bars": {"draw_s": [BAR_DRAW_S, GOAL_DRAW_S],
                                                                      "fps": [BAR_FPS, GOAL_FPS]}})
    return rec


BENCH = bench(run, report, options=options)


if __name__ == "__main__":
    raise SystemExit(BENCH.main())
