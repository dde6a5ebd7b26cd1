"""Model-free point fills (one completion, std = 0) the deep models are compared against: a mean fill, and
harmonic "diffusion" inpainting (Chan & Shen, "Mathematical Models for Local Nontexture Inpaintings", SIAM J.
Appl. Math. 2002; no arXiv id), exact on linear ramps and blurring every edge across the hole.
x: (N, C, H, W) float in [0, 1]; mask: (N, 1|C, H, W) bool, True = observed; observed pixels returned as given.
"""
from __future__ import annotations

import math
import time

import torch
import torch.nn.functional as F

from ..imputation import FillDiagnostics, Imputation, keep_observed

_EMPTY = 0.5  # the fill of a channel with no observed pixel at all: mid-grey, the centre of [0, 1]
_TOL = 1e-6  # diffusion stops once no pixel moves by more than this in one sweep


def _check(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Validate shapes; -> mask expanded to x: (N, C, H, W) bool on x.device."""
    if not isinstance(x, torch.Tensor) or x.ndim != 4 or not x.is_floating_point():
        raise ValueError(f"x must be a float (N, C, H, W) tensor, got "
                         f"{tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__}.")
    if not isinstance(mask, torch.Tensor) or mask.dtype != torch.bool:
        raise ValueError("The mask must be a bool tensor (True = observed).")
    n, c, h, w = x.shape
    if mask.ndim != 4 or mask.shape[0] != n or mask.shape[1] not in (1, c) or mask.shape[2:] != (h, w):
        raise ValueError(f"A mask of shape {tuple(mask.shape)} does not fit images of shape "
                         f"{tuple(x.shape)}; expected ({n}, 1 or {c}, {h}, {w}).")
    return mask.to(x.device).expand_as(x)


def _observed_mean(x: torch.Tensor, m: torch.Tensor) -> torch.Tensor:
    """Per-image, per-channel mean of the observed pixels -> (N, C, 1, 1); _EMPTY where none is."""
    w = m.to(x.dtype)
    count = w.sum((2, 3), keepdim=True)
    total = (x * w).sum((2, 3), keepdim=True)
    return torch.where(count > 0, total / count.clamp_min(1), torch.full_like(total, _EMPTY))


def _neighbour_sum(t: torch.Tensor) -> torch.Tensor:
    """(..., H, W) -> sum of each pixel's 4 neighbours, zero-padded. Shifted adds, not conv2d, whose thread
    pool stalls on small planes on a busy machine."""
    p = F.pad(t, (1, 1, 1, 1))
    return p[..., :-2, 1:-1] + p[..., 2:, 1:-1] + p[..., 1:-1, :-2] + p[..., 1:-1, 2:]


def _point(method: str, filled: torch.Tensor, x: torch.Tensor, mask: torch.Tensor,
           diagnostics: FillDiagnostics, t0: float) -> Imputation:
    """A single completion as an Imputation: S = 1 sample, zero spread."""
    result = Imputation(method=method, mean=filled, samples=filled.unsqueeze(1),
                        std=torch.zeros_like(filled), diagnostics=diagnostics)
    result = keep_observed(result, x, mask.to(x.device))
    result.seconds = time.perf_counter() - t0
    return result


@torch.no_grad()
def mean_fill(x: torch.Tensor, mask: torch.Tensor, *,
              fill: torch.Tensor | float | None = None) -> Imputation:
    """Every missing pixel -> ``fill``: None = each image's per-channel observed mean (0.5 if none observed),
    or anything broadcastable to (C, H, W) (a training-set mean image, a colour, a scalar)."""
    t0 = time.perf_counter()
    m = _check(x, mask)
    if fill is None:
        value = _observed_mean(x, m)
        source = "observed mean"
    else:
        value = torch.as_tensor(fill, dtype=x.dtype, device=x.device)
        try:
            value = value.broadcast_to(x.shape[1:])  # (C, H, W)
        except RuntimeError:
            raise ValueError(f"A fill of shape {tuple(value.shape)} does not fit images of shape "
                             f"{tuple(x.shape[1:])} (C, H, W).") from None
        source = "given"
    filled = torch.where(m, x, value.expand_as(x))
    return _point("mean_fill", filled, x, mask, FillDiagnostics(fill=source), t0)


@torch.no_grad()
def neighbour_fill(x: torch.Tensor, mask: torch.Tensor, *, iterations: int | None = None) -> Imputation:
    """Harmonic fill: each missing pixel -> the average of its 4 neighbours (Laplace equation), borders reflecting.

    A front of neighbour averages sweeps in from the hole's edge as first guess, then red-black SOR (O(L) sweeps
    across a hole of width L, Jacobi O(L²)); at most ``iterations`` sweeps (default 2 (H + W)), stopping once no
    pixel moves by 1e-6. Unreachable pixels (nothing observed in the plane) get the observed mean.
    """
    t0 = time.perf_counter()
    m = _check(x, mask)
    n, c, h, w = x.shape
    if iterations is None:
        iterations = 2 * (h + w)
    if isinstance(iterations, bool) or not isinstance(iterations, int) or iterations < 0:
        raise ValueError(f"iterations must be a whole number >= 0, got {iterations!r}.")
    # every (image, channel) plane is solved on its own: (N*C, 1, H, W)
    v = torch.where(m, x, torch.zeros_like(x)).reshape(n * c, 1, h, w)
    observed = m.reshape(n * c, 1, h, w)
    reached = observed.clone()
    ii, jj = torch.meshgrid(torch.arange(h, device=x.device), torch.arange(w, device=x.device), indexing="ij")
    colours = [((ii + jj) % 2 == k) & ~observed for k in (0, 1)]  # (N*C, 1, H, W) each
    # SOR's optimal factor for a square of side L (Dirichlet); reflecting borders behave like a
    # larger square, for which this is slightly low, which costs a little speed and never stability
    side = max(h, w) + 1
    omega = 2 / (1 + math.sin(math.pi / side))
    sweeps, change = 0, float("inf")
    while sweeps < iterations:
        change_t = torch.zeros((), dtype=x.dtype, device=x.device)
        before = int(reached.sum())
        for update in colours:
            wt = reached.to(x.dtype)
            num, den = _neighbour_sum(v * wt), _neighbour_sum(wt)  # normalised convolution
            avg = num / den.clamp_min(1)
            ready = update & (den > 0)
            # already reached: relax towards the average; newly reached: take it (v holds nothing yet)
            new = torch.where(reached, v + omega * (avg - v), avg)
            step = torch.where(ready & reached, (new - v).abs(), torch.zeros_like(v))
            change_t = torch.maximum(change_t, step.max())
            v = torch.where(ready, new, v)
            reached = reached | ready
        sweeps += 1
        # one host sync per sweep is cheap next to the sweep itself. Stop when the front has stopped
        # (all reached, or the rest unreachable: a plane with nothing observed) and values are still
        change = float(change_t)
        if change <= _TOL and int(reached.sum()) == before:
            break
    v = v.reshape(n, c, h, w)
    lost = ~reached.reshape(n, c, h, w)
    if bool(lost.any()):
        v = torch.where(lost, _observed_mean(x, m).expand_as(x), v)
    if bool(m.any()):  # the converged fill obeys the maximum principle; a capped SOR run may overshoot
        v = v.clamp(float(x[m].min()), float(x[m].max()))
    diagnostics = FillDiagnostics(sweeps=sweeps, max_change=change, unreached=int(lost.sum()))
    return _point("neighbour_fill", v, x, mask, diagnostics, t0)


__all__ = ["mean_fill", "neighbour_fill"]
