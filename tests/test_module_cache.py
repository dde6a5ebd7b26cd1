"""The ES modules under static/js are revalidated by the browser on every load (server.module_cache.RevalidateModules):
Streamlit's own static-file route, wrapped in the middleware as app.py wraps it, answers a module with
``Cache-Control: no-cache`` and an ETag, a revalidation of the unchanged file with 304 and no body, and one of a
changed file with the new file. tests/e2e/test_modules.py asks the running app the same."""
from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from streamlit.web.server.starlette.starlette_routes import create_app_static_serving_routes

from server.module_cache import RevalidateModules

ROOT = Path(__file__).resolve().parents[1]


def get(app, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """One GET through the ASGI app: (status, headers, body)."""
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
             "headers": [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()],
             "server": ("127.0.0.1", 80), "client": ("127.0.0.1", 1)}
    sent: list[dict] = []
    asked = []

    async def receive():  # the request, then no disconnect until the response is sent (Starlette listens for one)
        if not asked:
            asked.append(True)
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.Event().wait()

    async def send(message):
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    start = sent[0]
    body = b"".join(m.get("body", b"") for m in sent[1:])
    return start["status"], {k.decode(): v.decode() for k, v in start["headers"]}, body


@pytest.fixture
def app(tmp_path):
    """Streamlit's app-static route over a copy of static/js/kit and static/models' folder name, as app.py serves it."""
    (tmp_path / "app.py").write_text("")
    shutil.copytree(ROOT / "static" / "js" / "kit", tmp_path / "static" / "js" / "kit")
    (tmp_path / "static" / "models").mkdir()
    (tmp_path / "static" / "models" / "x.onnx").write_bytes(b"onnx")
    routes = create_app_static_serving_routes(str(tmp_path / "app.py"), None)
    return Starlette(routes=routes, middleware=[Middleware(RevalidateModules)]), tmp_path


def test_a_module_is_revalidated_and_an_unchanged_one_is_not_sent_again(app):
    app, folder = app
    status, headers, body = get(app, "/app/static/js/kit/maths.js")
    assert status == 200 and headers["cache-control"] == "no-cache" and body == (
        folder / "static/js/kit/maths.js").read_bytes()
    etag = headers["etag"]
    status, again, body = get(app, "/app/static/js/kit/maths.js", {"If-None-Match": etag})
    assert status == 304 and body == b"" and again["etag"] == etag and again["cache-control"] == "no-cache"
    assert "content-length" not in again
    assert get(app, "/app/static/js/kit/maths.js", {"If-None-Match": f'"other", W/{etag}'})[0] == 304
    assert get(app, "/app/static/js/kit/maths.js", {"If-None-Match": '"other"'})[0] == 200


def test_a_changed_module_is_sent_anew(app):
    app, folder = app
    path = folder / "static/js/kit/maths.js"
    _, headers, _ = get(app, "/app/static/js/kit/maths.js")
    path.write_text(path.read_text() + "// a deploy\n")
    os.utime(path, (path.stat().st_atime, path.stat().st_mtime + 5))
    status, new, body = get(app, "/app/static/js/kit/maths.js", {"If-None-Match": headers["etag"]})
    assert status == 200 and body.endswith(b"// a deploy\n") and new["etag"] != headers["etag"]


def test_other_static_files_and_missing_modules_are_left_as_streamlit_sends_them(app):
    app, _ = app
    status, headers, body = get(app, "/app/static/models/x.onnx")
    assert status == 200 and body == b"onnx" and "cache-control" not in headers
    assert get(app, "/app/static/models/x.onnx", {"If-None-Match": headers["etag"]})[0] == 200
    assert get(app, "/app/static/js/kit/nothing.js")[0] == 404
