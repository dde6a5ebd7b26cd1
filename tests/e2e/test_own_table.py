"""The MNAR lab's own-table mode in a real chromium: a weather table with its own holes uploaded, filled (MIWAE and
not-MIWAE trained in the page's module worker, TensorFlow.js on WebAssembly; the other imputers on the server),
checked by overimputation, the δ slider moved, at a laptop's 1280x720 and a phone's 390x844, with no exception on the
page."""
import io
import re

import numpy as np
import pandas as pd
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from dgm_core import own_table
from benchmarks.fixtures import COLUMNS, csv_bytes, holed_weather

from .conftest import ROOT, wait_for_app


def _download(page, label: str) -> str:
    """The text of the file the button ``label`` downloads (pressed again where the download was canceled, a rerun of
    the page in flight cancels a download it started, or never started, a busy page's rerun swallowing the click)."""
    why = "no download started"
    for _ in range(3):
        wait_for_app(page, timeout=120_000)  # no rerun in flight to cancel it
        try:
            with page.expect_download(timeout=60_000) as got:
                page.get_by_role("button", name=label, exact=True).last.click()
        except PlaywrightTimeout:  # a click a busy page's rerun swallowed: press again
            continue
        if (why := got.value.failure()) is None:
            return got.value.path().read_text()
    raise AssertionError(f"the download of {label} failed three times: {why}")


@pytest.mark.parametrize("width, height", [(1280, 720), (390, 844)])
def test_own_holes_filled_and_checked(page, app_url, tmp_path, width, height):
    _, holed = holed_weather()
    path = tmp_path / "weather.csv"
    path.write_bytes(csv_bytes(holed))
    page.set_viewport_size({"width": width, "height": height})
    page.goto(f"{app_url}/mnar?mnar_table=upload%20CSV&mnar_obud=tiny")
    wait_for_app(page, timeout=120_000)
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(path))
    wait_for_app(page, timeout=120_000)
    expect(page.get_by_text("Little's test: d²")).to_be_visible(timeout=60_000)
    page.get_by_role("button", name="Fill my table's holes").click()
    panel = page.locator(".otb")
    expect(panel).to_have_attribute("data-state", "done", timeout=300_000)  # the worker answered
    assert panel.get_attribute("data-backend") == "wasm"
    wait_for_app(page, timeout=300_000)
    expect(page.get_by_text("Fills against the observed mean")).to_be_visible(timeout=300_000)
    expect(page.get_by_text("budget in your browser (wasm", exact=False)).to_be_visible()
    wait_for_app(page, timeout=300_000)
    # the default not-MIWAE: a missing model per column, as the column checks suggest
    for label in ("not-MIWAE, known direction (CSV)", "MICE (CSV)"):  # each table: provenance, every hole, its mask
        text = _download(page, label)
        meta = own_table.read_provenance(text)
        df = pd.read_csv(io.StringIO(text), comment="#")
        assert meta["cells_filled"] == int(np.isnan(holed).sum()) and meta["rows"] == len(holed)
        assert not df[list(COLUMNS)].isna().any().any()
        assert (df[[f"{c}_filled" for c in COLUMNS]].to_numpy() == np.isnan(holed)).all()
        if label.startswith("not-MIWAE"):
            assert meta["settings"]["trained_in"].startswith("your browser (wasm")
    page.get_by_role("button", name="Check by overimputation").click()
    wait_for_app(page, timeout=300_000)
    expect(page.get_by_text("observed cells hidden at random")).to_be_visible(timeout=300_000)
    slider = page.get_by_role("slider").last
    slider.focus()
    slider.press("ArrowRight")
    wait_for_app(page, timeout=60_000)
    assert page.get_by_test_id("stException").count() == 0
    shots = ROOT / ".screens"
    shots.mkdir(exist_ok=True)
    page.screenshot(path=str(shots / f"mnar_own_{width}.png"), full_page=True)
    for part, heading in (("top", "Which mechanism made the holes?"), ("fill", "Fill the holes"),
                          ("check", "How good are the fills, without the truth?"),
                          ("delta", "How far may the conclusion move? δ-adjustment")):
        page.get_by_text(heading, exact=True).scroll_into_view_if_needed()
        page.wait_for_timeout(300)
        page.screenshot(path=str(shots / f"mnar_own_{width}_{part}.png"))
    page.locator(".js-plotly-plot").nth(1).scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    page.screenshot(path=str(shots / f"mnar_own_{width}_plot.png"))


def test_browser_training_estimates_the_whole_job_and_cancels(page, app_url, tmp_path):
    """The 'small' budget (3,000 steps of each model) in the page's worker: after its first steps the panel says
    about how long the whole job has to go; Cancel stops the worker at once, says so in one sentence, and nothing
    reaches the server (no results appear)."""
    _, holed = holed_weather()
    path = tmp_path / "weather.csv"
    path.write_bytes(csv_bytes(holed))
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(f"{app_url}/mnar?mnar_table=upload%20CSV&mnar_obud=small")
    wait_for_app(page, timeout=120_000)
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(path))
    wait_for_app(page, timeout=120_000)
    page.get_by_role("button", name="Fill my table's holes").click()
    panel = page.locator(".otb")
    expect(panel).to_have_attribute("data-togo", re.compile(r"^\d"), timeout=120_000)
    expect(panel.locator(".otb-status")).to_contain_text(re.compile(r"the whole job (about \d+ (s|min)|a few "
                                                                    r"seconds) to go"))
    assert panel.get_attribute("data-state") == "training"
    panel.scroll_into_view_if_needed()
    shots = ROOT / ".screens"
    shots.mkdir(exist_ok=True)
    page.screenshot(path=str(shots / "mnar_own_1280_training.png"))
    panel.get_by_role("button", name="Cancel").click()
    expect(panel).to_have_attribute("data-state", "cancelled")
    expect(panel.locator(".otb-status")).to_have_text("Cancelled; nothing was changed.")
    expect(panel.get_by_role("button", name="Cancel")).to_be_hidden()
    expect(panel.get_by_role("button", name="Fill my table's holes")).to_be_enabled()
    page.screenshot(path=str(shots / "mnar_own_1280_cancelled.png"))
    page.wait_for_timeout(3_000)  # a worker that went on would have answered by now and the page would fill
    assert panel.get_attribute("data-state") == "cancelled"
    assert page.get_by_text("Fills against the observed mean").count() == 0
    assert page.get_by_test_id("stException").count() == 0
