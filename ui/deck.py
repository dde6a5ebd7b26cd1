"""Lecture decks: a lecturer steps through prepared live views with ← and →.

A deck is a small JSON file, ``{"title": ..., "steps": [{"page": url path, "link": query string, "note": ...,
"controls": [widget keys]}]}``; each step is a page opened on its own permalink (the state its page already writes
to the URL) with a "what to notice" note shown large above it. Shipped decks live in ``assets/decks/``. A deck being
presented is in the URL (``deck=NAME&step=K``), so a lecturer's link opens on the same step; a lecturer's own deck
travels whole in that link (``deck=~`` and its compressed JSON). ``present=1`` hides the top bar and every control
but the page's main action and the step's ``controls``.
"""
from __future__ import annotations

import base64
import binascii
import html
import json
import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlparse

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from server import budgets
from server import class_deck, saved_decks
from ui import class_runs_view, panels, slides
from ui import catalog, decks_view
from ui.catalog import PAGES

DECKS = Path(__file__).resolve().parents[1] / "assets" / "decks"
INLINE = "~"  # a deck carried in its link: "~" + url-safe base64 of its zlib-compressed JSON
SAVED = "@"  # a deck kept on the server behind a short link: "@" + its code (server.saved_decks)
PARAMS = ("deck", "step", "present", "shown")  # the deck's own URL parameters; the rest is the page's state
MINE = "_deck_mine"  # session state: the deck a lecturer is making, {"title": str, "steps": [step dicts]}
LEFT = "_deck_left"  # session state: the step ← or → last left, (deck, step left, step opened), all 0-based
WINDOW = "_deck_window"  # session state: the browser window's {"w", "h"} in CSS pixels, the slides' stage
_KEY = re.compile(r"[A-Za-z0-9_-]{1,60}")  # a widget key, safe inside a CSS class selector


# the deck's keys, listened for on the whole document (static/js/panels/deck_keys.js): they press Back and Next
_keys = panels.component("dgm_deck_keys", "deck_keys")


# A slide (present mode with a view): no top bar or sidebar, the note's band at the top of the window
SLIDE_CSS = """<style>
header[data-testid="stHeader"], [data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"] { display: none; }
/* text grows with the projector: 16 px at 1280x720, 24 px at 1920x1080, 48 px at 3840x2160 (ui.slides.stage_of) */
@media (min-width: 640px) { html { font-size: clamp(16px, min(100vh / 45, 100vw / 80), 48px); } }
[data-testid="stMainBlockContainer"] { padding: 0.5rem 1.5rem 0 1.5rem; max-width: none; }
[data-testid="stLayoutWrapper"]:has(> .st-key-deck_bar) { position: static; }
.st-key-deck_note p { font-size: 1.3rem; line-height: 1.35; margin: 0; }
.st-key-deck_nav [data-testid="stCaptionContainer"] { margin: 0; }
.slide-title { line-height: 1.3; overflow: hidden; font-size: 1rem; }
.slide-h1 { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); margin: 0;
  padding: 0; white-space: nowrap; }
[data-testid="stElementContainer"]:has(> [data-testid="stHtml"] .slide-h1) { position: absolute; }
@media (max-width: 640px) { [data-testid="stMainBlockContainer"] { padding: 0.25rem 0.75rem 0 0.75rem; }
  .st-key-deck_note p { font-size: 1.05rem; } }
</style>"""


EXPERIMENTS = {"": "", **class_deck.KINDS}  # a step's own experiment for the class ("" none) -> its page


class DeckError(ValueError):
    """A deck file that cannot be presented; the message is one sentence for the lecturer."""


