"""The class poll's HTTP side, without a web framework: a request (method, the path below ``/poll/api/``, query,
headers, body, the client's address) -> an HTTP status and a JSON object. The app's server calls ``handle`` from its
routes (server/poll_routes.py); the tests call it directly. Routes (``K``: the lecturer key in the ``X-Lecturer-Key``
header; bodies are JSON objects of at most ``budgets.POLL_BODY_MAX_BYTES``, sent as ``application/json``):

    POST rooms                                     -> 201 {room, key, expires_at, join}   (the key: only here)
    GET  <code>/state[?question=&v=&a=&wait=]      -> the room (its current question, or that one) as phones see it
                                                      (with K: the results at any time)
    POST <code>/answer  {question, round, token, value}                        -> {ok, room, question, round, value}
    POST <code>/questions  K  {id, prompt, kind, options | lo, hi[, unit], model, correct, tolerance}  -> 201
    POST <code>/questions/<id>/<open|lock|reveal|round|reset>  K  [{seconds}]  -> the room's state

A state request with ``v`` (and ``a``) is a long poll: the server answers once the room's state version differs from
``v`` (or its answers' version from ``a``), or after ``wait`` seconds; ``long_poll`` reads those, and the server
does the waiting. Every refusal is a 4xx (or 503) with ``{"error": one sentence}``, and changes nothing.
"""
from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping

from server import budgets as B
from server.budgets import megabytes, shorten
from server.poll import PollStore
from server.poll_spec import PollError, check_code

KEY_HEADER = "x-lecturer-key"
ANSWER_FIELDS = {"question", "round", "token", "value"}


def _reject_constant(name: str) -> float:
    raise PollError(400, f"The body holds {name}, which is not a number JSON allows.")


def _no_duplicates(pairs: list[tuple[str, object]]) -> dict:
    out = {}
    for k, v in pairs:
        if k in out:
            raise PollError(400, f"The body names the field '{shorten(k, 20)}' twice.")
        out[k] = v
    return out


def read_body(body: bytes, headers: Mapping[str, str]) -> dict:
    """A POST's body -> its JSON object, or a PollError saying what is wrong with it."""
    if len(body) > B.POLL_BODY_MAX_BYTES:
        raise PollError(413, f"The request's body is over {megabytes(B.POLL_BODY_MAX_BYTES)}.")
    if not body.strip():
        return {}
    if headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
        raise PollError(415, "A poll request's body must be sent as application/json.")
    try:
        data = json.loads(body.decode("utf-8"), parse_constant=_reject_constant, object_pairs_hook=_no_duplicates)
    except UnicodeDecodeError:
        raise PollError(400, "The request's body is not UTF-8 text.") from None
    except (json.JSONDecodeError, RecursionError) as e:
        raise PollError(400, f"The request's body is not JSON ({getattr(e, 'msg', 'nested too deeply')}).") from None
    if not isinstance(data, dict):
        raise PollError(400, "The request's body must be a JSON object.")
    return data


def long_poll(query: Mapping[str, str]) -> tuple[int, int | None, float] | None:
    """A state request's ``v``, ``a`` and ``wait`` (seconds, at most ``budgets.POLL_WAIT_MAX_S``), or None where it
    asks for the state at once."""
    if "v" not in query:
        return None
    try:
        v = int(query["v"])
        a = int(query["a"]) if "a" in query else None
        wait = float(query.get("wait", B.POLL_WAIT_MAX_S))
    except ValueError:
        raise PollError(400, "A long poll's v and a are whole numbers and its wait a number of seconds.") from None
    if not 0 <= wait <= B.POLL_WAIT_MAX_S:
        raise PollError(400, f"A long poll waits 0 to {B.POLL_WAIT_MAX_S:g} seconds, not {shorten(query['wait'])}.")
    return v, a, wait


def unchanged(state: dict, v: int, a: int | None) -> bool:
    """Whether a long poll for versions ``v`` (state) and ``a`` (answers, None: any) should go on waiting."""
    return state["version"] == v and (a is None or state["answers_version"] == a)


def handle(store: PollStore, method: str, path: str, *, query: Mapping[str, str], headers: Mapping[str, str],
           body: bytes, client: str) -> tuple[int, dict]:
    """One request below /poll/api/ -> (HTTP status, JSON object). ``headers``' names in lower case."""
    try:
        return _route(store, method.upper(), [p for p in path.split("/") if p], query, headers, body, client)
    except PollError as e:
        return e.status, {"error": str(e)}
    except sqlite3.OperationalError:  # another writer held the file past the busy timeout, or the disk failed
        return 503, {"error": "The poll's store is busy or unavailable; send it again in a moment."}


def _route(store: PollStore, method: str, parts: list[str], query: Mapping[str, str], headers: Mapping[str, str],
           body: bytes, client: str) -> tuple[int, dict]:
    key = headers.get(KEY_HEADER)
    want = "GET" if len(parts) == 2 and parts[1] == "state" else "POST"
    known = (parts == ["rooms"] or len(parts) == 2 and parts[1] in ("state", "answer", "questions")
             or len(parts) == 4 and parts[1] == "questions")
    if not known:
        raise PollError(404, f"There is no poll route '/poll/api/{shorten('/'.join(parts))}'.")
    if method != want:
        raise PollError(405, f"This poll route takes {want} requests, not {shorten(method, 10)}.")
    data = read_body(body, headers) if method == "POST" else {}
    if parts == ["rooms"]:
        if data:
            raise PollError(400, "Opening a room takes no fields.")
        room = store.open_room(client=client)
        return 201, {"room": room.code, "key": room.key, "expires_at": room.expires_at, "join": f"/poll/{room.code}"}
    code = check_code(parts[0])
    if parts[1] == "state":
        long_poll(query)  # checked here, waited for by the server
        return 200, store.state(code, key=key, question=query.get("question"))
    if parts[1] == "answer":
        if extra := sorted(set(data) - ANSWER_FIELDS):
            raise PollError(400, f"An answer has no field '{shorten(extra[0], 20)}'.")
        if missing := sorted(ANSWER_FIELDS - set(data)):
            raise PollError(400, f"An answer needs the field '{missing[0]}'.")
        receipt = store.answer(code, data["question"], data["token"], data["value"], data["round"], client=client)
        return 200, {**receipt, "message": "Answer received."}
    if key is None:
        raise PollError(403, "Only the lecturer can do this: the request lacks the room's lecturer key.")
    if len(parts) == 2:
        return 201, store.add_question(code, key, data, client=client)
    if set(data) - {"seconds"}:
        raise PollError(400, "A presenter's action takes at most one field, 'seconds' (a lock's countdown).")
    return 200, store.act(code, key, parts[2], parts[3], seconds=data.get("seconds"), client=client)
