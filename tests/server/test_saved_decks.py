"""A deck behind a short link (server.saved_decks): the same deck gives the same code, a restart keeps it,
a damaged or unknown code is one sentence; saves are limited per session and per address; past the cap the least
recently opened decks go first, and a deck opened in the last 30 days is never pushed out by saves."""
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


@pytest.fixture
def unlimited(monkeypatch):
    """No rate limit on saves (each test of the store's cap saves more than a session may)."""
    monkeypatch.setattr(sd, "SESSIONS", sd.RateLimit(10**9, 0.0))
    monkeypatch.setattr(sd, "ADDRESSES", sd.RateLimit(10**9, 0.0))


def test_past_the_cap_the_never_opened_go_first_oldest_saved_first(tmp_path, monkeypatch, unlimited):
    monkeypatch.setattr(sd, "MAX_DECKS", 3)
    codes = [sd.save(f'{{"n": {i}}}', tmp_path, now=1000.0 + i) for i in range(5)]
    with pytest.raises(sd.SavedDeckError):
        sd.load(codes[0], tmp_path)
    assert all(sd.load(c, tmp_path) for c in codes[2:])


def test_past_the_cap_the_least_recently_opened_go_first(tmp_path, monkeypatch, unlimited):
    monkeypatch.setattr(sd, "MAX_DECKS", 3)
    day, t0 = 24 * 3600.0, 1e9
    codes = [sd.save(f'{{"n": {i}}}', tmp_path, now=t0 + i) for i in range(3)]
    for k, c in enumerate([codes[2], codes[0], codes[1]]):  # opened 38, 39 and 40 days later: codes[2] least recently
        sd.load(c, tmp_path, now=t0 + (38 + k) * day)
    sd.save('{"n": 3}', tmp_path, now=t0 + 80 * day)
    with pytest.raises(sd.SavedDeckError, match="does not keep"):
        sd.load(codes[2], tmp_path)
    assert sd.load(codes[0], tmp_path) and sd.load(codes[1], tmp_path)


def test_a_deck_opened_in_the_last_30_days_is_never_pushed_out_by_saves(tmp_path, monkeypatch, unlimited):
    """Another lecturer's deck, opened by its class, then 1,000 saves from one tab into a store of 50: it stays;
    once every deck kept was opened within 30 days, a save is refused in one sentence instead."""
    monkeypatch.setattr(sd, "MAX_DECKS", 50)
    now = 1e9
    theirs = sd.save('{"title": "week 3"}', tmp_path, session="lecturer", now=now)
    sd.load(theirs, tmp_path, now=now + 1)
    for i in range(1000):
        sd.save(f'{{"n": {i}}}', tmp_path, session="tab", address="10.0.0.1", now=now + 2 + i)
    assert sd.load(theirs, tmp_path) == '{"title": "week 3"}'
    for i in range(60):
        try:
            sd.load(sd.save(f'{{"m": {i}}}', tmp_path, now=now + 3000 + i), tmp_path, now=now + 3000 + i)
        except sd.SavedDeckError as err:
            assert "all in use" in str(err) and "\n" not in str(err)
            break
    else:
        raise AssertionError("a store full of decks opened this month took another save")
    assert sd.load(theirs, tmp_path)


def test_saves_are_limited_per_session_and_per_address(tmp_path):
    import server.budgets as b
    burst, _ = b.DECK_SAVE_SESSION_RATE
    for i in range(burst):
        sd.save(f'{{"s": {i}}}', tmp_path, session="one-tab")
    with pytest.raises(sd.SavedDeckError, match="wait a minute"):
        sd.save('{"s": "more"}', tmp_path, session="one-tab")
    burst, _ = b.DECK_SAVE_ADDRESS_RATE
    saved = 0
    with pytest.raises(sd.SavedDeckError, match="wait a minute"):
        for i in range(burst + 1):  # new sessions, one address
            sd.save(f'{{"a": {i}}}', tmp_path, session=f"tab-{i}", address="192.0.2.7")
            saved += 1
    assert saved == burst


def test_a_store_from_before_gains_its_opened_column(tmp_path):
    import sqlite3
    db = sqlite3.connect(tmp_path / "decks.sqlite")
    db.execute("CREATE TABLE decks (code TEXT PRIMARY KEY, text TEXT NOT NULL, at REAL NOT NULL)")
    db.execute("INSERT INTO decks VALUES (?, ?, 1.0)", (sd.code_of("{}"), "{}"))
    db.commit()
    db.close()
    assert sd.load(sd.code_of("{}"), tmp_path) == "{}"
