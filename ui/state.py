"""Page state in the URL (a shared link reproduces the view) that survives reruns: the one mechanism every page uses.

Each page has a spec ``{key: Control(default, label, kind, choices | lo/hi)}`` (``dgm_core.controls``; the specs
by prefix in ``ui.catalog.SPECS``) and a prefix (``inp_``, ...);
the prefixed key is both the widget's session-state key and the query parameter. ``read_link`` (pure) checks a
link's values against the spec and returns those to use, with one warning per bad key in the page's words;
``url_state`` applies it once per session; ``sync_url`` writes the current values back.
"""
from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

import streamlit as st

from dgm_core import budgets
from dgm_core.controls import Control, name as _name, resolve as _resolve

MAX_RAW = budgets.ECHO_CHARS  # characters of a bad value repeated in a warning
MAX_WARNING = budgets.MESSAGE_MAX_CHARS  # a warning is one sentence of at most this many characters
MAX_TEXT = 2000  # longer link values are refused before they are parsed
_INT = re.compile(r"[+-]?[0-9]{1,15}", re.ASCII)
_FLOAT = re.compile(r"[+-]?([0-9]{1,15}(\.[0-9]{0,15})?|\.[0-9]{1,15})([eE][+-]?[0-9]{1,3})?", re.ASCII)

_NOTHING = object()  # a value no spec allows
BOUND = "_url_bound"  # the session-state keys whose widgets keep their URL parameter themselves (ui.controls.widget)
UNBINDABLE = "_url_unbindable"  # keys this session's link gave a value the page did not take as it was


def _few(words: list[str], room: int) -> str:
    """'a, b, c' within ``room`` characters: the middle dropped for '…' when the list is long."""
    text = ", ".join(words)
    if len(text) <= room:
        return text
    for keep in range(len(words) - 2, 0, -1):
        text = ", ".join(words[:keep]) + f", … {words[-1]} ({len(words)} in all)"
        if len(text) <= room:
            return text
    text = f"{words[0]}, … ({len(words)} in all)"
    return text if len(text) <= room else f"the {len(words)} on the page"


def _item_type(p: Control) -> type:
    if p.item is not None:
        return p.item
    d = p.default
    return type(d[0]) if isinstance(d, (list, tuple)) and d else str


def _scalar(raw: str, kind: type) -> Any:
    """``raw`` as a ``kind``; ValueError when it is not one (no exponent overflow, no 10,000-digit ints)."""
    raw = raw.strip()
    if kind is bool:
        if raw.lower() not in ("1", "true", "yes", "on", "0", "false", "no", "off"):
            raise ValueError(raw)
        return raw.lower() in ("1", "true", "yes", "on")
    if kind is int:
        if not _INT.fullmatch(raw):
            raise ValueError(raw)
        return int(raw)
    if kind is float:
        if not _FLOAT.fullmatch(raw):
            raise ValueError(raw)
        v = float(raw)
        if not math.isfinite(v):
            raise ValueError(raw)
        return round(v, 12) + 0.0  # 1e-308 is 0, as a widget would show it (and -0.0 is 0.0)
    return raw


def _kind_words(kind: type) -> str:
    return {bool: "yes or no", int: "a whole number", float: "a number"}.get(kind, "a value")


def _range(p: Control, got: dict) -> str | None:
    lo, hi = _resolve(p.lo, got), _resolve(p.hi, got)
    fmt = lambda b: f"{b:g}" if isinstance(b, float) else str(b)  # noqa: E731
    if lo is not None and hi is not None:
        return f"between {fmt(lo)} and {fmt(hi)}" if lo <= hi else "possible here"
    if lo is not None or hi is not None:
        return f"at least {fmt(lo)}" if lo is not None else f"at most {fmt(hi)}"
    return None


def _check(v: Any, p: Control, got: dict) -> str | None:
    """None when ``v`` (one value, or one item of a list) is allowed; else what is allowed, in words."""
    choices = _resolve(p.choices, got)
    if choices is not None:
        return None if v in choices else ("one of ", [_name(p, c) for c in choices])
    lo, hi = _resolve(p.lo, got), _resolve(p.hi, got)
    if (lo is not None and v < lo) or (hi is not None and v > hi):
        return (_range(p, got), [])
    return None


def _nearest(v: Any, p: Control, got: dict) -> Any:
    """A number out of its range: the nearest bound (a hole of 30 pixels on a 28-pixel image: the largest)."""
    lo, hi = _resolve(p.lo, got), _resolve(p.hi, got)
    if _resolve(p.choices, got) is None and isinstance(v, (int, float)) and not isinstance(v, bool):
        if lo is not None and hi is not None and lo <= hi:
            return type(v)(min(max(v, lo), hi))
    return None


def _shown(raw: str) -> str:
    """The value as the link gave it, at most MAX_RAW characters, in a code span (never read as Markdown)."""
    raw = " ".join("".join(c if c.isprintable() else " " for c in raw[:MAX_RAW * 4]).split()).replace("`", "'")
    return "`" + (raw if len(raw) <= MAX_RAW else raw[:MAX_RAW - 1] + "…") + "`"


def _warning(p: Control, raw: str, problem: str | tuple[str, list[str]], used: str) -> str:
    """One sentence of at most MAX_WARNING characters; a problem ``(lead, words)`` lists the allowed
    values, shortened to what fits."""
    used = used if len(used) <= 60 else used[:59] + "…"
    lead, words = (problem, []) if isinstance(problem, str) else problem
    head, tail = f"The link's {p.label} {_shown(raw)} is not {lead}", f"; the page uses {used}."
    return (head + (_few(words, MAX_WARNING - len(head) - len(tail)) if words else "") + tail)[:MAX_WARNING]