@dataclass(frozen=True)
class Step:
    page: str  # a page's url path
    link: str  # its URL state, as the page writes it ("critics_theta=1")
    note: str  # what to notice, in Markdown; ``{name}`` is a number of the view's result (``ui.slides``)
    controls: tuple[str, ...] = ()  # the controls the note names, drawn beside the view in present mode
    view: str = ""  # the picture present mode draws (``ui.catalog.VIEWS``); "" = the page's main view
    question: str = ""  # asked before the answer: the view shows its question, the next → reveals it
    # the class answers the question on its phones: {"kind": "choice", "options": [...] or a fact's name, "answer": a
    # fact's name} or {"kind": "number", "lo", "hi", "unit", "answer"}; the model's answer is the view's fact
    poll: dict | None = field(default=None, hash=False)
    # the class runs its own experiment on its phones (the class page), pooled on the projector: "inpaint" (each
    # student hides part of the step's image and runs the exact sampler and pseudo-Gibbs on it); "" = none
    experiment: str = ""


@dataclass(frozen=True)
class Deck:
    title: str
    steps: tuple[Step, ...]


_SYNTAX = re.compile(r'[^"\\\[\]{}]+')  # all but quotes, backslashes and brackets: one linear pass removes it


def _depth(text: str) -> int:
    """How deep the JSON's arrays and objects nest, counted outside its strings in one linear pass."""
    depth = deepest = 0
    in_string = escaped = False
    for c in _SYNTAX.sub("", text):
        if escaped:
            escaped = False
        elif in_string:
            escaped, in_string = c == "\\", c != '"'
        elif c == '"':
            in_string = True
        elif c != "\\":
            depth += 1 if c in "[{" else -1
            deepest = max(deepest, depth)
    return deepest


def parse(text: str | bytes, pages: dict[str, str]) -> Deck:
    """A deck from its JSON text; ``pages`` maps url paths to page files. Raises DeckError, in one sentence, for
    any size, nesting and shape that is not a deck: the bytes and the nesting are checked before the JSON is read
    (the limits of ``dgm_core.budgets``), so no file or link costs more than reading DECK_MAX_BYTES."""
    not_deck = DeckError("This is not a deck: a deck is a JSON file with a title and a list of steps.")
    if len(text) > budgets.DECK_MAX_BYTES:
        raise DeckError(f"This deck is {len(text):,} bytes; a deck file holds at most {budgets.DECK_MAX_BYTES:,}.")
    if isinstance(text, (bytes, bytearray)):
        try:
            text = bytes(text).decode(json.detect_encoding(text))
        except (UnicodeDecodeError, LookupError):
            raise not_deck from None
    if (depth := _depth(text)) > budgets.DECK_MAX_DEPTH:
        raise DeckError(f"This deck nests {depth:,} levels deep; a deck's JSON nests at most "
                        f"{budgets.DECK_MAX_DEPTH}, so it is not read.")
    try:
        raw = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError cannot happen below DECK_MAX_DEPTH: a second guard
        raise not_deck from None
    steps = raw.get("steps") if isinstance(raw, dict) else None
    if not isinstance(steps, list) or not steps or len(steps) > budgets.DECK_MAX_STEPS:
        raise DeckError(f"A deck needs a list of 1 to {budgets.DECK_MAX_STEPS} steps under \"steps\".")
    out = []
    for i, s in enumerate(steps, 1):
        if not isinstance(s, dict) or not all(isinstance(s.get(k, ""), str) for k in ("page", "link", "note")):
            raise DeckError(f"Step {i} is not a page, a link and a note (all text).")
        if s.get("page") not in pages:
            raise DeckError(f"Step {i} names the page {budgets.shorten(s.get('page'))!r}, which this app does "
                            "not have.")
        controls = s.get("controls", [])
        if not isinstance(controls, list) or not all(isinstance(c, str) and _KEY.fullmatch(c) for c in controls):
            raise DeckError(f"Step {i}'s controls are not a list of widget keys (letters, digits, _ and -).")
        view, question = s.get("view", ""), s.get("question", "")
        if not isinstance(view, str) or not isinstance(question, str) or len(question) > budgets.DECK_MAX_QUESTION:
            raise DeckError(f"Step {i}'s view and question are not short texts (a question holds at most "
                            f"{budgets.DECK_MAX_QUESTION} characters).")
        if view and catalog.VIEWS.get(view, slides.View()).page != s["page"]:
            raise DeckError(f"Step {i} names the view {budgets.shorten(view)!r}, which its page "
                            f"{s['page']!r} does not draw.")
        poll = s.get("poll")
        if poll is not None:
            poll = _poll(poll, i, bool(question.strip()))
        experiment = s.get("experiment", "")
        if not isinstance(experiment, str) or experiment not in EXPERIMENTS or \
                experiment and EXPERIMENTS[experiment] != s["page"]:
            raise DeckError(f"Step {i}'s experiment is not one its page runs on phones "
                            f"({', '.join(f'{k!r} on {p}' for k, p in EXPERIMENTS.items() if k)}).")
        out.append(Step(s["page"], s.get("link", "").lstrip("?"), s.get("note", ""), tuple(controls), view,
                        question.strip(), poll, experiment))
    title = raw.get("title")
    return Deck(title.strip()[:120] if isinstance(title, str) and title.strip() else "Lecture", tuple(out))


