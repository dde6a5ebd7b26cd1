"""The inpainting page's samplers in the visitor's browser: the exact sampler, pseudo-Gibbs, MIWAE importance sampling,
DMFA's and MFA's Gaussian conditionals and the fills for their own image and mask run in a Web Worker
(static/js/workers/inpaint.worker.js, which imports static/js/inpaint.js and one module per dgm_core twin) on the
models' ONNX graphs
(``python -m dgm_core export NAME``, static/models, served by the app), with the vendored onnxruntime-web
(static/ort). dgm_core's samplers stay the reference and the server's path.

``browser_run`` is the page's call: it draws the panel (a components-v2 component, static/js/panels/browser_inpaint.js
and ui/browser_inpaint.css)
that runs the job and shows its progress, and returns the results once the browser sends them and the server's border
(server.border) has held them to the job it sent, as the rows the server's ``run_page`` makes
(``Imputation``, scores, ``ChainTrace``), scored and diagnosed by dgm_core. An answer the border refuses is one
clause for the page (``browser_error``) and is not kept.
"""
from __future__ import annotations

import base64
import functools
import hashlib
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import streamlit as st
import torch

from dgm_core import masks, pretrained
from server import budgets
from server.manifest import BROWSER_INPAINTING
from dgm_core.demos import inpainting
from dgm_core.imputation import (ChainDiagnostics, FactorDiagnostics, FillDiagnostics, Imputation,
                                 ImportanceDiagnostics)
from dgm_core.methods import INPAINTING, inpainting_label
from dgm_core.samplers.diagnostics import chain_diagnostics
from dgm_core.samplers.flow_inpaint import FlowDiagnostics
from dgm_core.samplers.kernels import make_kernel
from server import border, widget_states
from ui import panels
from ui.imaging import COLOUR_STOPS

HERE = Path(__file__).resolve().parent
WORKER_URL = panels.worker_url("inpaint")  # relative to the page's URL, content-hashed
RUNTIME = "app/static/ort/"  # relative to the page's URL, so a base path (a proxy's prefix) is kept
# the methods the browser runs -> their model's family (None: a fill without a model), from dgm_core's registry
FAMILY = {m: INPAINTING[m].family for m in BROWSER_INPAINTING}


def _url(path: str, sha256: str) -> str:
    """A static file's URL relative to the page; the sha256 in the query makes a new export a new URL."""
    return f"app/{path}?v={sha256[:12]}"


def model_spec(name: str) -> dict | None:
    """What the worker needs of a model (its files' URLs: encoder, decoder, and a VAE's HMC gradient, with its
    decoder's law; DMFA's conditional graph; MFA's parameters), None without an export. The page asks on every
    rerun: the card is read again only when its file changes."""
    try:
        mtime = (pretrained.PRETRAINED_DIR / f"{name}.json").stat().st_mtime_ns
    except OSError:
        return None
    spec = _spec(name, mtime)
    return None if spec is None else dict(spec)  # the caller's own copy


@functools.lru_cache(maxsize=32)
def _spec(name: str, mtime: int) -> dict | None:
    try:
        card = pretrained.load_card(name)
    except pretrained.PretrainedError:
        return None
    if card.family == "flow":  # its velocity graph, which the browser integrates (python -m dgm_core export)
        entry = card.browser
        if not entry or entry.get("weights_sha256") != card.sha256:
            return None
        return {"velocity": _url(entry["onnx"], entry["sha256"]), "bytes": int(entry["bytes"])}
    entry = card.browser.get("inpaint")
    if not entry or entry.get("weights_sha256") != card.sha256:  # no export, or retrained since
        return None
    files = {part: _url(entry[part].get("onnx", entry[part].get("file")), entry[part]["sha256"])
             for part in ("encoder", "decoder", "gradient", "conditional", "params") if part in entry}
    files["bytes"] = int(entry["bytes"])
    if card.family in ("dmfa", "mfa"):
        return {**files, "nMixes": int(card.config["n_mixes"]), "nFactors": int(card.config["n_factors"])}
    return {**files,
            "latent": int(card.config["latent"]), "maskInput": bool(card.config.get("mask_input", False)),
            "likelihood": entry["likelihood"], "minScale": float(entry["min_scale"])}


def model_specs(dataset: str) -> dict[str, dict]:
    """family -> ``model_spec`` of ``f"{family}-{dataset}"``, for the families the browser has an export of."""
    specs = {f: model_spec(f"{f}-{dataset}") for f in dict.fromkeys(FAMILY.values()) if f}
    return {f: s for f, s in specs.items() if s is not None}


