"""A lecture is a room the lecturer owns (server/rooms.py), and its phones are named by the server (server/tokens.py):
only the pass moves the step, a restarted store resumes the lecture on its step, a made-up token counts nothing, the
address limits let a class behind one address through while a search of the room codes is refused, the projector's
count of phones, and a reset that empties the phones' own answers."""
from __future__ import annotations

import contextlib
import json

import pytest

from server import budgets as B
from server import poll_api, rooms, tokens
from server.poll import PollStore, RateLimit
from server.poll_spec import PollError

from .test_poll import Clock

DECK = {"title": "Two steps", "steps": [{"page": "home", "note": "First {n_lessons} lessons."},
                                        {"page": "inpainting", "note": "Which fill?", "question": "Which?",
                                         "poll": {"kind": "choice", "options": ["a", "b"], "answer": "best"}}]}
Q = {"id": "q1", "prompt": "Which fill?", "kind": "choice", "options": ["a 3", "an 8"], "model": 1}


@pytest.fixture
def store(tmp_path):
    with contextlib.closing(PollStore(tmp_path)) as s:
        yield s


def call(store, method, path, body=None, *, key=None, cookie=None, client="10.0.0.1", query=None):
    headers = {"content-type": "application/json", **({poll_api.KEY_HEADER: key} if key else {}),
               **({"cookie": cookie} if cookie else {})}
    return poll_api.handle(store, method, path, query=query or {}, headers=headers,
                           body=json.dumps(body).encode() if body is not None else b"", client=client)


def test_only_the_pass_moves_the_step_and_a_restart_resumes_it(tmp_path):
    store = PollStore(tmp_path)
    lec = rooms.open_lecture(store, "lecture", DECK)
    code = lec.code
    assert (lec.step, lec.shown) == (0, False) and rooms.where(store, code) == {"step": 0, "shown": False,
                                                                                 "steps": 2, "deck": lec.deck_hash}
    v = store.state(code)["version"]
    for headers in ({}, {"key": "a-guess"}, {"cookie": f"{rooms.COOKIE}={code}.a-guess"},
                    {"cookie": f"{rooms.COOKIE}=ZZZZZ.{lec.key}"}):  # another room's pass does not open this one
        got, out = call(store, "POST", f"{code}/step", {"step": 1, "shown": True}, **headers)
        assert got == 403 and "lecturer" in out["error"], headers
    assert rooms.where(store, code)["step"] == 0 and store.state(code)["version"] == v
    # the lecturer's browser: its cookie holds the pass
    got, out = call(store, "POST", f"{code}/step", {"step": 1, "shown": True}, cookie=f"{rooms.COOKIE}={lec.pass_}")
    assert got == 200 and out == {"room": code, "step": 1, "shown": True}
    assert store.state(code)["version"] == v + 1  # the phones' long polls wake
    assert call(store, "POST", f"{code}/step", {"step": 2, "shown": False}, key=lec.key)[0] == 400
    store.close()
    again = PollStore(tmp_path)  # the server killed and restarted: the same room, on the same step
    back = rooms.resume(again, lec.pass_)
    assert back is not None and (back.code, back.step, back.shown, back.deck_name) == (code, 1, True, "lecture")
    assert rooms.resume(again, f"{code}.not-the-key") is None and rooms.resume(again, "nonsense") is None
    state = call(again, "GET", f"{code}/state")[1]
    assert state["lecture"]["step"] == 1 and lec.key not in json.dumps(state)
    deck = call(again, "GET", f"{code}/deck")[1]
    assert [s["note"] for s in deck["steps"]] == ["First … lessons.", "Which fill?"]  # its pictures not drawn yet
    assert deck["steps"][1]["poll"] and deck["steps"][1]["question"] == "Which?" and lec.key not in json.dumps(deck)


def test_no_request_makes_a_room(store):
    before = store.purge(), len(_rooms(store))
    for _ in range(50):
        assert call(store, "POST", "rooms", {})[0] == 403
    assert (store.purge(), len(_rooms(store))) == before


def _rooms(store):
    with store._tx(write=False) as db:
        return db.execute("SELECT code FROM rooms").fetchall()


def test_a_lecture_expires_after_the_lecture(tmp_path):
    clock = Clock()
    store = PollStore(tmp_path, clock=clock)
    lec = rooms.open_lecture(store, "lecture", DECK)
    clock.t += B.LECTURE_IDLE_TTL_S - 60
    rooms.move(store, lec.code, lec.key, 1, False)  # a move keeps it alive
    clock.t += B.LECTURE_IDLE_TTL_S - 60
    assert rooms.resume(store, lec.pass_) is not None
    clock.t += 120
    assert rooms.resume(store, lec.pass_) is None


