"""A student's own inpainting run in their browser: how long it takes there, whether the page stays responsive, and
what it still costs the server.

    python -m dgm_core bench browser_inpaint [--repeats 2] [--throttle 4] [--runs 3]

1. In the worker. In chromium against a fresh server of the app: each data set's default settings on the page and
   the default methods the browser runs (the exact sampler with HMC z-moves, pseudo-Gibbs, MIWAE, DMFA and MFA where
   trained, the neighbour fill; and, where a flow model is shipped, the flow inpainter alone and its twisted particle
   filter alone)
   on an image drawn by the shipped VAE (no data set needed: a binarised sample for MNIST and Omniglot, a decoder
   mean for CelebA) with the page's default mask (the bottom half), run by static/js/workers/inpaint.worker.js in a Web
   Worker as ui.browser_inpaint.browser_run starts it (a fresh worker per run, onnxruntime-web from static/ort, the ONNX
   files from static/models), ``repeats`` times without throttling and ``repeats`` times ``throttle``
   times slower (a slower laptop): chromium's processes held to 1 / ``throttle`` of one core by a cgroup CPU quota
   (``benchmarks.common.slow_browser``), the page's main thread also by CDP's ``Emulation.setCPUThrottlingRate``,
   which alone does not reach a Web Worker. Each run: the wall time from posting the
   job to its last result, the worker's own time per method, and the longest task on the page's main thread
   meanwhile (PerformanceObserver 'longtask': only tasks over 50 ms are reported, so 0 means none was). For scale,
   the server's time for the same methods (dgm_core, one torch thread, the app's setting) is measured beside it.
2. On the server. The Inpainting page itself in chromium, a mask nobody asked for before (random rectangles with a
   fresh mask seed, so no shared result answers it), its Run pressed ``runs`` times per data set, "in this browser"
   and "on the server": the server process's CPU seconds (/proc: user + system, every thread) from the click to the
   results shown, which count the page's reruns, the server's share (DMFA, MFA) and turning the browser's results
   into the page's; and the wall time. The server runs without its start-up warm-up (DGM_WARMUP=0), each data
   set's models loaded by one Run before the counted ones.

3. A Settings change before Run (``--settings-only [--label L] [--app-dir DIR]``, kept beside the other parts, one
   record per label; ``--app-dir``: another checkout's app, an earlier version to compare): on the Inpainting page
   each Settings control changed in turn as a student does, the server's CPU from the change until the page is idle
   (less its idle upkeep) and the reruns the page asked the server for; for scale, one change that reruns, before
   a Run and with its results shown; then a student's first Run from a browser with nothing cached (``first_runs``:
   the runtime's and the models' files fetched from the server).

Writes benchmarks/results/browser_inpaint.{json,md}. Needs no data directory.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import time
from pathlib import Path

import torch

from benchmarks.common import (CHROMIUM_ARGS, ORIGIN_PAGE, machine_line, slow_browser, streamlit_server)
from benchmarks.harness import BenchError, bench, stamp
from dgm_core import masks, pretrained
from dgm_core.demos import inpainting
from dgm_core.device import generator
from server.manifest import module_url
from dgm_core.samplers.diagnostics import tracked_pixels
from server.inpaint_job import RUNTIME, SETTINGS, WORKER_URL, browser_methods, model_specs

DATASETS = ("mnist", "omniglot", "celeba")

# run one job in a fresh worker, timing it and watching the main thread's long tasks
RUN = """async ([src, msg, kit]) => {
  msg.base = location.origin + '/';
  const { sent } = await import(new URL(kit.own, location.origin + '/'));
  const { plain } = await import(new URL(kit.typed, location.origin + '/'));
  const results = [];
  const longest = { ms: 0, count: 0 };
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) { longest.ms = Math.max(longest.ms, e.duration); longest.count += 1; }
  });
  obs.observe({ type: 'longtask', buffered: false });
  const t0 = performance.now();
  const w = new Worker(new URL(src, location.origin + '/'), {type: 'module'});
  const seconds = {}; let error = null;
  await new Promise((resolve) => {
    w.onmessage = ({ data }) => {
      if (data.type === 'result') { seconds[data.result.method] = data.result.seconds; results.push(data.result); }
      else if (data.type === 'done' || data.type === 'error') { error = data.message || null; resolve(); }
    };
    w.onerror = (e) => { error = e.message; resolve(); };
    w.postMessage(msg);
  });
  const wall = (performance.now() - t0) / 1000;
  w.terminate();
  await new Promise((r) => setTimeout(r, 100));  // the observer's last entries
  obs.disconnect();
  // the answer as the panel sends it (the snapshots kept here), and as it would be with everything
  const size = (f) => JSON.stringify({ job: msg.id || 'job', seconds: wall, results: results.map(f) }).length;
  return { wall_s: wall, method_s: seconds, longest_task_ms: longest.ms, long_tasks: longest.count, error,
    answer_chars: size(sent), whole_chars: size(plain) };
}"""
# the panel's own modules, for the answer's size as it sends it
KIT = {"own": module_url("kit/own_runs.js"), "typed": module_url("kit/typed_json.js")}


def image(dataset: str) -> torch.Tensor:
    """An image the shipped VAE draws: (C, H, W) in [0, 1], binary where the data set is."""
    vae, _ = pretrained.load(f"vae-{dataset}")
    with torch.no_grad():
        if inpainting.BINARY[dataset]:
            return (vae.sample(1, generator(3))[0] > 0.5).float()
        return vae.mean(vae.decode(torch.randn(1, vae.cfg.latent, generator=generator(3))))[0]


def job(dataset: str, methods: list[str] | None = None) -> tuple[dict, torch.Tensor, torch.Tensor, inpainting.Settings]:
    """The worker's message for the data set's default run (or ``methods`` with the default settings), as
    browser_run builds it, and its inputs."""
    x = image(dataset)
    side = x.shape[-1]
    mask = masks.preset(inpainting.CONTROLS["preset"].default, (side, side))
    s = inpainting.default_settings(dataset)
    methods = methods or [m for m in inpainting.DEFAULT_METHODS if m in browser_methods(dataset)]
    track = tracked_pixels(mask.view(1, 1, side, side), tuple(x.shape))[0]
    msg = {"cmd": "run", "id": "bench", "runtime": RUNTIME, "models": model_specs(dataset),
           "image": x.reshape(-1).tolist(), "mask": mask.reshape(-1).int().tolist(), "shape": list(x.shape),
           "methods": methods, "settings": {f: getattr(s, f) for f in SETTINGS},
           "binary": inpainting.BINARY[dataset], "track": track.tolist()}
    return msg, x, mask, s


def cpu_s(pid: int) -> float:
    """A process's user + system CPU seconds so far, all its threads."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def in_browser(page, cdp, msgs: dict[str, dict], repeats: int, throttle: float) -> list[dict]:
    page.goto(page.url.split("/app/")[0] + f"/{ORIGIN_PAGE}")
    runs = []
    for dataset, msg in msgs.items():
        for rate in (1, throttle):
            cdp.send("Emulation.setCPUThrottlingRate", {"rate": rate})  # the page's main thread
            with slow_browser(rate) if rate != 1 else contextlib.nullcontext("not slowed"):  # the worker too
                for i in range(repeats):
                    out = page.evaluate(RUN, [WORKER_URL, msg, KIT])
                    if out["error"]:
                        raise RuntimeError(f"the browser's run stopped: {out['error']}")
                    runs.append({"dataset": dataset, "throttle": rate, "repeat": i, **out})
                    print(runs[-1], flush=True)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": 1})
    return runs


