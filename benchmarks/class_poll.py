"""A class answering a poll on their phones: real HTTP on loopback against `streamlit run app.py` (the poll routes of
server/poll_routes.py, the store of server/poll.py).

    python -m dgm_core bench class_poll [--phones 100,300] [--restart 300] [--window 10]

The server runs under `taskset -c 0` (DGM_WARMUP=0: no page warm-up competing for that core) with a fresh poll folder;
this process plays the phones on core 1 (asyncio, keep-alive HTTP/1.1 connections, two a phone as a browser opens).
A run: the lecturer opens a room (in process, as the app's Present does: no request opens one) and a four-option
question; every phone loads the join page and its script, joins (its token from the server) and starts long-polling
the state, as the page does; then within ``--window`` seconds each phone answers at a random moment, and
one in five changes its answer a second later; a projector long-polls the answer count throughout. Measured: each
answer's latency (from sending it to its receipt), answers counted against answers sent (the tally after the lock
against each phone's last receipt), the server's CPU per answer (its /proc/<pid>/stat, utime + stime, over the answer
window, every request of that window included: ``cpu_ms_per_answer_all``; and less what the same server spends over
as long with every long poll held and no answer, read over ``IDLE_S`` before the window: ``cpu_ms_per_answer``, what
an answer adds, the figure held to the bar), the time from sending the last answer (one more phone's, after the
others) to the projector's long poll showing it counted, and the time from the lock until every phone's long
poll has shown it. With ``--restart N``: a run of N phones in which the server is stopped and started again halfway
through the window (same folder, same port); a phone whose answer fails sends it again every 0.25 s, as a student
taps again. Bars (the issue's): p95 <= 200 ms, every
answer counted, <= 2 ms of server CPU an answer, <= 1 s to show.

Writes benchmarks/results/class_poll.{json,md}; a run replaces the records of the phone counts it ran.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from benchmarks.common import app_commit, machine_line
from benchmarks.harness import BenchError, bench, stamp

ROOT = Path(__file__).resolve().parents[1]
BARS = {"p95_ms": 200.0, "counted_share": 1.0, "cpu_ms_per_answer": 2.0, "show_s": 1.0}
SERVER_CORE, CLIENT_CORE = 0, 1
CHANGE_SHARE = 0.2  # phones that change their answer a second after the first
QUESTION = {"id": "q1", "prompt": "Which fill will MIWAE give the hidden half?", "kind": "choice",
            "options": ["a 3", "an 8", "a 9", "a blur"], "model": [0.15, 0.6, 0.2, 0.05]}
TICK = os.sysconf("SC_CLK_TCK")
IDLE_S = 8.0  # the idle server's CPU is read over this long before the answers (its clock ticks are 10 ms)


class Conn:
    """One keep-alive HTTP/1.1 connection to the server (reopened after a failure)."""

    def __init__(self, port: int):
        self.port, self.rw = port, None

    async def request(self, method: str, path: str, body: dict | None = None, key: str | None = None,
                      timeout: float = 60) -> tuple[int, bytes]:
        data = json.dumps(body).encode() if body is not None else b""
        head = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{self.port}", f"Content-Length: {len(data)}"]
        if body is not None:
            head.append("Content-Type: application/json")
        if key:
            head.append(f"X-Lecturer-Key: {key}")
        for fresh in (self.rw is None, True):  # a kept connection the server closed is reopened, as a browser does
            try:
                if self.rw is None:
                    self.rw = await asyncio.open_connection("127.0.0.1", self.port)
                r, w = self.rw
                w.write(("\r\n".join(head) + "\r\n\r\n").encode() + data)
                await w.drain()
                return await asyncio.wait_for(self._response(r), timeout)
            except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError, IndexError, ValueError):
                self.close()
                if fresh:
                    raise ConnectionError(f"{method} {path} failed") from None
        raise AssertionError("unreachable")

    async def _response(self, r: asyncio.StreamReader) -> tuple[int, bytes]:
        status = int((await r.readline()).split()[1])
        headers = {}
        while (line := await r.readline()) not in (b"\r\n", b""):
            k, _, v = line.decode().partition(":")
            headers[k.strip().lower()] = v.strip()
        if headers.get("transfer-encoding") == "chunked":
            body = b""
            while n := int((await r.readline()).strip(), 16):
                body += await r.readexactly(n)
                await r.readline()
            await r.readline()
        else:
            body = await r.readexactly(int(headers.get("content-length", 0)))
        if headers.get("connection") == "close":
            self.close()
        return status, body

    def close(self) -> None:
        if self.rw is not None:
            self.rw[1].close()
            self.rw = None


def cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime


def open_room(folder: Path) -> tuple[str, str]:
    """The lecturer's room, opened in the server's folder as the app's Present opens one -> (code, lecturer key)."""
    from server.poll import PollStore

    store = PollStore(folder)
    try:
        room = store.open_room()
    finally:
        store.close()
    return room.code, room.key


