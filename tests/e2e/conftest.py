"""Real-browser tests: a Streamlit server started per session, Debian's chromium through playwright."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from benchmarks.common import CHROMIUM_ARGS, streamlit_server  # noqa: F401 (test_pages starts its own servers)

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
LOG = ROOT / ".pytest_cache" / "streamlit-e2e.log" if (ROOT / ".pytest_cache").exists() else None


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
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1400, "height": 1000}}


@pytest.fixture(scope="session")
def app_url():
    with streamlit_server(log=LOG) as (url, _):
        yield url


# true once no element was added or removed for `ms` milliseconds (the observer lives until the next load)
QUIET_JS = """ms => {
    if (window.__quietSince === undefined) {
        window.__quietSince = Date.now();
        new MutationObserver(() => { window.__quietSince = Date.now(); })
            .observe(document.body, {childList: true, subtree: true});
    }
    return Date.now() - window.__quietSince > ms;
}"""


def wait_for_app(page, timeout: float = 60_000) -> None:
    """Wait until the page has rendered and Streamlit is not running anything.

    The status widget shows only after a run has lasted a moment, so its absence alone can be read
    in the gap between a click and the rerun it starts; the app root's script state cannot. A short
    pause first lets a click's rerun request reach the server."""
    page.wait_for_timeout(150)
    page.locator('[data-testid="stApp"][data-test-connection-state="CONNECTED"]').wait_for(timeout=timeout)
    # the heading first: before a fresh page's first run the script state also reads notRunning
    page.locator("h1").first.wait_for(timeout=timeout)
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(timeout=timeout)
    page.wait_for_function(
        "() => document.querySelectorAll('[data-testid=\"stStatusWidget\"]').length === 0", timeout=timeout)
    # and the page has stopped changing: some widgets (sliders) are drawn a moment after the run ends
    page.wait_for_function(QUIET_JS, arg=400, timeout=timeout)


def box_select(page, plot, lo: float = 0.3, hi: float = 0.7) -> None:
    """Drag a selection box over a plotly chart, from (lo, lo) to (hi, hi) of its plotting area."""
    plot.scroll_into_view_if_needed()  # the mouse can only drag over what is on the screen
    box = plot.locator(".nsewdrag").first.bounding_box()
    page.mouse.move(box["x"] + box["width"] * lo, box["y"] + box["height"] * lo)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * hi, box["y"] + box["height"] * hi, steps=12)
    page.mouse.up()
