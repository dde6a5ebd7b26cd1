"""DGM Lab on one host past one process: N Streamlit replicas on loopback behind Debian's nginx.

    .venv/bin/python -m server.replicas --replicas 3 --port 8501 [--first-replica-port 8601] [--cpus 0,1]

Starts N ``streamlit run app.py`` replicas on 127.0.0.1 (ports from ``--first-replica-port``), all reading this
checkout's one ``pretrained/`` (no replica writes it) and sharing one cookie secret; waits until each answers
``/_stcore/health``; opens the app once on each (a first visit: the imports, and the warm-up of the pages'
default views, start before any student's, as a replica joins nginx only once it is warm); writes
``server/nginx.conf.template`` filled in to a run folder and starts nginx on ``--port`` (sticky sessions by a cookie
that names the replica, websocket upgrades, a passive health check); then polls every replica's health every few seconds
and restarts one that stops answering, until Ctrl-C or SIGTERM stops them all.
``--cpus`` pins the replicas and nginx (taskset's list), as ``bench class_load --replicas N`` pins them to its
server core. nginx runs as the calling user with its files under the run folder (no root needed).
"""
from __future__ import annotations

import argparse
import contextlib
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = Path(__file__).with_name("nginx.conf.template")
HEALTH = "/_stcore/health"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def healthy(url: str, timeout: float = 2.0) -> bool:
    try:
        return urllib.request.urlopen(url + HEALTH, timeout=timeout).read() == b"ok"
    except OSError:
        return False


def first_visit(url: str, timeout: float = 300) -> float:
    """Open the app's default page once, as a browser's first visit would (one websocket session, one script run),
    and wait until the run ends -> seconds it took. The replica's imports and its warm-up start here, not with the
    first student."""
    import asyncio

    import websockets
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    async def visit() -> None:
        async with websockets.connect(url.replace("http://", "ws://") + "/_stcore/stream", subprotocols=["streamlit"],
                                      max_size=None, open_timeout=60, ping_interval=None) as ws:
            back = BackMsg()
            back.rerun_script.page_name = ""
            await ws.send(back.SerializeToString())
            async for data in ws:
                msg = ForwardMsg()
                msg.ParseFromString(data)
                if msg.WhichOneof("type") == "script_finished":
                    return

    t0 = time.monotonic()
    asyncio.run(asyncio.wait_for(visit(), timeout))
    return time.monotonic() - t0


def max_upload_mb() -> int:
    """.streamlit/config.toml's server.maxUploadSize (MB), Streamlit's default 200 when it sets none."""
    import tomllib
    try:
        return int(tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())["server"]["maxUploadSize"])
    except (OSError, KeyError, ValueError):
        return 200


def render(ports: list[int], listen: str, run_dir: Path) -> str:
    """The nginx config for replicas on 127.0.0.1:``ports`` (replica i is named r<i+1> in the cookie)."""
    addr = [f"127.0.0.1:{p}" for p in ports]
    names = [f"r{i + 1}" for i in range(len(ports))]
    server = "        server {} max_fails=1 fail_timeout=10s{};"
    pinned = "\n".join(
        f"    upstream {n} {{\n"
        + "\n".join([server.format(a, "")] + [server.format(b, " backup") for b in addr if b != a])
        + "\n    }" for n, a in zip(names, addr))
    fields = {
        "RUN_DIR": str(run_dir), "LISTEN": listen, "MAX_BODY": f"{max_upload_mb() + 1}m",
        "ALL_SERVERS": "\n".join(server.format(a, "") for a in addr),
        "PINNED_UPSTREAMS": pinned,
        "COOKIE_MAP": "\n".join(f"        {n} {n};" for n in names),
        "ADDR_MAP": "\n".join(f'        "~(^|, ){re.escape(a)}$" {n};' for n, a in zip(names, addr)),
    }
    text = TEMPLATE.read_text()
    for k, v in fields.items():
        text = text.replace(f"@@{k}@@", v)
    return text


@dataclass
class Cluster:
    """What ``cluster`` started: the public URL, the replicas' URLs and processes, nginx's process."""

    url: str
    replica_urls: list[str]
    replicas: list[subprocess.Popen]
    nginx: subprocess.Popen
    run_dir: Path
    restarts: list[int] = field(default_factory=list)  # replica indices restarted by ``supervise``
    _start: object = None

    def pids(self) -> list[int]:
        return [self.nginx.pid, *(r.pid for r in self.replicas)]

    def supervise(self, once: bool = False, every_s: float = 5.0) -> None:
        """Restart a replica that has exited or stopped answering its health check (twice in a row)."""
        misses = [0] * len(self.replicas)
        while True:
            for i, (url, proc) in enumerate(zip(self.replica_urls, self.replicas)):
                misses[i] = 0 if proc.poll() is None and healthy(url, timeout=5) else misses[i] + 1
                if misses[i] >= 2 or proc.poll() is not None:
                    print(f"replica r{i + 1} ({url}) is down: restarting it", file=sys.stderr, flush=True)
                    stop(proc)
                    self.replicas[i] = self._start(i)
                    deadline = time.time() + 180
                    while not healthy(url) and time.time() < deadline and self.replicas[i].poll() is None:
                        time.sleep(0.5)
                    with contextlib.suppress(Exception):
                        first_visit(url)
                    self.restarts.append(i)
                    misses[i] = 0
            if once:
                return
            time.sleep(every_s)


