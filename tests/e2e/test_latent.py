"""The latent explorer in chromium: dragging a slider changes the picture while the mouse moves, the release
brings the server's redraw and the URL, and the interpolation player runs. The frame rate and the latency are
printed here and measured for the record by ``python -m dgm_core bench latent_speed``."""
from playwright.sync_api import expect

from benchmarks.latent_speed import READ_SWAPS, REDRAWN, WATCH_SWAPS

from .conftest import ROOT, wait_for_app

MAIN = ".ls img.main"


def drag(page, slider, frac_from: float, frac_to: float, steps: int = 30) -> None:
    box = slider.bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * frac_from, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * frac_to, y, steps=steps)


def test_dragging_a_slider_moves_the_picture_and_the_release_redraws_and_lands_in_the_url(page, app_url):
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(f"{app_url}/latent?lat_seed=3")
    wait_for_app(page, timeout=180_000)
    slider = page.locator('.ls input[type="range"]').first
    expect(slider).to_be_visible(timeout=60_000)
    slider.scroll_into_view_if_needed()
    before = page.locator(MAIN).get_attribute("src")
    old = page.query_selector('.ls input[type="range"]')
    page.locator(MAIN).evaluate(WATCH_SWAPS)  # the page's own events, seen from outside (no hook in the page)
    drag(page, slider, 0.5, 0.95)
    during = page.locator(MAIN).get_attribute("src")
    frames = page.evaluate(READ_SWAPS)[0]
    assert during != before, "the picture did not follow the drag"
    assert len(frames) >= 5, frames  # one swap per slider step crossed, no server round trip
    fps = (len(frames) - 1) / max(1e-3, (frames[-1] - frames[0]) / 1000)
    t0 = page.evaluate("performance.now()")
    page.mouse.up()
    page.wait_for_function(REDRAWN, arg=old, timeout=60_000)
    latency = page.evaluate("performance.now()") - t0
    wait_for_app(page)
    print(f"drag: {len(frames)} frames at {fps:.0f} fps; release -> server redraw {latency:.0f} ms")
    assert "lat_vals=" in page.url and "lat_vals=0%2C0" not in page.url, page.url  # the first value moved
    value = page.locator(".ls .row label span").nth(1).inner_text()
    assert value.startswith("+") and value != "+0.0", value
    assert page.get_by_test_id("stException").count() == 0
    shots = ROOT / ".screens"
    shots.mkdir(exist_ok=True)
    page.screenshot(path=str(shots / "latent-sliders.png"))


def test_the_interpolation_player_plays_to_the_end(page, app_url):
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(f"{app_url}/latent?lat_tab=Interpolation&lat_alpha=0.6")
    wait_for_app(page, timeout=180_000)
    page.get_by_role("button", name="▶ Play").click()
    expect(page.get_by_role("button", name="▶ Play")).to_be_visible(timeout=60_000)  # Pause again at alpha = 1
    wait_for_app(page)
    expect(page.get_by_text("latent slerp, α = 1.0")).to_be_visible()
    assert "lat_alpha=1" in page.url, page.url  # the played-to frame is in a shared link
    assert page.get_by_test_id("stException").count() == 0
