"""The result type every imputer returns, and the one rule they all keep: observed entries never change.

A leaf module: models (DMFA, MFA) and samplers (Gibbs chains, importance sampling, simple fills) both
return an ``Imputation``, so neither has to import the other. Shapes: N images, S draws per image,
(C, H, W) an image; masks are bool, True = observed.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch


@dataclass
class Imputation:
    """The one result type of every imputer (samplers, MIWAE-IS, DMFA, simple fills).

    mean:    (N, C, H, W) single imputation: observed pixels + the conditional mean on missing ones
    samples: (N, S, C, H, W) multiple imputations (completed images), S >= 1
    std:     (N, C, H, W) per-pixel predictive standard deviation (0 on observed pixels)
    diagnostics: method-specific traces (acceptance, log-joint, ESS, ...) as tensors or floats
    """

    method: str
    mean: torch.Tensor
    samples: torch.Tensor
    std: torch.Tensor
    diagnostics: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0


def keep_observed(result: Imputation, x: torch.Tensor, mask: torch.Tensor) -> Imputation:
    """Put the observed pixels back exactly and zero their spread (x: (N,C,H,W), mask broadcastable)."""
    m = mask.expand_as(x)
    result.mean = torch.where(m, x, result.mean)
    result.samples = torch.where(m.unsqueeze(1), x.unsqueeze(1), result.samples)
    result.std = torch.where(m, torch.zeros_like(result.std), result.std)
    return result


def batch_mask(mask: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """A mask for a batch: (H, W) or (B|1, 1|C, H, W) bool -> (N, 1|C, H, W) on x's device."""
    if mask.dtype != torch.bool:
        raise ValueError("the mask must be a bool tensor (True = observed)")
    mask = mask.to(x.device)
    if mask.ndim == 2:
        mask = mask[None, None]
    return mask.expand(x.shape[0], *mask.shape[1:])
