"""Predict, then reveal: a class answers a lecture's question on their phones, kept in one SQLite file.

Peer instruction (Crouch & Mazur, "Peer Instruction: Ten years of experience and results", Am. J. Phys. 69, 2001):
the class commits to an answer before the model's is shown, and where about half is right, discusses with a
neighbour and answers again. A **room** has a short code the class types (``CODE_ALPHABET``, no 0/O or 1/I/L) and a
lecturer key, a random secret returned once, when the room is opened (only its hash is kept); a room is purged a day
after it was opened. A **question** (a choice between options, or a number between bounds) goes waiting -> open ->
locked -> revealed, in rounds (round 2: "discuss with your neighbour and answer again"); a lock may be a countdown.
An **answer** is one row per (question, round, phone's token), replaced until the lock: counted once. A phone's
token is given by the server when it **joins** the room (server/tokens.py: signed, so a made-up one is refused), and
the room counts its phones, so the projector can say "N answers from M phones". A **lecture** (server/rooms.py) is a
room that follows a deck's steps; on a step that asks for one, the class's own experiment keeps a **run** per phone
(server/class_runs.py).

The file lives in ``DGM_POLL_DIR`` (default ``var/poll`` in the checkout), in WAL mode, so the replicas of one host
(server/replicas.py) share it and a restarted server finds every answer. Every write checks its input and the room's
state inside one ``BEGIN IMMEDIATE`` transaction, so a refused write changes nothing and a lock and an answer never
interleave. A refusal is a ``PollError``: an HTTP status and one sentence. Limits: ``dgm_core/budgets.py``.
Pure Python (stdlib sqlite3): the HTTP side is ``poll_api``, the presenter's panel ui/poll.py.
"""
from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from server import budgets as B
from server import tokens
from server.budgets import shorten
from server.poll_spec import (CODE_ALPHABET, CODE_LEN, NoRoom, PollError, check_code, check_spec, check_token,
                                        ident, in_bounds, number, public_question, tally)

ROOT = Path(__file__).resolve().parents[1]
STATES = ("waiting", "open", "locked", "revealed")
POOL = 8  # idle connections kept

SCHEMA = """
CREATE TABLE IF NOT EXISTS rooms (
  code TEXT PRIMARY KEY, key_hash TEXT NOT NULL, created REAL NOT NULL, current TEXT,
  version INTEGER NOT NULL DEFAULT 0, answers_version INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS questions (
  room TEXT NOT NULL, id TEXT NOT NULL, spec TEXT NOT NULL, state TEXT NOT NULL DEFAULT 'waiting',
  round INTEGER NOT NULL DEFAULT 1, deadline REAL, seq INTEGER NOT NULL,
  PRIMARY KEY (room, id));
CREATE TABLE IF NOT EXISTS answers (
  room TEXT NOT NULL, question TEXT NOT NULL, round INTEGER NOT NULL, token TEXT NOT NULL, value REAL NOT NULL,
  at REAL NOT NULL, PRIMARY KEY (room, question, round, token));
CREATE TABLE IF NOT EXISTS phones (
  room TEXT NOT NULL, name TEXT NOT NULL, joined REAL NOT NULL, PRIMARY KEY (room, name));
CREATE TABLE IF NOT EXISTS lectures (
  code TEXT PRIMARY KEY, deck_name TEXT NOT NULL, deck TEXT NOT NULL, deck_hash TEXT NOT NULL,
  step INTEGER NOT NULL DEFAULT 0, shown INTEGER NOT NULL DEFAULT 0, moved REAL NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
  room TEXT NOT NULL, step INTEGER NOT NULL, phone TEXT NOT NULL, mask TEXT NOT NULL, scores TEXT NOT NULL,
  at REAL NOT NULL, PRIMARY KEY (room, step, phone));
"""


def poll_dir() -> Path:
    """Where the poll file lives: ``DGM_POLL_DIR``, else ``var/poll`` in the checkout (ignored by git)."""
    return Path(os.environ.get("DGM_POLL_DIR") or ROOT / "var" / "poll")


