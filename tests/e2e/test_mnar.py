"""The MNAR pages in a real chromium at 1280x720: the lab opens on the shipped result with no click and
the lesson above the fold; the tiny preset trains live; the images page shows a clipped face."""
from playwright.sync_api import expect

from .conftest import ROOT, wait_for_app


def _shot(page, name: str) -> None:
    shots = ROOT / ".screens"
    shots.mkdir(exist_ok=True)
    page.screenshot(path=str(shots / name), full_page=True)


def test_mnar_opens_on_the_shipped_result_above_the_fold(page, app_url):
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(f"{app_url}/mnar")
    wait_for_app(page, timeout=120_000)
    expect(page.get_by_role("heading", name="MNAR lab: not-MIWAE")).to_be_visible()
    verdict = page.get_by_text("Lowest RMSE: not-MIWAE")
    expect(verdict).to_be_visible(timeout=120_000)
    box = verdict.bounding_box()
    assert box is not None and box["y"] + box["height"] <= 720, box  # seen without scrolling
    _shot(page, "mnar.png")


def test_mnar_mean_median_and_maps_in_chromium(page, app_url):
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(f"{app_url}/mnar")
    wait_for_app(page, timeout=120_000)
    expect(page.get_by_text("What the missing models learnt")).to_be_visible(timeout=120_000)
    heading = page.get_by_text("Which single value?")
    heading.scroll_into_view_if_needed()
    expect(page.get_by_text("the conditional mean has RMSE").first).to_be_visible()
    box = page.locator('[data-testid="stSelectbox"]').filter(has_text="Model").first
    for attempt in range(3):  # a late rerun can redraw the select and close its list under the click
        wait_for_app(page, timeout=120_000)
        box.scroll_into_view_if_needed()
        box.get_by_role("button", name="Open").click()
        try:
            page.get_by_role("option").get_by_text("MIWAE", exact=True).click(timeout=10_000)
            break
        except Exception:  # noqa: BLE001 - the list closed; open it again
            if attempt == 2:
                raise
    wait_for_app(page, timeout=120_000)
    expect(page.get_by_text("For MIWAE, the conditional mean")).to_be_visible()
    expect(page.get_by_text("effective of 5000")).to_be_visible()
    assert page.get_by_test_id("stException").count() == 0
    _shot(page, "mnar_points.png")


def test_mnar_tiny_preset_in_chromium(page, app_url):
    page.goto(f"{app_url}/mnar?mnar_preset=tiny&mnar_seed=0&mnar_offset=-0.5&mnar_agn=notmiwae_steep")
    wait_for_app(page)
    expect(page.get_by_text("The offset sweep: a benchmark of its own")).to_be_visible()  # the sweep, apart
    page.get_by_role("button", name="Train MIWAE and not-MIWAE").click()
    expect(page.get_by_text("Lowest RMSE")).to_be_visible(timeout=180_000)
    wait_for_app(page, timeout=120_000)
    expect(page.get_by_text("Recovered vs true mechanism")).to_be_visible()
    expect(page.get_by_text("not-MIWAE, known direction, steep start").first).to_be_visible()  # trained: its curve
    assert "mnar_preset=tiny" in page.url and "mnar_mech=notmiwae_uci" in page.url
    page.get_by_role("tab", name="Missingness").click()
    wait_for_app(page)
    expect(page.get_by_text("Highlighted feature")).to_be_visible()
    _shot(page, "mnar_missingness.png")


def test_mnar_images_page_in_chromium(page, app_url):
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(f"{app_url}/mnar_images?mi_clip_b=0.7&mi_clip_img=3")
    wait_for_app(page, timeout=120_000)
    expect(page.get_by_text("Pixels lost")).to_be_visible(timeout=120_000)
    expect(page.get_by_role("button", name="RMSE table (CSV)")).to_be_visible()
    expect(page.get_by_text("observed (red = lost)")).to_be_visible()
    assert "mi_clip_b=0.7" in page.url
    _shot(page, "mnar_images.png")
