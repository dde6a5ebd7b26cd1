"""The GAN training page under AppTest: the link's settings; the browser's trainer gets what it needs and the verdict
says what its last reported step shows (the panel's state, set here as the browser sets it; chromium runs the real
one in tests/e2e/test_gan_browser.py); where the browser cannot, the server trains: Step and Play advance both
generators, a new setting starts again; a bad link value gets one sentence."""
from __future__ import annotations

import base64
import json
import time

import numpy as np

from streamlit.testing.v1 import AppTest

from dgm_core.demos import gan as demo
from tests.app import open_page
from ui.serving import shared


PANEL = "gan_panel"
CANNOT = "this browser cannot run Web Workers"


def _page(**params) -> AppTest:
    """The page where the browser said it cannot train: the server does."""
    at = open_page("gan", "gan_", **params)
    at.session_state[PANEL] = {"fallback": CANNOT, "frame": None}
    return at.run()


def test_the_browser_trains_from_what_the_page_sends_and_the_verdict_reads_its_last_step():
    at = open_page("gan", "gan_", toy="ring", lr=0.003, k=2)
    assert not at.exception and not at.warning and "gan_race" not in at.session_state  # no server race
    assert "gan_play" not in [b.key for b in at.button]  # Play, Step and Reset are the panel's own
    sent = _sent(at)
    race = sent["race"]
    assert sent["mode"] == "browser" and sent["id"] == "ring|0.003|2" and race["cfg"]["critic_steps"] == 2
    assert race["cfg"]["lr"] == 0.003 and len(race["z"]) == 400 and len(race["grid"]) == 2 * demo.MAP_N ** 2
    assert sent["max_steps"] == demo.MAX_STEPS and sent["runtime"]["simd"].startswith("app/static/tfjs/")
    assert any("Press Play" in m.value for m in at.markdown)
    frame = {"id": "ring|0.003|2", "step": 12, "hellinger": {"est": 1.95, "off": 0.8, "missed": 0.9},
             "wasserstein": {"est": 0.4, "off": 0.2, "missed": 0.3}}
    at.session_state[PANEL] = {"frame": frame, "fallback": None}
    at.run()
    verdict = next(m.value for m in at.markdown if m.value.startswith("After 12 steps:"))
    assert "near its ceiling of 2" in verdict and verdict.endswith("**Wasserstein-1 (Lipschitz penalty)**.")
    at.number_input(key="gan_k").set_value(3).run()  # a new setting: the browser starts again, no verdict yet
    assert _sent(at)["id"] == "ring|0.003|3" and any("Press Play" in m.value for m in at.markdown)


def test_where_the_browser_cannot_the_server_trains_and_says_so():
    at = _page(toy="lines")
    assert not at.exception and any(CANNOT in i.value for i in at.info)
    at.selectbox(key="gan_toy").set_value("ring").run()  # still the server's, after any rerun
    assert not at.exception and at.button(key="gan_play").label == "Play"


def _steps(at: AppTest) -> int:
    return at.session_state["gan_race"].steps


def _sent(at: AppTest) -> dict:
    """What the page sent its browser-drawn panel."""
    (panel,) = at.get("bidi_component")
    return json.loads(panel.proto.json)


def test_the_page_opens_on_its_link_with_both_generators_at_the_start():
    at = _page(toy="ring", lr=0.003, k=2)
    assert not at.exception and not at.warning
    assert at.selectbox(key="gan_toy").value == "ring"
    assert at.select_slider(key="gan_lr").value == 0.003 and at.number_input(key="gan_k").value == 2
    assert _steps(at) == 0 and any("Press Play" in m.value for m in at.markdown)
    sent = _sent(at)
    assert sent["frames"] == [] and sent["now"]["step"] == 0  # nothing to play: the start is drawn
    assert [k["kind"] for k in sent["kinds"]] == ["hellinger", "wasserstein"]
    assert len(base64.b64decode(sent["now"]["wasserstein"]["t"])) == demo.MAP_N ** 2 and len(sent["data"]) == 2 * 300
    assert sent["history"]["from"] == 0 and sent["history"]["wasserstein"]["step"] == [0]


def _wait(at: AppTest) -> None:
    """Until the page's player has trained to its step (it trains in a thread of its own)."""
    deadline = time.monotonic() + 120
    while at.session_state["gan_player"].playing and time.monotonic() < deadline:
        time.sleep(0.05)


