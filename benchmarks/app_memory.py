"""Memory and latency of the app as people meet it: a real server, real chromium sessions.

    python -m dgm_core bench app_memory [--users 5] [--cpu-torch PYTHON]

Starts `streamlit run app.py` (no file watcher, the app's own settings: one torch thread), then
1. visits every page once in chromium, waiting for each run to finish, and records the server's
   resident memory (RSS, the server and any child processes) after each visit and the load time;
2. opens ``--users`` browser sessions at once, each loading the inpainting page and pressing Run with
   its defaults, and records each session's time to the results and the server's RSS after.
Targets: <= 1.0 GB RSS after visiting every page, goal <= 690 MB (Streamlit Community Cloud's smallest
container). Also measures what `import torch` alone costs in this venv, and, with ``--cpu-torch``
pointing at the python of a venv holding the CPU-only torch wheel, what that build would save.

Writes benchmarks/results/app_memory.{json,md}. Uses DGM_DATA_DIR when set (as a deployment with data).
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from benchmarks.harness import bench
from benchmarks.common import CHROMIUM_ARGS, streamlit_server

ROOT = Path(__file__).resolve().parents[1]
TARGET_MB, GOAL_MB = 1000, 690
# VmRSS, not ru_maxrss: a child started by a process that already holds torch inherits its high-water mark
TORCH_PROBE = ("import torch; x = torch.randn(64, 64) @ torch.randn(64, 64); "
               "rss = open('/proc/self/status').read().split('VmRSS:')[1].split()[0]; "
               "print(int(rss) // 1024, torch.__version__)")


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, MB."""
    out = subprocess.run(["ps", "-o", "rss=", "--ppid", str(pid), "-p", str(pid)], capture_output=True, text=True)
    return round(sum(int(v) for v in out.stdout.split()) / 1024, 1)


def wait(page, timeout: float = 300_000) -> None:
    page.wait_for_timeout(200)
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(timeout=timeout)
    page.wait_for_function(
        "() => document.querySelectorAll('[data-testid=\"stStatusWidget\"]').length === 0", timeout=timeout)


def torch_import_mb(python: str) -> dict:
    out = subprocess.run([python, "-c", TORCH_PROBE], capture_output=True, text=True, check=True).stdout.split()
    return {"python": python, "max_rss_mb": int(out[0]), "torch": out[1]}


def options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--users", type=int, default=5)
    p.add_argument("--cpu-torch", default=None, help="python of a venv with the CPU-only torch build")


def run(a: argparse.Namespace) -> dict:
    from playwright.sync_api import sync_playwright

    from ui.catalog import PAGES

    rec: dict = {"data_dir_set": bool(os.environ.get("DGM_DATA_DIR")), "target_mb": TARGET_MB, "goal_mb": GOAL_MB}
    with streamlit_server() as (url, server):
        rec["rss_started_mb"] = rss_mb(server.pid)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            visits = []
            for info in PAGES:
                t0 = time.perf_counter()
                page.goto(f"{url}/{'' if info is PAGES[0] else info.url_path}")
                wait(page)
                visits.append({"page": info.url_path, "load_s": round(time.perf_counter() - t0, 2),
                               "rss_mb": rss_mb(server.pid)})
                print(visits[-1], flush=True)
            rec["visits"] = visits
            rec["rss_after_every_page_mb"] = visits[-1]["rss_mb"]
            page.close()

            browser.close()

        # several people at once, each in its own browser (playwright's sync API is per thread)
        results: list = []

        def user(i: int) -> None:
            with sync_playwright() as pw2:
                b = pw2.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
                try:
                    pg = b.new_page(viewport={"width": 1280, "height": 720})
                    t0 = time.perf_counter()
                    pg.goto(f"{url}/inpainting")
                    wait(pg)
                    t1 = time.perf_counter()
                    pg.get_by_role("button", name="Run").click()
                    pg.get_by_role("heading", name="Results").wait_for(timeout=300_000)
                    wait(pg)
                    results.append({"user": i, "load_s": round(t1 - t0, 2),
                                    "run_s": round(time.perf_counter() - t1, 2)})
                finally:
                    b.close()

        threads = [threading.Thread(target=user, args=(i,)) for i in range(a.users)]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        rec["concurrent"] = {"users": a.users, "sessions": sorted(results, key=lambda r: r["user"]),
                             "wall_s": round(time.perf_counter() - t0, 2), "rss_after_mb": rss_mb(server.pid)}
        print(rec["concurrent"], flush=True)
    rec["import_torch"] = {"this_venv": torch_import_mb(sys.executable)}
    if a.cpu_torch:
        rec["import_torch"]["cpu_only_build"] = torch_import_mb(a.cpu_torch)
        rec["import_torch"]["saved_mb"] = (rec["import_torch"]["this_venv"]["max_rss_mb"]
                                           - rec["import_torch"]["cpu_only_build"]["max_rss_mb"])
    return rec


def report(rec: dict) -> str:
    c = rec["concurrent"]
    lines = ["# The app's memory and latency, in a real browser", "", f"Command: `{rec['command']}`"
             + (" (with DGM_DATA_DIR set)" if rec["data_dir_set"] else " (no data directory)"), "",
             f"Server RSS after start: {rec['rss_started_mb']} MB.", "",
             "| page visited (in order) | load (s) | server RSS after (MB) |", "|---|---|---|"]
    lines += [f"| {v['page']} | {v['load_s']} | {v['rss_mb']} |" for v in rec["visits"]]
    verdict = ("meets the goal" if rec["rss_after_every_page_mb"] <= rec["goal_mb"] else
               "meets the target, not the goal" if rec["rss_after_every_page_mb"] <= rec["target_mb"] else
               "misses the target")
    lines += ["", f"**After every page: {rec['rss_after_every_page_mb']} MB** (target {rec['target_mb']} MB, goal "
              f"{rec['goal_mb']} MB): {verdict}.", "",
              f"{c['users']} sessions at once, each loading the inpainting page and pressing Run (all methods, "
              f"defaults): wall {c['wall_s']} s; server RSS after {c['rss_after_mb']} MB.", "",
              "| session | page load (s) | Run to results (s) |", "|---|---|---|"]
    lines += [f"| {r['user']} | {r['load_s']} | {r['run_s']} |" for r in c["sessions"]]
    t = rec["import_torch"]
    lines += ["", f"`import torch` and one matmul: {t['this_venv']['max_rss_mb']} MB (torch {t['this_venv']['torch']})"]
    if "cpu_only_build" in t:
        lines[-1] += (f"; the CPU-only build (torch {t['cpu_only_build']['torch']}): "
                      f"{t['cpu_only_build']['max_rss_mb']} MB, {t['saved_mb']} MB less")
    m = rec["machine"]
    lines += ["", f"Machine: {m['platform']}, {m['cpu_count']} CPUs, load average {m['load_average_at_start']} at "
              f"the start; {m['date']}.", ""]
    return "\n".join(lines)


BENCH = bench(run, report, options=options)


if __name__ == "__main__":
    raise SystemExit(BENCH.main())
