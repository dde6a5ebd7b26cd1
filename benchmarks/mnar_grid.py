"""How fast the MNAR lab answers a control, in a real browser: the precomputed grid against live training.

    python -m dgm_core bench mnar_grid [--moves 8] [--baselines 2]

Chromium at 1280x720 against a fresh server with no data directory (the page as a fresh clone serves it). The page
opens on its opening case; then each move changes one control as a student does (the threshold offset slider by
one step with the keyboard, or another mechanism in the select box), and the time runs from that key press or click
to the new grid point's imputations shown: the page's sentence names the new point, the script run has ended and
no element is stale any more (the browser's clock; plotly draws within the run's last frame). Baseline, today's
path for any setting off the opening case: pick the 'tiny' budget and press Train, timed from the click to the
trained results shown, at ``baselines`` settings never trained on this server; and once "Train at exactly this
setting" (the grid's own budget). The issue's bar is 1 s from a control to the new imputations, its goal 0.3 s.

Writes benchmarks/results/mnar_grid.{json,md}. Needs no data directory; the grid is pretrained/mnar-grid*.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

from benchmarks.harness import bench
from benchmarks.common import CHROMIUM_ARGS, machine_line, streamlit_server

ROOT = Path(__file__).resolve().parents[1]
BAR_S, GOAL_S = 1.0, 0.3
# the page has answered: the sentence names the point, the run ended, nothing stale is left on the screen
SHOWN = """text => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  if (document.querySelector('[data-stale="true"]')) return false;
  return [...document.querySelectorAll('[data-testid="stMarkdownContainer"]')].some(e => e.innerText.includes(text));
}"""
IDLE = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  return app && app.getAttribute('data-test-script-state') === 'notRunning'
    && !document.querySelector('[data-stale="true"]')
    && !document.querySelector('[data-testid="stStatusWidget"]');
}"""


def _idle(page, timeout: float = 180_000) -> None:
    page.wait_for_timeout(200)
    page.wait_for_function(IDLE, timeout=timeout)


def _expected(mechanism: str, value: float) -> str:
    from dgm_core.demos.mnar_grid import AXES

    return f"Precomputed at {AXES[mechanism].name} = {value:g}"


FRAMES: list[tuple[str, float]] = []  # the page's websocket frames: ("sent" | "received", perf_counter)


def _watch(page) -> None:
    def on_socket(ws) -> None:
        ws.on("framesent", lambda _: FRAMES.append(("sent", time.perf_counter())))
        ws.on("framereceived", lambda _: FRAMES.append(("received", time.perf_counter())))

    page.on("websocket", on_socket)


def _timed(page, act, text: str, timeout: float = 30_000) -> dict:
    """-> seconds from ``act()`` to ``text`` shown, and when (from the same start) the browser sent the rerun
    request and received the run's last message: the browser's input, the server's run, the drawing."""
    FRAMES.clear()
    t0 = time.perf_counter()
    act()
    page.wait_for_function(SHOWN, arg=text, timeout=timeout, polling="raf")
    t1 = time.perf_counter()
    sent = [t for kind, t in FRAMES if kind == "sent" and t <= t1]
    got = [t for kind, t in FRAMES if kind == "received" and t <= t1]
    return {"seconds": round(t1 - t0, 3), "request_sent_s": round(sent[0] - t0, 3) if sent else None,
            "last_message_s": round(got[-1] - t0, 3) if got else None}


def _offset_slider(page):
    return page.locator('[data-testid="stSlider"]').filter(has_text="threshold offset").get_by_role("slider")


def _select(page, label: str, option: str) -> None:
    box = page.locator('[data-testid="stSelectbox"]').filter(has_text=label).first
    box.click()
    page.get_by_role("option").filter(has_text=option).first.click()


def grid_moves(page, url: str, moves: int) -> list[dict]:
    """Offset steps up then down from the opening case (every slider step is a grid point), then mechanisms."""
    _watch(page)
    page.goto(f"{url}/mnar")
    page.get_by_text("Lowest RMSE").first.wait_for(timeout=180_000)
    _idle(page)
    page.wait_for_timeout(3000)  # the opening view drawn to its last chart, as a student reads it
    out = []
    offset = 0.0
    keys = ["ArrowRight"] * min(moves, 4) + ["ArrowLeft"] * max(moves - 4, 0)
    for key in keys:
        offset += 0.25 if key == "ArrowRight" else -0.25
        if abs(offset) < 1e-9:  # the opening case is the shipped run, not the grid: step past it
            offset += 0.25 if key == "ArrowRight" else -0.25
            _offset_slider(page).press(key)
            _idle(page)
        slider = _offset_slider(page)
        slider.focus()
        t = _timed(page, lambda k=key, slider=slider: slider.press(k), _expected("notmiwae_uci", offset))
        out.append({"control": f"offset slider, {key}", "to": f"offset {offset:g}", **t})
        _idle(page)
    from dgm_core.demos.mnar import MECHANISMS
    for mech, value in (("self_masked", 3.0), ("mcar", 0.3), ("quantile", 0.25)):
        t = _timed(page, lambda m=mech: _select(page, "Missingness mechanism", MECHANISMS[m]), _expected(mech, value))
        out.append({"control": "mechanism select box", "to": mech, **t})
        _idle(page)
    return out


