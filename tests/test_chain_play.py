"""A smoke run of the chain-player benchmark with one student (no class around): a fresh server, the default Run,
▶ Play at every speed to the end; the record has each play, none of them talked to the server, and the report
says so. Speeds are the benchmark's to measure, not this test's."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.pinned import PINNED_BENCHMARK
from ui.chain_player import SPEEDS

ROOT = Path(__file__).resolve().parents[1]

pytestmark = PINNED_BENCHMARK


def bench(*args: str, out: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "benchmarks.chain_play", *args, "--out", str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=400)


def test_one_student_plays_every_speed_to_the_end_without_a_message(tmp_path):
    run = bench("--students", "1", "--no-data", out=tmp_path)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    rec = json.loads((tmp_path / "chain_play.json").read_text())
    plays = rec["player"]["plays"]
    assert [p["speed"] for p in plays] == list(SPEEDS)
    assert all(p["pictures"] >= 50 and p["messages_sent"] == 0 for p in plays), plays  # 51 snapshots by default
    assert rec["player"]["media_misses"] == [] and rec["students"] == 1 and rec["data"] is False
    assert "| 24 | " in (tmp_path / "chain_play.md").read_text()


def test_a_class_of_nobody_is_refused(tmp_path):
    run = bench("--students", "0", out=tmp_path)
    assert run.returncode == 2 and "--students is at least 1" in run.stderr
