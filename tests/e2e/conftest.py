"""Real-browser tests: a Streamlit server started per session, Debian's chromium through playwright."""
from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pytest_collection_modifyitems(config, items):
    if Path(CHROMIUM).exists():
        return
    if os.environ.get("DGM_REQUIRE_BROWSER"):
        raise pytest.UsageError(f"chromium not found at {CHROMIUM} but DGM_REQUIRE_BROWSER is set")
    skip = pytest.mark.skip(reason="chromium is not installed (make test installs it with apt)")
    for item in items:
        if "e2e" in item.nodeid:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": [
        "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1400, "height": 1000}}


@contextlib.contextmanager
def streamlit_server():
    """A fresh Streamlit server on a free port running app.py; yields its URL, stops it afterwards."""
    port = _free_port()
    log = open(ROOT / ".pytest_cache" / "streamlit-e2e.log", "a") if (ROOT / ".pytest_cache").exists() \
        else subprocess.DEVNULL
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
         "--server.address", "127.0.0.1", "--server.port", str(port), "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none"],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while True:
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                    break
            except OSError:
                pass
            if proc.poll() is not None or time.time() > deadline:
                raise RuntimeError("the Streamlit server did not start")
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="session")
def app_url():
    with streamlit_server() as url:
        yield url


def wait_for_app(page, timeout: float = 60_000) -> None:
    """Wait until the page has rendered and Streamlit is not running anything.

    The status widget shows only after a run has lasted a moment, so its absence alone can be read
    in the gap between a click and the rerun it starts; the app root's script state cannot. A short
    pause first lets a click's rerun request reach the server."""
    page.wait_for_timeout(150)
    page.locator('[data-testid="stApp"][data-test-connection-state="CONNECTED"]').wait_for(timeout=timeout)
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(timeout=timeout)
    page.locator("h1").first.wait_for(timeout=timeout)
    page.wait_for_function(
        "() => document.querySelectorAll('[data-testid=\"stStatusWidget\"]').length === 0", timeout=timeout)


def box_select(page, plot, lo: float = 0.3, hi: float = 0.7) -> None:
    """Drag a selection box over a plotly chart, from (lo, lo) to (hi, hi) of its plotting area."""
    plot.scroll_into_view_if_needed()  # the mouse can only drag over what is on the screen
    box = plot.locator(".nsewdrag").first.bounding_box()
    page.mouse.move(box["x"] + box["width"] * lo, box["y"] + box["height"] * lo)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * hi, box["y"] + box["height"] * hi, steps=12)
    page.mouse.up()
