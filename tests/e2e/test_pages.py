"""A shared link opened cold: the first request a new server gets is a deep link to a page. Streamlit
then runs the page file alone (app.py's navigation has not run yet in that process), so the page
must set itself up and render without app.py."""
import pytest

from tests.e2e.conftest import streamlit_server, wait_for_app
from ui.catalog import PAGES


@pytest.mark.parametrize("page", [p for p in PAGES if p.url_path != "home"], ids=lambda p: p.url_path)
def test_cold_deep_link_renders_the_page(page, browser):
    with streamlit_server() as (url, _):
        tab = browser.new_page(viewport={"width": 1280, "height": 720})
        tab.goto(f"{url}/{page.url_path}")
        # the page's first run in a fresh process (its imports, models and default view): waited for as long as the
        # server works at it, however loaded the machine (wait_for_app's window only ends a wait on a server gone idle)
        wait_for_app(tab, timeout=120_000)
        assert tab.locator("h1").first.inner_text().startswith(page.title.split()[0])
        assert tab.get_by_test_id("stException").count() == 0
        tab.close()
