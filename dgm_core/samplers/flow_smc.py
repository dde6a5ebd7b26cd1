"""A particle filter along a flow-matching model's path that targets the model's own conditional p(x_m | x_o): the
noiseless-inpainting case of MCGdiff (Cardoso, Janati, Le Corff & Moulines, "Monte Carlo guided Diffusion for
Bayesian linear inverse problems", ICLR 2024, arXiv 2308.07983), carried over from DDPM to the linear path of
rectified flow (Liu et al., arXiv 2209.03003; Lipman et al., arXiv 2210.02747).

Idea in one sentence: run P particles down the model's stochastic path from noise to image, and at every step
draw each particle's observed pixels from where its own next step and the noised observation agree, weigh the
particle by how well its step predicted the observation, and resample, so that the surviving particles are, as P
grows, draws from the model's conditional.

The model. A velocity network v(x_t, t) on the linear path x_t = t x_1 + (1 - t) x_0 predicts the image as
x̂_1(x_t) = x_t + (1 - t) v(x_t, t). On a grid 0 = t_0 < ... < t_K = 1 the model is the Markov chain (a DDPM
ancestral sampler for the path's marginals N(t x_1, (1 - t)^2 I)): x_{t_0} ~ N(0, I); then
x_{t_k} ~ q(x_{t_k} | x_{t_{k-1}}, x_1 = x̂_1(x_{t_{k-1}})), the Gaussian bridge of the path, with variance v_k I; and
the image x_1 ~ N(x̂_1(x_{t_{K-1}}), τ^2 I), τ its pixel noise on the model's scale [-1, 1]. That chain, not the
deterministic ODE of ``dgm_core.models.flow.integrate``, is the model whose conditional this samples; with the same
network the two give close but different laws, and either tends to the data's as the network and K improve.

The filter (fully adapted, observed pixels o, y the observed image on the model's scale). Potentials
g_k(x) = N(x^o; t_k y, ((1 - t_k)^2 + t_k^2 τ^2) I), the path's marginal of the observed pixels given an image
within τ of y (g_0 = 1, g_K = the point x^o = y; without the τ term the last step's weights collapse). Step k:
each particle's weight is multiplied by ∫ N(x^o; m^o, v_k) g_k(x^o) dx^o / g_{k-1}(x_{t_{k-1}}), which depends on
x_{t_{k-1}} alone, so the filter resamples (systematically, when the effective sample size falls below
``ess_fraction`` P) before it moves; then x^o is drawn from N(m^o, v_k) g_k (a product of Gaussians; at the last
step x^o = y) and x^m from N(m^m, v_k). The weights telescope to p(chain) · [x_1^o = y] / proposal, so the
weighted particles target the chain's p(x_1^m | x_1^o = y) exactly as P grows (the package's tests check this on a
Gaussian "flow" whose chain's conditional is computed in closed form).

Compared with replacement (dgm_core.samplers.flow_inpaint), which sets x^o to t y + (1 - t) z with one noise z and
never weighs: the same kind of step, plus weights and resampling. Cost: one network evaluation per particle and step.
x: (N, C, H, W) in [0, 1]; mask: bool, True = observed, (H, W) or (N|1, 1|C, H, W). The mean is Rao-Blackwellised
(the weighted x̂_1 of the last step); draws are resampled particles' x̂_1, the pixel noise τ left out as a VAE page
shows a Gaussian decoder's mean.
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import torch

from ..device import generator as make_generator
from ..imputation import Diagnostics, Imputation, batch_mask, keep_observed
from ..models.flow import to_image, to_model

Velocity = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]  # (x: (B, ...), t: (B,)) -> (B, ...)
CHUNK = 512  # particles per network call: bounds the memory of a large particle count


@dataclass(kw_only=True)
class SMCDiagnostics(Diagnostics):
    """The filter's settings, its effective sample sizes and its evidence estimate."""

    particles: int
    n_steps: int
    tau: float  # the chain's pixel noise at the image, on the model's scale [-1, 1]
    ess: torch.Tensor  # (K, N) effective sample size after each step's weighting, before any resampling
    ess_final: torch.Tensor  # (N,) the last step's, before its resampling: how many particles the image rests on
    resamples: torch.Tensor  # (N,) steps at which the filter resampled
    log_evidence: torch.Tensor  # (N,) estimate of log p(x_1^o = y) of the chain (a density on the model's scale)
    evaluations: int  # network evaluations per particle


