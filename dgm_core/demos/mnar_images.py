"""The MNAR images page's call (Ipsen, Mattei & Frellsen, "not-MIWAE", arXiv 2006.12871, §4.3; grey CelebA for SVHN):
clip bright pixels, impute with MIWAE and not-MIWAE, score against a constant fill on lost pixels.
x: (N, 1, H, W) in [0, 1]; masks bool, True = observed.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from ..controls import Control
from ..metrics import rmse_missing_pooled
from ..missingness import clipping
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


# The page's controls, each declared once (dgm_core.controls)
PREFIX = "mi_"  # the page's keys in a link: ?mi_<control>=… (its widgets, its URL state, the deck)
CONTROLS: dict[str, Control] = {
    "clip_w": Control(50.0, "Steepness W", "slider", lo=clipping.W_RANGE[0], hi=clipping.W_RANGE[1], step=1.0,
                      help="how sharp the cut is; the models were trained with W = 50"),
    "clip_b": Control(0.75, "Threshold b", "slider", lo=clipping.B_RANGE[0], hi=clipping.B_RANGE[1], step=0.01,
                      help="brightness at which a pixel has even odds of being lost; trained with b = 0.75"),
    "clip_img": Control(22, "Image", lo=0, hi=10**6),  # drawn by the page: its range is the gallery's
    "clip_k": Control(500, "Importance samples K", "select_slider", choices=(100, 500, 2000),
                      help="draws per imputation: more is steadier and slower"),
    "clip_src": Control("Gallery", "Face from", "radio", choices=("Gallery", "Upload")),
    "clip_seed": Control(0, "Seed", "number", lo=0, hi=10_000, help="which pixels are lost, and the draws"),
}
