"""The class poll's routes on the app's own server: ``streamlit run app.py`` on loopback, requests with urllib. The
join page and its files, a whole question (open, answers, a changed answer, lock, reveal, a second round), long polls
woken by an answer and by an action, JSON refusals for bad requests, the answers kept across a restart, and the
pages still served beside the routes."""
from __future__ import annotations

import json
import os
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from streamlit.web.server.app_discovery import discover_asgi_app

from benchmarks.common import streamlit_server
from server import rooms
from server.poll import PollStore

pytestmark = pytest.mark.slow  # starts Streamlit servers
ROOT = Path(__file__).resolve().parents[1]
Q = {"id": "q1", "prompt": "Which fill will MIWAE give?", "kind": "choice", "options": ["a 3", "an 8", "a 9"],
     "model": 1}


def req(url: str, method: str = "GET", body: object = None, key: str | None = None, raw: bytes | None = None,
        ctype: str = "application/json", timeout: float = 30) -> tuple[int, dict | str, dict]:
    data = raw if raw is not None else None if body is None else json.dumps(body).encode()
    headers = {"Content-Type": ctype, **({"X-Lecturer-Key": key} if key else {})}
    r = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(r, timeout=timeout) as f:
            status, text, h = f.status, f.read().decode(), dict(f.headers)
    except urllib.error.HTTPError as e:
        status, text, h = e.code, e.read().decode(), dict(e.headers)
    return status, json.loads(text) if h.get("content-type", "").startswith("application/json") else text, h


@pytest.fixture(scope="module")
def poll_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("poll")


@pytest.fixture(scope="module")
def class_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("class")


@pytest.fixture(scope="module")
def server(poll_dir, class_dir):
    env = {**os.environ, "DGM_WARMUP": "0", "DGM_POLL_DIR": str(poll_dir), "DGM_CLASS_DIR": str(class_dir)}
    with streamlit_server(env) as (url, proc):
        yield url, proc, env


def test_app_py_mounts_the_poll_routes():
    assert discover_asgi_app(ROOT / "app.py").is_asgi_app
    import app
    from server import class_routes, poll_routes
    assert app.app._user_routes == poll_routes.ROUTES + class_routes.ROUTES


def test_the_join_page_and_its_files(server):
    url = server[0]
    for path in ("/poll/", "/poll/ABCDE", "/poll"):  # /poll redirects to /poll/
        status, text, h = req(url + path)
        assert status == 200 and h["content-type"].startswith("text/html") and 'id="join"' in text, path
        assert 'src="static/poll.js"' in text
    status, js, h = req(url + "/poll/static/poll.js")
    assert status == 200 and h["content-type"].startswith("text/javascript") and "/poll/api/" in js
    assert req(url + "/poll/static/poll.css")[2]["content-type"].startswith("text/css")
    status, out, _ = req(url + "/poll/static/index.py")
    assert status == 404 and "error" in out
    assert req(url + "/poll/static/..%2f..%2fapp.py")[0] in (400, 404)  # Streamlit refuses a traversal first


def lecture(poll_dir: Path, deck: dict | None = None) -> rooms.Lecture:
    """A lecturer's Present of ``deck`` (two home steps by default): the app opens the room in process (no request
    opens one), in the server's folder."""
    store = PollStore(poll_dir)
    try:
        return rooms.open_lecture(store, "lecture", deck or {"title": "A lecture", "steps": [
            {"page": "home", "note": "a"}, {"page": "home", "note": "b"}]})
    finally:
        store.close()


def phones(api: str, code: str, n: int) -> list[str]:
    """``n`` phones join the room -> their tokens, as the server gave them."""
    out = [req(api + f"{code}/join", "POST") for _ in range(n)]
    assert all(status == 201 for status, *_ in out)
    return [o["token"] for _, o, _ in out]


