"""The class poll's HTTP side, without a web framework: a request (method, the path below ``/poll/api/``, query,
headers, body, the client's address) -> an HTTP status and a JSON object. The app's server calls ``handle`` from its
routes (server/poll_routes.py); the tests call it directly. Routes (``K``: the lecturer key in the ``X-Lecturer-Key``
header, or the lecturer's pass in the ``dgm_lecture`` cookie, server.rooms; bodies are JSON objects of at most
``budgets.POLL_BODY_MAX_BYTES``, sent as ``application/json``):

    POST rooms                                     -> 403: a room is opened by a lecturer's Present in the app
    POST <code>/join                               -> 201 {room, token}: a phone's token, signed (server.tokens)
    GET  <code>/state[?question=&v=&a=&wait=&token=] -> the room (its current question, or that one) as phones see it
                                                      (with K: the results at any time; with a phone's token, its
                                                      own answers; a lecture's room: its step, ``lecture``)
    GET  <code>/deck                               -> a lecture's deck as the class page shows it (server.class_deck)
    POST <code>/answer  {question, round, token, value}                        -> {ok, room, question, round, value}
    POST <code>/run  {token, step, mask, fills}    -> {scores, runs, message}: a phone's run of the step's experiment
                                                      (server.class_runs; a body of at most POLL_RUN_MAX_BYTES)
    GET  <code>/runs?step=k                        -> the class's runs on step k, pooled (class_runs.pooled)
    POST <code>/step  K  {step, shown}             -> a lecture's room moves to the step (0-based) and its stage
    POST <code>/pass  K                            -> {room, pass}: the server sets the lecturer's cookie
    POST <code>/questions  K  {id, prompt, kind, options | lo, hi[, unit], model, correct, tolerance}  -> 201
    POST <code>/questions/<id>/<open|lock|reveal|round|reset>  K  [{seconds}]  -> the room's state

A state request with ``v`` (and ``a``) is a long poll: the server answers once the room's state version differs from
``v`` (or its answers' version from ``a``), or after ``wait`` seconds; ``long_poll`` reads those, and the server
does the waiting. Every refusal is a 4xx (or 503) with ``{"error": one sentence}``, and changes nothing. An
address that named rooms that do not exist too often (``budgets.POLL_MISS_RATE``) is answered 429 for any room a
while, before the look-up.
"""
from __future__ import annotations

import json
import sqlite3
from http.cookies import CookieError, SimpleCookie
from collections.abc import Mapping

from server import budgets as B
from server import class_deck, class_runs, rooms
from server.budgets import megabytes, shorten
from server.poll import PollStore
from server.poll_spec import NoRoom, PollError, check_code

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


def body_limit(path: str) -> int:
    """The most bytes a POST's body to ``path`` (below /poll/api/) may hold: a run's, or any other request's."""
    return B.POLL_RUN_MAX_BYTES if path.rstrip("/").endswith("/run") else B.POLL_BODY_MAX_BYTES


def read_body(body: bytes, headers: Mapping[str, str], limit: int = B.POLL_BODY_MAX_BYTES) -> dict:
    """A POST's body -> its JSON object, or a PollError saying what is wrong with it."""
    if len(body) > limit:
        raise PollError(413, f"The request's body is over {megabytes(limit)}.")
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


def lecturer_key(code: str, headers: Mapping[str, str]) -> str | None:
    """The lecturer key a request carries for room ``code``: its X-Lecturer-Key header, else the key of the pass in
    its cookie where that pass is for this room."""
    if (key := headers.get(KEY_HEADER)) is not None:
        return key
    jar = SimpleCookie()
    try:
        jar.load(headers.get("cookie", ""))
    except CookieError:
        return None
    got = rooms.split_pass(jar[rooms.COOKIE].value) if rooms.COOKIE in jar else None
    return got[1] if got and got[0] == code else None


def unchanged(state: dict, v: int, a: int | None) -> bool:
    """Whether a long poll for versions ``v`` (state) and ``a`` (answers, None: any) should go on waiting."""
    return state["version"] == v and (a is None or state["answers_version"] == a)


