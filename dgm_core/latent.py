"""Latent-space tools for any generator: lerp and slerp paths (White, "Sampling Generative Networks", arXiv
1609.04468) against a pixel blend, and GANSpace directions (Härkönen et al., "GANSpace: Discovering Interpretable
GAN Controls", arXiv 2004.02546): PCs of the generator's first-layer features over random z, mapped back to z by
least squares, since a direction of large variation in what the generator computes is one a person can see.
A ``Generator`` has ``latent``, ``generate(z) -> (B, C, H, W) in [0, 1]`` and ``features(z) -> (B, F)``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
import torch
from torch import nn

EPSILONS = tuple(range(-5, 5))  # the perturbation grid: eps = -5 ... 4, eps = 0 the unperturbed point


class Generator(Protocol):
    latent: int

    def generate(self, z: torch.Tensor) -> torch.Tensor: ...
    def features(self, z: torch.Tensor) -> torch.Tensor: ...


class DecoderGenerator:
    """A VAE seen as a generator: the decoder's mean E[x | z], features = the decoder's first hidden layer."""

    def __init__(self, vae: nn.Module) -> None:
        self.vae = vae
        self.latent = vae.cfg.latent

    def generate(self, z: torch.Tensor) -> torch.Tensor:
        return self.vae.mean(self.vae.decode(z)).clamp(0, 1)

    def features(self, z: torch.Tensor) -> torch.Tensor:
        dec = self.vae.decoder
        first = dec.fc if hasattr(dec, "fc") else dec[0]  # conv decoder: its dense layer; MLP: its first layer
        return torch.relu(first(z)) if hasattr(dec, "fc") else torch.tanh(first(z))


def as_generator(model: nn.Module) -> Generator:
    """The shipped WGANs are generators already; VAEs are wrapped."""
    return model if hasattr(model, "features") and hasattr(model, "generate") else DecoderGenerator(model)


def seed_latent(seed: int, latent: int, n: int = 1, device: torch.device | str = "cpu") -> torch.Tensor:
    """z ~ N(0, I) from a seed: (n, latent). Row i of seed s is the same z for any n > i."""
    g = torch.Generator().manual_seed(int(seed))
    return torch.randn(n, latent, generator=g).to(device)


def lerp(z0: torch.Tensor, z1: torch.Tensor, alphas: torch.Tensor) -> torch.Tensor:
    """(d,), (d,), (A,) -> (A, d): (1 - a) z0 + a z1 (a = 0 gives z0, a = 1 gives z1)."""
    a = alphas.to(z0)[:, None]
    return (1 - a) * z0 + a * z1


def slerp(z0: torch.Tensor, z1: torch.Tensor, alphas: torch.Tensor) -> torch.Tensor:
    """(d,), (d,), (A,) -> (A, d): great-circle path, norm interpolated linearly (a lerp midpoint is shorter,
    atypical under a high-dimensional Gaussian prior). Nearly parallel endpoints: lerp of directions."""
    a = alphas.to(z0)[:, None]
    n0, n1 = z0.norm(), z1.norm()
    u0, u1 = z0 / n0, z1 / n1
    omega = torch.arccos((u0 @ u1).clamp(-1.0, 1.0))
    if omega.abs() < 1e-4:
        u = (1 - a) * u0 + a * u1
        u = u / u.norm(dim=1, keepdim=True)
    else:
        u = (torch.sin((1 - a) * omega) * u0 + torch.sin(a * omega) * u1) / torch.sin(omega)
    return u * ((1 - a) * n0 + a * n1)


def pixel_blend(x0: torch.Tensor, x1: torch.Tensor, alphas: torch.Tensor) -> torch.Tensor:
    """(C, H, W), (C, H, W), (A,) -> (A, C, H, W): the images themselves cross-faded."""
    a = alphas.to(x0)[:, None, None, None]
    return (1 - a) * x0 + a * x1


@dataclass(frozen=True)
class Directions:
    """Unit latent directions (k, d), how much feature variance each PC explains, and their names."""

    vectors: torch.Tensor
    explained: np.ndarray  # (k,) fraction of the feature variance (zeros for raw coordinates)
    names: list[str]


def coordinate_directions(latent: int, dims: list[int] | None = None) -> Directions:
    dims = list(range(latent)) if dims is None else dims
    return Directions(torch.eye(latent)[dims], np.zeros(len(dims)), [f"z[{i}]" for i in dims])


@torch.no_grad()
def ganspace_directions(gen: Generator, k: int = 10, n: int = 2000, seed: int = 0) -> Directions:
    """PCA of ``gen.features`` over n random z, then least squares z ~ coords @ U; U's normalised rows are PC 1..k."""
    from sklearn.decomposition import PCA

    z = seed_latent(seed, gen.latent, n, device=device_of(gen))
    feats = gen.features(z).double().cpu().numpy()  # (n, F)
    pca = PCA(n_components=k, random_state=seed).fit(feats)
    coords = pca.transform(feats)  # (n, k)
    u, *_ = np.linalg.lstsq(coords, z.double().cpu().numpy(), rcond=None)  # (k, d): z ~ coords @ u
    u = u / np.linalg.norm(u, axis=1, keepdims=True)
    vectors = torch.from_numpy(u).float().to(z.device)
    # a PC's sign is arbitrary: orient each so that moving along it brightens the mean image
    probe = z[:64]
    bright = torch.stack([(gen.generate(probe + 2 * v) - gen.generate(probe - 2 * v)).mean() for v in vectors])
    vectors = vectors * torch.where(bright < 0, -1.0, 1.0)[:, None]
    return Directions(vectors, pca.explained_variance_ratio_.copy(), [f"PC {i + 1}" for i in range(k)])


def device_of(gen: Generator) -> torch.device:
    module = gen if isinstance(gen, nn.Module) else gen.vae
    return next(module.parameters()).device


def moved(z: torch.Tensor, directions: torch.Tensor, values: torch.Tensor) -> torch.Tensor:
    """z (d,) moved by values[i] along directions[i]: (d,)."""
    return z + (values.to(z)[:, None] * directions).sum(0)


def strip_latents(z: torch.Tensor, direction: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
    """z + eps_j * direction for every eps: (E, d)."""
    return z[None] + eps.to(z)[:, None] * direction[None]


def grid_latents(z: torch.Tensor, directions: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
    """The perturbation grid: row i = z + eps_j * directions[i]: (k, E, d)."""
    return z[None, None] + eps.to(z)[None, :, None] * directions[:, None, :]
