"""The presenter's poll panel (ui.poll.poll_panel) under AppTest, on the test app tests/poll_demo/app.py: the buttons
walk a question through its states, the reveal draws the class's answers beside the model's, the lecturer key stays in
the session (never in the page), and a question the store refuses is one sentence in the page."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ui import poll
from server.poll_routes import store

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
    room = app.session_state[poll.ROOM]
    code, key = room["code"], room["key"]
    assert button(app, "Open").disabled is False and button(app, "Reveal").disabled is True
    button(app, "Open").click().run()
    q = store().state(code)["question"]
    assert q["state"] == "open"
    for i, v in enumerate([1, 1, 0]):
        store().answer(code, q["id"], f"apptest-token-{i:06d}", v, 1)
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
    assert key not in page_text(app)  # the lecturer key never reaches the page


def test_a_refused_question_is_one_sentence(tmp_path, monkeypatch):
    monkeypatch.setenv("DGM_POLL_DIR", str(tmp_path))

    def script():
        from ui.poll import poll_panel
        poll_panel({"prompt": "<b>Which?</b>", "kind": "choice", "options": ["a", "b"]}, step_key="bad")

    at = AppTest.from_function(script, default_timeout=60).run()
    assert not at.exception
    assert [e.value for e in at.error] == ["The prompt may not contain HTML (a tag or an entity): '<b>Which?</b>'."]


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