def stop(proc: subprocess.Popen, timeout: float = 15) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextlib.contextmanager
def cluster(replicas: int = 2, port: int | None = None, first_replica_port: int | None = None,
            cpus: set[int] | None = None, env: dict | None = None, log: Path | None = None,
            app_dir: Path = ROOT, startup_s: float = 180, warm: bool = True) -> Iterator[Cluster]:
    """nginx on 127.0.0.1:``port`` in front of ``replicas`` app replicas (free ports where none are given), each
    process pinned to ``cpus`` when given; yields a ``Cluster`` once nginx and every replica answer (and, ``warm``,
    each had its ``first_visit``), stops them all."""
    if not Path(NGINX).exists():
        raise RuntimeError("nginx is not installed (Debian: apt-get install -y nginx)")
    env = dict(os.environ if env is None else env)
    env.setdefault("STREAMLIT_SERVER_COOKIE_SECRET", secrets.token_hex(32))  # one secret for every replica
    ports = ([first_replica_port + i for i in range(replicas)] if first_replica_port else
             [free_port() for _ in range(replicas)])
    port = port or free_port()
    out = open(log, "a") if log is not None else subprocess.DEVNULL
    pin = (lambda: os.sched_setaffinity(0, cpus)) if cpus else None

    def start(i: int) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
             "--server.address", "127.0.0.1", "--server.port", str(ports[i]), "--browser.gatherUsageStats", "false",
             "--server.fileWatcherType", "none"],
            cwd=app_dir, env=env, stdout=out, stderr=subprocess.STDOUT, preexec_fn=pin)

    run_dir = Path(tempfile.mkdtemp(prefix="dgm-nginx-"))
    procs: list[subprocess.Popen] = []
    nginx = None
    try:
        procs += [start(i) for i in range(replicas)]
        urls = [f"http://127.0.0.1:{p}" for p in ports]
        deadline = time.time() + startup_s
        for url, proc in zip(urls, procs):
            while not healthy(url):
                if proc.poll() is not None or time.time() > deadline:
                    raise RuntimeError(f"the replica at {url} did not start (exit code {proc.poll()})")
                time.sleep(0.2)
        if warm:
            for url in urls:
                first_visit(url)
        conf = run_dir / "nginx.conf"
        conf.write_text(render(ports, f"127.0.0.1:{port}", run_dir))
        nginx = subprocess.Popen([NGINX, "-p", str(run_dir), "-c", str(conf), "-e", str(run_dir / "error.log")],
                                 stdout=out, stderr=subprocess.STDOUT, preexec_fn=pin)
        url = f"http://127.0.0.1:{port}"
        while not healthy(url):
            if nginx.poll() is not None or time.time() > deadline:
                raise RuntimeError(f"nginx did not start: {(run_dir / 'error.log').read_text()[-2000:]}")
            time.sleep(0.1)
        c = Cluster(url, urls, procs, nginx, run_dir)
        c._start = start
        yield c
        procs = c.replicas  # a restarted replica replaced its predecessor
    finally:
        for p in ([nginx] if nginx else []) + procs:
            stop(p)
        if log is not None:
            out.close()
        shutil.rmtree(run_dir, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m server.replicas", description=__doc__.split("\n\n")[0])
    p.add_argument("--replicas", type=int, default=2)
    p.add_argument("--port", type=int, default=8501, help="nginx's port, the one visitors open")
    p.add_argument("--first-replica-port", type=int, default=8601)
    p.add_argument("--cpus", default=None, help="pin every process to these cores (e.g. 0 or 0,1)")
    p.add_argument("--cold", action="store_true", help="no first visit: a replica's imports and warm-up wait for "
                                                       "its first visitor")
    a = p.parse_args(argv)
    cpus = {int(c) for c in a.cpus.split(",")} if a.cpus else None
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with cluster(a.replicas, a.port, a.first_replica_port, cpus, warm=not a.cold) as c:
        print(f"DGM Lab on {c.url} ({a.replicas} replicas: {', '.join(c.replica_urls)})", flush=True)
        try:
            c.supervise()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
