"""The server prepares itself before it answers (app.py is an st.App; ui.warmup.prepare_server is its start-up hook):
the pages' modules are loaded and the defaults a lesson opens with are computed before the first student arrives."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from streamlit.web.server.app_discovery import discover_asgi_app

from benchmarks.common import streamlit_server

ROOT = Path(__file__).resolve().parents[1]


def test_streamlit_run_serves_app_py_as_an_app_with_the_start_up_hook():
    found = discover_asgi_app(ROOT / "app.py")
    assert found.is_asgi_app and found.app_name == "app"
    import app  # as the server imports it: not as a session's script

    from ui.warmup import lifespan
    assert app.app._user_lifespan is lifespan


def test_a_fresh_server_has_loaded_the_pages_modules_before_it_answers():
    """scikit-learn is imported by the MNAR lab's and the inpainting page's modules only: loaded in the server process
    the moment its health check answers, before any session ran a page."""
    env = {**os.environ, "DGM_WARMUP": "0"}
    with streamlit_server(env) as (_, server):
        maps = Path(f"/proc/{server.pid}/maps").read_text()
    assert "/sklearn/" in maps and "/torch/" in maps


def test_prepare_server_returns_once_the_opening_defaults_are_computed():
    """The MNAR lab's opening needs no data directory (scikit-learn's breast-cancer table): it is in the shared cache
    when prepare_server returns, and so is MNIST's inpainting default where the data are. On a machine too busy to
    compute them within ``WARM_WAIT_S``, the server opens anyway at that deadline, never before."""
    # os._exit: the rest of the warm-up goes on in its daemon thread, and an interpreter ending under a running torch
    # computation can abort in torch's thread pool on a busy machine; how this process ends is not what is tested.
    code = ("import os, time; from ui import serving, warmup; t0 = time.monotonic(); warmup.prepare_server(); "
            "print(warmup._defaults_ready.is_set(), len(serving.shared().cache), time.monotonic() - t0, flush=True); "
            "os._exit(0)")
    env = {**os.environ, "DGM_WARMUP": "1"}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    ready, entries, seconds = out.stdout.split()[-3:]
    from ui.warmup import WARM_WAIT_S
    if ready != "True":  # a busy machine: the start waited its whole budget (the import time comes before it)
        assert float(seconds) >= WARM_WAIT_S, (ready, seconds)
        return
    assert int(entries) >= (2 if os.environ.get("DGM_DATA_DIR") else 1)
