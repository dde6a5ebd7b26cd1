"""Warm-up at server start: each page's default view is computed in one background thread through the shared
cache, so the first visitor finds it there. A job is a thunk, because building its inputs (data, models) is slow too.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterable

from dgm_core.data import DatasetNotFoundError
from dgm_core.pretrained import PretrainedError
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
                serving.run(job, OWNER, pinned=True)  # the class's: no session's own results push it out
                keys.append(job.key)
        except (DatasetNotFoundError, PretrainedError) as e:  # a file the server owns is missing or damaged
            log.warning("warm-up job %s skipped: %s", getattr(make, "__name__", make), " ".join(str(e).split()))
        except Exception:
            log.warning("warm-up job %s failed", getattr(make, "__name__", make), exc_info=True)
    return keys


def _others_running() -> bool | None:
    """Whether another thread of this process is running or waiting for a core now (Linux: /proc); None elsewhere."""
    me = str(threading.get_native_id())
    try:
        tasks = [t for t in os.listdir("/proc/self/task") if t != me]
    except OSError:
        return None
    for t in tasks:
        try:
            with open(f"/proc/self/task/{t}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "R":
                    return True
        except (OSError, IndexError):
            continue
    return False


def busy_share(seconds: float, every: float = 0.2) -> float:
    """The share of ``seconds`` in which another thread of this process ran or waited for a core (a page run, a job).
    Where /proc is missing: the process's CPU time over the wall time."""
    cpu, t0, seen, busy = time.process_time(), time.monotonic(), 0, 0
    while time.monotonic() - t0 < seconds:
        time.sleep(every)
        running = _others_running()
        if running is None:
            return (time.process_time() - cpu) / max(time.monotonic() - t0, 1e-9)
        seen, busy = seen + 1, busy + running
    return busy / max(seen, 1)


def when_idle(make: Callable[[], Job | None], *, busy: float = 0.2, quiet_s: float = 2.0,
              max_wait_s: float = 600.0) -> Callable[[], Job | None]:
    """``make`` deferred until this process is quiet: over ``quiet_s`` its other threads ran (or waited for a core)
    less than ``busy`` of the time (a class's clicks come first; a default nobody has opened yet can wait). After
    ``max_wait_s`` it runs anyway; a session that asks for the same result meanwhile computes it, and the warm-up then
    finds it cached."""
    def deferred() -> Job | None:
        deadline = time.monotonic() + max_wait_s
        while time.monotonic() < deadline and busy_share(quiet_s) >= busy:
            pass
        return make()
    deferred.__name__ = getattr(make, "__name__", "job")
    return deferred


def start(serving: Serving, jobs: Iterable[Callable[[], Job | None]]) -> threading.Thread:
    """``warm`` in a daemon thread named "dgm-warmup"."""
    t = threading.Thread(target=warm, args=(serving, list(jobs)), name="dgm-warmup", daemon=True)
    t.start()
    return t
