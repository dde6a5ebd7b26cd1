"""A lecturer's own deck behind a short link: the deck's JSON kept on the server under a code made from its bytes
(the same deck, the same code), in SQLite beside the class poll's file, so replicas on one host share it and a
restart keeps it. The long link that carries the whole deck keeps working without it."""
from __future__ import annotations

import base64
import hashlib
import re
import sqlite3
import time
from pathlib import Path

from . import budgets
from .poll import poll_dir

CODE = re.compile(r"[a-z2-7]{12}")  # base32 of the first 60 bits of the deck's sha256
MAX_DECKS = 20_000  # kept at once on one host; the oldest go first


class SavedDeckError(ValueError):
    """One sentence for the lecturer."""


def _db(folder: Path | None = None) -> sqlite3.Connection:
    folder = folder or poll_dir()
    folder.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(folder / "decks.sqlite", timeout=10, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("CREATE TABLE IF NOT EXISTS decks (code TEXT PRIMARY KEY, text TEXT NOT NULL, at REAL NOT NULL)")
    return db


def code_of(text: str) -> str:
    return base64.b32encode(hashlib.sha256(text.encode()).digest()[:8]).decode().lower()[:12]


def save(text: str, folder: Path | None = None) -> str:
    """Keeps a deck's JSON (already checked as a deck) -> its code."""
    if len(text.encode()) > budgets.DECK_MAX_BYTES:
        raise SavedDeckError(f"This deck is over {budgets.DECK_MAX_BYTES:,} bytes, the most a deck holds.")
    code = code_of(text)
    db = _db(folder)
    try:
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO decks VALUES (?, ?, ?) ON CONFLICT(code) DO UPDATE SET at = excluded.at",
                   (code, text, time.time()))
        db.execute("DELETE FROM decks WHERE code IN (SELECT code FROM decks ORDER BY at DESC LIMIT -1 OFFSET ?)",
                   (MAX_DECKS,))
        db.execute("COMMIT")
    finally:
        db.close()
    return code


def load(code: str, folder: Path | None = None) -> str:
    """The JSON kept under ``code``. Raises SavedDeckError, in one sentence, for a code that is not one or is
    not kept here."""
    if not CODE.fullmatch(code):
        raise SavedDeckError("This short deck link is damaged: a deck's code is 12 letters and digits.")
    db = _db(folder)
    try:
        row = db.execute("SELECT text FROM decks WHERE code = ?", (code,)).fetchone()
    finally:
        db.close()
    if row is None:
        raise SavedDeckError("This server does not keep a deck under that short link (it may have been made on "
                             "another server): ask for the long link or the deck's file.")
    return row[0]
