"""The VAE page's calls: reconstructions, prior samples, a 2-D latent map, and the IWAE bound against K (Burda,
Grosse & Salakhutdinov, "Importance Weighted Autoencoders", arXiv 1509.00519): L_K = E log (1/K) Σ_k p(x, z_k) /
q(z_k | x) rises from the ELBO (K = 1) to log p(x); L_∞ − L_1 = KL(q || true posterior). x: (B, C, H, W) in [0, 1];
z: (B, d).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from sklearn.decomposition import PCA

from .. import pretrained
from ..controls import Control
from ..models.vae import importance_log_weights

KS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000)  # the page's K axis (log scale)
K_MAX = 5000


@dataclass
class BoundCurve:
    """L_K per K from max(ks) weights per image split into disjoint groups of K: ``mean`` unbiased, ``sd`` the
    spread of one K-sample estimate; (n_k,) in nats, averaged over images."""

    ks: list[int]
    mean: np.ndarray
    sd: np.ndarray

    @property
    def best(self) -> float:
        """The tightest estimate (largest K): the reference the gap is measured to."""
        return float(self.mean[-1])

    @property
    def gap(self) -> np.ndarray:
        return self.best - self.mean


def check_ks(ks: list[int] | tuple[int, ...]) -> list[int]:
    """Sorted, distinct K in [1, K_MAX]; raises ValueError with one sentence otherwise."""
    ks = sorted(set(int(k) for k in ks))
    if not ks or ks[0] < 1 or ks[-1] > K_MAX:
        raise ValueError(f"K must be a whole number between 1 and {K_MAX}.")
    return ks


@torch.no_grad()
def bound_curve(model, x: torch.Tensor, ks: list[int] | tuple[int, ...] = KS,
                generator: torch.Generator | None = None, chunk: int = 8) -> BoundCurve:
    """L_K of ``model`` on the images x, averaged over them, for every K in ks."""
    ks = check_ks(ks)
    n = ks[-1]
    per_k: list[list[torch.Tensor]] = [[] for _ in ks]
    for i in range(0, x.shape[0], chunk):
        log_w, _, _ = importance_log_weights(model, x[i:i + chunk], n, None, generator)  # (n, b)
        for j, k in enumerate(ks):
            groups = n // k
            lw = log_w[: groups * k].view(groups, k, -1)
            per_k[j].append(torch.logsumexp(lw, 1) - math.log(k))  # (groups, b)
    mean, sd = [], []
    for est in per_k:
        e = torch.cat(est, 1).double()  # (groups, B)
        mean.append(e.mean().item())
        sd.append(e.std(0).mean().item() if e.shape[0] > 1 else 0.0)
    return BoundCurve(ks=ks, mean=np.array(mean), sd=np.array(sd))


@torch.no_grad()
def reconstruct(model, x: torch.Tensor, n_draws: int = 4,
                generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Decoder mean at the encoder mean (B, C, H, W), and at ``n_draws`` z ~ q(z | x): (B, n_draws, C, H, W)."""
    mu, log_sigma = model.encode(x)
    mean = model.mean(model.decode(mu))
    eps = torch.randn((n_draws, *mu.shape), generator=generator, device=x.device, dtype=x.dtype)
    z = (mu + log_sigma.exp() * eps).reshape(-1, mu.shape[-1])
    draws = model.mean(model.decode(z)).view(n_draws, *x.shape).transpose(0, 1)
    return mean, draws


@torch.no_grad()
def prior_samples(model, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """Decoder means at z ~ N(0, I) -> (n, C, H, W) (means, not Bernoulli noise: they read as images)."""
    p = next(model.parameters())
    z = torch.randn((n, model.cfg.latent), generator=generator, device=p.device, dtype=p.dtype)
    return model.mean(model.decode(z))


@dataclass
class LatentMap:
    """Encoder means on their 2-PC plane: xy (N, 2); grid (rows, cols, C, H, W) decoder means over the plane
    (other directions at the mean); extent (x0, x1, y0, y1)."""

    pca: PCA
    xy: np.ndarray
    explained: tuple[float, float]
    grid: torch.Tensor
    extent: tuple[float, float, float, float]

    def project(self, z: torch.Tensor) -> np.ndarray:
        """Encoder means (B, d) -> their points on the map (B, 2)."""
        return self.pca.transform(z.detach().cpu().double().numpy())


@torch.no_grad()
def latent_map(model, x: torch.Tensor, grid: int = 9, batch: int = 500) -> LatentMap:
    """2-D PCA of x's (N, C, H, W) encoder means; decode a grid × grid lattice over the central 98 % of points."""
    z = torch.cat([model.encode(x[i:i + batch])[0] for i in range(0, x.shape[0], batch)]).cpu().double().numpy()
    pca = PCA(n_components=2, random_state=0).fit(z)
    xy = pca.transform(z)
    (x0, y0), (x1, y1) = np.percentile(xy, 1, axis=0), np.percentile(xy, 99, axis=0)
    gx, gy = np.linspace(x0, x1, grid), np.linspace(y1, y0, grid)  # rows top to bottom: y decreasing
    plane = np.array([[a, b] for b in gy for a in gx])
    p = next(model.parameters())
    zg = torch.as_tensor(pca.inverse_transform(plane), dtype=p.dtype, device=p.device)
    images = model.mean(model.decode(zg)).cpu()
    return LatentMap(pca=pca, xy=xy, explained=tuple(float(v) for v in pca.explained_variance_ratio_),
                     grid=images.view(grid, grid, *images.shape[1:]), extent=(x0, x1, y0, y1))


@torch.no_grad()
def encode_mean(model, x: torch.Tensor) -> torch.Tensor:
    """Encoder means (B, d) of images (B, C, H, W)."""
    return model.encode(x)[0]


# the shipped binary VAEs the page offers (model name -> data set); the page lists those with a card
MODELS = {"vae-mnist": "mnist", "iwae-mnist": "mnist", "vae-omniglot": "omniglot"}
LABELS = {"vae-mnist": "VAE (ELBO), MNIST", "iwae-mnist": "IWAE (K = 5), MNIST", "vae-omniglot": "VAE (ELBO), Omniglot"}


def shipped() -> list[str]:
    """The VAEs of ``MODELS`` that have a card in pretrained/, in that order."""
    have = {c.name for c in pretrained.list_cards()}
    return [m for m in MODELS if m in have]


# The page's controls, each declared once (dgm_core.controls)
CONTROLS: dict[str, Control] = {
    "model": Control(lambda got: (shipped() or ["vae-mnist"])[0], "Model", "select",
                     choices=lambda got: shipped() or list(MODELS), names=LABELS),
    "src": Control("Test image", "Digit", "radio", choices=["Test image", "Draw", "Upload"]),
    "idx": Control(0, "Test image", lo=0, hi=10**6),  # drawn by the page: its range is the test split's
    "kmax": Control(5000, "Largest K", "select_slider", choices=[k for k in KS if k >= 10]),
    "seed": Control(0, "Sample seed", "number", lo=0, hi=10**6),
}
