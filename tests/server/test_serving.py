"""server: one computation per key across threads, a queue with a slot per core, cancel, bounded cache,
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
from server import AdmissionQueue, Cancelled, Job, ResultCache, Serving, TimeLimit, key_of, warmup
from server import cache as cache_module

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


def _blocker(release: threading.Event, started: threading.Event | None = None):
    def run(progress):
        if started is not None:
            started.set()  # it holds the slot now
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
from server import jobs, key_of
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


# ---------------------------------------------------------------- the pages' trainings as jobs
def _sim(seed: int = 0):
    from dgm_core.demos import mnar

    x = np.random.default_rng(seed).standard_normal((120, 4)) * [1.0, 2.0, 0.5, 1.0]
    return mnar.simulate(x, "self_masked", {"p": 0.3}, seed=0)


def test_two_sessions_asking_for_the_same_mnar_training_run_it_once():
    from server import jobs

    serving, outs, start = Serving(queue=AdmissionQueue(2)), {}, threading.Barrier(2)

    def ask(who):  # each session builds its own job from its own copy of the inputs
        job = jobs.mnar_fit(_sim(), "tiny", 3, table="breast")
        start.wait()
        outs[who] = (serving.run(job, who), job)

    threads = [threading.Thread(target=ask, args=(w,)) for w in ("a", "b")]
    [t.start() for t in threads]
    [t.join() for t in threads]
    (a, job_a), (b, job_b) = outs["a"], outs["b"]
    assert job_a.key == job_b.key
    assert a.value is b.value  # one training: both sessions hold the one result
    assert sorted(o.joined for o in (a, b)) == [False, True]
    ran = job_a if not a.joined else job_b  # the job that ran reported its live points; the joined one never ran
    assert {p[0] for p in jobs.points(ran)} == {"miwae", "notmiwae", "notmiwae_known"}
    assert jobs.points(job_b if ran is job_a else job_a) == []
    assert {"miwae", "notmiwae", "mean", "kNN"} <= set(a.value) and a.value["notmiwae"].curve


def test_an_mnar_training_is_keyed_by_its_settings_and_an_upload_by_its_bytes():
    from server import jobs

    sim = _sim()
    one = jobs.mnar_fit(sim, "tiny", 0, table=b"a,b\n1,2\n").key
    assert jobs.mnar_fit(_sim(), "tiny", 0, table=b"a,b\n1,2\n").key == one
    for other in (jobs.mnar_fit(sim, "tiny", 0, table=b"a,c\n1,2\n"),  # another file, the same numbers
                  jobs.mnar_fit(sim, "small", 0, table=b"a,b\n1,2\n"),
                  jobs.mnar_fit(sim, "tiny", 1, table=b"a,b\n1,2\n"),
                  jobs.mnar_fit(sim, "tiny", 0, ("notmiwae_linear",), table=b"a,b\n1,2\n"),
                  jobs.mnar_fit(_sim(1), "tiny", 0, table=b"a,b\n1,2\n")):
        assert other.key != one
    assert jobs.mnar_supervised(sim, np.zeros(120), "regression", "tiny", 0, table="breast").key != \
        jobs.mnar_fit(sim, "tiny", 0, table="breast").key


def test_an_mnar_training_over_its_time_limit_stops_with_one_sentence():
    from server import jobs

    serving = Serving(queue=AdmissionQueue(1))
    job = jobs.mnar_fit(_sim(), "small", 0, table="breast", time_limit=0.2)
    t0 = time.perf_counter()
    with pytest.raises(TimeLimit) as stopped:
        serving.run(job, "s")
    said = str(stopped.value)
    assert said.startswith("The training stopped at the time limit of 0.2 s") and said.count(".") == 2  # "0.2", end
    assert time.perf_counter() - t0 < 30  # "small" trains 3000 iterations per model: it stopped at a report
    assert serving.peek(job.key) is None and len(serving.queue) == 0
    assert serving.run(Job(key_of("next"), _counting(0.01)[0], "fast"), "s").value == 42  # the slot was freed


def test_a_queued_mnar_training_waits_for_a_slot():
    from server import jobs

    serving, release = Serving(queue=AdmissionQueue(1)), threading.Event()
    blocker = serving.submit(Job(key_of("block", "mnar"), _blocker(release), "block"), "other")
    job = jobs.mnar_fit(_sim(), "tiny", 5, table="breast")
    flight = serving.submit(job, "me")
    time.sleep(0.3)
    status = serving.status(flight)
    assert (status.state, status.place, jobs.points(job)) == ("queued", 1, [])  # not a single step trained
    release.set()
    assert blocker.done.wait(5)
    out = serving.run(job, "me")
    assert out.computed_now and jobs.points(job) and flight.ticket.started >= blocker.ticket.finished


def test_the_critics_retrain_and_the_small_rerun_are_keyed_jobs():
    from dgm_core.demos import critics
    from server import jobs

    cfg = dataclasses.replace(critics.LIVE, steps=4, eval_n=200)
    serving = Serving(queue=AdmissionQueue(1))
    job = jobs.critics_retrain(1.0, cfg)
    live = serving.run(job, "a").value
    assert live["theta"] == 1.0 and all(len(live["curves"][k]) == 4 for k in live["final"])
    assert len(jobs.points(job)) == 8
    again = serving.run(jobs.critics_retrain(1.0, dataclasses.replace(cfg)), "b")
    assert again.value is live and not again.computed_now
    assert jobs.critics_retrain(1.5, cfg).key != job.key
    assert jobs.critics_retrain(1.0, dataclasses.replace(cfg, steps=5)).key != job.key
    with pytest.raises(TimeLimit, match="choose fewer steps"):
        serving.run(jobs.critics_retrain(0.5, dataclasses.replace(cfg, steps=100_000), time_limit=0.2), "a")
    vae = torch.nn.Linear(1, 1)
    assert jobs.results_small_rerun(vae, vae, names=("vae-mnist", "miwae-mnist")).key == \
        jobs.results_small_rerun(vae, vae, names=("vae-mnist", "miwae-mnist")).key != \
        jobs.results_small_rerun(vae, vae, names=("vae-mnist", "miwae-mnist"), device=torch.device("meta")).key


def _batchable(key: str, item, calls: list, limit: int = 3, name: str = "batched") -> Job:
    """A job whose batch doubles each item; ``calls`` records each run_many's items and each lone run."""
    from server import Batch

    def run_many(items, progress):
        calls.append(list(items))
        progress(0.5, "batch")
        return [2 * i for i in items]

    def run(progress):
        calls.append(item)
        return 2 * item

    return Job(key_of("batched", key, item), run, name, batch=Batch(key_of("batch", key), item, run_many, limit))


