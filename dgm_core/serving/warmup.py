"""Warm-up at server start: each page's default view is computed in one background thread through the shared
cache, so the first visitor finds it there. A job is a thunk, because building its inputs (data, models) is slow too.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable

from .runner import Job, Serving

log = logging.getLogger(__name__)
OWNER = "warm-up"  # the cache entries' owner: a page's caption says "computed at server start"


def warm(serving: Serving, jobs: Iterable[Callable[[], Job | None]]) -> list[str]:
    """Run each job (None: nothing to warm) through ``serving``, one after another -> the keys warmed. A job that
    fails is logged and skipped: warming is an optimisation, the pages compute on demand."""
    keys = []
    for make in jobs:
        try:
            job = make()
            if job is not None:
                serving.run(job, OWNER)
                keys.append(job.key)
        except Exception:
            log.warning("warm-up job %s failed", getattr(make, "__name__", make), exc_info=True)
    return keys


def start(serving: Serving, jobs: Iterable[Callable[[], Job | None]]) -> threading.Thread:
    """``warm`` in a daemon thread named "dgm-warmup"."""
    t = threading.Thread(target=warm, args=(serving, list(jobs)), name="dgm-warmup", daemon=True)
    t.start()
    return t
