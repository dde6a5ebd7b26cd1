"""Lecture decks (ui/deck.py): the shipped deck opens every step on a link its page reads without a warning;
a bad deck file or URL value gets one sentence; a page presented in a deck shows the step's note."""
from __future__ import annotations

import json
from urllib.parse import parse_qsl

import pytest

from tests.app import open_page
from ui import deck
from ui.links import SPECS
from ui.pages import PAGES
from ui.state import read_link

PAGE_FILES = {p.url_path: p.file for p in PAGES}


def test_the_shipped_deck_covers_every_lesson_with_links_that_read_cleanly():
    lecture = deck.shipped(PAGE_FILES)["lecture"]
    assert 15 <= len(lecture.steps) <= 25
    assert {s.page for s in lecture.steps} >= {p.url_path for p in PAGES} - {"about"}  # every lesson
    for i, step in enumerate(lecture.steps, 1):
        assert step.note.strip(), f"step {i} has no note"
        raw = dict(parse_qsl(step.link))
        for prefix, spec in SPECS.items():
            mine = {k[len(prefix):]: v for k, v in raw.items() if k.startswith(prefix)}
            _, warnings = read_link(spec(), mine)
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
