"""A twisted particle filter along a flow-matching model's path: Twisted Diffusion Sampling (Wu, Trippe, Naesseth,
Blei & Cunningham, "Practical and Asymptotically Exact Conditional Sampling in Diffusion Models", NeurIPS 2023,
arXiv 2306.17775) carried over to the linear path of rectified flow, on the same model chain as
``dgm_core.samplers.flow_smc`` (read its docstring first: the chain, its bridge steps and its pixel noise τ).

Idea in one sentence: weigh every particle, at every step, by how well the network's own guess of the finished image
x̂_1(x_t) already matches the observed pixels, and push each particle's step up the gradient of that match, so that
the weights stay even where the untwisted filter's collapse; the weights correct for the push, so the particles
still target the chain's own conditional p(x_1^m | x_1^o = y) as their number grows.

The twisting potentials. On the path x_t = t x_1 + (1 - t) x_0, x̂_1(x_t) = x_t + (1 - t) v(x_t, t) is the
network's estimate of E[x_1 | x_t]; the potential is p̃_t(y | x_t) = N(y; x̂_1^o(x_t), (r_t^2 + τ^2) I) on the
observed pixels o, with r_t^2 = (1 - t)^2 / (t^2 + (1 - t)^2) the variance of x_1 given x_t when x_1 ~ N(0, I) (so
1 at t = 0 and 0 at t = 1, where the potential is the chain's own N(y; x̂_1^o, τ^2)).

The filter (K steps on the grid t_k = k / K, P particles; y the observed image on the model's scale [-1, 1]):
x_{t_0} ~ N(0, I), weights p̃_0(y | x_{t_0}). Step k < K, from s = t_{k-1} to t = t_k: resample when the effective
sample size is below ``ess_fraction`` P; draw x_t from the proposal N(m + v ∇ log p̃_s(y | x_s), v I), where
N(m, v I) is the chain's step (m = A x̂_1(x_s) + B x_s, ``flow_smc.bridge``) and the gradient (one backward pass
through the network) is taken at the particle's present position; multiply its weight by
N(x_t; m, v) / N(x_t; m + v ∇ log p̃_s, v) · p̃_t(y | x_t) / p̃_s(y | x_s): the chain's step over the proposal's, times
the potentials' ratio. The last step draws x_1^o = y, x_1^m ~ N(x̂_1^m(x_s), τ^2), and weighs by
N(y; x̂_1^o(x_s), τ^2) / p̃_s(y | x_s). The weights telescope to p(chain) · [x_1^o = y] / proposal whatever the
potentials are; they only decide how even the weights stay. Optional: after each step's resampling, ``langevin``
unadjusted Langevin moves x ← x + δ ∇ log(p_t(x) p̃_t(y | x)) + √(2δ) ε on the twisted target, the path's score
∇ log p_t(x) = (t x̂_1(x) - x) / (1 - t)^2 read from the same network (Tweedie's formula), δ = ``langevin_step``
(1 - t)^2: they spread the copies resampling made, at one more network evaluation (with its backward pass) each, and
leave the chain's law only approximately (no Metropolis test: the path's density is not known).

Cost: one network evaluation and one backward pass per particle and step (plus the moves). Same interface and
result as ``flow_smc_inpaint``; the Rao-Blackwellised mean is the weighted x̂_1 of the last step's particles.
"""
from __future__ import annotations

import math
import time
from collections.abc import Iterator
from dataclasses import dataclass

import torch

from ..device import generator as make_generator
from ..imputation import Imputation, batch_mask
from ..models.flow import to_model
from .flow_smc import CHUNK, SMCDiagnostics, SMCState, Velocity, log_normal, bridge, summarise, systematic


@dataclass(kw_only=True)
class TwistedDiagnostics(SMCDiagnostics):
    """The untwisted filter's diagnostics and the twisted one's Langevin moves per step."""

    langevin: int


def twist_variance(t: float, tau: float) -> float:
    """r_t^2 + τ^2: the twisting potential's variance at time t, r_t^2 = (1 - t)^2 / (t^2 + (1 - t)^2)."""
    return (1 - t) ** 2 / (t ** 2 + (1 - t) ** 2) + tau ** 2


