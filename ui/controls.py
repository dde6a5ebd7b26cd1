"""A page's widget drawn from its control's one declaration (``dgm_core.controls.Control``): its kind, label, bounds,
choices, names and help come from the spec, so the widget, the link reader and the core's checks agree."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import streamlit as st

from dgm_core.controls import Control, name, resolve
from ui.state import BOUND, UNBINDABLE


def values(spec: Mapping[str, Control], prefix: str) -> dict[str, Any]:
    """The spec's current values in this session (url key -> value; None where a key has none yet)."""
    return {key: st.session_state.get(prefix + key) for key in spec}


def widget(spec: Mapping[str, Control], prefix: str, key: str, where: Any = st, *, start: Any = None,
           as_key: str | None = None, **extra: Any) -> Any:
    """Draws the control ``key`` of ``spec`` as its kind says, under the session-state key ``prefix + key``, in
    ``where`` (a column, a container; default the page) -> its value. ``extra``: a widget's own options that say
    nothing about the value (``on_change``, ``horizontal``, ``width``, ``label_visibility``, or a ``format_func``
    that says more than the control's names where the page knows more). ``start``: a value to open on, under
    the widget key ``as_key`` (a widget of its own, not the page's session-state key).

    ``on_change="ignore"``: a setting read only when the page's button is pressed. Changing it costs the server no
    rerun: the browser keeps the new value, Python reads it on the next run, and the widget is bound to its URL
    parameter (``bind="query-params"``), so the link shows the new value at once (a choice by its name, which
    ``ui.state.read_link`` reads), with the spec's default as the widget's (the URL leaves out a value equal to it,
    and a link without it opens on it). A multiselect is not bound (Streamlit writes one parameter per item): its
    link follows on the next run."""
    c = spec[key]
    got = values(spec, prefix)
    k = {"key": as_key or prefix + key, "help": c.help, **{a: v for a, v in extra.items() if a != "format_func"}}
    fmt = {"format_func": extra.get("format_func", lambda v: name(c, v))}
    lo, hi, choices = resolve(c.lo, got), resolve(c.hi, got), resolve(c.choices, got)
    if extra.get("on_change") == "ignore" and as_key is None and c.kind != "multiselect" \
            and prefix + key not in st.session_state.get(UNBINDABLE, ()):
        k["bind"] = "query-params"
        st.session_state.setdefault(BOUND, set()).add(prefix + key)
        start = resolve(c.default, got) if start is None else start
    if start is not None:  # the value as each kind of widget takes it
        k.update({"index": list(choices).index(start)} if c.kind in ("select", "radio") else
                 {"default": start} if c.kind == "multiselect" else {"value": start})
    if c.kind in ("number", "slider") and prefix + key in st.session_state and lo is not None and hi is not None:
        v = st.session_state[prefix + key]  # a value another data set or a link left may not fit this one's bounds
        if isinstance(v, (int, float)) and not lo <= v <= hi:
            st.session_state[prefix + key] = type(v)(min(max(v, lo), hi))
    if c.kind == "number":
        return where.number_input(c.label, lo, hi, step=c.step, **k)
    if c.kind == "slider":
        return where.slider(c.label, lo, hi, step=c.step, **k)
    if c.kind == "select":
        return where.selectbox(c.label, choices, **fmt, **k)
    if c.kind == "select_slider":
        return where.select_slider(c.label, options=choices, **fmt, **k)
    if c.kind == "multiselect":
        return where.multiselect(c.label, choices, max_selections=c.max_items, **fmt, **k)
    if c.kind == "radio":
        return where.radio(c.label, choices, **fmt, **k)
    raise ValueError(f"The control {key!r} is drawn by its page ({c.kind}), not as a widget.")
