"""The class poll's store (server/poll.py) and its HTTP side without a server (poll_api): answers counted
once from threads and processes and across a restart, the question's states in order, rooms purged after a day, and
every hostile request refused with one sentence and nothing changed."""
from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server import budgets as B
from server import poll_api, tokens
from server.poll import PollStore, RateLimit
from server.poll_spec import CODE_ALPHABET, CODE_LEN, PollError, check_spec, tally

ROOT = Path(__file__).resolve().parents[2]
CHOICE = {"id": "q1", "prompt": "Which fill will MIWAE give?", "kind": "choice", "options": ["a 3", "an 8", "a 9"],
          "model": [0.2, 0.7, 0.1]}
NUMBER = {"id": "n1", "prompt": "How many of 100 values are recovered?", "kind": "number", "lo": 0, "hi": 100,
          "unit": "values", "model": 40, "tolerance": 5}


SECRET = b"the tests' server secret, 32 b."  # every store of these tests signs its phones' tokens with it


def tok(code: str, i: int) -> str:
    """Phone ``i``'s token in room ``code``, as the server signs it when the phone joins."""
    return tokens.sign(SECRET, code, f"phone-{i:010d}")


def new_store(folder: Path, **kw) -> PollStore:
    (folder / "server.key").write_bytes(SECRET)
    return PollStore(folder, **kw)


class Clock:
    def __init__(self, t: float = 1_000_000.0):
        self.t = t

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def store(tmp_path):
    s = new_store(tmp_path)
    yield s
    s.close()


def room_with(store: PollStore, *specs: dict, open_: str | None = "q1") -> tuple[str, str]:
    room = store.open_room()
    for spec in specs or (CHOICE,):
        store.add_question(room.code, room.key, spec)
    if open_:
        store.act(room.code, room.key, open_, "open")
    return room.code, room.key


def snapshot(store: PollStore) -> list:
    with sqlite3.connect(store.path) as db:
        return [sorted(db.execute(f"SELECT * FROM {t}").fetchall()) for t in ("rooms", "questions", "answers")]


def test_a_room_code_is_short_and_unambiguous_and_the_key_is_not_kept(store):
    room = store.open_room()
    assert len(room.code) == CODE_LEN and set(room.code) <= set(CODE_ALPHABET)
    assert not set("01OIL") & set(CODE_ALPHABET)
    assert len(room.key) >= 32
    with sqlite3.connect(store.path) as db:
        assert room.key not in json.dumps(db.execute("SELECT * FROM rooms").fetchall())
    assert room.key not in json.dumps(store.state(room.code))


def test_a_question_goes_open_locked_revealed_then_a_second_round(store):
    code, key = room_with(store)
    for i, v in enumerate([1, 1, 0, 2, 1]):
        store.answer(code, "q1", tok(code, i), v, 1)
    store.answer(code, "q1", tok(code, 3), 1, 1)  # changed its mind: 2 -> 1
    q = store.state(code)["question"]
    assert (q["state"], q["round"], q["answers"]) == ("open", 1, 5)
    assert "results" not in q and "model" not in q  # nothing of the answer before the reveal
    with pytest.raises(PollError, match="lock it before"):
        store.act(code, key, "q1", "reveal")
    store.act(code, key, "q1", "lock")
    with pytest.raises(PollError) as e:
        store.answer(code, "q1", tok(code, 9), 0, 1)
    assert e.value.status == 409
    q = store.act(code, key, "q1", "reveal")["question"]
    r1 = q["results"]["rounds"][0]
    assert r1["counts"] == [1, 4, 0] and r1["n"] == 5 and r1["right"] == pytest.approx(0.8)
    assert q["results"]["model"] == {"probs": [0.2, 0.7, 0.1]} and q["results"]["correct"] == 1
    q = store.act(code, key, "q1", "round")["question"]
    assert (q["state"], q["round"], q["answers"]) == ("open", 2, 0) and "results" not in q  # round 2 hides round 1
    with pytest.raises(PollError, match="Round 1 of this question is closed"):
        store.answer(code, "q1", tok(code, 0), 1, 1)
    store.answer(code, "q1", tok(code, 0), 2, 2)
    store.act(code, key, "q1", "lock")
    with pytest.raises(PollError, match="second round follows"):
        store.act(code, key, "q1", "round")
    rounds = store.act(code, key, "q1", "reveal")["question"]["results"]["rounds"]
    assert [r["counts"] for r in rounds] == [[1, 4, 0], [0, 0, 1]]
    store.act(code, key, "q1", "reset")
    q = store.state(code, key=key)["question"]
    assert (q["state"], q["round"], q["answers"]) == ("waiting", 1, 0)
    assert q["results"]["rounds"][0]["n"] == 0


