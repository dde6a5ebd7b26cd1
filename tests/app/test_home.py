"""Home (a lesson map) and About (provenance) under AppTest; both cope without data."""
from pathlib import Path

from streamlit.testing.v1 import AppTest

from dgm_core import pretrained
from ui.catalog import PAGES

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")  # the home page needs app.py's navigation for its links


def test_home_is_a_lesson_map_with_a_glossary():
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert at.title[0].value == "DGM Lab"
    assert [h.value for h in at.header] == ["What each demo teaches", "Glossary"]
    lessons = [p for p in PAGES if p.lesson]
    links = at.main.get("page_link")
    assert len(lessons) >= 4 and len(links) == len(lessons) + 1  # every demo, linked, and Decks
    assert links[0].proto.page == "decks"  # one click from the top of Home: the lecturer's way in
    text = " ".join(m.value for m in at.markdown)
    for p in lessons:
        assert p.lesson.split("**")[1] in text  # its lesson's heading is on the page
    assert "MNAR" in text and "ELBO" in text and "acceptance" in text
    assert "sha256" not in text  # provenance lives on About


def test_about_shows_every_card_with_its_real_sha256():
    at = AppTest.from_file(str(ROOT / "pages" / "about.py"), default_timeout=60).run()
    assert not at.exception
    cards = pretrained.list_cards()
    table = at.dataframe[0].value
    assert set(table.index) == {c.name for c in cards}
    for c in cards:  # the page shows the card's hash, and that is the hash of the file shipped
        assert table.loc[c.name, "sha256"] == c.sha256 == pretrained.sha256_file(ROOT / "pretrained" / c.weights)
    assert at.metric[0].label == "Device in use"


def test_about_without_data_dir_explains_how_to_get_data(monkeypatch):
    monkeypatch.delenv("DGM_DATA_DIR", raising=False)
    at = AppTest.from_file(str(ROOT / "pages" / "about.py"), default_timeout=60).run()
    assert not at.exception
    assert any("DGM_DATA_DIR" in w.value for w in at.warning)
