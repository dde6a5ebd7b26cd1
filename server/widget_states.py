"""Widget states nested deeper than any page's are refused before Streamlit decodes them.

A browser sends every widget's value in one websocket frame (a BackMsg), components' values as JSON texts that
Streamlit decodes with Python's recursive ``json`` when the page reads them: a 100,000-deep answer raised
RecursionError inside Streamlit, and the page stopped drawing. ``BoundedWidgetStates`` (an ASGI middleware of the
app: app.py) measures each JSON value of a frame's widget states without decoding it (``server.schema.depth``) and
replaces one nested deeper than budgets.WIDGET_STATE_MAX_DEPTH by a flat record, {"refused": one sentence}, which the
panel's page shows (ui/browser_inpaint.py); the rest of the frame passes unchanged. Frames too short to nest that deep
are passed unread.
"""
from __future__ import annotations

import json
import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send
from streamlit.proto.BackMsg_pb2 import BackMsg

from . import budgets
from .schema import depth

log = logging.getLogger(__name__)
REFUSED = "refused"  # the key of the record that replaces a refused state
SAID = f"its answer was nested deeper than any genuine one ({budgets.WIDGET_STATE_MAX_DEPTH} levels)"
JSON_FIELDS = ("json_value", "json_trigger_value")


def bounded(frame: bytes) -> bytes:
    """A BackMsg frame -> the same, each widget's JSON value nested deeper than the budget replaced ({"refused":
    SAID}); the frame itself when none is (or when it is no BackMsg: Streamlit closes the connection on it)."""
    if len(frame) < 2 * budgets.WIDGET_STATE_MAX_DEPTH:  # too short to open that many brackets
        return frame
    msg = BackMsg()
    try:
        msg.ParseFromString(frame)
    except Exception:  # noqa: BLE001 - not ours to judge: Streamlit refuses it itself
        return frame
    if msg.WhichOneof("type") != "rerun_script":
        return frame
    changed = False
    for w in msg.rerun_script.widget_states.widgets:
        field = w.WhichOneof("value")
        if field in JSON_FIELDS and depth(getattr(w, field)) > budgets.WIDGET_STATE_MAX_DEPTH:
            setattr(w, field, json.dumps({REFUSED: SAID}))
            changed = True
    if not changed:
        return frame
    log.warning("a widget state nested deeper than %d levels was refused", budgets.WIDGET_STATE_MAX_DEPTH)
    return msg.SerializeToString()


class BoundedWidgetStates:
    """ASGI middleware: every websocket frame a browser sends passes through ``bounded``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket":
            await self.app(scope, receive, send)
            return

        async def checked() -> Message:
            message = await receive()
            if message["type"] == "websocket.receive" and message.get("bytes"):
                message = {**message, "bytes": bounded(message["bytes"])}
            return message

        await self.app(scope, checked, send)