class RateLimit:
    """Token buckets by name: ``burst`` requests at once, then ``per_s`` a second. Held by one process."""

    def __init__(self, burst: float, per_s: float, clock: Callable[[], float] = time.monotonic, size: int = 50_000):
        self.burst, self.per_s, self.clock, self.size = burst, per_s, clock, size
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def ok(self, name: str) -> bool:
        """Whether one request of ``name`` would go ahead, taking nothing."""
        now = self.clock()
        with self._lock:
            level, at = self._buckets.get(name, (self.burst, now))
            return min(self.burst, level + (now - at) * self.per_s) >= 1

    def take(self, name: str) -> bool:
        """One request of ``name`` -> whether it may go ahead."""
        now = self.clock()
        with self._lock:
            level, at = self._buckets.get(name, (self.burst, now))
            level = min(self.burst, level + (now - at) * self.per_s)
            if len(self._buckets) >= self.size and name not in self._buckets:  # forget the buckets full again
                self._buckets = {k: (lv, t) for k, (lv, t) in self._buckets.items()
                                 if lv + (now - t) * self.per_s < self.burst}
            ok = level >= 1
            self._buckets[name] = (level - 1 if ok else level, now)
            return ok


@dataclass(frozen=True)
class Room:
    code: str
    key: str  # the lecturer key: returned here only, never stored in clear
    expires_at: float


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


# ---------------------------------------------------------------- the store

