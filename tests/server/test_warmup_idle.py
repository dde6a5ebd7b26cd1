"""The warm-up of defaults nobody has opened yet waits until the server is quiet (issue 27: computed while a class
clicks, they took the one core from every click)."""
from __future__ import annotations

import threading
import time

from server import warmup


def test_a_deferred_warm_up_job_waits_while_the_process_is_busy_and_runs_once_it_is_quiet():
    stop, made = threading.Event(), []

    def burn() -> None:  # a class clicking: this process's threads keep a core busy
        while not stop.is_set():
            sum(i * i for i in range(10_000))

    busy = threading.Thread(target=burn)
    busy.start()
    make = warmup.when_idle(lambda: made.append(time.monotonic()), quiet_s=0.2, max_wait_s=30)
    runner = threading.Thread(target=make)
    runner.start()
    time.sleep(1.5)
    quiet_from = time.monotonic()
    stop.set()
    busy.join()
    runner.join(10)
    assert len(made) == 1 and made[0] >= quiet_from


def test_a_deferred_job_runs_anyway_after_its_longest_wait():
    stop = threading.Event()
    busy = threading.Thread(target=lambda: [sum(range(10_000)) for _ in iter(lambda: stop.is_set(), True)])
    busy.start()
    try:
        t0 = time.monotonic()
        assert warmup.when_idle(lambda: "made", quiet_s=0.1, max_wait_s=0.5)() == "made"
        assert time.monotonic() - t0 < 5
    finally:
        stop.set()
        busy.join()