def test_a_countdown_locks_the_question_when_it_runs_out(tmp_path):
    clock = Clock()
    store = new_store(tmp_path, clock=clock)
    code, key = room_with(store)
    store.act(code, key, "q1", "lock", seconds=10)
    clock.t += 9.5
    store.answer(code, "q1", tok(code, 1), 0, 1)
    assert store.state(code)["question"]["seconds_left"] == pytest.approx(0.5)
    clock.t += 1
    with pytest.raises(PollError, match="is locked"):
        store.answer(code, "q1", tok(code, 2), 0, 1)
    assert store.state(code)["question"]["state"] == "locked"
    store.act(code, key, "q1", "reveal")


def test_opening_a_question_locks_the_one_open_before(store):
    code, key = room_with(store, CHOICE, NUMBER)
    store.act(code, key, "n1", "open")
    assert store.state(code)["question"]["id"] == "n1"
    assert store.state(code, question="q1")["question"]["state"] == "locked"


def test_a_number_question_is_a_histogram_over_its_bounds(store):
    code, key = room_with(store, NUMBER, open_="n1")
    for i, v in enumerate([0, 9.99, 10, 38, 42, 45, 100]):
        store.answer(code, "n1", tok(code, i), v, 1)
    with pytest.raises(PollError, match="between 0 and 100"):
        store.answer(code, "n1", tok(code, 99), 100.5, 1)
    store.act(code, key, "n1", "lock")
    r = store.act(code, key, "n1", "reveal")["question"]["results"]["rounds"][0]
    assert r["counts"] == [2, 1, 0, 1, 2, 0, 0, 0, 0, 1] and r["edges"][0] == 0 and r["edges"][-1] == 100
    assert r["median"] == 38 and r["right"] == pytest.approx(3 / 7)  # 38, 42 and 45 (the edge) within 5 of 40


