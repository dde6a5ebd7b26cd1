"""The 2-D flow page under AppTest: the link's settings reach the browser's trainer; a drawing the panel sends (as
integer codes, set here as the browser sets them) becomes the link's text and the training pool, and the GAN page is
offered it; a bad link or a modified browser's drawing gets one sentence; where the browser cannot train, the server
trains and sends the paths and the field. chromium runs the real panel in tests/e2e/test_flow2d.py."""
from __future__ import annotations

import base64
import json

import numpy as np
from streamlit.testing.v1 import AppTest

from dgm_core.demos import flow2d as demo
from tests.app import open_page
from ui import flow2d_view as v

PANEL = "flow_panel"


def _sent(at: AppTest) -> dict:
    (panel,) = at.get("bidi_component")
    return json.loads(panel.proto.json)


def _draw(at: AppTest, codes: list[int]) -> AppTest:
    at.session_state[PANEL] = {"codes": codes, "fallback": None}
    return at.run()


# a circle of 24 points, as the panel's codes
CIRCLE = v.codes_of(np.stack([2 * np.cos(np.linspace(0, 6.2, 24)), 2 * np.sin(np.linspace(0, 6.2, 24))], 1),
                    demo.DRAWN_BOX)


def test_the_browser_gets_its_job_from_the_link():
    at = open_page("flow2d", "flow_", data="moons", steps=300, seed=7)
    assert not at.exception and not at.warning
    sent = _sent(at)
    job = sent["job"]
    assert sent["mode"] == "browser" and not sent["drawable"] and sent["data"] == "moons"
    assert job["cfg"]["steps"] == 300 and job["cfg"]["seed"] == 7 and len(job["pool"]) == 2 * demo.POOL_N
    assert len(job["z"]) == 2 * demo.DISPLAY_N and len(sent["grid"]) == 2 * demo.GRID_N ** 2
    assert sent["runtime"]["simd"].startswith("app/static/tfjs/")
    assert len(sent["points"]) > 0  # the toy's data, drawn under the flow


def test_a_drawing_becomes_the_link_and_the_pool_and_goes_to_the_gan_page():
    at = open_page("flow2d", "flow_", data="drawn")
    assert not at.exception
    sent = _sent(at)
    assert sent["drawable"] and sent["codes"] == [] and sent["job"]["pool"] == []  # the panel puts the drawing in
    _draw(at, CIRCLE)
    assert not at.exception and not at.warning
    text = at.query_params["flow_pts"]
    text = text[0] if isinstance(text, list) else text
    assert text == at.session_state["flow_pts"] and text
    sent = _sent(at)
    assert sent["codes"] == CIRCLE  # the panel sees its own drawing back: no second training
    pool = np.asarray(sent["job"]["pool"]).reshape(-1, 2)
    np.testing.assert_allclose(pool, v.points_of(CIRCLE, demo.DRAWN_BOX), atol=1e-4)
    link = next(m.value for m in at.markdown if "Train a GAN on your drawing" in m.value)  # alone: a plain link
    assert f"gan_toy=drawn&gan_pts={text}" in link


def test_the_drawing_comes_back_from_the_link():
    text = demo.encode_points(v.points_of(CIRCLE, demo.DRAWN_BOX))
    at = open_page("flow2d", "flow_", data="drawn", pts=text)
    assert not at.exception and not at.warning
    assert _sent(at)["codes"] == CIRCLE


def test_a_bad_link_drawing_is_one_sentence_and_the_drawing_starts_empty():
    at = open_page("flow2d", "flow_", data="drawn", pts="%%%not-points")
    assert not at.exception and len(at.warning) == 1 and at.warning[0].value.endswith("The drawing starts empty.")
    assert _sent(at)["codes"] == []


def test_a_modified_browsers_drawing_is_one_sentence():
    at = open_page("flow2d", "flow_", data="drawn")
    _draw(at, [5, 9000, 3])  # odd length, out of range
    assert not at.exception and len(at.warning) == 1 and at.warning[0].value.endswith("draw again.")


def test_where_the_browser_cannot_the_server_trains_and_sends_paths_and_field():
    at = open_page("flow2d", "flow_", data="ring", steps=300)
    at.session_state[PANEL] = {"codes": None, "fallback": "this browser cannot run Web Workers"}
    at.run()
    assert not at.exception and any("cannot run Web Workers" in i.value for i in at.info)
    r = _sent(at)["result"]
    paths = np.frombuffer(base64.b64decode(r["paths"]["f32"]), np.float32).reshape(r["frames"] + 1, r["m"], 2)
    field = np.frombuffer(base64.b64decode(r["field"]["f32"]), np.float32).reshape(r["frames"] + 1, r["g"], 2)
    assert paths.shape == (demo.FRAMES + 1, demo.DISPLAY_N, 2) and field.shape[1] == demo.GRID_N ** 2
    radius = np.linalg.norm(paths[-1], axis=1)
    assert abs(np.median(radius) - 2) < 0.5  # the noise ends on the ring of radius 2
    assert "Trained on the server" in r["note"]
