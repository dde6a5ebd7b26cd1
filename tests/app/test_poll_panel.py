"""The presenter's poll panel (ui.poll.poll_panel) under AppTest, on the test app tests/poll_demo/app.py: the buttons
walk a question through its states, the reveal draws the class's answers beside the model's, the lecturer key stays in
the session (never in the page), and a question the store refuses is one sentence in the page."""
from __future__ import annotations

import json
import socket
from pathlib import Path
from urllib.parse import urlparse

import pytest
from streamlit.testing.v1 import AppTest

from server import rooms
from server.poll_routes import store
from ui import lecture, poll

DEMO = str(Path(__file__).resolve().parents[1] / "poll_demo" / "app.py")


@pytest.fixture
def app(tmp_path, monkeypatch):
    monkeypatch.setenv("DGM_POLL_DIR", str(tmp_path))
    at = AppTest.from_file(DEMO, default_timeout=60)
    at.run()
    assert not at.exception
    return at


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def page_text(at: AppTest) -> str:
    return json.dumps([str(e.value) if hasattr(e, "value") else "" for e in at.main], default=str) + \
        json.dumps([m.value for m in at.markdown] + [c.value for c in at.caption])


def test_the_buttons_walk_a_question_to_its_reveal(app):
    lec = rooms.resume(store(), app.session_state[lecture.PASS])
    code, key = lec.code, lec.key
    assert button(app, "Open").disabled is False and button(app, "Reveal").disabled is True
    button(app, "Open").click().run()
    q = store().state(code)["question"]
    assert q["state"] == "open"
    for v in [1, 1, 0]:
        store().answer(code, q["id"], store().join(code)["token"], v, 1)
    app.number_input[0].set_value(0).run()
    button(app, "Lock").click().run()
    assert store().state(code)["question"]["state"] == "locked"
    assert any("discuss with your neighbour" in i.value for i in app.info)  # 2 of 3 agree with the model
    button(app, "Reveal").click().run()
    assert not app.exception and store().state(code)["question"]["state"] == "revealed"
    chart = app.get("plotly_chart")[0]
    traces = json.loads(chart.proto.spec)["data"]
    assert [t["name"] for t in traces] == ["class, round 1 (3)", "the model"]
    assert traces[1]["y"] == [0.15, 0.6, 0.2, 0.05]
    button(app, "Second round").click().run()
    assert store().state(code, key=key)["question"]["round"] == 2
    # the lecturer key reaches the page only in the lecturer's own link, folded away
    assert key not in page_text(app).replace(lecture.presenter_link(lec), "")
    assert [c.value for c in app.code] == [lecture.presenter_link(lec)]


def join_panel(at: AppTest) -> dict:
    """The join panel's data: the room's code, the join link and its QR code."""
    (panel,) = [c for c in at.get("bidi_component") if c.proto.component_name == "dgm_poll_live"]
    return json.loads(panel.proto.json)


def test_opened_on_localhost_the_join_link_is_this_computers_address_on_its_network(tmp_path, monkeypatch):
    monkeypatch.setenv("DGM_POLL_DIR", str(tmp_path))
    monkeypatch.delenv("DGM_POLL_URL", raising=False)
    at = AppTest.from_file(DEMO, default_timeout=60).run()  # the test's browser opened the app on localhost
    assert not at.exception
    host = urlparse(join_panel(at)["url"]).hostname
    said = " ".join([c.value for c in at.caption] + [w.value for w in at.warning])
    if lecture.lan_address() is None:  # a computer on no network: the warning names the setting
        assert lecture.is_local(host) and "Phones cannot open a localhost link" in said and "DGM_POLL_URL" in said
        return
    assert not lecture.is_local(host) and host != "localhost"
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))  # an address of this computer: binding any other fails
    assert "this computer's network" in said and "DGM_POLL_URL" in said


def test_the_public_address_setting_is_the_join_link(tmp_path, monkeypatch):
    monkeypatch.setenv("DGM_POLL_DIR", str(tmp_path))
    monkeypatch.setenv("DGM_POLL_URL", "https://lab.example.org/")
    at = AppTest.from_file(DEMO, default_timeout=60).run()
    assert not at.exception
    data = join_panel(at)
    assert data["url"] == f"https://lab.example.org/class/{data['code']}"
    assert not at.warning and not any("localhost" in c.value for c in at.caption)


def test_a_refused_question_is_one_sentence(tmp_path, monkeypatch):
    monkeypatch.setenv("DGM_POLL_DIR", str(tmp_path))

    def script():
        import streamlit as st

        from server import rooms
        from server.poll_routes import store
        from ui.lecture import PASS
        from ui.poll import poll_panel
        st.session_state[PASS] = rooms.open_lecture(store(), "t", {"title": "t", "steps": [{"page": "home"}]}).pass_
        poll_panel({"prompt": "<b>Which?</b>", "kind": "choice", "options": ["a", "b"]}, step_key="bad")

    at = AppTest.from_function(script, default_timeout=60).run()
    assert not at.exception
    assert [e.value for e in at.error] == ["The prompt may not contain HTML (a tag or an entity): '<b>Which?</b>'."]


def test_without_the_lecturers_pass_no_control_is_drawn(tmp_path, monkeypatch):
    monkeypatch.setenv("DGM_POLL_DIR", str(tmp_path))

    def script():
        from ui.poll import poll_panel
        poll_panel({"prompt": "Which?", "kind": "choice", "options": ["a", "b"]}, step_key="a")

    at = AppTest.from_function(script, default_timeout=60).run()
    assert not at.exception and not at.button and not at.code
    assert any("Only the lecturer's browser" in i.value for i in at.info)
    with store()._tx(write=False) as db:
        assert db.execute("SELECT COUNT(*) FROM rooms").fetchone()[0] == 0  # no room made


def test_a_question_dict_becomes_the_stores_question():
    spec = poll.to_spec({"prompt": "p?", "kind": "choice", "options": ["x", "y", "z"],
                         "model_answer": {"y": 0.7, "z": 0.3}, "correct": "z"}, "s-1")
    assert spec["model"] == [0.0, 0.7, 0.3] and spec["correct"] == 2
    by_text = poll.to_spec({"prompt": "p?", "kind": "choice", "options": ["x", "y"], "model_answer": "y"}, "s")
    assert by_text["model"] == 1
    n = poll.to_spec({"prompt": "p?", "kind": "number", "lo": 0, "hi": 10, "model_answer": 4.5}, "s")
    assert (n["lo"], n["hi"], n["model"]) == (0, 10, 4.5)
    a, b = (poll.question_id({"prompt": p}, "lecture.json#3 step") for p in ("one?", "two?"))
    assert a != b and a.startswith("lecture.json-3-step-")  # an edited question is a new question


def test_a_countdown_typed_is_kept_when_the_lecture_moves_on_and_back(app):
    """The lecturer types 25, → moves to another step's poll, ← comes back: 25 is still there."""
    box = next(n for n in app.number_input if n.label == "after (s)")
    box.set_value(25).run()
    app.query_params["q"] = "number"
    app.run()
    assert next(n for n in app.number_input if n.label == "after (s)").value != 25  # another step's own
    app.query_params["q"] = "choice"
    app.run()
    assert not app.exception and next(n for n in app.number_input if n.label == "after (s)").value == 25