class PollStore:
    """The rooms, questions, rounds and answers in ``<folder>/poll.sqlite3``; safe from threads and processes."""

    def __init__(self, folder: Path | str | None = None, *, clock: Callable[[], float] = time.time):
        self.folder = Path(folder) if folder is not None else poll_dir()
        self.folder.mkdir(parents=True, exist_ok=True)
        self.path = self.folder / "poll.sqlite3"
        self.clock = clock
        self.limits = {"token": RateLimit(*B.POLL_TOKEN_RATE), "address": RateLimit(*B.POLL_ADDRESS_RATE),
                       "room": RateLimit(*B.POLL_ROOM_RATE), "join": RateLimit(*B.POLL_JOIN_RATE),
                       "miss": RateLimit(*B.POLL_MISS_RATE)}
        self.secret = tokens.server_secret(self.folder)
        self._idle: list[sqlite3.Connection] = []  # connections not in use, for the next transaction of any thread
        self._lock = threading.Lock()
        with self._tx() as db:
            db.execute("SELECT 1")  # the schema is made on the first connection

    # -- connections: a pool shared by the threads (Streamlit runs each script run in a thread of its own); WAL;
    # a writer waits up to 10 s for another (busy_timeout) rather than fail
    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=10, isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")  # WAL: a commit survives a crash of the process, not of the host
        db.executescript(SCHEMA)
        return db

    @contextlib.contextmanager
    def _tx(self, write: bool = True) -> Iterator[sqlite3.Connection]:
        with self._lock:
            db = self._idle.pop() if self._idle else None
        db = db or self._connect()
        try:
            db.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield db
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        finally:
            with self._lock:
                keep = len(self._idle) < POOL
                if keep:
                    self._idle.append(db)
            if not keep:
                db.close()

    def close(self) -> None:
        with self._lock:
            for db in self._idle:
                db.close()
            self._idle.clear()

    def _limit(self, kind: str, name: str, message: str) -> None:
        if name and not self.limits[kind].take(name):
            raise PollError(429, message)

    def _room(self, db: sqlite3.Connection, code: object) -> tuple:
        code = check_code(code)
        row = db.execute("SELECT code, key_hash, created, current, version, answers_version FROM rooms WHERE code=?",
                         (code,)).fetchone()
        if row is None or row[2] < self.clock() - B.POLL_ROOM_TTL_S:
            raise NoRoom(404, f"There is no room '{code}' (a room closes a day after it opened).")
        return row

    def _presenter(self, db: sqlite3.Connection, code: object, key: object) -> tuple:
        room = self._room(db, code)
        if not isinstance(key, str) or not hmac.compare_digest(_hash(key), room[1]):
            raise PollError(403, "Only the lecturer can do this: the request lacks the room's lecturer key.")
        return room

    def _question(self, db: sqlite3.Connection, code: str, qid: object) -> list:
        qid = ident(qid, "question id")
        row = db.execute("SELECT id, spec, state, round, deadline FROM questions WHERE room=? AND id=?",
                         (code, qid)).fetchone()
        if row is None:
            raise PollError(404, f"Room {code} has no question '{qid}'.")
        q = list(row)
        if q[2] == "open" and q[4] is not None and self.clock() >= q[4]:
            q[2] = "locked"  # the countdown ran out
        return q

    # -- presenter actions (need the lecturer key)
    def open_room(self, *, client: str = "") -> Room:
        """A new room -> its code and lecturer key (the key is never shown again). Purges expired rooms first."""
        self._limit("room", client, "This address has opened too many rooms; use one you have, or wait.")
        now = self.clock()
        key = secrets.token_urlsafe(24)
        with self._tx() as db:
            self._purge(db, now)
            if db.execute("SELECT COUNT(*) FROM rooms").fetchone()[0] >= B.POLL_MAX_ROOMS:
                raise PollError(503, f"This server already holds {B.POLL_MAX_ROOMS} rooms; try again tomorrow.")
            while True:
                code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LEN))
                if db.execute("SELECT 1 FROM rooms WHERE code=?", (code,)).fetchone() is None:
                    break
            db.execute("INSERT INTO rooms (code, key_hash, created) VALUES (?, ?, ?)", (code, _hash(key), now))
        return Room(code, key, now + B.POLL_ROOM_TTL_S)

    def add_question(self, code: str, key: str, spec: dict, *, client: str = "") -> dict:
        """Adds ``spec`` (``check_spec``) to the room, waiting -> the question as a phone sees it. Adding the same
        question again changes nothing; another question under a used id is refused."""
        self._limit("address", client, "Too many requests from this address; wait a few seconds.")
        q = check_spec(spec)
        with self._tx() as db:
            code = self._presenter(db, code, key)[0]
            old = db.execute("SELECT spec FROM questions WHERE room=? AND id=?", (code, q["id"])).fetchone()
            if old is not None:
                if json.loads(old[0]) != q:
                    raise PollError(409, f"Room {code} already has another question '{q['id']}'.")
            else:
                n = db.execute("SELECT COUNT(*) FROM questions WHERE room=?", (code,)).fetchone()[0]
                if n >= B.POLL_MAX_QUESTIONS:
                    raise PollError(409, f"Room {code} holds {n} questions already, the most it may.")
                db.execute("INSERT INTO questions (room, id, spec, seq) VALUES (?, ?, ?, ?)",
                           (code, q["id"], json.dumps(q), n))
                db.execute("UPDATE rooms SET version=version+1 WHERE code=?", (code,))
        return public_question(q)

    def act(self, code: str, key: str, qid: str, action: str, *, seconds: float | None = None,
            client: str = "") -> dict:
        """A presenter's action on a question -> the room's state. ``open`` (a waiting or locked question: the
        room's current one from now; another open question is locked), ``lock`` (now, or after ``seconds``),
        ``reveal`` (a locked question: its results and the model's answer to everyone), ``round`` (a locked or
        revealed first round: round 2 opens, empty), ``reset`` (back to waiting, its answers deleted)."""
        self._limit("address", client, "Too many requests from this address; wait a few seconds.")
        if action not in ("open", "lock", "reveal", "round", "reset"):
            raise PollError(404, f"There is no action '{shorten(action, 20)}': open, lock, reveal, round or reset.")
        if seconds is not None and action != "lock":
            raise PollError(400, "Only a lock takes a countdown in seconds.")
        if seconds is not None and not 0 <= number(seconds, "countdown") <= B.POLL_COUNTDOWN_MAX_S:
            raise PollError(400, f"A countdown is 0 to {B.POLL_COUNTDOWN_MAX_S} seconds, not {seconds:g}.")
        now = self.clock()
        with self._tx() as db:
            code = self._presenter(db, code, key)[0]
            qid, _, state, rnd, _ = self._question(db, code, qid)
            if action == "open":
                if state not in ("waiting", "locked"):
                    raise PollError(409, f"Question '{qid}' is {state}: only a waiting or locked question opens.")
                db.execute("UPDATE questions SET state='locked', deadline=NULL WHERE room=? AND state='open' AND id!=?",
                           (code, qid))
                sets = {"state": "open", "deadline": None}
                db.execute("UPDATE rooms SET current=? WHERE code=?", (qid, code))
            elif action == "lock":
                if state != "open":
                    raise PollError(409, f"Question '{qid}' is {state}: only an open question locks.")
                sets = ({"state": "locked", "deadline": None} if not seconds else {"deadline": now + seconds})
            elif action == "reveal":
                if state != "locked":
                    raise PollError(409, f"Question '{qid}' is {state}: lock it before revealing it.")
                sets = {"state": "revealed", "deadline": None}
            elif action == "round":
                if state not in ("locked", "revealed") or rnd >= B.POLL_MAX_ROUNDS:
                    raise PollError(409, f"Question '{qid}' is {state} in round {rnd}: a second round follows a "
                                         "locked or revealed first round.")
                db.execute("UPDATE questions SET state='locked', deadline=NULL WHERE room=? AND state='open' AND id!=?",
                           (code, qid))
                sets = {"state": "open", "round": rnd + 1, "deadline": None}
                db.execute("UPDATE rooms SET current=? WHERE code=?", (qid, code))
            else:
                db.execute("DELETE FROM answers WHERE room=? AND question=?", (code, qid))
                sets = {"state": "waiting", "round": 1, "deadline": None}
                db.execute("UPDATE rooms SET answers_version=answers_version+1 WHERE code=?", (code,))
            db.execute(f"UPDATE questions SET {', '.join(f'{k}=?' for k in sets)} WHERE room=? AND id=?",
                       (*sets.values(), code, qid))
            db.execute("UPDATE rooms SET version=version+1 WHERE code=?", (code,))
        return self.state(code)

    # -- a phone
    def join(self, code: str, *, client: str = "") -> dict:
        """A phone joins the room -> its token (signed for this room), which its answers carry."""
        self._limit("join", client, "Too many phones joined from this address at once; wait a second and join again.")
        with self._tx() as db:
            code = self._room(db, code)[0]
            token = tokens.make(self.secret, code)
            db.execute("INSERT OR IGNORE INTO phones (room, name, joined) VALUES (?, ?, ?)",
                       (code, token[:tokens.NAME_CHARS], self.clock()))
            db.execute("UPDATE rooms SET answers_version=answers_version+1 WHERE code=?", (code,))
        return {"room": code, "token": token}

    def _phone(self, code: str, token: object) -> str:
        token = check_token(token)
        if tokens.name_of(self.secret, code, token) is None:
            raise PollError(403, "This phone's token was not given by this server for this room: join the room "
                                 "again.")
        return token

    def answer(self, code: str, qid: str, token: str, value: object, round: int, *, client: str = "") -> dict:
        """A phone's answer (``value``: an option's index, or a number within the bounds) to ``round`` of an open
        question; a second answer from the same token replaces the first -> a receipt."""
        token = check_token(token)
        self._limit("address", client, "Too many answers from this address; wait a few seconds.")
        self._limit("token", token, "Too many answers from this phone; wait a few seconds and send it again.")
        if isinstance(round, bool) or not isinstance(round, int):
            raise PollError(400, f"The round must be a whole number, not '{shorten(round)}'.")
        now = self.clock()
        with self._tx() as db:
            code = self._room(db, code)[0]
            self._phone(code, token)
            qid, spec, state, rnd, *_ = self._question(db, code, qid)
            if state != "open":
                raise PollError(409, f"Question '{qid}' is {state}: answers are taken only while it is open.")
            if round != rnd:
                raise PollError(409, f"Round {round} of this question is closed; round {rnd} is open.")
            q = json.loads(spec)
            if q["kind"] == "choice":
                if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < len(q["options"]):
                    raise PollError(400, f"There is no option '{shorten(value)}': choose 0 to "
                                         f"{len(q['options']) - 1}.")
            else:
                value = in_bounds(number(value, "answer"), q["lo"], q["hi"], "answer")
            db.execute("INSERT INTO answers (room, question, round, token, value, at) VALUES (?, ?, ?, ?, ?, ?) "
                       "ON CONFLICT (room, question, round, token) DO UPDATE SET value=excluded.value, at=excluded.at",
                       (code, qid, rnd, token, float(value), now))
            db.execute("UPDATE rooms SET answers_version=answers_version+1 WHERE code=?", (code,))
        return {"ok": True, "room": code, "question": qid, "round": rnd, "value": value}

    # -- reading
    def versions(self, codes: list[str]) -> dict[str, tuple[int, int]]:
        """The (state, answers) version of each live room of ``codes``: what a long poll waits on to change."""
        if not codes:
            return {}
        with self._tx(write=False) as db:
            rows = db.execute(f"SELECT code, version, answers_version FROM rooms WHERE code IN "
                              f"({','.join('?' * len(codes))})", codes).fetchall()
        return {c: (v, a) for c, v, a in rows}

    def state(self, code: str, *, key: str | None = None, question: str | None = None,
              token: str | None = None) -> dict:
        """The room as a phone sees it: its current question (or ``question``), that question's state, round,
        countdown and number of answers this round, the phones joined (``phones``) and ``over``: whether a round
        holds more answers than phones; its results (a tally per round, the model's answer, what counts as right)
        once revealed, or at any time with the lecturer ``key``; with a phone's ``token``, ``mine``: its own answer
        per round (none after a reset)."""
        now = self.clock()
        with self._tx(write=False) as db:
            room = self._presenter(db, code, key) if key is not None else self._room(db, code)
            code, _, created, current, version, answers_version = room
            phones = db.execute("SELECT COUNT(*) FROM phones WHERE room=?", (code,)).fetchone()[0]
            out = {"room": code, "version": version, "answers_version": answers_version,
                   "expires_at": created + B.POLL_ROOM_TTL_S, "now": now, "question": None, "phones": phones}
            qid = question if question is not None else current
            if qid is None:
                return out
            qid, spec, state, rnd, deadline = self._question(db, code, qid)
            q = json.loads(spec)
            n, last = db.execute("SELECT COUNT(*), MAX(at) FROM answers WHERE room=? AND question=? AND round=?",
                                 (code, qid, rnd)).fetchone()
            pq = public_question(q)
            pq.update(state=state, round=rnd, answers=n, last_answer_at=last, over=n > phones,
                      deadline=deadline if state == "open" else None,
                      seconds_left=max(0.0, deadline - now) if state == "open" and deadline else None)
            if key is not None or state == "revealed":
                pq["results"] = {"rounds": [self._tally(db, code, qid, q, r) for r in range(1, rnd + 1)],
                                 "model": q.get("model"), "correct": q.get("correct"),
                                 "tolerance": q.get("tolerance")}
            if token is not None:
                pq["mine"] = {str(r): v for r, v in db.execute(
                    "SELECT round, value FROM answers WHERE room=? AND question=? AND token=?",
                    (code, qid, self._phone(code, token)))}
            out["question"] = pq
            return out

    def _tally(self, db: sqlite3.Connection, code: str, qid: str, q: dict, rnd: int) -> dict:
        values = [v for (v,) in db.execute("SELECT value FROM answers WHERE room=? AND question=? AND round=?",
                                           (code, qid, rnd))]
        last = db.execute("SELECT MAX(at) FROM answers WHERE room=? AND question=? AND round=?",
                          (code, qid, rnd)).fetchone()[0]
        return {"round": rnd, "n": len(values), "last_answer_at": last, **tally(q, values)}

    def purge(self) -> int:
        """Deletes the rooms opened more than a day ago, with their questions and answers -> how many."""
        with self._tx() as db:
            return self._purge(db, self.clock())

    def _purge(self, db: sqlite3.Connection, now: float) -> int:
        old = [c for (c,) in db.execute("SELECT code FROM rooms WHERE created < ?", (now - B.POLL_ROOM_TTL_S,))]
        for table, col in (("answers", "room"), ("questions", "room"), ("phones", "room"), ("runs", "room"),
                           ("lectures", "code"), ("rooms", "code")):
            db.executemany(f"DELETE FROM {table} WHERE {col}=?", [(c,) for c in old])
        return len(old)
