"""The inpainting page's chain player (▶ Play) while a class uses the server.

    python -m dgm_core bench chain_play [--students 10] [--data/--no-data]

A fresh server pinned to one core (as ``bench class_load`` starts it), the clients on the other. ``students - 1``
light clients play class_load's lesson (Run the default, a mask of their own and its queued Run, the other pages)
while one student in chromium at 1280x720 opens Inpainting with them, presses Run on the default, then ▶ Play at
each speed the player offers, each to the end. Per speed: the pictures shown per second (counted from outside, by
watching the player's ``data-step``), the median and longest gap between two, and the messages the page sent the
server while playing. Also the chromium student's Run (click to the player shown) and, over all students' pages,
requests for ``/media`` files that failed (the old player's misses). The issue's bar is 10 pictures per second
with 10 students, its goal 24.

Writes benchmarks/results/chain_play.{json,md}.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import time

from benchmarks.harness import BenchError, bench
from benchmarks.class_load import LESSON, ROOT, light_student, pinned_server, STAGGER_S
from benchmarks.common import CHROMIUM_ARGS, machine_line

BAR, GOAL = 10, 24  # pictures per second
# stamps every picture the player shows (its root's data-step changes), with the browser's clock
WATCH = """root => {
  const seen = document.chainDraws = [];
  new MutationObserver(() => seen.push([performance.now(), Number(root.dataset.step)]))
    .observe(root, {attributes: true, attributeFilter: ['data-step']});
}"""


def rates(draws: list, speed: int) -> dict:
    span = (draws[-1][0] - draws[0][0]) / 1000
    gaps = sorted(b[0] - a[0] for a, b in zip(draws, draws[1:]))
    return {"speed": speed, "pictures": len(draws), "seconds": round(span, 2),
            "pictures_per_s": round((len(draws) - 1) / span, 2), "median_gap_ms": round(gaps[len(gaps) // 2], 1),
            "longest_gap_ms": round(gaps[-1], 1)}


async def player_student(url: str, out: dict) -> None:
    from playwright.async_api import async_playwright, expect

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = await browser.new_page(viewport={"width": 1280, "height": 720})
        sent, failed = [], []
        page.on("websocket", lambda ws: ws.on("framesent", lambda f: sent.append(f)))
        page.on("response", lambda r: failed.append(r.url) if "/media/" in r.url and r.status >= 400 else None)
        await page.goto(f"{url}/inpainting")
        run = page.get_by_role("button", name="Run")
        await run.wait_for(timeout=300_000)
        t0 = time.monotonic()
        await run.click()
        player = page.locator(".cp")
        await player.get_by_role("button", name="▶ Play").wait_for(timeout=300_000)
        out["run_s"] = round(time.monotonic() - t0, 2)
        await player.scroll_into_view_if_needed()
        out["plays"] = []
        speeds = await player.locator("select option").evaluate_all("os => os.map(o => Number(o.value))")
        for speed in speeds:
            await player.locator("select").select_option(str(speed))
            await player.evaluate(WATCH)
            n_sent = len(sent)
            await player.get_by_role("button", name="▶ Play").click()
            await expect(player).to_have_attribute("data-playing", "0", timeout=120_000)  # it played to the end
            rec = rates(await page.evaluate("() => document.chainDraws.slice()"), speed)
            rec["messages_sent"] = len(sent) - n_sent
            out["plays"].append(rec)
        out["media_misses"] = failed
        await page.screenshot(path=str(ROOT / ".pytest_cache" / "chain_play.png"))
        await browser.close()


async def lesson(url: str, students: int, out: dict, others: list[dict]) -> None:
    t0 = time.monotonic()
    await asyncio.gather(player_student(url, out),
                         *(light_student(url, o["student"], t0 + o["student"] * STAGGER_S / max(1, students - 1), o)
                           for o in others))


def report(rec: dict) -> str:
    p = rec["player"]
    lines = [
        "# Chain player (▶ Play) while a class uses the server",
        "",
        f"A fresh server pinned to core {rec['server_cores']}, the clients on {rec['client_cores']}; "
        f"{rec['students'] - 1} light clients play class_load's lesson while one student in chromium at 1280x720 "
        f"presses Run on Inpainting's default (shown after {p['run_s']} s) and then ▶ Play at each speed, to the "
        f"end. Data directory: {'yes' if rec['data'] else 'no'}.",
        "",
        "| speed (pictures/s) | shown per second | median gap (ms) | longest gap (ms) | pictures "
        "| messages to the server |",
        "|---|---|---|---|---|---|",
    ]
    lines += [f"| {r['speed']} | {r['pictures_per_s']} | {r['median_gap_ms']} | {r['longest_gap_ms']} | "
              f"{r['pictures']} | {r['messages_sent']} |" for r in p["plays"]]
    lines += ["", f"Bar {BAR}, goal {GOAL} pictures per second. Failed `/media` requests: {len(p['media_misses'])}. "
              f"The other students' steps finished: {rec['others_finished']} of {rec['students'] - 1}."]
    return "\n".join(lines + ["", machine_line(rec["machine"])])


def options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--students", type=int, default=10)
    p.add_argument("--data", action=argparse.BooleanOptionalAction, default=bool(os.environ.get("DGM_DATA_DIR")))


def run(a: argparse.Namespace) -> dict:
    if a.students < 1:
        raise BenchError("--students is at least 1")
    if len(os.sched_getaffinity(0)) < 2:
        raise BenchError("needs two cores: one for the server, one for the clients")
    env = dict(os.environ)
    if not a.data:
        env.pop("DGM_DATA_DIR", None)
    out: dict = {}
    others = [{"student": i + 1, "steps": {}, "finished": {}, "exceptions": [], "console_errors": [], "offline": [],
               "leaks": []} for i in range(a.students - 1)]
    log = ROOT / ".pytest_cache" / "chain_play-server.log"
    log.parent.mkdir(exist_ok=True)
    with pinned_server(ROOT, env, log) as (url, pids):
        server_cores, client_cores = sorted(os.sched_getaffinity(pids[0])), sorted(os.sched_getaffinity(0))
        asyncio.run(lesson(url, a.students, out, others))
    return {"students": a.students, "data": a.data, "server_cores": server_cores, "client_cores": client_cores,
            "lesson": [s[0] for s in LESSON], "player": out,
            "others_finished": sum(len(o["steps"]) == len(LESSON) for o in others),
            "bar_pictures_per_s": BAR, "goal_pictures_per_s": GOAL}


BENCH = bench(run, report, options=options)


if __name__ == "__main__":
    raise SystemExit(BENCH.main())
