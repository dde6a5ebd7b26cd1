"""The flow-matching model of MNIST on its own (flow-mnist, dgm_core.models.flow; Lipman et al., arXiv 2210.02747):
a grid of its digits, and a few of them along their few-step path from noise (t = 0) to image (t = 1).

Idea in one sentence: the same Heun integrator the card's measure uses carries fixed noise to digits, and every step's
state is kept so a page can show how little of the work the last steps do. Images (B, 1, 28, 28) in [0, 1].
"""
from __future__ import annotations

import torch

from ..device import generator
from ..models.flow import path, to_image

GRID, PATH_ROWS = 64, 6  # samples in the grid (8 x 8), samples drawn along their path
STEP_CHOICES = (5, 10, 20, 40, 80)  # Heun steps a page offers (each costs two network evaluations)
# The rule that picks the step count the card measures and the page opens on, fixed before any score was looked at:
# the fewest steps, doubling from 5, whose 64 digits (the page's grid, seed 0) differ from the same noise's digits at
# twice the steps by at most one grey level of a screen (1/255) in mean absolute value. It asks only that the
# integrator has solved the model's ODE to what a screen shows; the samples' scores play no part in it.
SOLVER_TOLERANCE = 1 / 255


@torch.no_grad()
def samples(model, *, n: int = GRID, n_steps: int = 10, seed: int = 0) -> torch.Tensor:
    """``n`` digits (n, 1, 28, 28) from noise drawn with ``seed``, Heun's method over ``n_steps`` steps."""
    return paths(model, n=n, n_steps=n_steps, seed=seed)[:, -1]


@torch.no_grad()
def paths(model, *, n: int = PATH_ROWS, n_steps: int = 10, seed: int = 0) -> torch.Tensor:
    """(n, n_steps + 1, 1, 28, 28): each sample at t = 0 (its noise, clipped to [0, 1] for display), then after each
    of ``n_steps`` Heun steps; the last column is the digit."""
    if n < 1 or n_steps < 1:
        raise ValueError("n and n_steps must be at least 1")
    p = next(model.parameters())
    x0 = torch.randn(n, *model.cfg.shape, generator=generator(seed, p.device), device=p.device, dtype=p.dtype)
    states = [x0] + [x for _, x in path(model, x0, n_steps=n_steps, method="heun")]
    return to_image(torch.stack(states, 1)).cpu()


@torch.no_grad()
def solver_gap(model, n_steps: int, *, n: int = GRID, seed: int = 0) -> float:
    """Mean absolute grey difference between ``n`` digits drawn with ``n_steps`` Heun steps and the same noise's
    digits at twice the steps: how far the integrator is from the model's own ODE solution, as a screen shows it."""
    return float((samples(model, n=n, n_steps=n_steps, seed=seed)
                  - samples(model, n=n, n_steps=2 * n_steps, seed=seed)).abs().mean())


def settled(gaps: dict[int, float], tolerance: float = SOLVER_TOLERANCE) -> int | None:
    """The fewest step counts whose ``solver_gap`` is within ``tolerance`` (None if none is)."""
    return next((k for k in sorted(gaps) if gaps[k] <= tolerance), None)


def background(x: torch.Tensor, share: float = 0.95) -> torch.Tensor:
    """The background of real digits x (B, 1, H, W): the pixels (H, W) bool that are 0 in ``share`` of them."""
    return (x[:, 0] > 0).float().mean(0) <= 1 - share


def background_level(x: torch.Tensor, where: torch.Tensor) -> float:
    """Mean grey value of images x (B, 1, H, W) on the pixels ``where`` (H, W) bool: a flow's speckle shows here."""
    return float(x[:, 0][:, where].mean())
