"""Convolutional MIWAE / not-MIWAE for images whose bright pixels are lost (Ipsen, Mattei & Frellsen,
"not-MIWAE: Deep Generative Modelling with Missing not at Random Data", arXiv 2006.12871, §4.3, Table 2).

P(s = 1 | x) = sigmoid(-W (x - b)): MIWAE ignores why pixels go missing and learns the survivors (too dark);
not-MIWAE maximises L_K = E log (1/K) Σ_k p(s | x^o, x^m_k) p(x^o | z_k) p(z_k) / q(z_k | x^o), with the known
(W, b) as in Table 2. ``missing="none"`` is plain MIWAE on the same code path.
x: (B, C, H, W) in [0, 1]; mask: (B, 1|C, H, W) bool, True = observed.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ..device import generator as make_generator
from ..missingness.clipping import Mechanism
from .miwae import MIWAE
from .miwae import Config as MIWAEConfig
from .vae import LOG_2PI, importance_log_weights


@dataclass(frozen=True)
class Config(MIWAEConfig):
    missing: str = "known"  # "none": MIWAE; "known": p(s|x) = prod_j sigmoid(-W (x_j - b)) with W, b given
    mech_w: float = 50.0
    mech_b: float = 0.75

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.missing not in ("none", "known"):
            raise ValueError(f"missing must be 'none' (MIWAE) or 'known' (not-MIWAE), not {self.missing!r}")
        if self.likelihood != "gaussian":
            raise ValueError("the image not-MIWAE needs a Gaussian decoder (x^m is reparameterised)")


def log_p_observed(x: torch.Tensor, mask: torch.Tensor, mechanism: Mechanism) -> torch.Tensor:
    """sum over pixels of log p(s | x) for P(s = 1 | x) = sigmoid(-W (x - b)). x, mask: (N, C, H, W) -> (N,)."""
    w, b = mechanism
    logits = -w * (x - b)
    return -F.binary_cross_entropy_with_logits(logits, mask.to(x.dtype), reduction="none").flatten(1).sum(-1)


PROBIT = math.sqrt(math.pi / 8)  # sigmoid(a) ≈ Phi(PROBIT * a): max error 0.019 in probability


def lost_pixel_moments(mean: torch.Tensor, sd: torch.Tensor, mechanism: Mechanism
                       ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """x ~ N(mean, sd²), P(lost | x) ≈ Phi(c (x - b)), c = W sqrt(pi/8) (probit, for closed forms) ->
    elementwise (log P(lost), E[x | lost], Var[x | lost]). t = sqrt(1 + c² sd²), u = c (mean - b) / t,
    r = phi(u) / Phi(u): log Phi(u), mean + c sd² r / t, sd² - (c sd² / t)² r (u + r)."""
    w, b = mechanism
    c = w * PROBIT
    t = torch.sqrt(1 + (c * sd) ** 2)
    u = c * (mean - b) / t
    log_p = torch.special.log_ndtr(u)
    r = torch.exp(-0.5 * u * u - 0.5 * LOG_2PI - log_p)
    kappa = c * sd * sd / t
    return log_p, mean + kappa * r, (sd * sd - kappa * kappa * r * (u + r)).clamp_min(0)


class ConvNotMIWAE(MIWAE):
    """not-MIWAE (``missing="known"``) or MIWAE (``missing="none"``) for images."""

    Config = Config

    @property
    def mechanism(self) -> Mechanism | None:
        return None if self.cfg.missing == "none" else (self.cfg.mech_w, self.cfg.mech_b)

    def _latent_draws(self, x: torch.Tensor, m: torch.Tensor, k: int, generator: torch.Generator | None
                      ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """log w_k (K, B); decoder mean, log scale at z_k and the mask repeated K times, each (K*B, C, H, W)."""
        log_w, params, mr = importance_log_weights(self, x, k, m, generator)
        return log_w, torch.sigmoid(params[:, 0]), self.log_scale(params), mr

    def log_weights(self, x: torch.Tensor, mask: torch.Tensor, k: int, generator: torch.Generator | None = None,
                    mechanism: Mechanism | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Log-weights (K, B) and completions x^o ∪ x^m_k (K, B, C, H, W) of the training bound (paper eq. 8).
        ``mechanism``: (W, b) of p(s|x); None = no missingness term (MIWAE)."""
        b = x.shape[0]
        m = mask.expand_as(x)
        log_w, mean, log_scale, mr = self._latent_draws(x, m, k, generator)
        xr = x.unsqueeze(0).expand(k, *x.shape).reshape(k * b, *x.shape[1:])
        noise = torch.randn(mean.shape, generator=generator, device=x.device, dtype=x.dtype)
        x_full = torch.where(mr, xr, mean + torch.exp(log_scale) * noise)  # reparameterised x^m
        if mechanism is not None:
            log_w = log_w + log_p_observed(x_full, mr, mechanism).view(k, b)
        return log_w, x_full.view(k, b, *x.shape[1:])

    def bound(self, x: torch.Tensor, mask: torch.Tensor, k: int = 5, generator: torch.Generator | None = None
              ) -> torch.Tensor:
        """The not-MIWAE bound on log p(x^o, s) (MIWAE's on log p(x^o) when missing="none") -> (B,)."""
        log_w, _ = self.log_weights(x, mask, k, generator, self.mechanism)
        return torch.logsumexp(log_w, 0) - math.log(k)

    @torch.no_grad()
    def impute(self, x: torch.Tensor, mask: torch.Tensor, k: int = 500, generator: torch.Generator | None = None,
               mechanism: Mechanism | None | str = "model", chunk: int = 100) -> dict[str, torch.Tensor]:
        """Self-normalised IS over z, lost pixels integrated out given z_k (sampling them collapses the weights):
        alpha_k ∝ p(x^o | z_k) p(z_k) / q(z_k | x^o) Π_{j lost} P(s_j = 0 | z_k),
        E[x_j] ≈ Σ_k alpha_k E[x_j | z_k, s_j = 0].
        ``mechanism``: "model" (the model's own), None or (W, b) -> {"mean", "sd": (B, C, H, W), "ess": (B,)}.
        """
        if isinstance(mechanism, str):
            mechanism = self.mechanism
        m = mask.expand_as(x)
        shape = x.shape
        parts = []
        for i in range(0, k, chunk):  # bounded memory: chunks of importance samples, combined exactly
            kc = min(chunk, k - i)
            log_w, mean, log_scale, mr = self._latent_draws(x, m, kc, generator)
            var = torch.exp(2 * log_scale)
            if mechanism is not None:
                log_lost, m_lost, v_lost = lost_pixel_moments(mean, torch.exp(log_scale), mechanism)
                log_w = log_w + (log_lost * ~mr).flatten(1).sum(-1).view(kc, -1)
                mean, var = torch.where(mr, mean, m_lost), torch.where(mr, var, v_lost)
            parts.append((log_w, mean.view(kc, *shape), var.view(kc, *shape)))
        total = torch.logsumexp(torch.cat([p[0] for p in parts]), 0)  # (B,)
        s1, s2 = torch.zeros_like(x), torch.zeros_like(x)
        ess_den = torch.zeros(shape[0], device=x.device, dtype=x.dtype)
        for log_w, mean, var in parts:
            alpha = torch.exp(log_w - total)  # (k_c, B)
            a = alpha.view(*alpha.shape, 1, 1, 1)
            s1 += (a * mean).sum(0)
            s2 += (a * (var + mean * mean)).sum(0)  # law of total variance over the mixture
            ess_den += alpha.pow(2).sum(0)
        out_mean = torch.where(m, x, s1)
        sd = torch.where(m, torch.zeros_like(x), (s2 - s1 * s1).clamp_min(0).sqrt())
        return {"mean": out_mean, "sd": sd, "ess": 1.0 / ess_den}


@torch.no_grad()
def impute_batched(model: ConvNotMIWAE, x: torch.Tensor, mask: torch.Tensor, mechanism: Mechanism, k: int,
                   seed: int, batch: int = 20, on_progress: Callable[[float], None] | None = None
                   ) -> dict[str, torch.Tensor]:
    """``impute`` in batches, with the known ``mechanism`` for not-MIWAE -> {"mean", "sd": (N, C, H, W), "ess": (N,)}.
    on_progress: the fraction of images done, after each batch."""
    g = make_generator(seed, x.device)
    mech = None if model.cfg.missing == "none" else mechanism
    outs = []
    for i in range(0, x.shape[0], batch):
        outs.append(model.impute(x[i:i + batch], mask[i:i + batch], k, g, mech))
        if on_progress:
            on_progress(min(i + batch, x.shape[0]) / x.shape[0])
    return {key: torch.cat([o[key] for o in outs]) for key in ("mean", "sd", "ess")}
