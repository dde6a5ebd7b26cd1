"""Own-table mode's browser training, the server's half (server.own_table_job): the job starts the browser from
the server's own initial weights, an answer is checked before any of it is kept, the replay on the browser's draws is
the parity test's reference (the parity test itself: tests/js/tabular, under Node, ``make test-js``)."""
import base64
import time

import numpy as np
import pytest
import torch

from dgm_core import own_table, pace
from server import own_table_job as browser
from server.schema import Refused
from dgm_core.xoshiro import SplitMix
from benchmarks.fixtures import COLUMNS, holed_weather

TINY = own_table.Settings(preset="tiny", draws=4, seed=2)


@pytest.fixture(scope="module")
def holed():
    return holed_weather(60)[1]


def _f32(a) -> dict:
    return {"f32": base64.b64encode(np.asarray(a, "<f4").tobytes()).decode()}


def _answer(j: browser.Job, shift: float = 1.0) -> dict:
    """An answer as the worker sends one: each model's final weights (here its initial ones) and fills."""
    n = j.holes
    return {"id": j.id, "backend": "wasm", "seconds": 1.0, "models": {
        m: {"mean": _f32(np.full(n, shift)), "draws": _f32(np.tile(np.linspace(-1, 1, TINY.draws), (n, 1)).T.ravel()),
            "losses": [5.0, 4.0], "train_s": 0.5, "impute_s": 0.1,
            "weights": {k: _f32(v.numpy().ravel()) for k, v in model.state_dict().items()}}
        for m, model in j.models.items()}}


def test_the_browser_starts_from_the_servers_initial_weights(holed):
    j = browser.job(holed, TINY)
    assert set(j.models) == {"miwae", TINY.family}
    for m, model in j.models.items():
        server = own_table.new_model(m, holed.shape[1], TINY)
        for k, v in server.state_dict().items():
            torch.testing.assert_close(model.state_dict()[k], v, rtol=0, atol=0)
    wire = j.wire()
    z = np.frombuffer(base64.b64decode(wire["x"]["f32"]), "<f4").reshape(holed.shape)
    assert (z[np.isnan(holed)] == 0).all() and abs(z[~np.isnan(holed)].mean()) < 0.2  # standardised, 0 in holes
    assert wire["iterations"] == 300 and wire["M"] == TINY.draws and wire["N"] == len(holed)


def test_an_answer_fills_every_hole_and_the_baselines_join_it(holed):
    j = browser.job(holed, TINY)
    learnt = browser.learnt(j, _answer(j, shift=1.0))
    done = own_table.complete(holed, COLUMNS, TINY, source="abc", learnt=learnt, trained_in="your browser (wasm)")
    sd = np.nanstd(holed, 0)
    mean = np.nanmean(holed, 0)
    hole = np.isnan(holed)
    for m in ("miwae", TINY.family):  # +1 sd of its column at every hole: the answer's fills, unstandardised
        np.testing.assert_allclose(done.fills[m].table[hole], (mean + sd)[np.nonzero(hole)[1]], rtol=1e-6)
        assert (done.fills[m].table[~hole] == holed[~hole]).all()
        lo, hi = done.fills[m].interval()
        assert (lo[hole] < hi[hole]).all()
    assert done.provenance("miwae")["settings"]["trained_in"] == "your browser (wasm)"
    assert done.provenance("mean")["settings"].get("trained_in") is None
    assert set(done.fills) == set(TINY.methods)


@pytest.mark.parametrize("spoil, clause", [
    (lambda a: a.update(id="0" * 16), "not for this table"),
    (lambda a: a["models"].pop("miwae"), "does not hold exactly"),
    (lambda a: a["models"]["miwae"].update(mean=_f32([0.0])), "holds 1 values"),
    (lambda a: a["models"]["miwae"].update(mean=_f32(np.full(a["n"], np.nan))), "not finite"),
    (lambda a: a["models"]["miwae"].update(extra=1), "a field no result has"),
    (lambda a: a["models"]["miwae"]["weights"].pop("b", None) or a["models"]["miwae"]["weights"].popitem(),
     "weights are not this model's"),
])
def test_a_spoilt_answer_is_refused_in_one_clause(holed, spoil, clause):
    j = browser.job(holed, TINY)
    a = _answer(j)
    a["n"] = j.holes
    spoil(a)
    a.pop("n")
    with pytest.raises(Refused, match=clause):
        browser.learnt(j, a)


def test_where_says_why_the_server_trains():
    assert browser.where(500, "tiny") is None and browser.where(500, "small") is None
    assert "2,000 rows" in browser.where(2001, "tiny")
    assert "'medium' budget trains on the server" in browser.where(10, "medium")
    assert "WebAssembly" in browser.where(10, "tiny", wasm=False)


def test_the_replay_draws_the_browsers_numbers_and_repeats_itself(holed):
    g = SplitMix(7)
    assert g.uniform(3).dtype == np.float32 and ((0 <= g.uniform64(100)) & (g.uniform64(100) < 1)).all()
    rows = SplitMix(7).rows(10, 1000)
    assert rows.min() == 0 and rows.max() == 9 and abs(np.bincount(rows).mean() - 100) < 1e-9
    x = SplitMix(1).normal(20001)
    assert abs(x.mean()) < 0.03 and abs(x.std() - 1) < 0.03
    j = browser.job(holed, TINY)
    a, la = browser.replay(j, "notmiwae", 5)
    b, lb = browser.replay(j, "notmiwae", 5)
    assert la == lb and len(la) == 5
    for k, v in a.state_dict().items():
        assert torch.equal(v, b.state_dict()[k])


def test_the_servers_own_run_trains_as_the_browser_does(holed):
    """The same seed, the same training: the server's ordinary run of a table a browser could train draws its batches
    and noise from the browser's generator (the fills against the browser's own: tests/js/tabular/same_seed)."""
    done = own_table.complete(holed, COLUMNS, TINY)
    j = browser.job(holed, TINY)
    replayed, _ = browser.replay(j, TINY.family, 300)
    for k, v in replayed.state_dict().items():
        torch.testing.assert_close(done.model.state_dict()[k], v, rtol=0, atol=1e-6)


def test_the_servers_estimate_covers_the_whole_job(holed):
    """What the runner shows, elapsed × (1 − f) / f, within a factor of two of the time the whole job still took,
    from the first report that counts (f past the early share) to the last in the first model's training. Time is
    this process's CPU time on one thread: the fractions must follow the work done, which other processes on a
    loaded machine (the suite's other worker, a training) do not change, as they change the wall clock's pace; with
    more threads, a contended core makes them spin at their barriers, CPU time that is not work."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        t0, seen = time.process_time(), []
        own_table.complete(holed, COLUMNS, TINY, on_progress=lambda f, what: seen.append((time.process_time() - t0,
                                                                                            f, what)))
        end = time.process_time() - t0
    finally:
        torch.set_num_threads(threads)
    first = [(t, f) for t, f, what in seen if f > pace.EARLY and what.startswith("MIWAE:")]
    assert len(first) >= 5
    for t, f in first:
        estimate, truth = t * (1 - f) / f, end - t
        assert truth / 2 < estimate < truth * 2, f"at {t:.1f} s: about {estimate:.1f} s to go, {truth:.1f} s did"
