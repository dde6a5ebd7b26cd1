"""Running a computation on a button, the one pattern every page uses. A click sets a flag in the button's callback
(so a rerun another widget asks for does not swallow it); the next run calls ``compute()`` and keeps the result
with its inputs (``kept(key)``: the page judges from them if it is current). A run stopped by a rerun runs again.
A ``compute`` that returns a server Job runs it through the server's shared cache and queue (ui.serving):
the session then keeps only the job's key, the value stays in the shared cache, and a rerun finds the same run.
"""
from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, replace
from typing import Any

import streamlit as st

from server import Job, Stopped
from ui import serving


@dataclass(frozen=True)
class Kept:
    inputs: Any  # what the result was computed for
    value: Any
    ran: serving.Ran | None = None  # a shared job's: the value lives in the shared cache, under ran.key


def kept(key: str) -> Kept | None:
    """The last result of the button ``key``, or None before its first run (or once the shared cache dropped it)."""
    k = st.session_state.get(key + "_result")
    if k is None or k.ran is None:
        return k
    entry = serving.shared().peek(k.ran.key)
    return None if entry is None else replace(k, value=entry.value)


def shared_result(job: Job, key: str) -> Kept | None:
    """What the button ``key`` would show for ``job`` without being pressed, when the server's shared cache holds its
    result already (a lesson's view computed at server start): kept as a Run keeps it, or None."""
    hit = serving.cached(job, key)
    if hit is None:
        return None
    value, ran = hit
    st.session_state[key + "_result"] = Kept(None, None, ran)
    return Kept(None, value, ran)


def run_button(label: str, *, key: str, inputs: Hashable | Any, compute: Callable[[], Any], rerun: bool = False,
               disabled: bool = False, live: Callable[[Job, Any], None] | None = None, **button: Any) -> Kept | None:
    """Runs ``compute()`` once per click -> the kept result; None from ``compute`` keeps the earlier one; ``rerun``
    reruns the page so parts above the button show the result; ``live`` draws a shared job's live chart
    (ui.serving.run)."""
    s, pending = st.session_state, key + "_pending"
    st.button(label, key=key, disabled=disabled, on_click=lambda: s.update({pending: True}), **button)
    if s.get(pending) and disabled:
        s[pending] = False
    if s.get(pending):
        ran = None
        try:
            value = compute()
            if isinstance(value, Job):
                value, ran = serving.run(value, key=key, label=label, live=live)
        except Stopped as e:  # cancelled, or over the time limit: the earlier result stays
            s[pending], value = False, None
            st.warning(str(e))
        except Exception:
            s[pending] = False
            raise
        s[pending] = False
        if value is not None:
            s[key + "_result"] = Kept(inputs, None, ran) if ran else Kept(inputs, value)
            if rerun:
                st.rerun()
    return kept(key)
