"""Real-browser tests: a Streamlit server started per session, Debian's chromium through playwright."""
from __future__ import annotations

import os
import random
import shutil
import time
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from benchmarks.common import CHROMIUM_ARGS, streamlit_server

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
LOG = ROOT / ".pytest_cache" / "streamlit-e2e.log" if (ROOT / ".pytest_cache").exists() else None


def pytest_collection_modifyitems(config, items):
    seed = os.environ.get("DGM_SHUFFLE_SEED")
    if seed:  # the browser tests in a shuffled order: none may lean on what an earlier one left behind
        e2e = [i for i, item in enumerate(items) if "e2e" in item.nodeid]
        order = [items[i] for i in e2e]
        random.Random(int(seed)).shuffle(order)
        for i, item in zip(e2e, order):
            items[i] = item
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


@pytest.fixture(autouse=True)
def fresh_page(request):
    """Every browser test starts from a fresh context: pytest-playwright's ``page`` and ``context`` are the test's own,
    and this checks it (no URL, cookie or stored value left by another test). ``DGM_SHUFFLE_SEED=N`` runs the tests
    in a shuffled order to show they stand alone."""
    if "page" in request.fixturenames:
        page = request.getfixturevalue("page")
        assert page.url == "about:blank" and page.context.cookies() == [] and len(page.context.pages) == 1, \
            "the test's browser page is not fresh"
        assert page.context.storage_state() == {"cookies": [], "origins": []}, "the test's context holds storage"
    yield


@pytest.fixture(scope="session")
def app_url():
    with streamlit_server(log=LOG) as (url, _):
        yield url


# a bound for what a loaded machine's browser may take (a runtime's download, a model's first drawing): generous, since
# only a failure waits for it all
LOADED = 300_000
# the most wait_for_app waits while what the tests started keeps working (s): a hung test fails inside CI's 90 minutes
PATIENCE = 10 * 60
WORKING = 0.1  # the share of one core that counts as working, in wait_for_app


def started_cpu_seconds() -> float:
    """The CPU time (user and system, every thread) used so far by the processes this one started and theirs: its
    Streamlit servers, playwright's driver and chromium; from Linux's /proc, 0 elsewhere."""
    children: dict[int, list[int]] = {}
    used: dict[int, float] = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            fields = (d / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        children.setdefault(int(fields[1]), []).append(int(d.name))
        used[int(d.name)] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    total, todo = 0.0, list(children.get(os.getpid(), []))
    while todo:
        pid = todo.pop()
        total += used.get(pid, 0.0)
        todo += children.get(pid, [])
    return total


class Watch:
    """A wait on a loaded machine, which goes on while what this test process started (its Streamlit servers, its
    browser) works at it: ``check`` fails once a window of ``window`` seconds passed with them using under WORKING of
    a core (idle, they use 0.5 % to 4 %: measured), or once PATIENCE is spent."""

    def __init__(self, window: float):
        self.window, self.start = window, time.monotonic()
        self.mark, self.used = self.start, started_cpu_seconds()

    def check(self, what: str) -> None:
        """Call it as often as you like while awaiting ``what``; it raises AssertionError naming it when time is up."""
        now = time.monotonic()
        if now - self.mark < self.window:
            return
        worked = started_cpu_seconds() - self.used
        if worked < WORKING * (now - self.mark) or now - self.start > PATIENCE:
            raise AssertionError(f"awaited {what} for {now - self.start:.0f} s; the servers and browser this test "
                                 f"started worked {worked:.1f} CPU s in the last {now - self.mark:.0f} s")
        self.mark, self.used = now, started_cpu_seconds()


def patiently(wait, what: str, window: float = 60) -> None:
    """``wait(ms)``, a playwright wait or ``expect`` given its timeout, tried again each time it times out while what
    this test process started keeps working (``Watch``), so a loaded machine's slow run is waited for; once a window
    of ``window`` seconds passes with them idle, an AssertionError says what was awaited."""
    watch = Watch(window)
    while True:
        try:
            return wait(window * 1000)
        except (PlaywrightTimeout, AssertionError) as e:  # expect's timeouts are AssertionErrors
            watch.check(f"{what} ({str(e).strip().splitlines()[0]})")


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
    pause first lets a click's rerun request reach the server.

    ``timeout`` (ms) is a window, not a budget (``patiently``)."""
    patiently(lambda ms: _wait_for_run(page, ms), f"{page.url} rendered, its script finished and the page still",
              timeout / 1000)


def _wait_for_run(page, timeout: float) -> None:
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
