"""Lecture decks: a lecturer steps through prepared live views with ← and →.

A deck is a small JSON file, ``{"title": ..., "steps": [{"page": url path, "link": query string, "note": ...}]}``;
each step is a page opened on its own permalink (the state its page already writes to the URL) with a
"what to notice" note shown large above it. Shipped decks live in ``assets/decks/``. A deck being presented
is in the URL (``deck=NAME&step=K``), so a lecturer's link opens on the same step.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl

import streamlit as st

DECKS = Path(__file__).resolve().parents[1] / "assets" / "decks"
MAX_STEPS, MAX_BYTES = 100, 100_000


class DeckError(ValueError):
    """A deck file that cannot be presented; the message is one sentence for the lecturer."""


@dataclass(frozen=True)
class Step:
    page: str  # a page's url path
    link: str  # its URL state, as the page writes it ("critics_theta=1")
    note: str  # what to notice, in Markdown


@dataclass(frozen=True)
class Deck:
    title: str
    steps: tuple[Step, ...]


def parse(text: str | bytes, pages: dict[str, str]) -> Deck:
    """A deck from its JSON text; ``pages`` maps url paths to page files. Raises DeckError."""
    if len(text) > MAX_BYTES:
        raise DeckError(f"This deck is {len(text):,} bytes; a deck file holds at most {MAX_BYTES:,}.")
    try:
        raw = json.loads(text)
    except (ValueError, UnicodeDecodeError):
        raise DeckError("This is not a deck: a deck is a JSON file with a title and a list of steps.") from None
    steps = raw.get("steps") if isinstance(raw, dict) else None
    if not isinstance(steps, list) or not steps or len(steps) > MAX_STEPS:
        raise DeckError(f"A deck needs a list of 1 to {MAX_STEPS} steps under \"steps\".")
    out = []
    for i, s in enumerate(steps, 1):
        if not isinstance(s, dict) or not all(isinstance(s.get(k, ""), str) for k in ("page", "link", "note")):
            raise DeckError(f"Step {i} is not a page, a link and a note (all text).")
        if s.get("page") not in pages:
            raise DeckError(f"Step {i} names the page {str(s.get('page'))[:40]!r}, which this app does not have.")
        out.append(Step(s["page"], s.get("link", "").lstrip("?"), s.get("note", "")))
    title = raw.get("title")
    return Deck(title if isinstance(title, str) and title.strip() else "Lecture", tuple(out))


def shipped(pages: dict[str, str]) -> dict[str, Deck]:
    """The decks in assets/decks/, by file name."""
    return {p.stem: parse(p.read_text(encoding="utf-8"), pages) for p in sorted(DECKS.glob("*.json"))}


def _pages() -> dict[str, str]:
    from ui.pages import PAGES  # here: ui.pages draws the bar with this module
    return {p.url_path: p.file for p in PAGES}


def _reset_views() -> None:
    """Forget every page's URL-state values, so the next page reads its step's link as a fresh visit would."""
    s = st.session_state
    for key in list(s.get("_keep", ())):
        s.pop(key, None)
    for flag in [key for key in s if key.startswith("_") and key.endswith("url_loaded")]:  # ui.state.url_state's
        del s[flag]


def go(name: str, deck: Deck, k: int) -> None:
    """Open step ``k`` (0-based) of ``deck``: its page, on its link, with the deck in the URL."""
    step = deck.steps[k]
    _reset_views()
    st.switch_page(_pages()[step.page], query_params={**dict(parse_qsl(step.link)), "deck": name, "step": str(k + 1)})


def bar() -> None:
    """Above every page while a deck is presented (``deck`` in the URL): the step's note, large, with ← and →."""
    name = st.query_params.get("deck")
    if name is None:
        return
    decks = shipped(_pages())
    if name not in decks:
        st.warning(f"There is no deck called {name[:40]!r}; this app ships {', '.join(map(repr, decks))}.")
        return
    deck = decks[name]
    text = st.query_params.get("step", "1")
    k = int(text) - 1 if text.isascii() and text.isdigit() and len(text) < 4 else -1
    if not 0 <= k < len(deck.steps):
        st.warning(f"This deck has steps 1 to {len(deck.steps)}; {text[:20]!r} is not one of them, so it opens on "
                   "step 1.")
        k = 0
    with st.container(border=True):
        back, note, ahead = st.columns([1, 8, 1], vertical_alignment="center")
        if back.button("Back", key="_deck_back", shortcut="Left", disabled=k == 0, help="The previous step"):
            go(name, deck, k - 1)
        if ahead.button("Next", key="_deck_next", shortcut="Right", disabled=k == len(deck.steps) - 1,
                        help="The next step"):
            go(name, deck, k + 1)
        with note.container(key="deck_note"):  # shown large (ui/app.css)
            st.markdown(deck.steps[k].note)
        line, leave = note.columns([5, 1], vertical_alignment="center")
        line.caption(f"{deck.title} · step {k + 1} of {len(deck.steps)}")
        if leave.button("Leave the deck", key="_deck_leave", type="tertiary"):
            for param in ("deck", "step"):
                del st.query_params[param]
            st.rerun()
