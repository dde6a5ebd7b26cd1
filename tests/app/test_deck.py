"""Lecture decks (ui/deck.py): the shipped deck opens every step on a link its page reads without a warning;
a bad deck file or URL value gets one sentence; a page presented in a deck shows the step's note."""
from __future__ import annotations

import base64
import json
import zlib
from urllib.parse import parse_qsl

import pytest

from streamlit.testing.v1 import AppTest

from server import budgets

from tests.app import PAGES as PAGE_DIR, open_page
from ui import deck
from ui.catalog import PAGES, SPECS
from ui.state import read_link

PAGE_FILES = {p.url_path: p.file for p in PAGES}


def test_the_shipped_deck_covers_every_lesson_with_links_that_read_cleanly():
    lecture = deck.shipped(PAGE_FILES)["lecture"]
    assert 15 <= len(lecture.steps) <= 25
    assert {s.page for s in lecture.steps} >= {p.url_path for p in PAGES if p.lesson}  # every lesson
    for i, step in enumerate(lecture.steps, 1):
        assert step.note.strip(), f"step {i} has no note"
        raw = dict(parse_qsl(step.link))
        for prefix, spec in SPECS.items():
            mine = {k[len(prefix):]: v for k, v in raw.items() if k.startswith(prefix)}
            _, warnings = read_link(spec, mine)
            assert not warnings, f"step {i}: {warnings}"
        assert all(any(k.startswith(p) for p in SPECS) for k in raw), f"step {i}: a parameter no page reads"


@pytest.mark.parametrize("text, words", [
    ("not json", "not a deck"),
    (json.dumps({"steps": []}), "1 to 100 steps"),
    (json.dumps({"steps": [{"page": "nowhere", "note": "x"}]}), "does not have"),
    (json.dumps({"steps": [{"page": "critics", "note": 3}]}), "all text"),
    (json.dumps({"steps": [{"page": "critics", "note": "x" * 200_000}]}), "at most"),
])
def test_a_bad_deck_file_gets_one_sentence(text, words):
    with pytest.raises(deck.DeckError, match=words) as e:
        deck.parse(text, PAGE_FILES)
    assert str(e.value).count(". ") == 0 and str(e.value).endswith(".")


def test_a_presented_page_shows_its_step_note_and_place():
    lecture = deck.shipped(PAGE_FILES)["lecture"]
    k = next(i for i, s in enumerate(lecture.steps) if s.page == "critics")
    at = open_page("critics", "", deck="lecture", step=k + 1)
    assert not at.exception
    shown = " ".join(m.value for m in at.markdown)
    assert lecture.steps[k].note in shown
    assert any(f"step {k + 1} of {len(lecture.steps)}" in c.value for c in at.caption)
    assert not at.button(key="_deck_back").disabled


@pytest.mark.parametrize("params, words", [
    ({"deck": "lecture", "step": "abc"}, "opens on step 1"),
    ({"deck": "lecture", "step": "999"}, "opens on step 1"),
    ({"deck": "nonesuch"}, "no deck called"),
])
def test_a_bad_deck_link_gets_one_sentence_and_the_page_still_works(params, words):
    at = open_page("critics", "", **params)
    assert not at.exception
    assert any(words in w.value for w in at.warning)
    assert at.title[0].value.startswith("Critics")


# ---------------------------------------------------------------- a lecturer's own deck

MADE = deck.Deck("Ma leçon: θ", (deck.Step("critics", "critics_theta=0.5", "Hellinger is **stuck** at 2.",
                                           ("critics_theta",)),
                                 deck.Step("home", "", "Back home.")))


def test_a_deck_survives_its_file_and_its_link_unchanged():
    assert deck.parse(deck.to_json(MADE), PAGE_FILES) == MADE
    value = deck.encode(MADE)
    assert value.startswith(deck.INLINE) and value.isascii() and "=" not in value and "&" not in value
    assert deck.decode(value, PAGE_FILES) == MADE


@pytest.mark.parametrize("value, words", [
    (deck.encode(MADE)[:-12], "damaged"),
    ("~not base64 at all!", "damaged"),
    ("~" + "A" * (budgets.DECK_MAX_LINK_CHARS + 1), "at most"),
    ("~" + base64.urlsafe_b64encode(zlib.compress(b" " * 1_000_000, 9)).decode(), "more than"),  # a zip bomb
    ("~" + base64.urlsafe_b64encode(zlib.compress(b'{"steps": 3}')).decode(), "1 to 100 steps"),
])
def test_a_bad_deck_link_value_gets_one_sentence(value, words):
    with pytest.raises(deck.DeckError, match=words) as e:
        deck.decode(value, PAGE_FILES)
    assert str(e.value).endswith(".") and str(e.value).count(". ") == 0


