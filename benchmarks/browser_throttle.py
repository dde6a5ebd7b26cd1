"""What slows a Web Worker in chromium: the same busy loop on the page's main thread and in a worker, unthrottled,
with the DevTools protocol's CPU throttling (``Emulation.setCPUThrottlingRate`` on the page, as a throttled
benchmark used to), and with chromium's processes held to 1 / rate of one core (``benchmarks.common.slow_browser``,
the cgroup quota the browser benchmarks now use).

    python -m dgm_core bench browser_throttle [--rate 4] [--repeats 3]

Writes benchmarks/results/browser_throttle.{json,md}. Needs a writable cgroup v1 CPU controller for the quota.
"""
from __future__ import annotations

import argparse
import contextlib
import statistics

from benchmarks.harness import bench
from benchmarks.common import CHROMIUM_ARGS, machine_line, slow_browser

LOOP = "let x = 0; for (let i = 0; i < 3e8; i++) x += i % 7;"
BOTH = """async (loop) => {
  const src = `onmessage = () => { const t0 = performance.now(); ${loop} postMessage(performance.now() - t0); };`;
  const w = new Worker(URL.createObjectURL(new Blob([src], { type: 'text/javascript' })));
  const worker = await new Promise((r) => { w.onmessage = (e) => r(e.data); w.postMessage(0); });
  w.terminate();
  const t0 = performance.now(); eval(loop);
  return { worker_ms: worker, main_ms: performance.now() - t0 };
}"""


def measure(rate: float, repeats: int) -> dict:
    from playwright.sync_api import sync_playwright
    out = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.goto("about:blank")
        cdp = page.context.new_cdp_session(page)
        for how in ("unthrottled", "cdp", "quota"):
            cdp.send("Emulation.setCPUThrottlingRate", {"rate": rate if how == "cdp" else 1})
            with slow_browser(rate) if how == "quota" else contextlib.nullcontext():
                runs = [page.evaluate(BOTH, LOOP) for _ in range(repeats)]
            out[how] = {k: round(statistics.median(r[k] for r in runs), 1) for k in ("worker_ms", "main_ms")}
            print(how, out[how], flush=True)
        browser.close()
    return out


def report(rec: dict) -> str:
    lines = ["# What slows a Web Worker in chromium\n",
             f"A busy loop ({LOOP!r}), median of {rec['repeats']} runs, in a worker and on the page's main thread.\n",
             "| how | worker (ms) | main thread (ms) |", "|---|---|---|"]
    names = {"unthrottled": "unthrottled", "cdp": f"CDP CPU throttling {rec['rate']:g}x",
             "quota": f"cgroup quota, 1/{rec['rate']:g} of one core"}
    for how, r in rec["results"].items():
        lines.append(f"| {names[how]} | {r['worker_ms']} | {r['main_ms']} |")
    lines += ["", machine_line(rec["machine"]), ""]
    return "\n".join(lines)


def options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--rate", type=float, default=4.0)
    p.add_argument("--repeats", type=int, default=3)


def run(a: argparse.Namespace) -> dict:
    return {"rate": a.rate, "repeats": a.repeats, "results": measure(a.rate, a.repeats)}


BENCH = bench(run, report, options=options)


if __name__ == "__main__":
    raise SystemExit(BENCH.main())
