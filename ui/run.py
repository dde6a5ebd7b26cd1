"""Running a computation on a button, the one pattern every page uses. A click sets a flag in the button's callback
(so a rerun another widget asks for does not swallow it); the next run calls ``compute()`` and keeps the result
with its inputs (``kept(key)``: the page judges from them if it is current). A run stopped by a rerun runs again.
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
    """Runs ``compute()`` once per click -> the kept result; None from ``compute`` keeps the earlier one; ``rerun``
    reruns the page so parts above the button show the result."""
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
