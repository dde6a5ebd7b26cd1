"""A class following a lecture on their phones: real HTTP on loopback against `streamlit run app.py` (the class page of
server/class_routes.py, the lecture's room of server/rooms.py), light clients that speak the class page's HTTP.

    python -m dgm_core bench class_follow [--phones 300] [--deck lecture]

The server runs under `taskset -c 0` (DGM_WARMUP=0) with a fresh poll folder; this process plays the phones on core 1
(asyncio, keep-alive HTTP/1.1, two connections a phone as a browser opens). The lecturer's room is opened in process
(as the app's Present opens it); every phone loads the class page, its modules and styles, joins (its token from the
server), reads the deck and long-polls the room's state, as static/class/class.js does. The lecturer then steps
through the whole deck, a question step twice (asked, then its answer), one move every ``--pause`` seconds
(POST /poll/api/<code>/step with the lecturer's key, as the app moves the room); on each move every phone's long poll
returns the new step and the phone fetches the step's pictures in one file (server.class_deck.bundle: drawn ones,
where ui/class_pictures.py drew the deck into DGM_CLASS_DIR; none otherwise: said in the record) unless it has it
already: as the page does, a phone fetches this step's and the next step's file once it shows a step, while the
lecturer talks (``--no-prefetch``: only on arrival). Measured: per move and phone the time from the lecturer's
request to the phone holding the step (and its pictures), p50/p95/max over all; the server's CPU over the moves, less
its idle upkeep with every long poll held (read over ``IDLE_S`` first), per phone per move; its memory (VmRSS) before
the phones and after the last move. Bars (issue 68): p95 <= 1 s, <= 3 ms of server CPU per phone per step, memory
+ <= 100 MB.

Writes benchmarks/results/class_follow.{json,md}; a run replaces the record of its phone count.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from pathlib import Path

from benchmarks.class_poll import IDLE_S, Conn, client_core, cpu_s, pct, scratch, start_server, stop
from benchmarks.common import app_commit, machine_line
from benchmarks.harness import bench

ROOT = Path(__file__).resolve().parents[1]
BARS = {"p95_s": 1.0, "cpu_ms_per_phone_step": 3.0, "memory_mb": 100.0}
PAGE = ("/class/{code}", "/class/static/class.js", "/class/static/class.css", "/poll/static/poll.css",
        "/poll/static/poll_view.js")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def open_lecture(folder: Path, deck_name: str) -> tuple[str, str, dict]:
    """The lecturer's Present, in the server's folder -> (code, key, the deck's dict)."""
    from server import rooms
    from server.poll import PollStore
    from ui import deck as decks

    deck = decks.as_dict(decks.find(deck_name, decks.page_files()))
    store = PollStore(folder)
    try:
        lec = rooms.open_lecture(store, deck_name, deck)
    finally:
        store.close()
    return lec.code, lec.key, deck


def moves_of(deck: dict) -> list[tuple[int, bool]]:
    """The lecturer's moves through the deck: each step, a question step asked first, then answered."""
    return [(k, shown) for k, s in enumerate(deck["steps"]) for shown in ((False, True) if s.get("question") else
                                                                           (True,))]


async def follow(n: int, deck_name: str, pause: float, port: int, env: dict, log, with_pictures: bool = True,
                 prefetch: bool = True) -> dict:
    proc = await asyncio.to_thread(start_server, port, env, log)
    pid = proc.pid
    try:
        code, key, deck = open_lecture(Path(env["DGM_POLL_DIR"]), deck_name)
        mem0 = rss_mb(pid)
        lecturer = Conn(port)
        moves = moves_of(deck)
        # the move each phone last saw: [(when, step, shown)] per phone; the clock of each move's request
        seen: list[list[tuple[float, int, bool]]] = [[] for _ in range(n)]
        sent: dict[tuple[int, bool], float] = {}
        bundles: dict[int, str] = {}  # step -> the URL of its pictures in one file ("" where it has none)
        drawn = {"pictures": 0}
        fetched = {"bytes": 0, "requests": 0}
        done = asyncio.Event()

        async def phone(i: int) -> None:
            page, poll = Conn(port), Conn(port)
            for path in PAGE:
                await page.request("GET", path.format(code=code))
            while True:
                status, body = await page.request("POST", f"/poll/api/{code}/join")
                if status == 201:
                    token = json.loads(body)["token"]
                    break
                await asyncio.sleep(1.0)  # 429: many phones at once, as the page waits
            steps = json.loads((await page.request("GET", f"/poll/api/{code}/deck"))[1])["steps"]
            if not bundles:
                bundles.update({k: s.get("bundle", "") for k, s in enumerate(steps)})
                drawn["pictures"] = sum(len(s["pictures"]) for s in steps)
            lock, got = asyncio.Lock(), {}  # one connection for the page's files, as the page's fetches queue

            async def fetch(url: str) -> None:
                async with lock:
                    body = (await page.request("GET", f"/class/{url}"))[1]
                fetched["bytes"] += len(body)
                fetched["requests"] += 1

            def pictures(k: int) -> asyncio.Task | None:  # class.js's pictures(): each step's file fetched once
                url = bundles.get(k, "") if with_pictures else ""
                if url and url not in got:
                    got[url] = asyncio.create_task(fetch(url))
                return got.get(url)

            v, at = -1, None
            while not done.is_set():
                try:
                    status, body = await poll.request("GET", f"/poll/api/{code}/state?v={v}&wait=25&token={token}")
                except ConnectionError:
                    await asyncio.sleep(0.25)
                    continue
                s = json.loads(body)
                v = s.get("version", v)
                lec = s.get("lecture") or {}
                if (lec.get("step"), lec.get("shown")) != at:
                    at = (lec.get("step"), lec.get("shown"))
                    if at[1] or not deck["steps"][at[0]].get("question"):  # the step shows its pictures
                        task = pictures(at[0])
                        if task is not None:
                            await asyncio.shield(task)
                    seen[i].append((time.monotonic(), *at))
                    if prefetch:  # then, as the page does, this step's and the next step's, while the lecturer talks
                        pictures(at[0])
                        pictures(at[0] + 1)
            page.close()
            poll.close()

        phones = [asyncio.create_task(phone(i)) for i in range(n)]
        while sum(1 for s in seen if s) < n:  # every phone joined and holds the first step
            await asyncio.sleep(0.1)
        await asyncio.sleep(1.0)
        idle0 = cpu_s(pid)
        await asyncio.sleep(IDLE_S)
        idle_per_s = (cpu_s(pid) - idle0) / IDLE_S
        cpu0, t0 = cpu_s(pid), time.monotonic()
        missed = 0
        for step, shown in moves[1:]:
            sent[(step, shown)] = time.monotonic()
            await lecturer.request("POST", f"/poll/api/{code}/step", {"step": step, "shown": shown}, key=key)
            end = time.monotonic() + 30
            while any(not s or s[-1][1:] != (step, shown) for s in seen) and time.monotonic() < end:
                await asyncio.sleep(0.01)
            missed += sum(1 for s in seen if not s or s[-1][1:] != (step, shown))
            await asyncio.sleep(pause)
        cpu, dt = cpu_s(pid) - cpu0, time.monotonic() - t0
        mem1 = rss_mb(pid)
        done.set()
        for t in phones:
            t.cancel()
        lecturer.close()
        lat = [when - sent[(k, sh)] for s in seen for when, k, sh in s if (k, sh) in sent]
        n_moves = len(moves) - 1
        return {
            "phones": n, "deck": deck_name, "steps": len(deck["steps"]), "moves": n_moves, "pause_s": pause,
            "follow_s": {"p50": pct(lat, 50), "p95": pct(lat, 95), "max": round(max(lat), 3), "n": len(lat)}
            if lat else None,
            "missed": missed, "pictures_drawn": drawn["pictures"],
            "pictures_fetched": with_pictures, "prefetch": prefetch,
            "picture_mb_per_phone": round(fetched["bytes"] / n / 1e6, 3),
            "picture_requests_per_phone_step": round(fetched["requests"] / (n * n_moves), 2),
            "server_cpu_s": round(cpu, 3), "moves_window_s": round(dt, 2),
            "idle_cpu_ms_per_s": round(1000 * idle_per_s, 2),
            "cpu_ms_per_phone_step_all": round(1000 * cpu / (n * n_moves), 3),
            "cpu_ms_per_phone_step": round(1000 * (cpu - idle_per_s * dt) / (n * n_moves), 3),
            "memory_mb": {"before": round(mem0, 1), "after": round(mem1, 1), "added": round(mem1 - mem0, 1)},
        }
    finally:
        stop(proc)


def verdicts(r: dict) -> dict:
    return {"p95_s": r["follow_s"] is not None and r["follow_s"]["p95"] <= BARS["p95_s"] and r["missed"] == 0,
            "cpu_ms_per_phone_step": r["cpu_ms_per_phone_step"] <= BARS["cpu_ms_per_phone_step"],
            "memory_mb": r["memory_mb"]["added"] <= BARS["memory_mb"]}


def options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--phones", type=int, default=300)
    p.add_argument("--deck", default="lecture", help="a shipped deck (assets/decks/)")
    p.add_argument("--pause", type=float, default=0.5, help="seconds between the lecturer's moves")
    p.add_argument("--no-pictures", action="store_true", help="the phones fetch no picture: the follow's own cost")
    p.add_argument("--no-prefetch", action="store_true",
                   help="the phones fetch a step's pictures only when it arrives (not the next move's beforehand)")


def run(a: argparse.Namespace) -> dict:
    log = client_core("class_follow")
    with scratch("follow") as (folder, port):
        env = {**os.environ, "DGM_WARMUP": "0", "DGM_POLL_DIR": folder}
        r = asyncio.run(follow(a.phones, a.deck, a.pause, port, env, log, not a.no_pictures, not a.no_prefetch))
    r["verdicts"] = verdicts(r)
    r["app_commit"] = app_commit(ROOT)
    return r


def merge(old: dict, record: dict, a: argparse.Namespace) -> dict:
    """The file keeps one record per phone count (and whether they fetched the pictures)."""
    name = f"phones={a.phones}" + (", no pictures" if a.no_pictures else ", no prefetch" if a.no_prefetch else "")
    return {"bars": BARS, "records": {**old.get("records", {}), name: record}}


def report(doc: dict) -> str:
    records = doc["records"]
    lines = ["# A class following a lecture on their phones", "",
             "Real HTTP on loopback: `streamlit run app.py` under `taskset -c 0` (no warm-up), the phones simulated on "
             "core 1, each speaking the class page's HTTP (the page, its modules, a join, the deck, a long poll of the "
             "room's state, a step's pictures in one file on arrival, and, as the page does, the next move's while the "
             "lecturer talks); the lecturer steps through the whole deck. "
             f"Bars: p95 <= {BARS['p95_s']:g} s from the lecturer's move to every phone holding the step, "
             f"<= {BARS['cpu_ms_per_phone_step']:g} ms of server CPU per phone per step, memory + <= "
             f"{BARS['memory_mb']:g} MB.", "",
             "| run | moves | p50 (s) | p95 (s) | max (s) | missed | CPU per phone per step (ms) | same, idle "
             "upkeep included (ms) | memory added (MB) | pictures (MB a phone) | picture requests a phone a move |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, r in records.items():
        f = r["follow_s"] or {}
        lines.append(f"| {name} | {r['moves']} | {f.get('p50')} | {f.get('p95')} | {f.get('max')} | {r['missed']} | "
                     f"{r['cpu_ms_per_phone_step']} | {r['cpu_ms_per_phone_step_all']} | "
                     f"{r['memory_mb']['added']} | {r['picture_mb_per_phone']} | "
                     f"{r.get('picture_requests_per_phone_step', '—')} |")
    for name, r in records.items():
        missed = [k for k, ok in r["verdicts"].items() if not ok]
        said = f"misses {', '.join(missed)}" if missed else "meets its bars"
        pics = (f"{r['pictures_drawn']} pictures drawn" + ("" if r.get("pictures_fetched", True) else
                                                            ", none fetched (--no-pictures)")
                if r["pictures_drawn"] else
                "no step's pictures drawn in DGM_CLASS_DIR (the phones fetched none)")
        lines += ["", f"{name}: {said}; {pics} (app {r['app_commit']}). " + machine_line(r["machine"])]
    return "\n".join(lines) + "\n"


BENCH = bench(run, report, options=options, merge=merge)


if __name__ == "__main__":
    raise SystemExit(BENCH.main())