def test_a_whole_question_over_http(server, poll_dir):
    api = server[0] + "/poll/api/"
    assert req(api + "rooms", "POST")[0] == 403  # no request opens a room
    room = lecture(poll_dir)
    code, key = room.code, room.key
    assert req(api + f"{code}/questions", "POST", Q, key=key)[0] == 201
    assert req(api + f"{code}/questions/q1/open", "POST", {}, key=key)[0] == 200
    tokens = phones(api, code, 4)
    for t, v in zip(tokens, [1, 1, 0, 2]):
        status, out, _ = req(api + f"{code}/answer", "POST", {"question": "q1", "round": 1, "token": t, "value": v})
        assert status == 200 and out["message"] == "Answer received."
    req(api + f"{code}/answer", "POST", {"question": "q1", "round": 1, "token": tokens[3], "value": 1})
    status, state, h = req(api + f"{code}/state")
    assert state["question"]["answers"] == 4 and "results" not in state["question"] and key not in json.dumps(state)
    assert h["cache-control"] == "no-store"
    assert req(api + f"{code}/questions/q1/lock", "POST", {}, key=key)[0] == 200
    status, out, _ = req(api + f"{code}/answer", "POST", {"question": "q1", "round": 1, "token": tokens[0], "value": 0})
    assert status == 409 and "only while it is open" in out["error"]
    req(api + f"{code}/questions/q1/reveal", "POST", {}, key=key)
    res = req(api + f"{code}/state")[1]["question"]["results"]  # a phone sees the results once revealed
    assert res["rounds"][0]["counts"] == [1, 3, 0] and res["model"] == {"option": 1}
    q = req(api + f"{code}/questions/q1/round", "POST", {}, key=key)[1]["question"]
    assert (q["state"], q["round"]) == ("open", 2)


def open_question(api: str, poll_dir: Path) -> tuple[str, str]:
    room = lecture(poll_dir)
    req(api + f"{room.code}/questions", "POST", Q, key=room.key)
    req(api + f"{room.code}/questions/q1/open", "POST", {}, key=room.key)
    return room.code, room.key


def waited(url: str) -> tuple[list, threading.Thread]:
    got: list = []
    t = threading.Thread(target=lambda: got.append((req(url)[1], time.monotonic())))
    t.start()
    return got, t


def test_a_long_poll_answers_when_the_room_changes_and_not_before(server, poll_dir):
    api = server[0] + "/poll/api/"
    code, key = open_question(api, poll_dir)
    token = phones(api, code, 1)[0]  # joined before the polls start: a join wakes the projector's (its phone count)
    s = req(api + f"{code}/state")[1]
    # a phone waits on the state's version: an answer does not wake it, the lock does
    phone, t1 = waited(api + f"{code}/state?v={s['version']}&wait=20")
    # the projector waits on the answers' version too: an answer wakes it
    projector, t2 = waited(api + f"{code}/state?question=q1&v={s['version']}&a={s['answers_version']}&wait=20")
    time.sleep(1.0)
    assert not phone and not projector
    req(api + f"{code}/answer", "POST", {"question": "q1", "round": 1, "token": token, "value": 2})
    sent = time.monotonic()
    t2.join(20)
    assert projector and projector[0][0]["question"]["answers"] == 1
    assert projector[0][1] - sent < 1.0, "the projector's long poll took over 1 s to show the answer"
    time.sleep(0.5)
    assert not phone, "an answer woke the phones' long poll"
    req(api + f"{code}/questions/q1/lock", "POST", {}, key=key)
    sent = time.monotonic()
    t1.join(20)
    assert phone and phone[0][0]["question"]["state"] == "locked" and phone[0][1] - sent < 1.0


def test_a_long_poll_ends_with_its_wait_or_its_countdown(server, poll_dir):
    api = server[0] + "/poll/api/"
    code, key = open_question(api, poll_dir)
    v = req(api + f"{code}/state")[1]["version"]
    t0 = time.monotonic()
    assert req(api + f"{code}/state?v={v}&wait=1")[1]["version"] == v
    assert 0.9 < time.monotonic() - t0 < 5
    v = req(api + f"{code}/questions/q1/lock", "POST", {"seconds": 1.5}, key=key)[1]["version"]
    t0 = time.monotonic()
    out = req(api + f"{code}/state?v={v}&wait=20")[1]
    assert out["question"]["state"] == "locked" and 1.0 < time.monotonic() - t0 < 5