def browser_methods(dataset: str) -> list[str]:
    """The methods the visitor's browser can run on ``dataset`` (their model is exported, or they need none)."""
    have = model_specs(dataset)
    return [m for m, f in FAMILY.items() if f is None or f in have]


# ---- the panel -----------------------------------------------------------------------------------------------------

SETTINGS = ("steps", "chains", "burn_in", "n_samples", "n_draws", "init", "warm_start", "seed", "snapshots", "kernel",
            "flow_steps")
_panel = panels.component("dgm_browser_inpaint", "browser_inpaint", '<div class="bi"></div>')


def job_id(image: torch.Tensor, mask: torch.Tensor, methods: list[str], settings: inpainting.Settings,
           dataset: str, models: dict) -> str:
    """What identifies a run: its inputs and the models' exports."""
    h = hashlib.sha256()
    h.update(image.float().contiguous().numpy().tobytes())
    h.update(mask.bool().contiguous().numpy().tobytes())
    h.update(json.dumps([methods, [getattr(settings, f) for f in SETTINGS], dataset, models]).encode())
    return h.hexdigest()[:16]


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


def panel_data(e: border.Expected, done: bool = False) -> dict[str, Any]:
    """What the panel and its worker are sent for job ``e``: the values the border holds the answer to."""
    return {"job": e.job, "done": done, "worker": WORKER_URL, "runtime": RUNTIME, "models": dict(e.models),
            "image": typed_json(e.image, "f32"), "mask": typed_json(e.mask, "u8"), "shape": list(e.shape),
            "methods": list(e.methods), "labels": {m: INPAINTING.label(m) for m in e.methods},
            "settings": {f: getattr(e.settings, f) for f in SETTINGS}, "binary": e.binary, "track": e.track.tolist()}


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
    missing = [m for m in methods if m not in FAMILY or (FAMILY[m] is not None and FAMILY[m] not in models)]
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
    rows = _rows(answer.results, e, dataset)
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

def typed_json(a: np.ndarray, kind: str) -> dict[str, str]:
    """An array as the panel's typed JSON carries it (static/js/kit/typed_json.js): its bytes in base64, under its
    type's name;
    a decode for the browser, and a few bytes of JSON for the server to write on every rerun, not a list of numbers."""
    return {kind: base64.b64encode(np.ascontiguousarray(a, dtype=border.DTYPE[kind]).tobytes()).decode()}


def as_rows(results: list[dict], image: torch.Tensor, mask: torch.Tensor, settings: inpainting.Settings, *,
            dataset: str, track: torch.Tensor | None = None) -> list[inpainting.Row]:
    """The worker's results (as the panel sends them, or plain lists) -> (Imputation, scores, ChainTrace | None) per
    method, as ``run_page``'s rows, once the border has checked them against the job they answer (one record per
    method named, for the browser's methods on ``dataset``): border.Refused (one clause) otherwise. image: (C, H, W);
    mask: (H, W); track: the traced pixels' flat indices (the border's own, the ones the panel is sent)."""
    named = [r.get("method") for r in results if hasattr(r, "get")] if isinstance(results, list) else []
    methods = [m for m in named if m in FAMILY]
    e = border.Expected.of(image, mask, methods, settings, dataset=dataset, models=model_specs(dataset))
    if track is not None and not np.array_equal(track.numpy(), e.track):
        raise ValueError("as_rows: the traced pixels are not the ones the panel is sent")
    return _rows(border.check_results(results, e), e, dataset)