def test_answers_from_many_threads_are_each_counted_once(store):
    code, key = room_with(store)
    n_threads, per = 8, 40

    def phone(t: int) -> None:
        for i in range(per):
            store.answer(code, "q1", tok(code, t * per + i), 0, 1)
        for i in range(per):  # each phone changes its answer once
            store.answer(code, "q1", tok(code, t * per + i), (t * per + i) % 3, 1)

    threads = [threading.Thread(target=phone, args=(t,)) for t in range(n_threads)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    counts = store.state(code, key=key)["question"]["results"]["rounds"][0]["counts"]
    want = [sum(1 for j in range(n_threads * per) if j % 3 == k) for k in range(3)]
    assert counts == want and sum(counts) == n_threads * per


CHILD = """
import sys, time
from pathlib import Path
from server import tokens
from server.poll import PollStore
s = PollStore(sys.argv[1])
Path(sys.argv[1], "ready-" + sys.argv[3]).touch()
while not Path(sys.argv[1], "go").exists():  # both processes write at the same time
    time.sleep(0.01)
for i in range(int(sys.argv[3]), int(sys.argv[4])):
    s.answer(sys.argv[2], "q1", tokens.sign(s.secret, sys.argv[2], f"phone-{i:010d}"), i % 3, 1)
"""


@pytest.mark.slow  # two fresh interpreters import torch (server's cache): seconds on two cores
def test_two_processes_sharing_the_file_count_every_answer_once(store):
    code, key = room_with(store)
    # the two ranges overlap by 100 tokens: those phones answer through both processes and count once
    ranges = ((0, 300), (200, 500))
    procs = [subprocess.Popen([sys.executable, "-c", CHILD, str(store.folder), code, str(lo), str(hi)], cwd=ROOT)
             for lo, hi in ranges]
    deadline = time.monotonic() + 120
    while not all((store.folder / f"ready-{lo}").exists() for lo, _ in ranges):
        assert time.monotonic() < deadline and all(p.poll() is None for p in procs), "a writer did not start"
        time.sleep(0.02)
    (store.folder / "go").touch()
    assert [p.wait(120) for p in procs] == [0, 0]
    counts = store.state(code, key=key)["question"]["results"]["rounds"][0]["counts"]
    assert counts == [sum(1 for i in range(500) if i % 3 == k) for k in range(3)]


def test_a_restarted_server_finds_every_answer(tmp_path):
    store = new_store(tmp_path)
    code, key = room_with(store)
    for i in range(50):
        store.answer(code, "q1", tok(code, i), i % 3, 1)
    store.close()
    again = new_store(tmp_path)  # a new process's store, on the same file
    assert again.state(code)["question"]["answers"] == 50
    again.answer(code, "q1", tok(code, 0), 2, 1)  # a phone that answered before the restart changes its answer
    again.answer(code, "q1", tok(code, 50), 2, 1)
    again.act(code, key, "q1", "lock")
    r = again.act(code, key, "q1", "reveal")["question"]["results"]["rounds"][0]
    assert r["n"] == 51 and r["counts"] == [16, 17, 18]


def test_a_room_is_purged_a_day_after_it_opened(tmp_path):
    clock = Clock()
    store = new_store(tmp_path, clock=clock)
    code, key = room_with(store)
    store.answer(code, "q1", tok(code, 1), 1, 1)
    clock.t += B.POLL_ROOM_TTL_S - 1
    assert store.state(code)["question"]["answers"] == 1
    clock.t += 2
    with pytest.raises(PollError) as e:
        store.state(code)
    assert e.value.status == 404
    with pytest.raises(PollError):
        store.answer(code, "q1", tok(code, 2), 1, 1)
    store.open_room()  # opening a room purges the expired ones
    rooms, questions, answers = snapshot(store)
    assert len(rooms) == 1 and rooms[0][0] != code and not questions and not answers


def test_a_rate_limit_refills():
    clock = Clock(0.0)
    limit = RateLimit(3, 1.0, clock=clock)
    assert [limit.take("a") for _ in range(4)] == [True, True, True, False]
    assert limit.take("b")
    clock.t += 1.0
    assert limit.take("a") and not limit.take("a")


def test_a_tally_without_a_reference_has_no_share_right():
    q = check_spec({**CHOICE, "model": None})
    assert tally(q, [0.0, 1.0])["right"] is None and tally(q, [])["counts"] == [0, 0, 0]


# ---------------------------------------------------------------- hostile requests, through the HTTP side

def call(store, method, path, body=b"", key=None, client="10.0.0.1", ctype="application/json", query=None):
    if not isinstance(body, bytes):
        body = json.dumps(body).encode()
    headers = {"content-type": ctype, **({poll_api.KEY_HEADER: key} if key is not None else {})}
    return poll_api.handle(store, method, path, query=query or {}, headers=headers, body=body, client=client)


def refused(store, *args, status: int | None = None, **kwargs) -> str:
    """The request is refused (4xx or 503) with one sentence and changes nothing -> the sentence."""
    before = snapshot(store)
    got, out = call(store, *args, **kwargs)
    assert 400 <= got < 600 and (status is None or got == status), (got, out)
    assert set(out) == {"error"}
    msg = out["error"]
    assert len(msg) <= B.MESSAGE_MAX_CHARS and msg.endswith(".") and "\n" not in msg, msg
    assert snapshot(store) == before
    return msg


def answer(code, **kw):
    return {"question": "q1", "round": 1, "token": tok(code, 1), "value": 1, **kw}


def test_every_hostile_request_is_refused_with_nothing_changed(store):
    code, key = room_with(store)
    assert call(store, "POST", f"{code}/answer", answer(code))[0] == 200
    other = store.open_room().code
    cases = [
        (("POST", "ZZZZZ/answer", answer(code)), 404),  # unknown room
        (("POST", "not-a-room/answer", answer(code)), 404),
        (("POST", f"{other}/answer", answer(other)), 404),  # a real room without that question
        (("POST", f"{code}/answer", answer(code, question="q9")), 404),  # unknown question
        (("POST", f"{code}/answer", answer(code, value=3)), 400),  # unknown option
        (("POST", f"{code}/answer", answer(code, value=True)), 400),
        (("POST", f"{code}/answer", answer(code, value="1")), 400),
        (("POST", f"{code}/answer", answer(code, round=2)), 409),
        (("POST", f"{code}/answer", answer(code, token="short")), 400),
        (("POST", f"{code}/answer", answer(code, token="<script>alert(1)</script>-----")), 400),
        (("POST", f"{code}/answer", answer(code, extra=1)), 400),
        (("POST", f"{code}/answer", {"question": "q1"}), 400),
        (("POST", f"{code}/answer", b'{"question": "q1", "round": 1, "token": "' + b"a" * 1100 + b'"}'), 413),
        (("POST", f"{code}/answer", b'{"question": "q1", "round": 1,'), 400),  # malformed JSON
        (("POST", f"{code}/answer", b'{"value": NaN}'), 400),
        (("POST", f"{code}/answer", b'{"value": 1, "value": 2}'), 400),
        (("POST", f"{code}/answer", b"\xff\xfe{}"), 400),
        (("POST", f"{code}/answer", b"[1, 2]"), 400),
        (("POST", f"{code}/answer", b"[" * 500 + b"]" * 500), 400),
        (("POST", f"{code}/answer", json.dumps(answer(code)).encode()), 415, {"ctype": "text/plain"}),
        (("GET", f"{code}/answer"), 405),
        (("POST", f"{code}/state"), 405),
        (("POST", f"{code}/nothing", {}), 404),
        (("GET", f"{code}/state"), 400, {"query": {"v": "x"}}),
        (("GET", f"{code}/state"), 400, {"query": {"v": "1", "wait": "1e9"}}),
        # a student calling a presenter's action: no key, or a wrong one
        (("POST", f"{code}/questions/q1/lock", {}), 403),
        (("POST", f"{code}/questions/q1/reset", {}), 403, {"key": "guess"}),
        (("POST", f"{code}/questions", {**CHOICE, "id": "q2"}), 403),
        (("GET", f"{code}/state"), 403, {"key": "guess"}),
        # presenter requests that are wrong
        (("POST", f"{code}/questions/q1/reveal", {}), 409, {"key": key}),  # not locked yet
        (("POST", f"{code}/questions/q1/explode", {}), 404, {"key": key}),
        (("POST", f"{code}/questions/q1/lock", {"seconds": -1}), 400, {"key": key}),
        (("POST", f"{code}/questions/q1/open", {"seconds": 5}), 400, {"key": key}),
        (("POST", f"{code}/questions", {**CHOICE, "id": "q1", "prompt": "Another question"}), 409, {"key": key}),
        (("POST", f"{code}/questions", {**CHOICE, "id": "q2", "prompt": "<b>bold</b>"}), 400, {"key": key}),
        (("POST", f"{code}/questions", {**CHOICE, "id": "q2", "options": ["a", "<img src=x onerror=1>"]}), 400,
         {"key": key}),
        (("POST", f"{code}/questions", {**NUMBER, "id": "n2", "unit": "&lt;em&gt;"}), 400, {"key": key}),
        (("POST", f"{code}/questions", {**CHOICE, "id": "q2", "prompt": "a\u0000b"}), 400, {"key": key}),
        (("POST", f"{code}/questions", {**CHOICE, "id": "q 2"}), 400, {"key": key}),
        (("POST", f"{code}/questions", {**CHOICE, "id": "q2", "options": ["a"]}), 400, {"key": key}),
        (("POST", f"{code}/questions", {**CHOICE, "id": "q2", "options": ["a", "a"]}), 400, {"key": key}),
        (("POST", f"{code}/questions", {**CHOICE, "id": "q2", "model": [0.5, 0.6, 0.1]}), 400, {"key": key}),
        (("POST", f"{code}/questions", {**NUMBER, "id": "n2", "lo": 5, "hi": 5}), 400, {"key": key}),
        (("POST", f"{code}/questions", {**NUMBER, "id": "n2", "model": 1e300}), 400, {"key": key}),
        (("POST", "rooms", {}), 403),  # a room is opened by a lecturer's Present, never by a request
        (("POST", f"{code}/answer", answer(code, token=tok(other, 1))), 403),  # another room's token
        (("POST", f"{code}/answer", answer(code, token="made-up-token-0123456789-abcdefghijk")), 403),
        (("POST", f"{code}/join", {"token": "x" * 20}), 400),
        (("POST", f"{code}/step", {"step": 1, "shown": False}), 403),
    ]
    for args, status, *kw in cases:
        refused(store, *args, status=status, **(kw[0] if kw else {}))
    store.act(code, key, "q1", "lock")
    refused(store, "POST", f"{code}/answer", answer(code, value=2), status=409)  # an answer after the lock


def test_a_phone_or_an_address_that_floods_is_refused(store):
    frozen = Clock(0.0)  # no refill while the test sends: the bursts are exact
    store.limits = {k: RateLimit(*rate, clock=frozen) for k, rate in
                    (("token", B.POLL_TOKEN_RATE), ("address", B.POLL_ADDRESS_RATE), ("room", B.POLL_ROOM_RATE),
                     ("join", B.POLL_JOIN_RATE), ("miss", B.POLL_MISS_RATE))}
    code, _ = room_with(store)
    for _ in range(B.POLL_TOKEN_RATE[0]):
        assert call(store, "POST", f"{code}/answer", answer(code))[0] == 200
    assert "Too many answers from this phone" in refused(store, "POST", f"{code}/answer", answer(code), status=429)
    for i in range(B.POLL_ADDRESS_RATE[0]):
        got = call(store, "POST", f"{code}/answer", answer(code, token=tok(code, 1000 + i)), client="10.9.9.9")
        assert got[0] == 200
    msg = refused(store, "POST", f"{code}/answer", answer(code, token=tok(code, 5000)), client="10.9.9.9", status=429)
    assert "this address" in msg
    assert call(store, "POST", f"{code}/answer", answer(code, token=tok(code, 5001)), client="10.9.9.8")[0] == 200
    for _ in range(B.POLL_ROOM_RATE[0]):
        store.open_room(client="10.7.7.7")
    with pytest.raises(PollError, match="too many rooms"):
        store.open_room(client="10.7.7.7")
    frozen.t += 1.0  # a second later the address may answer again
    assert call(store, "POST", f"{code}/answer", answer(code, token=tok(code, 5002)), client="10.9.9.9")[0] == 200


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner,
                                                                                max_size=4), max_leaves=12)
