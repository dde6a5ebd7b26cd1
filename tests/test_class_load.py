"""A two-student smoke run of the class-load benchmark in chromium: both students get through the whole
lesson, the app shows no exception and logs no console error, the server stayed on its own core."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.pinned import PINNED_BENCHMARK

ROOT = Path(__file__).resolve().parents[1]

pytestmark = PINNED_BENCHMARK


def test_two_students_play_the_lesson(tmp_path):
    run = subprocess.run([sys.executable, "-m", "benchmarks.class_load", "--students", "2", "--clients", "chromium",
                          "--label", "smoke", "--out", str(tmp_path)], cwd=ROOT, capture_output=True, text=True,
                         timeout=540)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    (rec,) = json.loads((tmp_path / "class_load.json").read_text())["records"].values()
    assert rec["failed"] == {}
    assert all(s["n"] == 2 for s in rec["steps"].values()), rec["steps"]
    assert rec["exceptions"] == [] and rec["console_errors"] == []
    assert rec["server_cores"] == [0] and rec["client_cores"] == [1]
    assert rec["rss_peak_mb"] > rec["rss_started_mb"] > 0
    assert (tmp_path / "class_load.md").read_text().startswith("# A lesson played by a class")


def test_a_class_poll_beside_the_lesson_counts_every_phones_answer(tmp_path):
    """--poll-phones: the phones answer on the app's own poll routes while two students play; every phone's last
    answer is in the room's tally, and the record says so."""
    run = subprocess.run([sys.executable, "-m", "benchmarks.class_load", "--students", "2", "--clients", "light",
                          "--own-runs", "server", "--poll-phones", "4", "--label", "smoke", "--out", str(tmp_path)],
                         cwd=ROOT, capture_output=True, text=True, timeout=540)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    (rec,) = json.loads((tmp_path / "class_load.json").read_text())["records"].values()
    poll = rec["poll"]
    assert poll["failed"] == [] and poll["phones"] == 4 and poll["answers"] >= 4
    assert poll["counted"] == poll["phones_with_a_receipt"] == 4 and poll["tally_matches_receipts"]
    assert "4-phone poll beside it" in (tmp_path / "class_load.md").read_text()
