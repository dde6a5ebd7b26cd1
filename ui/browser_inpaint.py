"""The inpainting page's samplers in the visitor's browser: the exact sampler, pseudo-Gibbs, MIWAE importance sampling,
DMFA's and MFA's Gaussian conditionals and the fills for their own image and mask run in a Web Worker, the job whose
protocol is server.inpaint_job (what it is sent, the models it loads, its answer as the server's rows). dgm_core's
samplers stay the reference and the server's path.

``browser_run`` is the page's call: it draws the panel (a components-v2 component, static/js/panels/browser_inpaint.js
and ui/browser_inpaint.css)
that runs the job and shows its progress, and returns the results once the browser sends them and the server's border
(server.border) has held them to the job it sent, as the rows the server's ``run_page`` makes
(``Imputation``, scores, ``ChainTrace``), scored and diagnosed by dgm_core. An answer the border refuses is one
clause for the page (``browser_error``) and is not kept.
"""
from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import streamlit as st
import torch

from dgm_core import masks
from dgm_core.demos import inpainting
from dgm_core.methods import INPAINTING
from server import border, budgets, widget_states
from server.inpaint_job import job_id, model_bytes, model_specs, panel_data, rows_of, runnable
from ui import panels
from ui.imaging import COLOUR_STOPS

# ---- the panel -----------------------------------------------------------------------------------------------------

_panel = panels.component("dgm_browser_inpaint", "browser_inpaint", '<div class="bi"></div>')


def browser_error(key: str) -> str | None:
    """Why the browser could not run the panel ``key``'s last job, or why the server did not take its answer (None:
    it could, or has not said)."""
    s = st.session_state
    job = s.get(f"{key}__job")
    if (refused := s.get(f"{key}__refused")) and refused[0] == job:
        return refused[1]
    got = s.get(key)
    err = got.get("error") if hasattr(got, "get") else None
    if not hasattr(err, "get") or err.get("job") != job or f"{key}__expected" not in s:
        return None
    try:
        reason = border.check_error(err, s[f"{key}__expected"])
    except border.Refused as e:
        return _refuse(key, job, e)
    return re.sub(r"([\\`*_\[\]<>$~|#])", r"\\\1", reason)  # the browser's words, never Markdown (links, pictures)


SENT_KEPT = 8  # a panel's latest jobs: an answer to one of them but not the current is stale, to any other forged


def _refuse(key: str, job: str, why: border.Refused | str) -> str:
    """The panel ``key``'s answer to ``job`` not taken: dropped (nothing of it is kept), and why, in one clause."""
    said = f"the server refused its answer: {why}" if isinstance(why, border.Refused) else why
    st.session_state.pop(key, None)
    st.session_state[f"{key}__refused"] = (job, said)
    return said


def _show(key: str, e: border.Expected, done: bool = False) -> None:
    _panel(key=key, data=panel_data(e, done), default={"result": None, "error": None},
           on_result_change=lambda: None, on_error_change=lambda: None)


def browser_run(image: torch.Tensor, mask: torch.Tensor, methods: list[str], settings: inpainting.Settings, *,
                dataset: str, key: str) -> dict[str, Any] | None:
    """Run ``methods`` (of ``browser_methods(dataset)``) on image (C, H, W) in [0, 1] with mask (H, W) bool, True =
    observed, in the visitor's browser. Returns None while it runs (the panel shows how far), or if it could not,
    if its results could not fit in a message, or if the server refused its answer (``browser_error(key)`` says why);
    then, for this job, {"rows": [(Imputation, scores, ChainTrace | None)], "traces": {method: ChainTrace},
    "seconds": the browser's wall time, "job": its id (the browser keeps the chains' snapshots under it, and draws
    the film and the results' grid from its own arrays: ``fill_grid``, ui/chain_player.py)}. The answer is checked
    at the border (server.border) before anything of it is decoded or kept."""
    models = model_specs(dataset)
    missing = [m for m in methods if not runnable(m, models)]
    if missing:
        raise ValueError(f"The browser cannot run {', '.join(INPAINTING.label(m) for m in missing)} on {dataset}.")
    job = job_id(image, mask, methods, settings, dataset, models)
    e = border.Expected.of(image, mask, methods, settings, dataset=dataset, models=models, job=job)
    s = st.session_state
    s[f"{key}__job"], s[f"{key}__expected"] = job, e
    sent = s[f"{key}__sent"] = [*[j for j in s.get(f"{key}__sent", ()) if j != job], job][-SENT_KEPT:]
    if (held := s.get(f"{key}__rows")) and held[0] == job:
        _show(key, e, done=True)
        return held[1]
    if (refused := s.get(f"{key}__refused")) and refused[0] == job:
        return None
    if (need := border.budget(e)) > budgets.BROWSER_ANSWER_MAX_CHARS:
        _refuse(key, job, f"its results, up to {budgets.megabytes(need)}, would not fit in the "
                          f"{budgets.megabytes(budgets.BROWSER_ANSWER_MAX_CHARS)} a browser may send")
        return None
    got = s.get(key)
    if hasattr(got, "get") and widget_states.REFUSED in got:  # nested too deep to decode: its words are never quoted
        _refuse(key, job, border.Refused(widget_states.SAID))
        return None
    result = got.get("result") if hasattr(got, "get") else None  # {"job": its id, "text": the answer as JSON text}
    if result is None or (hasattr(result, "get") and result.get("job") in sent[:-1]):  # none yet, or the last job's
        _show(key, e)
        return None
    try:  # its text is decoded only within the job's size and a genuine answer's depth (border.read)
        answer = border.check_text(result.get("text") if hasattr(result, "get") else result, e)
    except border.Refused as err:  # the panel is not drawn again, so the browser forgets the answer too
        _refuse(key, job, err)
        return None
    _show(key, e)  # as it was: it shows the run done
    rows = rows_of(answer.results, e, dataset)
    out = {"rows": rows, "traces": {r[0].method: r[2] for r in rows if r[2] is not None}, "seconds": answer.seconds,
           "job": job}
    s[f"{key}__rows"] = (job, out)
    return out


