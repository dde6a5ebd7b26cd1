"""The Streamlit side of dgm_core.serving: one ``Serving`` per server process (a result cache shared by every
session, one admission queue), a heavy job run from a page with its place in the queue, an estimate, a Cancel
button and a progress bar, the caption saying what this run cost on this server, and the warm-up of each page's
default view at server start (off with ``DGM_WARMUP=0``), and the long-lived objects frozen out of the garbage
collector's full passes (``freeze_long_lived``).
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
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import streamlit as st
import torch

from dgm_core import pretrained
from dgm_core.serving import Job, Outcome, Serving, Status, warmup

# dgm_core.serving.jobs (the pages' heavy calls) imports scikit-learn and every demo: imported where a job is built,
# not here, so the first page a visitor opens (every page imports this module) does not wait for it

TIME_LIMIT_S = 600.0  # per run; a longer one (thousands of steps on 64 chains) stops with a sentence
CACHE_ENTRIES, CACHE_BYTES = 64, 256 * 2**20
POLL_S = 0.5  # how often a waiting page redraws; a rerun (a click elsewhere, Cancel) is noticed at a redraw

_lock = threading.RLock()
_serving: Serving | None = None
_warmup: threading.Thread | None = None
_defaults_ready = threading.Event()
WARM_WAIT_S = 60.0  # the longest a server's start waits for those defaults before it opens anyway


def shared() -> Serving:
    """The server process's one Serving (module state: every session's script imports this module once)."""
    global _serving
    with _lock:
        if _serving is None:
            from dgm_core.serving import ResultCache
            _serving = Serving(ResultCache(CACHE_ENTRIES, CACHE_BYTES))
        return _serving


@dataclass(frozen=True)
class Ran:
    """How a shared result was obtained; session state keeps this, the value stays in the shared cache."""

    key: str  # the job's key in the cache
    seconds: float  # computing it took on this server
    computed_at: float  # time.time()
    queued: float  # seconds it waited for a slot (0 when it came from the cache)
    how: str  # "here", "joined" (another session's run of the same inputs), "cached", "mine" (cached, this session's), "warm"


def time_limit() -> float:
    """Seconds per heavy run on this server: ``DGM_TIME_LIMIT_S`` where a host sets it, else TIME_LIMIT_S."""
    return float(os.environ.get("DGM_TIME_LIMIT_S", TIME_LIMIT_S))


def _session() -> str:
    """This session's id, kept in its state (Streamlit's own session id is one fixed string under AppTest)."""
    return st.session_state.setdefault("_serving_session", uuid.uuid4().hex)


def _ran(out: Outcome, key: str, queued: float, subscriber: str) -> Ran:
    e = out.entry
    if out.computed_now:
        how = "joined" if out.joined else "here"
    elif e.owner == warmup.OWNER:
        how = "warm"
    else:
        how = "mine" if (e.owner or "").split(":")[0] == subscriber.split(":")[0] else "cached"
    return Ran(key, e.seconds, e.computed_at, queued, how)


def _ago(t: float) -> str:
    s = max(time.time() - t, 0)
    return f"{s:.0f} s" if s < 90 else f"{s / 60:.0f} min"


def caption(ran: Ran) -> str:
    """What this result cost on this server, in words: never a quiet machine's benchmark."""
    took = f"{ran.seconds:.1f} s"
    wait = f", after {ran.queued:.0f} s in the queue" if ran.queued >= 1 else ""
    return {"here": f"Computed in {took} on this server{wait}.",
            "joined": f"Shared: computed in {took} on this server for you and another session at once{wait}.",
            "cached": f"Shared: computed {_ago(ran.computed_at)} ago for another session (in {took}); shown at once.",
            "mine": f"Computed {_ago(ran.computed_at)} ago (in {took}); kept on this server, shown at once.",
            "warm": f"Shared: computed at server start, {_ago(ran.computed_at)} ago (in {took}); shown at once.",
            }[ran.how]


