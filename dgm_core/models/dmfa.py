"""DMFA (Przewięźlikowski, Śmieja & Struski, "Estimating conditional density of missing values using deep
Gaussian mixture model", arXiv 2010.02183): a network reads (x ⊙ mask, mask) and outputs a mixture of
low-rank Gaussians p(x_m | x_o) = Σ_k p_k N(x_m; m_k, A_kᵀA_k + diag(d_k)), trained by the NLL of hidden pixels.

B images, K components, l factors, D = C·H·W pixels; masks bool, True = observed. The module-level helpers
take any ``Output`` and are shared with the MFA baseline (models/mfa.py).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from dgm_core.device import generator as make_generator
from dgm_core.imputation import FactorDiagnostics, Imputation, batch_mask, keep_observed
from dgm_core.masks import rectangles_batch
from dgm_core.metrics import sse_missing

LOG_2PI = math.log(2 * math.pi)
Hole = tuple[int, int]  # (height, width) of a rectangle of missing pixels


@dataclass(frozen=True)
class Config:
    shape: tuple[int, int, int] = (1, 28, 28)  # (C, H, W); H, W divisible by 4
    n_mixes: int = 1  # K
    n_factors: int = 4  # l
    width: int = 32  # channels at full resolution (x2 after each down-sampling)
    bottleneck: int = 256  # dense layer across the whole H/4 x W/4 map: global context for A
    a_amp: float = 0.5  # A entries in (-a_amp/2, a_amp/2)
    d_scale: float = 0.25  # d <= d_scale + d_floor (pixel values live in [0, 1])
    d_floor: float = 1e-4  # variance floor: a Gaussian density on [0,1] pixels is unbounded without it

    def __post_init__(self) -> None:
        object.__setattr__(self, "shape", tuple(int(s) for s in self.shape))
        if self.shape[1] % 4 or self.shape[2] % 4:
            raise ValueError(f"DMFA needs H and W divisible by 4, got {self.shape}")


@dataclass
class Output:
    logits: torch.Tensor  # (B, K) unnormalised
    mean: torch.Tensor  # (B, K, D)
    A: torch.Tensor  # (B, K, l, D)
    d: torch.Tensor  # (B, K, D) > 0


# --- likelihood -----------------------------------------------------------------------------
def lowrank_nll(x: torch.Tensor, mean: torch.Tensor, A: torch.Tensor, d: torch.Tensor,
                sel: torch.Tensor) -> torch.Tensor:
    """-log N(x_S; mean_S, A_Sᵀ A_S + diag(d_S)) over coordinates S = sel of each row -> (...,).

    x, mean, d: (..., D); A: (..., l, D); sel: (..., D) bool. Woodbury + determinant lemma (Richardson &
    Weiss 2018, eqs 4, 6) with unselected columns zeroed: O(D·l²) per row.
    """
    s = sel.to(x.dtype)
    r = (x - mean) * s  # (..., D)
    d_safe = torch.where(sel, d, torch.ones_like(d))  # unselected: d = 1, contributes log 1 = 0
    a = A * s.unsqueeze(-2)  # (..., l, D)
    a_d = a / d_safe.unsqueeze(-2)  # A D^-1
    eye = torch.eye(A.shape[-2], dtype=x.dtype, device=x.device)
    core = eye + a_d @ a.transpose(-1, -2)  # (..., l, l) = I + A D^-1 Aᵀ
    chol = torch.linalg.cholesky(core)
    v = (a_d @ r.unsqueeze(-1))  # (..., l, 1) = A D^-1 r
    w = torch.linalg.solve_triangular(chol, v, upper=False)
    quad = (r * r / d_safe).sum(-1) - w.pow(2).sum((-1, -2))
    logdet = 2 * torch.log(torch.diagonal(chol, dim1=-2, dim2=-1)).sum(-1) + (torch.log(d_safe) * s).sum(-1)
    return 0.5 * (quad + logdet + s.sum(-1) * LOG_2PI)


def component_nll(x: torch.Tensor, mask: torch.Tensor, out: Output) -> torch.Tensor:
    """Per-component NLL of the missing pixels. x: (B, C, H, W), mask broadcastable -> (B, K)."""
    b = x.shape[0]
    miss = ~mask.expand_as(x).reshape(b, 1, -1)
    return lowrank_nll(x.reshape(b, 1, -1), out.mean, out.A, out.d, miss)


def mixture_nll(x: torch.Tensor, mask: torch.Tensor, out: Output) -> torch.Tensor:
    """-log Σ_k p_k N_k(x_m) -> (B,); not Σ_k p_k NLL_k, a Jensen bound that rewards collapse."""
    return -torch.logsumexp(F.log_softmax(out.logits, -1) - component_nll(x, mask, out), -1)


# --- network --------------------------------------------------------------------------------
def _conv(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, padding=1), nn.ReLU())


class DMFA(nn.Module):
    """Small U-Net on (x ⊙ mask, mask) -> Output; x: (B, C, H, W) in [0, 1], mask: (B, 1|C, H, W) bool.
    A dense layer at H/4 mixes the whole map: factor columns must be coherent across wide holes."""

    Config = Config

    def __init__(self, cfg: Config) -> None:
        super().__init__()
        self.cfg = cfg
        c, h, w = cfg.shape
        k, l, c1 = cfg.n_mixes, cfg.n_factors, cfg.width
        c2 = 2 * c1
        self.enc1 = nn.Sequential(_conv(2 * c, c1), _conv(c1, c1))
        self.enc2 = nn.Sequential(nn.Conv2d(c1, c2, 4, 2, 1), nn.ReLU(), _conv(c2, c2))
        self.down = nn.Sequential(nn.Conv2d(c2, c2, 4, 2, 1), nn.ReLU(), _conv(c2, c2))
        n_low = c2 * (h // 4) * (w // 4)
        self.squeeze = nn.Linear(n_low, cfg.bottleneck)
        self.expand = nn.Linear(cfg.bottleneck, n_low)
        self.mix = nn.Linear(cfg.bottleneck, k)
        self.up2 = nn.ConvTranspose2d(2 * c2, c2, 4, 2, 1)
        self.dec2 = _conv(2 * c2, c2)
        self.up1 = nn.ConvTranspose2d(c2, c1, 4, 2, 1)
        self.dec1 = nn.Sequential(_conv(2 * c1, c1), _conv(c1, c1))
        self.head = nn.Conv2d(c1, k * (2 + l) * c, 1)  # per component: m (C), d (C), A (l·C)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> Output:
        cfg = self.cfg
        b = x.shape[0]
        c, h, w = cfg.shape
        k, l = cfg.n_mixes, cfg.n_factors
        m = mask.expand_as(x).to(x.dtype)
        e1 = self.enc1(torch.cat([x * m, m], 1))  # (B, c1, H, W)
        e2 = self.enc2(e1)  # (B, c2, H/2, W/2)
        low = self.down(e2)  # (B, c2, H/4, W/4)
        hid = F.relu(self.squeeze(low.flatten(1)))  # (B, bottleneck)
        glob = F.relu(self.expand(hid)).view_as(low)
        u2 = self.dec2(torch.cat([self.up2(torch.cat([low, glob], 1)), e2], 1))
        u1 = self.dec1(torch.cat([self.up1(u2), e1], 1))
        p = self.head(u1).view(b, k, 2 + l, c * h * w)
        mean = torch.sigmoid(p[:, :, 0])
        d = torch.sigmoid(p[:, :, 1]) * cfg.d_scale + cfg.d_floor
        A = cfg.a_amp * torch.sigmoid(p[:, :, 2:]) - cfg.a_amp / 2
        return Output(self.mix(hid), mean, A, d)

    def nll(self, x: torch.Tensor, mask: torch.Tensor, out: Output | None = None) -> torch.Tensor:
        """Mixture NLL of the missing pixels of x -> (B,). x: (B, C, H, W); mask True = observed."""
        return mixture_nll(x, mask, self(x, mask) if out is None else out)


# --- imputation -----------------------------------------------------------------------------
def impute_from(out: Output, x: torch.Tensor, mask: torch.Tensor, n_samples: int,
                generator: torch.Generator | None, method: str) -> Imputation:
    """Mean and std sqrt(diag(AᵀA + D)) of the most probable component; samples k ~ p_k, then
    m_k + A_kᵀ ε + √d_k ⊙ η. x: (N, C, H, W); mask broadcastable bool."""
    n, (c, h, w) = x.shape[0], x.shape[1:]
    probs = F.softmax(out.logits, -1)  # (N, K)
    best = probs.argmax(-1)
    idx = torch.arange(n, device=x.device)
    mean, A, d = out.mean[idx, best], out.A[idx, best], out.d[idx, best]  # (N, D), (N, l, D), (N, D)
    std = (A.pow(2).sum(1) + d).sqrt()  # sqrt(diag(AᵀA + D))
    kw = dict(generator=generator, device=x.device, dtype=x.dtype)
    comp = torch.multinomial(probs, n_samples, replacement=True, generator=generator)  # (N, S)
    eps = torch.randn((n, n_samples, A.shape[1]), **kw)
    eta = torch.randn((n, n_samples, mean.shape[-1]), **kw)
    mk, ak, dk = (t[idx[:, None], comp] for t in (out.mean, out.A, out.d))  # (N, S, ...)
    samples = mk + (eps.unsqueeze(-2) @ ak).squeeze(-2) + dk.sqrt() * eta
    factors = A.view(n, -1, c, h, w) * (~mask.expand_as(x)).unsqueeze(1)  # zero outside the hole
    res = Imputation(method=method, mean=mean.view(n, c, h, w), samples=samples.view(n, n_samples, c, h, w),
                     std=std.view(n, c, h, w),
                     diagnostics=FactorDiagnostics(factors=factors, weights=probs, component=best))
    return keep_observed(res, x, mask.expand_as(x))


@torch.no_grad()
def impute(model: DMFA, x: torch.Tensor, mask: torch.Tensor, n_samples: int = 8,
           generator: torch.Generator | None = None, truth: torch.Tensor | None = None) -> Imputation:
    """x: (N, C, H, W) (missing pixels ignored); mask: (N|1, 1|C, H, W) or (H, W) bool. With ``truth``,
    diagnostics.nll is the NLL of its missing pixels (that of the model's own mean measures only its spread)."""
    t0 = time.perf_counter()
    mask = batch_mask(mask, x)
    was_training = model.training
    model.eval()
    out = model(x, mask)
    res = impute_from(out, x, mask, n_samples, generator, "dmfa")
    if truth is not None:
        res.diagnostics.nll = mixture_nll(truth, mask, out)
    model.train(was_training)
    res.seconds = time.perf_counter() - t0
    return res


# --- evaluation on rectangular holes (training recipes and `bench dmfa`) -----------------------
def random_holes(n: int, hw: tuple[int, int], hole: Hole, ampl: Hole, generator: torch.Generator) -> torch.Tensor:
    """One (height±ampl) x (width±ampl) hole per image, uniform position -> (n, 1, H, W) bool, True = observed."""
    return rectangles_batch(n, hw, height=hole[0], width=hole[1], height_ampl=ampl[0], width_ampl=ampl[1],
                            generator=generator)


@torch.no_grad()
def hole_metrics(model: nn.Module, x: torch.Tensor, hole: Hole, seed: int, batch: int = 25) -> dict[str, float]:
    """NLL of the hidden pixels and SSE of the best component's mean, one seeded hole per image (DMFA or MFA).
    x: (N, C, H, W) -> {"nll_mean", "nll_std", "nll_median", "sse_mean", "sse_std", "n_images"}."""
    masks = random_holes(x.shape[0], tuple(x.shape[-2:]), hole, (0, 0), make_generator(seed))
    nll, sse = [], []
    model.eval()
    for i in range(0, x.shape[0], batch):
        xb, mb = x[i:i + batch], masks[i:i + batch]
        out = model(xb, mb)
        nll.append(mixture_nll(xb, mb, out))
        best = out.logits.argmax(-1)
        mean = out.mean[torch.arange(xb.shape[0]), best].view_as(xb)
        sse.append(sse_missing(mean, xb, mb))
    nll_t, sse_t = torch.cat(nll), torch.cat(sse)
    return {"nll_mean": nll_t.mean().item(), "nll_std": nll_t.std().item(), "nll_median": nll_t.median().item(),
            "sse_mean": sse_t.mean().item(), "sse_std": sse_t.std().item(), "n_images": x.shape[0]}
