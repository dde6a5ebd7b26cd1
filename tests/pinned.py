"""What a test of a pinned benchmark (the server on one core, chromium or the clients on the other) needs: the
marks that skip it, with the reason, where it cannot run."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

PINNED_BENCHMARK = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="chromium is not installed"),
    pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="the benchmark pins the server and the clients apart"),
]