def _status_text(st_: Status, name: str) -> str:
    est = f", about {st_.estimate:.0f} s to go" if st_.estimate is not None else ""
    if st_.state == "queued":
        return (f"Queued: place {st_.place} for one of {shared().queue.slots} slot(s) on this server{est}. "
                "Heavy runs take turns here instead of slowing each other down." if st_.place else "Starting…")
    return f"{st_.text or name} {st_.elapsed:.0f} s{est}"


def _cancel(job_key: str, subscriber: str, pending: str | None) -> None:
    serving = shared()
    if (flight := serving.flight(job_key)) is not None:
        serving.cancel(flight, subscriber)
    if pending:
        st.session_state[pending] = False


def run(job: Job, *, key: str, cancellable: bool = True, label: str = "",
        live: Callable[[Job, Any], None] | None = None) -> tuple[Any, Ran]:
    """Run ``job`` through the shared cache and queue for the widget ``key`` of this session: shows the place in the
    queue, an estimate, a Cancel button (``cancellable``) and progress while it waits -> (value, how it ran). A rerun
    while waiting finds the same run again; asking for other inputs drops this session's wait for the old ones.
    ``live(running job, placeholder)`` draws what the running job reported so far (a live chart) at each redraw.
    Raises Stopped (cancelled, over the time limit) and the job's own errors."""
    serving, s = shared(), st.session_state
    subscriber = f"{_session()}:{key}"
    waiting = key + "_waiting"
    if (old := s.get(waiting)) and old != job.key and (flight := serving.flight(old)) is not None:
        serving.cancel(flight, subscriber)
    s[waiting] = job.key
    flight = serving.submit(job, subscriber)
    if not flight.done.is_set():
        note, bar, button, chart = st.empty(), st.empty(), st.empty(), st.empty()
        if cancellable:
            button.button("Cancel", key=key + "_cancel", on_click=_cancel,
                          args=(job.key, subscriber, key + "_pending"))
        while not flight.done.wait(POLL_S):
            status = serving.status(flight)
            if status.state == "queued":
                note.info(_status_text(status, label or job.name), icon=":material/hourglass_top:")
            else:
                note.empty()
                bar.progress(min(status.fraction, 1.0), text=_status_text(status, label or job.name))
                if live is not None:
                    live(flight.job, chart)  # the job that runs: another session's, when this one joined it
        note.empty(), bar.empty(), button.empty(), chart.empty()
    s.pop(waiting, None)
    out = serving.result(flight, subscriber)
    t = flight.ticket
    queued = (t.started - t.enqueued) if t is not None and t.started is not None else 0.0
    return out.value, _ran(out, job.key, queued, subscriber)


def models(names: list[str]) -> Callable[[str], torch.nn.Module]:
    """The shipped models ``names`` loaded now (in the page's thread, through the per-server loader) -> name ->
    model for a job's worker thread; a model that failed to load raises its PretrainedError there."""
    from ui import loaders

    got: dict[str, Any] = {}
    for name in names:
        try:
            got[name] = loaders.model(name)[0]
        except pretrained.PretrainedError as e:
            got[name] = e

    def load(name: str) -> torch.nn.Module:
        m = got[name]
        if isinstance(m, Exception):
            raise m
        return m

    return load


def inpainting_job(methods: list[str], image: torch.Tensor, mask: torch.Tensor, *, dataset: str, settings,
                   what: str = "") -> Job:
    """The inpainting page's Run as a shared job (the page and the warm-up build it alike)."""
    from dgm_core.methods import INPAINTING
    from dgm_core.serving import jobs
    from ui import loaders

    load = models([f"{INPAINTING[m].family}-{dataset}" for m in methods if INPAINTING[m].family])
    return jobs.inpainting(methods, image, mask, dataset=dataset, settings=settings, load_model=load,
                           device=loaders.device(), what=what, time_limit=time_limit())