def handle(store: PollStore, method: str, path: str, *, query: Mapping[str, str], headers: Mapping[str, str],
           body: bytes, client: str) -> tuple[int, dict]:
    """One request below /poll/api/ -> (HTTP status, JSON object). ``headers``' names in lower case."""
    parts = [p for p in path.split("/") if p]
    try:
        if client and parts != ["rooms"] and not store.limits["miss"].ok(client):
            raise PollError(429, "This address named too many rooms that do not exist; wait a minute.")
        return _route(store, method.upper(), parts, query, headers, body, client)
    except PollError as e:
        if isinstance(e, NoRoom) and client:
            store.limits["miss"].take(client)
        return e.status, {"error": str(e)}
    except sqlite3.OperationalError:  # another writer held the file past the busy timeout, or the disk failed
        return 503, {"error": "The poll's store is busy or unavailable; send it again in a moment."}


def _route(store: PollStore, method: str, parts: list[str], query: Mapping[str, str], headers: Mapping[str, str],
           body: bytes, client: str) -> tuple[int, dict]:
    want = "GET" if len(parts) == 2 and parts[1] in ("state", "deck", "runs") else "POST"
    known = (parts == ["rooms"] or len(parts) == 2 and parts[1] in ("state", "deck", "runs", "answer", "run",
                                                                     "questions", "join", "step", "pass")
             or len(parts) == 4 and parts[1] == "questions")
    if not known:
        raise PollError(404, f"There is no poll route '/poll/api/{shorten('/'.join(parts))}'.")
    if method != want:
        raise PollError(405, f"This poll route takes {want} requests, not {shorten(method, 10)}.")
    data = read_body(body, headers, body_limit("/".join(parts))) if method == "POST" else {}
    if parts == ["rooms"]:
        raise PollError(403, "A room is opened by a lecturer's Present in the app, not by a request.")
    code = check_code(parts[0])
    key = lecturer_key(code, headers)
    if parts[1] == "state":
        long_poll(query)  # checked here, waited for by the server
        out = store.state(code, key=key, question=query.get("question"), token=query.get("token"))
        return 200, {**out, "lecture": rooms.where(store, code)}
    if parts[1] == "deck":
        return 200, class_deck.public(*rooms.deck_of(store, code))
    if parts[1] == "runs":
        try:
            step = int(query.get("step", ""))
        except ValueError:
            raise PollError(400, "The runs of a step are asked for as runs?step=k, k a whole number.") from None
        return 200, class_runs.pooled(store, code, step)
    if parts[1] == "run":
        return 200, {**class_runs.submit(store, code, data, client=client), "message": "Run received."}
    if parts[1] == "join":
        if data:
            raise PollError(400, "Joining a room takes no fields.")
        return 201, store.join(code, client=client)
    if parts[1] == "answer":
        if extra := sorted(set(data) - ANSWER_FIELDS):
            raise PollError(400, f"An answer has no field '{shorten(extra[0], 20)}'.")
        if missing := sorted(ANSWER_FIELDS - set(data)):
            raise PollError(400, f"An answer needs the field '{missing[0]}'.")
        receipt = store.answer(code, data["question"], data["token"], data["value"], data["round"], client=client)
        return 200, {**receipt, "message": "Answer received."}
    if key is None:
        raise PollError(403, "Only the lecturer can do this: the request lacks the room's lecturer key.")
    if parts[1] == "pass":
        store.state(code, key=key)  # 403 for a wrong key
        return 200, {"room": code, "pass": f"{code}.{key}"}
    if parts[1] == "step":
        if set(data) != {"step", "shown"}:
            raise PollError(400, "A step's move takes two fields: 'step' (0-based) and 'shown' (true or false).")
        return 200, rooms.move(store, code, key, data["step"], data["shown"], client=client)
    if len(parts) == 2:
        return 201, store.add_question(code, key, data, client=client)
    if set(data) - {"seconds"}:
        raise PollError(400, "A presenter's action takes at most one field, 'seconds' (a lock's countdown).")
    return 200, store.act(code, key, parts[2], parts[3], seconds=data.get("seconds"), client=client)
