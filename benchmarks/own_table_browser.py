"""Own-table mode's MIWAE and not-MIWAE trained in the visitor's browser (static/js/tabular, TensorFlow.js in a module
Web Worker) instead of on the shared server: how long a visitor waits, and what the server still spends.

The table: the issue's weather table (temperature, humidity, pressure, wind, rain; humidity missing mostly above 68 %,
self-masking, plus 8 blanks at random) at --rows rows. The job is server.own_table_job's, as the page sends it
('tiny' budget, the learnt-direction not-MIWAE); chromium runs the page's own worker module from a static server of
the repository (no Streamlit: the app adds nothing to the worker's time) and reports the time from the worker's
creation (TensorFlow.js and its WebAssembly loaded, compiled and started) to its answer, and the worker's own
training-and-imputing time. Throttled 4x: CDP's CPU throttling on the page and chromium's processes held to a quarter
of one core (benchmarks.browser_train.WorkerThrottle: CDP's throttling alone leaves a worker at full speed). The
server's CPU per training: building and encoding the job (initial weights, table) and checking and decoding the answer
(server.own_table_job.learnt), by time.process_time, the best of --repeats.

    python -m dgm_core bench own_table_browser [--rows 500] [--rate 4] [--repeats 3]

writes benchmarks/results/own_table_browser.json (+ .md).
"""
from __future__ import annotations

import argparse
import functools
import http.server
import json
import statistics
import threading
import time
from pathlib import Path

from benchmarks.harness import bench
import numpy as np

from benchmarks.common import CHROMIUM_ARGS, machine_line

ROOT = Path(__file__).resolve().parents[1]
TARGET_S, SERVER_CPU_S = 10.0, 0.1  # the bars: a throttled browser's wait, the server's CPU per training
HARNESS = b"""<!doctype html><meta charset="utf-8"><title>own table worker</title><script type="module">
import { typedDeep, plain } from './app/static/js/tabular/wire.js';
window.fill = (job, runtime, backend) => new Promise((resolve, reject) => {
  const t0 = performance.now();
  const abs = Object.fromEntries(Object.entries(runtime).map(([k, v]) => [k, new URL(v, document.baseURI).href]));
  const w = new Worker(new URL('app/static/js/tabular/train.worker.js', document.baseURI), { type: 'module' });
  w.onerror = (e) => reject(new Error(e.message));
  w.onmessage = ({ data: m }) => {
    if (m.type === 'ready') w.postMessage({ cmd: 'fill', job: typedDeep(job) });
    else if (m.type === 'error') reject(new Error(m.message));
    else if (m.type === 'done') {
      w.terminate();
      resolve({ wall_s: (performance.now() - t0) / 1000, answer: plain(m.result) });
    }
  };
  w.postMessage({ cmd: 'init', runtime: abs, backend });
});
window.ready = true;
</script>"""


class _Handler(http.server.SimpleHTTPRequestHandler):
    """The repository's static/ at app/static/ (as Streamlit serves it) and the harness page at /."""

    def translate_path(self, path: str) -> str:
        path = path.split("?", 1)[0]
        if path.startswith("/app/static/"):
            return str(ROOT / "static" / path[len("/app/static/"):])
        return str(ROOT / "nothing-here")

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        if self.path in ("/", "/index.html"):
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(HARNESS)
            return
        super().do_GET()

    def log_message(self, *args) -> None:
        pass


_Handler.extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, ".js": "text/javascript",
                           ".wasm": "application/wasm"}


def table(rows: int, seed: int = 0) -> np.ndarray:
    from benchmarks.fixtures import holed_weather
    return holed_weather(rows, seed)[1]


def server_cpu(x: np.ndarray, settings, answer: dict | None, repeats: int) -> dict:
    """CPU seconds the server spends per browser training: the job built and encoded, the answer checked."""
    from server import own_table_job as browser
    build, check = [], []
    for _ in range(repeats):
        t0 = time.process_time()
        j = browser.job(x, settings)
        json.dumps(j.wire())
        build.append(time.process_time() - t0)
        if answer is not None:
            t0 = time.process_time()
            browser.learnt(j, {**answer, "id": j.id})
            check.append(time.process_time() - t0)
    out = {"job_s": round(min(build), 4)}
    if check:
        out["answer_s"] = round(min(check), 4)
        out["total_s"] = round(out["job_s"] + out["answer_s"], 4)
    return out


