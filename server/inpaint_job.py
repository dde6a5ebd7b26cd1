"""The inpainting job the visitor's browser runs, and its protocol beside the border that checks it (server.border):
what identifies a job (``job_id``), the models the worker loads (``model_spec``: the ONNX exports' URLs and shapes),
what the panel and its worker are sent (``panel_data``: typed arrays as static/js/kit/typed_json.js reads them), and
the checked answer made into the rows the server's ``run_page`` makes (``as_rows``: ``Imputation``, scores,
``ChainTrace``, scored and diagnosed by dgm_core); ``merged`` joins the browser's rows and the server's into one Run.

The worker is static/js/workers/inpaint.worker.js (which imports static/js/inpaint.js and one module per dgm_core
twin), on the models' ONNX graphs (``python -m dgm_core export NAME``, static/models) with the vendored
onnxruntime-web (static/ort). The page's panel that starts it is ui/browser_inpaint.py.
"""
from __future__ import annotations

import functools
import hashlib
import json
from typing import Any

import numpy as np
import torch

from dgm_core import pretrained
from dgm_core.demos import inpainting
from dgm_core.imputation import (ChainDiagnostics, FactorDiagnostics, FillDiagnostics, Imputation,
                                 ImportanceDiagnostics)
from dgm_core.methods import INPAINTING, inpainting_label
from dgm_core.samplers.diagnostics import chain_diagnostics
from dgm_core.samplers.flow_inpaint import FlowDiagnostics
from dgm_core.samplers.flow_twisted import TwistedDiagnostics
from dgm_core.samplers.kernels import make_kernel

from . import border
from .manifest import BROWSER_INPAINTING, module_url, static_url
from .schema import typed

WORKER_URL = module_url("workers/inpaint.worker.js")  # relative to the page's URL, content-hashed (the manifest)
RUNTIME = static_url("ort")  # relative to the page's URL, so a base path (a proxy's prefix) is kept
# the methods the browser runs -> their model's family (None: a fill without a model), from dgm_core's registry
FAMILY = {m: INPAINTING[m].family for m in BROWSER_INPAINTING}


def _url(path: str, sha256: str) -> str:
    """A static file's URL relative to the page; the sha256 in the query makes a new export a new URL."""
    return f"app/{path}?v={sha256[:12]}"


def model_spec(name: str, *, half: bool = False) -> dict | None:
    """What the worker needs of a model (its files' URLs: encoder, decoder, and a VAE's HMC gradient, with its
    decoder's law; DMFA's conditional graph; MFA's parameters), None without an export. The page asks on every
    rerun: the card is read again only when its file changes. ``half``: the graphs with half-precision weights
    where the export wrote them (a class's phones: dgm_core.export.half_weights), else the full ones."""
    try:
        mtime = (pretrained.PRETRAINED_DIR / f"{name}.json").stat().st_mtime_ns
    except OSError:
        return None
    spec = _spec(name, mtime, half)
    return None if spec is None else dict(spec)  # the caller's own copy


@functools.lru_cache(maxsize=32)
def _spec(name: str, mtime: int, half: bool = False) -> dict | None:
    try:
        card = pretrained.load_card(name)
    except pretrained.PretrainedError:
        return None
    if card.family == "flow":  # its velocity graph, which the browser integrates (python -m dgm_core export), and
        entry = card.browser  # the twisted particle filter's graph (its terms and their gradient), where exported
        if not entry or entry.get("weights_sha256") != card.sha256:
            return None
        twist = entry.get("twist")
        return {"velocity": _url(entry["onnx"], entry["sha256"]), "bytes": int(entry["bytes"]),
                **({"twist": _url(twist["onnx"], twist["sha256"]), "twistBytes": int(twist["bytes"])} if twist else {})}
    entry = card.browser.get("inpaint")
    if not entry or entry.get("weights_sha256") != card.sha256:  # no export, or retrained since
        return None
    graphs = entry["half"] if half and "half" in entry else entry
    files = {part: _url(graphs[part].get("onnx", graphs[part].get("file")), graphs[part]["sha256"])
             for part in ("encoder", "decoder", "gradient", "conditional", "params") if part in graphs}
    files["bytes"] = int(graphs["bytes"])
    if card.family in ("dmfa", "mfa"):
        return {**files, "nMixes": int(card.config["n_mixes"]), "nFactors": int(card.config["n_factors"])}
    return {**files,
            "latent": int(card.config["latent"]), "maskInput": bool(card.config.get("mask_input", False)),
            "likelihood": entry["likelihood"], "minScale": float(entry["min_scale"])}