def test_jobs_waiting_for_the_same_model_run_as_one_batch_first_come_first():
    serving = Serving(queue=AdmissionQueue(1))
    release, started = threading.Event(), threading.Event()
    blocker = serving.submit(Job(key_of("blocker"), _blocker(release, started), "block"))
    assert started.wait(10)
    calls: list = []
    flights = [serving.submit(_batchable("m", i, calls)) for i in range(5)]  # five Runs queue behind the blocker
    other = serving.submit(_batchable("another model", 9, calls))
    assert [serving.status(f).place for f in flights] == [1, 2, 3, 4, 5]
    release.set()
    for f in (blocker, *flights, other):
        assert f.done.wait(10)
    assert [serving.result(f).value for f in flights] == [0, 2, 4, 6, 8]  # each its own value
    assert serving.result(other).value == 18
    # the first three together (the batch's limit), then the last two together, then the other model's alone
    assert calls == [[0, 1, 2], [3, 4], 9]
    assert [f.batch_size for f in flights] == [3, 3, 3, 2, 2] and other.batch_size == 1
    assert len(serving.queue) == 0 and not serving.queue._running


def test_a_run_cancelled_while_queued_is_not_batched_and_a_batch_failure_reaches_each():
    from server import Batch

    serving = Serving(queue=AdmissionQueue(1))
    release, started = threading.Event(), threading.Event()
    serving.submit(Job(key_of("blocker 2"), _blocker(release, started), "block"))
    assert started.wait(10)
    calls: list = []
    flights = [serving.submit(_batchable("c", i, calls)) for i in range(3)]
    serving.cancel(flights[1])  # queued (its ticket is), so never taken into the batch
    release.set()
    for f in flights:
        assert f.done.wait(10)
    assert calls == [[0, 2]] and isinstance(flights[1].error, Cancelled)

    def broken(items, progress):
        raise ValueError("the model is missing")

    release2, started2 = threading.Event(), threading.Event()
    serving.submit(Job(key_of("blocker 3"), _blocker(release2, started2), "block"))
    assert started2.wait(10)
    jobs = [Job(key_of("broken", i), lambda p: 0, "b", batch=Batch("broken", i, broken, 4)) for i in range(2)]
    failing = [serving.submit(j) for j in jobs]
    release2.set()
    for f in failing:
        assert f.done.wait(10)
        with pytest.raises(ValueError, match="the model is missing"):
            serving.result(f)


def test_one_sessions_own_results_never_push_out_the_class_s_or_another_students():
    """The warm-up's 20 views (pinned) and another student's 5 Runs, then 70 Runs of one student: every pinned entry
    and the other student's stay; the one student keeps its share (the newest of its own)."""
    cache = ResultCache(max_entries=64, max_bytes=10**9)
    for i in range(20):
        cache.put(f"lesson-{i}", torch.zeros(100), 5.2, owner="warm-up", pinned=True)
    for i in range(5):
        cache.put(f"other-{i}", torch.zeros(100), 1.0, owner="other-session:inp_run")
    for i in range(70):
        cache.put(f"mine-{i}", torch.zeros(100), 1.0, owner="one-session:inp_run")
    assert all(f"lesson-{i}" in cache for i in range(20)) and all(f"other-{i}" in cache for i in range(5))
    mine = [i for i in range(70) if f"mine-{i}" in cache]
    assert mine == list(range(70 - len(mine), 70)) and 1 <= len(mine) <= 64 * cache_module.SESSION_SHARE


def test_a_lesson_view_asked_for_is_pinned_and_the_pinned_keep_to_their_share():
    cache = ResultCache(max_entries=8, max_bytes=10**9)
    cache.put("view", "a student's Run of the lesson's view", 1.0, owner="s:inp_run")
    Serving(cache).submit(Job("view", lambda p: None, "view"), "t:slide", pinned=True)  # a lesson asks: a hit
    assert cache.get("view").pinned
    for i in range(10):
        cache.put(f"lesson-{i}", i, 1.0, owner="warm-up", pinned=True)
    assert sum(cache.get(k).pinned for k in [*(f"lesson-{i}" for i in range(10)), "view"] if k in cache) == 4
    for i in range(10):
        cache.put(f"s{i}", i, 1.0, owner=f"s{i}:run")
    assert all(f"lesson-{i}" in cache for i in range(6, 10))