def twist_terms(velocity: Velocity, x: torch.Tensor, t: torch.Tensor, y: torch.Tensor, obs: torch.Tensor,
                var: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """For particles x (B, C, H, W) at times t (B,): x̂_1(x) (B, C, H, W), log p̃_t(y | x) (B,) and its gradient in x
    (B, C, H, W); y and obs (0/1, as x's dtype) shaped as x, var (B,) the potential's variance (``twist_variance``).
    One forward and one backward pass (torch.func, so the same function is what ``dgm_core.export`` traces into the
    browser's graph)."""
    col = lambda a: a.view(-1, *([1] * (x.dim() - 1)))  # noqa: E731 - (B,) against (B, C, H, W)

    def log_g(xx: torch.Tensor) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        x1 = xx + col(1 - t) * velocity(xx, t)
        lp = -0.5 * ((y - x1) ** 2 / col(var) + math.log(2 * math.pi) + col(torch.log(var)))
        per = (lp * obs).flatten(1).sum(1)
        return per.sum(), (x1, per)

    grad, (x1, per) = torch.func.grad(log_g, has_aux=True)(x)
    return x1, per, grad


def _twist(velocity: Velocity, x: torch.Tensor, t: float, shape: tuple[int, ...], y: torch.Tensor,
           obs: torch.Tensor, tau: float) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``twist_terms`` of flat particles x (B, D) at time t, flat, in chunks of CHUNK."""
    x1s, logs, grads = [], [], []
    for xc, yc, oc in zip(x.split(CHUNK), y.split(CHUNK), obs.split(CHUNK)):
        b = xc.shape[0]
        tt = torch.full((b,), t, device=x.device, dtype=x.dtype)
        var = torch.full((b,), twist_variance(t, tau), device=x.device, dtype=x.dtype)
        x1, log_g, grad = twist_terms(velocity, xc.view(b, *shape), tt, yc.view(b, *shape),
                                      oc.view(b, *shape).to(x.dtype), var)
        x1s.append(x1.flatten(1))
        logs.append(log_g)
        grads.append(grad.flatten(1))
    return torch.cat(x1s), torch.cat(logs), torch.cat(grads)


@torch.no_grad()
def twisted_path(velocity: Velocity, y: torch.Tensor, observed: torch.Tensor, *, particles: int = 32,
                 n_steps: int = 40, tau: float = 0.3, langevin: int = 0, langevin_step: float = 0.05,
                 ess_fraction: float = 0.5, generator: torch.Generator | None = None) -> Iterator[SMCState]:
    """The twisted filter on any shapes, on the model's scale: y (N, ...) the observed values (the rest ignored);
    observed (N, ...) bool. Yields an ``SMCState`` after each of ``n_steps`` steps; the last is at t = 1."""
    if particles < 1 or n_steps < 1 or tau <= 0 or not 0 <= ess_fraction <= 1 or langevin < 0 or langevin_step <= 0:
        raise ValueError("particles and steps must be at least 1, Langevin moves at least 0, tau and the Langevin "
                         "step positive and ess_fraction in [0, 1]")
    n, shape, p = y.shape[0], tuple(y.shape[1:]), particles
    yb = y.flatten(1).repeat_interleave(p, 0)  # (N*P, D)
    obs = observed.expand_as(y).flatten(1).repeat_interleave(p, 0)
    rows = torch.arange(n, device=y.device)[:, None] * p
    x = torch.randn(yb.shape, generator=generator, device=y.device, dtype=y.dtype)  # x_{t_0} ~ N(0, I)
    x1_hat, log_g, grad = _twist(velocity, x, 0.0, shape, yb, obs, tau)
    log_w = log_g.view(n, p) - math.log(p)
    evidence = log_w.logsumexp(1)  # (N,)
    log_w = log_w - evidence[:, None]
    ess = 1.0 / log_w.exp().pow(2).sum(1)
    resamples = torch.zeros(n, dtype=torch.long, device=y.device)
    ts = [k / n_steps for k in range(n_steps + 1)]
    for k in range(1, n_steps + 1):
        s, t = ts[k - 1], ts[k]
        redo = ess < ess_fraction * p
        if redo.any():  # resample before moving, as the untwisted filter does
            pick = torch.where(redo[:, None], systematic(log_w, generator) + rows,
                               torch.arange(n * p, device=y.device).view(n, p)).flatten()
            x, x1_hat, log_g, grad = x[pick], x1_hat[pick], log_g[pick], grad[pick]
            log_w = torch.where(redo[:, None], torch.full_like(log_w, -math.log(p)), log_w)
            resamples = resamples + redo.long()
        if s > 0:
            for _ in range(langevin):  # unadjusted Langevin on p_s(x) p̃_s(y | x)
                delta = langevin_step * (1 - s) ** 2
                score = (s * x1_hat - x) / (1 - s) ** 2 + grad
                eps = torch.randn(x.shape, generator=generator, device=y.device, dtype=y.dtype)
                x = x + delta * score + (2 * delta) ** 0.5 * eps
                x1_hat, log_g, grad = _twist(velocity, x, s, shape, yb, obs, tau)
        a, b, v = bridge(s, t, tau)
        eps = torch.randn(x.shape, generator=generator, device=y.device, dtype=y.dtype)
        x1_from = x1_hat  # x̂_1 of the particles' present positions, which the state reports
        if t < 1:
            mean = a * x1_hat + b * x
            shift = v * grad
            x = mean + shift + v ** 0.5 * eps
            # log N(x; mean, v) - log N(x; mean + shift, v), over every pixel: the chain's step over the proposal's
            log_ratio = ((x - mean - shift) ** 2 - (x - mean) ** 2).sum(1) / (2 * v)
            log_g_prev = log_g
            x1_hat, log_g, grad = _twist(velocity, x, t, shape, yb, obs, tau)
            log_inc = log_ratio + log_g - log_g_prev
        else:  # the chain's last step: x_1 ~ N(x̂_1(x_s), τ^2) with x_1^o = y
            log_inc = log_normal(yb, x1_hat, v, obs) - log_g
            x = torch.where(obs, yb, x1_hat + v ** 0.5 * eps)
        log_w = log_w + log_inc.view(n, p)
        norm = log_w.logsumexp(1, keepdim=True)
        evidence = evidence + norm[:, 0]
        log_w = log_w - norm
        ess = 1.0 / log_w.exp().pow(2).sum(1)  # (N,) after this step's weighting, before any resampling
        yield SMCState(k, t, x.view(n, p, *shape), x1_from.view(n, p, *shape), log_w, ess, resamples.clone(),
                       evidence.clone())


@torch.no_grad()
def flow_twisted_inpaint(model: Velocity, x: torch.Tensor, mask: torch.Tensor, *, particles: int = 32,
                         n_steps: int = 40, tau: float = 0.3, langevin: int = 0, langevin_step: float = 0.05,
                         n_draws: int = 8, ess_fraction: float = 0.5, generator: torch.Generator | None = None,
                         seed: int = 0) -> Imputation:
    """``n_draws`` completions per image from the twisted filter with ``particles`` particles and ``langevin``
    moves a step (noise from ``generator``, else from ``seed``). x: (N, C, H, W) in [0, 1]; mask: bool, True =
    observed. Returns what ``flow_smc_inpaint`` returns: samples (N, S, C, H, W), the weighted mean and sd of x̂_1
    (sd 0 where observed), and the effective sample size after every step's weighting in the diagnostics."""
    t0 = time.perf_counter()
    g = generator if generator is not None else make_generator(seed, x.device)
    m = batch_mask(mask, x).expand_as(x)
    ess_steps, state = [], None
    for state in twisted_path(model, to_model(x), m, particles=particles, n_steps=n_steps, tau=tau,
                              langevin=langevin, langevin_step=langevin_step, ess_fraction=ess_fraction,
                              generator=g):
        ess_steps.append(state.ess)
    diag = TwistedDiagnostics(particles=particles, n_steps=n_steps, tau=tau, ess=torch.stack(ess_steps),
                              ess_final=state.ess, resamples=state.resamples, log_evidence=state.log_evidence,
                              evaluations=n_steps + langevin * (n_steps - 1), langevin=langevin)
    return summarise("flow_twisted", state, diag, x, m, n_draws, g, t0)
