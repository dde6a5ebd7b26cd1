"""What the benchmarks share: where a timing was taken, and writing a results file pair."""
from __future__ import annotations

import contextlib
import json
import os
import platform
import statistics
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import torch



VECTOR_FLAGS = ("avx2", "fma", "avx512f", "avx512_bf16", "avx_vnni", "amx_tile")  # the kernels torch may choose


def cpu_model() -> str:
    """The processor's name and the vector instructions it offers of VECTOR_FLAGS (Linux: /proc/cpuinfo), "" where
    it cannot be read: results that hang on the last bits of float arithmetic differ between processors."""
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return ""
    name = next((line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")), "")
    flags = next((line.split(":", 1)[1].split() for line in lines if line.startswith("flags")), [])
    return " ".join([name, *(f for f in VECTOR_FLAGS if f in flags)]).strip()


# what makes a run take another processor's arithmetic on this one: torch's own kernels, MKL's (torch's matrix
# products) and OpenBLAS's (numpy's); each a documented switch of that library
KERNEL_SWITCHES = ("ATEN_CPU_CAPABILITY", "MKL_ENABLE_INSTRUCTIONS", "OPENBLAS_CORETYPE")


def kernels() -> str:
    """The vector kernels torch runs on (e.g. 'AVX512'), and any of KERNEL_SWITCHES set for this run."""
    forced = [f"{k}={os.environ[k]}" for k in KERNEL_SWITCHES if os.environ.get(k)]
    return " ".join([torch.backends.cpu.get_cpu_capability(), *forced])


def machine(load_at_start: tuple[float, ...]) -> dict:
    """Timings compare only on the same machine under the same load: the load average at the start shows
    what else was running; at the end it includes this run."""
    return {"platform": platform.platform(), "machine": platform.machine(), "python": platform.python_version(),
            "torch": torch.__version__, "cpu_count": os.cpu_count(), "cpu": cpu_model(), "kernels": kernels(),
            "load_average_at_start": [round(v, 2) for v in load_at_start],
            "load_average_at_end": [round(v, 2) for v in os.getloadavg()],
            "date": time.strftime("%Y-%m-%d %H:%M %Z")}


def machine_line(m: dict) -> str:
    """``machine()``'s record as a report's last line."""
    return (f"Machine: {m['platform']}, torch {m['torch']}, {m['cpu_count']} CPUs; load average (1 / 5 / 15 min) "
            f"{' / '.join(f'{v:g}' for v in m['load_average_at_start'])} at the start, "
            f"{' / '.join(f'{v:g}' for v in m['load_average_at_end'])} at the end; {m['date']}.")


def median_ms(fn, repeats: int = 5) -> float:
    """Median wall time of ``fn()`` over ``repeats`` calls, in milliseconds (0.1 ms)."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(1000 * (time.perf_counter() - t0))
    return round(statistics.median(times), 1)


def write_results(out: str | Path, name: str, record: dict, report: str) -> None:
    """``<out>/<name>.json`` (every figure) and ``<out>/<name>.md`` (the report), then print the report."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.json").write_text(json.dumps(record, indent=1) + "\n")
    (out / f"{name}.md").write_text(report)
    print(report)
    print(f"wrote {out / (name + '.json')} and {out / (name + '.md')}")


# chromium as the tests and benchmarks start it (no sandbox as root, no background network: none here)
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def app_commit(checkout: Path) -> str:
    """The short hash of ``checkout``'s HEAD: the app a measurement served."""
    return subprocess.run(["git", "-C", str(checkout), "rev-parse", "--short", "HEAD"], capture_output=True,
                          text=True).stdout.strip()


CPU_CGROUP = Path("/sys/fs/cgroup/cpu")  # cgroup v1's CPU controller, where this machine has one


def _descendants(pid: int) -> list[int]:
    """The processes under ``pid`` (children's children included), from /proc."""
    parents: dict[int, list[int]] = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                ppid = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            parents.setdefault(ppid, []).append(int(d.name))
    out, todo = [], [pid]
    while todo:
        kids = parents.get(todo.pop(), [])
        out += kids
        todo += kids
    return out


@contextlib.contextmanager
def slow_browser(rate: float) -> Iterator[str]:
    """Every chromium process this benchmark started, limited to 1 / ``rate`` of one core (a cgroup CPU quota) while
    inside; renderers the browser forks meanwhile inherit the limit. Chromium's own CPU throttling (CDP's
    ``Emulation.setCPUThrottlingRate``) slows the page's main thread only, not its Web Workers, where the samplers
    run. Harsher than a laptop whose every core is ``rate`` times slower: the browser's other threads (V8's garbage
    collector, its other processes) share the same fraction of one core instead of running beside the worker
    (measured: a busy loop in a worker is ``rate`` times slower, the samplers about twice that). Yields how the
    browser was slowed, or raises RuntimeError where this machine has no writable cgroup."""
    group = CPU_CGROUP / f"dgm-bench-{os.getpid()}"
    try:
        group.mkdir(exist_ok=True)
        period = int((group / "cpu.cfs_period_us").read_text())
        (group / "cpu.cfs_quota_us").write_text(str(int(period / rate)))
    except OSError as e:
        raise RuntimeError(f"no writable CPU cgroup here ({e})") from e
    pids = [p for p in _descendants(os.getpid()) if "chrom" in Path(f"/proc/{p}/comm").read_text(errors="replace")]
    for pid in pids:
        with contextlib.suppress(OSError):
            (group / "cgroup.procs").write_text(str(pid))
    try:
        yield f"chromium's processes held to 1/{rate:g} of one core (cgroup CPU quota)"
    finally:
        for pid in (group / "cgroup.procs").read_text().split():
            with contextlib.suppress(OSError):
                (CPU_CGROUP / "cgroup.procs").write_text(pid)
        with contextlib.suppress(OSError):
            group.rmdir()


# a small file of the app's origin: a page there can start a worker that loads the app's static files
ORIGIN_PAGE = "app/static/ort/VENDOR.json"
# start an inpainting worker (static/js/workers/inpaint.worker.js), run one job, collect its messages (typed arrays as
# plain lists)
WORKER_CALL = """async ([src, msg, keep]) => {
  const plain = (v) => (ArrayBuffer.isView(v) ? Array.from(v) : Array.isArray(v) ? v.map(plain)
    : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)])) : v);
  msg.base = location.origin + '/';
  const make = () => new Worker(new URL(src, location.origin + '/'), {type: 'module'});
  const w = keep ? (window.keptWorker = window.keptWorker || make()) : make();
  const out = {results: [], progress: [], ess: []};
  await new Promise((resolve) => {
    w.onmessage = ({data}) => {
      if (data.type === 'progress') {
        out.progress.push(data.fraction);
        if (data.ess !== undefined) out.ess.push(data.ess);  // a particle filter's, after each step
      }
      else if (data.type === 'result') out.results.push(plain(data.result));
      else { out.end = data; resolve(); }
    };
    w.onerror = (e) => { out.end = {type: 'error', message: e.message}; resolve(); };
    w.postMessage(msg);
  });
  if (!keep) w.terminate();
  return out;
}"""


def worker_job(page, app_url: str, src: str, msg: dict, keep: bool = False) -> dict:
    """Run ``msg`` in a fresh module worker of ``src`` (its URL in the app) on a page of the app at ``app_url``:
    {results, progress, ess (a particle filter's live effective sample sizes), end}. With ``keep``, in the page's
    one kept worker (its runtime and models loaded once, as a student's next Run finds them)."""
    if not page.url.startswith(app_url):
        page.goto(f"{app_url}/{ORIGIN_PAGE}")
    return page.evaluate(WORKER_CALL, [src, msg, keep])


@contextlib.contextmanager
def streamlit_server(env: dict | None = None, log: Path | None = None,
                     script: Path | str = "app.py", port: int | None = None) -> Iterator[tuple[str, subprocess.Popen]]:
    """`streamlit run app.py` (or another ``script``, from the repository's root) on a free local port (or ``port``:
    a server restarted where the last one was; no file watcher, the server's output appended to ``log``); yields its
    URL and process, stops it. The tests, the benchmarks and the screenshots all start it here."""
    if port is None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    out = open(log, "a") if log is not None else subprocess.DEVNULL
    server = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(script), "--server.headless", "true",
                               "--server.address", "127.0.0.1", "--server.port", str(port),
                               "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
                              cwd=Path(__file__).resolve().parents[1], env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 120
        while True:
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                    break
            except OSError:
                pass
            if server.poll() is not None or time.time() > deadline:
                raise RuntimeError("the Streamlit server did not start")
            time.sleep(0.5)
        yield url, server
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()


def checkpoint_model(r, path: Path) -> tuple[torch.nn.Module, dict]:
    """The model of recipe ``r``'s unfinished run (a WGAN's or a flow's) as it would ship from the checkpoint at
    ``path`` (``r.as_shipped``), and the checkpoint's steps and training seconds."""
    from dgm_core import pretrained, training  # here: the browser tests import this module without the models

    if not path.exists():
        raise SystemExit(f"No run is under way: {path} does not exist.")
    saved = torch.load(path, map_location="cpu", weights_only=True)
    if saved["recipe"] != r.key():
        raise SystemExit(f"{path} was written by another recipe than the one measured.")
    model = pretrained.build(r.family, r.config)
    model.load_state_dict(saved["state"]["model"])
    r.as_shipped(model, saved["state"]["ema"])
    return model.eval(), {"steps": int(saved["state"]["steps"]), "of": r.length,
                          "training_seconds": round(saved["seconds"], 1), "config": training.full_config(r)}


def progress_rows(previous: dict, config: dict, row: dict) -> list[dict]:
    """A progress file's rows with ``row`` added, by step: a row at the same step is replaced, and the rows of
    another recipe's run (another ``config``) are dropped."""
    kept = [r for r in previous.get("rows", []) if previous.get("config") == config and r["steps"] != row["steps"]]
    return sorted(kept + [row], key=lambda r: r["steps"])
