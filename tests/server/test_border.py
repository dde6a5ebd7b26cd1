"""server.border: a genuine answer of the browser's panel (every method the browser runs, built by dgm_core's
own runs and laid out as the worker lays it out) passes unchanged; forged answers (hypothesis) are each refused in
one clause, with no other exception, and the process's resident memory moves by at most 20 MB, a 100 MB body
included."""
from __future__ import annotations

import base64
import copy
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dgm_core import budgets
from dgm_core.demos import inpainting
from server import border, schema
from tests.server import rss_mb
from benchmarks.browser_answers import answer, digit
from server.inpaint_job import browser_methods, model_specs

DATASET = "mnist"
SETTINGS = inpainting.Settings(steps=16, chains=2, burn_in=4, n_samples=40, n_draws=3, snapshots=4, flow_steps=2,
                               particles=4)
METHODS = browser_methods(DATASET)  # every method the browser runs
JOB = "0123456789abcdef"
X, MASK = digit(DATASET)
EXPECTED = border.Expected.of(X, MASK, METHODS, SETTINGS, dataset=DATASET, models=model_specs(DATASET), job=JOB)
GENUINE = answer(JOB, METHODS, X, MASK, SETTINGS, DATASET)
BIG = "A" * (100 * 1024 * 1024)  # a 100 MB body, made once, before the memory is measured
REASON_MAX = budgets.MESSAGE_MAX_CHARS // 2  # the page quotes the reason in its own sentence


def decode(v) -> np.ndarray:
    (kind, text), = v.items()
    return np.frombuffer(base64.b64decode(text), dtype=border.DTYPE[kind])


def test_a_genuine_answer_passes_unchanged():
    got = border.check_message(copy.deepcopy(GENUINE), EXPECTED)
    assert [r["method"] for r in got.results] == METHODS and got.seconds == GENUINE["seconds"]
    for sent, kept in zip(GENUINE["results"], got.results):
        assert set(kept) == {k for k, v in sent.items() if v is not None}, sent["method"]
        for k, v in sent.items():
            if isinstance(v, dict) and len(v) == 1 and next(iter(v)) in border.DTYPE:
                assert np.array_equal(kept[k], decode(v)), (sent["method"], k)
            elif isinstance(v, list):
                assert np.array_equal(kept[k], np.asarray(v)), (sent["method"], k)
            elif v is not None:
                assert kept[k] == v, (sent["method"], k)


def test_the_chains_snapshots_stay_in_the_browser():
    """The film is drawn by the browser that computed it: a chain's record that carries its snapshots is refused, in
    one clause, like any field no genuine answer has; ``sent`` is the record as the panel sends it."""
    from server.manifest import KEPT_IN_BROWSER
    chain = next(r for r in GENUINE["results"] if r["method"] == "mwg")
    frames = [{"f32": base64.b64encode(np.zeros(X.numel(), np.float32).tobytes()).decode()}] * len(
        chain["snapshot_steps"])
    for field in KEPT_IN_BROWSER:
        msg = copy.deepcopy(GENUINE)
        next(r for r in msg["results"] if r["method"] == "mwg")[field] = frames
        with pytest.raises(border.Refused):
            border.check_message(msg, EXPECTED)
        assert border.sent(next(r for r in msg["results"] if r["method"] == "mwg")) == chain


def test_a_genuine_answer_is_within_its_jobs_budget():
    """The budget bounds the answer as counted (and so its JSON), and is no more than twice it."""
    size = schema.size(GENUINE, 10**9)
    assert len(json.dumps(GENUINE)) <= size <= border.budget(EXPECTED) <= 2 * size


def test_the_job_the_server_sent_decides_every_length():
    """Two more chains and 4 more steps: the same answer no longer fits the job."""
    other = border.Expected.of(X, MASK, METHODS, inpainting.Settings(steps=20, chains=4, burn_in=4, n_samples=40,
                                                                      n_draws=3, snapshots=4, flow_steps=2),
                               dataset=DATASET, models=model_specs(DATASET), job=JOB)
    with pytest.raises(border.Refused, match="MWG.s samples holds 1568 values, not 2352"):
        border.check_message(copy.deepcopy(GENUINE), other)


# ---- forged answers --------------------------------------------------------------------------------------------------

def _typed_fields(r: dict) -> list[str]:
    return [k for k, v in r.items() if isinstance(v, dict) and len(v) == 1 and next(iter(v)) in border.DTYPE]


