"""The home page under AppTest: runs, lists demos, models and the device; copes without data."""
from pathlib import Path

from streamlit.testing.v1 import AppTest

from dgm_core import pretrained
from ui.pages import PAGES

APP = str(Path(__file__).resolve().parents[2] / "app.py")  # the home page needs app.py's navigation


def test_home_lists_models_and_device():
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert at.title[0].value == "DGM Lab"
    headers = [h.value for h in at.header]
    assert headers == ["Demos", "Shipped models", "This machine"]
    assert len(at.get("page_link")) == len(PAGES) - 1  # every demo page is linked
    assert at.metric[0].label == "Device in use"
    names = {c.name for c in pretrained.list_cards()}
    if names:
        assert set(at.table[0].value.index) == names


def test_home_without_data_dir_explains_how_to_get_data(monkeypatch):
    monkeypatch.delenv("DGM_DATA_DIR", raising=False)
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert any("DGM_DATA_DIR" in w.value for w in at.warning)