def server_cost(page, url: str, pid: int, runs: int) -> list[dict]:
    """The Inpainting page's Run on a fresh own mask, in this browser and on the server: the server's CPU seconds
    and the wall time from the click to the results shown."""
    from playwright.sync_api import expect

    from benchmarks.fixtures import wait_for_app

    out, seed = [], 1000
    for dataset in DATASETS:
        for where in ("browser", "server"):
            for i in range(runs + 1):  # the first loads the data set's models: not counted
                seed += 1
                page.goto(f"{url}/inpainting?inp_ds={dataset}&inp_preset=rectangles&inp_mseed={seed}&inp_where={where}")
                wait_for_app(page, timeout=120_000)
                c0, t0 = cpu_s(pid), time.monotonic()
                page.get_by_role("button", name="Run").click()
                # a fresh session (a page load) has no results before its own
                expect(page.get_by_role("heading", name="Results")).to_be_visible(timeout=300_000)
                wait_for_app(page, timeout=300_000)
                rec = {"dataset": dataset, "where": where, "repeat": i, "counted": i > 0,
                       "server_cpu_s": round(cpu_s(pid) - c0, 3), "wall_s": round(time.monotonic() - t0, 2)}
                out.append(rec)
                print(rec, flush=True)
    return out


# each Settings control of the page gets a value other than its default (the page reads them when Run is pressed):
# the nine the page had before issue 56, so that an earlier checkout (--app-dir) is measured on the same changes
NEW_SETTINGS = {"steps": 150, "chains": 3, "burn": 30, "ns": 200, "init": "zeros", "warm": 2, "seed": 7,
                "kernel": "pcn", "fsteps": 12}
