"""Single flight over the cache and the queue: a job asked for while it is queued or running is not started again,
every session asking for its key waits for the one computation (and sees its progress); a cached key returns at
once. Jobs run in worker threads, not in a session's own thread: a session that reruns or leaves while waiting
does not stop a computation other sessions wait for, and finds it again by its key.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .admission import AdmissionQueue, Cancelled, Ticket
from .cache import Entry, ResultCache

Progress = Callable[[float, str], None]  # (fraction done, what runs)


@dataclass(frozen=True)
class Batch:
    """How a job runs together with others of the same ``key`` that wait in the queue when it starts (dynamic
    batching): ``run_many([item, ...], progress)`` -> a value per item, in order, each what that job's own ``run``
    returns; at most ``limit`` jobs a batch."""

    key: str
    item: Any
    run_many: Callable[[list, Progress], list]
    limit: int


@dataclass(frozen=True)
class Job:
    """A pure computation and the key of its inputs. ``run(progress)`` never touches a page; progress raises
    Stopped when the job is cancelled or over its time limit. With ``batch``, it may run with others (``Batch``)."""

    key: str
    run: Callable[[Progress], Any]
    name: str  # the kind of job: the queue's estimates average over runs of one name
    time_limit: float | None = None  # seconds of running, checked where the job reports progress
    batch: Batch | None = None


@dataclass(frozen=True)
class Status:
    state: str  # "queued", "running", "done", "failed"
    place: int | None = None  # in the queue, 1 = next
    estimate: float | None = None  # seconds until done
    fraction: float = 0.0
    text: str = ""
    elapsed: float = 0.0  # seconds since it started running


@dataclass(frozen=True)
class Outcome:
    value: Any
    entry: Entry
    computed_now: bool  # False: the result was already in the cache (entry.owner asked for it first)
    joined: bool  # this caller waited for a computation another caller had started


class Flight:
    """A job on its way: queued, then running in a worker thread; ``done`` is set once it ends."""

    def __init__(self, job: Job, ticket: Ticket | None, subscriber: str | None, pinned: bool = False):
        self.job, self.ticket, self.pinned = job, ticket, pinned  # pinned: its entry is the class's (ResultCache)
        self.subscribers: set[str] = {subscriber} if subscriber else set()
        self.owner = subscriber  # who asked first
        self.fraction, self.text = 0.0, ""
        self.entry: Entry | None = None
        self.error: BaseException | None = None
        self.done = threading.Event()
        self.batched = threading.Event()  # set by the batch's leader once this flight's entry or error is in
        self.batch_size = 1  # the jobs it ran with, itself included

    def report(self, fraction: float, text: str = "") -> None:
        """The job's progress callback: records, then stops the job if it is cancelled or over time."""
        self.fraction, self.text = float(fraction), text
        if self.ticket is not None:
            self.ticket.check()


