"""The critics page under AppTest: the shipped sweep drawn with its truth, every control (the theta slider, the
browser's retrain as its panel reports it, the server's retrain where the browser cannot, the downloads), theta in the
URL and a bad link value, a missing sweep. (The browser's retrain itself is run in chromium by
tests/e2e/test_critics.py; the panel is invisible to AppTest, so its state is set here as the browser sets it.)"""
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.app import occupy_every_slot, open_page

from dgm_core import results
from dgm_core.models.critics import KINDS, true_value

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "critics.py")
STEPS = 8  # the retrain in these tests: a few steps per critic


@pytest.fixture(autouse=True)
def _few_steps(monkeypatch):
    monkeypatch.setenv("DGM_CRITICS_STEPS", str(STEPS))


def _page(**params) -> AppTest:
    return open_page("critics", "critics_", **params)


PANEL = "critics_browser"
CANNOT = "this browser cannot run Web Workers"


def _server_page(**params) -> AppTest:
    """The page where the browser said it cannot retrain: the server does."""
    at = _page(**params)
    at.session_state[PANEL] = {"fallback": CANNOT, "result": None}
    return at.run()


def _browser_retrain(theta: float) -> dict:
    """A retrain as the browser's panel reports it (its numbers made up; the worker's are checked in chromium)."""
    curves = {k: [0.1 * (i + 1) for i in range(STEPS)] for k in KINDS}
    return {"theta": theta, "steps": STEPS, "curves": curves, "final": {"hellinger": 1.93, "wasserstein": 0.61},
            "seconds": 1.5, "backend": "wasm"}


def _figure(at: AppTest, key: str) -> dict:
    import json
    return json.loads(next(c for c in at.get("plotly_chart") if c.proto.id.endswith(key) or key in c.proto.id)
                      .proto.spec)


def _retrain(at: AppTest) -> dict:
    """The session's last retrain: it keeps the key, the retrain itself is in the shared cache."""
    from ui import serving

    k = at.session_state["critics_retrain_result"]
    assert k.value is None and k.ran.key
    return serving.shared().peek(k.ran.key).value


def test_the_page_draws_the_shipped_sweep_and_the_truth():
    at = _page()
    assert not at.exception and not at.error, [e.value for e in at.error]
    sw = results.critics()
    traces = _figure(at, "critics_sweep_fig")["data"]
    for kind in KINDS:
        est = next(t for t in traces if t.get("name", "").endswith("critic's estimate") and t["legendgroup"] == kind)
        assert est["y"] == sw.estimates[kind] and est["x"] == sw.thetas
    assert at.session_state["critics_theta"] == 1.0
    assert any(f"{sw.seconds:.0f} s" in c.value and results.source("critics") in c.value for c in at.caption)
    assert any("gradient with respect to θ is zero" in m.value for m in at.markdown)


def test_the_page_retrains_in_the_browser_and_shows_what_it_reports():
    at = _page(theta=0.5)
    assert not at.exception and not at.info  # the retrain button is the browser panel's own:
    assert "critics_retrain" not in [b.key for b in at.button]
    (panel,) = [c for c in at.get("bidi_component") if PANEL in c.proto.id]
    import json
    sent = json.loads(panel.proto.json)
    assert sent["theta"] == 0.5 and sent["cfg"]["steps"] == STEPS and sent["cfg"]["hidden"] == 32
    assert (sent["runtime"]["tf"].startswith("app/static/tfjs/tf.es2017.min.")
            and sent["loads"].endswith("MB compressed"))
    assert any("in your browser, in a Web Worker" in c.value for c in at.caption)
    live = _browser_retrain(0.5)
    at.session_state[PANEL] = {"result": live, "fallback": None}
    at.run()
    assert not at.exception and [m.value for m in at.metric] == ["1.930", "0.610"]
    stars = [t for t in _figure(at, "critics_sweep_fig")["data"] if t.get("name", "").endswith("your retrain")]
    assert [t["y"] for t in stars] == [[1.93], [0.61]]
    assert [b.label for b in at.get("download_button")] == ["Download this retrain (CSV)", "Download the sweep (CSV)"]
    at.select_slider(key="critics_theta").set_value(1.5).run()
    assert not at.exception and not at.metric and any("last retrain was at θ = 0.5" in i.value for i in at.info)


def test_where_the_browser_cannot_the_server_retrains_and_says_so():
    at = _server_page(theta=0.5)
    assert not at.exception and any(CANNOT in i.value and "server retrains" in i.value for i in at.info)
    assert at.button(key="critics_retrain").label == "Retrain both critics at θ = 0.5"


