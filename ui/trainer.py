"""The browser's TensorFlow.js trainer, which the Critics, GAN, 2-D flow and MNAR (own table) pages start in a Web
Worker (static/js/kit/train_kit.js): the worker's module and the vendored runtime's files (their URLs from the
manifest, the runtime's content-hashed names from static/tfjs/VENDOR.json), what a browser downloads of it, and why a
browser could not train (its panel's ``fallback``)."""
from __future__ import annotations

import gzip
import json
from functools import lru_cache

import streamlit as st

from server.manifest import STATIC, module_url, static_url
from ui import panels

TFJS = STATIC / "tfjs"
WORKER_URL = panels.worker_url("toy_train")  # the Critics and GAN pages' trainer (static/js/workers)
FLOW_WORKER_URL = panels.worker_url("flow_train")  # the flow-matching page's trainer
TABLE_WORKER_URL = module_url("tabular/train.worker.js")  # own-table mode's MIWAE and not-MIWAE (server.own_table_job)
TFJS_URL = static_url("tfjs")  # relative to the page's URL, so a base path (a proxy's prefix) is kept
# what a browser loads of static/tfjs: the runtime's two scripts and one of its two WebAssembly builds
_RUNTIME = {"tf": "tf.es2017.min.js", "wasm": "tf-backend-wasm.es2017.min.js", "simd": "tfjs-backend-wasm-simd.wasm",
            "plain": "tfjs-backend-wasm.wasm"}


@lru_cache(maxsize=1)
def _vendored() -> dict[str, str]:
    return json.loads((TFJS / "VENDOR.json").read_text())["files"]


def trainer_runtime(worker: str = WORKER_URL) -> dict[str, str]:
    """What a panel's trainer starts (static/js/kit/train_kit.js): the worker's module (``worker``, WORKER_URL or
    FLOW_WORKER_URL) and the vendored TensorFlow.js files it imports (content-hashed names, tools/vendor_tfjs.py),
    their URLs relative to the page's."""
    return {"worker": worker, **{key: TFJS_URL + _vendored()[name] for key, name in _RUNTIME.items()}}


def trainer_bytes() -> int:
    """What a browser with WebAssembly SIMD downloads of TensorFlow.js, once (then its cache keeps it)."""
    return sum((TFJS / _vendored()[_RUNTIME[k]]).stat().st_size for k in ("tf", "wasm", "simd"))


@lru_cache(maxsize=1)
def trainer_loads() -> str:
    """What a browser downloads, in words: ``trainer_bytes`` and its size gzipped (the server compresses them)."""
    packed = sum(len(gzip.compress((TFJS / _vendored()[_RUNTIME[k]]).read_bytes(), 6)) for k in ("tf", "wasm", "simd"))
    return f"{trainer_bytes() / 1e6:.1f} MB, {packed / 1e6:.1f} MB compressed"


def fallback_reason(key: str) -> str | None:
    """Why the browser could not train (its panel's ``fallback`` state; None: it can, or has not said). Kept for the
    session under ``key + "_fallback"``: the panel is not drawn while the server trains, and Streamlit drops the state
    of a component that a run does not draw."""
    got = st.session_state.get(key)
    if reason := (got or {}).get("fallback") if hasattr(got, "get") else None:
        st.session_state[key + "_fallback"] = reason
    return st.session_state.get(key + "_fallback")