# ---------------------------------------------------------------- warm-up
def _inpainting_default(dataset: str) -> Callable[[], Job | None]:
    def make() -> Job | None:
        from dgm_core import masks
        from dgm_core.demos.inpainting import BINARY, available_methods, default_settings
        from ui import links
        from ui.image_source import default_index, gallery_images

        spec = {k: p.default for k, p in links.inpainting().items()}
        images, generated = gallery_images(dataset)  # without a data directory: the shipped VAE's own images
        spec["idx"] = min(default_index(dataset), images.shape[0] - 1)  # each data set opens on its recorded image
        image = images[spec["idx"]]
        if BINARY[dataset]:
            image = (image > 0.5).float()  # as the page's image picker
        shape = tuple(image.shape[1:])
        mask = masks.preset(spec["preset"], shape, missing=spec["miss"] / 100, size=min(spec["size"], min(shape) - 1),
                            n=spec["nrect"], seed=spec["mseed"])
        offered = available_methods(dataset, {c.name for c in pretrained.list_cards()})
        return inpainting_job([m for m in spec["methods"] if m in offered], image, mask, dataset=dataset,
                              settings=default_settings(dataset),
                              what=f"{'generated' if generated else 'test'} image #{spec['idx']}, "
                                   f"{masks.PRESETS[spec['preset']]}")
    make.__name__ = f"inpainting {dataset}"
    return make


def _mnar_opening() -> Job | None:
    from dgm_core import data
    from dgm_core.demos import mnar as mnar_lab
    from ui import mnar_widgets as w

    d = mnar_lab.DEFAULT
    if not data.available(d["table"]):
        return None
    x = w.load_source(d["table"], None)[0]
    return w.shipped_job(mnar_lab.simulate(x, d["mechanism"], d["params"], d["seed"]))[0]


def warm_jobs() -> list[Callable[[], Job | None]]:
    """Each page's default view, in the order a class meets them: the inpainting default Run on MNIST (the page a
    lesson opens with) and the MNAR lab's opening re-imputation at once; the inpainting default on the other data
    sets once the server is quiet (``warmup.when_idle``: computed while a class clicks, they would slow every click)."""
    from dgm_core.demos.inpainting import DATASETS

    first, *rest = DATASETS
    return [_inpainting_default(first), _mnar_opening, _defaults_done,
            *(warmup.when_idle(_inpainting_default(ds)) for ds in rest)]


def _defaults_done() -> None:
    """The warm-up step after the defaults a lesson opens with: a server's start-up (``prepare_server``) waits for it."""
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
    from streamlit.runtime import Runtime
    return Runtime.exists() and type(Runtime.instance()) is Runtime


def _import_and_freeze() -> None:
    """The warm-up's first step: the modules of the pages' heavy calls (scikit-learn, the demos), imported in the
    background and frozen with the rest (``freeze_long_lived``), before the first visitors' sessions hold much."""
    from dgm_core.serving import jobs  # noqa: F401
    from ui import image_source, mnar_widgets  # noqa: F401

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
            _warmup = warmup.start(shared(), [_import_and_freeze, *warm_jobs()])
        return True


def _page_modules() -> list[str]:
    """The project's modules (ui, dgm_core) that the page files import, read from their source."""
    from ui.pages import PAGES

    root = Path(__file__).resolve().parents[1]
    names = set()
    for page in PAGES:
        for node in ast.walk(ast.parse((root / page.file).read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in ("ui", "dgm_core"):
                names.add(node.module)
                names.update(f"{node.module}.{a.name}" for a in node.names
                             if importlib.util.find_spec(node.module).submodule_search_locations)
    return sorted(names)


def prepare_server() -> list[str]:
    """What the pages import (torch, scikit-learn, plotly, the demos), imported once, then the warm-up started and
    the defaults a lesson opens with computed (at most ``WARM_WAIT_S``) -> the modules imported. ``streamlit run
    app.py`` calls it before the server answers its first request: a host shows its own "starting" screen meanwhile,
    and the first student to follow a link finds the page's modules loaded and its default view computed."""
    names = _page_modules() + ["dgm_core.serving.jobs"]
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
