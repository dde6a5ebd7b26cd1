"""Training-free inpainting with a flow-matching model: replace the observed pixels along the path, with optional
RePaint-style resampling (Lugmayr et al., "RePaint: Inpainting using Denoising Diffusion Probabilistic Models",
arXiv 2201.09865), carried over to the linear path of flow matching (Lipman et al., arXiv 2210.02747).

Idea in one sentence: integrate the model's ODE from noise x_0 and, before every step, overwrite the observed
pixels with where the straight path from the same noise to the observed image stands at that time,
(1 - t) x_0 + t y; with ``resample`` = r, each step is undone r times by re-noising x_{t'} back to time t along
the path (x_t = (t / t') x_{t'} + fresh noise of the missing variance) and integrated again, so that the
missing pixels have more chances to agree with the observed ones.

This is an approximation: it does not target the model's own conditional p(x_missing | x_observed), unlike the
exact Metropolis-within-Gibbs sampler of a latent variable model (dgm_core.samplers.mwg). Observed pixels are
returned exactly. x: (N, C, H, W) in [0, 1]; mask: bool, True = observed, (H, W) or (N|1, 1|C, H, W).
"""
from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import torch

from ..device import generator as make_generator
from ..imputation import Diagnostics, Imputation, batch_mask, keep_observed
from ..models.flow import ode_step, to_image, to_model


@dataclass(kw_only=True)
class FlowDiagnostics(Diagnostics):
    """The path's settings and its cost."""

    n_steps: int
    resample: int
    method: str
    evaluations: int  # network evaluations per draw


@dataclass
class PathState:
    step: int  # steps done, 1..n_steps
    t: float
    x: torch.Tensor  # (N, S, C, H, W) the draws at time t, on the model's scale [-1, 1]


def noise_back(x: torch.Tensor, t: float, t_to: float, generator: torch.Generator | None) -> torch.Tensor:
    """x at time ``t`` on the linear path -> a draw at the earlier time ``t_to``: x_1's share shrinks by t_to / t
    and fresh noise tops the noise's sd up to 1 - t_to (the path's marginal given x_t)."""
    scale = t_to / t
    sd = max((1 - t_to) ** 2 - (scale * (1 - t)) ** 2, 0.0) ** 0.5
    eps = torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)
    return scale * x + sd * eps


@torch.no_grad()
def flow_inpaint_path(model, x: torch.Tensor, mask: torch.Tensor, *, n_steps: int = 10, n_draws: int = 8,
                      resample: int = 0, method: str = "heun",
                      generator: torch.Generator | None = None) -> Iterator[PathState]:
    """Yield the draws after each of ``n_steps`` steps from t = 0 to 1; observed pixels replaced before each step.
    model: a velocity network v(x_t, t) on [-1, 1] (dgm_core.models.flow); x: (N, C, H, W) in [0, 1]."""
    if n_steps < 1 or n_draws < 1 or resample < 0:
        raise ValueError("n_steps and n_draws must be at least 1, resample at least 0")
    n, s, shape = x.shape[0], n_draws, tuple(x.shape[1:])
    m = batch_mask(mask, x).expand_as(x).repeat_interleave(s, 0)  # (N*S, C, H, W)
    y = to_model(x).repeat_interleave(s, 0)  # the observed image, on the model's scale
    z = torch.randn(y.shape, generator=generator, device=x.device, dtype=x.dtype)  # x_0 of each draw
    xt, dt = z, 1.0 / n_steps
    for k in range(n_steps):
        t = k * dt
        for r in range(resample + 1):
            xt = torch.where(m, (1 - t) * z + t * y, xt)
            nxt = ode_step(model, xt, t, dt, method)
            if r < resample:
                xt = noise_back(nxt, t + dt, t, generator)
        xt = nxt
        yield PathState(k + 1, t + dt, torch.where(m, (1 - t - dt) * z + (t + dt) * y, xt).view(n, s, *shape))


@torch.no_grad()
def flow_inpaint(model, x: torch.Tensor, mask: torch.Tensor, *, n_steps: int = 10, n_draws: int = 8,
                 resample: int = 0, method: str = "heun", generator: torch.Generator | None = None,
                 seed: int = 0) -> Imputation:
    """``n_draws`` completions per image by the replacement path (noise from ``generator``, else from ``seed``).
    Returns samples (N, S, C, H, W) in [0, 1], their mean and sd per pixel (0 where observed)."""
    t0 = time.perf_counter()
    g = generator if generator is not None else make_generator(seed, x.device)
    state = None
    for step in flow_inpaint_path(model, x, mask, n_steps=n_steps, n_draws=n_draws, resample=resample,
                                  method=method, generator=g):
        state = step
    samples = to_image(state.x)  # (N, S, C, H, W)
    evals = n_steps * (resample + 1) * (2 if method == "heun" else 1)
    result = Imputation(method="flow_inpaint", mean=samples.mean(1), samples=samples,
                        std=samples.std(1, correction=0),
                        diagnostics=FlowDiagnostics(n_steps=n_steps, resample=resample, method=method,
                                                    evaluations=evals))
    result = keep_observed(result, x, batch_mask(mask, x))
    result.seconds = time.perf_counter() - t0
    return result
