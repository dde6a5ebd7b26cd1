"""How long a student's own MNIST inpainting run takes in their browser, and whether the page stays responsive.

    python -m dgm_core bench browser_inpaint [--repeats 2] [--throttle 4]

In chromium against a fresh server of the app: the inpainting page's default settings (pseudo-Gibbs, 300 steps of 6
chains; MIWAE, 1000 importance samples and 8 draws) on a digit drawn by the shipped VAE (seed 3, binarised; no data
set needed) with the page's default mask (the bottom half), run by ui/inpaint.worker.js in a Web Worker as
ui.browser_inpaint.browser_run starts it (a fresh worker per run, onnxruntime-web from static/ort, the ONNX files from
static/models), ``repeats`` times without throttling and ``repeats`` times with CDP's
``Emulation.setCPUThrottlingRate`` at ``throttle`` (a slower laptop). Each run: the wall time from posting the job to
its last result on the page, the worker's own time per method, and the longest task on the page's main thread
meanwhile (PerformanceObserver 'longtask': only tasks over 50 ms are reported, so 0 means none was). For scale, the
server's time for the same run (dgm_core, one torch thread, the app's setting) is measured beside it.

Writes benchmarks/results/browser_inpaint.{json,md}. Needs no data directory.
"""
from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

import torch

from benchmarks.common import CHROMIUM_ARGS, machine, machine_line, streamlit_server, write_results
from dgm_core import masks, pretrained
from dgm_core.demos import inpainting
from dgm_core.device import generator
from dgm_core.samplers.diagnostics import tracked_pixels
from ui.browser_inpaint import RUNTIME, SETTINGS, WORKER_JS, browser_methods, model_specs

RESULTS = Path(__file__).resolve().parent / "results"
ORIGIN_PAGE = "app/static/ort/VENDOR.json"  # a small file of the app's origin, whose static files the worker loads

# run one job in a fresh worker, timing it and watching the main thread's long tasks
RUN = """async ([src, msg]) => {
  const abs = (u) => new URL(u, location.origin + '/').href;
  msg.runtime = abs(msg.runtime);
  for (const spec of Object.values(msg.models)) { spec.encoder = abs(spec.encoder); spec.decoder = abs(spec.decoder); }
  const longest = { ms: 0, count: 0 };
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) { longest.ms = Math.max(longest.ms, e.duration); longest.count += 1; }
  });
  obs.observe({ type: 'longtask', buffered: false });
  const t0 = performance.now();
  const w = new Worker(URL.createObjectURL(new Blob([src], { type: 'text/javascript' })));
  const seconds = {}; let error = null;
  await new Promise((resolve) => {
    w.onmessage = ({ data }) => {
      if (data.type === 'result') seconds[data.result.method] = data.result.seconds;
      else if (data.type === 'done' || data.type === 'error') { error = data.message || null; resolve(); }
    };
    w.onerror = (e) => { error = e.message; resolve(); };
    w.postMessage(msg);
  });
  const wall = (performance.now() - t0) / 1000;
  w.terminate();
  await new Promise((r) => setTimeout(r, 100));  // the observer's last entries
  obs.disconnect();
  return { wall_s: wall, method_s: seconds, longest_task_ms: longest.ms, long_tasks: longest.count, error };
}"""


def job() -> tuple[dict, torch.Tensor, torch.Tensor, inpainting.Settings]:
    """The worker's message for the default run, as browser_run builds it, and its inputs."""
    vae, _ = pretrained.load("vae-mnist")
    with torch.no_grad():
        x = (vae.sample(1, generator(3))[0] > 0.5).float()
    mask = masks.preset(inpainting.CONTROLS["preset"].default, (28, 28))
    s = inpainting.default_settings("mnist")
    track = tracked_pixels(mask.view(1, 1, 28, 28), tuple(x.shape))[0]
    msg = {"cmd": "run", "id": "bench", "runtime": RUNTIME, "models": model_specs("mnist"),
           "image": x.reshape(-1).tolist(), "mask": mask.reshape(-1).int().tolist(), "shape": list(x.shape),
           "methods": browser_methods("mnist"), "settings": {f: getattr(s, f) for f in SETTINGS}, "binary": True,
           "track": track.tolist()}
    return msg, x, mask, s


