"""A 2-D GAN race played on the server (``dgm_core.demos.gan.Race``): trained step by step in a thread of its own,
taking its turn in the server's admission queue as every heavy run does. The race is the maths; playing it beside
other visitors' work is the server's.
"""
from __future__ import annotations

import threading
import time

from dgm_core.demos.gan import MAX_STEPS, Race, Snapshot

from .admission import AdmissionQueue, Cancelled, Ticket

QUEUE_NAME = "GAN training"  # a Play's name in the admission queue (its estimates average over these)


class Player:
    """Plays a race: trains it step by step up to a given step in a thread of its own, each step's picture kept
    until ``take`` collects it, so the training runs at the CPU's pace while the page sends what is ready. With a
    ``queue`` (the server's admission queue) a Play first waits for a slot, as every heavy run does. The race's state
    changes only under ``lock``: read it there."""

    def __init__(self, race: Race, queue: AdmissionQueue | None = None) -> None:
        self.race, self.lock, self.queue = race, threading.Lock(), queue
        self._shots: list[Snapshot] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._ticket: Ticket | None = None

    @property
    def playing(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def play(self, until: int) -> None:
        """Train up to step ``until`` (at most MAX_STEPS) in the background; a play in progress stops first."""
        self.pause()
        self._stop.clear()
        self._ticket = self.queue.enqueue(QUEUE_NAME) if self.queue is not None else None
        self._thread = threading.Thread(target=self._run, args=(min(until, MAX_STEPS),), daemon=True,
                                        name="gan-play")
        self._thread.start()

    def _run(self, until: int) -> None:
        ticket = self._ticket
        if ticket is not None:
            try:
                self.queue.wait(ticket)  # the server's heavy runs take turns: a Play waits for a free slot
            except Cancelled:  # paused while it waited
                return
        try:
            while not self._stop.is_set():
                with self.lock:
                    if self.race.steps >= until:
                        return
                    self.race.advance(1, self._shots)
                time.sleep(0.001)  # a lock is not fair: without a pause between steps a reader may wait for all
        finally:
            if ticket is not None:
                self.queue.done(ticket)

    @property
    def place(self) -> int | None:
        """This Play's place in the admission queue while it waits for a slot (1: next), else None."""
        t = self._ticket
        return self.queue.place(t) if t is not None and self.playing else None

    def step(self) -> None:
        """One step of each, now (not while playing)."""
        with self.lock:
            self.race.advance(1, self._shots)

    def pause(self) -> None:
        """Stop after the step in progress."""
        self._stop.set()
        if self._ticket is not None and self._ticket.started is None:
            self._ticket.cancel()  # still queued: leave the queue
        if self._thread is not None:
            self._thread.join()
        self._thread = None

    def take(self) -> list[Snapshot]:
        """The pictures of the steps trained since the last call."""
        with self.lock:
            out, self._shots = self._shots, []
        return out
