"""The first view of every page right after the server starts: what the first student to follow a link waits.

    python -m dgm_core bench first_view [--data/--no-data] [--pages home,mnar,...] [--after-visit S] [--shots DIR]
                                        [--label final]

For each page: a fresh `streamlit run app.py`, pinned to core 0 as `bench class_load` pins it, timed until it answers
its health check (the app's start-up hook runs before: the pages' imports and their default views, app.py); then
chromium on core 1 opens the page's link as a student's first request, at 1280x720, and the clock stops when the page
is done: connected, the script not running, no status widget, no spinner and no progress bar left on it (and on the
latent explorer, the generator's picture drawn in the browser). ``--after-visit S``: someone opened Home S seconds
before (a lecturer's first visit), then the page is opened in a fresh browser. The page's exceptions are counted;
``--shots`` keeps a screenshot of each page as it was shown. The issue's bar is 5 s per page, its goal 2 s.

Writes benchmarks/results/first_view.{json,md}; a run replaces only the records of its own label and data setting.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import time
from pathlib import Path

from benchmarks.class_load import _wait_for_app, pinned_server
from benchmarks.common import CHROMIUM_ARGS, app_commit, machine_line
from benchmarks.harness import BenchError, bench, keyed

ROOT = Path(__file__).resolve().parents[1]
BAR_S, GOAL_S = 5.0, 2.0
TIMEOUT_S = 180.0
# a page's own sign that its key picture is on screen, where the browser draws it after the script has finished
DRAWN = {"latent": (".ls .note", "Drawn in this browser")}  # onnxruntime-web loaded the generator and ran it
BUSY = '[data-testid="stSpinner"], [data-testid="stProgress"], [data-testid="stStatusWidget"]'


async def first_view(url: str, path: str, shot: Path | None, after_visit: float | None = None) -> dict:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            if after_visit is not None:  # the lecturer's visit, in a browser of its own
                lecturer = await browser.new_context(viewport={"width": 1280, "height": 720})
                await (await lecturer.new_page()).goto(url, timeout=TIMEOUT_S * 1000)
                await asyncio.sleep(after_visit)
                await lecturer.close()
            page = await (await browser.new_context(viewport={"width": 1280, "height": 720})).new_page()
            t0 = time.monotonic()
            await page.goto(f"{url}/{path}", timeout=TIMEOUT_S * 1000)
            await page.locator("h1").first.wait_for(timeout=TIMEOUT_S * 1000)
            while True:  # a page may finish one run and start the next (a fragment, a rerun after a result)
                await _wait_for_app(page, TIMEOUT_S * 1000)
                await page.wait_for_function(f"() => document.querySelectorAll('{BUSY}').length === 0",
                                             timeout=TIMEOUT_S * 1000)
                await page.wait_for_timeout(300)
                if await page.locator(BUSY).count() == 0 and await page.locator(
                        '[data-testid="stApp"][data-test-script-state="notRunning"]').count():
                    break
            seconds = round(time.monotonic() - t0 - 0.3, 2)  # less the last quiet check
            if path in DRAWN:
                await page.locator(DRAWN[path][0]).filter(has_text=DRAWN[path][1]).first.wait_for(
                    timeout=TIMEOUT_S * 1000)
                seconds = max(seconds, round(time.monotonic() - t0, 2))
            exceptions = await page.get_by_test_id("stException").count()
            if shot is not None:
                shot.mkdir(parents=True, exist_ok=True)
                await page.screenshot(path=str(shot / f"{path or 'home'}.png"))
            return {"seconds": seconds, "exceptions": exceptions}
        except Exception as e:  # noqa: BLE001 - a page that never settles is a result
            return {"failed": f"{type(e).__name__}: {str(e)[:300]}"}
        finally:
            await browser.close()


def options(p: argparse.ArgumentParser) -> None:
    from ui.catalog import PAGES

    p.add_argument("--data", action=argparse.BooleanOptionalAction, default=bool(os.environ.get("DGM_DATA_DIR")),
                   help="serve with DGM_DATA_DIR (default: when it is set)")
    p.add_argument("--pages", default=",".join(pg.url_path for pg in PAGES),
                   help="url paths, comma-separated (default: every page)")
    p.add_argument("--after-visit", dest="after_visit", type=float, default=None,
                   help="open Home this many seconds before the page (the lecturer's first visit)")
    p.add_argument("--shots", default=None, help="keep a screenshot of each first view in this folder")
    p.add_argument("--label", default="final")


def run(a: argparse.Namespace) -> dict:
    from ui.catalog import PAGES

    paths = [p.url_path for p in PAGES]
    if a.data and not os.environ.get("DGM_DATA_DIR"):
        raise BenchError("--data needs DGM_DATA_DIR set")
    if len(os.sched_getaffinity(0)) < 2:
        raise BenchError("needs two cores: one for the server, one for the browser")
    chosen = a.pages.split(",")
    if unknown := sorted(set(chosen) - set(paths)):
        raise BenchError(f"no page {', '.join(unknown)}; the pages are {', '.join(paths)}")
    env = dict(os.environ)
    if not a.data:
        env.pop("DGM_DATA_DIR", None)
    log = ROOT / ".pytest_cache" / "first_view-server.log"
    log.parent.mkdir(exist_ok=True)

    views = {}
    for path in chosen:
        t0 = time.monotonic()
        with pinned_server(ROOT, env, log) as (url, _):
            started = round(time.monotonic() - t0, 2)  # until the server answers: its start-up (app.py) included
            views[path] = asyncio.run(first_view(url, path, Path(a.shots) if a.shots else None, a.after_visit))
            views[path]["server_start_s"] = started
        print(path, views[path], flush=True)
    timed = [v["seconds"] for v in views.values() if "seconds" in v]
    return {"label": a.label, "data": a.data, "after_visit_s": a.after_visit, "app_commit": app_commit(ROOT),
            "bar_s": BAR_S, "goal_s": GOAL_S, "pages": views, "max_s": max(timed) if timed else None,
            "within_bar": sum(t <= BAR_S for t in timed), "within_goal": sum(t <= GOAL_S for t in timed)}


def report(doc: dict) -> str:
    records = doc["records"]
    lines = ["# The first view of each page on a fresh server", "",
             "Each page opened by its link on a server just started (pinned to one core; chromium on the other, "
             "1280x720): as the server's first request, or after a first visit of Home where the heading says so; "
             "timed until nothing on the page is running. "
             f"Bar {BAR_S:g} s, goal {GOAL_S:g} s.", ""]
    for r in records.values():
        when = (f"{r['after_visit_s']:g} s after a first visit of Home" if r.get("after_visit_s") is not None
                else "the server's first request")
        lines += [f"## {r['label']}: {when}, {'with' if r['data'] else 'without'} DGM_DATA_DIR "
                  f"(app {r['app_commit']})", "",
                  f"`{r['command']}`", "", "| page | first view (s) | exceptions | server start before it (s) |",
                  "|---|---|---|---|"]
        for name, v in r["pages"].items():
            start = v.get("server_start_s", "not measured")
            lines.append(f"| {name} | {v['seconds']} | {v['exceptions']} | {start} |" if "seconds" in v
                         else f"| {name} | did not settle: {v['failed']} | – | {start} |")
        lines += ["", f"Within the bar: {r['within_bar']} of {len(r['pages'])} pages; within the goal: "
                  f"{r['within_goal']}; slowest {r['max_s']} s.", "", machine_line(r["machine"]), ""]
    return "\n".join(lines)


def key(rec: dict) -> str:
    """A record's place in the file: a run replaces only the record of its own label and settings."""
    return f"{rec['label']}|data={rec['data']}|after_visit={rec['after_visit_s']}"


BENCH = bench(run, report, options=options, merge=keyed(key),
              ok=lambda r: all("seconds" in v for v in r["pages"].values()))


if __name__ == "__main__":
    raise SystemExit(BENCH.main())
