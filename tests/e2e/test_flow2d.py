"""The 2-D flow page in chromium: the flow trains in the browser (a Web Worker, TensorFlow.js) and plays while it
trains; the time slider scrubs it; a drawing made with the mouse trains anew, goes into the link and survives a
reload, and the GAN page trains on it."""
import re
from urllib.parse import parse_qs, urlparse

from playwright.sync_api import expect

from benchmarks.flow2d_browser import stroke
from dgm_core.demos import flow2d as demo

from .conftest import wait_for_app

DONE = ".fp[data-trained]:not([data-trained=''])"


def _trained(page, timeout: int = 120_000) -> None:
    page.locator(DONE).wait_for(timeout=timeout)


def test_the_flow_trains_plays_and_scrubs_in_the_browser(page, app_url):
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(f"{app_url}/flow2d?flow_data=ring&flow_steps=300")
    wait_for_app(page)
    expect(page.locator(".fp[data-backend='wasm']")).to_have_count(1, timeout=120_000)
    _trained(page)
    assert page.locator(".fp").get_attribute("data-trained") == "300"
    panel = page.locator(".fp")
    before = panel.evaluate("el => el.painted")
    page.wait_for_function("([el, n]) => el.painted > n + 20", arg=[panel.element_handle(), before])  # it plays
    page.get_by_role("button", name="Pause", exact=True).click()
    slider = page.locator(".fp input.time")
    slider.fill("500")  # scrubbing: t follows the slider
    expect(panel).to_have_attribute("data-t", "0.500")
    expect(page.locator(".fp .tlabel")).to_have_text("t = 0.50")
    expect(page.get_by_role("button", name="Play", exact=True)).to_be_visible()
    assert page.get_by_test_id("stException").count() == 0


def test_a_drawing_trains_goes_into_the_link_and_to_the_gan_page(page, app_url):
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(f"{app_url}/flow2d?flow_data=drawn&flow_steps=300")
    wait_for_app(page)
    expect(page.locator(".fp .note")).to_contain_text("Draw at least", timeout=120_000)
    stroke(page, [(0.3, 0.3), (0.7, 0.3), (0.7, 0.7), (0.3, 0.7)])  # three sides of a square
    _trained(page)
    wait_for_app(page)
    text = parse_qs(urlparse(page.url).query)["flow_pts"][0]
    drawn = demo.decode_points(text)
    assert len(drawn) >= demo.MIN_POINTS
    page.reload()  # the link holds the drawing: the same points come back, and train again
    wait_for_app(page)
    _trained(page)
    assert parse_qs(urlparse(page.url).query)["flow_pts"][0] == text
    page.get_by_role("link", name="Train a GAN on your drawing").click()
    wait_for_app(page)
    expect(page.locator(".gp[data-backend='wasm']")).to_have_count(1, timeout=120_000)
    assert re.search(r"[?&]gan_toy=drawn", page.url) and f"gan_pts={text}" in page.url
    page.get_by_role("button", name="Step", exact=True).click()
    expect(page.locator(".gp").first).to_have_attribute("data-step", "1", timeout=60_000)
    assert page.get_by_test_id("stException").count() == 0
