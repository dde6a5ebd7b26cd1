"""A lecture is a room the lecturer owns: a poll room (server/poll.py) that also holds a deck, the step the lecturer
shows and its stage (the question asked, or its answer shown), kept in the poll's SQLite file.

Only a lecturer's Present opens one (``open_lecture``, called in process by the app; no HTTP route makes a room), and
it returns the room's secret once, as a **pass**: ``CODE.KEY``, the room's code and its lecturer key (only the key's
hash is stored). The lecturer's browser keeps the pass in a cookie (``COOKIE``) and the presenter's link may carry
it, so a reload, a second tab, or the lecturer's laptop after the server was killed and restarted finds the same
room on the same step (``resume``). Only the pass moves the step (``move``), as only the key opens, locks, reveals
and resets a question. A lecture expires ``budgets.LECTURE_IDLE_TTL_S`` after its last move, and with its room a
day after it opened.

The class page (static/class/) reads ``public``: the deck's steps as a phone shows them, and the lecture's step.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from server import budgets as B
from server.poll import PollStore
from server.poll_spec import PollError, check_code

COOKIE = "dgm_lecture"  # the lecturer's pass, in the lecturer's browser (set by server.poll_routes)


@dataclass(frozen=True)
class Lecture:
    code: str
    key: str  # the lecturer key: known to whoever holds the pass, never read back from the store
    deck_name: str
    deck_hash: str
    step: int  # 0-based
    shown: bool  # the step's question answered (its view revealed)

    @property
    def pass_(self) -> str:
        return f"{self.code}.{self.key}"


def deck_hash(deck: dict) -> str:
    """A deck's identity: the hash of its JSON (its steps' pictures are kept under it)."""
    return hashlib.sha256(json.dumps(deck, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]


def split_pass(text: object) -> tuple[str, str] | None:
    """``CODE.KEY`` -> (code, key); None for anything else."""
    if not isinstance(text, str) or text.count(".") != 1 or len(text) > 80:
        return None
    code, key = text.split(".")
    try:
        return check_code(code), key
    except PollError:
        return None


def open_lecture(store: PollStore, deck_name: str, deck: dict, *, client: str = "") -> Lecture:
    """The lecturer's Present: a new room for ``deck`` (its dict form), on its first step."""
    room = store.open_room(client=client)
    text = json.dumps(deck, ensure_ascii=False)
    if len(text) > B.DECK_MAX_BYTES:
        raise PollError(413, f"This deck is over {B.DECK_MAX_BYTES:,} bytes, the most a lecture holds.")
    h = deck_hash(deck)
    with store._tx() as db:
        db.execute("INSERT INTO lectures (code, deck_name, deck, deck_hash, moved) VALUES (?, ?, ?, ?, ?)",
                   (room.code, deck_name[:200], text, h, store.clock()))
    return Lecture(room.code, room.key, deck_name[:200], h, 0, False)


def _row(db, code: str) -> tuple | None:
    return db.execute("SELECT deck_name, deck_hash, step, shown, moved, deck FROM lectures WHERE code=?",
                      (code,)).fetchone()


def resume(store: PollStore, pass_: object) -> Lecture | None:
    """The live lecture a pass opens (its room not expired, the lecture moved within the idle limit), else None."""
    got = split_pass(pass_)
    if got is None:
        return None
    code, key = got
    try:
        with store._tx(write=False) as db:
            store._presenter(db, code, key)
            row = _row(db, code)
    except PollError:
        return None
    if row is None or row[4] < store.clock() - B.LECTURE_IDLE_TTL_S:
        return None
    return Lecture(code, key, row[0], row[1], row[2], bool(row[3]))


def move(store: PollStore, code: str, key: str, step: object, shown: object, *, client: str = "") -> dict:
    """The lecturer shows ``step`` (0-based) at its stage ``shown``: every phone's long poll hears of it."""
    store._limit("address", client, "Too many requests from this address; wait a few seconds.")
    if isinstance(step, bool) or not isinstance(step, int) or not isinstance(shown, bool):
        raise PollError(400, "A step is a whole number and its stage (shown) true or false.")
    with store._tx() as db:
        code = store._presenter(db, code, key)[0]
        row = _row(db, code)
        if row is None:
            raise PollError(404, f"Room {code} is a poll, not a lecture: it has no steps.")
        steps = len(json.loads(row[5])["steps"])
        if not 0 <= step < steps:
            raise PollError(400, f"This lecture has steps 0 to {steps - 1}, not {step}.")
        db.execute("UPDATE lectures SET step=?, shown=?, moved=? WHERE code=?", (step, int(shown), store.clock(), code))
        if (row[2], bool(row[3])) != (step, shown):
            db.execute("UPDATE rooms SET version=version+1 WHERE code=?", (code,))
    return {"room": code, "step": step, "shown": shown}


def where(store: PollStore, code: str) -> dict | None:
    """The lecture's place, as the room's state carries it to the phones: {step, shown, steps, deck}; None where the
    room is a plain poll."""
    with store._tx(write=False) as db:
        row = _row(db, check_code(code))
    if row is None:
        return None
    return {"step": row[2], "shown": bool(row[3]), "steps": len(json.loads(row[5])["steps"]), "deck": row[1]}


def deck_of(store: PollStore, code: str) -> tuple[str, dict]:
    """The lecture's deck -> (its hash, its dict). PollError 404 where the room is no lecture."""
    with store._tx(write=False) as db:
        store._room(db, code)
        row = _row(db, check_code(code))
    if row is None:
        raise PollError(404, f"Room {check_code(code)} is a poll, not a lecture: it has no steps.")
    return row[1], json.loads(row[5])