def test_step_and_play_advance_both_generators_and_each_step_is_sent_once(monkeypatch):
    monkeypatch.setattr(demo, "PLAY_STEPS", 6)  # the page runs in this process: a short Play
    at = _page(toy="lines")
    at.button(key="gan_step").click().run()
    assert _steps(at) == 1
    verdict = next(m.value for m in at.markdown if m.value.startswith("After 1 step:"))
    assert "Hellinger" in verdict and "Wasserstein" in verdict
    assert [f["step"] for f in _sent(at)["frames"]] == [1]  # the step's picture
    at.button(key="gan_play").click().run()
    assert at.session_state["gan_playing"] == 7 and at.button(key="gan_play").label == "Pause"
    assert at.button(key="gan_step").disabled
    sent = [f["step"] for f in _sent(at)["frames"]]
    _wait(at)
    at.run()  # the run that finds the player done: Play comes back, with the last pictures
    sent += [f["step"] for f in _sent(at)["frames"]]
    assert _steps(at) == 7 and sent == list(range(2, 8))  # every step trained is sent, once, in order
    assert at.session_state["gan_playing"] is False and at.button(key="gan_play").label == "Play"
    hist = _sent(at)["history"]
    assert hist["hellinger"]["step"][-1] == 7 and hist["from"] == sent[-len(hist["hellinger"]["step"])]
    at.run()
    assert _sent(at)["frames"] == [] and _sent(at)["now"]["step"] == 7  # nothing sent twice


def test_pause_stops_the_player(monkeypatch):
    monkeypatch.setattr(demo, "PLAY_STEPS", 2000)
    at = _page(toy="ring")
    at.button(key="gan_play").click().run()
    at.button(key="gan_play").click().run()
    assert at.session_state["gan_playing"] is False and not at.session_state["gan_player"].playing
    steps = _steps(at)
    time.sleep(0.3)
    assert _steps(at) == steps < 2000


def test_a_new_setting_starts_both_generators_again():
    at = _page(toy="lines")
    at.button(key="gan_step").click().run()
    at.number_input(key="gan_k").set_value(3).run()
    assert _steps(at) == 0 and at.session_state["gan_race"].critic_steps == 3
    at.button(key="gan_step").click().run()
    before = _sent(at)["id"]
    at.button(key="gan_reset").click().run()
    assert _steps(at) == 0 and _sent(at)["id"] != before  # the browser's film starts again


def test_a_bad_link_value_gets_one_sentence_and_the_page_works():
    at = open_page("gan", "gan_", toy="spiral", k=99)
    assert not at.exception
    assert len(at.warning) == 2 and all(w.value.endswith(".") for w in at.warning)
    assert at.selectbox(key="gan_toy").value == "lines" and at.number_input(key="gan_k").value == 10


def test_a_play_takes_its_turn_behind_the_servers_heavy_runs_and_says_its_place(monkeypatch):
    monkeypatch.setattr(demo, "PLAY_STEPS", 3)
    queue = shared().queue  # the page runs in this process: the server's one queue
    at = _page(toy="ring")
    held = [queue.enqueue("another session's run") for _ in range(queue.slots)]
    for t in held:
        queue.wait(t)  # every slot busy
    try:
        at.button(key="gan_play").click().run()
        assert any("Queued: place 1" in i.value for i in at.info) and _steps(at) == 0
    finally:
        for t in held:
            queue.done(t)
    _wait(at)
    at.run()
    assert _steps(at) == 3 and not [i for i in at.info if "Queued" in i.value]


def test_a_drawing_from_the_flow_page_is_the_data_and_without_one_the_page_says_how():
    from dgm_core.demos import flow2d

    at = open_page("gan", "gan_", toy="drawn")
    assert not at.exception and any("Your drawing has 0 points" in i.value for i in at.info)
    assert not at.get("bidi_component")  # nothing to train on
    # a small ring in the top-left corner of the box (-3, 3)^2
    ring = np.stack([-2 + 0.5 * np.cos(np.linspace(0, 6.2, 30)), 2 + 0.5 * np.sin(np.linspace(0, 6.2, 30))], 1)
    at = open_page("gan", "gan_", toy="drawn", pts=flow2d.encode_points(ring))
    assert not at.exception and not at.info
    sent = _sent(at)
    cfg = sent["race"]["cfg"]
    assert cfg["toy"] == "drawn" and len(cfg["pool"]) == 60 and sent["id"].startswith("drawn|0.001|5|")
    np.testing.assert_allclose(np.reshape(cfg["pool"], (-1, 2)), ring, atol=2e-3)  # the link's 12-bit codes
    assert sent["race"]["start"] == [2.4, -2.4]  # the generator starts in the far corner, inset a tenth of the box