@pytest.mark.parametrize("method, path, body, kw, status", [
    ("POST", "{c}/answer", None, {"raw": b"{" * 2000}, 413),
    ("POST", "{c}/answer", None, {"raw": b'{"question": '}, 400),
    ("POST", "{c}/answer", {"question": "q1", "round": 1, "token": "{t}", "value": 7}, {}, 400),
    ("POST", "{c}/answer", {"question": "nope", "round": 1, "token": "{t}", "value": 0}, {}, 404),
    ("POST", "ZZZZZ/answer", {"question": "q1", "round": 1, "token": "{t}", "value": 0}, {}, 404),
    ("POST", "{c}/answer", {"question": "q1", "round": 1, "token": "x" * 38, "value": 0}, {}, 403),
    ("POST", "{c}/answer", {"question": "q1", "round": 1, "token": "{t}", "value": 0}, {"ctype": "text/plain"}, 415),
    ("POST", "{c}/step", {"step": 1, "shown": True}, {}, 403),
    ("POST", "{c}/questions/q1/lock", {}, {}, 403),
    ("POST", "{c}/questions/q1/lock", {}, {"key": "a-guess"}, 403),
    ("POST", "{c}/questions", {**Q, "id": "q2", "prompt": "<script>x</script>"}, {"key": True}, 400),
    ("DELETE", "{c}/state", None, {}, 405),
    ("GET", "{c}/nothing", None, {}, 404),
    ("GET", "{c}/state?v=1&wait=99", None, {}, 400),
])
def test_bad_requests_get_a_json_sentence(server, poll_dir, method, path, body, kw, status):
    api = server[0] + "/poll/api/"
    code, key = open_question(api, poll_dir)
    if kw.get("key") is True:
        kw = {**kw, "key": key}
    if isinstance(body, dict) and body.get("token") == "{t}":
        body = {**body, "token": phones(api, code, 1)[0]}
    got, out, h = req(api + path.format(c=code), method, body, **kw)
    assert got == status and h["content-type"].startswith("application/json")
    assert set(out) == {"error"} and out["error"].endswith(".")
    assert req(api + f"{code}/state", key=key)[1]["question"]["answers"] == 0


def test_answers_survive_a_restart_and_reach_a_replica(server, poll_dir):
    url, _, env = server
    code, key = open_question(url + "/poll/api/", poll_dir)
    tokens = phones(url + "/poll/api/", code, 5)
    for t in tokens:
        req(url + f"/poll/api/{code}/answer", "POST", {"question": "q1", "round": 1, "token": t, "value": 0})
    s = req(url + f"/poll/api/{code}/state")[1]
    with streamlit_server(env) as (url2, _):  # a second server on the same folder: a restart, or a replica
        # the first server's projector hears of an answer sent to the second (the file is shared)
        projector, t = waited(url + f"/poll/api/{code}/state?v={s['version']}&a={s['answers_version']}&wait=20")
        time.sleep(0.5)
        # a token the first server gave is good on the second (one secret, in the shared folder)
        req(url2 + f"/poll/api/{code}/answer", "POST", {"question": "q1", "round": 1, "token": tokens[0], "value": 2})
        sent = time.monotonic()
        t.join(20)
        assert projector and projector[0][1] - sent < 1.0 and projector[0][0]["answers_version"] > s["answers_version"]
        assert req(url2 + f"/poll/api/{code}/state", key=key)[1]["question"]["results"]["rounds"][0]["counts"] == \
            [4, 0, 1]
    assert req(url + f"/poll/api/{code}/state")[1]["question"]["answers"] == 5


def test_the_lecturers_pass_is_a_cookie_that_moves_the_step(server, poll_dir):
    api = server[0] + "/poll/api/"
    room = lecture(poll_dir)
    assert req(api + f"{room.code}/pass", "POST")[0] == 403
    assert req(api + f"{room.code}/pass", "POST", key="a-guess")[0] == 403
    status, out, h = req(api + f"{room.code}/pass", "POST", key=room.key)
    cookie = h["set-cookie"]
    assert status == 200 and out == {"room": room.code} and room.key not in json.dumps(out)
    assert cookie.startswith(f"{rooms.COOKIE}={room.pass_};") and "HttpOnly" in cookie and "SameSite=strict" in cookie
    v = req(api + f"{room.code}/state")[1]["version"]
    phone, t = waited(api + f"{room.code}/state?v={v}&wait=20")  # a phone follows the lecture
    r = urllib.request.Request(api + f"{room.code}/step", data=json.dumps({"step": 1, "shown": False}).encode(),
                               method="POST", headers={"Content-Type": "application/json",
                                                       "Cookie": cookie.split(";")[0]})
    with urllib.request.urlopen(r, timeout=30) as f:
        assert f.status == 200
    sent = time.monotonic()
    t.join(20)
    assert phone and phone[0][0]["lecture"]["step"] == 1 and phone[0][1] - sent < 1.0


def test_the_class_page_and_its_files(server, poll_dir):
    url = server[0]
    for path in ("/class/", "/class/ABCDE", "/class"):
        status, text, h = req(url + path)
        assert status == 200 and h["content-type"].startswith("text/html") and 'src="static/class.js"' in text, path
    status, js, h = req(url + "/class/static/class.js")
    assert status == 200 and h["content-type"].startswith("text/javascript") and "/poll/api/" in js
    assert req(url + "/class/static/class.css")[2]["content-type"].startswith("text/css")
    assert req(url + "/class/static/poll.js")[0] == 404
    for bad in ("/class/pictures/0123456789abcdef/0/0.png", "/class/pictures/../../0/0.png",
                "/class/pictures/0123456789abcdef/0/step.json"):
        assert req(url + bad)[0] in (400, 404), bad  # Streamlit refuses a traversal first


