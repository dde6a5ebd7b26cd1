"""A job's progress as the share of its time, so that the server's "about N s to go" (``server.runner``: elapsed ×
(1 − f) / f) is the whole job's time left: every model's remaining training steps at the rate measured so far, and
each imputation still to come at the last one's time. Before the rate is known the share stays at most ``EARLY``
(the runner then falls back on the typical length of such a run); fixed shares of the steps instead would claim most
of the job done once the quick baselines have run ("about 2 s to go" before a 74 s training).
static/js/tabular/eta.js is its twin in the visitor's browser.
"""
from __future__ import annotations

import time
from collections.abc import Callable

EARLY = 0.05  # the share before the training's rate is known: at most the runner's own-progress threshold


class Pace:
    """``steps`` training steps for each of ``models`` models, reported to ``say(fraction, text)``."""

    def __init__(self, say: Callable[[float, str], None], steps: int, models: int) -> None:
        self.say, self.steps, self.models = say, steps, models
        self.t0 = time.perf_counter()
        self.first: tuple[int, float] | None = None  # (steps done, seconds) at the first training report
        self.impute_s: float | None = None  # one model's imputation
        self.imputations, self.spent = 0, 0.0  # models imputed; their seconds since ``first`` (not in the rate)

    def early(self, share: float, text: str) -> None:
        """Work before the training (``share`` of it done)."""
        self.say(EARLY * min(max(share, 0.0), 1.0), text)

    def left(self, done: int, now: float) -> float | None:
        """Seconds left of the whole job with ``done`` steps of all the models' done at ``now`` (seconds since the
        start), or None before the rate is known."""
        if self.first is None:
            self.first = (done, now)
        if done <= self.first[0]:
            return None
        rate = (now - self.first[1] - self.spent) / (done - self.first[0])
        return (self.steps * self.models - done) * rate + (self.models - self.imputations) * (self.impute_s or 0.0)

    def step(self, done: int, text: str) -> None:
        """``done`` training steps of all the models (the earlier models' every step) are done."""
        now = time.perf_counter() - self.t0
        left = self.left(done, now)
        self.say(EARLY if left is None else max(now / (now + left), EARLY), text)

    def imputed(self, seconds: float) -> None:
        self.impute_s = seconds
        self.imputations += 1
        if self.first is not None:
            self.spent += seconds
