"""How long a chain the class's own experiment gives a phone: the exact sampler and pseudo-Gibbs on the class page
(static/class/experiment.js), in chromium at 390x844 with its CPU throttled 4x, as a slow phone.

    python -m dgm_core bench class_experiment [--steps 50,150,300]

Rule (fixed before looking): for each data set the shipped lecture's experiment steps run on, both samplers run on
the step's image with its bottom half hidden at each chain length of --steps (burn-in a quarter of the steps, the
page's other settings), --repeats times each, every run on a fresh page (a student's first Run: the runtime and the
graphs loaded too); the median of the phone's own wall times (the worker's, from its start to both results) is
fitted as a + b * steps by least squares, and a phone's chain is the largest multiple of 25 steps with
a + b * steps <= 5 s (the bar of issue 68 for a phone's own Run), at most the page's chain, at least 25. The class
page shows the chain it runs.

The server runs `streamlit run app.py` (a fresh poll and class folder; the lecture's room opened in process, as
Present opens it), the phone is one chromium page. The F1s of each run are recorded beside its time (one image, one
seed: what a phone gives up with a shorter chain, not a benchmark of the samplers).

Writes benchmarks/results/class_experiment.{json,md}.
"""
from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import parse_qsl

import numpy as np

from benchmarks.harness import bench

BUDGET_S = 5.0  # a phone's own Run (issue 68's bar)
THROTTLE = 4.0
QUANTUM = 25
PHONE = {"width": 390, "height": 844}


def chain_for(steps: list[int], seconds: list[float], page_steps: int) -> tuple[int, float, float]:
    """The rule: (the phone's chain, a, b) of the least-squares fit seconds = a + b * steps."""
    b, a = np.polyfit(np.asarray(steps, float), np.asarray(seconds, float), 1)
    fits = int((BUDGET_S - a) / b // QUANTUM * QUANTUM) if b > 0 else page_steps
    return max(QUANTUM, min(page_steps, fits)), float(a), float(b)


def move(port: int, code: str, key: str, step: int, shown: bool) -> None:
    """The lecturer's move, as the app makes it (POST step with the room's key)."""
    req = urllib.request.Request(f"http://127.0.0.1:{port}/poll/api/{code}/step", method="POST",
                                 data=json.dumps({"step": step, "shown": shown}).encode(),
                                 headers={"Content-Type": "application/json", "x-lecturer-key": key})
    urllib.request.urlopen(req, timeout=60).read()


def phone_page(browser, context=None):
    """A phone: 390x844, touch, its CPU 4x slower; a page of ``context`` (its HTTP cache) or of a new one."""
    page = (context or browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True,
                                           has_touch=True)).new_page()
    page.context.new_cdp_session(page).send("Emulation.setCPUThrottlingRate", {"rate": THROTTLE})
    return page


def run_here(page) -> tuple[float, dict[str, float]]:
    """On the class page's experiment: hide the bottom half, Run -> (the worker's seconds, F1 per method)."""
    page.wait_for_selector(".exp-canvas", timeout=120_000)
    page.get_by_role("button", name="Hide the bottom half").click()
    page.get_by_role("button", name="Run both samplers").click()
    page.wait_for_selector("text=/Ran in|could not/", timeout=600_000)
    status = page.locator(".exp-status").inner_text()
    if "could not" in status:
        raise RuntimeError(status)
    seconds = float(status.split("Ran in ")[1].split(" s")[0])
    f1 = {}
    for cap in page.locator(".exp-fills figcaption").all_inner_texts():
        name, _, score = cap.rpartition(": F1 ")
        f1[name] = float(score)
    return seconds, f1


