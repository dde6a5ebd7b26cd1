"""Home and About in a real chromium: the lesson map's links lead to the demos; About names the device
``dgm_core.device`` reports on this machine (CPU here, "CUDA (<name>)" on a GPU machine)."""
import re

from playwright.sync_api import expect

from dgm_core.device import default_device, describe

from .conftest import ROOT, wait_for_app


def test_home_links_to_every_demo_and_about_names_the_device(page, app_url):
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(app_url)
    wait_for_app(page)
    expect(page.get_by_role("heading", name="DGM Lab")).to_be_visible()
    expect(page.get_by_role("heading", name="Glossary")).to_be_attached()
    shots = ROOT / ".screens"
    shots.mkdir(exist_ok=True)
    page.screenshot(path=str(shots / "home.png"))
    page.get_by_test_id("stMain").get_by_role("link", name="VAE").first.click()
    wait_for_app(page, timeout=120_000)
    expect(page.get_by_role("heading", name=re.compile("^VAE"))).to_be_visible()
    page.goto(f"{app_url}/about")
    wait_for_app(page)
    # the server inherits this environment (DGM_DEVICE included), so it reports the same device
    name = describe(default_device()).split(" · ")[0]
    expect(page.get_by_text(re.compile(rf"^{re.escape(name)}( ·|$)")).first).to_be_visible()