def _poll(poll: object, i: int, asked: bool) -> dict:
    """A step's poll, checked: its kind, where the model's answer comes from, its options or bounds."""
    bad = DeckError(f"Step {i}'s poll is not a choice with options or a number with bounds, each with the fact of "
                    "its view that answers it.")
    if not asked:
        raise DeckError(f"Step {i} has a poll but no question to ask.")
    if not isinstance(poll, dict) or not isinstance(poll.get("answer"), str) or not _KEY.fullmatch(poll["answer"]):
        raise bad
    if poll.get("kind") == "choice":
        opts = poll.get("options")
        named = isinstance(opts, str) and _KEY.fullmatch(opts)
        listed = isinstance(opts, list) and 2 <= len(opts) <= budgets.POLL_MAX_OPTIONS and all(
            isinstance(o, str) and 0 < len(o) <= budgets.POLL_OPTION_MAX_CHARS for o in opts)
        if not (named or listed):
            raise bad
        return {"kind": "choice", "options": opts, "answer": poll["answer"]}
    lo, hi, unit = poll.get("lo"), poll.get("hi"), poll.get("unit", "")
    if poll.get("kind") != "number" or not all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                                for v in (lo, hi)) or not lo < hi or not isinstance(unit, str) \
            or len(unit) > budgets.POLL_OPTION_MAX_CHARS:
        raise bad
    return {"kind": "number", "lo": float(lo), "hi": float(hi), "unit": unit, "answer": poll["answer"]}


def as_dict(deck: Deck) -> dict:
    return {"title": deck.title, "steps": [{"page": s.page, "link": s.link, "note": s.note,
                                            **({"controls": list(s.controls)} if s.controls else {}),
                                            **({"view": s.view} if s.view else {}),
                                            **({"question": s.question} if s.question else {}),
                                            **({"poll": s.poll} if s.poll else {}),
                                            **({"experiment": s.experiment} if s.experiment else {})}
                                           for s in deck.steps]}


def to_json(deck: Deck) -> str:
    """The deck as the file a lecturer downloads (and ``parse`` reads back)."""
    return json.dumps(as_dict(deck), ensure_ascii=False, indent=1)


def encode(deck: Deck) -> str:
    """The deck as one URL value: ``~`` and its compressed JSON (``decode`` reads it back)."""
    text = json.dumps(as_dict(deck), ensure_ascii=False, separators=(",", ":")).encode()
    return INLINE + base64.urlsafe_b64encode(zlib.compress(text, 9)).rstrip(b"=").decode()


def short(deck: Deck, session: str = "", address: str | None = None) -> str:
    """The deck kept on this server, saved by ``session`` from ``address`` -> the link value that opens it (``SAVED``
    and its code). Raises saved_decks.SavedDeckError (one sentence) past the saves' rates or when the store is full."""
    return SAVED + saved_decks.save(to_json(deck), session=session, address=address)