def model_specs(dataset: str) -> dict[str, dict]:
    """family -> ``model_spec`` of ``f"{family}-{dataset}"``, for the families the browser has an export of."""
    specs = {f: model_spec(f"{f}-{dataset}") for f in dict.fromkeys(FAMILY.values()) if f}
    return {f: s for f, s in specs.items() if s is not None}


# the methods that need one graph of their family's export rather than all of it: the file's key in the model's spec
# and the key of its size
FILE = {"flow": ("velocity", "bytes"), "flow_twisted": ("twist", "twistBytes")}


def runnable(method: str, specs: dict[str, dict]) -> bool:
    """Whether the browser can run ``method`` with the models' exports ``specs`` (``model_specs``)."""
    if method not in FAMILY:
        return False
    f = FAMILY[method]
    return f is None or (f in specs and (method not in FILE or FILE[method][0] in specs[f]))


def model_bytes(methods: list[str], specs: dict[str, dict]) -> int:
    """The bytes of the models' files a Run of ``methods`` loads."""
    files = {(FAMILY[m], FILE.get(m, (None, "bytes"))[1]) for m in methods if FAMILY.get(m) in specs}
    return sum(int(specs[f][size]) for f, size in files)


def browser_methods(dataset: str) -> list[str]:
    """The methods the visitor's browser can run on ``dataset`` (their model is exported, or they need none)."""
    have = model_specs(dataset)
    return [m for m in FAMILY if runnable(m, have)]


# the fields of inpainting.Settings the worker reads (and a job's id digests)
SETTINGS = ("steps", "chains", "burn_in", "n_samples", "n_draws", "init", "warm_start", "seed", "snapshots", "kernel",
            "flow_steps", "particles", "langevin")


def job_id(image: torch.Tensor, mask: torch.Tensor, methods: list[str], settings: inpainting.Settings,
           dataset: str, models: dict) -> str:
    """What identifies a run: its inputs and the models' exports."""
    h = hashlib.sha256()
    h.update(image.float().contiguous().numpy().tobytes())
    h.update(mask.bool().contiguous().numpy().tobytes())
    h.update(json.dumps([methods, [getattr(settings, f) for f in SETTINGS], dataset, models]).encode())
    return h.hexdigest()[:16]


def panel_data(e: border.Expected, done: bool = False) -> dict[str, Any]:
    """What the panel and its worker are sent for job ``e``: the values the border holds the answer to."""
    return {"job": e.job, "done": done, "worker": WORKER_URL, "runtime": RUNTIME, "models": dict(e.models),
            "image": typed(e.image, "f32"), "mask": typed(e.mask, "u8"), "shape": list(e.shape),
            "methods": list(e.methods), "labels": {m: INPAINTING.label(m) for m in e.methods},
            "settings": {f: getattr(e.settings, f) for f in SETTINGS}, "binary": e.binary, "track": e.track.tolist()}


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
    return rows_of(border.check_results(results, e), e, dataset)


def rows_of(results: list[dict[str, Any]], e: border.Expected, dataset: str) -> list[inpainting.Row]:
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
        elif method == "flow_twisted":  # one image: dgm_core's (K, N) and (N,) with N = 1
            d = r["diagnostics"]
            diag = TwistedDiagnostics(
                ess=t(r["ess"])[:, None], ess_final=t([d["ess_final"]]), resamples=torch.tensor([d["resamples"]]),
                log_evidence=t([d["log_evidence"]]),
                **{k: d[k] for k in ("particles", "n_steps", "tau", "evaluations", "langevin")})
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
