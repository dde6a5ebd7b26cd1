"""The MNAR lab in a real chromium: open it by its URL path, train the tiny preset, read the RMSE table."""
from playwright.sync_api import expect

from .conftest import ROOT, wait_for_app


def test_mnar_tiny_preset_in_chromium(page, app_url):
    page.goto(f"{app_url}/mnar?mnar_preset=tiny&mnar_seed=0")
    wait_for_app(page)
    expect(page.get_by_role("heading", name="MNAR lab: not-MIWAE")).to_be_visible()
    expect(page.get_by_text("Realised missing rate")).to_be_visible()
    page.get_by_role("tab", name="Imputation").click()
    page.get_by_role("button", name="Train MIWAE and not-MIWAE").click()
    expect(page.get_by_text("Lowest RMSE")).to_be_visible(timeout=180_000)
    wait_for_app(page, timeout=120_000)
    expect(page.get_by_text("Recovered vs true mechanism")).to_be_visible()
    assert "mnar_preset=tiny" in page.url and "mnar_mech=notmiwae_uci" in page.url
    shots = ROOT / ".screens"
    shots.mkdir(exist_ok=True)
    page.screenshot(path=str(shots / "mnar.png"), full_page=True)


def test_mnar_images_tab_in_chromium(page, app_url):
    page.goto(f"{app_url}/mnar?mi_clip_b=0.7&mi_clip_img=3")
    wait_for_app(page)
    page.get_by_role("tab", name="Images").click()
    expect(page.get_by_text("Pixels lost")).to_be_visible(timeout=120_000)
    expect(page.get_by_role("button", name="RMSE table (CSV)")).to_be_visible()
    expect(page.get_by_text("observed (red = lost)")).to_be_visible()
    wait_for_app(page, timeout=120_000)
    assert "mi_clip_b=0.7" in page.url
    shots = ROOT / ".screens"
    shots.mkdir(exist_ok=True)
    page.screenshot(path=str(shots / "mnar_images.png"), full_page=True)
