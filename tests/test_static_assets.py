"""The app's static files are never compressed per request (server.static_assets.StaticAssets), over Streamlit's own
static route and its own gzip middleware, in the order app.py's st.App stacks them: the browser runtime's WebAssembly
is sent gzipped from a copy made once (the same bytes as the file, once unzipped, and 304 to a revalidation), as it is
to a browser that does not accept gzip, and a model's weights are sent as they are, where Streamlit alone would have
compressed them on the fly."""
from __future__ import annotations

import gzip

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from streamlit.web.server.starlette.starlette_gzip_middleware import SelectiveGZipMiddleware
from streamlit.web.server.starlette.starlette_routes import create_app_static_serving_routes

from tests.test_module_cache import ROOT, get
from server.module_cache import RevalidateModules
from server.static_assets import StaticAssets

WASM = "/app/static/ort/ort-wasm-simd-threaded.wasm"
MODEL = "/app/static/models/vae-mnist-decoder.onnx"
GZIP = {"Accept-Encoding": "gzip, deflate, br"}


def stack(ours: bool) -> Starlette:
    """Streamlit's app-static route over the repository's static/, with app.py's middleware (``ours``) before
    Streamlit's gzip, as st.App orders them."""
    routes = create_app_static_serving_routes(str(ROOT / "app.py"), None)
    mine = [Middleware(StaticAssets), Middleware(RevalidateModules)] if ours else []
    return Starlette(routes=routes, middleware=[*mine, Middleware(SelectiveGZipMiddleware)])


@pytest.fixture(scope="module")
def app():
    return stack(ours=True)


def test_the_runtime_is_sent_gzipped_from_one_copy_and_revalidated(app):
    status, headers, body = get(app, WASM, GZIP)
    assert status == 200 and headers["content-encoding"] == "gzip" and headers["content-type"] == "application/wasm"
    assert gzip.decompress(body) == (ROOT / "static/ort/ort-wasm-simd-threaded.wasm").read_bytes()
    assert len(body) < 0.4 * len(gzip.decompress(body)) and headers["vary"] == "Accept-Encoding"
    again = get(app, WASM, GZIP)
    assert again[2] == body and again[1]["etag"] == headers["etag"] and headers["etag"].startswith('"gz-')  # one copy
    status, _, empty = get(app, WASM, {**GZIP, "If-None-Match": headers["etag"]})
    assert status == 304 and empty == b""


def test_a_browser_without_gzip_gets_the_runtime_as_it_is(app):
    status, headers, body = get(app, WASM, {"Accept-Encoding": "identity"})
    assert status == 200 and "content-encoding" not in headers
    assert body == (ROOT / "static/ort/ort-wasm-simd-threaded.wasm").read_bytes()


def test_the_weights_are_sent_as_they_are_where_streamlit_would_compress_them(app):
    want = (ROOT / "static/models/vae-mnist-decoder.onnx").read_bytes()
    status, headers, body = get(app, MODEL, GZIP)
    assert status == 200 and "content-encoding" not in headers and body == want
    _, alone, _ = get(stack(ours=False), MODEL, GZIP)
    assert alone.get("content-encoding") == "gzip"  # Streamlit's own gzip, which the middleware keeps out


@pytest.mark.parametrize("path", ["/app/static/ort/../models/vae-mnist-decoder.onnx", "/app/static/ort/",
                                  "/app/static/ort/LICENSE", "/app/static/ort/nothing.wasm"])
def test_only_the_runtimes_own_files_are_sent_from_the_copy(app, path):
    status, headers, _ = get(app, path, GZIP)
    assert headers.get("content-encoding") != "gzip" and not headers.get("etag", "").startswith('"gz-'), status
