"""The class poll's routes on the app's own server (``st.App(routes=ROUTES)`` in app.py): phones never open a
Streamlit session. ``/poll/`` and ``/poll/<code>`` answer the join page (static/poll/index.html; its script and
style at /poll/static/, read from the same folder, so they need neither Streamlit's static serving nor app.py as the
main script), ``/poll/api/...`` the JSON routes of ``dgm_core.serving.poll_api``.

The store's calls run in a worker thread (a write may wait for another replica's); a long poll of the state waits on
the event loop, not in a thread: one task per server process (``Watch``) reads the versions of the rooms being
waited on every ``WATCH_S`` seconds (at once after an answer or an action of this process) and wakes the requests
whose room changed, so 300 waiting phones cost one small query per tick, and an answer sent to another replica
shows within a tick.
"""
from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from functools import partial
from pathlib import Path

from anyio import to_thread
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from dgm_core import budgets as B
from dgm_core.serving import poll_api
from dgm_core.serving.poll import PollStore, poll_dir

FILES = Path(__file__).resolve().parents[1] / "static" / "poll"
ASSETS = {"poll.js": "text/javascript", "poll.css": "text/css"}  # what /poll/static/ serves, and nothing else
WATCH_S = 0.1  # how often the versions of waited-on rooms are read (a change made by another replica)
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
    """Long polls waiting on rooms' versions, woken by one loop per process."""

    def __init__(self) -> None:
        self.waiting: dict[asyncio.Future, tuple[str, int, int | None]] = {}
        self.poke = asyncio.Event()
        self.task: asyncio.Task | None = None

    async def wait(self, st: PollStore, code: str, v: int, a: int | None, timeout: float) -> None:
        fut = asyncio.get_running_loop().create_future()
        self.waiting[fut] = (code, v, a)
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self._run(st))
        try:
            await asyncio.wait_for(fut, timeout)
        except asyncio.TimeoutError:
            pass
        finally:
            self.waiting.pop(fut, None)

    async def _run(self, st: PollStore) -> None:
        while self.waiting:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self.poke.wait(), WATCH_S)
            self.poke.clear()
            codes = sorted({c for c, _, _ in self.waiting.values()})
            try:
                now = await to_thread.run_sync(st.versions, codes)
            except Exception:  # noqa: BLE001 (a busy file: the waiters time out or the next tick reads it)
                continue
            for fut, (code, v, a) in list(self.waiting.items()):
                got = now.get(code)
                if not fut.done() and (got is None or got[0] != v or (a is not None and got[1] != a)):
                    fut.set_result(None)


_watches: dict[int, Watch] = {}


def watch() -> Watch:
    """The watch of the running event loop (the server has one)."""
    loop = asyncio.get_running_loop()
    if id(loop) not in _watches:
        _watches[id(loop)] = Watch()
    return _watches[id(loop)]


async def _body(request: Request) -> bytes:
    """The request's body, read no further than one byte past the limit (a larger one is refused unread)."""
    if int(request.headers.get("content-length") or 0) > B.POLL_BODY_MAX_BYTES:
        return b"x" * (B.POLL_BODY_MAX_BYTES + 1)
    out = b""
    async for chunk in request.stream():
        out += chunk
        if len(out) > B.POLL_BODY_MAX_BYTES:
            break
    return out


async def api(request: Request) -> Response:
    st = store()
    path = request.path_params["rest"]
    body = await _body(request) if request.method == "POST" else b""
    call = partial(poll_api.handle, st, request.method, path, query=request.query_params,
                   headers={k.lower(): v for k, v in request.headers.items()}, body=body,
                   client=request.client.host if request.client else "")
    status, out = await to_thread.run_sync(call)
    if request.method == "POST" and status < 300:
        watch().poke.set()
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


async def join_page(_request: Request) -> Response:
    return HTMLResponse((FILES / "index.html").read_text(), headers={"Cache-Control": "no-cache"})


async def to_folder(_request: Request) -> Response:
    return RedirectResponse("poll/")  # the page's links are relative to /poll/


async def asset(request: Request) -> Response:
    name = request.path_params["name"]
    if name not in ASSETS:
        return JSONResponse({"error": "There is no such file of the poll page."}, status_code=404)
    return FileResponse(FILES / name, media_type=ASSETS[name], headers={"Cache-Control": "no-cache"})


ROUTES = [
    Route("/poll", to_folder, methods=["GET"]),
    Route("/poll/", join_page, methods=["GET"]),
    Route("/poll/static/{name}", asset, methods=["GET"]),
    Route("/poll/api/{rest:path}", api, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),  # 405s in JSON
    Route("/poll/{code}", join_page, methods=["GET"]),
]
