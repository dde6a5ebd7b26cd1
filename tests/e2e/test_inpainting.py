"""The inpainting page in chromium: draw a digit, paint a mask with the brush, run, see results."""
from playwright.sync_api import expect

from .conftest import ROOT, wait_for_app


def _stroke(page, canvas, points):
    box = canvas.bounding_box()
    x0, y0 = box["x"], box["y"]
    page.mouse.move(x0 + points[0][0] * box["width"], y0 + points[0][1] * box["height"])
    page.mouse.down()
    for px, py in points[1:]:
        page.mouse.move(x0 + px * box["width"], y0 + py * box["height"], steps=15)
    page.mouse.up()


def test_draw_image_and_mask_then_compare_methods(page, app_url):
    page.goto(f"{app_url}/inpainting?inp_src=Draw&inp_msrc=Draw"
              "&inp_methods=mwg,pseudo_gibbs,miwae,neighbour_fill&inp_steps=100&inp_chains=8&inp_burn=20")
    wait_for_app(page)
    canvases = page.locator("canvas.upper-canvas")
    expect(canvases.first).to_be_visible(timeout=30_000)
    # 1. draw a digit "7" on the blank canvas
    _stroke(page, canvases.nth(0), [(0.25, 0.2), (0.75, 0.2), (0.45, 0.85)])
    wait_for_app(page)
    expect(page.get_by_text("your drawing").locator("visible=true").first).to_be_visible(timeout=30_000)
    # 2. paint over its lower half with the mask brush (the second canvas)
    expect(canvases).to_have_count(2, timeout=30_000)
    page.wait_for_timeout(3000)  # let the mask canvas load its new background before painting
    _stroke(page, canvases.nth(1), [(0.1, 0.6), (0.9, 0.6), (0.9, 0.8), (0.1, 0.8)])
    wait_for_app(page)
    expect(page.get_by_text("of pixels missing").locator("visible=true").first).to_be_visible(timeout=60_000)
    page.get_by_role("button", name="Run").click()
    wait_for_app(page, timeout=120_000)
    expect(page.get_by_role("heading", name="Results")).to_be_visible(timeout=120_000)
    expect(page.get_by_text("Inside the samplers")).to_be_visible()
    expect(page.get_by_test_id("stDataFrame").first).to_contain_text("F1 (missing pixels)")
    shots = ROOT / ".screens"
    shots.mkdir(exist_ok=True)
    page.set_viewport_size({"width": 1400, "height": 3800})  # the app scrolls inside its own container
    page.wait_for_timeout(1500)
    page.screenshot(path=str(shots / "inpainting.png"))


def _slider_value(page) -> int:
    """The iteration the step slider shows (its thumb reads "iteration N")."""
    return int(page.get_by_test_id("stSliderThumbValue").last.inner_text().split()[-1])


def test_play_moves_the_step_slider_with_the_pictures(page, app_url):
    """▶ Play animates the chains in a fragment: the slider itself advances, to the end, then stops."""
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(f"{app_url}/inpainting?inp_methods=mwg,pseudo_gibbs&inp_steps=60&inp_chains=2&inp_burn=5&inp_warm=0")
    wait_for_app(page)
    page.get_by_role("button", name="Run").click()
    wait_for_app(page, timeout=120_000)
    play = page.get_by_role("button", name="▶ Play")
    expect(play).to_be_visible(timeout=60_000)
    assert _slider_value(page) == 1
    marker = page.locator(".js-plotly-plot .shapelayer path").first
    before = marker.get_attribute("d")
    play.click()
    page.wait_for_timeout(1500)
    assert _slider_value(page) > 1, "the slider did not move while playing"
    # it stops at the end: 60 frames, each a fragment rerun, take about a minute on a busy 2-core machine
    expect(page.get_by_role("button", name="▶ Play")).to_be_visible(timeout=240_000)
    assert _slider_value(page) == 60  # the chains' last iteration
    assert marker.get_attribute("d") != before, "the traces' step marker did not move"
    assert page.get_by_test_id("stException").count() == 0
