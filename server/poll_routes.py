"""The class poll's routes on the app's own server (``st.App(routes=ROUTES)`` in app.py): phones never open a
Streamlit session. ``/poll/`` and ``/poll/<code>`` answer the join page (static/poll/index.html; its script and
style at /poll/static/, read from the same folder, so they need neither Streamlit's static serving nor app.py as the
main script), ``/poll/api/...`` the JSON routes of ``server.poll_api``.

The store's calls run in a worker thread (a write may wait for another replica's); a long poll of the state waits on
the event loop, not in a thread: one task per server process (``Watch``) checks every ``WATCH_S`` seconds whether the
file changed and wakes the requests whose room did, so 300 waiting phones cost one small query per change, and an
answer sent to another replica shows within a tick. An answer does not wake the phones (their state's version is
unchanged), only a long poll on the answers' count (the projector's), at most every ``COALESCE_S`` seconds.
"""
from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
import time
from functools import partial
from pathlib import Path

from anyio import to_thread
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from server import budgets as B
from server import poll_api, rooms
from server.poll import PollStore, poll_dir

FILES = Path(__file__).resolve().parents[1] / "static" / "poll"
# what /poll/static/ serves, and nothing else (poll_view.js: the class page's too)
ASSETS = {"poll.js": "text/javascript", "poll_view.js": "text/javascript", "poll.css": "text/css"}
WATCH_S = 0.1  # how often the watch asks whether the file changed (an answer, or another replica's write)
COALESCE_S = 0.5  # a long poll on the answers' count is answered at most this often: one update for a burst
NO_STORE = {"Cache-Control": "no-store"}

_stores: dict[Path, PollStore] = {}
_stores_lock = threading.Lock()


def store() -> PollStore:
    """This process's store of the folder ``DGM_POLL_DIR`` names (one per folder, made on first use)."""
    folder = poll_dir().resolve()
    with _stores_lock:
        if folder not in _stores:
            _stores[folder] = PollStore(folder)
        return _stores[folder]


class Watch:
    """Long polls waiting on rooms' versions, woken by one task per server process. Each tick it asks SQLite whether
    any connection (this process's or another replica's) has written the file since the last tick (``PRAGMA
    data_version``: microseconds, on a connection of its own, on the event loop), and only then, or when a new long
    poll has come in, reads the versions of the rooms waited on."""

    def __init__(self) -> None:
        self.waiting: dict[asyncio.Future, tuple[str, int, int | None]] = {}
        self.poke = asyncio.Event()  # read now: a presenter's action in this process
        self.task: asyncio.Task | None = None
        self.db: sqlite3.Connection | None = None
        self.seen: int | None = None  # the file's data_version when the versions were last read
        self.fresh = False  # a long poll came in since: its versions may be older than the last read

    async def wait(self, st: PollStore, code: str, v: int, a: int | None, timeout: float) -> None:
        loop = asyncio.get_running_loop()
        start, fut = loop.time(), loop.create_future()
        self.waiting[fut] = (code, v, a)
        self.fresh = True
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self._run(st))
        try:
            why = await asyncio.wait_for(fut, timeout)
        except asyncio.TimeoutError:
            return
        finally:
            self.waiting.pop(fut, None)
        if why == "answers":  # the projector's count: a burst of answers goes out as one update every COALESCE_S
            await asyncio.sleep(max(0.0, start + min(COALESCE_S, timeout) - loop.time()))

    def _changed(self, st: PollStore, codes: list[str]) -> dict[str, tuple[int, int]] | None:
        if self.db is None:
            self.db = sqlite3.connect(st.path, timeout=0.05, isolation_level=None, check_same_thread=False)
        seen = self.db.execute("PRAGMA data_version").fetchone()[0]
        if seen == self.seen and not self.fresh:
            return None
        self.seen, self.fresh = seen, False
        rows = self.db.execute(f"SELECT code, version, answers_version FROM rooms WHERE code IN "
                               f"({','.join('?' * len(codes))})", codes).fetchall()
        return {c: (v, a) for c, v, a in rows}

    async def _run(self, st: PollStore) -> None:
        while self.waiting:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self.poke.wait(), WATCH_S)
            if self.poke.is_set():
                self.poke.clear()
                self.fresh = True
            try:
                now = self._changed(st, sorted({c for c, _, _ in self.waiting.values()}))
            except sqlite3.Error:  # a busy file: the next tick reads it, or the waiters time out
                self.fresh = True
                continue
            for fut, (code, v, a) in list(self.waiting.items()) if now is not None else ():
                got = now.get(code)
                if not fut.done() and (got is None or got[0] != v):
                    fut.set_result("state")
                elif not fut.done() and a is not None and got[1] != a:
                    fut.set_result("answers")


