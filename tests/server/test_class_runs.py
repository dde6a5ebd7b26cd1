"""The class's own experiment, pooled (server/class_runs.py): the server scores a phone's fills itself (F1 on the hidden
pixels, in closed form here), keeps one run per phone and step, pools them (the paired difference as numpy computes
it), refuses every malformed or misplaced run with one sentence and nothing kept, and takes a run's larger body over
the app's real HTTP route."""
from __future__ import annotations

import contextlib
import json
import os

import numpy as np
import pytest

from server import budgets as B
from server import class_deck, class_runs, poll_api, rooms
from server.poll import PollStore

from .test_rooms import call

H = W = 28
METHODS = ["mwg", "pseudo_gibbs"]
DECK = {"title": "Pooled", "steps": [{"page": "home", "note": "Hello."},
                                     {"page": "inpainting", "note": "Hide part of the digit and Run.",
                                      "experiment": "inpaint"},
                                     {"page": "home", "note": "Bye."}]}


def truth() -> np.ndarray:
    """A ring of ink: a 28x28 binary picture, 1 on a square's border."""
    img = np.zeros((H, W))
    img[6:22, 6:22] = 1
    img[8:20, 8:20] = 0
    return img.ravel()


TRUTH = truth()
SPEC = {"kind": "inpaint", "dataset": "mnist", "shape": [1, H, W], "binary": True, "image": TRUTH.tolist(),
        "methods": METHODS, "labels": {"mwg": "exact sampler", "pseudo_gibbs": "pseudo-Gibbs"}}
