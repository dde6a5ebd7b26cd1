"""MIWAE: deep generative modelling and imputation of incomplete data (Mattei & Frellsen, ICML 2019,
arXiv 1812.02633).

The model is a VAE; what changes is training. The importance-weighted bound is taken over the
observed pixels only, L_K = E log (1/K) sum_k p(x^o|z_k) p(z_k) / q(z_k|x^o), so the model learns
from incomplete images and never sees the missing pixels. The encoder input is the zero-imputed
image concatenated with its mask (the paper uses zero imputation alone; the official TF2 notebook
already generalises it, and with MNIST's black background a zero is otherwise ambiguous).
Imputation by self-normalised importance sampling lives in dgm_core.samplers.importance.
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