def _spec(r: dict, key: str):
    return border.SCHEMA[border.kind(r["method"])][key]


def _required(r: dict) -> list[str]:
    return [k for k, s in border.SCHEMA[border.kind(r["method"])].items() if not s.optional and k in r]


WRONG = {schema.Array: [3, "0.5", True, {"f16": "AAAA"}], schema.Number: ["3", [3], True, {}],
         schema.Text: [3, [], True], schema.Record: [[], "x", 3], schema.Arrays: ["x", 3, {}]}


def forge(kind: str, data) -> dict:
    msg = copy.deepcopy(GENUINE)
    r = msg["results"][data.draw(st.sampled_from(range(len(METHODS))), label="result")]
    typed = _typed_fields(r)
    if kind == "wrong shape":
        k = data.draw(st.sampled_from(typed + ["trace"] * ("trace" in r)))
        if k == "trace":
            r[k] = r[k][:-1]
        else:
            (dt, text), = r[k].items()
            r[k] = {dt: text[:-4] if data.draw(st.booleans()) and len(text) > 4 else text + "AAAA"}
    elif kind == "100 MB body":
        where = data.draw(st.sampled_from(["array", "snapshot", "job", "seconds", "method", "extra result"]))
        if where == "array":
            r[data.draw(st.sampled_from(typed))] = {"f32": BIG}
        elif where == "snapshot" and "snapshot_mean" in r:
            r["snapshot_mean"][0] = {"f32": BIG}
        elif where == "extra result":
            msg["results"].append(BIG)
        elif where == "method":
            r["method"] = BIG
        else:
            msg[where if where != "snapshot" else "seconds"] = BIG
    elif kind == "not finite":
        bad = data.draw(st.sampled_from([math.nan, math.inf, -math.inf]))
        if data.draw(st.booleans()):
            k = data.draw(st.sampled_from([k for k in typed if k not in ("accepted",)]))
            a = decode(r[k]).copy()
            a[data.draw(st.integers(0, a.size - 1))] = bad
            (dt,) = r[k]
            r[k] = {dt: base64.b64encode(a.tobytes()).decode()}
        else:
            k = data.draw(st.sampled_from([k for k in r if isinstance(_spec(r, k), schema.Number)]))
            r[k] = bad
    elif kind == "unknown method":
        r["method"] = data.draw(st.text(max_size=30).filter(lambda t: t not in METHODS))
    elif kind == "another job's id":
        msg["job"] = data.draw(st.one_of(st.text(max_size=40).filter(lambda t: t != JOB), st.integers(), st.none()))
    elif kind == "negative time":
        (msg if data.draw(st.booleans()) else r)["seconds"] = -data.draw(st.floats(1e-9, 1e9))
    elif kind == "extra key":
        fields = border.SCHEMA[border.kind(r["method"])]
        where = data.draw(st.sampled_from(["envelope", "result", "record"]))
        if where == "envelope":
            target, allowed = msg, border.ENVELOPE
        elif where == "result":
            target, allowed = r, fields
        else:
            name = "diagnostics" if "diagnostics" in r else "scores"
            target, allowed = r.setdefault(name, {}), fields[name].fields
        key = data.draw(st.text(min_size=1, max_size=20).filter(lambda t: t not in allowed))
        target[key] = data.draw(st.one_of(st.integers(), st.text(max_size=5)))
    elif kind == "wrong type":
        k = data.draw(st.sampled_from([k for k in r if k != "method"]))
        r[k] = data.draw(st.sampled_from(WRONG[type(_spec(r, k))]))
    elif kind == "missing key":
        if data.draw(st.booleans()):
            del msg[data.draw(st.sampled_from(border.ENVELOPE))]
        else:
            del r[data.draw(st.sampled_from(_required(r)))]
    elif kind == "string for a number":
        k = data.draw(st.sampled_from([k for k in r if isinstance(_spec(r, k), schema.Number)] + ["trace", "job"]))
        if k == "trace" and "trace" in r:
            r[k][data.draw(st.integers(0, len(r[k]) - 1))] = str(r[k][0])
        elif k in r:
            r[k] = str(r[k])
        else:
            msg["seconds"] = str(msg["seconds"])
    elif kind == "out of range":
        k = data.draw(st.sampled_from(["mean", "std", "samples"] + [k for k in ("accepted", "weights") if k in r]))
        a = decode(r[k]).copy()
        where = range(a.size) if k in ("accepted", "weights") else np.flatnonzero(~np.resize(EXPECTED.observed, a.size))
        a[data.draw(st.sampled_from(list(where)))] = {"std": -0.5, "accepted": 2}.get(k, 20.0)
        (dt,) = r[k]
        r[k] = {dt: base64.b64encode(a.tobytes()).decode()}
    elif kind == "observed pixel changed":
        k = data.draw(st.sampled_from(["mean", "samples"]))
        a = decode(r[k]).copy()
        j = data.draw(st.sampled_from(np.flatnonzero(EXPECTED.observed).tolist()))
        a[j] = 1.0 - EXPECTED.image[j]
        (dt,) = r[k]
        r[k] = {dt: base64.b64encode(a.tobytes()).decode()}
    elif kind == "a method twice":
        i = next(i for i, x in enumerate(msg["results"]) if x is r)
        j = data.draw(st.integers(0, len(METHODS) - 1).filter(lambda j: j != i))
        msg["results"][j] = copy.deepcopy(r)
    elif kind == "deep nesting":
        deep: list = []
        for _ in range(data.draw(st.integers(10, 5000))):
            deep = [deep]
        r[data.draw(st.sampled_from(typed))] = deep
    elif kind == "a huge whole number":  # JSON's whole numbers are of any length
        k = data.draw(st.sampled_from([k for k in r if isinstance(_spec(r, k), schema.Number)] + ["trace"]))
        huge = data.draw(st.sampled_from([10**400, -(10**400), 2**53 + 1]))
        if k == "trace" and "trace" in r:
            r[k][0] = huge
        elif k in r:
            r[k] = huge
        else:
            msg["seconds"] = huge
    elif kind == "a fraction for a count":  # JavaScript writes a whole number without a point
        counts = [k for k in r if isinstance(_spec(r, k), schema.Number) and _spec(r, k).integer]
        r[data.draw(st.sampled_from(counts))] += data.draw(st.sampled_from([0.0, 0.5]))
    elif kind == "not a record":
        return data.draw(st.sampled_from([[], "x", None, 3, [GENUINE], {"result": GENUINE}]))
    return msg