@dataclass
class SMCState:
    step: int  # steps done, 1..K
    t: float
    x: torch.Tensor  # (N, P, ...) particles at time t, on the model's scale
    x1_hat: torch.Tensor  # (N, P, ...) each particle's predicted image x̂_1 from its previous position
    log_w: torch.Tensor  # (N, P) normalised log weights
    ess: torch.Tensor  # (N,) after this step's weighting, before any resampling
    resamples: torch.Tensor  # (N,) steps so far at which the filter resampled
    log_evidence: torch.Tensor  # (N,) running estimate of log p(x_t^o-potential); at t = 1, log p(x_1^o = y)


def bridge(s: float, t: float, tau: float) -> tuple[float, float, float]:
    """The chain's step from time s to t > s as x_t ~ N(A x̂_1 + B x_s, v): the Gaussian q(x_t | x_s, x_1) of the
    path's marginals q(x_u | x_1) = N(u x_1, (1 - u)^2 I) linked as a Markov chain; at t = 1, (1, 0, tau^2)."""
    if t >= 1.0:
        return 1.0, 0.0, tau ** 2
    sd_t2 = (1 - t) ** 2
    alpha = s / t  # x_s = alpha x_t + noise of variance var_st, given x_t
    var_st = (1 - s) ** 2 - alpha ** 2 * sd_t2
    v = 1.0 / (1.0 / sd_t2 + alpha ** 2 / var_st)
    return v * t / sd_t2, v * alpha / var_st, v


def systematic(log_w: torch.Tensor, generator: torch.Generator | None, m: int | None = None) -> torch.Tensor:
    """Systematic resampling of each row of normalised log weights (N, P) -> ``m`` (default P) ancestor indices
    per row, (N, m)."""
    n, p = log_w.shape[0], m or log_w.shape[1]
    cdf = log_w.exp().cumsum(1)
    cdf[:, -1] = 1.0  # rounding
    u = (torch.rand(n, 1, generator=generator, device=log_w.device, dtype=log_w.dtype)
         + torch.arange(p, device=log_w.device, dtype=log_w.dtype)) / p
    return torch.searchsorted(cdf, u).clamp_(max=log_w.shape[1] - 1)


def log_normal(x: torch.Tensor, mean: torch.Tensor, var: float | torch.Tensor, obs: torch.Tensor) -> torch.Tensor:
    """Sum over the observed entries of log N(x; mean, var) -> (B,). Shapes (B, D); obs (B, D) bool."""
    lp = -0.5 * ((x - mean) ** 2 / var + math.log(2 * math.pi) + torch.log(torch.as_tensor(var, dtype=x.dtype)))
    return (lp * obs).sum(1)


def _predict(velocity: Velocity, x: torch.Tensor, t: float, shape: tuple[int, ...]) -> torch.Tensor:
    """x̂_1 = x + (1 - t) v(x, t) for flat particles (B, D), in chunks of CHUNK."""
    out = []
    for c in x.split(CHUNK):
        xc = c.view(-1, *shape)
        tt = torch.full((xc.shape[0],), t, device=x.device, dtype=x.dtype)
        out.append((xc + (1 - t) * velocity(xc, tt)).flatten(1))
    return torch.cat(out)


