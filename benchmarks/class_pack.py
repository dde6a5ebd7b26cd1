"""A lesson pack of the shipped lecture, offline: `python -m dgm_core pack lecture DIR` (ui/class_pack.py) served by
`python -m http.server` in the folder, one chromium phone (390x844) stepping through every step of the deck on its
own (a question's answer shown by its button), on each step waiting for its note and every one of its pictures
(decoded), and on the steps with the class's own experiment running it (inpainting: the bottom half hidden, both
samplers run; latent: the generator loaded and drawn).

    python -m dgm_core bench class_pack [--deck lecture]

Counted: the steps that drew whole (their note, all their pictures, their experiment where they have one), every
request the page and its workers made that left the folder's server, and every answer of 400 or more. Bars (issue
68): every step draws, no request leaves the folder, none fails. The deck's pictures are drawn first where they are
not yet (ui/class_pictures.py; minutes on a loaded machine).

Writes benchmarks/results/class_pack.{json,md}.
"""
from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.harness import bench

PHONE = {"width": 390, "height": 844}
WAIT_MS = 120_000


def _step(page, k: int, step: dict) -> dict:
    """Step ``k`` on the pack's page: its answer shown where it asks first, its pictures and experiment awaited ->
    what drew."""
    from playwright.sync_api import expect

    expect(page.locator("#where")).to_have_text(re.compile(rf"^Step {k + 1} of "), timeout=WAIT_MS)
    if step["question"]:
        page.get_by_role("button", name="Show the answer").click()
    n = len(step["pictures"])
    page.wait_for_function(f"""() => {{ const imgs = [...document.querySelectorAll('#pictures img')];
        return imgs.length === {n} && imgs.every((i) => i.complete && i.naturalWidth > 0); }}""", timeout=WAIT_MS)
    note = page.locator("#text").inner_text().strip()
    out = {"step": k + 1, "pictures": n, "note": bool(note), "experiment": ""}
    if step["experiment"]:
        status = page.locator(".exp-status")
        page.wait_for_selector(".exp-run, .exp-slider", timeout=WAIT_MS)  # the panel mounted: which experiment
        if page.get_by_role("button", name="Run both samplers").count():
            page.get_by_role("button", name="Hide the bottom half").click()
            page.get_by_role("button", name="Run both samplers").click()
            page.wait_for_selector("text=/stays on this phone|could not/", timeout=600_000)
        else:
            expect(status).to_have_text(re.compile("stays on this phone|could not"), timeout=WAIT_MS)
        said = " ".join(page.locator(".experiment").all_inner_texts())
        out["experiment"] = "ran" if "stays on this phone" in said and "could not" not in said else said[:200]
    out["drew"] = out["note"] and out["experiment"] in ("", "ran")
    return out


def run(a: argparse.Namespace) -> dict:
    from playwright.sync_api import sync_playwright

    from benchmarks.common import CHROMIUM_ARGS
    from ui import class_pack

    name, deck = class_pack.read_deck(a.deck)
    with tempfile.TemporaryDirectory(prefix="dgm-pack-") as tmp:
        folder = Path(tmp) / "pack"
        t0 = time.perf_counter()
        public = class_pack.pack(deck, folder)
        packed_s = time.perf_counter() - t0
        size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
        http = subprocess.Popen([sys.executable, "-m", "http.server", "0", "--bind", "127.0.0.1"], cwd=folder,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            line = http.stdout.readline()  # "Serving HTTP on 127.0.0.1 port N (...)"
            base = f"http://127.0.0.1:{int(line.split(' port ')[1].split()[0])}"
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=a.chromium, args=CHROMIUM_ARGS)
                ctx = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
                asked, failed = [], []
                ctx.on("request", lambda r: asked.append(r.url))
                ctx.on("response", lambda r: r.status < 400 or failed.append(f"{r.status} {r.url}"))
                page = ctx.new_page()
                t1 = time.perf_counter()
                page.goto(base + "/")
                steps = []
                for k, step in enumerate(public["steps"]):
                    if k:
                        page.get_by_role("button", name="The step after").click()
                    steps.append(_step(page, k, step))
                walked_s = time.perf_counter() - t1
                browser.close()
        finally:
            http.terminate()
            http.wait(10)
    outside = [u for u in asked if not u.startswith(base + "/")]
    drew = sum(s["drew"] for s in steps)
    return {"deck": name, "steps": len(public["steps"]), "drew": drew, "per_step": steps,
            "requests": len(asked), "outside": outside, "outside_n": len(outside), "failed": failed,
            "pack_mb": round(size / 1e6, 2),
            "packing_s": round(packed_s, 1), "walk_s": round(walked_s, 1),
            "verdicts": {"every_step": drew == len(public["steps"]), "no_request_outside": not outside,
                         "none_failed": not failed}}


def report(rec: dict) -> str:
    missed = [k for k, ok in rec["verdicts"].items() if not ok]
    exp = [f"step {s['step']}: {s['experiment']}" for s in rec["per_step"] if s["experiment"]]
    lines = ["# A lesson pack, offline", "", f"Command: `{rec['command']}`", "",
             f"`python -m dgm_core pack {rec['deck']} DIR` ({rec['pack_mb']} MB, written in {rec['packing_s']} s) "
             "served by `python -m http.server`; one chromium phone at 390x844 steps through the deck alone, each "
             "step's note, pictures and experiment awaited. Bars: every step draws, no request leaves the folder, "
             "none fails.", "",
             "| steps drawn | requests | left the folder | failed | pictures | experiments | walk (s) |",
             "|---|---|---|---|---|---|---|",
             f"| {rec['drew']} of {rec['steps']} | {rec['requests']} | {len(rec['outside'])} | {len(rec['failed'])} | "
             f"{sum(s['pictures'] for s in rec['per_step'])} | {'; '.join(exp) or 'none'} | {rec['walk_s']} |", "",
             f"{'Misses ' + ', '.join(missed) if missed else 'Meets its bars'}. Machine: "
             f"{rec['machine']['platform']}, {rec['machine']['date']}.", ""]
    return "\n".join(lines)


def options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--deck", default="lecture", help="a shipped deck's name, or a deck's JSON file")
    p.add_argument("--chromium", default="/usr/bin/chromium")


BENCH = bench(run, report, options=options)

if __name__ == "__main__":
    raise SystemExit(BENCH.main())
