"""Measure which tests are slow, for `make check` (the fast tier leaves them out): run the tests with pytest on two
cores, record each one's time (setup, call and teardown together: the fast tier pays all three) and write
tests/slow_tests.json, which tests/conftest.py reads (a test over its threshold is marked slow).

    .venv/bin/python tools/measure_slow.py              # every test but the browser's (tests/e2e)
    .venv/bin/python tools/measure_slow.py tests/app    # only these files or folders; the other records are kept

A second pass runs what the first left fast (`-m "not slow"`, as make check does): a module's shared fixture, whose
cost the first pass put on a test now marked slow, falls on the next test, which is then recorded over the threshold
too; passes go on until one marks nothing new. Times are this machine's, under its load at the time: measure on a
quiet machine (the load average is written beside them).
"""
from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RECORD = ROOT / "tests" / "slow_tests.json"
THRESHOLD = 1.0  # seconds: a test taking longer is left to `make test` (make check within its 3 minutes)
PASSES = 4


class Recorder:
    """Each test's setup, call and teardown time, summed (with xdist, from the workers' reports)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.failed: list[str] = []

    def pytest_runtest_logreport(self, report) -> None:
        self.seconds[report.nodeid] = self.seconds.get(report.nodeid, 0.0) + report.duration
        if report.failed:
            self.failed.append(report.nodeid)


def run(paths: list[str], only_fast: bool) -> Recorder:
    rec = Recorder()
    args = ["-n", "2", "-q", "-p", "no:cacheprovider", "--ignore=tests/e2e", *(["-m", "not slow"] if only_fast else []),
            *paths]
    code = pytest.main(args, plugins=[rec])
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED, pytest.ExitCode.NO_TESTS_COLLECTED):
        sys.exit(f"pytest stopped ({code!r}): nothing written")
    return rec


def in_paths(nodeid: str, paths: list[str]) -> bool:
    file = nodeid.split("::")[0]
    return any(file == p or file.startswith(p.rstrip("/") + "/") for p in paths)


def main(paths: list[str]) -> None:
    os.chdir(ROOT)
    load = os.getloadavg()
    old = json.loads(RECORD.read_text())["seconds"] if RECORD.exists() and paths else {}
    measured = {k: v for k, v in old.items() if not in_paths(k, paths)}  # the records of what is not measured now
    failed: list[str] = []
    for n in range(PASSES):
        rec = run(paths or ["tests"], only_fast=n > 0)
        failed += rec.failed
        new = {k: max(v, measured.get(k, 0.0)) if n else v for k, v in rec.seconds.items()}
        newly_slow = [k for k, v in new.items() if v > THRESHOLD and measured.get(k, 0.0) <= THRESHOLD]
        measured.update(new)
        write(measured, load)
        print(f"pass {n + 1}: {len(rec.seconds)} tests, {len(newly_slow)} newly over {THRESHOLD:g} s", flush=True)
        if n and not newly_slow:
            break
    if failed:
        print(f"{len(failed)} failed (their times are recorded all the same): {', '.join(sorted(set(failed))[:10])}")


def write(seconds: dict[str, float], load: tuple[float, ...]) -> None:
    from benchmarks.common import machine
    record = {"threshold_s": THRESHOLD, "written_by": "tools/measure_slow.py", "machine": machine(load),
              "slow": sum(v > THRESHOLD for v in seconds.values()),
              "seconds": {k: round(v, 3) for k, v in sorted(seconds.items())}}
    RECORD.write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    start = time.monotonic()
    main(sys.argv[1:])
    print(f"wrote {RECORD.relative_to(ROOT)} in {time.monotonic() - start:.0f} s")
