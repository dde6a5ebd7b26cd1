"""The server's warm-up: at its start, each page's default views are computed into the shared cache (off with
``DGM_WARMUP=0``), read from the pages' descriptors (``ui.catalog``: their warm-up jobs), never the page files; and
the long-lived objects frozen out of the garbage collector's full passes (``freeze_long_lived``). ``lifespan`` is the
server's start-up hook (app.py).
"""
from __future__ import annotations

import ast
import asyncio
import contextlib
import gc
import importlib
import importlib.util
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qsl

from streamlit.runtime import Runtime

from server import Job, warmup
from ui import deck, serving
from ui.catalog import PAGES

_lock = threading.Lock()
_warmup: threading.Thread | None = None
_defaults_ready = threading.Event()
WARM_WAIT_S = 60.0  # the longest a server's start waits for those defaults before it opens anyway


def _step_job(page, link: dict[str, str], name: str) -> Callable[[], Job | None]:
    """``page.step_job(link)`` as a warm-up job named ``name``."""
    def make() -> Job | None:
        return page.step_job(link)
    make.__name__ = name
    return make


def _deck_views() -> list[Callable[[], Job | None]]:
    """The shared jobs of the shipped lecture decks' steps (on the pages that have them), so that a step arrives on
    its own result."""
    views, seen, by_path = [], set(), {p.url_path: p for p in PAGES}
    for name, d in deck.shipped(deck.page_files()).items():
        for k, step in enumerate(d.steps, 1):
            page = by_path[step.page]
            link = {key[len(page.prefix):]: v for key, v in parse_qsl(step.link) if key.startswith(page.prefix)}
            if page.step_job is not None and (page.url_path, *sorted(link.items())) not in seen:
                seen.add((page.url_path, *sorted(link.items())))
                views.append(_step_job(page, link, f"{page.url_path}, {name} step {k}"))
    return views


def warm_jobs() -> list[Callable[[], Job | None]]:
    """Each page's default views (its descriptor's ``warm``), in the order a class meets them (the catalog's: the
    inpainting default Run on MNIST, the page a lesson opens with, and the MNAR lab's opening re-imputation); then,
    once the server is quiet (``warmup.when_idle``: computed while a class clicks, they would slow every click), each
    page's ``warm_idle`` (the inpainting default on the other data sets, the VAE page's latent map) and the shipped
    decks' steps."""
    return [*(make for p in PAGES for make in p.warm), _defaults_done,
            *(warmup.when_idle(make) for p in PAGES for make in p.warm_idle),
            *(warmup.when_idle(view) for view in _deck_views())]


def _defaults_done() -> None:
    """The warm-up step after the defaults a lesson opens with: a server's start-up (``prepare_server``) waits for
    it."""
    _defaults_ready.set()


def freeze_long_lived() -> int:
    """Moves every object alive now (the imported modules: torch, scikit-learn, plotly, Streamlit) out of sight of the
    garbage collector's full passes -> how many objects are frozen. Streamlit runs ``gc.collect(2)`` after every
    script run (``runner.postScriptGC``); over the ~330,000 objects of those modules that pass cost about 0.25 s of
    CPU per rerun, for every student's every click (py-spy under ``bench class_load``). Objects freed by reference
    counting are freed as before; only a reference cycle among the objects alive now would stay for the life of the
    process."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


def _in_server() -> bool:
    """Whether this is a real Streamlit server (AppTest runs the pages on a mock runtime, inside pytest)."""
    return Runtime.exists() and type(Runtime.instance()) is Runtime


def _import_and_freeze() -> None:
    """The warm-up's first step: the modules imported so far (this one imports the pages' heavy calls: scikit-learn,
    the demos) frozen with the rest (``freeze_long_lived``), before the first visitors' sessions hold much."""
    if _in_server():
        freeze_long_lived()


class _QuietWarmup(logging.Filter):
    """Streamlit warns about every cached loader the warm-up thread calls (it has no page to draw a spinner on)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "dgm-warmup" not in record.getMessage()


_frozen = False


def start_warmup() -> bool:
    """Once per server process, at its start (``prepare_server``) or else from the first page run: freezes the modules
    imported so far out of the garbage collector's full passes (``freeze_long_lived``), and starts the warm-up unless
    ``DGM_WARMUP=0`` -> whether a warm-up runs."""
    global _warmup, _frozen
    with _lock:
        if not _frozen and _in_server():
            _frozen = True
            freeze_long_lived()
        if os.environ.get("DGM_WARMUP", "1") == "0":
            return False
        if _warmup is None:
            logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").addFilter(_QuietWarmup())
            _warmup = warmup.start(serving.shared(), [_import_and_freeze, *warm_jobs()])
        return True


PROJECT = ("ui", "dgm_core", "server")


def _page_modules() -> list[str]:
    """The project's modules (ui, dgm_core, server) that the page files import, read from their source."""
    root = Path(__file__).resolve().parents[1]
    names = set()
    for page in PAGES:
        for node in ast.walk(ast.parse((root / page.file).read_text())):
            ours = isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in PROJECT
            if ours:
                names.add(node.module)
                names.update(f"{node.module}.{a.name}" for a in node.names
                             if importlib.util.find_spec(node.module).submodule_search_locations)
    return sorted(names)


def prepare_server() -> list[str]:
    """What the pages import (torch, scikit-learn, plotly, the demos), imported once, then the warm-up started and
    the defaults a lesson opens with computed (at most ``WARM_WAIT_S``) -> the modules imported. ``streamlit run
    app.py`` calls it before the server answers its first request: a host shows its own "starting" screen meanwhile,
    and the first student to follow a link finds the page's modules loaded and its default view computed."""
    names = _page_modules() + ["server.jobs"]
    for name in names:
        try:
            importlib.import_module(name)
        except ImportError:  # a name imported from a module, not a module
            pass
    if start_warmup():
        _defaults_ready.wait(WARM_WAIT_S)
    return names


@contextlib.asynccontextmanager
async def lifespan(_app):  # noqa: ANN001 (st.App)
    """The server's start-up hook (``st.App(lifespan=...)``): ``prepare_server`` off the event loop."""
    await asyncio.to_thread(prepare_server)
    yield