def decode(value: str, pages: dict[str, str]) -> Deck:
    """The deck carried by a link's ``deck`` value (``encode``'s output). Raises DeckError: the link's length,
    and the length it unpacks to, are checked before anything is read."""
    damaged = DeckError("This deck link is damaged (cut short or changed): copy the whole link again.")
    if len(value) > budgets.DECK_MAX_LINK_CHARS:
        raise DeckError(f"This deck link is {len(value):,} characters long; a link carries at most "
                        f"{budgets.DECK_MAX_LINK_CHARS:,}.")
    body = value[len(INLINE):]
    try:
        packed = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        inflate = zlib.decompressobj()
        text = inflate.decompress(packed, budgets.DECK_MAX_BYTES + 1)  # a small link cannot unpack into gigabytes
        if len(text) > budgets.DECK_MAX_BYTES:
            raise DeckError(f"This deck link unpacks to more than {budgets.DECK_MAX_BYTES:,} bytes, the most a "
                            "deck holds.")
        if not inflate.eof:
            raise damaged
    except (binascii.Error, ValueError, zlib.error) as err:
        raise (err if isinstance(err, DeckError) else damaged) from None
    return parse(text, pages)


def shipped(pages: dict[str, str]) -> dict[str, Deck]:
    """The decks in assets/decks/, by file name."""
    return {p.stem: parse(p.read_text(encoding="utf-8"), pages) for p in sorted(DECKS.glob("*.json"))}


def find(name: str, pages: dict[str, str]) -> Deck:
    """The deck a link's ``deck`` value names: a shipped deck, or one carried in the link. Raises DeckError."""
    if name.startswith(INLINE):
        return decode(name, pages)
    if name.startswith(SAVED):
        try:
            return parse(saved_decks.load(name[len(SAVED):]), pages)
        except saved_decks.SavedDeckError as err:
            raise DeckError(str(err)) from None
    decks = shipped(pages)
    if name not in decks:
        raise DeckError(f"There is no deck called {name[:40]!r}; this app ships {', '.join(map(repr, decks))}.")
    return decks[name]


def page_files() -> dict[str, str]:
    """The app's pages: url path -> page file."""
    return {p.url_path: p.file for p in PAGES}


def _reset_views() -> None:
    """Forget every page's URL-state values, so the next page reads its step's link as a fresh visit would."""
    s = st.session_state
    for key in list(s.get("_keep", ())):
        s.pop(key, None)
    for flag in [key for key in s if key.startswith("_") and key.endswith("url_loaded")]:  # ui.state.url_state's
        del s[flag]


def go(name: str, deck: Deck, k: int, present: bool = False, *, leaving: int | None = None,
       shown: bool = False) -> None:
    """Open step ``k`` (0-based) of ``deck``: its page, on its link, with the deck in the URL; ``leaving``: the step
    ← or → leaves (see ``bar``); ``shown``: its question answered."""
    step = deck.steps[k]
    _reset_views()
    st.session_state[LEFT] = None if leaving is None else (name, leaving, k)
    params = {**dict(parse_qsl(step.link)), "deck": name, "step": str(k + 1)}
    if present:
        params = {**params, "present": "1", **({"shown": "1"} if shown else {})}
    st.switch_page(page_files()[step.page], query_params=params)


def _present_css(step: Step) -> str:
    """Present mode: no top bar, and no control but the page's main action (its primary button), the step's
    ``controls`` and the deck's own buttons; the pictures and their notes stay."""
    widgets = ", ".join(f".st{w}" for w in ("Button", "DownloadButton", "Slider", "Selectbox", "MultiSelect", "Radio",
                                            "Checkbox", "Toggle", "NumberInput", "TextInput", "TextArea",
                                            "FileUploader", "SegmentedControl", "Pills", "SelectSlider", "ColorPicker"))
    hidden = (f'[data-testid="stMain"] .stElementContainer:has(:is({widgets}))'  # one selector: no whitespace
              ':not(:has([data-testid="stBaseButton-primary"])):not(.st-key-deck_bar *)'
              + "".join(f":not(.st-key-{key})" for key in step.controls))
    return f"""<style>
header[data-testid="stHeader"], [data-testid="stSidebar"] {{ display: none; }}
[data-testid="stMainBlockContainer"] {{ padding-top: 1rem; }}
[data-testid="stLayoutWrapper"]:has(> .st-key-deck_bar) {{ top: 0; }}
{hidden} {{ display: none; }}
</style>"""