KINDS = ["wrong shape", "100 MB body", "not finite", "unknown method", "another job's id", "negative time",
         "extra key", "wrong type", "missing key", "string for a number", "out of range", "observed pixel changed",
         "a method twice", "deep nesting", "a huge whole number", "a fraction for a count", "not a record"]
MEMORY: dict[str, float] = {}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(kind=st.sampled_from(KINDS), data=st.data())
def test_a_forged_answer_is_refused_in_one_clause_and_costs_no_memory(kind, data):
    if not MEMORY:  # after the first check has loaded what it uses
        border.check_message(copy.deepcopy(GENUINE), EXPECTED)
        MEMORY["before"] = rss_mb()
    msg = forge(kind, data)
    with pytest.raises(border.Refused) as e:  # anything else (KeyError, RuntimeError, ...) fails the test
        border.check_message(msg, EXPECTED)
    reason = str(e.value)
    assert 0 < len(reason) <= REASON_MAX and "\n" not in reason and BIG[:50] not in reason, reason
    if kind == "100 MB body":  # refused for its size, before any field is read
        assert reason.startswith("its answer is larger than the "), reason
    del msg
    grew = rss_mb() - MEMORY["before"]
    MEMORY["most"] = max(MEMORY.get("most", 0.0), grew)
    assert grew <= 20, f"{kind}: resident memory grew by {grew:.0f} MB"


@pytest.mark.parametrize("results", [[{"method": "mwg"}], [{"method": "nope"}], "x", [3], [None],
                                     [{**GENUINE["results"][0], "mean": {"f32": "AAAA"}}],
                                     [{**GENUINE["results"][0], "trace": [math.nan] * SETTINGS.steps}]])
def test_as_rows_refuses_what_no_genuine_answer_holds_in_one_clause(results):
    """Fed forged results directly (the benchmarks' and parity tests' door), as_rows refuses them in one clause, never
    with a KeyError or a RuntimeError; a genuine record passes."""
    from server.inpaint_job import as_rows
    with pytest.raises(border.Refused):
        as_rows(results, X, MASK, SETTINGS, dataset=DATASET)
    (row,) = as_rows(GENUINE["results"][:1], X, MASK, SETTINGS, dataset=DATASET)
    assert row[0].method == METHODS[0] and row[2] is not None


