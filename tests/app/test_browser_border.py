"""The inpainting page takes from the visitor's browser only an answer to the job it sent (server.border).
The panel is invisible to AppTest, so its state is set here as the browser sets it ({"result": {"job", "text": the
answer as one JSON text}, "error": ...}, or what server.widget_states leaves of a state nested too deep):
a genuine answer (dgm_core's own runs, laid out as the worker lays them out) becomes the Run's result; a forged one is
one sentence on the page, nothing of it is kept, and the server runs the methods instead; a stale one (the panel's
last job's) waits without a word. Also: Streamlit's own caps (.streamlit/config.toml) are dgm_core.budgets's."""
from __future__ import annotations

import json
import math
import tomllib
from pathlib import Path

import numpy as np
import torch

from server import budgets
from dgm_core.demos.inpainting import CONTROLS, default_settings
from server import border
from tests.app import open_page
from server import widget_states
from benchmarks.browser_answers import answer, as_sent, digit, typed
from server.inpaint_job import browser_methods, model_specs

ROOT = Path(__file__).resolve().parents[2]
PANEL = "inp_bi"
QUICK = {"where": "browser", "ds": "mnist", "preset": "centre", "size": 11, "steps": 12, "chains": 2,
         "burn": 2, "ns": 50, "methods": "pseudo_gibbs,neighbour_fill"}  # each test its own seed: its own server runs
PAGE_SAID = "This browser could not run the samplers ("


def _asked(**params):
    """The page after Run, waiting for the browser's answer (the panel drawn, its job sent)."""
    at = open_page("inpainting", "inp_", **{**QUICK, **params})
    at.button(key="inp_run").click().run()
    assert not at.exception and at.session_state[f"{PANEL}__job"]
    return at


def _genuine(at) -> dict:
    """A genuine answer to the job the page sent."""
    e = at.session_state[f"{PANEL}__expected"]
    x, mask = torch.from_numpy(e.image).view(e.shape), torch.from_numpy(e.mask).view(e.shape[1:])
    return answer(e.job, list(e.methods), x, mask, e.settings, "mnist")


def _shown(at) -> list[str]:
    return [w.value for w in at.warning] + [e.value for e in at.error]


def _kept(at):
    return at.session_state["inp_run_result"].value


def _forged(kind: str, at) -> dict:
    """The panel's state with a genuine answer to the page's job, forged one way."""
    msg = _genuine(at)
    if kind == "100,000-deep text":
        return {"result": {"job": msg["job"], "text": "[" * 100_000 + "]" * 100_000}, "error": None}
    if kind == "a tree for the text":  # Streamlit decodes it: a shallow one (server.widget_states holds the deep)
        return {"result": {"job": msg["job"], "text": msg}, "error": None}
    if kind == "100,000-deep state":  # as server.widget_states passes it on, the words sent replaced
        return {widget_states.REFUSED: "anything the browser wrote"}
    r, d = msg["results"][0], len(at.session_state[f"{PANEL}__expected"].image)
    if kind == "another job's id":
        msg["job"] = "0" * 16
    elif kind == "NaN fill":  # the issue's: scored F1 1.0 once
        r["mean"] = typed(np.full(d, math.nan), "f32")
    elif kind == "unknown method":
        r["method"] = "gibbs_deluxe"
    elif kind == "wrong shape":
        r["samples"] = {"f32": r["samples"]["f32"][:-8]}
    elif kind == "a 100 MB body":
        r["log_joint"] = {"f64": "A" * (100 * 1024 * 1024)}
    elif kind == "negative time":
        msg["seconds"] = -3.0
    elif kind == "infinite spread":
        r["std"] = typed(np.full(d, math.inf), "f32")
    elif kind == "extra key":
        r["verdict"] = "mixed"
    elif kind == "missing key":
        del r["samples"]
    elif kind == "string for a number":
        r["n_draws"] = "2"
    return {"result": as_sent(msg), "error": None}


FORGED = ["another job's id", "NaN fill", "unknown method", "wrong shape", "a 100 MB body", "negative time",
          "infinite spread", "extra key", "missing key", "string for a number", "100,000-deep text",
          "a tree for the text", "100,000-deep state"]


