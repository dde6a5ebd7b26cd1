"""Page state that lives in the URL (so a shared link reproduces the view) and survives reruns.

``url_state(spec)`` reads each key from ``st.query_params`` once per session, coerces it to the
type of its default and checks it against the allowed choices or range; a bad value falls back to
the default with a one-sentence warning. Widgets then use ``st.session_state[key]``, and
``sync_url(keys)`` writes their current values back to the URL.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import streamlit as st


@dataclass(frozen=True)
class Param:
    default: Any
    choices: Sequence[Any] | None = None  # allowed values (for lists: allowed items)
    lo: float | None = None
    hi: float | None = None


def _coerce(raw: str, p: Param) -> Any:
    d = p.default
    if isinstance(d, bool):
        return raw.lower() in ("1", "true", "yes")
    if isinstance(d, int):
        return int(raw)
    if isinstance(d, float):
        return float(raw)
    if isinstance(d, (list, tuple)):
        return [v for v in raw.split(",") if v]
    return raw


def _valid(v: Any, p: Param) -> bool:
    if isinstance(p.default, (list, tuple)):
        return p.choices is None or all(i in p.choices for i in v)
    if p.choices is not None and v not in p.choices:
        return False
    if p.lo is not None and v < p.lo:
        return False
    return p.hi is None or v <= p.hi


def url_state(spec: dict[str, Param], prefix: str) -> list[str]:
    """Initialise ``st.session_state[prefix + key]`` from the URL (once per session); return warnings."""
    warnings = []
    flag = f"_{prefix}url_loaded"
    st.session_state.setdefault("_keep", set()).update(prefix + key for key in spec)
    if st.session_state.get(flag):
        return warnings
    st.session_state[flag] = True
    for key, p in spec.items():
        value = p.default
        if key in st.query_params:
            raw = st.query_params[key]
            try:
                v = _coerce(raw, p)
                if _valid(v, p):
                    value = v
                else:
                    warnings.append(f"The link's value {raw!r} for '{key}' is out of range; using {p.default!r}.")
            except ValueError:
                warnings.append(f"The link's value {raw!r} for '{key}' is not a valid value; using {p.default!r}.")
        st.session_state.setdefault(prefix + key, list(value) if isinstance(value, tuple) else value)
    return warnings


def keep_registered() -> None:
    """Re-assign the values of every page's URL-state widgets (called by app.py on every run), so that
    Streamlit keeps them while another page is shown: it drops the state of widgets not rendered in a run."""
    for key in st.session_state.get("_keep", ()):
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def sync_url(keys: Iterable[str], prefix: str) -> None:
    """Write the current values of these session-state keys to the URL."""
    for key in keys:
        v = st.session_state.get(prefix + key)
        if v is None:
            continue
        text = ",".join(map(str, v)) if isinstance(v, (list, tuple)) else str(v)
        if st.query_params.get(key) != text:
            st.query_params[key] = text