@torch.no_grad()
def smc_path(velocity: Velocity, y: torch.Tensor, observed: torch.Tensor, *, particles: int = 32, n_steps: int = 40,
             tau: float = 0.3, ess_fraction: float = 0.5,
             generator: torch.Generator | None = None) -> Iterator[SMCState]:
    """The filter on any shapes, on the model's scale: y (N, ...) the observed values (the rest ignored); observed
    (N, ...) bool. Yields an ``SMCState`` after each of ``n_steps`` steps; the last is at t = 1."""
    if particles < 1 or n_steps < 1 or tau <= 0 or not 0 <= ess_fraction <= 1:
        raise ValueError("particles and steps must be at least 1, tau positive and ess_fraction in [0, 1]")
    n, shape, p = y.shape[0], tuple(y.shape[1:]), particles
    yb = y.flatten(1).repeat_interleave(p, 0)  # (N*P, D)
    obs = observed.expand_as(y).flatten(1).repeat_interleave(p, 0)
    x = torch.randn(yb.shape, generator=generator, device=y.device, dtype=y.dtype)  # x_{t_0} ~ N(0, I)
    log_w = torch.full((n, p), -math.log(p), device=y.device, dtype=y.dtype)
    log_g_prev = torch.zeros(n * p, device=y.device, dtype=y.dtype)  # g_0 = 1
    rows = torch.arange(n, device=y.device)[:, None] * p
    resamples = torch.zeros(n, dtype=torch.long, device=y.device)
    evidence = torch.zeros(n, device=y.device, dtype=y.dtype)
    ts = [k / n_steps for k in range(n_steps + 1)]
    for k in range(1, n_steps + 1):
        s, t = ts[k - 1], ts[k]
        a, b, v = bridge(s, t, tau)
        x1_hat = _predict(velocity, x, s, shape)
        mean = a * x1_hat + b * x
        sd_g2 = (1 - t) ** 2 + (t * tau) ** 2 if t < 1 else 0.0  # g_k's variance; 0 at the end: x^o = y exactly
        log_inc = log_normal(mean, t * yb, v + sd_g2, obs) - log_g_prev  # the step's weight, a function of x_s
        log_w = log_w + log_inc.view(n, p)
        norm = log_w.logsumexp(1, keepdim=True)
        evidence = evidence + norm[:, 0]
        log_w = log_w - norm
        ess = 1.0 / log_w.exp().pow(2).sum(1)  # (N,)
        redo = ess < ess_fraction * p
        if redo.any():  # resample before moving: the weights no longer depend on the move
            pick = torch.where(redo[:, None], systematic(log_w, generator) + rows,
                               torch.arange(n * p, device=y.device).view(n, p)).flatten()
            x, mean, x1_hat = x[pick], mean[pick], x1_hat[pick]
            log_w = torch.where(redo[:, None], torch.full_like(log_w, -math.log(p)), log_w)
            resamples = resamples + redo.long()
        eps = torch.randn(x.shape, generator=generator, device=y.device, dtype=y.dtype)
        if sd_g2 > 0:  # N(m, v) times g_k on the observed pixels
            var_o = 1.0 / (1.0 / v + 1.0 / sd_g2)
            mean_o = var_o * (mean / v + t * yb / sd_g2)
            x = torch.where(obs, mean_o + var_o ** 0.5 * eps, mean + v ** 0.5 * eps)
            log_g_prev = log_normal(x, t * yb, sd_g2, obs)
        else:
            x = torch.where(obs, yb, mean + v ** 0.5 * eps)
        yield SMCState(k, t, x.view(n, p, *shape), x1_hat.view(n, p, *shape), log_w, ess, resamples.clone(),
                       evidence.clone())


@torch.no_grad()
def flow_smc_inpaint(model: Velocity, x: torch.Tensor, mask: torch.Tensor, *, particles: int = 32,
                     n_steps: int = 40, tau: float = 0.3, n_draws: int = 8, ess_fraction: float = 0.5,
                     generator: torch.Generator | None = None, seed: int = 0) -> Imputation:
    """``n_draws`` completions per image from the filter with ``particles`` particles (noise from ``generator``,
    else from ``seed``). Returns samples (N, S, C, H, W) in [0, 1], the weighted mean of x̂_1 and its weighted sd
    per pixel (0 where observed), and the filter's diagnostics (effective sample sizes, evidence)."""
    t0 = time.perf_counter()
    g = generator if generator is not None else make_generator(seed, x.device)
    m = batch_mask(mask, x).expand_as(x)
    ess_steps, state = [], None
    for state in smc_path(model, to_model(x), m, particles=particles, n_steps=n_steps, tau=tau,
                          ess_fraction=ess_fraction, generator=g):
        ess_steps.append(state.ess)
    diag = SMCDiagnostics(particles=particles, n_steps=n_steps, tau=tau, ess=torch.stack(ess_steps),
                          ess_final=state.ess, resamples=state.resamples,
                          log_evidence=state.log_evidence, evaluations=n_steps)
    return summarise("flow_smc", state, diag, x, m, n_draws, g, t0)


def summarise(method: str, state: SMCState, diag: SMCDiagnostics, x: torch.Tensor, m: torch.Tensor, n_draws: int,
              generator: torch.Generator | None, t0: float) -> Imputation:
    """A filter's last state as an ``Imputation``: the weighted mean of x̂_1 and its weighted sd, ``n_draws``
    resampled particles' x̂_1, the observed pixels put back. x: (N, C, H, W) in [0, 1]; m: x's shape, bool."""
    w = state.log_w.exp()  # (N, P)
    img = to_image(state.x1_hat)  # (N, P, C, H, W)
    wb = w.view(*w.shape, *([1] * (img.dim() - 2)))
    mean = (wb * img).sum(1)
    std = (wb * (img - mean.unsqueeze(1)) ** 2).sum(1).sqrt()
    pick = systematic(state.log_w, generator, n_draws)  # (N, S)
    samples = torch.stack([img[i, pick[i]] for i in range(img.shape[0])])  # (N, S, C, H, W)
    result = keep_observed(Imputation(method=method, mean=mean, samples=samples, std=std, diagnostics=diag), x, m)
    result.seconds = time.perf_counter() - t0
    return result
