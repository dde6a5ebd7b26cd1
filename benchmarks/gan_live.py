"""How fast the GAN training page animates, server side and in a real browser.

    python -m dgm_core bench gan_live [--seconds 15] [--repeats 20]

Server side (one torch thread, the app's setting; medians of ``repeats``): one frame's training (a generator
step of each objective, with its critic steps, at the page's default) and one frame's figures (both fields and
the curves). In chromium at 1280x720 against a fresh server: Play on the page's default, then the generator
frames and generator steps shown per second over ``seconds`` (read from the field's title, "step N"; a frame
shows ``STEPS_PER_FRAME`` more steps). The issue's bar is 10 frames per second, its goal 30.

Writes benchmarks/results/gan_live.{json,md}. Needs no data directory.
"""
from __future__ import annotations

import argparse
import os
import re
import time
from pathlib import Path

import torch

from benchmarks.common import CHROMIUM_ARGS, machine, machine_line, median_ms, streamlit_server, write_results

RESULTS = Path(__file__).resolve().parent / "results"
BAR, GOAL = 10, 30  # frames per second


def server_side(repeats: int) -> dict:
    from dgm_core.demos import gan as demo
    from ui import gan_view as v
    from ui.links import gan

    spec = gan()
    race = demo.Race(spec["toy"].default, spec["lr"].default, spec["k"].default)
    race.advance()  # imports and first allocations out of the timings
    return {"setting": {k: p.default for k, p in spec.items()},
            "train_ms": median_ms(lambda: race.advance(demo.STEPS_PER_FRAME), repeats),
            "figures_ms": median_ms(lambda: [v.field_figure(race, k) for k in race.gans] + [v.history_figure(race)],
                                    repeats)}


def in_browser(seconds: float) -> dict:
    from playwright.sync_api import sync_playwright

    def shown(page) -> int:
        title = page.locator(".js-plotly-plot .gtitle").first.text_content() or ""
        m = re.search(r"step (\d+)", title)
        return int(m.group(1)) if m else -1

    env = {k: v for k, v in os.environ.items() if k != "DGM_DATA_DIR"}
    with streamlit_server(env) as (url, _), sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = b.new_page(viewport={"width": 1280, "height": 720})
        page.goto(url)
        page.locator("h1").first.wait_for(timeout=180_000)
        t0 = time.perf_counter()
        page.goto(f"{url}/gan")
        page.locator(".js-plotly-plot .gtitle").first.wait_for(timeout=180_000)
        first_view_s = time.perf_counter() - t0
        page.get_by_role("button", name="Play").click()
        page.wait_for_function("() => /step [1-9]/.test(document.querySelector('.js-plotly-plot .gtitle')"
                               ".textContent)", timeout=120_000)
        s0, t0 = shown(page), time.perf_counter()
        time.sleep(seconds)
        s1, t1 = shown(page), time.perf_counter()
        b.close()
    from dgm_core.demos.gan import STEPS_PER_FRAME
    return {"first_view_s": round(first_view_s, 2), "seconds": round(t1 - t0, 2), "steps": s1 - s0,
            "steps_per_frame": STEPS_PER_FRAME, "steps_per_s": round((s1 - s0) / (t1 - t0), 2),
            "frames_per_s": round((s1 - s0) / STEPS_PER_FRAME / (t1 - t0), 2)}


def report(rec: dict) -> str:
    s, b = rec["server"], rec["browser"]
    return "\n".join([
        "# GAN training page: frames per second",
        "",
        f"Default setting {s['setting']}; one torch thread. Server side, medians of {rec['repeats']}: a frame's "
        f"training {s['train_ms']} ms, its figures {s['figures_ms']} ms.",
        "",
        f"Chromium at 1280x720, a fresh server (its warm-up of the other pages running), Play: **{b['frames_per_s']} "
        f"frames per second**, {b['steps_per_s']} generator steps per second ({b['steps_per_frame']} a frame) over "
        f"{b['seconds']} s; bar {BAR}, goal {GOAL}. The page's first view took {b['first_view_s']} s.",
        "",
        "Each frame is a Streamlit fragment rerun that trains both generators a few steps and sends three plotly "
        "figures, which the browser redraws; the time between frames is that round trip, not the training alone.",
        "",
        machine_line(rec["machine"]),
    ])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m dgm_core bench gan_live")
    p.add_argument("--seconds", type=float, default=15.0)
    p.add_argument("--repeats", type=int, default=20)
    p.add_argument("--out", default=str(RESULTS))
    a = p.parse_args(argv)
    load = os.getloadavg()
    torch.set_num_threads(1)
    rec = {"repeats": a.repeats, "server": server_side(a.repeats), "browser": in_browser(a.seconds),
           "bar_frames_per_s": BAR, "goal_frames_per_s": GOAL, "command": "python -m dgm_core bench gan_live"}
    rec["machine"] = machine(load)
    write_results(a.out, "gan_live", rec, report(rec))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
