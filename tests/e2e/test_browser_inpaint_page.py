"""ui.browser_inpaint's panel on a tiny page of its own (tests/e2e/pages/browser_inpaint_page.py; AppTest cannot run
components): the inpainting page's default MNIST run (pseudo-Gibbs and MIWAE) runs in the visitor's browser, shows
its progress, comes back once as the server's rows (dgm_core's scores of the browser's results), keeps the observed
pixels, is not run again by a rerun, and a model that cannot load is one sentence on the page."""
from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.common import streamlit_server
from benchmarks.fixtures import Watch, wait_for_app

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "tests" / "e2e" / "pages" / "browser_inpaint_page.py"


@pytest.fixture(scope="module")
def url(tmp_path_factory):
    """The tiny page served beside a link to the app's static/ (Streamlit serves the static/ beside the script it
    runs), from the repository's root (the app's .streamlit/config.toml: static serving on)."""
    folder = tmp_path_factory.mktemp("browser_inpaint")
    (folder / "static").symlink_to(ROOT / "static")
    (folder / "page.py").symlink_to(PAGE)
    with streamlit_server(script=folder / "page.py") as (u, _):
        yield u


def test_the_default_run_comes_back_from_the_browser_once(page, url):
    page.goto(url)
    wait_for_app(page)
    panel = page.locator(".bi")
    bar = panel.locator(".bar .text")
    bar.wait_for(timeout=60_000)
    seen = set()
    watch = Watch(60)  # for as long as the browser works at it, however loaded the machine
    while not page.get_by_text("seconds in the browser").count():
        seen.add(bar.text_content())
        watch.check("the browser's run to come back (\"seconds in the browser\")")
        page.wait_for_timeout(200)
    wait_for_app(page)
    assert any("in this browser:" in s and "%" in s for s in seen), seen  # progress was shown
    assert page.get_by_test_id("stException").count() == 0
    text = page.locator("body").inner_text()
    assert "pseudo_gibbs: F1" in text and "miwae: F1" in text
    assert text.count("observed pixels kept: True; mean in [0, 1]: True") == 2
    assert "verdict:" in text
    job = panel.first.get_attribute("data-job")
    seconds = panel.first.get_attribute("data-seconds")
    page.screenshot(path=str(ROOT / ".pytest_cache" / "browser_inpaint_page.png"), full_page=True)
    page.get_by_role("button", name="Rerun").click()
    wait_for_app(page)
    page.wait_for_timeout(1000)
    assert panel.first.get_attribute("data-job") == job and panel.first.get_attribute("data-seconds") == seconds
    assert bar.text_content().startswith("Done in this browser"), bar.text_content()  # not started again
    assert page.get_by_text("seconds in the browser").count() == 1


def test_a_model_the_browser_cannot_load_is_one_sentence(page, url):
    page.goto(f"{url}/?broken=1&steps=20")
    wait_for_app(page)
    warning = page.get_by_text("This browser could not run the samplers")
    warning.first.wait_for(timeout=120_000)
    assert page.get_by_test_id("stException").count() == 0
    assert page.get_by_text("seconds in the browser").count() == 0
    page.screenshot(path=str(ROOT / ".pytest_cache" / "browser_inpaint_page_broken.png"), full_page=True)