def test_a_steps_own_experiment_is_served_beside_its_pictures(server, poll_dir, class_dir, monkeypatch):
    from server import class_deck

    monkeypatch.setenv("DGM_CLASS_DIR", str(class_dir))
    url = server[0]
    deck = {"title": "A lecture", "steps": [{"page": "home", "note": "a"},
                                           {"page": "inpainting", "note": "b", "experiment": "inpaint"}]}
    room = lecture(poll_dir, deck)
    h = rooms.deck_hash(deck)
    steps = req(url + f"/poll/api/{room.code}/deck")[1]["steps"]
    assert [s["experiment"] for s in steps] == ["", ""]  # not written yet: no link to follow
    spec = {"kind": "inpaint", "dataset": "mnist", "shape": [1, 2, 2], "image": [0, 1, 1, 0], "methods": ["mwg"]}
    class_deck.write_experiment(h, 1, spec)
    steps = req(url + f"/poll/api/{room.code}/deck")[1]["steps"]
    assert [s["experiment"] for s in steps] == ["", f"pictures/{h}/1/experiment.json"]
    status, got, headers = req(url + f"/class/{steps[1]['experiment']}")
    assert status == 200 and got == spec and {k.lower(): v for k, v in headers.items()}["cache-control"] == "no-cache"
    assert req(url + "/class/static/experiment.js")[2]["content-type"].startswith("text/javascript")
    class_deck.write_experiment(h, 0, {**spec, "kind": "a shopping list"})  # not an experiment the page knows
    assert class_deck.experiment(h, 0) is None
    picture = class_deck.step_dir(h, 1) / "0.png"  # a step's picture: its bytes, kept by the phone for good
    for content in (b"\x89PNG one", b"\x89PNG drawn again"):  # drawn again: the new file, not the remembered one
        picture.write_bytes(content)
        with urllib.request.urlopen(f"{url}/class/pictures/{h}/1/0.png", timeout=30) as f:
            assert f.read() == content and f.headers["content-type"] == "image/png"
            assert "immutable" in f.headers["cache-control"]



def test_a_steps_pictures_come_in_one_file(server, poll_dir, class_dir, monkeypatch):
    """pictures.json: the step's pictures as data URLs in step.json's order (their very bytes), kept by the phone;
    made again when the step is drawn again; a step without pictures has none."""
    import base64

    from server import class_deck

    monkeypatch.setenv("DGM_CLASS_DIR", str(class_dir))
    url = server[0]
    deck = {"title": "Bundled", "steps": [{"page": "home", "note": "a"}, {"page": "home", "note": "b"}]}
    room = lecture(poll_dir, deck)
    h = rooms.deck_hash(deck)
    folder = class_deck.step_dir(h, 0)
    folder.mkdir(parents=True)
    (class_deck.step_dir(h, 1)).mkdir(parents=True)
    (class_deck.step_dir(h, 1) / "step.json").write_text(json.dumps({"note": "b", "pictures": []}))
    for version, pics in enumerate(([b"\x89PNG one", b"\xff\xd8 two"], [b"\x89PNG drawn again", b"\xff\xd8 2"])):
        (folder / "0.png").write_bytes(pics[0])
        (folder / "1.jpg").write_bytes(pics[1])
        (folder / "step.json").write_text(json.dumps({"note": "a", "version": version, "pictures": [
            {"file": "1.jpg", "title": "second first"}, {"file": "0.png", "title": ""}]}))
        steps = req(url + f"/poll/api/{room.code}/deck")[1]["steps"]
        assert [s["bundle"] for s in steps] == [f"pictures/{h}/0/{class_deck.BUNDLE}", ""]
        status, got, headers = req(url + f"/class/{steps[0]['bundle']}")
        assert status == 200 and "immutable" in {k.lower(): v for k, v in headers.items()}["cache-control"]
        want = [f"data:image/jpeg;base64,{base64.b64encode(pics[1]).decode()}",
                f"data:image/png;base64,{base64.b64encode(pics[0]).decode()}"]
        assert got == {"pictures": want}
    assert req(url + f"/class/pictures/{h}/1/{class_deck.BUNDLE}")[0] == 404
    assert req(url + f"/class/pictures/{h}/7/{class_deck.BUNDLE}")[0] == 404


def test_the_pages_are_still_served_beside_the_routes(server):
    url = server[0]
    assert req(url + "/_stcore/health")[1] == "ok"
    for path in ("/", "/mnar"):
        status, text, _ = req(url + path)
        assert status == 200 and "<noscript>" in text and 'id="join"' not in text, path
