"""dgm_core.serving: one computation per key across threads, a queue with a slot per core, cancel, bounded cache,
stable keys, time limits, warm-up, and same seed same output across processes."""
import dataclasses
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from dgm_core.demos.inpainting import Settings, default_settings
from dgm_core.serving import AdmissionQueue, Cancelled, Job, ResultCache, Serving, TimeLimit, key_of, warmup

ROOT = Path(__file__).resolve().parents[2]


def _counting(seconds: float = 0.3, value=42):
    calls = []

    def run(progress):
        calls.append(threading.current_thread().name)
        for i in range(10):
            time.sleep(seconds / 10)
            progress(i / 10, "working")
        return value

    return run, calls


def _blocker(release: threading.Event):
    def run(progress):
        while not release.wait(0.02):
            progress(0.5, "blocking")
        return "blocked"
    return run


def test_two_sessions_asking_for_one_key_run_it_once():
    serving = Serving(queue=AdmissionQueue(2))
    run, calls = _counting()
    job = Job(key_of("job", 1), run, "count")
    outs, start = {}, threading.Barrier(2)

    def ask(who):
        start.wait()
        outs[who] = serving.run(job, who)

    threads = [threading.Thread(target=ask, args=(w,)) for w in ("a", "b")]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert len(calls) == 1
    assert outs["a"].value == outs["b"].value == 42
    assert sorted(o.joined for o in outs.values()) == [False, True]  # one started it, the other waited for it
    again = serving.run(job, "c")
    assert (again.value, again.computed_now, len(calls)) == (42, False, 1)


def test_a_third_heavy_job_waits_for_a_slot_and_reports_place_1():
    serving, release = Serving(queue=AdmissionQueue(2)), threading.Event()
    running = [serving.submit(Job(key_of("block", i), _blocker(release), "block"), f"s{i}") for i in range(2)]
    deadline = time.monotonic() + 5
    while any(serving.status(f).state != "running" for f in running) and time.monotonic() < deadline:
        time.sleep(0.01)
    run, calls = _counting(0.05)
    third = serving.submit(Job(key_of("third"), run, "count"), "s3")
    time.sleep(0.2)
    status = serving.status(third)
    assert (status.state, status.place, calls) == ("queued", 1, [])
    release.set()
    assert serving.run(third.job, "s3").value == 42 and len(calls) == 1


def test_cancel_while_queued_never_runs():
    serving, release = Serving(queue=AdmissionQueue(1)), threading.Event()
    blocker = serving.submit(Job(key_of("block"), _blocker(release), "block"), "s0")
    run, calls = _counting(0.05)
    queued = serving.submit(Job(key_of("queued"), run, "count"), "s1")
    time.sleep(0.1)
    assert serving.status(queued).place == 1
    serving.cancel(queued, "s1")
    release.set()
    assert blocker.done.wait(5) and queued.done.wait(5)
    time.sleep(0.1)
    assert calls == []
    with pytest.raises(Cancelled):
        serving.result(queued, "s1")
    assert serving.peek(queued.job.key) is None


def test_one_session_cancelling_does_not_stop_another_waiting_for_the_same_job():
    serving, release = Serving(queue=AdmissionQueue(1)), threading.Event()
    serving.submit(Job(key_of("block"), _blocker(release), "block"), "s0")
    run, calls = _counting(0.05)
    job = Job(key_of("shared"), run, "count")
    flight = serving.submit(job, "a")
    serving.submit(job, "b")
    serving.cancel(flight, "a")
    release.set()
    assert serving.run(job, "b").value == 42 and len(calls) == 1


def test_a_running_job_stops_at_its_time_limit():
    serving = Serving(queue=AdmissionQueue(1))
    run, calls = _counting(2.0)
    with pytest.raises(TimeLimit):
        serving.run(Job(key_of("slow"), run, "slow", time_limit=0.2), "s")
    assert len(calls) == 1
    assert serving.run(Job(key_of("next"), _counting(0.01)[0], "fast"), "s").value == 42  # the slot was freed


def test_the_cache_evicts_least_recently_used_by_size():
    x = torch.zeros(1000)  # 4000 bytes
    cache = ResultCache(max_entries=100, max_bytes=3 * 4000 + 1000)
    for k in "abc":
        cache.put(k, x.clone(), 1.0)
    cache.get("a")  # used: "b" is now the oldest
    cache.put("d", x.clone(), 1.0)
    assert [k in cache for k in "abcd"] == [True, False, True, True]
    assert cache.nbytes_held() <= cache.max_bytes
    cache.put("big", torch.zeros(10_000), 1.0)  # larger than the whole budget: returned, not kept
    assert "big" not in cache and len(cache) == 3


def test_the_cache_evicts_by_entries():
    cache = ResultCache(max_entries=2, max_bytes=10**9)
    for k in "abc":
        cache.put(k, k, 1.0)
    assert [k in cache for k in "abc"] == [False, True, True]