def test_the_browsers_word_that_it_could_not_run_is_one_short_line():
    e = EXPECTED
    assert border.check_error({"job": JOB, "message": "no WebAssembly or Web Workers"}, e) == \
        "no WebAssembly or Web Workers"
    said = border.check_error({"job": JOB, "message": BIG}, e)
    assert len(said) <= REASON_MAX
    for forged in ({"job": "other", "message": "x"}, {"job": JOB}, {"job": JOB, "message": 3}, [], {"job": JOB,
                   "message": "x", "more": 1}):
        with pytest.raises(border.Refused):
            border.check_error(forged, e)


# ---- which fields are present, and their values: what the border lets through, the server can use -------------------

EXTREME = [0, -1, 1e300, -1e300, 1e308, -1e308, 2**53, 0.5, "", "heun", None]


def _records(r: dict) -> list[tuple[dict, str]]:
    """A result and the small records in it (diagnostics, scores) -> (record, its name)."""
    return [(r, "")] + [(r[k], k) for k in ("diagnostics", "scores") if isinstance(r.get(k), dict)]


@settings(max_examples=250, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(i=st.integers(0, len(METHODS) - 1), data=st.data())
def test_fields_present_or_absent_and_their_values_are_refused_or_used_never_an_exception(i, data):
    """Every method: a genuine result with some of its fields (and of its diagnostics' and scores') dropped, and some
    numbers set to extremes; the border refuses it in one clause or passes it, and what it passes the server turns
    into its rows (server/inpaint_job.py: the diagnostics' classes) without an exception of any other kind."""
    from server.inpaint_job import rows_of as _rows
    msg = copy.deepcopy(GENUINE)
    r = msg["results"][i]
    for rec, name in _records(r):
        keys = [k for k in rec if k != "method"]
        for k in data.draw(st.lists(st.sampled_from(keys), unique=True, max_size=len(keys)) if keys else st.just([]),
                           label=f"dropped from {name or 'the result'}"):
            del rec[k]
        numbers = [k for k, v in rec.items() if type(v) in (int, float)]
        for k in data.draw(st.lists(st.sampled_from(numbers), unique=True, max_size=3) if numbers else st.just([]),
                           label=f"set in {name or 'the result'}"):
            rec[k] = data.draw(st.sampled_from(EXTREME), label=k)
    try:
        got = border.check_message(msg, EXPECTED)
    except border.Refused as e:
        assert 0 < len(str(e)) <= REASON_MAX and "\n" not in str(e)
        return
    rows = _rows(got.results, EXPECTED, DATASET)  # any exception here is the crash the border must prevent
    assert [row[0].method for row in rows] == METHODS


def _forged(method: str, **changes) -> dict:
    msg = copy.deepcopy(GENUINE)
    next(r for r in msg["results"] if r["method"] == method).update(changes)
    return msg


@pytest.mark.parametrize("method, changes, said", [
    ("flow", {"diagnostics": {}}, "diagnostics has no n_steps"),
    ("flow", {"seconds": 1e300}, "seconds is outside"),
    ("mwg", {"log_joint": {"f64": base64.b64encode(np.full(SETTINGS.steps * SETTINGS.chains, 1e308).tobytes())
                           .decode()}}, "log_joint holds values outside"),
    ("mwg", {"log_joint": {"f64": base64.b64encode(np.full(SETTINGS.steps * SETTINGS.chains, -1e308).tobytes())
                           .decode()}}, "log_joint holds values outside"),
    ("miwae", {"log_px_obs": -1e308}, "log_px_obs is outside"),
    ("dmfa", {"cond_log_lik": 1e308}, "cond_log_lik is outside"),
    ("neighbour_fill", {"diagnostics": {"sweeps": 3, "max_change": 1e300, "unreached": 0}}, "max_change is outside"),
])
def test_what_the_last_round_let_through_is_one_clause(method, changes, said):
    if method not in METHODS:
        pytest.skip(f"{method} has no export here")
    with pytest.raises(border.Refused, match=said):
        border.check_message(_forged(method, **changes), EXPECTED)


@pytest.mark.parametrize("method", ["dmfa", "mfa"])
@pytest.mark.parametrize("weights", [0.0, 0.5, None])
def test_a_mixtures_weights_sum_to_one(method, weights):
    """All 0, all 1/2, or the genuine ones scaled by 0.999: refused (the genuine ones pass: the tests above)."""
    if method not in METHODS:
        pytest.skip(f"{method} has no export here")
    genuine = decode(next(r for r in GENUINE["results"] if r["method"] == method)["weights"])
    w = genuine * 0.999 if weights is None else np.full_like(genuine, weights)
    with pytest.raises(border.Refused, match="weights does not sum to 1"):
        border.check_message(_forged(method, weights={"f32": base64.b64encode(w.astype(np.float32).tobytes())
                                                      .decode()}), EXPECTED)


def test_the_diagnostics_records_are_the_classes_the_server_builds():
    """The flow's, the twisted filter's and the fills' records name exactly their classes' own fields (the twisted
    filter's ESS per step sent beside them, an array); the required are those without a default: a field added to
    FlowDiagnostics fails here until the border declares it."""
    import dataclasses

    from dgm_core.imputation import FillDiagnostics
    from dgm_core.samplers.flow_inpaint import FlowDiagnostics
    from dgm_core.samplers.flow_twisted import TwistedDiagnostics
    assert "ess" in border.SCHEMA["twisted"]
    for kind, cls in (("flow", FlowDiagnostics), ("twisted", TwistedDiagnostics), ("fill", FillDiagnostics)):
        rec = border.SCHEMA[kind]["diagnostics"]
        own = [f.name for f in dataclasses.fields(cls) if f.name not in ("cond_log_lik", "ess")]
        assert list(rec.fields) == own
        assert set(rec.required) == {f.name for f in dataclasses.fields(cls) if f.name in own
                                     and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING}


# ---- the answer as the panel sends it: one JSON text, read within its size and depth -------------------------------

def test_the_answer_as_one_json_text_is_read_within_its_size_and_depth():
    assert border.check_text(json.dumps(GENUINE), EXPECTED).seconds == GENUINE["seconds"]
    assert schema.depth(json.dumps(GENUINE)) == border.MAX_DEPTH  # a genuine answer is as deep as it may be
    refused = {"[" * 100_000 + "]" * 100_000: "nested deeper", "[" * 5 + "]" * 5: "nested deeper",
               "{" + "1" * 5_000 + "}": "not valid JSON", "x" * (border.budget(EXPECTED) + 1): "larger than",
               '"[[[[[[[[[["': "not a record", json.dumps(GENUINE) + "]": "not valid JSON"}
    for text, said in refused.items():
        with pytest.raises(border.Refused, match=said):
            border.check_text(text, EXPECTED)
    for not_text in (GENUINE, None, 3, [json.dumps(GENUINE)]):
        with pytest.raises(border.Refused, match="not one JSON text"):
            border.check_text(not_text, EXPECTED)


# the 20 refusals, in a process of their own: no other test's threads allocate beside them while RSS is read
REFUSALS = """
import json, sys
from server import border, schema
from tests.server import rss_mb
from tests.server.test_border import EXPECTED, GENUINE
shape = sys.argv[1]
border.check_text(json.dumps(GENUINE), EXPECTED)  # what the check loads, loaded
before = rss_mb()
for _ in range(20):
    n = 15 * 2**20
    text = ('{"job": "' + "A" * (n - 11) + '"}') if shape == "flat" else "[" * (n // 2) + "]" * (n // 2)
    budget = len(text) + 1 if shape == "deep" else border.budget(EXPECTED)  # the deep one within its budget
    try:
        schema.parse(text, budget, border.MAX_DEPTH)
        raise SystemExit("a 15 MB answer was accepted")
    except border.Refused:
        pass
    del text
print(rss_mb() - before)
"""


@pytest.mark.parametrize("shape", ["flat", "deep"])
def test_twenty_refused_15_mb_answers_keep_no_memory(shape):
    """20 answers of 15 MB (one long array, or 15 MB of brackets), each refused: before a byte is decoded when it is
    larger than the job's budget; the text's depth measured without decoding when within it. RSS grows <= 20 MB."""
    done = subprocess.run([sys.executable, "-c", REFUSALS, shape], capture_output=True, text=True, timeout=600,
                          cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr[-2000:] or done.stdout
    grew = float(done.stdout.split()[-1])
    assert grew <= 20, f"resident memory grew by {grew:.0f} MB after 20 refused 15 MB answers"
