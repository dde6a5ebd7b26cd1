"""Page state that lives in the URL (so a shared link reproduces the view) and survives reruns: the one
mechanism every page uses.

Each page names its settings in a spec, ``{key: Param(default, choices | lo/hi)}``, and a prefix of its
own (``inp_``, ``mnar_``, ...). The prefixed key is both the widget's session-state key and the URL's
query parameter, so two pages never share a parameter. ``url_state(spec, prefix)`` reads each key from
``st.query_params`` once per session, coerces it to the type of its default and checks it against the
choices or range; a bad value falls back to the default with a one-sentence warning (Streamlit's own
``bind="query-params"`` drops it silently). ``sync_url(keys, prefix)`` writes the current values back
and removes this page's parameters that are no longer in use (say, the settings of a mechanism that
is no longer chosen).
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
        if raw.lower() not in ("1", "true", "yes", "0", "false", "no"):
            raise ValueError(raw)
        return raw.lower() in ("1", "true", "yes")
    if isinstance(d, int):
        return int(raw)
    if isinstance(d, float):
        v = float(raw)
        if v != v or v in (float("inf"), float("-inf")):
            raise ValueError(raw)
        return v
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
        value, name = p.default, prefix + key
        if name in st.query_params:
            raw = st.query_params[name]
            try:
                v = _coerce(raw, p)
                if _valid(v, p):
                    value = v
                else:
                    warnings.append(f"The link's value {raw!r} for '{name}' is out of range; using {p.default!r}.")
            except ValueError:
                warnings.append(f"The link's value {raw!r} for '{name}' is not a valid value; using {p.default!r}.")
        st.session_state.setdefault(name, list(value) if isinstance(value, tuple) else value)
    return warnings


def keep_registered() -> None:
    """Re-assign the values of every page's URL-state widgets (called by every page's setup), so that
    Streamlit keeps them while another page is shown: it drops the state of widgets not rendered in a run."""
    for key in st.session_state.get("_keep", ()):
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def sync_url(keys: Iterable[str], prefix: str) -> None:
    """Write the current values of these keys to the URL; drop this page's other URL parameters."""
    keys = list(keys)
    for key in keys:
        v = st.session_state.get(prefix + key)
        if v is None:
            continue
        text = ",".join(map(str, v)) if isinstance(v, (list, tuple)) else str(v)
        if st.query_params.get(prefix + key) != text:
            st.query_params[prefix + key] = text
    wanted = {prefix + key for key in keys}
    for name in [n for n in st.query_params if n.startswith(prefix) and n not in wanted]:
        del st.query_params[name]
