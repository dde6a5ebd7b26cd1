"""The Streamlit side of server: one ``Serving`` per server process (a result cache shared by every
session, one admission queue), a heavy job run from a page with its place in the queue, an estimate, a Cancel
button and a progress bar, and the caption saying what this run cost on this server. The warm-up of each page's
default view at server start is ``ui.warmup``; the pages' jobs are built in ``ui.jobs``.
"""
from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import streamlit as st

from server import Job, Outcome, ResultCache, Serving, Status, warmup

TIME_LIMIT_S = 600.0  # per run; a longer one (thousands of steps on 64 chains) stops with a sentence
CACHE_ENTRIES, CACHE_BYTES = 64, 256 * 2**20
POLL_S = 0.5  # how often a waiting page redraws; a rerun (a click elsewhere, Cancel) is noticed at a redraw

_lock = threading.Lock()
_serving: Serving | None = None


def shared() -> Serving:
    """The server process's one Serving (module state: every session's script imports this module once)."""
    global _serving
    with _lock:
        if _serving is None:
            _serving = Serving(ResultCache(CACHE_ENTRIES, CACHE_BYTES))
        return _serving


@dataclass(frozen=True)
class Ran:
    """How a shared result was obtained; session state keeps this, the value stays in the shared cache."""

    key: str  # the job's key in the cache
    seconds: float  # computing it took on this server
    computed_at: float  # time.time()
    queued: float  # seconds it waited for a slot (0 when it came from the cache)
    # "here", "joined" (another session's run of the same inputs), "cached", "mine" (cached, this session's), "warm"
    how: str


def time_limit() -> float:
    """Seconds per heavy run on this server: ``DGM_TIME_LIMIT_S`` where a host sets it, else TIME_LIMIT_S."""
    return float(os.environ.get("DGM_TIME_LIMIT_S", TIME_LIMIT_S))


def _session() -> str:
    """This session's id, kept in its state (Streamlit's own session id is one fixed string under AppTest)."""
    return st.session_state.setdefault("_serving_session", uuid.uuid4().hex)


def _ran(out: Outcome, key: str, queued: float, subscriber: str) -> Ran:
    e = out.entry
    if out.computed_now:
        how = "joined" if out.joined else "here"
    elif e.owner == warmup.OWNER:
        how = "warm"
    else:
        how = "mine" if (e.owner or "").split(":")[0] == subscriber.split(":")[0] else "cached"
    return Ran(key, e.seconds, e.computed_at, queued, how)


def _ago(t: float) -> str:
    s = max(time.time() - t, 0)
    return f"{s:.0f} s" if s < 90 else f"{s / 60:.0f} min"


def caption(ran: Ran) -> str:
    """What this result cost on this server, in words: never a quiet machine's benchmark."""
    took = f"{ran.seconds:.1f} s"
    wait = f", after {ran.queued:.0f} s in the queue" if ran.queued >= 1 else ""
    return {"here": f"Computed in {took} on this server{wait}.",
            "joined": f"Shared: computed in {took} on this server for you and another session at once{wait}.",
            "cached": f"Shared: computed {_ago(ran.computed_at)} ago for another session (in {took}); shown at once.",
            "mine": f"Computed {_ago(ran.computed_at)} ago (in {took}); kept on this server, shown at once.",
            "warm": f"Shared: computed at server start, {_ago(ran.computed_at)} ago (in {took}); shown at once.",
            }[ran.how]


def cached(job: Job, key: str, lesson: bool = False) -> tuple[Any, Ran] | None:
    """The result of ``job`` when the shared cache holds it already (the warm-up computed it at server start, or
    another session asked for the same inputs), for the widget ``key`` of this session; None when it does not.
    ``lesson``: it is a lesson's view, the class's from now on (pinned in the cache)."""
    entry = shared().peek(job.key)
    if entry is None:
        return None
    if lesson and not entry.pinned:
        shared().cache.pin(job.key)
    return entry.value, _ran(Outcome(entry.value, entry, False, False), job.key, 0.0, f"{_session()}:{key}")


def _status_text(st_: Status, name: str) -> str:
    est = f", about {st_.estimate:.0f} s to go" if st_.estimate is not None else ""
    if st_.state == "queued":
        return (f"Queued: place {st_.place} for one of {shared().queue.slots} slot(s) on this server{est}. "
                "Heavy runs take turns here instead of slowing each other down." if st_.place else "Starting…")
    return f"{st_.text or name} {st_.elapsed:.0f} s{est}"


def _cancel(job_key: str, subscriber: str, pending: str | None) -> None:
    serving = shared()
    if (flight := serving.flight(job_key)) is not None:
        serving.cancel(flight, subscriber)
    if pending:
        st.session_state[pending] = False


def run(job: Job, *, key: str, cancellable: bool = True, label: str = "",
        live: Callable[[Job, Any], None] | None = None, lesson: bool = False) -> tuple[Any, Ran]:
    """Run ``job`` through the shared cache and queue for the widget ``key`` of this session: shows the place in the
    queue, an estimate, a Cancel button (``cancellable``) and progress while it waits -> (value, how it ran). A rerun
    while waiting finds the same run again; asking for other inputs drops this session's wait for the old ones.
    ``live(running job, placeholder)`` draws what the running job reported so far (a live chart) at each redraw.
    ``lesson``: a lesson's view, the class's (pinned in the shared cache: no session's own results push it out).
    Raises Stopped (cancelled, over the time limit) and the job's own errors."""
    serving, s = shared(), st.session_state
    subscriber = f"{_session()}:{key}"
    waiting = key + "_waiting"
    if (old := s.get(waiting)) and old != job.key and (flight := serving.flight(old)) is not None:
        serving.cancel(flight, subscriber)
    s[waiting] = job.key
    flight = serving.submit(job, subscriber, pinned=lesson)
    if not flight.done.is_set():
        note, bar, button, chart = st.empty(), st.empty(), st.empty(), st.empty()
        if cancellable:
            button.button("Cancel", key=key + "_cancel", on_click=_cancel,
                          args=(job.key, subscriber, key + "_pending"))
        while not flight.done.wait(POLL_S):
            status = serving.status(flight)
            if status.state == "queued":
                note.info(_status_text(status, label or job.name), icon=":material/hourglass_top:")
            else:
                note.empty()
                bar.progress(min(status.fraction, 1.0), text=_status_text(status, label or job.name))
                if live is not None:
                    live(flight.job, chart)  # the job that runs: another session's, when this one joined it
        note.empty(), bar.empty(), button.empty(), chart.empty()
    s.pop(waiting, None)
    out = serving.result(flight, subscriber)
    t = flight.ticket
    queued = (t.started - t.enqueued) if t is not None and t.started is not None else 0.0
    return out.value, _ran(out, job.key, queued, subscriber)
