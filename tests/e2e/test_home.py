"""The home page in a real chromium: title, demos, model cards and the device."""
from playwright.sync_api import expect

from .conftest import ROOT, wait_for_app


def test_home_page_renders_in_chromium(page, app_url):
    page.goto(app_url)
    wait_for_app(page)
    expect(page.get_by_role("heading", name="DGM Lab")).to_be_visible()
    expect(page.get_by_role("heading", name="Shipped models")).to_be_visible()
    expect(page.get_by_text("Device in use")).to_be_visible()
    expect(page.get_by_text("CPU").first).to_be_visible()
    shots = ROOT / ".screens"
    shots.mkdir(exist_ok=True)
    page.screenshot(path=str(shots / "home.png"), full_page=True)