def _inputs(**change):
    base = dict(methods=["mwg", "miwae"], image=torch.rand(1, 28, 28, generator=torch.Generator().manual_seed(0)),
                mask=torch.ones(28, 28, dtype=torch.bool), dataset="mnist", settings=Settings(), seed=0,
                params={"w": 50.0, "b": 0.75}, table=np.arange(6.0).reshape(2, 3))
    base["mask"][14:] = False
    return {**base, **change}


def test_the_key_is_equal_for_equal_inputs_built_separately():
    a = _inputs()
    b = _inputs(image=a["image"].clone(), mask=a["mask"].clone(), settings=Settings(**dataclasses.asdict(Settings())),
                params={"b": 0.75, "w": 50.0}, table=a["table"].copy(), seed=np.int64(0))
    assert key_of(*a.values()) == key_of(*b.values())
    assert key_of(default_settings("celeba")) == key_of(Settings(chains=4, steps=120, burn_in=30))


@pytest.mark.parametrize("change", [
    {"methods": ["miwae", "mwg"]}, {"methods": ["mwg"]}, {"dataset": "omniglot"}, {"seed": 1}, {"seed": 0.0},
    {"settings": Settings(chains=5)}, {"settings": Settings(kernel="encoder")}, {"params": {"w": 50.0, "b": 0.7}},
    {"table": np.arange(6.0).reshape(3, 2)}, {"table": np.arange(6).reshape(2, 3)},
    {"image": "one pixel"}, {"image": "as float64"}, {"image": "reshaped"}, {"image": "same bytes as int32"},
    {"table": "same bytes as int64"}, {"mask": "one pixel"},
], ids=str)
def test_the_key_differs_when_any_input_differs(change):
    a = _inputs()
    if str(change.get("image")) == "one pixel":
        change = {"image": a["image"].clone()}
        change["image"][0, 3, 3] += 0.5
    elif str(change.get("image")) == "as float64":
        change = {"image": a["image"].double()}
    elif str(change.get("image")) == "reshaped":
        change = {"image": a["image"].reshape(1, 14, 56)}
    elif str(change.get("image")) == "same bytes as int32":
        change = {"image": a["image"].view(torch.int32)}
    elif str(change.get("table")) == "same bytes as int64":
        change = {"table": a["table"].view(np.int64)}
    elif str(change.get("mask")) == "one pixel":
        change = {"mask": a["mask"].clone()}
        change["mask"][0, 0] = False
    assert key_of(*a.values()) != key_of(*_inputs(**change).values())


def test_the_key_refuses_what_it_cannot_key():
    with pytest.raises(TypeError):
        key_of(object())


def test_warm_up_fills_the_cache_the_first_visitor_reads():
    serving = Serving(queue=AdmissionQueue(1))
    run, calls = _counting(0.05)
    job = Job(key_of("default view"), run, "page")
    warmup.start(serving, [lambda: job, lambda: None]).join(10)
    first = serving.run(job, "first visitor")
    assert (first.computed_now, first.entry.owner, len(calls)) == (False, warmup.OWNER, 1)


DEFAULT_RUN = """
import json, sys, torch
from dgm_core import data, masks, pretrained
from dgm_core.demos.inpainting import BINARY, DEFAULT_METHODS, available_methods, default_settings
from dgm_core.serving import jobs, key_of
ds = "mnist"
if data.available(ds):
    image = data.load_images(ds, "test", binarize=True).x[0]
else:  # a stroke on a blank image: the models and the run are what is tested
    image = torch.zeros(1, 28, 28); image[:, 6:22, 12:16] = 1.0
mask = masks.preset("bottom", (28, 28), missing=0.5, size=14, n=1, seed=0)
methods = [m for m in DEFAULT_METHODS if m in available_methods(ds, {c.name for c in pretrained.list_cards()})]
job = jobs.inpainting(methods, image, mask, dataset=ds, settings=default_settings(ds),
                      load_model=lambda name: pretrained.load(name)[0])
out = job.run(lambda f, t: None)
rows = [(r.mean, r.samples, r.std, {k: v for k, v in m.items() if k != "time (s)"}) for r, m, _ in out.rows]
traces = [(t.log_joint, t.accepted, t.score, t.snapshot_mean) for t in out.traces.values()]
print(json.dumps({"job": job.key, "result": key_of(rows, traces), "methods": methods}))
"""


def test_the_inpainting_default_run_is_bit_identical_in_fresh_processes():
    outs = [json.loads(subprocess.run([sys.executable, "-c", DEFAULT_RUN], cwd=ROOT, capture_output=True, text=True,
                                      check=True, timeout=600).stdout.strip().splitlines()[-1]) for _ in range(2)]
    assert outs[0]["methods"], "no method of the default run is shipped"
    assert outs[0]["job"] == outs[1]["job"]  # the key is stable across processes
    assert outs[0]["result"] == outs[1]["result"]
