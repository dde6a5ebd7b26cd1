"""Genuine answers of the inpainting panel, built from dgm_core's own runs: each method's result as the browser's
worker (static/js/workers/inpaint.worker.js) lays it out and the panel sends it (static/js/kit/typed_json.js: typed
arrays as {dtype: base64}), for the border's tests (tests/server/test_border.py, tests/app/test_browser_border.py)."""
from __future__ import annotations

import base64
import dataclasses
import json

import numpy as np
import torch

from dgm_core import masks, pretrained
from dgm_core.demos import inpainting
from dgm_core.device import generator
from dgm_core.samplers import run_gibbs
from server import border


def typed(a: torch.Tensor | np.ndarray, kind: str) -> dict[str, str]:
    a = np.ascontiguousarray(np.asarray(a).reshape(-1), dtype=border.DTYPE[kind])
    return {kind: base64.b64encode(a.tobytes()).decode()}


def digit(dataset: str = "mnist") -> tuple[torch.Tensor, torch.Tensor]:
    """An image the shipped VAE draws (no data set needed) and the page's default mask (bottom half)."""
    vae, _ = pretrained.load(f"vae-{dataset}")
    x = vae.sample(1, generator(3))[0]
    x = (x > 0.5).float() if inpainting.BINARY[dataset] else x.clamp(0, 1)
    return x, masks.preset("bottom", tuple(x.shape[1:]))


def record(method: str, x: torch.Tensor, mask: torch.Tensor, s: inpainting.Settings, dataset: str) -> dict:
    """dgm_core's run of ``method`` on x (C, H, W) with mask (H, W), as the worker sends it."""
    family = inpainting.INPAINTING[method].family
    model = pretrained.load(f"{family}-{dataset}")[0] if family else None
    res, trace = inpainting.run_method(method, model, x, mask, dataset=dataset, settings=s, truth=x)
    d = res.diagnostics
    out = {"method": method, "mean": typed(res.mean, "f32"), "std": typed(res.std, "f32"),
           "samples": typed(res.samples, "f32"), "n_draws": int(res.samples.shape[1]), "seconds": res.seconds,
           # the worker's own scores (static/js/metrics.js): those the border knows, never the server's extras
           "scores": {k: v for k, v in inpainting.score(res, x, mask, dataset=dataset).items()
                      if k in border.SCORE_KEYS}}
    if d.cond_log_lik is not None:
        out["cond_log_lik"] = float(d.cond_log_lik)
    if trace is not None:  # the per-step traces the server summarises away: the same seeded chains again
        again = run_gibbs(model, x[None], mask.view(1, 1, *mask.shape), metropolis=method == "mwg", n_steps=s.steps,
                          chains=s.chains, burn_in=s.burn_in, seed=s.seed, init=s.init, warm_start=s.warm_start,
                          kernel=s.kernel if method == "mwg" else None)
        out.update(kernel=d.kernel, chains=s.chains, trace=trace.score.tolist(),
                   log_joint=typed(trace.log_joint, "f64"), accepted=typed(trace.accepted, "u8"),
                   ess_pixels=float(again.diagnostics.ess_pixels[0]),  # as the browser computes it from its trace
                   snapshot_steps=list(trace.snapshot_steps),
                   step_size=None if d.step_size is None else d.step_size.tolist())
    elif method == "miwae":
        out.update(ess=float(d.ess[0]), log_px_obs=float(d.log_px_obs[0]), log_weights=typed(d.log_weights, "f64"))
    elif family in ("dmfa", "mfa"):
        out.update(weights=typed(d.weights, "f32"), component=int(d.component[0]), factors=typed(d.factors, "f32"),
                   n_factors=int(d.factors.shape[1]))
    elif method == "flow_twisted":  # its ESS after each step beside its scalars, of the one image
        out["ess"] = d.ess[:, 0].tolist()
        out["diagnostics"] = {"particles": d.particles, "n_steps": d.n_steps, "tau": d.tau,
                              "ess_final": float(d.ess_final[0]), "resamples": int(d.resamples[0]),
                              "log_evidence": float(d.log_evidence[0]), "evaluations": d.evaluations,
                              "langevin": d.langevin}
    else:  # the flow's and the fills' diagnostics: a few scalars
        out["diagnostics"] = {k: v for k, v in dataclasses.asdict(d).items() if k != "cond_log_lik" and v is not None}
    return out


def answer(job: str, methods: list[str], x: torch.Tensor, mask: torch.Tensor, s: inpainting.Settings,
           dataset: str) -> dict:
    """The panel's whole answer to ``job``."""
    results = [record(m, x, mask, s, dataset) for m in methods]
    return {"job": job, "seconds": sum(r["seconds"] for r in results), "results": results}


def as_sent(msg: dict) -> dict:
    """The panel's state ``result`` for the answer ``msg`` (static/js/panels/browser_inpaint.js): its job's id, and the
    answer as one JSON text."""
    return {"job": msg.get("job") if isinstance(msg, dict) else None, "text": json.dumps(msg)}