FIELD = st.sampled_from(["question", "round", "token", "value", "seconds", "id", "prompt", "kind", "options", "lo",
                         "hi", "model", "x"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from(["{c}/answer", "{c}/questions", "{c}/questions/q1/lock", "{c}/questions/q1/reveal",
                             "{c}/questions/q1/round", "{c}/questions/q1/reset", "rooms", "{c}/state", "{c}"]),
       body=st.one_of(st.dictionaries(FIELD, JSON, max_size=5), JSON,
                      st.binary(max_size=1200).map(lambda b: b"\x00" + b)),
       with_key=st.booleans(), method=st.sampled_from(["POST", "GET", "DELETE"]))
def test_fuzz_a_refused_request_changes_nothing(store, path, body, with_key, method):
    """Whatever a phone or a stranger sends (no valid lecturer key): a refusal with one sentence and nothing changed,
    or an accepted answer or an empty room. With the key: a refusal changes nothing, whatever an accepted action
    did."""
    if not hasattr(store, "_fuzz_room"):
        store._fuzz_room = room_with(store)
    code, key = store._fuzz_room
    before = snapshot(store)
    status, out = call(store, method, path.format(c=code), body=body if isinstance(body, bytes) else
                       json.dumps(body).encode(), key=key if with_key else "not-the-key", client="")
    if status >= 400:
        assert set(out) == {"error"} and len(out["error"]) <= B.MESSAGE_MAX_CHARS and out["error"].endswith(".")
        assert snapshot(store) == before
    else:
        assert with_key or path in ("{c}/answer", "{c}/state")
