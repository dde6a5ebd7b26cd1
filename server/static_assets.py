"""What the app's static files cost the server: none is compressed per request (app.py's st.App middleware).

Streamlit gzips every response it sends under ``app/static/`` as it sends it, at level 9: the browser runtime's
WebAssembly (static/ort, 14 MB) was compressed anew for every browser that fetched it, ten times the CPU of sending it
as it is, and the models' float weights (static/models) shrink by under a tenth for 40 ms a megabyte. Every student's
first Run fetches both (``bench browser_inpaint --settings-only``: first_runs, a student's first Run's server CPU).

Here the runtime's files (``PRECOMPRESSED``) are compressed once per server process, the first time a browser asks,
and every later browser that accepts gzip is sent those bytes (with their own ETag, and 304 to a revalidation); a
browser that does not accept gzip gets the file as it is. Every other file under ``app/static/`` (the models, the ES
modules: server/module_cache.py) is sent as it is, never compressed on the fly.
"""
from __future__ import annotations

import gzip
import hashlib
import threading
from pathlib import Path

import anyio.to_thread
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

STATIC = "/app/static/"  # the app's static files on its server, after any base URL (server.baseUrlPath)
ROOT = Path(__file__).resolve().parents[1] / "static"
PRECOMPRESSED = ("ort",)  # folders under static/ whose files are sent gzipped from a copy made once
TYPES = {".wasm": "application/wasm", ".mjs": "text/javascript"}  # the runtime's files, by their suffix
LEVEL = 6  # zlib's level: 9 takes twice as long for the same quarter of the WebAssembly


class StaticAssets:
    """ASGI middleware: the runtime's files gzipped once, everything else under app/static/ sent uncompressed."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._gz: dict[Path, tuple[int, bytes, str]] = {}  # file -> (its mtime, gzipped bytes, their ETag)
        self._lock = threading.Lock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or STATIC not in scope["path"]:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        path = self._precompressed(scope["path"].split(STATIC, 1)[1])
        if (path is not None and scope["method"] in ("GET", "HEAD") and "range" not in headers
                and "gzip" in headers.get("accept-encoding", "")):
            await self._send_gzipped(path, scope, headers, send)
            return
        # anything else as Streamlit sends it, but never compressed on the fly: the request no longer offers gzip
        plain = [(k, v) for k, v in scope["headers"] if k != b"accept-encoding"]
        await self.app({**scope, "headers": plain}, receive, send)

    @staticmethod
    def _precompressed(rel: str) -> Path | None:
        """The file of ``PRECOMPRESSED`` the request names, None for any other (or none)."""
        parts = rel.split("/")
        if len(parts) != 2 or parts[0] not in PRECOMPRESSED or parts[1] in ("", ".", ".."):
            return None
        path = ROOT / parts[0] / parts[1]
        return path if path.suffix in TYPES and path.is_file() else None

    def _compress(self, path: Path) -> tuple[bytes, str]:
        mtime = path.stat().st_mtime_ns
        with self._lock:  # one compression per file, however many browsers ask at once
            got = self._gz.get(path)
            if got is None or got[0] != mtime:
                body = gzip.compress(path.read_bytes(), LEVEL, mtime=0)
                got = self._gz[path] = (mtime, body, f'"gz-{hashlib.sha256(body).hexdigest()[:32]}"')
        return got[1], got[2]

    async def _send_gzipped(self, path: Path, scope: Scope, headers: Headers, send: Send) -> None:
        body, etag = await anyio.to_thread.run_sync(self._compress, path)
        out = [(b"content-type", TYPES[path.suffix].encode()), (b"etag", etag.encode()),
               (b"vary", b"Accept-Encoding"), (b"cache-control", b"no-cache")]
        asked = {t.strip().removeprefix("W/") for t in headers.get("if-none-match", "").split(",")}
        if etag in asked:
            await send({"type": "http.response.start", "status": 304, "headers": out})
            await send({"type": "http.response.body", "body": b""})
            return
        out += [(b"content-encoding", b"gzip"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": out})
        await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})