def forget(key: str) -> None:
    """Drop what the panel ``key`` holds of its last job (its rows), once the page keeps them itself."""
    for k in ("rows", "job", "expected", "refused"):
        st.session_state.pop(f"{key}__{k}", None)


# ---- the results' pictures, drawn by the browser that computed them --------------------------------------------------

_grid = panels.component("dgm_fill_grid", "fill_grid", '<div class="fg"></div>')


def fill_grid(job: str, shape: tuple[int, ...], cells: list[tuple[str, str | None, bool, str]], vmax: float,
              caption: str, key: str) -> bool:
    """The results' grid of the browser's job ``job`` drawn by that page from its own arrays (static/js/panels/
    fill_grid.js): ``cells``, (title, method or None for the original, whether it has a spread, note), each picture
    at ``shape`` (C, H, W), the spreads on one colour scale up to ``vmax``. False if the page said it no longer holds
    the job's arrays: the caller draws the grid itself."""
    got = st.session_state.get(key)
    if hasattr(got, "get") and got.get("missing") == job:
        return False
    data = {"job": job, "shape": list(shape), "vmax": vmax, "caption": caption,
            "cells": [{"title": t, "method": m, "spread": has, "note": n} for t, m, has, n in cells],
            "stops": COLOUR_STOPS.tolist(), "tint": list(masks.OVERLAY_TINT), "alpha": masks.OVERLAY_ALPHA}
    data["id"] = hashlib.sha1(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]
    _grid(key=key, data=data, default={"missing": None}, on_missing_change=lambda: None)
    return True


# ---- the browser's results as the server's rows ----------------------------------------------------------------------

def _names(methods: list[str]) -> str:
    return ", ".join(INPAINTING[m].short or INPAINTING[m].label for m in methods)


def plan_caption(browser: list[str], server: list[str]) -> str:
    """Where Run will compute each method, before it has run here."""
    return (f"Run computes {_names(browser)} in this browser" + (f", and {_names(server)} on the server" if server
                                                                 else "") + ".")


# the runtime the worker loads (static/ort): its module and its WebAssembly
RUNTIME_BYTES = sum((Path(__file__).resolve().parents[1] / "static" / "ort" / f).stat().st_size
                    for f in ("ort.wasm.bundle.min.mjs", "ort-wasm-simd-threaded.wasm"))


def download_caption(dataset: str, methods: list[str]) -> str:
    """What a first Run of ``methods`` in a browser downloads: the runtime and each model's files, in one sentence."""
    specs = model_specs(dataset)
    models = model_bytes(methods, specs)
    return (f"Its first Run in this browser downloads about {(RUNTIME_BYTES + models) / 1e6:.0f} MB (the runtime, "
            f"{RUNTIME_BYTES / 1e6:.0f} MB, and the models); later Runs reuse what the browser has kept.")


def where_caption(results: inpainting.PageRun) -> str:
    """Where a Run's methods ran and how long each side took, in one sentence ("" if all ran on the server)."""
    browser = [m for m, w in results.computed_in.items() if w == "browser"]
    if not browser:
        return ""
    server = [m for m, w in results.computed_in.items() if w == "server"]
    took = lambda ms: sum(results.seconds.get(m, 0.0) for m in ms)  # noqa: E731
    text = f"Computed in this browser: {_names(browser)} ({took(browser):.1f} s)"
    if server:
        text += f"; on the server: {_names(server)} ({took(server):.2f} s)"
    return text + "."