def _rows(results: list[dict[str, Any]], e: border.Expected, dataset: str) -> list[inpainting.Row]:
    """Checked records (server.border: arrays decoded, flat) -> rows: the scores are dgm_core's
    (``inpainting.score``) on the browser's mean, the chains' diagnostics dgm_core's on the browser's traces."""
    shape, settings = e.shape, e.settings
    image = torch.from_numpy(e.image).view(shape)
    mask = torch.from_numpy(e.mask).view(shape[1:])
    t = lambda a: torch.tensor(np.asarray(a), dtype=torch.float32)  # noqa: E731 - the checked arrays, copied
    rows = []
    for r in results:
        method = r["method"]
        mean, std = t(r["mean"]).view(1, *shape), t(r["std"]).view(1, *shape)
        samples = t(r["samples"]).view(1, r["n_draws"], *shape)
        trace = None
        if FAMILY[method] is None:
            diag = FillDiagnostics(**r["diagnostics"])
        elif method == "flow":
            diag = FlowDiagnostics(**r["diagnostics"])
        elif FAMILY[method] in ("dmfa", "mfa"):
            nll = r.get("cond_log_lik")
            diag = FactorDiagnostics(factors=t(r["factors"]).view(1, r["n_factors"], *shape),
                                     weights=t(r["weights"])[None], component=torch.tensor([r["component"]]),
                                     nll=None if nll is None else torch.tensor([-nll]), cond_log_lik=nll)
        elif method == "miwae":
            diag = ImportanceDiagnostics(ess=t([r["ess"]]), log_px_obs=t([r["log_px_obs"]]),
                                         log_weights=t(r["log_weights"])[None], n_samples=settings.n_samples,
                                         cond_log_lik=r.get("cond_log_lik"))
        else:
            steps, chains = settings.steps, r["chains"]
            lj = t(r["log_joint"]).view(steps, 1, chains)
            acc = torch.from_numpy(np.asarray(r["accepted"]).astype(bool)).view(steps, 1, chains)
            kernel = make_kernel(r["kernel"])
            tuned = {} if r.get("step_size") is None else {"step_size": t(r["step_size"])}
            # the traced pixels' ESS is the browser's (their traces stay there), the rest dgm_core's on the browser's
            pixels = {} if r.get("ess_pixels") is None else {
                "ess_pixels": torch.tensor([r["ess_pixels"]], dtype=torch.float64)}  # as chain_diagnostics has it
            diag = ChainDiagnostics(n_steps=steps, burn_in=settings.burn_in, log_joint=lj, accepted=acc,
                                    pixel_trace=None, exact=kernel.exact, kernel=kernel.name, kernel_label=kernel.label,
                                    cond_log_lik=r.get("cond_log_lik"), **tuned, **pixels,
                                    **chain_diagnostics(lj, acc, None, settings.burn_in, kernel.exact))
            trace = inpainting.ChainTrace(
                log_joint=lj[:, 0], accepted=acc[:, 0], score=t(r["trace"]),
                snapshot_steps=[int(k) for k in r["snapshot_steps"]],  # their pictures stay in the browser
                cond_log_lik=r.get("cond_log_lik"), label=inpainting_label(method, kernel.name))
        res = Imputation(method=method, mean=mean, samples=samples, std=std, diagnostics=diag,
                         seconds=float(r["seconds"]))
        rows.append((res, inpainting.score(res, image, mask, dataset=dataset), trace))
    return rows


def merged(methods: list[str], image: torch.Tensor, mask: torch.Tensor, *, dataset: str, settings: inpainting.Settings,
           what: str, parts: list[tuple[str, list[inpainting.Row], list[str]]], job: str = "") -> inpainting.PageRun:
    """One Run's results in the order of ``methods``, from ``parts``: (where it ran, its rows, its problems), e.g.
    ("browser", ``browser_run(...)["rows"]``, []) and ("server", a server PageRun's rows and problems); ``job``: the
    browser's job that computed its browser rows (``browser_run(...)["job"]``)."""
    out = inpainting.PageRun(dataset, image, mask, list(methods), settings, what, browser_job=job)
    found = {}
    for where, rows, problems in parts:
        out.problems += problems
        found.update({row[0].method: (where, row) for row in rows})
    for m in methods:
        if m in found:
            where, row = found[m]
            out.rows.append(row)
            out.seconds[m], out.computed_in[m] = row[0].seconds, where
            if row[2] is not None:
                out.traces[m] = row[2]
    return out


def _names(methods: list[str]) -> str:
    return ", ".join(INPAINTING[m].short or INPAINTING[m].label for m in methods)


def plan_caption(browser: list[str], server: list[str]) -> str:
    """Where Run will compute each method, before it has run here."""
    return (f"Run computes {_names(browser)} in this browser" + (f", and {_names(server)} on the server" if server
                                                                 else "") + ".")


# the runtime the worker loads (static/ort): its module and its WebAssembly
RUNTIME_BYTES = sum((HERE.parent / "static" / "ort" / f).stat().st_size
                    for f in ("ort.wasm.bundle.min.mjs", "ort-wasm-simd-threaded.wasm"))


def download_caption(dataset: str, methods: list[str]) -> str:
    """What a first Run of ``methods`` in a browser downloads: the runtime and each model's files, in one sentence."""
    specs = model_specs(dataset)
    models = sum(specs[f]["bytes"] for f in {FAMILY[m] for m in methods if FAMILY.get(m)} if f in specs)
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
