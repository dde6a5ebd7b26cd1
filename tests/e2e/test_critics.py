"""The critics page in chromium at 1280x720: the retrain runs in the browser (a Web Worker, TensorFlow.js): its bar
names the critic and the step and its chart grows while the page stays idle, then the final estimates show beside
the shipped sweep and the truth."""
from playwright.sync_api import expect

from .conftest import ROOT, patiently, wait_for_app


def test_retraining_both_critics_in_the_browser_shows_progress_then_the_final_estimates(page, app_url):
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(f"{app_url}/critics?critics_theta=0.5")
    wait_for_app(page)
    sweep_plot = page.locator(".js-plotly-plot").first
    expect(sweep_plot).to_be_visible(timeout=60_000)
    expect(sweep_plot.locator(".legendtext", has_text="critic's estimate")).to_have_count(2, timeout=30_000)
    shots = ROOT / ".screens"
    shots.mkdir(exist_ok=True)
    page.screenshot(path=str(shots / "critics-before.png"), full_page=True)

    button = page.get_by_role("button", name="Retrain both critics at θ = 0.5")
    button.scroll_into_view_if_needed()
    button.click()
    # while it trains, in the browser: the bar names the critic and the step, the server runs nothing
    expect(page.locator(".cr .bar .text").get_by_text("step", exact=False)).to_be_visible(timeout=120_000)
    assert page.get_by_test_id("stStatusWidget").count() == 0
    expect(page.locator(".cr[data-backend='wasm']")).to_have_count(1)
    done = page.locator(".cr .bar .text")
    patiently(lambda ms: expect(done).to_contain_text("Done: both critics retrained at θ = 0.5", timeout=ms),
              "the browser's retrain of both critics to finish")  # for as long as the browser trains
    wait_for_app(page, timeout=120_000)
    expect(page.get_by_test_id("stMetric").filter(has_text="your retrain")).to_have_count(2)
    expect(page.get_by_text("shipped sweep", exact=False)).to_have_count(2)
    expect(page.locator(".js-plotly-plot .legendtext", has_text="your retrain")).to_have_count(2)
    expect(page.locator(".js-plotly-plot .gtitle", has_text="Retraining at θ = 0.5")).to_have_count(1)
    # the browser's estimates tell the two apart at theta = 0.5: Hellinger near its ceiling, Wasserstein near 0.5
    hel, was = (float(page.get_by_test_id("stMetric").filter(has_text=k).get_by_test_id("stMetricValue").inner_text())
                for k in ("Hellinger", "Wasserstein"))
    assert hel > 1.5 and 0.3 < was < 0.7, (hel, was)
    assert page.get_by_test_id("stException").count() == 0
    page.screenshot(path=str(shots / "critics-after.png"), full_page=True)
