"""server.widget_states: a widget state nested deeper than budgets.WIDGET_STATE_MAX_DEPTH is replaced, before
Streamlit decodes it, by a flat record whose words are the server's; every other frame passes byte for byte; 20 frames
of 15 MB cost no memory kept."""
from __future__ import annotations

import asyncio
import json

from streamlit.proto.BackMsg_pb2 import BackMsg

from server import budgets, widget_states
from tests.server import rss_mb


def frame(*values: str, field: str = "json_value") -> bytes:
    msg = BackMsg()
    for i, v in enumerate(values):
        w = msg.rerun_script.widget_states.widgets.add()
        w.id = f"$$ID-{i}-panel"
        setattr(w, field, v)
    return msg.SerializeToString()


def states(data: bytes) -> list[str]:
    msg = BackMsg()
    msg.ParseFromString(data)
    return [getattr(w, w.WhichOneof("value")) for w in msg.rerun_script.widget_states.widgets]


DEEP = json.dumps({"result": {"job": "x", "text": "y"}})[:-2] + "[" * 100_000 + "]" * 100_000 + "}}"


def test_a_deep_state_is_replaced_and_the_others_pass():
    genuine = json.dumps({"result": {"job": "x", "text": json.dumps({"a": [[1]]})}, "error": None})
    d = budgets.WIDGET_STATE_MAX_DEPTH
    edge = "[" * d + "]" * d  # as deep as a state may be
    for field in widget_states.JSON_FIELDS:
        got = states(widget_states.bounded(frame(genuine, DEEP, edge, "[" * (d + 1) + "]" * (d + 1), field=field)))
        assert got[0] == genuine and got[2] == edge
        assert json.loads(got[1]) == json.loads(got[3]) == {widget_states.REFUSED: widget_states.SAID}
    for same in (frame(genuine, edge), frame("[" * 10**5, field="string_value"), b"not a BackMsg" * 100, b""):
        assert widget_states.bounded(same) is same  # unchanged: not even copied


def test_the_middleware_checks_every_frame_a_browser_sends():
    seen = []

    async def app(scope, receive, send):
        seen.append(await receive())

    async def receive():
        return {"type": "websocket.receive", "bytes": frame(DEEP)}

    asyncio.run(widget_states.BoundedWidgetStates(app)({"type": "websocket"}, receive, None))
    assert json.loads(states(seen[0]["bytes"])[0]) == {widget_states.REFUSED: widget_states.SAID}


def test_twenty_deep_15_mb_states_keep_no_memory():
    widget_states.bounded(frame(DEEP))
    before = rss_mb()
    for _ in range(20):
        n = 15 * 2**20
        data = frame("[" * (n // 2) + "]" * (n // 2))
        out = widget_states.bounded(data)
        assert len(out) < 200
        del data, out
    grew = rss_mb() - before
    assert grew <= 20, f"resident memory grew by {grew:.0f} MB after 20 refused 15 MB states"