def baselines(page, url: str, n: int) -> list[dict]:
    """Today's path off the opening case: the tiny budget, Train, until the trained results are shown."""
    out = []
    if n == 0:
        return out
    for offset in (0.5, 0.75, 0.25)[:n]:
        page.goto(f"{url}/mnar?mnar_offset={offset}&mnar_preset=tiny")
        page.get_by_role("button", name="Train MIWAE and not-MIWAE").wait_for(timeout=180_000)
        _idle(page)
        t0 = time.perf_counter()
        page.get_by_role("button", name="Train MIWAE and not-MIWAE").click()
        page.get_by_text("Trained with the 'tiny' preset").first.wait_for(timeout=600_000)
        page.wait_for_function(IDLE, timeout=600_000)
        out.append({"path": "train: tiny, Train", "setting": f"offset {offset:g}",
                    "seconds": round(time.perf_counter() - t0, 2)})
    page.goto(f"{url}/mnar?mnar_offset=-0.25")
    button = page.get_by_role("button", name="Train at exactly this setting")
    button.wait_for(timeout=180_000)
    _idle(page)
    t0 = time.perf_counter()
    button.click()
    page.get_by_text("Trained at exactly this setting").first.wait_for(timeout=600_000)
    page.wait_for_function(IDLE, timeout=600_000)
    out.append({"path": "Train at exactly this setting (the grid's budget)", "setting": "offset -0.25",
                "seconds": round(time.perf_counter() - t0, 2)})
    return out


def server_side(repeats: int) -> dict:
    """The page's script alone (Streamlit's AppTest, no browser): median seconds of a rerun that moves the offset
    slider between two grid points, after each was visited once."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "pages" / "mnar.py"), default_timeout=300)
    at.query_params["mnar_offset"] = "0.25"
    at.run()
    times = []
    for i in range(2 * repeats + 1):
        t0 = time.perf_counter()
        at.slider(key="mnar_offset").set_value(0.5 if i % 2 == 0 else 0.25).run()
        times.append(time.perf_counter() - t0)
        assert not at.exception and any("Precomputed at" in m.value for m in at.markdown)
    return {"rerun_median_s": round(statistics.median(times[1:]), 3), "first_visit_s": round(times[0], 3),
            "repeats": 2 * repeats}


def report(rec: dict) -> str:
    g, b, c = rec["grid"], rec["baseline"], rec["grid_card"]
    rows = "\n".join(f"| {m['control']} | {m['to']} | {m['seconds']:.2f} | {m['request_sent_s']} | "
                     f"{m['last_message_s']} |" for m in g["moves"])
    base = "\n".join(f"| {x['path']} | {x['setting']} | {x['seconds']:.1f} |" for x in b)
    med = g["median_s"]
    verdict = "meets the goal" if med <= GOAL_S else "meets the bar" if med <= BAR_S else "misses the bar"
    return "\n".join([
        "# MNAR lab: a control to the new imputations, precomputed grid against live training",
        "",
        f"Chromium at 1280x720, a fresh server with no data directory. **On the grid: median {g['median_s']:.2f} s, "
        f"max {g['max_s']:.2f} s over {len(g['moves'])} moves** (bar {BAR_S:g} s, goal {GOAL_S:g} s: {verdict}); "
        f"today's live training, the baseline: median {rec['baseline_median_s']:.1f} s. The page's script alone "
        f"(AppTest, no browser) reruns in {rec['server']['rerun_median_s']:.2f} s (median of "
        f"{rec['server']['repeats']} offset moves between two visited grid points).",
        "",
        "| control | to | seconds to shown | request sent at (s) | last message received at (s) |",
        "|---|---|---|---|---|",
        rows,
        "",
        "Baseline (the time from the click to the trained results shown):",
        "",
        "| path | setting | seconds |",
        "|---|---|---|",
        base,
        "",
        f"The grid: `{c['command']}`, the '{c['preset']}' budget, {c['points']} points, {c['cpu_time_s']:.0f} s CPU. "
        "A move is timed from the key press or the option's click to the page's sentence naming the new grid point, "
        "the run ended and no stale element left (the RMSE table, the scatter and the maps are drawn in that run).",
        "",
        f"Command: `{rec['command']}`.",
        "",
        machine_line(rec["machine"]),
    ])


def options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--moves", type=int, default=8, help="offset slider steps (then three mechanisms)")
    p.add_argument("--baselines", type=int, default=2, help="live 'tiny' trainings timed (at most 3)")
    p.add_argument("--repeats", type=int, default=5, help="AppTest reruns (each way) for the script's own time")


def run(a: argparse.Namespace) -> dict:
    from playwright.sync_api import sync_playwright

    server = server_side(a.repeats)
    card = json.loads((ROOT / "pretrained" / "mnar-grid.json").read_text())
    env = {k: v for k, v in os.environ.items() if k != "DGM_DATA_DIR"}
    with streamlit_server(env) as (url, _), sync_playwright() as pw:
        b = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = b.new_page(viewport={"width": 1280, "height": 720})
        moves = grid_moves(page, url, a.moves)
        base = baselines(page, url, a.baselines)
        b.close()
    secs = [m["seconds"] for m in moves]
    tiny = [x["seconds"] for x in base if x["path"].startswith("train: tiny")] or [float("nan")]
    return {"grid": {"moves": moves, "median_s": round(statistics.median(secs), 3), "max_s": round(max(secs), 3),
                     "min_s": round(min(secs), 3)},
            "server": server, "baseline": base, "baseline_median_s": round(statistics.median(tiny), 2),
            "bar_s": BAR_S, "goal_s": GOAL_S,
            "grid_card": {"command": card["command"], "preset": card["preset"], "points": len(card["points"]),
                          "cpu_time_s": card["cpu_time_s"],
                          "sha256": {t: m["sha256"] for t, m in card["tables"].items()}}}


BENCH = bench(run, report, options=options)


if __name__ == "__main__":
    raise SystemExit(BENCH.main())
