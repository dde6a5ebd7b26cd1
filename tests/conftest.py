"""Settings for the whole suite."""
import json
import math
import os
from pathlib import Path

# The app's warm-up (docs/DEPLOY.md, "A class on one server") computes every page's default view in a background thread
# of the server process; under pytest that thread would compete with the tests for the CPU. The tests of the warm-up
# run its jobs themselves, in the foreground (tests/app/test_inpainting.py, tests/app/test_mnar.py,
# tests/test_startup.py).
os.environ.setdefault("DGM_WARMUP", "0")


# `make check`, the fast tier, leaves out the tests marked slow: those whose time (setup, call and teardown) measured
# by tools/measure_slow.py, recorded in tests/slow_tests.json, is over the record's threshold, and those not recorded
# yet in a file that has a slow test (a new test beside slow ones is likely slow too); `make test` runs them all. A
# new file runs in the fast tier until it is measured, unless it marks itself slow (``pytestmark = pytest.mark.slow``).
SLOW_RECORD = Path(__file__).with_name("slow_tests.json")


def slow_tests() -> tuple[dict[str, float], float]:
    """The record's seconds by test id and its threshold (no record: none)."""
    if not SLOW_RECORD.exists():
        return {}, math.inf
    record = json.loads(SLOW_RECORD.read_text())
    return record["seconds"], record["threshold_s"]


def pytest_collection_modifyitems(config, items):
    import pytest

    seconds, threshold = slow_tests()
    slow_files = {test.split("::")[0] for test, t in seconds.items() if t > threshold}
    for item in items:
        file, recorded = item.nodeid.split("::")[0], seconds.get(item.nodeid)
        if recorded > threshold if recorded is not None else file in slow_files:
            item.add_marker(pytest.mark.slow)