def in_browser(msg: dict, repeats: int, throttle: float) -> list[dict]:
    from playwright.sync_api import sync_playwright
    runs = []
    with streamlit_server() as (url, _), sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 720})
        page = context.new_page()
        page.goto(f"{url}/{ORIGIN_PAGE}")
        cdp = context.new_cdp_session(page)
        for rate in (1, throttle):
            cdp.send("Emulation.setCPUThrottlingRate", {"rate": rate})
            for i in range(repeats):
                out = page.evaluate(RUN, [WORKER_JS, msg])
                if out["error"]:
                    raise RuntimeError(f"the browser's run stopped: {out['error']}")
                runs.append({"throttle": rate, "repeat": i, **out})
                print(runs[-1], flush=True)
        browser.close()
    return runs


def on_server(x: torch.Tensor, mask: torch.Tensor, s: inpainting.Settings, methods: list[str]) -> dict[str, float]:
    """dgm_core's time for the same methods and settings, one torch thread."""
    torch.set_num_threads(1)
    out = {}
    for m in methods:
        model, _ = pretrained.load(f"{inpainting.INPAINTING[m].family}-mnist")
        t0 = time.perf_counter()
        inpainting.run_method(m, model, x, mask, dataset="mnist", settings=s, truth=x)
        out[m] = round(time.perf_counter() - t0, 2)
    return out


def summary(runs: list[dict], rate: float) -> dict:
    rs = [r for r in runs if r["throttle"] == rate]
    return {"throttle": rate, "wall_s_median": round(statistics.median(r["wall_s"] for r in rs), 2),
            "wall_s": [round(r["wall_s"], 2) for r in rs],
            "worker_s_median": {m: round(statistics.median(r["method_s"][m] for r in rs), 2)
                                for m in rs[0]["method_s"]},
            "longest_task_ms_max": round(max(r["longest_task_ms"] for r in rs), 1),
            "long_tasks_max": max(r["long_tasks"] for r in rs)}


def report(rec: dict) -> str:
    s = rec["settings"]
    lines = ["# Inpainting in the browser (MNIST, the page's default settings)\n",
             f"One run: pseudo-Gibbs ({s['steps']} steps of {s['chains']} chains) and MIWAE ({s['n_samples']} "
             f"samples, {s['n_draws']} draws) on one digit, in a Web Worker of chromium "
             f"({rec['chromium_runs_per_setting']} runs per setting, a fresh worker each).\n",
             "| CPU | wall time, median (s) | runs (s) | longest main-thread task (ms) | long tasks |",
             "|---|---|---|---|---|"]
    for b in rec["browser"]:
        cpu = "unthrottled" if b["throttle"] == 1 else f"throttled {b['throttle']:g}×"
        lines.append(f"| {cpu} | {b['wall_s_median']} | {', '.join(map(str, b['wall_s']))} | "
                     f"{b['longest_task_ms_max']} | {b['long_tasks_max']} |")
    server = " + ".join(f"{v} s ({k})" for k, v in rec["server_s"].items())
    lines.append(f"\nThe server (dgm_core, one torch thread) takes {server} for the same run.")
    un, th = rec["browser"]
    lines.append("In the worker, per method (median s, unthrottled → throttled): " + "; ".join(
        f"{m} {un['worker_s_median'][m]} → {th['worker_s_median'][m]}" for m in un["worker_s_median"])
        + ". CDP's throttling is applied to the page; these say how much of it reached the worker's thread.")
    lines.append("A long task is one over 50 ms on the page's main thread (PerformanceObserver 'longtask'); "
                 "0 means none.")
    lines.append("\n" + machine_line(rec["machine"]))
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m dgm_core bench browser_inpaint")
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--throttle", type=float, default=4.0)
    p.add_argument("--out", default=str(RESULTS))
    a = p.parse_args(argv)
    load = os.getloadavg()
    msg, x, mask, s = job()
    runs = in_browser(msg, a.repeats, a.throttle)
    rec = {"settings": msg["settings"], "methods": msg["methods"], "image": "vae-mnist's sample, seed 3, binarised",
           "mask": inpainting.CONTROLS["preset"].default, "chromium_runs_per_setting": a.repeats,
           "browser": [summary(runs, 1), summary(runs, a.throttle)], "runs": runs,
           "server_s": on_server(x, mask, s, msg["methods"]),
           "command": "python -m dgm_core bench browser_inpaint"}
    rec["machine"] = machine(load)
    write_results(a.out, "browser_inpaint", rec, report(rec))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