def test_a_genuine_answer_becomes_the_runs_result():
    at = _asked(seed=13)
    at.session_state[PANEL] = {"result": as_sent(_genuine(at)), "error": None}
    at.run()
    assert not at.exception and not _shown(at), _shown(at)
    run = _kept(at)
    assert run.computed_in == {"pseudo_gibbs": "browser", "neighbour_fill": "browser"}
    assert [r[0].method for r in run.rows] == ["pseudo_gibbs", "neighbour_fill"]
    assert 0 <= run.rows[0][1]["F1"] <= 1 and run.traces["pseudo_gibbs"].snapshot_steps
    assert any(c.value.startswith("Computed in this browser") for c in at.caption)
    assert not any(k.startswith(f"{PANEL}__") and k != f"{PANEL}__sent" for k in at.session_state)


def test_the_browser_draws_its_runs_grid_and_the_server_draws_it_when_the_page_no_longer_holds_it():
    """The grid of a Run computed in the browser is that page's own drawing (the fill_grid panel: no picture of the
    server's in it); should the page say it no longer holds the job's arrays, the server draws the grid itself: the
    original and the input, each method's fill, the spreads of those that have one, and the colour scale."""
    at = _asked(seed=11)
    at.session_state[PANEL] = {"result": as_sent(_genuine(at)), "error": None}
    at.run()
    run = _kept(at)
    assert not at.exception and run.browser_job
    pictures = len(at.get("image"))
    at.session_state["inp_fill_grid"] = {"missing": run.browser_job}
    at.run()
    assert not at.exception and len(at.get("image")) - pictures == 2 + 2 + 1 + 1  # neighbour fill: no spread


def test_a_forged_answer_is_one_sentence_nothing_is_kept_and_the_server_runs_it():
    at = _asked(seed=17)
    for kind in FORGED:
        at.session_state[PANEL] = _forged(kind, at)
        at.run()
        said = set(_shown(at))  # the page says it above its results too: the same sentence
        assert not at.exception and len(said) == 1, (kind, said)
        (sentence,) = said
        assert sentence.startswith(PAGE_SAID + "the server refused its answer: ") and sentence.endswith(".")
        assert "anything the browser wrote" not in sentence
        assert len(sentence) <= budgets.MESSAGE_MAX_CHARS and "\n" not in sentence, sentence
        assert PANEL not in at.session_state, kind  # the answer is dropped: Streamlit holds none of it either
        assert not any(k.endswith(("__rows", "__refused", "__expected")) for k in at.session_state), kind
        run = _kept(at)  # the page kept working: the server computed both methods
        assert run.computed_in == {"pseudo_gibbs": "server", "neighbour_fill": "server"} and len(run.rows) == 2
        at.run()  # a rerun: no traceback, the result stays with its one sentence
        assert not at.exception and set(_shown(at)) == said, kind
        at.button(key="inp_run").click().run()  # Run again: the browser is asked again
        assert not at.exception and at.session_state[f"{PANEL}__job"]


def test_the_browsers_word_that_it_could_not_run_is_quoted_as_text():
    at = _asked(seed=19)
    job = at.session_state[f"{PANEL}__job"]
    at.session_state[PANEL] = {"result": None, "error": {"job": job, "message": "see ![x](http://x.example/p.png) $x$"}}
    at.run()
    (said,) = set(_shown(at))
    assert not at.exception and said.startswith(PAGE_SAID) and r"see !\[x\](http://x.example/p.png) \$x\$)" in said
    assert _kept(at).computed_in == {"pseudo_gibbs": "server", "neighbour_fill": "server"}


def test_a_forged_word_that_it_could_not_run_is_refused_and_dropped():
    at = _asked(seed=31)
    at.session_state[PANEL] = {"result": None, "error": {"job": at.session_state[f"{PANEL}__job"], "message": ["x"]}}
    at.run()
    (said,) = set(_shown(at))
    assert not at.exception and said.startswith(PAGE_SAID + "the server refused its answer: its word that it could ")
    assert PANEL not in at.session_state  # the panel was drawn in that run: the word is dropped all the same
    assert _kept(at).computed_in == {"pseudo_gibbs": "server", "neighbour_fill": "server"}