def test_a_made_up_token_counts_nothing_and_a_joined_phone_counts_once(store):
    lec = rooms.open_lecture(store, "lecture", DECK)
    code, key = lec.code, lec.key
    store.add_question(code, key, Q)
    store.act(code, key, "q1", "open")
    made_up = [tokens.sign(b"a guessed secret" * 2, code, f"guess-{i:010d}") for i in range(300)]
    made_up += [f"my-own-token-{i:08d}" for i in range(300)]
    assert all(call(store, "POST", f"{code}/answer", {"question": "q1", "round": 1, "token": t, "value": 0},
                    client=f"10.1.{i // 250}.{i % 250}")[0] == 403 for i, t in enumerate(made_up))
    got, joined = call(store, "POST", f"{code}/join")
    assert got == 201 and joined["room"] == code
    assert tokens.name_of(store.secret, code, joined["token"]) is not None
    for v in (0, 1):  # a phone that changes its mind counts once
        assert call(store, "POST", f"{code}/answer", {"question": "q1", "round": 1, "token": joined["token"],
                                                      "value": v})[0] == 200
    s = store.state(code, key=key)
    assert (s["phones"], s["question"]["answers"], s["question"]["over"]) == (1, 1, False)
    assert s["question"]["results"]["rounds"][0]["counts"] == [0, 1]


def test_a_class_behind_one_address_passes_and_a_code_search_is_refused(store):
    """300 phones behind one campus address join and answer within a minute while the same address sends 600 wrong
    codes; at least 90 % of those are refused with 429."""
    clock = Clock(0.0)
    store.limits = {k: RateLimit(*rate, clock=clock) for k, rate in
                    (("token", B.POLL_TOKEN_RATE), ("address", B.POLL_ADDRESS_RATE), ("room", B.POLL_ROOM_RATE),
                     ("join", B.POLL_JOIN_RATE), ("miss", B.POLL_MISS_RATE))}
    lec = rooms.open_lecture(store, "lecture", DECK)
    code, key = lec.code, lec.key
    store.add_question(code, key, Q)
    store.act(code, key, "q1", "open")
    campus = "192.0.2.1"
    wrong = [c for c in ("".join(p) for p in zip("ABCDEFGHJK" * 60, "MNPQRSTUVW" * 60, "2345" * 150, "XYZ" * 200,
                                                  "6789" * 150)) if c != code][:600]
    statuses = []
    for i, c in enumerate(wrong):  # the search: 600 guesses over 6 s
        statuses.append(call(store, "GET", f"{c}/state", client=campus)[0])
        clock.t = i / 100
    refused = statuses.count(429) / len(statuses)
    assert refused >= 0.9 and set(statuses) <= {404, 429}, refused
    clock.t += 120  # the searcher gave up; a minute later the class arrives behind the same address
    start, phones = clock.t, []
    while len(phones) < 300 and clock.t < start + 60:
        got, out = call(store, "POST", f"{code}/join", client=campus)
        if got == 201:
            phones.append(out["token"])
        else:
            assert got == 429
            clock.t += 0.05
    assert len(phones) == 300, "a class of 300 behind one address did not join within a minute"
    for i, t in enumerate(phones):
        got = 429
        while got == 429 and clock.t < start + 60:
            got = call(store, "POST", f"{code}/answer", {"question": "q1", "round": 1, "token": t, "value": i % 2},
                       client=campus)[0]
            clock.t += 0.01 if got == 429 else 0
        assert got == 200
    s = store.state(code, key=key)
    assert (s["phones"], s["question"]["answers"]) == (300, 300) and clock.t < start + 60


def test_more_answers_than_phones_is_flagged(store):
    lec = rooms.open_lecture(store, "lecture", DECK)
    code, key = lec.code, lec.key
    store.add_question(code, key, Q)
    store.act(code, key, "q1", "open")
    t = [store.join(code)["token"] for _ in range(2)]
    for x in t:
        store.answer(code, "q1", x, 0, 1)
    assert store.state(code)["question"]["over"] is False
    with store._tx() as db:  # a phone's row lost (another replica's store, a hand-edited file): 2 answers, 1 phone
        db.execute("DELETE FROM phones WHERE name=?", (t[0][:tokens.NAME_CHARS],))
    s = store.state(code)
    assert (s["phones"], s["question"]["answers"], s["question"]["over"]) == (1, 2, True)


def test_reset_empties_the_phones_own_answers(store):
    lec = rooms.open_lecture(store, "lecture", DECK)
    code, key = lec.code, lec.key
    store.add_question(code, key, Q)
    store.act(code, key, "q1", "open")
    t = store.join(code)["token"]
    store.answer(code, "q1", t, 1, 1)
    assert store.state(code, token=t)["question"]["mine"] == {"1": 1.0}
    store.act(code, key, "q1", "reset")
    store.act(code, key, "q1", "open")
    assert store.state(code, token=t)["question"]["mine"] == {}
    with pytest.raises(PollError, match="join the room again"):
        store.state(code, token="made-up-token-0123456789-abcdefghijk")
