"""The Critics retrain and the GAN training page's film in the visitor's browser (static/js/workers/toy_train.worker.js,
TensorFlow.js in a Web Worker), measured in chromium against a fresh server.

    python -m dgm_core bench browser_train [--seconds 10] [--students 30] [--skip-server-config]

- What a browser downloads of static/tfjs on a first visit and on a second (the Cache-Control it got).
- The Critics page's retrain at theta = 1 (the page's browser config, dgm_core.demos.critics.BROWSER): seconds from
  the click to the worker's end, unthrottled and with chromium's CPU throttling at 4x (the DevTools protocol's
  Emulation.setCPUThrottlingRate on the page), and the longest main-thread task meanwhile (PerformanceObserver
  'longtask': tasks over 50 ms, until the worker's end). Throttling goes to the page (CDP) and to chromium's
  processes (a cgroup quota, ``benchmarks.common.slow_browser``): CDP's command slows only the main thread, and
  sent to a worker target it does not slow the worker either. Also the worker alone on the
  server's own config (LIVE: 128 units, batch 256), unthrottled.
- The GAN page's Play on its default setting with ``students - 1`` other sessions on the server (protocol-level
  clients rerunning the GAN page every 2 s): generator steps shown per second (the panel's data-step, counted from
  outside), pictures drawn per second, the longest main-thread task.

Beside them, the server path's figures from benchmarks/results/critics.json and gan_live.json. Writes
benchmarks/results/browser_train.{json,md}. Needs no data directory.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import threading
import time

from benchmarks.harness import RESULTS, bench
from benchmarks.common import CHROMIUM_ARGS, machine_line, slow_browser, streamlit_server

THETA = 1.0
BAR_RETRAIN_S, GOAL_RETRAIN_S = 2.0, 0.5  # the retrain throttled 4x
BAR_STEPS, GOAL_STEPS = 30, 60  # GAN steps shown a second with 30 students
BAR_TASK_MS, GOAL_TASK_MS = 100, 50  # the longest main-thread task during a browser run
LONGTASKS = """() => { window.__long = [];
  new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__long.push(e.duration); })
    .observe({type: 'longtask'}); }"""
WATCH = """root => {
  const seen = document.ganDraws = [];
  new MutationObserver(() => seen.push([performance.now(), Number(root.dataset.step)]))
    .observe(root, {attributes: true, attributeFilter: ['data-step']});
}"""
# the worker alone, as the parity tests start it: a retrain of both critics with the given config
WORKER_RETRAIN = """async ([src, runtime, cfg, theta]) => {
  const abs = Object.fromEntries(Object.entries(runtime).map(([k, v]) => [k, new URL(v, location.origin + '/').href]));
  const w = new Worker(new URL(src, location.origin + '/'), {type: 'module'});
  const next = () => new Promise((resolve) => {
    w.onmessage = (e) => { if (e.data.type !== 'progress') resolve(e.data); };
  });
  w.postMessage({cmd: 'init', runtime: abs});
  const ready = await next();
  w.postMessage({cmd: 'retrain', theta, cfg, seed: 0});
  const done = await next();
  w.terminate();
  return {backend: ready.backend, seconds: done.result.seconds, final: done.result.final};
}"""


def _tfjs_bytes(page, url: str) -> dict:
    """Visit the GAN page (it loads the trainer at once) twice: what each visit fetched of static/tfjs (the worker's
    requests included), its status (304: revalidated, nothing downloaded), size and the Cache-Control it got."""
    seen: list = []
    page.on("requestfinished", lambda r: seen.append(r) if "/app/static/tfjs/" in r.url else None)
    out = {}
    for visit in ("first", "second"):
        seen.clear()
        page.goto(f"{url}/gan")
        page.locator(".gp[data-backend]").wait_for(timeout=180_000)
        page.wait_for_timeout(500)
        files = {}
        for r in seen:
            resp = r.response()
            files[r.url.rsplit("/", 1)[-1]] = {"status": resp.status, "bytes": r.sizes()["responseBodySize"],
                                               "cache_control": resp.headers.get("cache-control")}
        out[visit] = {"files": files, "bytes": sum(max(0, v["bytes"]) for v in files.values() if v["status"] == 200)}
    return out


class WorkerThrottle:
    """CPU throttling of the page's main thread (CDP's Emulation.setCPUThrottlingRate) and of its workers: chromium's
    processes held to 1 / rate of one core (``benchmarks.common.slow_browser``, a cgroup quota). CDP's throttling
    sent to a worker target, as this benchmark did before, leaves the worker at full speed (measured: a busy loop
    takes as long either way)."""

    def __init__(self, page):
        self.page_cdp = page.context.new_cdp_session(page)
        self.slowed: contextlib.AbstractContextManager | None = None
        self.errors: list[str] = []

    def rate(self, rate: float) -> int:
        """Throttle the page's main thread and chromium's processes; -> 1 if the workers are slowed, else 0."""
        self.page_cdp.send("Emulation.setCPUThrottlingRate", {"rate": rate})
        if self.slowed is not None:
            self.slowed.__exit__(None, None, None)
            self.slowed = None
        if rate == 1:
            return 0
        try:
            cm = slow_browser(rate)
            cm.__enter__()
            self.slowed = cm
        except RuntimeError as e:  # no writable cgroup: said in the record
            self.errors.append(str(e)[:200])
            return 0
        return 1


# at the worker's end (the panel's data-seconds appears), the longest main-thread task so far: the page's own
# rerun that draws the result comes after, and is not the training's
AT_DONE = """root => { window.__atDone = null;
  new MutationObserver(() => { if (root.dataset.seconds && window.__atDone === null)
    window.__atDone = Math.max(0, ...window.__long); }).observe(root, {attributes: true}); }"""


def _retrain(page, throttle: float, knob: WorkerThrottle) -> dict:
    root = page.locator(".cr").first
    root.evaluate("e => { delete e.dataset.seconds; }")
    page.evaluate(LONGTASKS)
    root.evaluate(AT_DONE)
    button = page.get_by_role("button", name=f"Retrain both critics at θ = {THETA:g}")
    button.scroll_into_view_if_needed()
    workers = knob.rate(throttle)
    t0 = time.perf_counter()
    button.click()
    if throttle != 1 and not workers:  # the worker starts on the first click: throttle it as soon as it is there
        page.wait_for_timeout(300)
        workers = knob.rate(throttle)
    page.locator(".cr[data-seconds]").wait_for(timeout=900_000)
    wall = time.perf_counter() - t0
    worker_s = float(root.get_attribute("data-seconds"))
    longest = page.evaluate("() => window.__atDone")
    knob.rate(1)
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(timeout=120_000)
    return {"throttle": throttle, "workers_throttled": workers, "click_to_done_s": round(wall, 2),
            "worker_s": round(worker_s, 2), "longest_task_ms": round(longest or 0.0, 1)}


def _others(url: str, n: int, stop: threading.Event, out: dict) -> threading.Thread:
    """``n`` protocol-level sessions on the GAN page, each rerunning it every 2 s until ``stop``."""
    from benchmarks.class_load import LightSession

    async def student(i: int) -> None:
        rec = {"exceptions": [], "console_errors": []}
        async with LightSession(url, rec) as s:
            await s.rerun("")
            await s.rerun("gan")
            while not stop.is_set():
                t0 = time.monotonic()
                await s.rerun("gan")
                out["reruns"].append(time.monotonic() - t0)
                await asyncio.sleep(2)
        out["exceptions"] += rec["exceptions"]

    def run() -> None:
        async def all_of_them() -> None:
            await asyncio.gather(*(student(i) for i in range(n)), return_exceptions=True)
        asyncio.run(all_of_them())

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


def _gan(page, url: str, seconds: float, others: int) -> dict:
    stop, load = threading.Event(), {"reruns": [], "exceptions": []}
    thread = _others(url, others, stop, load) if others else None
    try:
        time.sleep(5 if others else 0)  # the other sessions open their pages first
        page.goto(f"{url}/gan")
        page.locator(".gp[data-backend]").wait_for(timeout=180_000)
        page.locator(".gp .title").filter(has_text="step 0").first.wait_for(timeout=120_000)
        page.locator(".gp").first.evaluate(WATCH)
        page.evaluate(LONGTASKS)
        page.get_by_role("button", name="Play", exact=True).click()
        page.wait_for_function("() => document.ganDraws.length > 0", timeout=120_000)
        time.sleep(seconds)
        draws = page.evaluate("() => document.ganDraws.slice()")
        longest = max(page.evaluate("() => window.__long"), default=0.0)
        pause = page.get_by_role("button", name="Pause", exact=True)
        if pause.count():  # a Play (a fixed number of steps) may have ended within the measured seconds
            pause.click()
    finally:
        stop.set()
        if thread:
            thread.join(30)
    span = (draws[-1][0] - draws[0][0]) / 1000
    reruns = sorted(load["reruns"])
    return {"students": others + 1, "seconds": round(span, 2), "pictures": len(draws),
            "steps": draws[-1][1] - draws[0][1], "steps_per_s": round((draws[-1][1] - draws[0][1]) / span, 2),
            "pictures_per_s": round((len(draws) - 1) / span, 2), "longest_task_ms": round(longest, 1),
            "other_sessions_reruns": len(reruns),
            "other_sessions_rerun_median_s": round(reruns[len(reruns) // 2], 3) if reruns else None,
            "other_sessions_exceptions": load["exceptions"][:5]}


def _baseline() -> dict:
    out = {}
    crit, gan = RESULTS / "critics.json", RESULTS / "gan_live.json"
    if crit.exists():
        live = json.loads(crit.read_text())["live_retrain"]
        out["server_retrain_s"] = round(sum(live["seconds"].values()), 2)
        out["server_retrain_config"] = live["config"]
    if gan.exists():
        g = json.loads(gan.read_text())
        out["server_gan_steps_per_s"] = g["browser"]["settled"]["steps_per_s"]
        out["server_gan_date"] = g["machine"]["date"]
    return out


def measure(seconds: float, students: int, server_config: bool) -> dict:
    from playwright.sync_api import sync_playwright

    from dgm_core.demos import critics as demo
    from ui.trainer import WORKER_URL, trainer_runtime

    env = {k: v for k, v in os.environ.items() if k != "DGM_DATA_DIR"}
    with streamlit_server(env) as (url, _), sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        ctx = b.new_context(viewport={"width": 1280, "height": 720})
        page = ctx.new_page()
        rec = {"download": _tfjs_bytes(page, url)}
        knob = WorkerThrottle(page)
        page.goto(f"{url}/critics?critics_theta={THETA:g}")
        page.locator(".cr").first.wait_for(timeout=180_000)
        page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(timeout=120_000)
        rec["retrain"] = [_retrain(page, 1, knob), _retrain(page, 4, knob)]
        rec["worker_throttle_errors"] = knob.errors[:3]
        rec["retrain_config"] = demo.config_dict(demo.BROWSER)
        if server_config:
            page.goto(f"{url}/app/static/tfjs/VENDOR.json")
            rec["retrain_server_config"] = {**page.evaluate(WORKER_RETRAIN, [WORKER_URL, trainer_runtime(),
                                                                             demo.config_dict(demo.LIVE), THETA]),
                                            "config": demo.config_dict(demo.LIVE)}
        rec["gan_alone"] = _gan(page, url, seconds, 0)
        rec["gan_class"] = _gan(page, url, seconds, students - 1)
        b.close()
    return rec


def report(rec: dict) -> str:
    d, r, base = rec["download"], rec["retrain"], rec["baseline"]
    cfg = rec["retrain_config"]
    first = ", ".join(f"{n} {v['bytes'] / 1000:.0f} kB" for n, v in d["first"]["files"].items())
    cache = {v["cache_control"] for v in d["first"]["files"].values()}
    second = ", ".join(f"{n} {v['status']}" for n, v in d["second"]["files"].items())
    lines = [
        "# Training in the browser: the Critics retrain and the GAN film (TensorFlow.js in a Web Worker)", "",
        f"Downloads of static/tfjs: first visit {d['first']['bytes'] / 1e6:.2f} MB ({first}); second visit "
        f"{d['second']['bytes'] / 1e6:.2f} MB downloaded again (statuses: {second or 'no request'}; 0 bytes: from the "
        f"browser's cache). Cache-Control received: {sorted(map(str, cache))}.", "",
        f"**Critics retrain at θ = {THETA:g}** (browser config: {cfg['depth']} hidden layers of {cfg['hidden']}, batch "
        f"{cfg['batch']}, {cfg['steps']} steps per critic, {cfg['eval_n']} evaluation points):",
    ]
    for x in r:
        lines.append(f"- CPU throttling {x['throttle']:g}x (the page and {x['workers_throttled']} worker(s)): "
                     f"{x['click_to_done_s']} s from the click to the end ({x['worker_s']} s in the worker); longest "
                     f"main-thread task until then {x['longest_task_ms']} ms.")
    lines.append(f"  Bar {BAR_RETRAIN_S:g} s (goal {GOAL_RETRAIN_S:g}) throttled 4x; main thread bar {BAR_TASK_MS} ms "
                 f"(goal {GOAL_TASK_MS}).")
    if "retrain_server_config" in rec:
        s = rec["retrain_server_config"]
        lines.append(f"- The worker alone on the server's config ({s['config']['hidden']} units, batch "
                     f"{s['config']['batch']}), unthrottled: {s['seconds']:.2f} s (backend {s['backend']}).")
    if "server_retrain_s" in base:
        lines.append(f"- Baseline, the server (torch, one thread, benchmarks/results/critics.json): "
                     f"{base['server_retrain_s']} s for both on its config.")
    lines.append("")
    for name, title in (("gan_alone", "alone on the server"), ("gan_class", "with other students on the server")):
        g = rec[name]
        lines.append(f"**GAN page, Play on the default setting, {g['students']} student(s)** ({title}): "
                     f"{g['steps_per_s']} generator steps shown per second, {g['pictures_per_s']} pictures per second "
                     f"over {g['seconds']} s; longest main-thread task {g['longest_task_ms']} ms"
                     + (f"; the other sessions' reruns: {g['other_sessions_reruns']}, median "
                        f"{g['other_sessions_rerun_median_s']} s" if g["students"] > 1 else "") + ".")
    lines.append(f"Bar {BAR_STEPS} steps per second with 30 students (goal {GOAL_STEPS}).")
    if "server_gan_steps_per_s" in base:
        lines.append(f"Baseline, the server training (benchmarks/results/gan_live.json, one student, "
                     f"{base['server_gan_date']}): {base['server_gan_steps_per_s']} steps per second.")
    lines += ["", "Throttling: Emulation.setCPUThrottlingRate on the page's main thread, and chromium's processes "
              "held to 1/rate of one core by a cgroup quota (what slows the worker). The GAN figures are "
              "unthrottled.", "",
              machine_line(rec["machine"])]
    return "\n".join(lines) + "\n"


def options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--seconds", type=float, default=10.0, help="seconds of Play measured")
    p.add_argument("--students", type=int, default=30, help="sessions on the server while the GAN plays")
    p.add_argument("--skip-server-config", action="store_true", help="no worker run on the server's critic config")


def run(a: argparse.Namespace) -> dict:
    rec = measure(a.seconds, a.students, not a.skip_server_config)
    rec.update({"baseline": _baseline(), "bars": {"retrain_throttled_s": [BAR_RETRAIN_S, GOAL_RETRAIN_S],
                                                   "gan_steps_per_s": [BAR_STEPS, GOAL_STEPS],
                                                   "longest_task_ms": [BAR_TASK_MS, GOAL_TASK_MS]}})
    return rec


BENCH = bench(run, report, options=options)


if __name__ == "__main__":
    raise SystemExit(BENCH.main())