def test_an_answer_to_the_panels_last_job_waits_without_a_word():
    at = _asked(seed=23)
    last = _genuine(at)
    at.number_input(key="inp_seed").set_value(24).run()
    at.button(key="inp_run").click().run()
    assert at.session_state[f"{PANEL}__job"] != last["job"]
    at.session_state[PANEL] = {"result": as_sent(last), "error": None}
    at.run()
    assert not at.exception and not any(PAGE_SAID in w for w in _shown(at)), _shown(at)
    assert "inp_browser" in at.session_state and f"{PANEL}__refused" not in at.session_state  # still waiting


def test_a_run_too_large_for_a_message_runs_on_the_server_and_says_why(monkeypatch):
    monkeypatch.setattr(budgets, "BROWSER_ANSWER_MAX_CHARS", 30_000)  # this run's answer takes up to about 41 k
    at = open_page("inpainting", "inp_", **{**QUICK, "seed": 29})
    at.button(key="inp_run").click().run()
    (said,) = set(_shown(at))
    assert not at.exception and PANEL not in at.session_state  # no panel: the browser is never asked
    assert said.startswith(PAGE_SAID + "its results, up to ") and "would not fit in the 30 kB" in said, said
    assert _kept(at).computed_in == {"pseudo_gibbs": "server", "neighbour_fill": "server"}


def test_a_default_run_on_the_largest_images_fits_a_message_twice_over():
    """CelebA's images are the largest: its default Run (every default method the browser runs) needs at most half
    the answer's share of Streamlit's message cap, and its budget bounds what a chromium run of it sent (the largest
    of `bench browser_inpaint`'s runs, benchmarks/results/browser_inpaint.json; dgm_core/budgets.py)."""
    ds = "celeba"
    x, mask = digit(ds)
    methods = [m for m in CONTROLS["methods"].default({"ds": ds}) if m in browser_methods(ds)]
    e = border.Expected.of(x, mask, methods, default_settings(ds), dataset=ds, models=model_specs(ds))
    assert 2 * border.budget(e) <= 2 * budgets.BROWSER_ANSWER_MAX_CHARS <= budgets.MESSAGE_MAX_MB * 10**6
    bench = json.loads((ROOT / "benchmarks" / "results" / "browser_inpaint.json").read_text())
    sent = max(r["answer_chars"] for r in bench["runs"] if r["dataset"] == ds and "answer_chars" in r)
    assert border.budget(e) >= sent > 500_000  # the measured answer: the budget bounds it


def test_streamlits_own_caps_are_dgm_cores():
    """Streamlit reads its caps only from .streamlit/config.toml: the figures there are copies of dgm_core.budgets's."""
    server = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())["server"]
    assert server["maxUploadSize"] == budgets.UPLOAD_MAX_MB
    assert budgets.UPLOAD_MAX_BYTES == budgets.UPLOAD_MAX_MB * 10**6  # Streamlit's MB for uploads, in the browser
    assert server["maxMessageSize"] == budgets.MESSAGE_MAX_MB


def test_the_apps_server_refuses_a_frame_over_the_cap_before_reading_it():
    """The app's own server (its .streamlit/config.toml): a websocket frame one MB over the cap is refused from its
    header (1009, message too big) and the server keeps answering."""
    import asyncio
    import urllib.request

    import websockets

    from benchmarks.common import streamlit_server

    async def send(url: str, n: int) -> int | None:
        async with websockets.connect(url.replace("http://", "ws://") + "/_stcore/stream", subprotocols=["streamlit"],
                                      max_size=None, open_timeout=120) as ws:
            try:
                await ws.send(b"\0" * n)
                await asyncio.wait_for(ws.recv(), 120)
            except websockets.ConnectionClosed as e:
                return e.rcvd.code if e.rcvd else None
        return None

    with streamlit_server() as (url, _):
        assert asyncio.run(send(url, (budgets.MESSAGE_MAX_MB + 1) * 10**6)) == 1009
        assert urllib.request.urlopen(f"{url}/_stcore/health", timeout=30).read() == b"ok"
