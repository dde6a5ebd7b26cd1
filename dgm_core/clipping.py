"""Images under MNAR: bright pixels clipped (the not-MIWAE paper's SVHN experiment, §4.3 / Table 2).

Ipsen, Mattei & Frellsen, "not-MIWAE", ICLR 2021, arXiv 2006.12871. Each pixel is observed with
P(s = 1 | x) = sigmoid(-W (x - b)): W > 0 sets how sharp the cut is, b the brightness where a pixel
has even odds of being lost. ``compare`` imputes one set of images with every model and a constant
fill of b, and scores them on the missing pixels only. x: (N, 1, H, W) in [0, 1]; masks bool, True =
observed.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from .device import generator
from .metrics import rmse_missing_pooled
from .models.notmiwae_conv import ConvNotMIWAE, Mechanism

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


@dataclass
class Comparison:
    mask: torch.Tensor  # (N, 1, H, W) bool, True = observed
    imputed: dict[str, torch.Tensor]  # method -> (N, 1, H, W)
    sd: dict[str, torch.Tensor]  # model -> per-pixel posterior sd (0 on observed pixels)
    rmse: dict[str, float]  # method -> RMSE on the missing pixels
    ess: dict[str, float]  # model -> mean effective sample size of the importance weights

    @property
    def missing_rate(self) -> float:
        return 1.0 - self.mask.float().mean().item()


@torch.no_grad()
def impute(model: ConvNotMIWAE, x: torch.Tensor, mask: torch.Tensor, mechanism: Mechanism, k: int, seed: int,
           batch: int = 20) -> dict[str, torch.Tensor]:
    """The model's importance-sampled imputation in batches. not-MIWAE weighs with p(s|x) for the given
    (true, known) mechanism; MIWAE has no such term. -> {"mean", "sd": (N, C, H, W), "ess": (N,)}."""
    g = generator(seed, x.device)
    mech = None if model.cfg.missing == "none" else mechanism
    outs = [model.impute(x[i:i + batch], mask[i:i + batch], k, g, mech) for i in range(0, x.shape[0], batch)]
    return {key: torch.cat([o[key] for o in outs]) for key in ("mean", "sd", "ess")}


def compare(models: dict[str, ConvNotMIWAE], x: torch.Tensor, mechanism: Mechanism, *, seed: int = 0,
            k: int = 500, mask: torch.Tensor | None = None) -> Comparison:
    """Clip x with the mechanism (or use ``mask``), impute with every model and with the constant b."""
    mechanism = check_mechanism(*mechanism)
    mask = clip_masks(x, mechanism, seed) if mask is None else mask
    if mask.all():
        raise ValueError("No pixel went missing: lower the threshold b, or choose a brighter image.")
    if not mask.any():
        raise ValueError("Every pixel went missing, so there is nothing to condition on: raise the threshold b.")
    imputed = {"constant b": torch.where(mask, x, torch.full_like(x, mechanism[1]))}
    sd, ess = {}, {}
    for name, model in models.items():
        out = impute(model, x, mask, mechanism, k, seed + 1)
        imputed[name], sd[name], ess[name] = out["mean"], out["sd"], out["ess"].mean().item()
    rmse = {name: rmse_missing_pooled(v, x, mask) for name, v in imputed.items()}
    return Comparison(mask, imputed, sd, rmse, ess)
