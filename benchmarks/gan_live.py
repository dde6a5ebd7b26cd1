"""How fast the GAN training page animates, server side and in a real browser.

    python -m dgm_core bench gan_live [--seconds 15] [--settle 60] [--repeats 20] [--screenshot FILE]

Server side (one torch thread, the app's setting; medians of ``repeats``): one generator step of each objective,
with its critic steps and its picture (the page's player trains them one after another in a thread of its own),
and what a server run sends the browser for ``STEPS`` such steps (the component's data as JSON: milliseconds to
build, bytes). In chromium at 1280x720 against a
fresh server: Play on the page's default at once (the server's warm-up running) and again ``settle`` seconds later,
each time the frames drawn per second over ``seconds`` (each frame one generator step of both objectives; counted
from outside, by watching the panel's ``data-step``) and the steps the server trained meanwhile. The issue's bar is
10 frames per second, its goal 30.

Writes benchmarks/results/gan_live.{json,md}. Needs no data directory.
"""
from __future__ import annotations

import argparse
import json
import os
import time

from benchmarks.harness import bench
import torch

from dgm_core.demos.gan import RUN_SECONDS
from benchmarks.common import CHROMIUM_ARGS, machine_line, median_ms, streamlit_server

BAR, GOAL = 10, 30  # frames per second
STEPS = 10  # the steps of one server run, for its data's size
# stamps every step the panel draws (its root's data-step changes), with the browser's clock
WATCH = """root => {
  const seen = document.ganDraws = [];
  new MutationObserver(() => seen.push([performance.now(), Number(root.dataset.step)]))
    .observe(root, {attributes: true, attributeFilter: ['data-step']});
}"""


def server_side(repeats: int) -> dict:
    from dgm_core.demos import gan as demo

    spec = demo.CONTROLS
    race = demo.Race(spec["toy"].default, spec["lr"].default, spec["k"].default)
    race.advance()  # imports and first allocations out of the timings
    shots: list[demo.Snapshot] = []

    def wire() -> str:
        return json.dumps({"frames": [s.wire() for s in shots], "now": race.snapshot().wire()})

    step = median_ms(lambda: (shots.clear(), race.advance(1, shots)), repeats)
    shots.clear()
    race.advance(STEPS, shots)
    return {"setting": {k: p.default for k, p in spec.items()}, "step_ms": step, "run_steps": STEPS,
            "run_wire_ms": median_ms(wire, repeats), "run_wire_bytes": len(wire())}


def _rates(draws: list) -> dict:
    span = (draws[-1][0] - draws[0][0]) / 1000
    gaps = sorted(b[0] - a[0] for a, b in zip(draws, draws[1:]))
    return {"seconds": round(span, 2), "frames": len(draws), "steps": draws[-1][1] - draws[0][1],
            "frames_per_s": round((len(draws) - 1) / span, 2),
            "steps_per_s": round((draws[-1][1] - draws[0][1]) / span, 2),
            "median_gap_ms": round(gaps[len(gaps) // 2], 1), "longest_gap_ms": round(gaps[-1], 1)}


def in_browser(seconds: float, settle: float, screenshot: str | None) -> dict:
    """Play on a fresh server at once, then, after ``settle`` more seconds, Reset and Play again (a server in use).
    A Play is PLAY_STEPS steps: the frames are counted until it ends or ``seconds`` have passed."""
    from playwright.sync_api import sync_playwright

    env = {k: v for k, v in os.environ.items() if k != "DGM_DATA_DIR"}
    with streamlit_server(env) as (url, _), sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = b.new_page(viewport={"width": 1280, "height": 720})
        page.goto(url)
        page.locator("h1").first.wait_for(timeout=180_000)
        t0 = time.perf_counter()
        page.goto(f"{url}/gan")
        page.locator(".gp .title").first.wait_for(timeout=180_000)
        first_view_s = time.perf_counter() - t0
        out = {"first_view_s": round(first_view_s, 2), "settle_s": settle}
        for name in ("fresh", "settled"):
            if name == "settled":
                pause = page.get_by_role("button", name="Pause")
                if pause.count():  # still playing (a Play is PLAY_STEPS steps: a fast server ends it sooner)
                    pause.click()
                time.sleep(settle)
                page.get_by_role("button", name="Reset").click()
                page.locator(".gp .title").filter(has_text="step 0").first.wait_for(timeout=60_000)
            page.locator(".gp").first.evaluate(WATCH)
            page.get_by_role("button", name="Play").click()
            page.wait_for_function("() => document.ganDraws.length > 0", timeout=120_000)
            time.sleep(seconds)
            out[name] = _rates(page.evaluate("() => document.ganDraws.slice()"))
        if screenshot:
            page.screenshot(path=screenshot)
        b.close()
    return out


def report(rec: dict) -> str:
    s, b = rec["server"], rec["browser"]
    lines = [
        "# GAN training page: frames per second",
        "",
        f"Default setting {s['setting']}; one torch thread. Server side, medians of {rec['repeats']}: a generator step "
        f"of each objective with its critic steps and its picture takes {s['step_ms']} ms; a server run's data for "
        f"{s['run_steps']} steps takes {s['run_wire_ms']} ms to build, {s['run_wire_bytes'] / 1000:.0f} kB.",
        "",
        f"Chromium at 1280x720, Play on the page's default: **{b['settled']['frames_per_s']} frames per second** "
        f"(one generator step of both objectives each) on a server {b['settle_s']:g} s after the page opened, a frame "
        f"every {b['settled']['median_gap_ms']} ms (median; longest gap {b['settled']['longest_gap_ms']} ms); "
        f"{b['fresh']['frames_per_s']} on the fresh server at once (longest gap {b['fresh']['longest_gap_ms']} ms; "
        "a server computes the lesson's opening defaults before it opens, and the rest of its warm-up waits until "
        f"it is quiet). Over {b['settled']['seconds']} s each; bar {BAR}, "
        f"goal {GOAL}. The page's first view took {b['first_view_s']} s.",
        "",
        "The server trains in a thread of the session's own; a fragment run every "
        f"{rec['run_seconds']} s sends the pictures of the steps trained meanwhile, and the browser draws them one a "
        "frame (ui/gan_panel.js), spread over the time between two runs: the film runs at the training's own rate.",
    ]
    if rec.get("baseline"):
        o = rec["baseline"]
        lines += ["", f"Baseline ({o['date']}: a rerun and three plotly figures per frame): {o['frames_per_s']} frames "
                  f"per second, {o['steps_per_s']} steps per second."]
    return "\n".join(lines + ["", machine_line(rec["machine"])])


def options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--seconds", type=float, default=15.0)
    p.add_argument("--repeats", type=int, default=20)
    p.add_argument("--settle", type=float, default=60.0, help="seconds between the fresh and the settled Play")
    p.add_argument("--screenshot", default=None, help="a PNG of the page after the measured seconds of Play")


def run(a: argparse.Namespace) -> dict:
    torch.set_num_threads(1)
    old = a.previous
    baseline = old.get("baseline") or ({**old["browser"], "date": old["machine"]["date"]}
                                       if "steps_per_frame" in old.get("browser", {}) else None)
    return {"repeats": a.repeats, "server": server_side(a.repeats),
            "browser": in_browser(a.seconds, a.settle, a.screenshot),
            "bar_frames_per_s": BAR, "goal_frames_per_s": GOAL, "baseline": baseline,
            "run_seconds": RUN_SECONDS}


BENCH = bench(run, report, options=options)


if __name__ == "__main__":
    raise SystemExit(BENCH.main())
