"""Bright pixels lost (Ipsen, Mattei & Frellsen, "not-MIWAE", arXiv 2006.12871, §4.3):
P(s = 1 | x) = sigmoid(-W (x - b)), W the cut's sharpness, b the brightness at even odds. x: (N, 1, H, W) in [0, 1];
masks bool, True = observed.
"""
from __future__ import annotations

import math
import torch

from ..device import generator

Mechanism = tuple[float, float]  # (W, b) of P(s = 1 | x) = sigmoid(-W (x - b))

W_RANGE = (1.0, 200.0)
B_RANGE = (0.05, 0.99)


def check_mechanism(w: float, b: float) -> Mechanism:
    """A usable (W, b) or a one-sentence ValueError."""
    if not (math.isfinite(w) and W_RANGE[0] <= w <= W_RANGE[1]):
        raise ValueError(f"The steepness W must be between {W_RANGE[0]:g} and {W_RANGE[1]:g}, not {w:g}.")
    if not (math.isfinite(b) and B_RANGE[0] <= b <= B_RANGE[1]):
        raise ValueError(f"The threshold b must be a brightness between {B_RANGE[0]:g} and {B_RANGE[1]:g}, not {b:g}.")
    return float(w), float(b)


def p_missing(x: torch.Tensor, mechanism: Mechanism) -> torch.Tensor:
    """P(s = 0 | x) elementwise: the chance that a pixel of brightness x is lost."""
    w, b = mechanism
    return torch.sigmoid(w * (x - b))


def clip_masks(x: torch.Tensor, mechanism: Mechanism, seed: int) -> torch.Tensor:
    """Self-masked pixels: True (observed) with probability sigmoid(-W (x - b)). x: (N, C, H, W) -> bool."""
    w, b = mechanism
    u = torch.rand(x.shape, generator=generator(seed), dtype=x.dtype)
    return u < torch.sigmoid(-w * (x - b))