def test_the_slider_and_the_retrain_button_with_the_url():
    at = _server_page(theta=0.5)
    assert not at.exception and at.session_state["critics_theta"] == 0.5
    at.select_slider(key="critics_theta").set_value(1.5).run()
    assert not at.exception and at.query_params["critics_theta"] in ("1.5", ["1.5"])
    assert "θ = 1.5" in _figure(at, "critics_samples_fig")["layout"]["title"]["text"]
    at.button(key="critics_retrain").click().run()
    assert not at.exception
    live = _retrain(at)
    assert live["theta"] == 1.5 and live["steps"] == STEPS and all(len(live["curves"][k]) == STEPS for k in KINDS)
    assert [m.value for m in at.metric] == [f"{live['final'][k]:.3f}" for k in KINDS]
    sw = results.critics()
    for kind, cap in zip(KINDS, [c.value for c in at.caption if c.value.startswith("At θ = 1.5")]):
        assert f"shipped sweep {sw.at(kind, 1.5):.3f}" in cap and f"true value {true_value(kind, 1.5):g}" in cap
    stars = [t for t in _figure(at, "critics_sweep_fig")["data"] if t.get("name", "").endswith("your retrain")]
    assert [t["y"] for t in stars] == [[live["final"][k]] for k in KINDS]
    # the retrain belongs to its theta: moving the slider says where it was
    at.select_slider(key="critics_theta").set_value(0.0).run()
    assert not at.exception and not at.metric and any("last retrain was at θ = 1.5" in i.value for i in at.info)


def test_the_downloads():
    at = _server_page()
    at.button(key="critics_retrain").click().run()
    labels = [b.label for b in at.get("download_button")]
    assert labels == ["Download this retrain (CSV)", "Download the sweep (CSV)"]


@pytest.mark.parametrize("bad", ["abc", "0.37", "5", "nan"])
def test_a_bad_link_value_is_one_sentence_and_the_default(bad):
    at = _page(theta=bad)
    assert not at.exception
    assert len(at.warning) == 1 and at.warning[0].value.startswith("The link's θ: how far Q_θ is shifted from P `")
    assert "critics_theta" not in at.warning[0].value
    assert at.session_state["critics_theta"] == 1.0


def test_a_missing_sweep_is_one_sentence_and_the_retrain_still_works(monkeypatch, tmp_path):
    monkeypatch.setattr(results, "ROOT", tmp_path)
    at = _server_page()
    assert not at.exception and len(at.error) == 1 and "missing" in at.error[0].value
    at.button(key="critics_retrain").click().run()
    assert not at.exception and len(at.metric) == len(KINDS)


def test_each_critic_has_one_colour_on_the_critics_and_results_pages():
    from dgm_core import results
    from dgm_core.demos import results as results_demo
    from ui import critics_view, results_view

    critics_fig = critics_view.sweep_figure(results.critics(), 1.0, None)
    sec = next(s for s in results_demo.sections() if s.key == "wgan")
    results_fig = results_view.critic_curves(sec)

    def on(fig, kind):
        return {tr.line.color for tr in fig.data if tr.name and kind.lower() in tr.name.lower() and tr.line.color}

    for kind, short in critics_view.SHORT.items():
        here, there = on(critics_fig, short[:6]), on(results_fig, kind)
        assert here and here == there, (kind, here, there)


def test_a_second_session_retraining_at_the_same_theta_gets_the_first_ones_retrain():
    first = _server_page(theta=0.3)
    first.button(key="critics_retrain").click().run()
    assert not first.exception
    assert any(c.value.startswith(("Computed in ", "Shared: computed")) for c in first.caption)
    second = _server_page(theta=0.3)
    second.button(key="critics_retrain").click().run()
    assert not second.exception
    assert any(c.value.startswith("Shared: computed") and "for another session" in c.value for c in second.caption), \
        [c.value for c in second.caption]
    assert _retrain(first) is _retrain(second)  # one retrain, held once by the server


def test_a_retrain_over_the_time_limit_stops_with_one_sentence_and_the_page_keeps_working(monkeypatch):
    monkeypatch.setenv("DGM_CRITICS_STEPS", "100000")
    monkeypatch.setenv("DGM_TIME_LIMIT_S", "0.5")
    at = _server_page(theta=0.7)
    at.button(key="critics_retrain").click().run()
    assert not at.exception and not at.metric
    assert [w.value for w in at.warning] == ["The training stopped at the time limit of 0.5 s per run on this server; "
                                             "choose fewer steps."]
    assert "critics_retrain_result" not in at.session_state
    at.select_slider(key="critics_theta").set_value(1.5).run()
    assert not at.exception and not at.warning


def test_a_retrain_queued_behind_other_heavy_runs_waits_its_turn():
    """The server's retrain (where the browser cannot) takes its turn in the queue. Other students' runs hold every
    slot until the retrain is seen waiting behind them (the queue's state, not a clock: on a loaded host the page may
    take any time to get there), then a little over a second more, so its caption counts the wait."""
    blockers = occupy_every_slot(hold=1.2)
    at = _server_page(theta=1.3)
    at.button(key="critics_retrain").click().run()
    assert all(b.done.is_set() for b in blockers)
    assert not at.exception and len(at.metric) == len(KINDS)
    assert any(c.value.startswith("Computed in ") and "in the queue" in c.value for c in at.caption), \
        [c.value for c in at.caption]
