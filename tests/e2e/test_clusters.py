"""The clusters page in chromium at 1280x720: both t-SNE maps draw, a box selection on the last round's
map shows those digits and lands in the URL, Clear empties it (text, URL and box) for good, and every tab opens."""
import re

from playwright.sync_api import expect

from .conftest import ROOT, box_select, wait_for_app


def test_box_selection_shows_digits_and_tabs_open(page, app_url):
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(f"{app_url}/clusters")
    wait_for_app(page, timeout=120_000)
    plots = page.locator(".js-plotly-plot")
    expect(plots).to_have_count(2, timeout=60_000)
    plot = plots.nth(1)
    box_select(page, plot, 0.2, 0.8)
    wait_for_app(page, timeout=60_000)
    expect(page.get_by_text("selected", exact=False).first).to_be_visible(timeout=30_000)
    expect(page).to_have_url(re.compile(r"cl_sel=[0-9]"), timeout=30_000)
    page.get_by_role("button", name="Clear the selection").click()
    wait_for_app(page, timeout=60_000)
    expect(page.get_by_text("selected", exact=False)).to_have_count(0, timeout=30_000)
    expect(page).not_to_have_url(re.compile(r"cl_sel=[0-9]"), timeout=30_000)
    expect(plots.nth(1).locator(".selectionlayer path")).to_have_count(0, timeout=30_000)  # the box went with it
    page.get_by_text("true digit", exact=True).click()  # a rerun must not bring the chart's old selection back
    wait_for_app(page, timeout=60_000)
    expect(page.get_by_text("selected", exact=False)).to_have_count(0, timeout=10_000)
    expect(page).not_to_have_url(re.compile(r"cl_sel=[0-9]"), timeout=10_000)
    for tab in ("Confusion matrix", "Per round", "About t-SNE", "Cluster cards"):
        page.get_by_role("tab", name=tab).click()
        wait_for_app(page, timeout=60_000)
        assert page.get_by_test_id("stException").count() == 0, tab
    shots = ROOT / ".screens"
    shots.mkdir(exist_ok=True)
    page.screenshot(path=str(shots / "clusters.png"), full_page=True)
