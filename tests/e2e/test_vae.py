"""The VAE page in chromium: the first screen shows the pictures; draw a digit and find it on the latent map;
box-select points and see them."""
from playwright.sync_api import expect

from .conftest import ROOT, box_select, wait_for_app
from .test_inpainting import _stroke


def test_a_drawn_digit_lands_on_the_map_and_a_box_selection_shows_digits(page, app_url):
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(f"{app_url}/vae?vae_src=Draw")
    wait_for_app(page)
    canvas = page.locator("canvas.upper-canvas").first
    expect(canvas).to_be_visible(timeout=30_000)
    _stroke(page, canvas, [(0.3, 0.15), (0.7, 0.15), (0.45, 0.9)])  # a "7"
    wait_for_app(page)
    page.get_by_role("tab", name="Latent map").click()
    wait_for_app(page, timeout=120_000)
    plot = page.locator(".js-plotly-plot").first
    expect(plot).to_be_visible(timeout=60_000)
    expect(plot.locator(".legendtext", has_text="your digit")).to_have_count(1)
    # box-select the middle of the map: the digits inside and their reconstructions appear
    box_select(page, plot)
    wait_for_app(page, timeout=60_000)
    expect(page.get_by_text("selected", exact=False).first).to_be_visible(timeout=30_000)
    assert page.get_by_test_id("stException").count() == 0
    shots = ROOT / ".screens"
    shots.mkdir(exist_ok=True)
    page.screenshot(path=str(shots / "vae-map.png"), full_page=True)


def test_the_first_screen_at_1280x720_shows_the_digits_and_the_prior_samples(page, app_url):
    """The reconstructions row sits well above the fold and the prior samples start on the first screen (the card's
    provenance waits in an expander under them)."""
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(f"{app_url}/vae")
    wait_for_app(page, timeout=120_000)
    images = page.get_by_test_id("stImage").locator("img")
    expect(images.nth(6)).to_be_visible(timeout=30_000)  # the digit, its reconstruction, four draws, the samples
    first, samples = images.first.bounding_box(), images.nth(6).bounding_box()
    assert first["y"] + first["height"] / 2 < 0.75 * 720, first
    assert samples["y"] < 720 - samples["height"] / 2, samples  # at least half of the samples on the first screen
    where = page.get_by_text("Where these numbers come from")
    assert where.bounding_box()["y"] > samples["y"] + samples["height"]
    assert page.get_by_test_id("stException").count() == 0