_watches: dict[int, Watch] = {}


def watch() -> Watch:
    """The watch of the running event loop (the server has one)."""
    loop = asyncio.get_running_loop()
    if id(loop) not in _watches:
        _watches[id(loop)] = Watch()
    return _watches[id(loop)]


async def _body(request: Request, limit: int) -> bytes:
    """The request's body, read no further than one byte past ``limit`` (a larger one is refused unread)."""
    if int(request.headers.get("content-length") or 0) > limit:
        return b"x" * (limit + 1)
    out = b""
    async for chunk in request.stream():
        out += chunk
        if len(out) > limit:
            break
    return out


async def api(request: Request) -> Response:
    st = store()
    path = request.path_params["rest"]
    body = await _body(request, poll_api.body_limit(path)) if request.method == "POST" else b""
    call = partial(poll_api.handle, st, request.method, path, query=request.query_params,
                   headers={k.lower(): v for k, v in request.headers.items()}, body=body,
                   client=request.client.host if request.client else "")
    status, out = await to_thread.run_sync(call)
    if request.method == "POST" and status == 200 and path.rstrip("/").endswith("/pass"):
        return _with_pass(out)
    if request.method == "POST" and status < 300 and not path.rstrip("/").endswith(("/answer", "/join", "/run")):
        watch().poke.set()  # a presenter's action: the phones' long polls hear of it at once
    elif status == 200 and path.rstrip("/").endswith("/state"):
        v, a, wait = poll_api.long_poll(request.query_params) or (0, None, 0.0)
        end = time.monotonic() + wait
        while poll_api.unchanged(out, v, a) and (left := end - time.monotonic()) > 0:
            q = out.get("question") or {}
            if q.get("seconds_left"):  # wake when a countdown ends: the question locks then
                left = min(left, q["seconds_left"] + 0.05)
            await watch().wait(st, out["room"], v, a, left)
            status, out = await to_thread.run_sync(call)
            if status != 200 or q.get("seconds_left") and not (out.get("question") or {}).get("seconds_left"):
                break
    return JSONResponse(out, status_code=status, headers=NO_STORE)


def _with_pass(out: dict) -> Response:
    """The lecturer's pass as a cookie of this server's (HttpOnly: no page's script reads it), for the lecture's
    length; the answer's body names the room only."""
    r = JSONResponse({"room": out["room"]}, headers=NO_STORE)
    r.set_cookie(rooms.COOKIE, out["pass"], max_age=int(B.POLL_ROOM_TTL_S), path="/", httponly=True, samesite="strict")
    return r


def page_routes(prefix: str, folder: Path, assets: dict[str, str], what: str) -> tuple[list[Route], Route]:
    """A phone's static page: ``/<prefix>/`` and ``/<prefix>/<code>`` answer ``folder/index.html``, ``/<prefix>``
    redirects there, ``/<prefix>/static/<name>`` serves the files of ``assets`` (name -> type) and nothing else ->
    (the routes, the code's route: it goes after any other route under the prefix)."""
    async def page(_request: Request) -> Response:
        return HTMLResponse((folder / "index.html").read_text(), headers={"Cache-Control": "no-cache"})

    async def to_folder(_request: Request) -> Response:
        return RedirectResponse(f"{prefix}/")  # the page's links are relative to /<prefix>/

    async def asset(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in assets:
            return JSONResponse({"error": f"There is no such file of the {what}."}, status_code=404)
        return FileResponse(folder / name, media_type=assets[name], headers={"Cache-Control": "no-cache"})

    return ([Route(f"/{prefix}", to_folder, methods=["GET"]), Route(f"/{prefix}/", page, methods=["GET"]),
             Route(f"/{prefix}/static/{{name}}", asset, methods=["GET"])],
            Route(f"/{prefix}/{{code}}", page, methods=["GET"]))


_page, _code = page_routes("poll", FILES, ASSETS, "poll page")
ROUTES = [*_page, Route("/poll/api/{rest:path}", api, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),  # JSON 405s
          _code]
