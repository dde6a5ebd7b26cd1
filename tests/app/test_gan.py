"""The GAN training page under AppTest: the link's settings, Step and Play advance both generators and the verdict
says what the frame shows, a new setting starts again, a bad link value gets one sentence."""
from __future__ import annotations

import json

from streamlit.testing.v1 import AppTest

from dgm_core.demos import gan as demo
from tests.app import open_page


def _page(**params) -> AppTest:
    return open_page("gan", "gan_", **params)


def _steps(at: AppTest) -> int:
    return at.session_state["gan_race"].steps


def test_the_page_opens_on_its_link_with_both_generators_at_the_start():
    at = _page(toy="ring", lr=0.003, k=2)
    assert not at.exception and not at.warning
    assert at.selectbox(key="gan_toy").value == "ring"
    assert at.select_slider(key="gan_lr").value == 0.003 and at.number_input(key="gan_k").value == 2
    assert _steps(at) == 0 and any("Press Play" in m.value for m in at.markdown)
    charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    assert len(charts) == 3  # a field per critic and the curves


def test_step_and_play_advance_both_generators_and_the_verdict_follows():
    at = _page(toy="lines")
    at.button(key="gan_step").click().run()
    assert _steps(at) == 1
    verdict = next(m.value for m in at.markdown if m.value.startswith("After 1 step:"))
    assert "Hellinger" in verdict and "Wasserstein" in verdict
    at.button(key="gan_play").click().run()  # the frame of the run that follows the press
    assert at.session_state["gan_playing"] == 1 + demo.PLAY_STEPS and _steps(at) == 1 + demo.STEPS_PER_FRAME
    assert at.button(key="gan_play").label == "Pause" and at.button(key="gan_step").disabled
    at.button(key="gan_play").click().run()
    assert at.session_state["gan_playing"] is False and at.button(key="gan_play").label == "Play"


def test_a_new_setting_starts_both_generators_again():
    at = _page(toy="lines")
    at.button(key="gan_step").click().run()
    at.number_input(key="gan_k").set_value(3).run()
    assert _steps(at) == 0 and at.session_state["gan_race"].critic_steps == 3
    at.button(key="gan_step").click().run()
    at.button(key="gan_reset").click().run()
    assert _steps(at) == 0


def test_a_bad_link_value_gets_one_sentence_and_the_page_works():
    at = _page(toy="spiral", k=99)
    assert not at.exception
    assert len(at.warning) == 2 and all(w.value.endswith(".") for w in at.warning)
    assert at.selectbox(key="gan_toy").value == "lines" and at.number_input(key="gan_k").value == 10
