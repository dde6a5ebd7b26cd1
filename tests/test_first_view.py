"""A smoke run of the first-view benchmark: a fresh server, one page opened by its link in chromium, timed until
nothing on it runs; the record says so, the report names the page, and an unknown page is refused in one sentence."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.pinned import PINNED_BENCHMARK

ROOT = Path(__file__).resolve().parents[1]

pytestmark = PINNED_BENCHMARK


def bench(*args: str, out: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "benchmarks.first_view", *args, "--label", "smoke", "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_the_about_page_is_timed_on_a_fresh_server(tmp_path):
    run = bench("--pages", "about", "--no-data", out=tmp_path)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    (rec,) = json.loads((tmp_path / "first_view.json").read_text())["records"].values()
    view = rec["pages"]["about"]
    assert view["exceptions"] == 0 and 0 < view["seconds"] < 180 and 0 < view["server_start_s"] < 180
    assert rec["max_s"] == view["seconds"] and rec["after_visit_s"] is None and rec["data"] is False
    assert "| about | " in (tmp_path / "first_view.md").read_text()


def test_an_unknown_page_is_refused(tmp_path):
    run = bench("--pages", "nowhere", out=tmp_path)
    assert run.returncode == 2 and "no page nowhere; the pages are home," in run.stderr
    assert not (tmp_path / "first_view.json").exists()