def _used(p: Control, v: Any) -> str:
    if isinstance(v, (list, tuple)):
        return ", ".join(_name(p, i) for i in v) if v else "none"
    return _name(p, v)


def _read_list(raw: str, p: Control, got: dict) -> tuple[list, str | None]:
    """The list's usable items, and what was wrong with it (in words) or None."""
    kind, items, problem = _item_type(p), [], None
    choices = _resolve(p.choices, got)
    allowed = (("a list drawn from ", [_name(p, c) for c in choices]) if choices is not None else
               f"a list of {_kind_words(kind)[2:]}s" + (f" {r}" if (r := _range(p, got)) else ""))
    parts = [t for t in raw.split(",") if t.strip()]
    for part in parts:
        try:
            v = _scalar(part, kind)
            bad = _check(v, p, got) is not None
        except ValueError:
            bad = True
        if bad:
            problem = problem or allowed
            if p.fill is not None:
                items.append(p.fill)
        elif p.unique and v in items:
            problem = problem or "a list without repeats"
        else:
            items.append(v)
    if p.max_items is not None and len(items) > p.max_items:
        problem = problem or f"a list of at most {p.max_items}"
        items = items[:p.max_items]
    if problem is not None and parts and not items:  # nothing usable: the default
        items = [v for v in p.default if _check(v, p, got) is None]
    return items, problem


def read_link(spec: dict[str, Control], raw: Mapping[str, str]) -> tuple[dict[str, Any], list[str]]:
    """Values for every key of ``spec`` from the link's ``raw`` strings (unprefixed keys), one warning per bad
    value; never raises."""
    got: dict[str, Any] = {}
    warnings = []
    for key, p in spec.items():
        p = replace(p, default=_resolve(p.default, got), choices=_resolve(p.choices, got), lo=_resolve(p.lo, got),
                    hi=_resolve(p.hi, got))
        value = list(p.default) if isinstance(p.default, (list, tuple)) else p.default
        text = raw.get(key)
        if text is None:
            got[key] = value
            continue
        text, kind = str(text), type(p.default)
        if len(text) > MAX_TEXT:
            warnings.append(_warning(p, text, f"this long (at most {MAX_TEXT} characters)", _used(p, value)))
        elif isinstance(p.default, (list, tuple)):
            items, problem = _read_list(text, p, got)
            if problem is not None:
                warnings.append(_warning(p, text, problem, _used(p, items)))
            value = items
        else:
            if p.choices is not None and text not in map(url_text, p.choices):
                # a choice's name, as a widget bound to its parameter writes it (ui.controls.widget)
                text = next((url_text(c) for c in p.choices if _name(p, c) == text), text)
            try:
                v = _scalar(text, kind if kind in (bool, int, float) else str)
                allowed = _check(v, p, got)
            except ValueError:
                v, allowed = None, (_check(_NOTHING, p, got) if p.choices is not None else
                                    _kind_words(kind) + (f" {r}" if (r := _range(p, got)) else ""))
            if allowed is None:
                value = v
            else:
                near = _nearest(v, p, got) if v is not None else None
                value = near if near is not None else value
                warnings.append(_warning(p, text, allowed, _used(p, value)))
        got[key] = value
    return got, warnings


def url_state(spec: dict[str, Control], prefix: str) -> list[str]:
    """Initialise ``st.session_state[prefix + key]`` from the URL (once per session); show each bad value's
    warning where the page is drawing, and return them."""
    st.session_state.setdefault("_keep", set()).update(prefix + key for key in spec)
    flag = f"_{prefix}url_loaded"
    if st.session_state.get(flag):
        return []
    st.session_state[flag] = True
    raw = {key: st.query_params[prefix + key] for key in spec if prefix + key in st.query_params}
    values, warnings = read_link(spec, raw)
    for key, v in values.items():
        st.session_state.setdefault(prefix + key, v)
    # a widget bound to its parameter would read the link again (Streamlit's own reading: `inf` for a whole number
    # raises): a key whose link text is not what the spec made of it is never bound in this session
    st.session_state.setdefault(UNBINDABLE, set()).update(prefix + key for key, text in raw.items() if str(text)
                                                          not in (url_text(values[key]), _name(spec[key], values[key])))
    for w in warnings:
        st.warning(w)
    return warnings


def keep_registered() -> None:
    """Re-assign every page's URL-state widget values: Streamlit drops the state of widgets not rendered in a run."""
    for key in st.session_state.get("_keep", ()):
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def url_text(v: Any) -> str:
    """A value as a link writes it (``sync_url``; ``read_link`` reads it back)."""
    if isinstance(v, (list, tuple)):
        return ",".join(map(url_text, v))
    return f"{v:g}" if isinstance(v, float) else str(v)


def sync_url(keys: Iterable[str], prefix: str) -> None:
    """Write the current values of these keys to the URL; drop this page's other URL parameters. A key whose widget
    is bound to its parameter (``ui.controls.widget``, ``on_change="ignore"``) is left to Streamlit, which keeps it."""
    keys = list(keys)
    bound = st.session_state.get(BOUND, ())
    for key in keys:
        v = st.session_state.get(prefix + key)
        if v is None or prefix + key in bound:
            continue
        text = url_text(v)
        if st.query_params.get(prefix + key) != text:
            st.query_params[prefix + key] = text
    wanted = {prefix + key for key in keys}
    for name in [n for n in st.query_params if n.startswith(prefix) and n not in wanted and n not in bound]:
        del st.query_params[name]
