"""A class poll while the class uses the pages: does the poll slow the students' Streamlit pages?

    python -m dgm_core bench poll_during_class [--students 30] [--phones 30] [--pairs 2]

One server pinned to core 0, the clients on core 1, as ``bench class_load`` runs them (its light clients, its lesson,
each student's own Run computed in their browser: rehearsed in chromium before the class and replayed). The lesson is
played ``--pairs`` times without a poll and as often with one, alternately (without, with, without, with: a noisy host
then weighs on both alike), each time on a fresh server. With a poll, ``--phones`` phones join a room the lecturer
opened (the join page, its script and style, then a long poll of the room's state, as the join page does) while the
students start, each answers at a random moment of the lesson and one in five changes its answer, and a projector
long-polls the count throughout (the poll's requests are ``bench class_poll``'s). Measured per run: each lesson step's
p95 over the students, "home" being the first view; at the end every answer must be counted once.
Bar (the issue's): the students' first-view p95 with the poll <= 1.2 x without it. Writes
benchmarks/results/poll_during_class.{json,md}.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

from benchmarks.class_load import LESSON, ROOT, light_class, pinned_server, rehearse, summarise
from benchmarks.class_poll import CHANGE_SHARE, QUESTION, Conn, cpu_s
from benchmarks.common import machine, machine_line

RESULTS = Path(__file__).resolve().parent / "results"
BAR = 1.2  # first-view p95 with the poll / without


async def poll_phones(port: int, n: int, window: float, stop: asyncio.Event, seed: int = 0) -> dict:
    """``n`` phones on a question opened by the lecturer: they join within 5 s, answer within ``window`` s (one in
    five again a second later), long-polling until ``stop``; a projector long-polls the count. -> what was counted."""
    rng = random.Random(seed)
    lecturer = Conn(port)
    room = json.loads((await lecturer.request("POST", "/poll/api/rooms", {}))[1])
    code, key = room["room"], room["key"]
    await lecturer.request("POST", f"/poll/api/{code}/questions", QUESTION, key=key)
    await lecturer.request("POST", f"/poll/api/{code}/questions/{QUESTION['id']}/open", {}, key=key)
    state = f"/poll/api/{code}/state"
    last: dict[int, int] = {}
    latencies: list[float] = []

    async def follow(conn: Conn, v: int, extra: str = "") -> None:
        while not stop.is_set():
            try:
                _, body = await conn.request("GET", f"{state}?v={v}&wait=5{extra}")
                v = json.loads(body).get("version", v)
            except ConnectionError:
                await asyncio.sleep(0.25)

    async def phone(i: int) -> None:
        await asyncio.sleep(rng.uniform(0, 5))
        page, poll = Conn(port), Conn(port)
        for path in (f"/poll/{code}", "/poll/static/poll.js", "/poll/static/poll.css"):
            await page.request("GET", path)
        follower = asyncio.create_task(follow(poll, json.loads((await poll.request("GET", state))[1])["version"]))
        times = [rng.uniform(0, window)]
        if rng.random() < CHANGE_SHARE:
            times.append(times[0] + 1.0)
        t0 = time.monotonic()
        for at in times:
            await asyncio.sleep(max(0.0, t0 + at - time.monotonic()))
            value = rng.randrange(len(QUESTION["options"]))
            sent = time.monotonic()
            status, out = await page.request("POST", f"/poll/api/{code}/answer", {
                "question": QUESTION["id"], "round": 1, "token": f"class-phone-{i:06d}", "value": value})
            if status != 200:
                raise RuntimeError(f"answer refused: {out[:200]!r}")
            latencies.append(1000 * (time.monotonic() - sent))
            last[i] = value
        await follower
        page.close()
        poll.close()

    projector = asyncio.create_task(follow(Conn(port), 0, f"&question={QUESTION['id']}&a=-1"))
    await asyncio.gather(*(phone(i) for i in range(n)))
    await projector
    await lecturer.request("POST", f"/poll/api/{code}/questions/{QUESTION['id']}/lock", {}, key=key)
    tally = json.loads((await lecturer.request("GET", state, key=key))[1])["question"]["results"]["rounds"][0]
    lecturer.close()
    want = [sum(1 for v in last.values() if v == k) for k in range(len(QUESTION["options"]))]
    return {"phones": n, "answers_sent": len(latencies), "counted": tally["n"], "phones_answered": len(last),
            "tally_matches": tally["counts"] == want,
            "answer_p95_ms": round(statistics.quantiles(latencies, n=20)[-1], 1) if len(latencies) > 1 else None}


def one_run(env: dict, students: int, phones: int, replay: dict, log: Path) -> dict:
    outs = [{"student": i, "steps": {}, "finished": {}, "exceptions": [], "console_errors": [], "offline": [],
             "leaks": []} for i in range(students)]
    with pinned_server(ROOT, env, log) as (url, pids):
        port = urlparse(url).port
        cpu0 = sum(cpu_s(pid) for pid in pids)

        async def both() -> dict | None:
            stop = asyncio.Event()
            polled = asyncio.create_task(poll_phones(port, phones, 60.0, stop)) if phones else None
            await light_class(url, students, outs, "browser", replay)
            stop.set()
            return await polled if polled else None

        t0 = time.monotonic()
        poll = asyncio.run(both())
        wall = round(time.monotonic() - t0, 2)
        cpu = round(sum(cpu_s(pid) for pid in pids) - cpu0, 2)
    return {"phones": phones, "wall_s": wall, "server_cpu_s": cpu, "steps": summarise(outs), "poll": poll,
            "failed": {o["student"]: o["failed"] for o in outs if "failed" in o}, "load_avg_end": os.getloadavg()}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m dgm_core bench poll_during_class")
    p.add_argument("--students", type=int, default=30)
    p.add_argument("--phones", type=int, default=30)
    p.add_argument("--pairs", type=int, default=2)
    p.add_argument("--out", default=str(RESULTS))
    argv = sys.argv[1:] if argv is None else argv
    a = p.parse_args(argv)
    if len(os.sched_getaffinity(0)) < 2:
        p.error("needs two cores: one for the server, one for the clients")
    env = dict(os.environ)
    log = ROOT / ".pytest_cache" / "poll_during_class-server.log"
    log.parent.mkdir(exist_ok=True)
    load_at_start = os.getloadavg()
    replay, rehearsal = rehearse(ROOT, env, a.students, log)
    runs = []
    for k in range(a.pairs):
        for phones in (0, a.phones):
            runs.append(one_run(env, a.students, phones, replay, log))
            print(f"pair {k + 1}, {phones} phones: home p95 {runs[-1]['steps']['home'].get('p95_s')} s", flush=True)

    def p95(step: str, with_poll: bool) -> list[float]:
        return [r["steps"][step]["p95_s"] for r in runs if bool(r["phones"]) == with_poll and r["steps"][step]["n"]]

    ratios = {step: round(statistics.median(p95(step, True)) / statistics.median(p95(step, False)), 3)
              for step, *_ in LESSON if p95(step, True) and p95(step, False)}
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    rec = {"command": " ".join(["python -m dgm_core bench poll_during_class", *argv]),
           "students": a.students, "phones": a.phones, "pairs": a.pairs, "data": bool(env.get("DGM_DATA_DIR")),
           "app_commit": commit, "browser_replayed": rehearsal, "bar_first_view_ratio": BAR,
           "first_view_ratio": ratios.get("home"), "step_p95_ratio": ratios,
           "worst_step_ratio": max(ratios.values()) if ratios else None,
           # the server's CPU over the whole lesson, with the poll over without (medians): what the poll costs it
           "server_cpu_ratio": round(statistics.median(r["server_cpu_s"] for r in runs if r["phones"])
                                     / statistics.median(r["server_cpu_s"] for r in runs if not r["phones"]), 3),
           "counted_every_answer": all(x["counted"] == x["phones_answered"] and x["tally_matches"]
                                       for x in (r["poll"] for r in runs) if x),
           "runs": runs, "machine": machine(load_at_start)}
    out = Path(a.out) / "poll_during_class.json"
    out.write_text(json.dumps(rec, indent=1) + "\n")
    out.with_suffix(".md").write_text(report(rec))
    print(report(rec))
    return 0


def report(r: dict) -> str:
    lines = ["# A class poll while the class uses the pages", "",
             f"{r['students']} light students play class_load's lesson (own Runs in their browsers, replayed) on one "
             f"server pinned to one core, alternately without a poll and with {r['phones']} phones answering one "
             f"({r['pairs']} run{'s' if r['pairs'] != 1 else ''} each, a fresh server each). Per step, the p95 over "
             "the students (s); ratio: the median p95 with the poll over the median without.", "",
             "| step | " + " | ".join(f"run {i + 1} ({'poll' if x['phones'] else 'no poll'})"
                                      for i, x in enumerate(r["runs"])) + " | ratio |",
             "|---|" + "---|" * (len(r["runs"]) + 1)]
    for step, *_ in LESSON:
        cells = [str(x["steps"][step].get("p95_s", "–")) for x in r["runs"]]
        lines.append(f"| {step} | " + " | ".join(cells) + f" | {r['step_p95_ratio'].get(step, '–')} |")
    polls = [x["poll"] for x in r["runs"] if x["poll"]]
    lines += ["", "Server CPU over the lesson (s): " + ", ".join(
        f"run {i + 1} {x['server_cpu_s']}" for i, x in enumerate(r["runs"])) + f"; with the poll / without: "
        f"**{r['server_cpu_ratio']}**.",
        "", f"First view (home) p95 ratio **{r['first_view_ratio']}** (bar {r['bar_first_view_ratio']}); "
              f"the worst step's ratio {r['worst_step_ratio']}. Answers counted: "
              + "; ".join(f"{p['counted']} of {p['phones_answered']} phones, answer p95 {p['answer_p95_ms']} ms"
                          for p in polls)
              + f"; every answer counted once: {r['counted_every_answer']}.",
              "", f"`{r['command']}` (app {r['app_commit']})", "", machine_line(r["machine"]), ""]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
