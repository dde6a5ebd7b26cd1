"""Convolutional MIWAE / not-MIWAE for images whose bright pixels are lost (the clipping experiment of
Ipsen, Mattei & Frellsen, "not-MIWAE", ICLR 2021, arXiv 2006.12871, §4.3 and Table 2).

Every pixel is observed with P(s = 1 | x) = sigmoid(-W (x - b)) (W > 0: pixels brighter than b tend
to go missing). MIWAE ignores why pixels are missing and so learns the distribution of the pixels
that *survived*: too dark. not-MIWAE maximises the bound on log p(x^o, s),

    L_K = E log (1/K) sum_k p(s | x^o, x^m_k) p(x^o | z_k) p(z_k) / q(z_k | x^o),
    (z_k, x^m_k) ~ q(z | x^o) p(x^m | z),

with z and x^m reparameterised. As in the paper's Table 2 the missing model is the *known* process
(W and b are given, not learnt); imputation can be told any other (W, b), e.g. the one a user set.

The networks are the conv MIWAE of dgm_core.models.miwae (encoder input: zero-imputed image and its
mask; Gaussian decoder with sigmoid mean and sd >= min_scale). ``missing="none"`` is plain MIWAE, so
both models share one code path. Shapes: x (B, C, H, W) in [0, 1]; mask (B, 1|C, H, W) bool, True =
observed.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from .miwae import MIWAE
from .miwae import Config as MIWAEConfig
from .vae import LOG_2PI, gaussian_log_prob, log_standard_normal


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


Mechanism = tuple[float, float]  # (W, b)


def log_p_observed(x: torch.Tensor, mask: torch.Tensor, mechanism: Mechanism) -> torch.Tensor:
    """sum over pixels of log p(s | x) for P(s = 1 | x) = sigmoid(-W (x - b)). x, mask: (N, C, H, W) -> (N,)."""
    w, b = mechanism
    logits = -w * (x - b)
    return -F.binary_cross_entropy_with_logits(logits, mask.to(x.dtype), reduction="none").flatten(1).sum(-1)


class ConvNotMIWAE(MIWAE):
    """not-MIWAE (``missing="known"``) or MIWAE (``missing="none"``) for images."""

    Config = Config

    @property
    def mechanism(self) -> Mechanism | None:
        return None if self.cfg.missing == "none" else (self.cfg.mech_w, self.cfg.mech_b)

    def log_weights(self, x: torch.Tensor, mask: torch.Tensor, k: int, generator: torch.Generator | None = None,
                    mechanism: Mechanism | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Importance log-weights (K, B) and the completed images x^o ∪ x^m_k (K, B, C, H, W).

        ``mechanism``: the (W, b) of p(s|x) in the weights; None = no missingness term (MIWAE)."""
        b = x.shape[0]
        m = mask.expand_as(x)
        mu, log_sigma = self.encode(x, m)
        eps = torch.randn((k, *mu.shape), generator=generator, device=x.device, dtype=x.dtype)
        z = mu + torch.exp(log_sigma) * eps  # (K, B, d)
        params = self.decode(z.reshape(k * b, -1))
        mean, log_scale = torch.sigmoid(params[:, 0]), self.log_scale(params)
        xr = x.unsqueeze(0).expand(k, *x.shape).reshape(k * b, *x.shape[1:])
        mr = m.unsqueeze(0).expand(k, *x.shape).reshape(k * b, *x.shape[1:])
        log_px = (gaussian_log_prob(xr, mean, log_scale) * mr).flatten(1).sum(-1).view(k, b)
        log_q = (-0.5 * (eps.pow(2) + LOG_2PI) - log_sigma).sum(-1)
        log_w = log_px + log_standard_normal(z) - log_q
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
        """Self-normalised importance sampling: E[x^m | x^o, s] ≈ sum_k alpha_k x^m_k (consistent, as the
        weights depend on x^m_k through p(s|x)), the weighted sd per pixel, and the effective sample size.

        ``mechanism``: "model" (the model's own: none for MIWAE, the training (W, b) for not-MIWAE), None,
        or a (W, b) pair. Observed pixels are returned unchanged. -> {"mean", "sd": (B, C, H, W), "ess": (B,)}.
        """
        if isinstance(mechanism, str):
            mechanism = self.mechanism
        m = mask.expand_as(x)
        s1 = torch.zeros_like(x)
        s2 = torch.zeros_like(x)
        log_ws = []
        parts = []
        for i in range(0, k, chunk):  # bounded memory: chunks of importance samples, combined exactly
            lw, xf = self.log_weights(x, m, min(chunk, k - i), generator, mechanism)
            parts.append((lw, xf))
            log_ws.append(lw)
        total = torch.logsumexp(torch.cat(log_ws), 0)  # (B,)
        ess_num = torch.zeros(x.shape[0], device=x.device, dtype=x.dtype)
        for lw, xf in parts:
            alpha = torch.exp(lw - total)  # (k_c, B)
            a = alpha.view(*alpha.shape, 1, 1, 1)
            s1 += (a * xf).sum(0)
            s2 += (a * xf * xf).sum(0)
            ess_num += alpha.pow(2).sum(0)
        mean = torch.where(m, x, s1)
        sd = torch.where(m, torch.zeros_like(x), (s2 - s1 * s1).clamp_min(0).sqrt())
        return {"mean": mean, "sd": sd, "ess": 1.0 / ess_num}