TOP = "1" * (W * H // 2) + "0" * (W * H // 2)  # the bottom half hidden


@pytest.fixture
def room(tmp_path, monkeypatch):
    """A lecture on its experiment's step (1), its experiment written as ui/class_pictures.py writes it."""
    monkeypatch.setenv("DGM_CLASS_DIR", str(tmp_path / "class"))
    with contextlib.closing(PollStore(tmp_path / "poll")) as store:
        lec = rooms.open_lecture(store, "pooled", DECK)
        class_deck.write_experiment(lec.deck_hash, 1, SPEC)
        rooms.move(store, lec.code, lec.key, 1, True)
        yield store, lec


def join(store, code) -> str:
    return store.join(code)["token"]


def run(token, fills=None, mask=TOP, step=1) -> dict:
    fills = fills if fills is not None else {m: TRUTH.tolist() for m in METHODS}
    return {"token": token, "step": step, "mask": mask, "fills": fills}


def f1(fill, mask=TOP) -> float:
    """F1 by hand: ink (> 0.5) found among the hidden pixels."""
    hidden = np.array([c == "0" for c in mask])
    p, t = (np.asarray(fill) > 0.5) & hidden, (TRUTH > 0.5) & hidden
    return 2 * (p & t).sum() / (p.sum() + t.sum())


def test_the_server_scores_each_fill_itself_in_closed_form(room):
    store, lec = room
    token = join(store, lec.code)
    zeros = np.zeros(H * W)
    half = TRUTH.copy()
    ink = np.flatnonzero((TRUTH > 0.5) & (np.arange(H * W) >= H * W // 2))
    half[ink[: len(ink) // 2]] = 0.2  # half the hidden ink missed: F1 = 2 (T/2) / (T/2 + T) = 2/3
    got, out = call(store, "POST", f"{lec.code}/run", run(token, {"mwg": TRUTH.tolist(), "pseudo_gibbs":
                                                                  zeros.tolist()}))
    assert got == 200 and out == {"scores": {"mwg": 1.0, "pseudo_gibbs": 0.0}, "runs": 1, "message": "Run received."}
    got, out = call(store, "POST", f"{lec.code}/run", run(token, {"mwg": half.tolist(), "pseudo_gibbs":
                                                                  TRUTH.tolist()}))
    assert got == 200 and out["runs"] == 1  # the phone's second run replaces its first
    assert out["scores"]["mwg"] == pytest.approx(2 / 3) == pytest.approx(f1(half))
    pooled = class_runs.pooled(store, lec.code, 1)
    assert pooled["n"] == 1 and pooled["mean"] == {"mwg": pytest.approx(2 / 3), "pseudo_gibbs": 1.0}
    assert pooled["losses"] == 1 and pooled["wins"] == pooled["ties"] == 0 and pooled["diff_se"] is None


def test_the_pooled_difference_is_numpys_paired_mean_and_se(room):
    store, lec = room
    rng = np.random.default_rng(0)
    want = []
    for i in range(7):
        mask = "".join(rng.choice(["0", "1"], H * W, p=[0.3 + 0.05 * i, 0.7 - 0.05 * i]))
        fills = {m: np.clip(TRUTH + rng.normal(0, s, H * W), 0, 1).round(3).tolist() for m, s in
                 zip(METHODS, (0.3, 0.45))}
        if i == 3:
            fills["pseudo_gibbs"] = fills["mwg"]  # a tie
        got, out = call(store, "POST", f"{lec.code}/run", run(join(store, lec.code), fills, mask))
        assert got == 200 and out["runs"] == i + 1
        want.append((f1(fills["mwg"], mask), f1(fills["pseudo_gibbs"], mask), mask))
    a, b = np.array([w[0] for w in want]), np.array([w[1] for w in want])
    d = a - b
    got = call(store, "GET", f"{lec.code}/runs", query={"step": "1"})
    assert got[0] == 200
    p = got[1]
    assert p["n"] == 7 and p["methods"] == METHODS and p["labels"] == SPEC["labels"] and p["metric"] == "F1"
    assert p["mean"]["mwg"] == pytest.approx(a.mean()) and p["mean"]["pseudo_gibbs"] == pytest.approx(b.mean())
    assert p["diff_mean"] == pytest.approx(d.mean())
    assert p["diff_se"] == pytest.approx(d.std(ddof=1) / np.sqrt(7))
    assert (p["wins"], p["ties"], p["losses"]) == ((d > 0).sum(), (d == 0).sum(), (d < 0).sum())
    assert p["ties"] >= 1 and p["wins"] + p["ties"] + p["losses"] == 7
    assert p["masks"] == [w[2] for w in want]
    assert p["hidden_share"] == pytest.approx([w[2].count("0") / (H * W) for w in want], abs=1e-4)
    assert "token" not in json.dumps(p) and not any(t in json.dumps(p) for t in ("key", lec.key))


def forged(store, lec):
    return join(store, lec.code)[:-3] + "AAA"


# (a change to a good run, the status, a piece of the sentence)
REFUSALS = [
    (lambda r, s, lec: {**r, "token": forged(s, lec)}, 403, "token was not given by this server"),
    (lambda r, s, lec: {**r, "token": "x" * 38}, 403, "token was not given"),
    (lambda r, s, lec: {**r, "step": 0}, 409, "Step 1 of this lecture runs no experiment"),
    (lambda r, s, lec: {**r, "step": 9}, 409, "Step 10 of this lecture runs no experiment"),
    (lambda r, s, lec: {**r, "step": "1"}, 400, "step must be a whole number"),
    (lambda r, s, lec: {**r, "mask": TOP[:-1]}, 400, "mask must be 784 characters"),
    (lambda r, s, lec: {**r, "mask": TOP[:-1] + "2"}, 400, "mask must be 784 characters"),
    (lambda r, s, lec: {**r, "mask": "1" * 784}, 400, "hide at least one pixel and show at least one"),
    (lambda r, s, lec: {**r, "mask": "0" * 784}, 400, "hide at least one pixel and show at least one"),
    (lambda r, s, lec: {**r, "fills": {"mwg": r["fills"]["mwg"]}}, 400, "lack the method 'pseudo_gibbs'"),
    (lambda r, s, lec: {**r, "fills": {**r["fills"], "mice": r["fills"]["mwg"]}}, 400,
     "name a method this experiment does not run"),
    (lambda r, s, lec: {**r, "fills": {**r["fills"], "mwg": [1.5] + r["fills"]["mwg"][1:]}}, 400,
     "exact sampler's fill holds values outside [0, 1]"),
    (lambda r, s, lec: {**r, "fills": {**r["fills"], "mwg": [-0.1] + r["fills"]["mwg"][1:]}}, 400, "outside [0, 1]"),
    (lambda r, s, lec: {**r, "fills": {**r["fills"], "mwg": r["fills"]["mwg"][1:]}}, 400,
     "exact sampler's fill holds 783 values, not 784"),
    (lambda r, s, lec: {**r, "fills": {**r["fills"], "mwg": ["0.5"] * 784}}, 400, "holds non-numbers"),
    (lambda r, s, lec: {**r, "fills": {**r["fills"], "mwg": [True] * 784}}, 400, "holds non-numbers"),
    (lambda r, s, lec: {**r, "fills": {**r["fills"], "mwg": [float("nan")] * 784}}, 400,
     "not a number JSON allows"),  # NaN in the body: refused as the JSON is read
    (lambda r, s, lec: {**r, "fills": {**r["fills"], "mwg": 0.5}}, 400, "exact sampler's fill is not an array"),
    (lambda r, s, lec: {**r, "fills": [0.5]}, 400, "fills must be an object"),
    (lambda r, s, lec: {k: v for k, v in r.items() if k != "mask"}, 400, "A run needs the field 'mask'"),
    (lambda r, s, lec: {**r, "score": 1.0}, 400, "A run has no field 'score'"),
]


@pytest.mark.parametrize("change, status, sentence", REFUSALS, ids=[r[2][:40] for r in REFUSALS])
def test_every_bad_run_is_refused_with_its_sentence_and_nothing_kept(room, change, status, sentence):
    store, lec = room
    good = run(join(store, lec.code))
    body = json.dumps(change(good, store, lec)).encode()  # Python writes NaN as JSON does not
    got, out = poll_api_call(store, lec.code, body)
    assert got == status and sentence in out["error"], out
    assert out["error"].endswith(".") and "\n" not in out["error"]
    assert class_runs.pooled(store, lec.code, 1)["n"] == 0
    assert call(store, "POST", f"{lec.code}/run", good)[0] == 200  # the same phone, as it should have sent


def poll_api_call(store, code, body: bytes):
    return poll_api.handle(store, "POST", f"{code}/run", query={}, headers={"content-type": "application/json"},
                           body=body, client="10.0.0.1")


def test_a_run_counts_only_on_the_lecturers_step(room):
    store, lec = room
    token = join(store, lec.code)
    rooms.move(store, lec.code, lec.key, 2, True)  # the lecturer moved on
    got, out = call(store, "POST", f"{lec.code}/run", run(token))
    assert got == 409 and out["error"] == ("The lecture is on step 3, not step 2: a run counts on the step the "
                                           "lecturer shows.")
    rooms.move(store, lec.code, lec.key, 1, False)
    assert call(store, "POST", f"{lec.code}/run", run(token))[0] == 200
    other = rooms.open_lecture(store, "pooled", DECK)  # another room's token
    assert call(store, "POST", f"{other.code}/run", run(token))[0] == 403


def test_a_latent_experiment_takes_no_run(room):
    """A latent step's experiment stays on each phone: a run sent there anyway is refused, and nothing is kept."""
    store, lec = room
    class_deck.write_experiment(lec.deck_hash, 1, {"kind": "latent", "shape": [1, H, W], "z0": [0.0], "dirs": [[1.0]],
                                                   "names": ["z[0]"], "values": [0.0]})
    got, out = call(store, "POST", f"{lec.code}/run", run(join(store, lec.code)))
    assert got == 409 and out["error"] == "Step 2's experiment stays on each phone: it sends no run."


def test_a_step_holds_at_most_its_cap_of_runs_and_a_phone_still_replaces_its_own(room, monkeypatch):
    store, lec = room
    monkeypatch.setattr(B, "RUNS_MAX_PER_STEP", 2)
    first, second, third = (join(store, lec.code) for _ in range(3))
    assert [call(store, "POST", f"{lec.code}/run", run(t))[0] for t in (first, second)] == [200, 200]
    got, out = call(store, "POST", f"{lec.code}/run", run(third))
    assert got == 409 and out["error"] == "This step holds 2 runs already, the most it takes."
    assert call(store, "POST", f"{lec.code}/run", run(first))[1]["runs"] == 2


def test_runs_are_rate_limited_per_phone(room):
    store, lec = room
    token = join(store, lec.code)
    got = [call(store, "POST", f"{lec.code}/run", run(token))[0] for _ in range(B.POLL_TOKEN_RATE[0] + 2)]
    assert got[0] == 200 and got[-1] == 429


def test_the_runs_route_refuses_a_step_that_is_no_number(room):
    store, lec = room
    got, out = call(store, "GET", f"{lec.code}/runs", query={"step": "one"})
    assert got == 400 and "runs?step=k" in out["error"]
    assert call(store, "GET", f"{lec.code}/runs", query={"step": "0"})[0] == 409


@pytest.mark.slow  # starts a Streamlit server
def test_a_run_over_the_apps_real_http_route(room, tmp_path):
    from benchmarks.common import streamlit_server
    from tests.test_poll_routes import req

    lec = room[1]
    env = {**os.environ, "DGM_WARMUP": "0", "DGM_POLL_DIR": str(tmp_path / "poll")}  # DGM_CLASS_DIR: the room's
    with streamlit_server(env) as (url, _proc):
        api = f"{url}/poll/api/{lec.code}"
        token = req(f"{api}/join", "POST")[1]["token"]
        fills = {m: np.clip(TRUTH + 0.1234, 0, 1).round(3).tolist() for m in METHODS}
        body = run(token, fills)
        assert len(json.dumps(body)) > B.POLL_BODY_MAX_BYTES  # larger than any other poll request may be
        status, out, _ = req(f"{api}/run", "POST", body)
        assert status == 200 and out["runs"] == 1 and out["scores"] == {"mwg": 1.0, "pseudo_gibbs": 1.0}
        status, out, _ = req(f"{api}/runs?step=1")
        assert status == 200 and out["n"] == 1 and out["masks"] == [TOP]
        status, out, _ = req(f"{api}/run", "POST", raw=b"[" + b"0.5," * 20000 + b"0]")
        assert status == 413 and "over" in out["error"]
        status, out, _ = req(f"{api}/answer", "POST", body)  # an answer's route keeps its own small limit
        assert status == 413


def test_grey_data_is_scored_by_mse_and_the_lower_wins(room):
    store, lec = room
    class_deck.write_experiment(lec.deck_hash, 1, {**SPEC, "binary": False})
    off = {"mwg": np.clip(TRUTH - 0.1, 0, 1).tolist(), "pseudo_gibbs": np.clip(TRUTH + 0.3, 0, 1).tolist()}
    got, out = call(store, "POST", f"{lec.code}/run", run(join(store, lec.code), off))
    hidden = np.array([c == "0" for c in TOP])
    want = {m: float(((np.asarray(f) - TRUTH)[hidden] ** 2).mean()) for m, f in off.items()}
    assert got == 200 and out["scores"] == pytest.approx(want, abs=1e-6)
    p = class_runs.pooled(store, lec.code, 1)
    assert p["metric"] == "MSE" and p["diff_mean"] == pytest.approx(want["mwg"] - want["pseudo_gibbs"], abs=1e-6)
    assert p["diff_mean"] < 0 and (p["wins"], p["losses"]) == (1, 0)  # the smaller error is the better fill
