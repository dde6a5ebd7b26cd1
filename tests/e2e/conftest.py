"""Real-browser tests: a Streamlit server started per session, Debian's chromium through playwright."""
from __future__ import annotations

import os
import random
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import Page as PlaywrightPage
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from benchmarks.common import CHROMIUM_ARGS, streamlit_server
from benchmarks.fixtures import Watch, deck_key, patiently, wait_for_app  # noqa: F401 - the e2e tests import them from here

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
    page = request.getfixturevalue("page") if "page" in request.fixturenames else None
    if isinstance(page, PlaywrightPage):  # (a test may name a parameter "page": a page of the app's catalog)
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
def box_select(page, plot, lo: float = 0.3, hi: float = 0.7, tries: int = 3) -> None:
    """Drag a selection box over a plotly chart, from (lo, lo) to (hi, hi) of its plotting area, once the chart has
    stopped moving; a drag plotly did not draw as a box (the chart was still being laid out or redrawn when the mouse
    went down: CI lost one so) is dragged again, at most ``tries`` times in all."""
    plot.scroll_into_view_if_needed()  # the mouse can only drag over what is on the screen
    drag = plot.locator(".nsewdrag").first
    for _ in range(tries):
        box = drag.bounding_box()
        for _ in range(20):  # the same place twice, a quarter of a second apart
            page.wait_for_timeout(250)
            box, before = drag.bounding_box(), box
            if box == before:
                break
        page.mouse.move(box["x"] + box["width"] * lo, box["y"] + box["height"] * lo)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] * hi, box["y"] + box["height"] * hi, steps=12)
        page.mouse.up()
        try:
            plot.locator(".selectionlayer path").first.wait_for(timeout=5_000)
            return
        except PlaywrightTimeoutError:
            plot.scroll_into_view_if_needed()
    raise AssertionError(f"plotly drew no selection box after {tries} drags")
