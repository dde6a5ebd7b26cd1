"""How long `make test` takes: the Makefile's own target run as it is (lint, Node's tests, then the core and page
tests and the browser tests, each pytest on two workers), with or without DGM_DATA_DIR; its wall time beside the
target (twenty minutes), and each pytest suite's own summary (its counts and seconds, as pytest printed them). The
rest of the wall time is the lint, Node's tests and pytest's start-up. CI runs `make test` twice (without, then with
the data sets), so each record is one of its halves.

    python -m dgm_core bench suite_time             # with the data sets (when DGM_DATA_DIR is set)
    python -m dgm_core bench suite_time --no-data   # as a fresh clone without them

The machine's load at the start and the end is in the record: a suite run beside other work is a loaded figure.
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import time
from pathlib import Path

from benchmarks.common import machine_line
from benchmarks.harness import bench, keyed

ROOT = Path(__file__).resolve().parents[1]
TARGET_S = 20 * 60  # make test's target
# pytest's last line: "=== 1748 passed, 39 skipped, 60 warnings in 481.93s (0:08:01) ===" (the equals signs optional)
SUMMARY = re.compile(r"^=*\s*((?:\d+ [a-z]+(?:, )?)+) in ([\d.]+)s\b")


def summaries(log: str) -> list[dict]:
    """Each pytest summary line of ``log``, in order: {"counts": {"passed": n, ...}, "seconds": s}."""
    found = []
    for line in log.splitlines():
        if m := SUMMARY.match(line.strip()):
            counts = {word: int(n) for n, word in re.findall(r"(\d+) ([a-z]+)", m.group(1))}
            found.append({"counts": counts, "seconds": float(m.group(2))})
    return found


def run(a: argparse.Namespace) -> dict:
    env = dict(os.environ)
    if not a.data:
        env.pop("DGM_DATA_DIR", None)
    log = ROOT / ".pytest_cache" / f"suite_time-{'data' if a.data else 'nodata'}.log"
    log.parent.mkdir(exist_ok=True)
    t0 = time.monotonic()
    with log.open("w") as out:
        code = subprocess.run(["make", "test"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT).returncode
    wall = round(time.monotonic() - t0, 1)
    suites = summaries(log.read_text(errors="replace"))
    names = ["core and pages", "browser"][:len(suites)]
    return {"data": a.data, "exit_status": code, "wall_s": wall, "target_s": TARGET_S,
            "suites": [{"name": n, **s} for n, s in zip(names, suites)],
            "rest_s": round(wall - sum(s["seconds"] for s in suites), 1), "log": str(log.relative_to(ROOT))}


def report(doc: dict) -> str:
    lines = ["# How long `make test` takes", "",
             f"The Makefile's target run as it is; the target: the whole within {TARGET_S // 60} minutes. Each "
             "suite's seconds are pytest's own; the rest is the lint, Node's tests and start-up.", ""]
    for key in sorted(doc["records"], reverse=True):
        r = doc["records"][key]
        short = r["wall_s"] - r["target_s"]
        lines += [f"## {'With' if r['data'] else 'Without'} DGM_DATA_DIR", "", f"`{r['command']}`", "",
                  f"**{r['wall_s'] / 60:.1f} minutes** (exit status {r['exit_status']}); "
                  + (f"over the target by {short / 60:.1f} minutes." if short > 0 else "within the target."), "",
                  "| part | seconds | counts |", "|---|---|---|"]
        lines += [f"| {s['name']} | {s['seconds']:.0f} | "
                  f"{', '.join(f'{n} {w}' for w, n in s['counts'].items())} |" for s in r["suites"]]
        lines += [f"| the rest | {r['rest_s']:.0f} | |", "", machine_line(r["machine"]), ""]
    return "\n".join(lines)


def options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", action=argparse.BooleanOptionalAction, default=bool(os.environ.get("DGM_DATA_DIR")),
                   help="run with DGM_DATA_DIR (default: when it is set)")


BENCH = bench(run, report, options=options, merge=keyed(lambda r: f"data={r['data']}"),
              ok=lambda r: r["exit_status"] == 0)


if __name__ == "__main__":
    raise SystemExit(BENCH.main())
