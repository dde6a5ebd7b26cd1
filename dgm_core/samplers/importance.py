"""Importance-sampling imputation with a (MI)WAE (Mattei & Frellsen, "MIWAE", arXiv 1812.02633, §3): with
z_l ~ q(z | x^o), w_l ∝ p(x^o | z_l) p(z_l) / q(z_l | x^o), E[x^m | x^o] ≈ Σ_l w_l E[x^m | z_l]; multiple imputations by
resampling z_l (SIR); ESS = 1 / Σ w_l².
"""
from __future__ import annotations

import math
import time

import torch

from ..models.vae import log_standard_normal
from ..imputation import ImportanceDiagnostics, Imputation, keep_observed
from .mwg import log_q


@torch.no_grad()
def _weights_and_params(model, x: torch.Tensor, mask: torch.Tensor, n: int, generator):
    """One image. x: (1, C, H, W), mask: (1, 1|C, H, W) -> log_w: (L,), params: (L, P, C, H, W)."""
    xo = torch.where(mask, x, torch.zeros_like(x))
    mu, log_sigma = model.encode(xo, mask)  # a plain VAE sees the zero-filled image
    eps = torch.randn((n, mu.shape[-1]), generator=generator, device=x.device, dtype=x.dtype)
    z = mu + torch.exp(log_sigma) * eps
    params = model.decode(z)
    m = mask.expand_as(x).expand(n, *x.shape[1:])
    log_w = model.log_px(xo.expand(n, *x.shape[1:]), params, m) + log_standard_normal(z) - log_q(z, mu, log_sigma)
    return log_w, params


@torch.no_grad()
def importance_impute(model, x: torch.Tensor, mask: torch.Tensor, *, n_samples: int = 1000, n_draws: int = 16,
                      generator: torch.Generator | None = None) -> Imputation:
    """x: (N, C, H, W); mask: (N, 1|C, H, W) bool; n_samples: L per image; n_draws: imputations by SIR."""
    t0 = time.perf_counter()
    means, stds, draws, ess, log_px, log_ws = [], [], [], [], [], []
    bernoulli = model.cfg.likelihood == "bernoulli"
    for i in range(x.shape[0]):
        xi, mi = x[i:i + 1], mask[i:i + 1]
        log_w, params = _weights_and_params(model, xi, mi, n_samples, generator)
        w = torch.softmax(log_w, 0)
        probs = model.mean(params)  # (L, C, H, W)
        var = probs * (1 - probs) if bernoulli else torch.exp(2 * model.log_scale(params))
        wv = w.view(-1, *([1] * (probs.dim() - 1)))
        mean = (wv * probs).sum(0)
        second = (wv * (probs.pow(2) + var)).sum(0)
        idx = torch.multinomial(w, n_draws, replacement=True, generator=generator)
        # Gaussian decoder: the mean at the resampled z (per-pixel noise on top looks like snow, not a face)
        fill = (model.sample_x(params[idx], generator) if model.cfg.likelihood == "bernoulli"
                else model.mean(params[idx]))
        draws.append(torch.where(mi.expand_as(xi), xi, fill))
        means.append(mean)
        stds.append((second - mean.pow(2)).clamp_min(0).sqrt())
        ess.append(1.0 / w.pow(2).sum())
        log_px.append(torch.logsumexp(log_w, 0) - math.log(n_samples))
        log_ws.append(log_w)
    result = Imputation(
        method="miwae", mean=torch.stack(means), samples=torch.stack(draws), std=torch.stack(stds),
        diagnostics=ImportanceDiagnostics(ess=torch.stack(ess), log_px_obs=torch.stack(log_px),
                                          log_weights=torch.stack(log_ws), n_samples=n_samples),
    )
    result = keep_observed(result, x, mask)
    result.seconds = time.perf_counter() - t0
    return result


@torch.no_grad()
def conditional_log_lik(model, x: torch.Tensor, mask: torch.Tensor, *, n_samples: int = 1000,
                        generator: torch.Generator | None = None) -> torch.Tensor:
    """log p(x^m | x^o) of the true missing pixels ≈ log Σ_l w_l p(x^m | z_l) -> (N,) nats (consistent, biased at
    finite L)."""
    out = []
    for i in range(x.shape[0]):
        xi, mi = x[i:i + 1], mask[i:i + 1]
        log_w, params = _weights_and_params(model, xi, mi, n_samples, generator)
        missing = ~mi.expand_as(xi).expand(n_samples, *xi.shape[1:])
        log_pm = model.log_px(xi.expand(n_samples, *xi.shape[1:]), params, missing)
        out.append(torch.logsumexp(torch.log_softmax(log_w, 0) + log_pm, 0))
    return torch.stack(out)
