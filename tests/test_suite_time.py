"""bench suite_time: it reads pytest's own summaries out of `make test`'s output (the lines as pytest prints them,
with xdist and without the equals signs), in order, and nothing else that has "in ... s" in it."""
from __future__ import annotations

from benchmarks.suite_time import report, summaries

LOG = """\
.venv/bin/ruff check .
All checks passed!
# pass 412
# duration_ms 30551.1
.venv/bin/python -m pytest -n 2 --ignore=tests/e2e
========== 1748 passed, 39 skipped, 60 warnings in 481.93s (0:08:01) ===========
the page answered in 0.5s
.venv/bin/python -m pytest -n 2 tests/e2e
============ 1 failed, 150 passed, 3 warnings in 944.92s (0:15:44) =============
151 passed in 12.50s
"""


def test_each_pytest_summary_is_read_with_its_counts_and_seconds():
    got = summaries(LOG)
    assert got == [{"counts": {"passed": 1748, "skipped": 39, "warnings": 60}, "seconds": 481.93},
                   {"counts": {"failed": 1, "passed": 150, "warnings": 3}, "seconds": 944.92},
                   {"counts": {"passed": 151}, "seconds": 12.5}]
    assert summaries("the page answered in 0.5s\n# duration_ms 30551.1") == []


def test_the_report_says_by_how_much_the_target_is_missed():
    rec = {"data": True, "exit_status": 0, "wall_s": 1500.0, "target_s": 1200, "rest_s": 60.0, "command": "c",
           "suites": [{"name": "core and pages", "counts": {"passed": 3}, "seconds": 500.0},
                      {"name": "browser", "counts": {"passed": 2}, "seconds": 940.0}],
           "machine": {"platform": "p", "torch": "t", "cpu_count": 2, "load_average_at_start": [1, 1, 1],
                       "load_average_at_end": [1, 1, 1], "date": "d"}}
    text = report({"records": {"data=True": rec}})
    assert "**25.0 minutes**" in text and "over the target by 5.0 minutes" in text
    assert "| browser | 940 | 2 passed |" in text