def _step_of(deck: Deck) -> int:
    text = st.query_params.get("step", "1")
    k = int(text) - 1 if text.isascii() and text.isdigit() and len(text) < 4 else -1
    if not 0 <= k < len(deck.steps):
        st.warning(f"This deck has steps 1 to {len(deck.steps)}; {text[:20]!r} is not one of them, so it opens on "
                   "step 1.")
        k = 0
    return k


def _forward(name: str, deck: Deck, k: int, present: bool, shown: bool) -> None:
    """→: a step's question revealed first, then the next step."""
    if deck.steps[k].question and not shown and present:
        st.query_params["shown"] = "1"
        st.rerun()
    go(name, deck, k + 1, present, leaving=k)


def _backward(name: str, deck: Deck, k: int, present: bool, shown: bool) -> None:
    """←: a revealed question asked again, else the previous step."""
    if deck.steps[k].question and shown and present:
        del st.query_params["shown"]
        st.rerun()
    go(name, deck, k - 1, present, leaving=k)


def _took_window() -> None:
    """The browser's window, as the keys component measured it: the stage every slide is sized to."""
    got = st.session_state.get("deck_keys")
    window = got.get("window") if hasattr(got, "get") else getattr(got, "window", None)
    if isinstance(window, dict) and all(isinstance(window.get(k), (int, float)) for k in ("w", "h")):
        st.session_state[WINDOW] = {"w": int(window["w"]), "h": int(window["h"])}


def _keys_of(name: str, deck: Deck, k: int, present: bool) -> None:
    _keys(key="deck_keys", data={"step": f"{name[:40]}:{k}", "present": present,
                                 "window": st.session_state.get(WINDOW)}, on_window_change=_took_window)


def _present_slide(name: str, deck: Deck, k: int, view: slides.View) -> None:
    """Present mode with a view: the note (pinned, two lines at most) and the step's buttons, then the view on the
    stage that is left with the controls the note names; nothing else of the page."""
    step = deck.steps[k]
    shown = st.query_params.get("shown") == "1" or not step.question  # a step without a question shows its answer
    st.html(SLIDE_CSS)
    # the slide's heading, for screen readers and anything that waits for a page's heading; not drawn
    st.html(f'<h1 class="slide-h1">{html.escape(deck.title)}, step {k + 1} of {len(deck.steps)}</h1>')
    with st.container(key="deck_bar"):
        note, nav = st.columns([7, 2], vertical_alignment="center", gap="small")
        with note.container(key="deck_note"):
            note_slot = st.empty()
        with nav.container(key="deck_nav"):
            buttons = st.container(horizontal=True, gap="small")  # side by side on a phone too
            back, ahead = buttons, buttons
            if back.button(":material/arrow_back:", key="_deck_back", disabled=k == 0 and not (step.question and shown),
                           help="Back (← or PageUp)", width="stretch"):
                _backward(name, deck, k, True, shown)
            asks = bool(step.question) and not shown
            if ahead.button("Answer" if asks else ":material/arrow_forward:", key="_deck_next",
                            type="primary" if asks else "secondary",
                            disabled=k == len(deck.steps) - 1 and not asks, width="stretch",
                            help="Show the answer (→)" if asks else "Next (→, PageDown or space)"):
                _forward(name, deck, k, True, shown)
            line = st.container(horizontal=True, gap="small", vertical_alignment="center")
            if line.button(":material/first_page:", key="_deck_first", type="tertiary",
                           help="The first step (Home)") and k:
                go(name, deck, 0, True, leaving=k)
            line.caption(f"step {k + 1} of {len(deck.steps)}")
            if line.button(":material/last_page:", key="_deck_last", type="tertiary", help="The last step (End)") \
                    and k != len(deck.steps) - 1:
                go(name, deck, len(deck.steps) - 1, True, leaving=k)
            if line.button("Explore", key="_deck_present", type="tertiary",
                           help="This step's page with every control, to try things out"):
                for param in ("present", "shown"):
                    st.query_params.pop(param, None)
                st.rerun()
            if line.button("Leave", key="_deck_leave", type="tertiary"):
                for param in PARAMS:
                    st.query_params.pop(param, None)
                st.rerun()
        _keys_of(name, deck, k, True)
    slide = slides.Slide(step.note, view, dict(parse_qsl(step.link)), _named_controls(step), step.question, shown,
                         step.poll, class_runs_view.step_of(name, k, step.experiment == "inpaint"))
    slides.draw(slide, slides.stage_of(st.session_state.get(WINDOW)), note_slot, f"{name[:40]}:{k}")