IDLE_S = 4.0  # the idle server's CPU is read over this long before the changes


def reruns_asked(page) -> list[str]:
    """A list that grows by one entry per rerun the page asks of the server (the BackMsgs it sends)."""
    from streamlit.proto.BackMsg_pb2 import BackMsg

    asked: list[str] = []

    def sent(payload) -> None:
        if isinstance(payload, bytes):
            msg = BackMsg()
            msg.ParseFromString(payload)
            if msg.WhichOneof("type") == "rerun_script":
                asked.append(msg.rerun_script.page_script_hash)

    page.on("websocket", lambda ws: ws.on("framesent", sent))
    return asked


def set_control(page, c, value) -> None:
    """Give the page's widget of control ``c`` (a number or a select) ``value`` as a student does: typed and Enter,
    or its select opened and the option picked by its name (a list that closed under the click is opened again)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    from dgm_core.controls import name

    if c.kind == "number":
        box = page.get_by_label(c.label, exact=True)
        box.fill(str(value))
        box.press("Enter")
        return
    box, option = page.get_by_role("combobox", name=c.label), page.get_by_role("option", name=name(c, value),
                                                                                exact=True)
    for _ in range(3):
        box.scroll_into_view_if_needed()
        box.click()
        try:
            option.click(timeout=10_000)
            return
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
    raise AssertionError(f"the option {name(c, value)!r} of {c.label} did not open")


def settings_cost(page, url: str, pid: int) -> dict:
    """The Inpainting page (MNIST, its default image, random rectangles) in chromium: each of its Settings changed
    in turn, as a student does before Run, the server's CPU seconds from the change until the page is idle again
    (less the idle server's own upkeep over as long) and the reruns the page asked for; then, for scale, one change
    that does rerun the page (the mask seed, drawn on the page)."""
    from benchmarks.fixtures import wait_for_app

    c = inpainting.CONTROLS
    asked = reruns_asked(page)
    page.goto(f"{url}/inpainting?inp_preset=rectangles")  # a preset with a mask seed, for the rerun
    wait_for_app(page, timeout=120_000)
    page.get_by_text("Settings", exact=True).click()
    page.get_by_label(c["steps"].label, exact=True).wait_for()
    wait_for_app(page)
    c0 = cpu_s(pid)
    time.sleep(IDLE_S)
    idle = (cpu_s(pid) - c0) / IDLE_S

    def timed(change) -> dict:
        n, c0, t0 = len(asked), cpu_s(pid), time.monotonic()
        change()
        wait_for_app(page)
        window = time.monotonic() - t0
        return {"server_cpu_s": round(max(0.0, cpu_s(pid) - c0 - idle * window), 3), "window_s": round(window, 2),
                "reruns": len(asked) - n}

    def setter(key: str, value):
        return lambda: set_control(page, c[key], value)

    changes = {key: timed(setter(key, value)) for key, value in NEW_SETTINGS.items()}
    for key, rec in changes.items():
        print(key, rec, flush=True)
    rerun = timed(setter("mseed", 5))
    print("mask seed", rerun, flush=True)
    # the same change with a Run's results on the page (they go stale: still drawn, under a warning), as a student's
    # reruns after their first Run are: the median of three
    page.get_by_role("button", name="Run", exact=True).click()
    from playwright.sync_api import expect
    expect(page.get_by_role("heading", name="Results")).to_be_visible(timeout=300_000)
    wait_for_app(page, timeout=300_000)
    after = [timed(setter("mseed", seed)) for seed in (6, 7, 8)]
    print("mask seed, results shown", after, flush=True)
    return {"changes": changes, "idle_cpu_ms_per_s": round(1000 * idle, 2), "a_rerun": rerun,
            "a_rerun_with_results": {"server_cpu_s": statistics.median(r["server_cpu_s"] for r in after),
                                     "runs": after},
            "server_cpu_s_per_change_median": statistics.median(r["server_cpu_s"] for r in changes.values()),
            "reruns": sum(r["reruns"] for r in changes.values())}


def measure(msgs: dict[str, dict], repeats: int, throttle: float, runs: int) -> tuple[list[dict], list[dict]]:
    from playwright.sync_api import sync_playwright
    env = {**os.environ, "DGM_WARMUP": "0"}
    env.pop("DGM_DATA_DIR", None)  # the page's gallery of VAE samples, as on a fresh clone
    with streamlit_server(env=env) as (url, proc), sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 720})
        page = context.new_page()
        page.goto(f"{url}/{ORIGIN_PAGE}")
        worker = in_browser(page, context.new_cdp_session(page), msgs, repeats, throttle)
        server = server_cost(page, url, proc.pid, runs)
        browser.close()
    return worker, server


def on_server(x: torch.Tensor, mask: torch.Tensor, s: inpainting.Settings, dataset: str,
              methods: list[str]) -> dict[str, float]:
    """dgm_core's time for the same methods and settings, one torch thread."""
    torch.set_num_threads(1)
    out = {}
    for m in methods:
        family = inpainting.INPAINTING[m].family
        model = pretrained.load(f"{family}-{dataset}")[0] if family else None
        t0 = time.perf_counter()
        inpainting.run_method(m, model, x, mask, dataset=dataset, settings=s, truth=x)
        out[m] = round(time.perf_counter() - t0, 2)
    return out


def summary(runs: list[dict], dataset: str, rate: float) -> dict:
    rs = [r for r in runs if r["throttle"] == rate and r["dataset"] == dataset]
    return {"dataset": dataset, "throttle": rate, "wall_s_median": round(statistics.median(r["wall_s"] for r in rs), 2),
            "wall_s": [round(r["wall_s"], 2) for r in rs],
            "worker_s_median": {m: round(statistics.median(r["method_s"][m] for r in rs), 2)
                                for m in rs[0]["method_s"]},
            "longest_task_ms_max": round(max(r["longest_task_ms"] for r in rs), 1),
            "answer_mb": round(max(r["answer_chars"] for r in rs) / 1e6, 3),
            "answer_mb_with_snapshots": round(max(r["whole_chars"] for r in rs) / 1e6, 3),
            "long_tasks_max": max(r["long_tasks"] for r in rs)}


def cost_summary(server: list[dict], dataset: str, where: str) -> dict:
    rs = [r for r in server if r["dataset"] == dataset and r["where"] == where and r["counted"]]
    return {"dataset": dataset, "where": where, "runs": len(rs),
            "server_cpu_s_median": round(statistics.median(r["server_cpu_s"] for r in rs), 3),
            "server_cpu_s": [r["server_cpu_s"] for r in rs],
            "wall_s_median": round(statistics.median(r["wall_s"] for r in rs), 2)}


def report(rec: dict) -> str:
    lines = ["# Inpainting in the browser\n",
             "## In the worker: each data set's default run\n",
             f"The page's default methods that the browser runs ({', '.join(rec['methods']['mnist'])}), with each data "
             "set's default settings, on one image, in a Web Worker of chromium "
             f"({rec['chromium_runs_per_setting']} runs per setting, a fresh worker each).\n",
             "| data set | CPU | wall time, median (s) | runs (s) | longest main-thread task (ms) | long tasks "
             "| answer sent (MB; with the snapshots) |",
             "|---|---|---|---|---|---|---|"]
    for b in rec["browser"]:
        cpu = "unthrottled" if b["throttle"] == 1 else f"throttled {b['throttle']:g}×"
        answer = f"{b['answer_mb']} ({b['answer_mb_with_snapshots']})" if "answer_mb" in b else "not measured"
        lines.append(f"| {b['dataset']} | {cpu} | {b['wall_s_median']} | {', '.join(map(str, b['wall_s']))} | "
                     f"{b['longest_task_ms_max']} | {b['long_tasks_max']} | {answer} |")
    lines.append("\nPer method, in the worker (median s, unthrottled → throttled), and the server's dgm_core for the "
                 "same run (one torch thread):\n")
    for ds in rec["server_s"]:
        un, th = (b for b in rec["browser"] if b["dataset"] == ds)
        lines.append(f"- {ds}: " + "; ".join(
            f"{m} {un['worker_s_median'][m]} → {th['worker_s_median'][m]} (server {rec['server_s'][ds][m]})"
            for m in un["worker_s_median"]))
    rate = max(b["throttle"] for b in rec["browser"])
    lines += [f"\nThrottled: chromium's processes held to 1/{rate:g} of one core by a cgroup CPU quota (CDP's "
              "throttling, applied to the page too, does not reach a Web Worker). A long task is one over 50 ms on the "
              "page's main thread; 0 means none.\n",
              "## On the server: one own-mask Run of the Inpainting page\n",
              "A fresh mask (random rectangles, a new seed each Run), the page's default methods and settings; the "
              "server process's CPU seconds from the click to the results shown (page reruns included), median of "
              f"{rec['server_runs']} Runs after one that loads the models.\n",
              "| data set | computed | server CPU s, median | runs (s) | wall s, median |", "|---|---|---|---|---|"]
    for c in rec["server_cost"]:
        lines.append(f"| {c['dataset']} | {'in this browser' if c['where'] == 'browser' else 'on the server'} | "
                     f"{c['server_cpu_s_median']} | {', '.join(map(str, c['server_cpu_s']))} | {c['wall_s_median']} |")
    lines.append("\n" + machine_line(rec["machine"]))
    if costs := rec.get("settings_cost"):
        lines += ["\n## On the server: a Settings change before Run\n",
                  "The Inpainting page (MNIST, its default image, random rectangles) in chromium: each Settings "
                  "control changed in turn "
                  f"({', '.join(NEW_SETTINGS)}), the server's CPU seconds from the change until the page is idle "
                  "again, less the idle server's upkeep over as long, and the reruns the page asked the server for; "
                  "then, for scale, a change that reruns the page (the mask seed), before a Run and with a Run's "
                  "results on the page (median of three).\n",
                  "| record | app | server CPU s per change, median | reruns asked (of 9 changes) "
                  "| a rerun (mask seed), CPU s | with results shown, CPU s |", "|---|---|---|---|---|---|"]
        for label, s in costs.items():
            shown = s.get("a_rerun_with_results", {}).get("server_cpu_s", "not measured")
            lines.append(f"| {label} | {s['app_commit']} | {s['server_cpu_s_per_change_median']} | {s['reruns']} | "
                         f"{s['a_rerun']['server_cpu_s']} | {shown} |")
        firsts = {label: s["first_runs"] for label, s in costs.items() if "first_runs" in s}
        if firsts:
            lines += ["\nA student's first Run, in a browser with nothing cached (the runtime and the models fetched "
                      f"from the server), an own mask computed in the browser: the server's CPU seconds, {FIRST_RUNS} "
                      "students one after another.\n", "| record | data set | server CPU s, each student |",
                      "|---|---|---|"]
            lines += [f"| {label} | {ds} | {', '.join(map(str, r['server_cpu_s']))} |"
                      for label, f in firsts.items() for ds, r in f.items()]
        lines += [f"\n{label}: " + machine_line(s["machine"]) for label, s in costs.items()]
    return "\n".join(lines) + "\n"


FIRST_RUNS = 3  # students, each a browser with nothing cached, per data set


def first_runs(browser, url: str, pid: int) -> dict:
    """Each of FIRST_RUNS students opens the Inpainting page in a browser with nothing cached (a fresh context) and
    presses Run on an own mask, computed in their browser: the server's CPU seconds from the click to the results
    shown, the runtime's and the models' files fetched included (the first student's may include a one-time cost of
    the server's)."""
    from playwright.sync_api import expect

    from benchmarks.fixtures import wait_for_app

    out = {}
    for dataset in ("mnist", "celeba"):
        runs = []
        for i in range(FIRST_RUNS):
            context = browser.new_context(viewport={"width": 1280, "height": 720})
            page = context.new_page()
            page.goto(f"{url}/inpainting?inp_ds={dataset}&inp_preset=rectangles&inp_mseed={900 + i}&inp_where=browser")
            wait_for_app(page, timeout=120_000)
            c0 = cpu_s(pid)
            page.get_by_role("button", name="Run", exact=True).click()
            expect(page.get_by_role("heading", name="Results")).to_be_visible(timeout=300_000)
            wait_for_app(page, timeout=300_000)
            runs.append(round(cpu_s(pid) - c0, 3))
            context.close()
        print("first runs", dataset, runs, flush=True)
        out[dataset] = {"server_cpu_s": runs, "server_cpu_s_median": statistics.median(runs)}
    return out


def measure_settings(app_dir: Path) -> dict:
    """``settings_cost``, then ``first_runs``, on a fresh server of the checkout at ``app_dir`` (an earlier version of
    the app: compare)."""
    import subprocess

    from playwright.sync_api import sync_playwright

    from benchmarks.class_load import server_for

    env = {**os.environ, "DGM_WARMUP": "0"}
    env.pop("DGM_DATA_DIR", None)
    with server_for(app_dir)(env=env) as (url, proc), sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_context(viewport={"width": 1280, "height": 720}).new_page()
        out = settings_cost(page, url, proc.pid)
        out["first_runs"] = first_runs(browser, url, proc.pid)
        browser.close()
    commit = subprocess.run(["git", "-C", str(app_dir), "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    return {"app_commit": commit, **out}


def settings_only(a: argparse.Namespace) -> dict:
    """``--settings-only``: the settings' cost and a student's first Run alone (``measure_settings``), kept in the
    JSON beside the other parts' figures, one record per ``--label``."""
    if not a.previous:
        raise BenchError(f"--settings-only keeps its figures beside the rest: there is no browser_inpaint.json in "
                         f"{a.out}")
    got = measure_settings(Path(a.app_dir).resolve())
    got.update(stamp(a))
    a.previous.setdefault("settings_cost", {})[a.label] = got
    return a.previous


def options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--throttle", type=float, default=4.0)
    p.add_argument("--runs", type=int, default=3, help="counted Runs of the page per data set and place")
    p.add_argument("--settings-only", dest="settings_only", action="store_true",
                   help="measure only what changing the page's Settings and a student's first Run cost the server "
                        "(kept beside the rest)")
    p.add_argument("--label", default="final", help="--settings-only: the record's name (baseline, final)")
    p.add_argument("--app-dir", dest="app_dir", default=str(Path(__file__).resolve().parents[1]),
                   help="--settings-only: the checkout whose app to serve (default: this one)")


def run(a: argparse.Namespace) -> dict:
    if a.settings_only:
        return settings_only(a)
    jobs = {ds: job(ds) for ds in DATASETS}
    # the flow inpainter, offered beside the default methods where a flow model is shipped, on its own
    jobs.update({f"{ds} (flow)": job(ds, ["flow"]) for ds in DATASETS if "flow" in browser_methods(ds)})
    # and its twisted particle filter (the page's particles and Langevin moves), on its own too
    jobs.update({f"{ds} (twisted flow)": job(ds, ["flow_twisted"]) for ds in DATASETS
                 if "flow_twisted" in browser_methods(ds)})
    worker, server = measure({ds: j[0] for ds, j in jobs.items()}, a.repeats, a.throttle, a.runs)
    rec = {"settings": {ds: j[0]["settings"] for ds, j in jobs.items()},
           "methods": {ds: j[0]["methods"] for ds, j in jobs.items()},
           "image": "the shipped VAE's sample, seed 3 (binarised; CelebA: its decoder mean)",
           "mask": inpainting.CONTROLS["preset"].default, "chromium_runs_per_setting": a.repeats,
           "browser": [summary(worker, ds, rate) for ds in jobs for rate in (1, a.throttle)], "runs": worker,
           "server_s": {ds: on_server(j[1], j[2], j[3], ds.split(" ")[0], j[0]["methods"]) for ds, j in jobs.items()},
           "server_runs": a.runs,
           "server_cost": [cost_summary(server, ds, w) for ds in DATASETS for w in ("browser", "server")],
           "server_cost_runs": server}
    if "settings_cost" in a.previous:  # --settings-only's records stay
        rec["settings_cost"] = a.previous["settings_cost"]
    return rec


BENCH = bench(run, report, options=options)


if __name__ == "__main__":
    raise SystemExit(BENCH.main())