def test_a_step_names_controls_as_widget_keys_only():  # they end up in a CSS selector
    text = json.dumps({"steps": [{"page": "critics", "controls": ["x) {} body {display: none"]}]})
    with pytest.raises(deck.DeckError, match="widget keys"):
        deck.parse(text, PAGE_FILES)


@pytest.mark.parametrize("step", [{"page": "critics", "note": "x", "experiment": "inpaint"},  # not its page's
                                  {"page": "inpainting", "note": "x", "experiment": "train a GAN"},
                                  {"page": "inpainting", "note": "x", "experiment": ["inpaint"]}])
def test_a_steps_own_experiment_is_one_its_page_runs(step):
    with pytest.raises(deck.DeckError, match="experiment is not one its page runs on phones"):
        deck.parse(json.dumps({"steps": [step]}), PAGE_FILES)
    ok = deck.parse(json.dumps({"steps": [{**step, "page": "inpainting", "experiment": "inpaint"}]}), PAGE_FILES)
    assert ok.steps[0].experiment == "inpaint" and deck.parse(deck.to_json(ok), PAGE_FILES) == ok
    lecture = deck.shipped(PAGE_FILES)["lecture"]
    assert sum(s.experiment == "inpaint" for s in lecture.steps) >= 2  # the class pools its own runs twice


STEPS = [{"page": "home", "link": "", "note": "a"}, {"page": "critics", "link": "critics_theta=1", "note": "b"},
         {"page": "vae", "link": "", "note": "c", "controls": ["vae_k"]}]


@pytest.mark.parametrize("edits, notes, said", [
    ({"edited_rows": {0: {"#": 9}}}, "bca", 0),  # move the first step last
    ({"edited_rows": {2: {"#": 0.5}}}, "cab", 0),  # and the last first
    ({"edited_rows": {1: {"#": None}}}, "acb", 0),  # no number: last
    ({"deleted_rows": [0, 2]}, "b", 0),
    ({"edited_rows": {1: {"note": "B"}}}, "aBc", 0),
    ({"added_rows": [{"page": "mnar", "note": "d"}]}, "abcd", 0),
    ({"added_rows": [{"note": "no page"}]}, "abc", 1),
    ({"edited_rows": {0: {"page": None}}}, "abc", 1),  # a cleared page keeps the old one
])
def test_the_table_reorders_deletes_adds_and_edits_steps(edits, notes, said):
    steps, sentences = deck.apply_edits([dict(s) for s in STEPS], edits, PAGE_FILES)
    assert "".join(s["note"] for s in steps) == notes
    assert len(sentences) == said
    assert all(s.get("controls") == ["vae_k"] for s in steps if s["note"] == "c")  # kept through the edit
    deck.as_deck({"title": "t", "steps": steps}, PAGE_FILES)  # still a deck


def test_a_deck_carried_in_its_link_presents_like_a_shipped_one():
    at = open_page("critics", "", deck=deck.encode(MADE), step=1, critics_theta=0.5)
    assert not at.exception and not at.warning
    assert MADE.steps[0].note in " ".join(m.value for m in at.markdown)
    assert any("Ma leçon: θ · step 1 of 2" in c.value for c in at.caption)


def test_present_mode_draws_the_steps_slide_with_the_controls_its_note_names():
    at = open_page("critics", "", deck=deck.encode(MADE), step=1, present=1)
    css = " ".join(h.proto.body for h in at.get("html"))
    assert 'header[data-testid="stHeader"]' in css and not at.title  # the slide, not the page
    (theta,) = [w for w in at.select_slider if w.key.endswith("_critics_theta")]
    assert theta.value == 0.5  # the named control, on the step's value
    assert at.button(key="_deck_present").label == "Explore"
    plain = open_page("critics", "", deck=deck.encode(MADE), step=1)
    assert "stHeader" not in " ".join(h.proto.body for h in plain.get("html")) and plain.title


