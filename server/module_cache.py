"""The browser's ES modules are revalidated on every load (``st.App(middleware=[Middleware(RevalidateModules)])`` in
app.py), so a deploy never leaves a stale module in a visitor's browser cache.

A panel's or a worker's own URL carries its content hash (``server.manifest.module_url``), but the modules it imports
are fetched by plain relative paths (``import { chain } from '../samplers/mwg.js'``): an ES module's specifier cannot
carry its importer's query. Streamlit's static files are sent with an ETag and a Last-Modified but no Cache-Control,
so a browser may reuse a cached inner module unasked for a tenth of its age (RFC 9111's heuristic freshness) and run
yesterday's sampler beside today's panel. Under ``app/static/js/`` this middleware adds ``Cache-Control: no-cache``
(store, but ask before each use) and answers a revalidation whose ``If-None-Match`` is the file's current ETag with
``304 Not Modified`` and no body (Starlette's FileResponse, which Streamlit serves them with, always sends the file).
Everything else under ``app/static/`` (the ONNX models, the vendored runtimes) is requested by URLs that carry a hash.
"""
from __future__ import annotations

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MODULES = "/app/static/js/"  # the folder's path on the app's server, after any base URL (server.baseUrlPath)


class RevalidateModules:
    """ASGI middleware: ``no-cache`` on the modules' responses, and 304 to a revalidation of an unchanged module."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD") or MODULES not in scope["path"]:
            await self.app(scope, receive, send)
            return
        asked = Headers(scope=scope).get("if-none-match")
        unchanged = False

        async def answer(message: Message) -> None:
            nonlocal unchanged
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if message["status"] == 200:
                    headers["Cache-Control"] = "no-cache"
                    etag = headers.get("etag")
                    unchanged = asked is not None and etag is not None and _matches(asked, etag)
                if unchanged:  # the same headers but the body's
                    for name in ("content-length", "content-type", "content-encoding"):
                        del headers[name]
                    message = {**message, "status": 304}
            elif unchanged:  # the file's bytes: the browser has them
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b""}
            await send(message)

        await self.app(scope, receive, answer)


def _matches(if_none_match: str, etag: str) -> bool:
    """Whether an If-None-Match header names ``etag`` (compared weakly, as RFC 9110 has it for GET) or is "*"."""
    tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
    return "*" in tags or etag.removeprefix("W/") in tags
