"""Imputation metrics on the missing entries only: pred, truth (N, C, H, W) in [0, 1], mask (N, 1|C, H, W) bool,
True = observed -> (N,). F1 and accuracy binarise at 0.5 with ink (1) positive; no ink to find nor predicted: F1 = 1.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F

if TYPE_CHECKING:
    import numpy as np


def _missing(mask: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    return (~mask).expand_as(like).flatten(1).float()


def f1_missing(pred: torch.Tensor, truth: torch.Tensor, mask: torch.Tensor, threshold: float = 0.5) -> torch.Tensor:
    m = _missing(mask, truth)
    p = (pred.flatten(1) > threshold).float() * m
    t = (truth.flatten(1) > threshold).float() * m
    tp = (p * t).sum(1)
    denom = p.sum(1) + t.sum(1)
    return torch.where(denom > 0, 2 * tp / denom.clamp_min(1e-12), torch.ones_like(tp))


def accuracy_missing(pred: torch.Tensor, truth: torch.Tensor, mask: torch.Tensor,
                     threshold: float = 0.5) -> torch.Tensor:
    m = _missing(mask, truth)
    right = ((pred.flatten(1) > threshold) == (truth.flatten(1) > threshold)).float() * m
    return right.sum(1) / m.sum(1).clamp_min(1)


def mse_missing(pred: torch.Tensor, truth: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean squared error per missing entry."""
    m = _missing(mask, truth)
    return ((pred - truth).flatten(1).pow(2) * m).sum(1) / m.sum(1).clamp_min(1)


def sse_missing(pred: torch.Tensor, truth: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Summed squared error over the missing entries (the DMFA papers' "MSE")."""
    return ((pred - truth).flatten(1).pow(2) * _missing(mask, truth)).sum(1)


def rmse_missing_pooled(pred: torch.Tensor, truth: torch.Tensor, mask: torch.Tensor) -> float:
    """One RMSE over all missing entries of the batch, as the not-MIWAE paper reports; NaN if none."""
    n = (~mask).expand_as(truth).sum().item()
    return (sse_missing(pred, truth, mask).sum().item() / n) ** 0.5 if n else float("nan")


def psnr_missing(pred: torch.Tensor, truth: torch.Tensor, mask: torch.Tensor, max_db: float = 100.0) -> torch.Tensor:
    """10 log10(1 / MSE) on missing entries, in dB (capped at max_db for a perfect fill)."""
    return (10 * torch.log10(1.0 / mse_missing(pred, truth, mask).clamp_min(10 ** (-max_db / 10))))


def ssim(a: torch.Tensor, b: torch.Tensor, window: int = 11, sigma: float = 1.5) -> torch.Tensor:
    """SSIM (Wang et al. 2004) of whole completed images (windowed, so not masked), Gaussian window, range 1 -> (N,)."""
    c1, c2 = 0.01**2, 0.03**2
    coords = torch.arange(window, dtype=a.dtype, device=a.device) - (window - 1) / 2
    g = torch.exp(-coords.pow(2) / (2 * sigma**2))
    g = (g / g.sum())
    kernel = (g[:, None] * g[None, :]).expand(a.shape[1], 1, window, window)

    def blur(t: torch.Tensor) -> torch.Tensor:
        return F.conv2d(F.pad(t, [window // 2] * 4, mode="reflect"), kernel, groups=a.shape[1])

    mu_a, mu_b = blur(a), blur(b)
    var_a = blur(a * a) - mu_a**2
    var_b = blur(b * b) - mu_b**2
    cov = blur(a * b) - mu_a * mu_b
    s = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2))
    return s.flatten(1).mean(1)


def frechet_distance(a: "np.ndarray", b: "np.ndarray") -> float:
    """|mu_a - mu_b|² + tr(S_a + S_b - 2 (S_a S_b)^½) of features (N, F), (M, F) (Heusel et al., arXiv 1706.08500);
    FID in features of a network of ours, as Inception's cannot be downloaded."""
    import numpy as np
    from scipy.linalg import sqrtm

    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    mu = a.mean(0) - b.mean(0)
    sa, sb = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    root = sqrtm(sa @ sb)
    root = root.real if np.iscomplexobj(root) else root  # rounding leaves tiny imaginary parts
    return float(mu @ mu + np.trace(sa + sb - 2 * root))
