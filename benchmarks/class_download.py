"""What a phone downloads to follow the shipped lecture on the class page: one chromium phone (390x844, its CPU 4x
slower) follows the lecturer through every step and question of the deck, fetching each step's pictures as it
arrives and, on the steps that ask for the class's own experiment, running it (the bottom half hidden, Run: the
runtime, the worker's modules and the step's ONNX graphs; on the latent step, its generator loaded and drawn); then
the same phone opens the class page again and follows the lecture a second time, its browser's cache kept (a second
visit).

    python -m dgm_core bench class_download [--deck lecture]

Counted: every response's bytes as they crossed the wire (body as sent, compressed where the server compressed it,
and headers), the page's and its workers' requests alike (playwright's request sizes). Bars (issue 68): <= 12 MB on a
first visit, <= 0.5 MB on a second. The deck's pictures are drawn first where they are not yet (ui/class_pictures.py,
as Present does; minutes on a loaded machine).

Writes benchmarks/results/class_download.{json,md}.
"""
from __future__ import annotations

import argparse
import os
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlparse

from benchmarks.harness import bench

BARS = {"first_mb": 12.0, "second_mb": 0.5}


def _kind(url: str) -> str:
    path = urlparse(url).path
    for part, kind in (("/models/", "ONNX graphs"), ("/ort/", "runtime"), ("/pictures/", "pictures"),
                       ("/poll/api/", "the room's JSON"), ("/static/js/", "modules"), ("/class/", "page")):
        if part in path:
            return kind
    return "other"


def _follow(page, url: str, code: str, port: int, key: str, deck: dict) -> dict:
    """One visit: the class page opened, every move of the lecturer followed -> bytes by kind, requests, runs."""
    from playwright.sync_api import expect

    from benchmarks.class_experiment import move, run_here
    from benchmarks.class_follow import moves_of

    got: list[tuple[str, int]] = []
    page.on("requestfinished", lambda r: got.append((r.url, sum(r.sizes()[k] for k in ("responseBodySize",
                                                                                         "responseHeadersSize")))))
    move(port, code, key, 0, True)
    page.goto(f"{url}/class/{code}")
    runs = []
    for step, shown in moves_of(deck):
        move(port, code, key, step, shown)
        expect(page.locator("#where")).to_have_text(f"Step {step + 1} of {len(deck['steps'])}", timeout=120_000)
        kind = deck["steps"][step].get("experiment") if shown else None
        if kind == "inpaint":
            seconds, _ = run_here(page)
            runs.append(round(seconds, 2))
            expect(page.locator(".exp-sent")).to_contain_text("Sent", timeout=60_000)
        elif kind == "latent":  # its generator loaded and drawn
            expect(page.locator(".exp-status")).to_have_text("Your exploration stays on this phone.", timeout=60_000)
        page.wait_for_timeout(1500)  # the step's pictures on the phone's screen load (lazy ones below it wait)
    page.wait_for_timeout(1000)
    by = Counter()
    for u, n in got:
        by[_kind(u)] += n
    return {"mb": round(sum(by.values()) / 1e6, 3), "requests": len(got),
            "by_kind_mb": {k: round(v / 1e6, 3) for k, v in by.most_common()}, "experiment_runs_s": runs}


def run(a: argparse.Namespace) -> dict:
    from playwright.sync_api import sync_playwright

    from benchmarks.class_experiment import phone_page
    from benchmarks.class_follow import open_lecture
    from benchmarks.class_poll import scratch, start_server, stop
    from benchmarks.common import CHROMIUM_ARGS
    from server import rooms
    from ui import class_pictures

    with scratch("download") as (folder, port):
        os.environ["DGM_POLL_DIR"] = folder
        env = {**os.environ, "DGM_WARMUP": "0"}
        code, key, deck = open_lecture(Path(folder), a.deck)
        t0 = time.perf_counter()
        class_pictures.draw_deck(deck, rooms.deck_hash(deck))
        drawn_s = time.perf_counter() - t0
        proc = start_server(port, env, open(os.devnull, "w"))
        try:
            url = f"http://127.0.0.1:{port}"
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=a.chromium, args=CHROMIUM_ARGS)
                first = phone_page(browser)
                visits = {"first": _follow(first, url, code, port, key, deck)}
                second = phone_page(browser, first.context)  # the same phone, its cache kept
                first.close()
                visits["second"] = _follow(second, url, code, port, key, deck)
                browser.close()
        finally:
            stop(proc)
    return {"deck": a.deck, "steps": len(deck["steps"]), "bars": BARS, "visits": visits,
            "verdicts": {"first_mb": visits["first"]["mb"] <= BARS["first_mb"],
                         "second_mb": visits["second"]["mb"] <= BARS["second_mb"]},
            "drawing_s": round(drawn_s, 1)}


def report(rec: dict) -> str:
    lines = ["# What a phone downloads to follow the lecture", "", f"Command: `{rec['command']}`", "",
             f"The deck '{rec['deck']}' ({rec['steps']} steps), one phone at 390x844 (CPU 4x slower) following every "
             "move, running the class's own experiment where a step asks for it; then again, its cache kept. "
             f"Bars: <= {rec['bars']['first_mb']:g} MB first, <= {rec['bars']['second_mb']:g} MB second.", "",
             "| visit | MB | requests | by kind (MB) | its own Runs (s) |", "|---|---|---|---|---|"]
    for name, v in rec["visits"].items():
        kinds = ", ".join(f"{k} {m}" for k, m in v["by_kind_mb"].items())
        lines.append(f"| {name} | {v['mb']} | {v['requests']} | {kinds} | {v['experiment_runs_s']} |")
    missed = [k for k, ok in rec["verdicts"].items() if not ok]
    lines += ["", f"{'Misses ' + ', '.join(missed) if missed else 'Meets both bars'}. Machine: "
              f"{rec['machine']['platform']}, {rec['machine']['date']}.", ""]
    return "\n".join(lines)


def options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--deck", default="lecture")
    p.add_argument("--chromium", default="/usr/bin/chromium")


BENCH = bench(run, report, options=options)

if __name__ == "__main__":
    raise SystemExit(BENCH.main())