def start_server(port: int, env: dict, log) -> subprocess.Popen:
    proc = subprocess.Popen(["taskset", "-c", str(SERVER_CORE), sys.executable, "-m", "streamlit", "run", "app.py",
                             "--server.headless", "true", "--server.address", "127.0.0.1", "--server.port", str(port),
                             "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + 180
    while True:
        try:
            if urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2).read() == b"ok":
                return proc
        except OSError:
            pass
        if proc.poll() is not None or time.time() > deadline:
            raise RuntimeError("the server did not start")
        time.sleep(0.2)


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def pct(xs: list[float], q: float) -> float:
    return round(statistics.quantiles(xs, n=100, method="inclusive")[q - 1], 1) if len(xs) > 1 else round(xs[0], 1)


async def poll(n: int, window: float, restart: bool, port: int, env: dict, log, seed: int = 0) -> dict:
    rng = random.Random(seed)
    box = {"proc": await asyncio.to_thread(start_server, port, env, log)}
    try:
        lecturer = Conn(port)
        code, key = open_room(Path(env["DGM_POLL_DIR"]))
        await lecturer.request("POST", f"/poll/api/{code}/questions", QUESTION, key=key)
        opened = json.loads((await lecturer.request("POST", f"/poll/api/{code}/questions/q1/open", {}, key=key))[1])
        state_path = f"/poll/api/{code}/state"
        done = asyncio.Event()
        seen_lock: dict[int, float] = {}
        shown: list[tuple[float, int]] = []  # the projector's long poll: (when, answers counted)

        async def retrying(conn: Conn, *args, **kw) -> tuple[int, bytes]:
            while True:
                try:
                    return await conn.request(*args, **kw)
                except ConnectionError:
                    await asyncio.sleep(0.25)

        async def follow(i: int, conn: Conn, v: int) -> None:  # a phone's long poll, as the join page's
            while not done.is_set():
                status, body = await retrying(conn, "GET", f"{state_path}?v={v}&wait=25")
                s = json.loads(body)
                v = s.get("version", v)
                if (s.get("question") or {}).get("state") == "locked":
                    seen_lock.setdefault(i, time.monotonic())
                    return

        async def projector() -> None:
            conn, v, a = Conn(port), opened["version"], -1
            while not done.is_set():
                status, body = await retrying(conn, "GET", f"{state_path}?question=q1&v={v}&a={a}&wait=25")
                s = json.loads(body)
                v, a = s["version"], s["answers_version"]
                shown.append((time.monotonic(), s["question"]["answers"]))

        async def join(i: int) -> tuple[Conn, Conn, int]:
            await asyncio.sleep(rng.uniform(0, 2))
            page, poll = Conn(port), Conn(port)
            await page.request("GET", f"/poll/{code}")
            await page.request("GET", "/poll/static/poll.js")
            await page.request("GET", "/poll/static/poll.css")
            await page.request("GET", "/poll/static/poll_view.js")
            tokens[i] = json.loads((await page.request("POST", f"/poll/api/{code}/join"))[1])["token"]
            v = json.loads((await poll.request("GET", state_path))[1])["version"]
            return page, poll, v

        tokens: dict[int, str] = {}
        joined = await asyncio.gather(*(join(i) for i in range(n)))
        followers = [asyncio.create_task(follow(i, poll, v)) for i, (_, poll, v) in enumerate(joined)]
        watcher = asyncio.create_task(projector())
        await asyncio.sleep(0.5)

        latencies, retried, last_value, receipts = [], [], {}, []

        async def answer(i: int, conn: Conn, at: float, value: int) -> None:
            await asyncio.sleep(at)
            t0, tries = time.monotonic(), 0
            body = {"question": "q1", "round": 1, "token": tokens[i], "value": value}
            while True:
                tries += 1
                try:
                    status, out = await conn.request("POST", f"/poll/api/{code}/answer", body)
                    if status == 200:
                        break
                    raise RuntimeError(f"answer refused: {out[:200]!r}")
                except ConnectionError:
                    await asyncio.sleep(0.25)
            ms = 1000 * (time.monotonic() - t0)
            (latencies if tries == 1 else retried).append(ms)
            last_value[i] = value
            receipts.append(time.monotonic())

        plan = []
        for i in range(n):
            at = rng.uniform(0, window - 1.5)
            plan.append((i, at, rng.randrange(4)))
            if rng.random() < CHANGE_SHARE:
                plan.append((i, at + 1.0, rng.randrange(4)))

        async def restart_halfway() -> float:
            await asyncio.sleep(window / 2)
            t0 = time.monotonic()
            await asyncio.to_thread(stop, box["proc"])
            box["proc"] = await asyncio.to_thread(start_server, port, env, log)
            return time.monotonic() - t0

        pid = box["proc"].pid
        idle0 = cpu_s(pid)  # the server with every phone's long poll held and no answer: its own upkeep
        await asyncio.sleep(IDLE_S)
        idle_per_s = (cpu_s(pid) - idle0) / IDLE_S
        cpu0, t_start = cpu_s(pid), time.monotonic()
        by_phone: dict[int, list] = {}
        for i, at, value in plan:
            by_phone.setdefault(i, []).append((at, value))

        async def phone(i: int) -> None:  # a phone's answers in turn, on its own connection
            for at, value in by_phone[i]:
                await answer(i, joined[i][0], max(0.0, t_start + at - time.monotonic()), value)

        tasks = [asyncio.create_task(phone(i)) for i in by_phone]
        downtime = await restart_halfway() if restart else None
        await asyncio.gather(*tasks)
        answers_window_s = max(receipts) - t_start
        # one more phone answers last: the clock runs from sending it to the projector's long poll counting it
        await asyncio.sleep(0.5)
        late = Conn(port)
        tokens[n] = json.loads((await late.request("POST", f"/poll/api/{code}/join"))[1])["token"]
        sent = time.monotonic()
        await answer(n, late, 0.0, 1)
        while not any(c > n for t, c in shown if t >= sent) and time.monotonic() - sent < 30:
            await asyncio.sleep(0.005)
        show_s = next((t - sent for t, c in shown if t >= sent and c > n), None)
        late.close()
        cpu = cpu_s(pid) - cpu0 if not restart else None
        cpu_window_s = time.monotonic() - t_start
        answers_sent = len(plan) + 1

        t_lock = time.monotonic()
        await retrying(lecturer, "POST", f"/poll/api/{code}/questions/q1/lock", {}, key=key)
        await asyncio.wait_for(asyncio.gather(*followers), 60)
        lock_fanout = max(seen_lock.values()) - t_lock
        done.set()
        watcher.cancel()
        s = json.loads((await retrying(lecturer, "GET", state_path, key=key))[1])
        tally = s["question"]["results"]["rounds"][0]
        want = [sum(1 for v in last_value.values() if v == k) for k in range(4)]
        for page, poll, _ in joined:
            page.close()
            poll.close()
        lecturer.close()
        return {
            "phones": n + 1, "window_s": window, "answers_sent": answers_sent, "restart": restart,
            "restart_downtime_s": round(downtime, 2) if downtime is not None else None,
            "answers_within_s": round(answers_window_s, 2),
            "latency_ms": {"p50": pct(latencies, 50), "p95": pct(latencies, 95), "max": round(max(latencies), 1),
                           "n": len(latencies)},
            "retried_latency_ms": ({"p50": pct(retried, 50), "max": round(max(retried), 1), "n": len(retried)}
                                   if retried else None),
            "phones_with_a_receipt": len(last_value), "counted": tally["n"],
            "counted_share": tally["n"] / len(last_value), "tally_matches_receipts": tally["counts"] == want,
            "server_cpu_s": round(cpu, 3) if cpu is not None else None, "cpu_window_s": round(cpu_window_s, 2),
            "idle_cpu_ms_per_s": round(1000 * idle_per_s, 2),
            "cpu_ms_per_answer_all": round(1000 * cpu / answers_sent, 3) if cpu is not None else None,
            "cpu_ms_per_answer": (round(1000 * (cpu - idle_per_s * cpu_window_s) / answers_sent, 3)
                                  if cpu is not None else None),
            "show_s": round(show_s, 3) if show_s is not None else None,
            "lock_to_every_phone_s": round(lock_fanout, 3),
        }
    finally:
        stop(box["proc"])


def verdicts(r: dict) -> dict:
    out = {"p95_ms": r["latency_ms"]["p95"] <= BARS["p95_ms"] if not r["restart"] else None,
           "counted_share": r["counted_share"] >= BARS["counted_share"] and r["tally_matches_receipts"],
           "cpu_ms_per_answer": (r["cpu_ms_per_answer"] <= BARS["cpu_ms_per_answer"]
                                 if r["cpu_ms_per_answer"] is not None else None),
           "show_s": r["show_s"] is not None and r["show_s"] <= BARS["show_s"]}
    return out


def options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--phones", default="100,300", help="phone counts, comma-separated")
    p.add_argument("--restart", type=int, default=300, help="phones in the run with a restart (0: none)")
    p.add_argument("--window", type=float, default=10.0, help="seconds within which every phone answers")


def client_core(name: str):
    """A server bench's start: this process moved to the phones' core (the server gets ``SERVER_CORE``) -> the file
    the server's output goes to (.pytest_cache/<name>-server.log where that folder exists)."""
    if len(os.sched_getaffinity(0)) < 2:
        raise BenchError("needs two cores: one for the server, one for the phones")
    os.sched_setaffinity(0, {CLIENT_CORE})
    return open(ROOT / ".pytest_cache" / f"{name}-server.log", "a") if (ROOT / ".pytest_cache").exists() else \
        subprocess.DEVNULL


@contextlib.contextmanager
def scratch(name: str) -> Iterator[tuple[str, int]]:
    """A fresh folder (removed after) and a free local port, for one server of a bench."""
    with tempfile.TemporaryDirectory(prefix=f"dgm-{name}-bench-") as folder, socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        yield folder, port


def run(a: argparse.Namespace) -> dict:
    log = client_core("class_poll")
    runs = [(int(k), False) for k in a.phones.split(",") if k] + ([(a.restart, True)] if a.restart else [])
    records = {}
    for n, restart in runs:
        with scratch("poll") as (folder, port):
            env = {**os.environ, "DGM_WARMUP": "0", "DGM_POLL_DIR": folder}
            r = asyncio.run(poll(n, a.window, restart, port, env, log))
        r["verdicts"] = verdicts(r)
        records[f"phones={n}{'|restart' if restart else ''}"] = r
        print(json.dumps(r), flush=True)
    commit, done = app_commit(ROOT), stamp(a)
    for r in records.values():
        r.update(app_commit=commit, **done)
    return {"bars": BARS, "records": {**a.previous.get("records", {}), **records}}


def report(doc: dict) -> str:
    records = doc["records"]
    lines = ["# A class answering a poll on their phones", "",
             "Real HTTP on loopback: `streamlit run app.py` under `taskset -c 0` (no warm-up), the phones simulated "
             "on core 1; each phone loads the join page, long-polls the state and answers once within the window "
             f"(one in five changes its answer). Bars: p95 <= {BARS['p95_ms']:g} ms, every answer counted, "
             f"<= {BARS['cpu_ms_per_answer']:g} ms of server CPU an answer, <= {BARS['show_s']:g} s to show.", "",
             "| run | answers sent | within (s) | p50 (ms) | p95 (ms) | counted / phones | CPU an answer adds (ms) | "
             "CPU per answer, all (ms) | idle server (ms/s) | shown after (s) | lock on every phone (s) |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, r in records.items():
        na = "n/a (two processes)"
        cpu = r["cpu_ms_per_answer"] if r["cpu_ms_per_answer"] is not None else na
        cpu_all = r["cpu_ms_per_answer_all"] if r["cpu_ms_per_answer_all"] is not None else na
        lines.append(f"| {name} | {r['answers_sent']} | {r['answers_within_s']} | {r['latency_ms']['p50']} | "
                     f"{r['latency_ms']['p95']} | {r['counted']} / {r['phones_with_a_receipt']} | {cpu} | {cpu_all} | "
                     f"{r['idle_cpu_ms_per_s']} | {r['show_s']} | {r['lock_to_every_phone_s']} |")
    for name, r in records.items():
        if r["restart"]:
            rl = r["retried_latency_ms"] or {}
            lines += ["", f"{name}: the server was down {r['restart_downtime_s']} s (stop, start, health); "
                      f"{rl.get('n', 0)} answers were sent again until received (median {rl.get('p50')} ms, "
                      f"longest {rl.get('max')} ms); the p95 above counts the answers received at the first try."]
    for name, r in records.items():
        missed = [k for k, ok in r["verdicts"].items() if ok is False]
        held = [k for k, ok in r["verdicts"].items() if ok is not None]
        said = f"misses {', '.join(missed)}" if missed else f"meets the bars it is held to ({', '.join(held)})"
        if (r["cpu_ms_per_answer_all"] or 0) > BARS["cpu_ms_per_answer"]:
            said += (f"; counting the idle server's upkeep ({r['idle_cpu_ms_per_s']} ms/s) as well, an answer costs "
                     f"{r['cpu_ms_per_answer_all']} ms, above the bar")
        lines += ["", f"{name}: {said} (app {r['app_commit']}). " + machine_line(r["machine"])]
    return "\n".join(lines) + "\n"


BENCH = bench(run, report, options=options, stamp=False)


if __name__ == "__main__":
    raise SystemExit(BENCH.main())
