"""One admission queue for the heavy calls of every session: as many slots as cores this process may use, first
come first served. Two heavy runs on one core take as long each as both in turn; queued, the first is done in half
the time. A queued job knows its place and an estimate, can be cancelled (it then never runs) and, once running,
checks a time limit and a cancel request wherever its computation reports progress (``Ticket.check``).
"""
from __future__ import annotations

import itertools
import os
import threading
import time
from collections import deque
from contextlib import contextmanager
from collections.abc import Iterator


class Stopped(Exception):
    """A job stopped before its end; the message is one sentence for the page."""


class Cancelled(Stopped):
    pass


class TimeLimit(Stopped):
    pass


def cores() -> int:
    """The cores this process may run on (a container's or taskset's share, not the machine's)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class Ticket:
    """One job's place in the queue; ``check()`` is its cooperative stop."""

    _ids = itertools.count(1)

    def __init__(self, name: str, time_limit: float | None):
        self.id, self.name, self.time_limit = next(self._ids), name, time_limit
        self.enqueued = time.monotonic()
        self.started: float | None = None
        self.finished: float | None = None
        self.cancelled = threading.Event()
        self.absorbed = False  # runs inside another ticket's slot, batched with it (AdmissionQueue.absorb)

    def cancel(self) -> None:
        self.cancelled.set()

    def check(self) -> None:
        """Raises Cancelled or TimeLimit; computations call it where they report progress."""
        if self.cancelled.is_set():
            raise Cancelled("Cancelled.")
        if self.started is not None and self.time_limit is not None \
                and time.monotonic() - self.started > self.time_limit:
            raise TimeLimit(f"Stopped after the time limit of {self.time_limit:.0f} s per run on this server; "
                            "choose fewer chains, steps or samples.")


class AdmissionQueue:
    """FIFO admission to ``slots`` concurrent heavy jobs (default: this process's cores)."""

    RECENT = 20  # finished jobs per name the estimates average over

    def __init__(self, slots: int | None = None):
        self.slots = slots or cores()
        self._waiting: deque[Ticket] = deque()
        self._running: list[Ticket] = []
        self._durations: dict[str, deque[float]] = {}
        self._cond = threading.Condition()

    def enqueue(self, name: str = "", time_limit: float | None = None) -> Ticket:
        ticket = Ticket(name, time_limit)
        with self._cond:
            self._waiting.append(ticket)
        return ticket

    def wait(self, ticket: Ticket) -> None:
        """Blocks until ``ticket`` holds a slot; raises Cancelled (and leaves the queue) if it is cancelled first."""
        with self._cond:
            while True:
                if ticket.cancelled.is_set():
                    self._waiting.remove(ticket)
                    self._cond.notify_all()
                    raise Cancelled("Cancelled while queued.")
                if ticket.absorbed:  # taken into a running batch: it holds no slot of its own
                    return
                if self._waiting[0] is ticket and len(self._running) < self.slots:
                    break
                self._cond.wait(0.1)  # a cancel sets an Event, not the condition: look again soon
            self._waiting.popleft()
            ticket.started = time.monotonic()
            self._running.append(ticket)
            self._cond.notify_all()

    def absorb(self, leader: Ticket, tickets: list[Ticket]) -> list[Ticket]:
        """Those of ``tickets`` still queued (and not cancelled), taken out of the queue to run now in ``leader``'s
        slot, batched with it: their ``wait`` returns at once. Returns them."""
        with self._cond:
            taken = [t for t in tickets if t in self._waiting and not t.cancelled.is_set()]
            for t in taken:
                self._waiting.remove(t)
                t.absorbed, t.started = True, leader.started
            self._cond.notify_all()
        return taken

    def done(self, ticket: Ticket) -> None:
        """Frees the slot of a ticket that ran (an absorbed one held none); records its duration for the estimates."""
        with self._cond:
            ticket.finished = time.monotonic()
            if ticket in self._running:
                self._running.remove(ticket)
            if ticket.started is not None and not ticket.cancelled.is_set():
                self._durations.setdefault(ticket.name, deque(maxlen=self.RECENT)).append(
                    ticket.finished - ticket.started)
            self._cond.notify_all()

    @contextmanager
    def slot(self, name: str = "", time_limit: float | None = None) -> Iterator[Ticket]:
        """``with queue.slot(name) as ticket:`` runs the block in a slot."""
        ticket = self.enqueue(name, time_limit)
        self.wait(ticket)
        try:
            yield ticket
        finally:
            self.done(ticket)

    def place(self, ticket: Ticket) -> int | None:
        """1 for the next job to start; None once it runs or left the queue."""
        with self._cond:
            for i, t in enumerate(self._waiting):
                if t is ticket:
                    return i + 1
        return None

    def typical(self, name: str) -> float | None:
        """Mean seconds of the recent finished runs of ``name`` on this server, or None before the first."""
        with self._cond:
            d = self._durations.get(name)
            return sum(d) / len(d) if d else None

    def estimate(self, ticket: Ticket) -> float | None:
        """Seconds until ``ticket`` finishes, from the recent runs of each job ahead of it and its own; None when a
        job involved has never run here."""
        now = time.monotonic()
        with self._cond:
            if ticket.finished is not None:
                return 0.0
            ahead = list(self._waiting)
            ahead = ahead[: ahead.index(ticket) + 1] if ticket in ahead else []
            running = list(self._running)
        typical = {t.name: self.typical(t.name) for t in (*running, *ahead)}
        if any(v is None for v in typical.values()):
            return None
        free = sorted(max(typical[t.name] - (now - t.started), 0.0) for t in running if t is not ticket)
        free += [0.0] * (self.slots - len(free))
        if ticket in running:
            return max(typical[ticket.name] - (now - ticket.started), 0.0)
        end = 0.0
        for t in ahead:  # each queued job takes the slot that frees first
            free.sort()
            end = free[0] + typical[t.name]
            free[0] = end
        return end

    def __len__(self) -> int:
        return len(self._waiting)