def run(a: argparse.Namespace) -> dict:
    from playwright.sync_api import sync_playwright

    from benchmarks.class_follow import open_lecture
    from benchmarks.class_poll import start_server, stop
    from benchmarks.common import CHROMIUM_ARGS
    from server import class_deck, rooms
    from ui.class_pictures import experiment_spec

    steps = [int(s) for s in a.steps.split(",")]
    tmp = Path(tempfile.mkdtemp(prefix="dgm-class-exp-"))
    os.environ["DGM_POLL_DIR"], os.environ["DGM_CLASS_DIR"] = str(tmp / "poll"), str(tmp / "class")
    env = {**os.environ, "DGM_WARMUP": "0"}
    proc = start_server(a.port, env, open(tmp / "server.log", "w"))
    out = {"rule": __doc__.split("Rule (fixed before looking): ")[1].split("\n\n")[0].replace("\n", " "),
           "budget_s": BUDGET_S, "throttle": THROTTLE, "viewport": PHONE, "datasets": {}}
    try:
        code, key, deck = open_lecture(tmp / "poll", "lecture")
        h = rooms.deck_hash(deck)
        by_data = {}
        for k, s in enumerate(deck["steps"]):
            if s.get("experiment") == "inpaint":
                spec = experiment_spec(dict(parse_qsl(s.get("link", ""))))
                if spec is not None:
                    by_data.setdefault(spec["dataset"], (k, spec))
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=a.chromium, args=CHROMIUM_ARGS)
            for dataset, (k, spec) in by_data.items():
                move(a.port, code, key, k, True)
                page_steps, runs = spec["page_steps"], []
                for n in [n for n in steps for _ in range(a.repeats)]:
                    spec_n = {**spec, "settings": {**spec["settings"], "steps": n, "burn_in": n // 4}}
                    class_deck.write_experiment(h, k, spec_n)
                    page = phone_page(browser)
                    t0 = time.perf_counter()
                    page.goto(f"http://127.0.0.1:{a.port}/class/{code}")
                    seconds, f1 = run_here(page)
                    runs.append({"steps": n, "seconds": round(seconds, 2), "wall_s": round(time.perf_counter() - t0, 2),
                                 "f1": f1})
                    print(f"{dataset} {n} steps: {seconds:.1f} s {f1}", flush=True)
                    page.context.close()
                medians = {n: float(np.median([r["seconds"] for r in runs if r["steps"] == n])) for n in steps}
                chain, fa, fb = chain_for(list(medians), list(medians.values()), page_steps)
                out["datasets"][dataset] = {"step": k + 1, "what": spec["what"], "page_steps": page_steps,
                                            "runs": runs, "median_s": medians,
                                            "fit": {"a_s": round(fa, 3), "b_s_per_step": round(fb, 5)},
                                            "phone_steps": chain,
                                            "predicted_s": round(fa + fb * chain, 2)}
            browser.close()
    finally:
        stop(proc)
    return out


def report(rec: dict) -> str:
    lines = ["# The class's own experiment: a phone's chain", "", f"Command: `{rec['command']}`", "",
             f"Rule: {rec['rule']}", "",
             "| data set | step | chain steps | phone's run (s) | F1s |", "|---|---|---|---|---|"]
    for ds, r in rec["datasets"].items():
        for run_ in r["runs"]:
            f1 = ", ".join(f"{m} {v:.2f}" for m, v in run_["f1"].items())
            lines.append(f"| {ds} | {r['step']} | {run_['steps']} | {run_['seconds']} | {f1} |")
    lines += [""]
    for ds, r in rec["datasets"].items():
        lines.append(f"- **{ds}** ({r['what']}): seconds = {r['fit']['a_s']} + {r['fit']['b_s_per_step']} x steps; "
                     f"a phone runs **{r['phone_steps']} steps** (the page: {r['page_steps']}), predicted "
                     f"{r['predicted_s']} s at {rec['throttle']:g}x.")
    lines += ["", f"Machine: {rec['machine']['platform']}, {rec['machine']['date']} (a loaded machine's figure: "
              "load average in the JSON).", ""]
    return "\n".join(lines)


def options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--steps", default="50,150,300", help="comma-separated chain lengths to time")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--port", type=int, default=8799)
    p.add_argument("--chromium", default="/usr/bin/chromium")


BENCH = bench(run, report, options=options)

if __name__ == "__main__":
    raise SystemExit(BENCH.main())