def measure(rows: int, rate: float, repeats: int) -> dict:
    from playwright.sync_api import sync_playwright

    from benchmarks.browser_train import WorkerThrottle
    from server import own_table_job as browser
    from dgm_core.own_table import Settings
    from ui.trainer import trainer_runtime

    x = table(rows)
    runtime = trainer_runtime()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Handler, directory=str(ROOT)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    rec: dict = {"rows": rows, "columns": int(x.shape[1]), "holes": int(np.isnan(x).sum()), "preset": "tiny",
                 "rate": rate, "repeats": repeats, "runs": {}}
    answers = {}
    try:
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            page = b.new_page()
            page.goto(f"http://127.0.0.1:{server.server_address[1]}/")
            page.wait_for_function("window.ready === true")
            knob = WorkerThrottle(page)
            for models in ("notmiwae", "both"):
                j = browser.job(x, Settings(family="notmiwae", preset="tiny", seed=0))
                wire = j.wire()
                if models == "notmiwae":
                    wire["models"] = [m for m in wire["models"] if m["method"] == "notmiwae"]
                for throttle in (1, rate):
                    slowed = knob.rate(throttle)
                    runs = []
                    for _ in range(repeats):
                        got = page.evaluate("([job, rt]) => window.fill(job, rt)", [wire, runtime])
                        runs.append({"wall_s": got["wall_s"], "worker_s": got["answer"]["seconds"],
                                     "backend": got["answer"]["backend"]})
                        answers[models] = got["answer"]
                    knob.rate(1)
                    rec["runs"][f"{models}@{throttle:g}"] = {
                        "models": models, "throttle": throttle, "workers_slowed": slowed,
                        "backend": runs[-1]["backend"],
                        "wall_s": round(statistics.median(r["wall_s"] for r in runs), 2),
                        "worker_s": round(statistics.median(r["worker_s"] for r in runs), 2),
                        "all_wall_s": [round(r["wall_s"], 2) for r in runs]}
                    print(models, throttle, rec["runs"][f"{models}@{throttle:g}"], flush=True)
            rec["throttle_errors"] = knob.errors[:3]
            b.close()
    finally:
        server.shutdown()
    rec["server_cpu"] = server_cpu(x, Settings(family="notmiwae", preset="tiny", seed=0), answers.get("both"), repeats)
    slow = rec["runs"][f"notmiwae@{rate:g}"]
    rec["target"] = {"browser_s": TARGET_S, "server_cpu_s": SERVER_CPU_S,
                     "browser_met": bool(slow["workers_slowed"]) and slow["wall_s"] <= TARGET_S,
                     "server_met": rec["server_cpu"]["total_s"] <= SERVER_CPU_S}
    return rec


def report(rec: dict) -> str:
    names = {"notmiwae": "not-MIWAE", "both": "MIWAE + not-MIWAE"}
    lines = ["# Own-table mode: training in the visitor's browser\n",
             f"The weather table, {rec['rows']} rows x {rec['columns']} columns, {rec['holes']} empty cells; the "
             f"'{rec['preset']}' budget; median of {rec['repeats']} runs. Wait: from the worker's creation "
             "(TensorFlow.js loaded and started) to its answer; worker: its training and imputing alone.\n",
             "| models | throttle | workers slowed | backend | wait (s) | worker (s) |", "|---|---|---|---|---|---|"]
    for r in rec["runs"].values():
        lines.append(f"| {names[r['models']]} | {r['throttle']:g}x | {'yes' if r['workers_slowed'] else 'no'} | "
                     f"{r['backend']} | {r['wall_s']:.2f} | {r['worker_s']:.2f} |")
    c, t = rec["server_cpu"], rec["target"]
    slow = rec["runs"][f"notmiwae@{rec['rate']:g}"]
    lines += ["", f"Server CPU per training: {c['job_s']:.4f} s building the job, {c.get('answer_s', 0):.4f} s "
              f"checking the answer, {c.get('total_s', c['job_s']):.4f} s in all (bar {t['server_cpu_s']:g} s: "
              f"{'met' if t['server_met'] else 'missed'}).",
              f"not-MIWAE at {rec['rate']:g}x: {slow['wall_s']:.2f} s (bar "
              f"{t['browser_s']:g} s: {'met' if t['browser_met'] else 'missed'}).", "", machine_line(rec["machine"])]
    if rec.get("throttle_errors"):
        lines.append(f"\nWorkers not slowed: {rec['throttle_errors'][0]}")
    return "\n".join(lines) + "\n"


def options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--rows", type=int, default=500)
    p.add_argument("--rate", type=float, default=4.0)
    p.add_argument("--repeats", type=int, default=3)


def run(a: argparse.Namespace) -> dict:
    return measure(a.rows, a.rate, a.repeats)


BENCH = bench(run, report, options=options)


if __name__ == "__main__":
    raise SystemExit(BENCH.main())
