"""The VAE page's calls: reconstructions, prior samples, a 2-D latent map (t-SNE of the codes), and the IWAE bound
against K (Burda, Grosse & Salakhutdinov, "Importance Weighted Autoencoders", arXiv 1509.00519):
L_K = E log (1/K) Σ_k p(x, z_k) / q(z_k | x) rises from the ELBO (K = 1) to log p(x); L_∞ − L_1 = KL(q || true
posterior). x: (B, C, H, W) in [0, 1]; z: (B, d).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

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
    """A 2-D map of encoder means. ``kind`` "latent": the latent space is itself 2-D and xy is z; "tsne": a t-SNE of
    the codes (van der Maaten & Hinton, JMLR 2008), which keeps each code's neighbours near it but not distances or
    areas. z (N, d) the codes, xy (N, 2) their points; grid (rows, cols, C, H, W) decoder means over the map (see
    ``latent_map``); extent (x0, x1, y0, y1) the central 98 % of the points; neighbours_kept: the mean share of each
    code's ``K_NEIGHBOURS`` nearest codes that are among its nearest on the map (1 where the map is the latent
    space)."""

    kind: str
    z: np.ndarray
    xy: np.ndarray
    grid: torch.Tensor
    extent: tuple[float, float, float, float]
    neighbours_kept: float

    def project(self, z: torch.Tensor) -> np.ndarray:
        """Encoder means (B, d) -> their points on the map (B, 2). t-SNE has no map for a new point: it goes to the
        inverse-distance-weighted mean of the points of its ``K_NEIGHBOURS`` nearest codes (a code of the map lands
        on its own point)."""
        z = z.detach().cpu().double().numpy()
        if self.kind == "latent":
            return z
        d = np.sqrt(((z[:, None, :] - self.z[None]) ** 2).sum(-1))  # (B, N)
        near = np.argsort(d, 1)[:, :K_NEIGHBOURS]
        w = 1.0 / (np.take_along_axis(d, near, 1) + 1e-9)
        return (w[..., None] * self.xy[near]).sum(1) / w.sum(1, keepdims=True)


K_NEIGHBOURS = 10  # the neighbours a map is scored on and a new point is placed among


def tsne_map(z: np.ndarray, seed: int = 0, perplexity: float = 30.0) -> np.ndarray:
    """scikit-learn's t-SNE of codes (N, d) -> (N, 2): PCA initialisation and a fixed seed, so the same codes give
    the same map (with a PCA start the seed hardly matters)."""
    from sklearn.manifold import TSNE
    from threadpoolctl import threadpool_limits  # scikit-learn's own dependency

    perplexity = min(perplexity, (z.shape[0] - 1) / 3)  # t-SNE needs more points than 3 x perplexity
    # one OpenMP thread (this thread's limit only): on a busy 2-core server two threads that wait for each other at
    # every step ran 2-3 times slower than one, and one leaves the other core to the visitors
    with threadpool_limits(1, user_api="openmp"):
        return TSNE(n_components=2, perplexity=perplexity, init="pca", random_state=seed).fit_transform(z)


def neighbours_kept(z: np.ndarray, xy: np.ndarray, k: int = K_NEIGHBOURS) -> float:
    """The mean share of each point's k nearest neighbours among codes z (N, d) that are also among its k nearest on
    the map xy (N, 2): 1 = every neighbourhood kept; about k / N for a random map."""
    from sklearn.neighbors import NearestNeighbors

    def near(a: np.ndarray) -> np.ndarray:
        return NearestNeighbors(n_neighbors=k + 1).fit(a).kneighbors(a, return_distance=False)[:, 1:]

    a, b = near(z), near(xy)
    return float(np.mean([len(set(r) & set(s)) / k for r, s in zip(a, b)]))


@torch.no_grad()
def latent_map(model, x: torch.Tensor, grid: int = 9, batch: int = 500, seed: int = 0) -> LatentMap:
    """The encoder means of x (N, C, H, W) on a plane: the latent space itself where it is 2-D, else their t-SNE
    (``seed``). Its grid is grid x grid decoder means over the central 98 % of the points: at each lattice point of
    a 2-D latent space; on a t-SNE map, at the mean code of the points in each square (zeros where there are none:
    t-SNE has no inverse)."""
    z = torch.cat([model.encode(x[i:i + batch])[0] for i in range(0, x.shape[0], batch)]).cpu().double().numpy()
    kind = "latent" if z.shape[1] == 2 else "tsne"
    xy = z.copy() if kind == "latent" else tsne_map(z, seed)
    (x0, y0), (x1, y1) = np.percentile(xy, 1, axis=0), np.percentile(xy, 99, axis=0)
    p = next(model.parameters())
    if kind == "latent":
        gx, gy = np.linspace(x0, x1, grid), np.linspace(y1, y0, grid)  # rows top to bottom: y decreasing
        codes, filled = np.array([[a, b] for b in gy for a in gx]), np.ones(grid * grid, bool)
    else:
        col = np.clip(((xy[:, 0] - x0) / (x1 - x0) * grid).astype(int), 0, grid - 1)
        row = np.clip(((y1 - xy[:, 1]) / (y1 - y0) * grid).astype(int), 0, grid - 1)
        cell = row * grid + col  # outside the central 98 %: the edge square
        filled = np.bincount(cell, minlength=grid * grid) > 0
        codes = np.zeros((grid * grid, z.shape[1]))
        for c in np.flatnonzero(filled):
            codes[c] = z[cell == c].mean(0)
    images = model.mean(model.decode(torch.as_tensor(codes, dtype=p.dtype, device=p.device))).cpu()
    images[torch.as_tensor(~filled)] = 0
    return LatentMap(kind=kind, z=z, xy=xy, grid=images.view(grid, grid, *images.shape[1:]),
                     extent=(float(x0), float(x1), float(y0), float(y1)),
                     neighbours_kept=1.0 if kind == "latent" else neighbours_kept(z, xy))


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
PREFIX = "vae_"  # the page's keys in a link: ?vae_<control>=… (its widgets, its URL state, the deck)
CONTROLS: dict[str, Control] = {
    "model": Control(lambda got: (shipped() or ["vae-mnist"])[0], "Model", "select",
                     choices=lambda got: shipped() or list(MODELS), names=LABELS),
    "src": Control("Test image", "Digit", "radio", choices=["Test image", "Draw", "Upload"]),
    "idx": Control(0, "Test image", lo=0, hi=10**6),  # drawn by the page: its range is the test split's
    "kmax": Control(5000, "Largest K", "select_slider", choices=[k for k in KS if k >= 10]),
    "seed": Control(0, "Sample seed", "number", lo=0, hi=10**6),
}
