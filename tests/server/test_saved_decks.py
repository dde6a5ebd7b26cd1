"""A deck behind a short link (server.saved_decks): the same deck gives the same code, a restart keeps it,
a damaged or unknown code is one sentence, and the oldest decks go first past the cap."""
from __future__ import annotations

import pytest

from server import budgets
from server import saved_decks as sd


def test_a_saved_deck_comes_back_under_a_short_code_the_same_for_the_same_deck(tmp_path):
    text = '{"title": "t", "steps": [{"page": "home", "note": "n"}]}'
    code = sd.save(text, tmp_path)
    assert sd.CODE.fullmatch(code) and sd.save(text, tmp_path) == code
    assert sd.load(code, tmp_path) == text  # a new connection: what a restarted server reads
    assert sd.save(text + " ", tmp_path) != code


@pytest.mark.parametrize("code, words", [("abc", "damaged"), ("ABCDEFGHIJKL", "damaged"), ("a" * 12, "does not keep"),
                                         ("'; DROP TABLE", "damaged")])
def test_a_damaged_or_unknown_code_is_one_sentence(tmp_path, code, words):
    with pytest.raises(sd.SavedDeckError, match=words):
        sd.load(code, tmp_path)


def test_a_deck_over_the_size_cap_is_not_kept(tmp_path):
    with pytest.raises(sd.SavedDeckError, match="most a deck holds"):
        sd.save("x" * (budgets.DECK_MAX_BYTES + 1), tmp_path)


def test_past_the_cap_the_oldest_decks_go_first(tmp_path, monkeypatch):
    monkeypatch.setattr(sd, "MAX_DECKS", 3)
    codes = [sd.save(f'{{"n": {i}}}', tmp_path) for i in range(5)]
    with pytest.raises(sd.SavedDeckError):
        sd.load(codes[0], tmp_path)
    assert all(sd.load(c, tmp_path) for c in codes[2:])
