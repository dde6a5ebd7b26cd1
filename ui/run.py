"""Running a computation on a button: the one pattern every page uses.

``run_button`` draws the button; a click sets a flag (in the button's callback, so a rerun that some
other widget asks for in between, a canvas reporting its state, say, does not swallow it), the next
run calls ``compute()`` (which draws its own progress) and keeps the result in session state with the
inputs it was computed for. The page shows ``kept(key)`` and decides from ``inputs`` whether it is
still current. A run stopped by a newer rerun keeps the flag and runs again.
"""
from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

import streamlit as st


@dataclass(frozen=True)
class Kept:
    inputs: Any  # what the result was computed for
    value: Any


def kept(key: str) -> Kept | None:
    """The last result of the button ``key``, or None before its first run."""
    return st.session_state.get(key + "_result")


def run_button(label: str, *, key: str, inputs: Hashable | Any, compute: Callable[[], Any], rerun: bool = False,
               disabled: bool = False, **button: Any) -> Kept | None:
    """A button that runs ``compute()`` once per click; returns the kept result (this click's or an
    earlier one). A ``compute`` that returns None (it said why on the page) keeps the earlier result;
    ``rerun`` reruns the whole page afterwards, so that parts drawn above the button show the result."""
    s, pending = st.session_state, key + "_pending"
    st.button(label, key=key, disabled=disabled, on_click=lambda: s.update({pending: True}), **button)
    if s.get(pending) and disabled:
        s[pending] = False
    if s.get(pending):
        try:
            value = compute()
        except Exception:
            s[pending] = False
            raise
        s[pending] = False
        if value is not None:
            s[key + "_result"] = Kept(inputs, value)
            if rerun:
                st.rerun()
    return kept(key)
