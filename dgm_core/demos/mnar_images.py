"""The MNAR images page's call (Ipsen, Mattei & Frellsen, "not-MIWAE", arXiv 2006.12871, §4.3; grey CelebA for SVHN):
clip bright pixels, impute with MIWAE and not-MIWAE, score against a constant fill on lost pixels.
x: (N, 1, H, W) in [0, 1]; masks bool, True = observed.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from ..metrics import rmse_missing_pooled
from ..missingness.clipping import Mechanism, check_mechanism, clip_masks
from ..models.notmiwae_conv import ConvNotMIWAE, impute_batched


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


def compare(models: dict[str, ConvNotMIWAE], x: torch.Tensor, mechanism: Mechanism, *, seed: int = 0,
            k: int = 500, mask: torch.Tensor | None = None,
            on_progress: Callable[[float, str], None] | None = None) -> Comparison:
    """Clip x with the mechanism (or use ``mask``), impute with every model and with the constant b.
    on_progress: (fraction done, which model), after each batch."""
    mechanism = check_mechanism(*mechanism)
    mask = clip_masks(x, mechanism, seed) if mask is None else mask
    if mask.all():
        raise ValueError("No pixel went missing: lower the threshold b, or choose a brighter image.")
    if not mask.any():
        raise ValueError("Every pixel went missing, so there is nothing to condition on: raise the threshold b.")
    imputed = {"constant b": torch.where(mask, x, torch.full_like(x, mechanism[1]))}
    sd, ess = {}, {}
    for i, (name, model) in enumerate(models.items()):
        step = (lambda f, i=i, name=name: on_progress((i + f) / len(models), f"{name}…")) if on_progress else None
        out = impute_batched(model, x, mask, mechanism, k, seed + 1, on_progress=step)
        imputed[name], sd[name], ess[name] = out["mean"], out["sd"], out["ess"].mean().item()
    rmse = {name: rmse_missing_pooled(v, x, mask) for name, v in imputed.items()}
    return Comparison(mask, imputed, sd, rmse, ess)