class Serving:
    """A result cache and an admission queue, used together (one per server process)."""

    def __init__(self, cache: ResultCache | None = None, queue: AdmissionQueue | None = None):
        self.cache = ResultCache() if cache is None else cache  # both have a length: "or" would drop an empty one
        self.queue = AdmissionQueue() if queue is None else queue
        self._flights: dict[str, Flight] = {}
        self._lock = threading.Lock()

    def peek(self, key: str) -> Entry | None:
        return self.cache.get(key)

    def flight(self, key: str) -> Flight | None:
        """The job of ``key`` that is queued or running, if any."""
        with self._lock:
            return self._flights.get(key)

    def submit(self, job: Job, subscriber: str | None = None, pinned: bool = False) -> Flight:
        """The job's flight: a finished one from the cache, the running one for its key, or a new one queued now.
        ``subscriber`` (a session and button) names who waits: asking again with it is not a second request.
        ``pinned``: its result is the class's (the warm-up's, a lesson's view), kept whatever sessions store."""
        with self._lock:
            entry = self.cache.get(job.key)
            if entry is not None and pinned and not entry.pinned:
                self.cache.pin(job.key)
                entry = self.cache.get(job.key)
            if entry is not None:
                flight = Flight(job, None, subscriber)
                flight.entry, flight.fraction, flight.owner = entry, 1.0, entry.owner
                flight.done.set()
                return flight
            flight = self._flights.get(job.key)
            if flight is not None and not flight.ticket.cancelled.is_set():  # a cancelled one ends without a value
                if subscriber:
                    flight.subscribers.add(subscriber)
                flight.pinned |= pinned
                return flight
            flight = Flight(job, self.queue.enqueue(job.name, job.time_limit), subscriber, pinned)
            self._flights[job.key] = flight
        threading.Thread(target=self._work, args=(flight,), name=f"serving-{job.name}", daemon=True).start()
        return flight

    def _peers(self, flight: Flight) -> list[Flight]:
        """The queued flights that run batched with ``flight``, now starting: same batch key, first come first, up to
        the batch's limit; taken out of the queue."""
        batch = flight.job.batch
        if batch is None or batch.limit < 2:
            return []
        with self._lock:
            same = sorted((f for f in self._flights.values() if f is not flight and f.job.batch is not None
                           and f.job.batch.key == batch.key and f.ticket.started is None),
                          key=lambda f: f.ticket.id)[: batch.limit - 1]
        taken = set(self.queue.absorb(flight.ticket, [f.ticket for f in same]))
        return [f for f in same if f.ticket in taken]

    def _run_batch(self, flight: Flight, peers: list[Flight]) -> None:
        """``flight``'s job with its ``peers``' in one ``run_many``; each gets its own entry (or the error)."""
        everyone = [flight, *peers]
        for f in everyone:
            f.batch_size = len(everyone)

        def report(fraction: float, text: str = "") -> None:
            for f in everyone:
                f.fraction, f.text = float(fraction), text
            if all(f.ticket.cancelled.is_set() for f in everyone):
                raise Cancelled("Cancelled.")
            if flight.ticket.started is not None and flight.job.time_limit is not None \
                    and time.monotonic() - flight.ticket.started > flight.job.time_limit:
                flight.ticket.check()  # the leader's time limit stops the batch (TimeLimit)

        t0 = time.perf_counter()
        try:
            values = flight.job.batch.run_many([f.job.batch.item for f in everyone], report)
            seconds = time.perf_counter() - t0
            for f, value in zip(everyone, values):
                if f.ticket.cancelled.is_set():
                    f.error = Cancelled("Cancelled.")
                else:
                    f.entry = self.cache.put(f.job.key, value, seconds, f.owner, f.pinned)
        except BaseException as e:  # noqa: BLE001 - every job of the batch gets the failure
            for f in everyone:
                f.error = e
        finally:
            for f in peers:
                f.batched.set()

    def _work(self, flight: Flight) -> None:
        admitted = False
        try:
            self.queue.wait(flight.ticket)
            admitted = True
            if flight.ticket.absorbed:  # another flight's batch runs this one: wait for it
                flight.batched.wait()
                return
            peers = self._peers(flight)
            if peers:
                self._run_batch(flight, peers)
                if flight.error is not None:
                    raise flight.error
                return
            t0 = time.perf_counter()
            value = flight.job.run(flight.report)
            flight.ticket.check()  # a cancel after the last report still counts
            entry = self.cache.put(flight.job.key, value, time.perf_counter() - t0, flight.owner, flight.pinned)
            flight.entry = entry
        except BaseException as e:  # handed to every waiter; a job's failure must not kill the worker silently
            flight.error = e
        finally:
            if admitted:
                self.queue.done(flight.ticket)
            with self._lock:
                if self._flights.get(flight.job.key) is flight:
                    del self._flights[flight.job.key]
            flight.done.set()

    def cancel(self, flight: Flight, subscriber: str | None = None) -> None:
        """``subscriber`` no longer waits; the job stops (queued: never runs) once nobody does."""
        with self._lock:
            flight.subscribers.discard(subscriber) if subscriber else flight.subscribers.clear()
            if not flight.subscribers and flight.ticket is not None:
                flight.ticket.cancel()

    def status(self, flight: Flight) -> Status:
        if flight.done.is_set():
            return Status("failed" if flight.error else "done", fraction=1.0 if flight.entry else flight.fraction)
        t = flight.ticket
        place = self.queue.place(t)
        if place is not None or t.started is None:
            return Status("queued", place=place, estimate=self.queue.estimate(t))
        elapsed = time.monotonic() - t.started
        est = self.queue.estimate(t)
        if flight.fraction > 0.05:  # the job's own progress beats the typical run's length
            est = elapsed * (1 - flight.fraction) / flight.fraction
        return Status("running", estimate=est, fraction=flight.fraction, text=flight.text, elapsed=elapsed)

    def result(self, flight: Flight, subscriber: str | None = None) -> Outcome:
        """The finished flight's outcome for ``subscriber``; raises the job's exception (Stopped when cancelled or
        over time)."""
        if flight.error is not None:
            raise flight.error
        computed_now = flight.ticket is not None
        return Outcome(flight.entry.value, flight.entry, computed_now, computed_now and flight.owner != subscriber)

    def run(self, job: Job, subscriber: str | None = None, on_status: Callable[[Status], None] | None = None,
            poll: float = 0.25, pinned: bool = False) -> Outcome:
        """Submit and wait; ``on_status`` is called every ``poll`` seconds while waiting. A flight cancelled by the
        other callers while this one waits is submitted again, so this caller still gets its result."""
        while True:
            flight = self.submit(job, subscriber, pinned)
            while not flight.done.wait(poll if on_status else None):
                on_status(self.status(flight))
            if isinstance(flight.error, Cancelled) and subscriber is not None and subscriber in flight.subscribers:
                continue  # cancelled by the others who waited, not by this caller
            return self.result(flight, subscriber)