def _named_controls(step: Step) -> dict[str, tuple]:
    """The widgets a step's note names, by key, with their page's spec (``catalog.control_of``; a key no page
    declares is left out)."""
    return {key: found for key in step.controls if (found := catalog.control_of(key)) is not None}


def bar() -> None:
    """Above every page while a deck is presented (``deck`` in the URL): the step's note, large, with ← and →."""
    name = st.query_params.get("deck")
    if name is None:
        st.session_state.pop(LEFT, None)
        return
    try:
        deck = find(name, page_files())
    except DeckError as err:
        st.warning(str(err))
        return
    k = _step_of(deck)
    present = st.query_params.get("present") == "1"
    left = st.session_state.get(LEFT)
    ctx = get_script_run_ctx()
    if ctx is not None and ctx.is_history_navigation:  # the browser's own back or forward: where it says
        left = st.session_state[LEFT] = None
    if left is not None and left[:2] == (name, k):
        # A rerun of the step just left, sent by the browser before it heard of the next one (a page's component
        # reporting at that moment, a second press): Streamlit runs it instead of the next step, which would leave
        # the URL on the next step and the page on this one. The deck goes on to the step it was opening.
        go(name, deck, left[2], present, leaving=k)
    pages = page_files()
    if current_page(pages) not in (None, deck.steps[k].page):  # a hand-made link (``/?deck=lecture&step=10``)
        go(name, deck, k, present)
    if present:  # the lecture's room (with the lecturer's pass) takes this step, or a new session goes to its step
        from ui import lecture
        if (room_at := lecture.follow(name, deck, k, st.query_params.get("shown") == "1")) is not None:
            go(name, deck, room_at[0], True, shown=room_at[1])
    if present and (view := catalog.view_of(deck.steps[k])) is not None:
        _present_slide(name, deck, k, view)
        st.stop()  # a slide is the note, the view and its controls: nothing else of the page
    if present:  # a page with no view: the page itself, its other controls hidden
        st.html(_present_css(deck.steps[k]))
    with st.container(border=True, key="deck_bar"):
        back, note, ahead = st.columns([1, 8, 1], vertical_alignment="center")
        if back.button("Back", key="_deck_back", disabled=k == 0, help="The previous step (← or PageUp)"):
            go(name, deck, k - 1, present, leaving=k)
        if ahead.button("Next", key="_deck_next", disabled=k == len(deck.steps) - 1,
                        help="The next step (→, PageDown or space)"):
            go(name, deck, k + 1, present, leaving=k)
        _keys_of(name, deck, k, present)
        with note.container(key="deck_note"):  # shown large (ui/app.css)
            st.markdown(slides.note_for(f"{name[:40]}:{k}", deck.steps[k].note))
        line, mode, leave = note.columns([4, 1.3, 1.3], vertical_alignment="center")
        line.caption(f"{deck.title} · step {k + 1} of {len(deck.steps)}")
        if mode.button("Show controls" if present else "Present", key="_deck_present", type="tertiary",
                       help="Show every control again" if present else
                       "Hide the top bar and every control this step does not use"):
            if present:
                del st.query_params["present"]
            else:
                from ui import lecture
                lecture.start(name, as_dict(deck))  # a lecturer's Present opens (or resumes) the class's room
                st.query_params["present"] = "1"
            st.rerun()
        if leave.button("Leave the deck", key="_deck_leave", type="tertiary"):
            for param in PARAMS:
                st.query_params.pop(param, None)
            st.rerun()


