"""MIWAE (Mattei & Frellsen, "MIWAE: Deep Generative Modelling and Imputation of Incomplete Data Sets",
arXiv 1812.02633): a VAE trained on L_K = E log (1/K) Σ_k p(x^o|z_k) p(z_k) / q(z_k|x^o), observed pixels only. The
encoder also sees the mask, since on MNIST's black background a zero-imputed pixel is ambiguous. Imputation:
samplers/importance.py.
"""
from __future__ import annotations

from dataclasses import dataclass

from .vae import VAE
from .vae import Config as VAEConfig


@dataclass(frozen=True)
class Config(VAEConfig):
    mask_input: bool = True


class MIWAE(VAE):
    """x: (B, C, H, W) in [0, 1]; mask: (B, 1|C, H, W) bool, True = observed."""

    Config = Config

    def bound(self, x, mask, k: int = 5, generator=None):
        """The MIWAE bound per image -> (B,)."""
        return self.iwae_bound(x, k, mask, generator)
