"""The home page in a real chromium: the title and the device the app computes on.

Kept to what outlives a redesign of the page: the heading and the device line, which must name the
device ``dgm_core.device`` reports on this machine (CPU here, "CUDA (<name>)" on a GPU machine).
"""
import re

from playwright.sync_api import expect

from dgm_core.device import default_device, describe

from .conftest import ROOT, wait_for_app


def test_home_page_renders_in_chromium(page, app_url):
    page.goto(app_url)
    wait_for_app(page)
    expect(page.get_by_role("heading", name="DGM Lab")).to_be_visible()
    # the server inherits this environment (DGM_DEVICE included), so it reports the same device;
    # the device line starts with its name (the part before the thread count)
    name = describe(default_device()).split(" · ")[0]
    expect(page.get_by_text(re.compile(rf"^{re.escape(name)}( ·|$)")).first).to_be_visible()
    shots = ROOT / ".screens"
    shots.mkdir(exist_ok=True)
    page.screenshot(path=str(shots / "home.png"), full_page=True)