# ---------------------------------------------------------------- a lecturer's own deck


def mine() -> dict:
    """The deck this session is making: ``{"title": str, "steps": [step dicts]}``, in session state."""
    return st.session_state.setdefault(MINE, {"title": "My lecture", "steps": []})


def as_deck(made: dict, pages: dict[str, str]) -> Deck:
    """The deck being made, checked as a deck file is. Raises DeckError (an empty deck too)."""
    return parse(json.dumps(made), pages)


def current_page(pages: dict[str, str]) -> str | None:
    """The url path of the page in the visitor's browser (the app's root is the default page); None unknown."""
    url = st.context.url
    if not url:
        return None
    last = urlparse(url).path.rstrip("/").rsplit("/", 1)[-1]
    return last if last in pages else next(iter(pages))


def view_link() -> str:
    """The page's state as its URL holds it now, without the deck's own parameters."""
    return urlencode([(k, v) for k, v in st.query_params.items() if k not in PARAMS])


def _add_view() -> None:
    pages, made = page_files(), mine()
    page = current_page(pages)
    if page is None:
        st.session_state["_deck_said"] = "This view's page is not known here, so it cannot be added."
    elif len(made["steps"]) >= budgets.DECK_MAX_STEPS:
        st.session_state["_deck_said"] = (f"A deck holds at most {budgets.DECK_MAX_STEPS} steps; remove one on the "
                                          "Decks page first.")
    else:
        note = st.session_state.get("_deck_add_note", "").strip()
        made["steps"].append({"page": page, "link": view_link(), "note": note or f"*{page}*: what do you notice?"})
        st.session_state["_deck_add_note"] = ""
        st.session_state["_deck_said"] = f"Added as step {len(made['steps'])}."


def add_view() -> None:
    """In the sidebar of every page: add the view on screen (its page, its link and a note) to the deck being made."""
    side = st.sidebar
    side.subheader("Your lecture deck")
    side.text_area("What to notice here (the step's note, Markdown)", key="_deck_add_note", max_chars=600,
                   height=100)
    side.button("Add this view as a step", key="_deck_add", on_click=_add_view, icon=":material/add:")
    said = st.session_state.pop("_deck_said", None)
    if said:
        side.info(said)
    n = len(mine()["steps"])
    side.caption(f"{n} step{'s' * (n != 1)} so far, kept in this browser tab until it is reloaded. Reorder, edit, "
                 "present, download or share them on the Decks page.")
    decks_view.PAGE.link(side)


COLUMNS = ("#", "page", "note", "link")  # the Decks page's table of steps


def apply_edits(steps: list[dict], edits: dict, pages: dict[str, str]) -> tuple[list[dict], list[str]]:
    """The steps after a table edit (``st.data_editor``'s ``edited_rows``, ``added_rows``, ``deleted_rows``),
    in the order of their # (ties keep their place), and one sentence per row that could not be taken."""
    rows = [{**s, "#": i} for i, s in enumerate(steps, 1)]
    said = []
    for i, change in edits.get("edited_rows", {}).items():
        if "page" in change and change["page"] not in pages:
            said.append(f"Step {int(i) + 1} needs a page, so it keeps {rows[int(i)]['page']!r}.")
            change = {k: v for k, v in change.items() if k != "page"}
        rows[int(i)].update({k: "" if v is None and k != "#" else v for k, v in change.items() if k in COLUMNS})
    for i in sorted(edits.get("deleted_rows", []), reverse=True):
        del rows[i]
    for new in edits.get("added_rows", []):
        if new.get("page") in pages:
            rows.append({"page": new["page"], "link": new.get("link") or "", "note": new.get("note") or "",
                         "#": new.get("#")})
        else:
            said.append("A new step needs a page: choose one in its page column.")
    for row in rows:
        num = row.get("#")
        row["#"] = float(num) if isinstance(num, (int, float)) and num == num else float("inf")
    rows.sort(key=lambda r: r["#"])
    return [{k: v for k, v in r.items() if k != "#" and (v or k in ("link", "note"))} for r in rows], said