def test_present_mode_on_a_page_without_a_view_hides_the_controls_its_step_does_not_name():
    about = deck.Deck("t", (deck.Step("about", "", "Where the models come from."),))
    at = open_page("about", "", deck=deck.encode(about), step=1, present=1)
    css = " ".join(h.proto.body for h in at.get("html"))
    assert 'header[data-testid="stHeader"]' in css and ":not(:has([data-testid=" in css and at.title
    assert at.button(key="_deck_present").label == "Show controls"


def test_the_decks_page_makes_a_copy_of_the_shipped_deck_to_edit_and_share():
    at = open_page("decks", "")
    assert not at.exception
    assert any("No steps yet" in i.value for i in at.info)
    at.button(key="_decks_copy_lecture").click().run()
    assert not at.exception
    lecture = deck.shipped(PAGE_FILES)["lecture"]
    assert at.text_input(key="_decks_title").value == lecture.title
    assert len(at.code) == 1  # the long link; the short one once the lecturer saves
    at.button(key="_decks_save").click().run()
    short, link = (c.value for c in at.code)
    value = dict(parse_qsl(link.split("?", 1)[1]))["deck"]
    assert deck.decode(value, PAGE_FILES) == lecture
    assert len(short) <= 100 and len(link) > 1000  # the shipped deck: a short link, and the long one that carries it
    assert deck.find(dict(parse_qsl(short.split("?", 1)[1]))["deck"], PAGE_FILES) == lecture
    for shared in (short, link):  # either opens the deck as slides on its first step
        assert {k: v for k, v in parse_qsl(shared.split("?", 1)[1]) if k in ("step", "present")} == \
            {"step": "1", "present": "1"}
    at.text_input(key="_decks_title").set_value("Week 3").run()
    assert len(at.code) == 1 and "changed since" in at.button(key="_decks_save").label  # an edit saves nothing
    at.button(key="_decks_save").click().run()
    short, link = (c.value for c in at.code)
    assert deck.decode(dict(parse_qsl(link.split("?", 1)[1]))["deck"], PAGE_FILES).title == "Week 3"
    assert deck.find(dict(parse_qsl(short.split("?", 1)[1]))["deck"], PAGE_FILES).title == "Week 3"


def test_present_on_the_decks_page_presents():
    at = AppTest.from_file(str(PAGE_DIR.parent / "app.py"), default_timeout=120).run()  # the navigation: every page
    at.switch_page("pages/decks.py").run()
    at.button(key="_decks_go_lecture").click().run()
    assert not at.exception
    assert at.query_params.get("present") == "1" and at.query_params.get("step") == "1"
    assert at.button(key="_deck_present").label == "Explore"  # the first step's slide


def _made_deck_at(step: int) -> AppTest:
    """The app (its navigation: every page) on step ``step`` of MADE, opened from its link."""
    at = AppTest.from_file(str(PAGE_DIR.parent / "app.py"), default_timeout=120).run()
    at.switch_page(PAGE_FILES[MADE.steps[step - 1].page])
    for k, v in [*parse_qsl(MADE.steps[step - 1].link), ("deck", deck.encode(MADE)), ("step", str(step))]:
        at.query_params[k] = v
    return at.run()


def _place(at: AppTest) -> str:
    return next(c.value for c in at.caption if " · step " in c.value)


def test_a_rerun_of_the_step_just_left_does_not_hold_the_deck_back():
    # The browser may send a rerun of the step → is leaving before it hears of the next one (a component on that
    # page reporting just then); Streamlit then runs it instead of the next step. The deck goes on all the same.
    at = _made_deck_at(1)
    at.button(key="_deck_next").click().run()
    assert _place(at).endswith("step 2 of 2")
    at.switch_page("pages/critics.py")  # the late rerun: the page and link of step 1, as the browser had them
    at.query_params["step"] = "1"
    at.run()
    assert not at.exception
    assert _place(at).endswith("step 2 of 2") and at.query_params["step"] == "2"


def test_a_step_gone_back_to_keeps_its_own_reruns():
    at = _made_deck_at(1)
    at.button(key="_deck_next").click().run()
    at.switch_page(PAGE_FILES[MADE.steps[1].page])  # AppTest keeps its own page: the browser's is the new one
    at.button(key="_deck_back").click().run()
    assert _place(at).endswith("step 1 of 2")
    at.switch_page(PAGE_FILES[MADE.steps[0].page])
    at.select_slider(key="critics_theta").set_value(1.0).run()  # the class moves θ on the step it came back to
    assert not at.exception
    assert _place(at).endswith("step 1 of 2") and at.query_params["step"] == "1"
    assert at.select_slider(key="critics_theta").value == 1.0
