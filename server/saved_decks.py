"""A lecturer's own deck behind a short link: the deck's JSON kept on the server under a code made from its bytes
(the same deck, the same code), in SQLite beside the class poll's file, so replicas on one host share it and a
restart keeps it. The long link that carries the whole deck keeps working without it.

A deck is saved when its lecturer asks (the Decks page's Save button), at most budgets.DECK_SAVE_SESSION_RATE saves
from one session and budgets.DECK_SAVE_ADDRESS_RATE from one address. Past ``MAX_DECKS`` the decks least recently
*opened* (a short link followed; never-opened ones first, the oldest saved first) make room, and a deck opened in the
last ``KEEP_OPENED_S`` is never pushed out by saves: when only such decks are left, a new save is refused in one
sentence instead. So a tab that saves in a loop pushes out its own unopened decks, never a lecturer's link in use.
"""
from __future__ import annotations

import base64
import hashlib
import re
import sqlite3
import time
from pathlib import Path

from . import budgets
from .poll import RateLimit, poll_dir

CODE = re.compile(r"[a-z2-7]{12}")  # base32 of the first 60 bits of the deck's sha256
MAX_DECKS = 20_000  # kept at once on one host; the least recently opened go first
KEEP_OPENED_S = 30 * 24 * 3600  # a deck opened this recently is never pushed out by saves
TOUCH_EVERY_S = 3600  # a deck's "opened" is written at most this often (a presented deck is read on every step)
SESSIONS, ADDRESSES = RateLimit(*budgets.DECK_SAVE_SESSION_RATE), RateLimit(*budgets.DECK_SAVE_ADDRESS_RATE)


class SavedDeckError(ValueError):
    """One sentence for the lecturer."""


def _db(folder: Path | None = None) -> sqlite3.Connection:
    folder = folder or poll_dir()
    folder.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(folder / "decks.sqlite", timeout=10, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("CREATE TABLE IF NOT EXISTS decks (code TEXT PRIMARY KEY, text TEXT NOT NULL, at REAL NOT NULL, "
               "opened REAL)")  # at: saved; opened: its short link last followed (NULL: never)
    if "opened" not in {row[1] for row in db.execute("PRAGMA table_info(decks)")}:  # a file from before
        db.execute("ALTER TABLE decks ADD COLUMN opened REAL")
    return db


def code_of(text: str) -> str:
    return base64.b32encode(hashlib.sha256(text.encode()).digest()[:8]).decode().lower()[:12]


def save(text: str, folder: Path | None = None, *, session: str = "", address: str | None = None,
         now: float | None = None) -> str:
    """Keeps a deck's JSON (already checked as a deck), saved by ``session`` from ``address`` -> its code. Raises
    SavedDeckError (one sentence) past a session's or an address's rate, or when every deck kept here was opened in
    the last ``KEEP_OPENED_S``."""
    if len(text.encode()) > budgets.DECK_MAX_BYTES:
        raise SavedDeckError(f"This deck is over {budgets.DECK_MAX_BYTES:,} bytes, the most a deck holds.")
    if not SESSIONS.take(session) or (address is not None and not ADDRESSES.take(address)):
        raise SavedDeckError("This server has saved many decks from here in a short time: wait a minute and save "
                             "again, or share the long link or the file.")
    code, now = code_of(text), time.time() if now is None else now
    db = _db(folder)
    try:
        db.execute("BEGIN IMMEDIATE")
        kept = db.execute("SELECT 1 FROM decks WHERE code = ?", (code,)).fetchone() is not None
        if not kept and db.execute("SELECT COUNT(*) FROM decks").fetchone()[0] >= MAX_DECKS:
            victim = db.execute("SELECT code FROM decks WHERE opened IS NULL OR opened < ? "
                                "ORDER BY opened IS NOT NULL, opened, at LIMIT 1", (now - KEEP_OPENED_S,)).fetchone()
            if victim is None:
                raise SavedDeckError("This server keeps as many decks as it can, all in use: share the long link or "
                                     "the file.")
            db.execute("DELETE FROM decks WHERE code = ?", victim)
        db.execute("INSERT INTO decks VALUES (?, ?, ?, NULL) ON CONFLICT(code) DO UPDATE SET at = excluded.at",
                   (code, text, now))
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
    finally:
        db.close()
    return code


def load(code: str, folder: Path | None = None, now: float | None = None) -> str:
    """The JSON kept under ``code``, which is now opened (written at most every ``TOUCH_EVERY_S``). Raises
    SavedDeckError, in one sentence, for a code that is not one or is not kept here."""
    if not CODE.fullmatch(code):
        raise SavedDeckError("This short deck link is damaged: a deck's code is 12 letters and digits.")
    now = time.time() if now is None else now
    db = _db(folder)
    try:
        row = db.execute("SELECT text, opened FROM decks WHERE code = ?", (code,)).fetchone()
        if row is not None and (row[1] is None or row[1] < now - TOUCH_EVERY_S):
            db.execute("UPDATE decks SET opened = ? WHERE code = ?", (now, code))
    finally:
        db.close()
    if row is None:
        raise SavedDeckError("This server does not keep a deck under that short link (it may have been made on "
                             "another server): ask for the long link or the deck's file.")
    return row[0]
