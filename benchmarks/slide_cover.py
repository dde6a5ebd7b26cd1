"""How much of a projector the lecture's pictures fill: every step of the shipped deck presented in chromium at each
window size, its question stage and its answer, and the largest picture measured against the stage below the note.

    python -m dgm_core bench slide_cover [--sizes 1280x720 1920x1080] [--steps 2,12,20] [--shots DIR]

A picture is an image, a canvas or a chart (Streamlit's images, the browser panels' canvases, a plotly chart's box)
inside the slide; the stage is the window below the note's band (the deck bar's bottom edge). ``cover``: the
share of the stage the pictures cover together; ``height_share``: the largest picture's height over the stage's. The
issue's bar: the pictures cover at least half of the stage on every step with a picture, at every size.

Writes benchmarks/results/slide_cover.{json,md}; ``--shots`` keeps each stage's screenshot (look at them).
"""
from __future__ import annotations

import argparse
import os
import statistics
from pathlib import Path

from benchmarks.common import CHROMIUM_ARGS, streamlit_server
from benchmarks.harness import bench

ROOT = Path(__file__).resolve().parents[1]
BAR = 0.5  # the share of the stage the pictures cover
PICTURES = '[data-testid="stImage"] img, [data-testid="stPlotlyChart"], canvas'
MEASURE = """([sel, bar]) => {
  const top = document.querySelector('.st-key-deck_bar').getBoundingClientRect().bottom;
  const stage = {w: innerWidth, h: innerHeight - top};
  const all = [];
  const walk = (root) => {
    for (const e of root.querySelectorAll(sel)) all.push(e);
    for (const e of root.querySelectorAll('*')) if (e.shadowRoot) walk(e.shadowRoot);
  };
  walk(document);
  let best = null;
  let total = 0;
  const seen = [];
  for (const e of all) {
    const r = e.getBoundingClientRect();
    if (r.width < 24 || r.height < 24 || r.bottom <= top) continue;
    if (seen.some((o) => o.contains(e) || e.contains(o))) continue;  // a chart's own canvas: counted with it
    seen.push(e);
    const h = Math.min(r.bottom, innerHeight) - Math.max(r.top, top);
    const area = h * Math.min(r.width, innerWidth);
    total += area;
    if (!best || area > best.area) best = {h, w: r.width, area, tag: e.tagName.toLowerCase()};
  }
  return {stage, best, total};
}"""


def measure(url: str, sizes: list[tuple[int, int]], steps: list[int], shots: Path | None) -> list[dict]:
    from playwright.sync_api import sync_playwright

    from ui import deck

    lecture = deck.shipped(deck.page_files())["lecture"]
    rows = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        for w, h in sizes:
            page = browser.new_page(viewport={"width": w, "height": h})
            for k in steps:
                step = lecture.steps[k - 1]
                for shown in ([False, True] if step.question else [True]):
                    page.goto(f"{url}/{step.page}?deck=lecture&step={k}&present=1" + ("&shown=1" if shown and
                                                                                        step.question else ""))
                    page.locator(".st-key-deck_nav").wait_for(timeout=300_000)
                    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(timeout=300_000)
                    page.wait_for_timeout(3000)  # the window's size reported, the slide redrawn for it, panels drawn
                    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(timeout=300_000)
                    got = page.evaluate(MEASURE, [PICTURES, BAR])
                    best, stage = got["best"], got["stage"]
                    row = {"size": f"{w}x{h}", "step": k, "view": step.view, "stage": "answer" if shown else "question",
                           "stage_px": [stage["w"], round(stage["h"])], "picture": best and best["tag"],
                           "height_share": round(best["h"] / stage["h"], 3) if best else 0.0,
                           "cover": round(got["total"] / (stage["w"] * stage["h"]), 3)}
                    rows.append(row)
                    print(row, flush=True)
                    if shots:
                        page.screenshot(path=str(shots / f"{w}x{h}-{k:02d}{'' if shown else 'q'}.png"))
            page.close()
        browser.close()
    return rows


def run(a: argparse.Namespace) -> dict:
    sizes = [tuple(int(v) for v in s.split("x")) for s in a.sizes]
    from ui import deck

    n = len(deck.shipped(deck.page_files())["lecture"].steps)
    steps = [int(s) for s in a.steps.split(",")] if a.steps else list(range(1, n + 1))
    shots = Path(a.shots) if a.shots else None
    if shots:
        shots.mkdir(parents=True, exist_ok=True)
    with streamlit_server(env=dict(os.environ)) as (url, _):
        rows = measure(url, sizes, steps, shots)
    pictured = [r for r in rows if r["picture"]]
    summary = {}
    for s in a.sizes:
        under = [r for r in pictured if r["size"] == s and r["cover"] < BAR]
        summary[s] = {"stages": sum(r["size"] == s for r in rows),
                      "with_a_picture": sum(r["size"] == s for r in pictured),
                      "under_bar": [f"{r['step']}{'q' if r['stage'] == 'question' else ''}" for r in under],
                      "under_bar_count": len(under),
                      "median_cover": statistics.median(r["cover"] for r in pictured if r["size"] == s)}
    return {"bar": BAR, "rows": rows, "sizes": a.sizes, "summary": summary}


def report(rec: dict) -> str:
    lines = ["# How much of the projector the lecture's pictures fill", "", f"Command: `{rec['command']}`", "",
             "The share of the stage (the window below the note) the pictures cover; q: a question stage.", "",
             "| size | stages | with a picture | median cover | covering less than half the stage |",
             "|---|---|---|---|---|"]
    for s, v in rec["summary"].items():
        lines.append(f"| {s} | {v['stages']} | {v['with_a_picture']} | {v['median_cover']:.2f} | "
                     f"{v['under_bar_count']}: {', '.join(v['under_bar']) or 'none'} |")
    lines += ["", "| size | step | stage | view | largest picture | its height share | cover |",
              "|---|---|---|---|---|---|---|"]
    lines += [f"| {r['size']} | {r['step']} | {r['stage']} | {r['view']} | {r['picture'] or '-'} | "
              f"{r['height_share']:.2f} | {r['cover']:.2f} |" for r in rec["rows"]]
    return "\n".join(lines + ["", f"Machine: {rec['machine']['platform']}, {rec['machine']['date']}.", ""])


def options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--sizes", nargs="+", default=["1280x720", "1920x1080"])
    p.add_argument("--steps", default="", help="comma-separated step numbers (default: every step)")
    p.add_argument("--shots", default="", help="a folder for each stage's screenshot")


BENCH = bench(run, report, options=options)

if __name__ == "__main__":
    raise SystemExit(BENCH.main())
