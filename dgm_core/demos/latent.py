"""The latent explorer page's calls: samples, slider strips, the perturbation grid, and latent (lerp, slerp)
against pixel interpolation, frames scored by a WGAN critic. Generators: the shipped WGANs (arXiv 1701.07875)
and VAE decoders (arXiv 1312.6114); tools in dgm_core.latent.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import torch
from torch import nn

from .. import latent as lt
from .. import pretrained, results
from ..controls import Control

# shipped model -> (data set, kind): the page offers the ones that are installed
MODELS: dict[str, tuple[str, str]] = {
    "wgan-celeba": ("celeba", "WGAN"), "wgan-mnist": ("mnist", "WGAN"),
    "vae-celeba": ("celeba", "VAE"), "vae-mnist": ("mnist", "VAE"),
}
CRITIC_OF = {"celeba": "wgan-celeba", "mnist": "wgan-mnist"}  # the WGAN whose critic scores a data set's frames
SLIDER_EPS = tuple(float(v) for v in np.round(np.arange(-5, 5.01, 0.5), 2))  # the values a slider can take
N_FRAMES = 11  # interpolation frames, alpha = 0, 0.1, ..., 1
LABELS = {"wgan-celeba": "WGAN · faces (CelebA 32×32)", "wgan-mnist": "WGAN · digits (MNIST)",
          "vae-celeba": "VAE · faces (CelebA 32×32)", "vae-mnist": "VAE · digits (MNIST)"}
N_DIRS = 10  # GANSpace components computed per model
MAX_DIRS = 6  # directions moved at once
ALPHAS = tuple(round(i / 10, 1) for i in range(N_FRAMES))  # the interpolation player's frames


def measured(name: str) -> dict:
    """``bench wgan``'s {"quality", "midpoints", "opening_seed"} for this model, the parts it has ({} if none), and
    for wgan-mnist the documents of ``bench wgan_progress``'s checkpoints ("progress": each run's measured)."""
    try:
        figures = results.wgan()
    except results.ResultsError:
        return {}
    out: dict = {}
    if name in figures.quality:
        out["quality"] = figures.quality[name]
    if name in figures.midpoints:
        out["midpoints"] = figures.midpoints[name]
    if name in figures.opening_seeds:
        out["opening_seed"] = figures.opening_seeds[name]
    if name == "wgan-mnist":  # the shipped run's, and each candidate's (the one that made the card counts)
        progress = []
        for doc in results.names("wgan_progress*"):
            try:
                progress.append(results.document(doc))
            except results.ResultsError:
                pass
        out["progress"] = progress
    return out


class LatentError(ValueError):
    """A request the page can answer with one sentence (a bad direction, a slider out of range)."""


@dataclass
class Explorer:
    """A generator with its GANSpace directions, ready for the page (built once per model)."""

    name: str
    gen: lt.Generator
    pcs: lt.Directions

    @property
    def latent(self) -> int:
        return self.gen.latent

    def directions(self, kind: str, which: list[int]) -> lt.Directions:
        """``kind``: "pca" (GANSpace) or "raw" (coordinates); ``which``: indices into that family."""
        limit = len(self.pcs.names) if kind == "pca" else self.latent
        bad = [i for i in which if not 0 <= i < limit]
        if bad:
            raise LatentError(f"Direction {bad[0]} does not exist: this model has {limit} "
                              f"{'principal components' if kind == 'pca' else 'latent coordinates'}.")
        if kind == "raw":
            return lt.coordinate_directions(self.latent, which)
        return lt.Directions(self.pcs.vectors[which], self.pcs.explained[which], [self.pc_name(i) for i in which])

    def pc_name(self, i: int) -> str:
        """A GANSpace direction by its share of the variance it was found in: "PC 1 (12 % of variance)"."""
        return f"{self.pcs.names[i]} ({self.pcs.explained[i]:.0%} of variance)"

    @cached_property
    def shape(self) -> tuple[int, ...]:
        """(C, H, W) of an image."""
        return tuple(self.render(torch.zeros(1, self.latent, device=lt.device_of(self.gen))).shape[1:])

    @torch.no_grad()
    def render(self, z: torch.Tensor) -> torch.Tensor:
        """(B, d) -> (B, C, H, W) in [0, 1]."""
        return self.gen.generate(z)


def build(name: str, model: nn.Module, k: int = 10) -> Explorer:
    gen = lt.as_generator(model)
    return Explorer(name, gen, lt.ganspace_directions(gen, k=k))


def check_values(values: list[float]) -> torch.Tensor:
    """Slider values as a tensor; raises LatentError (one sentence) for a value no slider can take."""
    if any(not np.isfinite(v) or abs(v) > max(SLIDER_EPS) * 2 for v in values):
        raise LatentError(f"Slider values must lie within ±{max(SLIDER_EPS) * 2:g}.")
    return torch.tensor(values, dtype=torch.float32)


def base_latent(ex: Explorer, seed: int) -> torch.Tensor:
    return lt.seed_latent(seed, ex.latent, device=lt.device_of(ex.gen))[0]


@torch.no_grad()
def samples(ex: Explorer, seed: int, n: int = 16) -> torch.Tensor:
    """The first image of seeds seed, seed + 1, ... seed + n - 1: (n, C, H, W)."""
    z = torch.stack([base_latent(ex, s) for s in range(seed, seed + n)])
    return ex.render(z)


@torch.no_grad()
def slider_view(ex: Explorer, seed: int, dirs: lt.Directions, values: list[float]
                ) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """The image at z(seed) moved by ``values`` along ``dirs``, and per direction the strip of images
    with that direction's value running over SLIDER_EPS and the others held: ((C, H, W), [(E, C, H, W)])."""
    v = check_values(values)
    z = lt.moved(base_latent(ex, seed), dirs.vectors, v)
    eps = torch.tensor(SLIDER_EPS)
    lat = torch.cat([lt.strip_latents(z - v[i] * d, d, eps) for i, d in enumerate(dirs.vectors)] + [z[None]])
    imgs = ex.render(lat)  # one batch for every strip and the image
    e = len(SLIDER_EPS)
    return imgs[-1], [imgs[i * e:(i + 1) * e] for i in range(len(dirs.vectors))]


@torch.no_grad()
def perturbation_grid(ex: Explorer, seed: int, dirs: lt.Directions,
                      eps: tuple[int, ...] = lt.EPSILONS) -> torch.Tensor:
    """Row i: z(seed) + eps_j * direction i, eps = -5 ... 4 (0 = the original): (k, E, C, H, W)."""
    lat = lt.grid_latents(base_latent(ex, seed), dirs.vectors, torch.tensor(eps, dtype=torch.float32))
    k, e, d = lat.shape
    imgs = ex.render(lat.reshape(k * e, d))
    return imgs.reshape(k, e, *imgs.shape[1:])


@dataclass
class Interpolation:
    alphas: np.ndarray  # (A,)
    frames: dict[str, torch.Tensor]  # path name -> (A, C, H, W)
    scores: dict[str, np.ndarray] | None  # path name -> critic score per frame (None: no critic installed)


@torch.no_grad()
def interpolation(ex: Explorer, seed_a: int, seed_b: int, critic: nn.Module | None = None,
                  n_frames: int = N_FRAMES) -> Interpolation:
    """Latent lerp, latent slerp and pixel blending from z(seed_a) to z(seed_b), each frame scored by
    ``critic`` (a WGAN: its ``score`` of [0, 1] images) when one is given."""
    a = torch.linspace(0, 1, n_frames)
    z0, z1 = base_latent(ex, seed_a), base_latent(ex, seed_b)
    both = ex.render(torch.cat([lt.lerp(z0, z1, a), lt.slerp(z0, z1, a)]))
    frames = {"latent lerp": both[:n_frames], "latent slerp": both[n_frames:],
              "pixel blend": lt.pixel_blend(both[0], both[n_frames - 1], a)}
    scores = None
    if critic is not None:
        scores = {k: critic.score(v.to(next(critic.parameters()).device)).cpu().numpy() for k, v in frames.items()}
    return Interpolation(a.numpy(), frames, scores)


def shipped() -> list[str]:
    """The generators of ``MODELS`` that have a card in pretrained/, in that order."""
    have = {c.name for c in pretrained.list_cards()}
    return [m for m in MODELS if m in have]


def _dims(got: dict) -> int:
    """How many directions the chosen model and kind offer (the last index a link may name, plus one)."""
    if got["kind"] == "pca" or got["model"] not in shipped():
        return N_DIRS
    return int(pretrained.load_card(got["model"]).config["latent"])


def _opening_seed(got: dict) -> int:
    """The seed bench wgan chose by its recorded rule (median score of seeds 0-99), never a hand pick."""
    return measured(got["model"]).get("opening_seed", 0)


# The page's controls, each declared once (dgm_core.controls); the sliders' values and the player's frame are drawn
# by the page's own components
PREFIX = "lat_"  # the page's keys in a link: ?lat_<control>=… (its widgets, its URL state, the deck)
CONTROLS: dict[str, Control] = {
    "model": Control(lambda got: (shipped() or ["wgan-celeba"])[0], "Generator", "select",
                     choices=lambda got: shipped() or list(MODELS), names=LABELS),
    "seed": Control(_opening_seed, "Seed of z", "number", lo=0, hi=10**6, help="z ~ N(0, I) drawn from this seed."),
    "kind": Control("pca", "Directions", "radio", choices=["pca", "raw"],
                    names={"pca": "GANSpace (PCA)", "raw": "raw coordinates"},
                    help="GANSpace: principal components of the generator's first-layer features, mapped back to z. "
                         "Raw: single coordinates of z."),
    # drawn by the page as chips named by the model's directions
    "dirs": Control([0, 1, 2, 3, 4], "Directions to move", lo=0, hi=lambda got: _dims(got) - 1, max_items=MAX_DIRS),
    "vals": Control([0.0] * 5, "slider values", lo=min(SLIDER_EPS), hi=max(SLIDER_EPS), max_items=MAX_DIRS, fill=0.0,
                    unique=False),
    "seed_b": Control(1, "Seed B (the other end of the path)", "number", lo=0, hi=10**6),
    "alpha": Control(0.5, "α", choices=ALPHAS),
    "tab": Control("Sliders", "Tab", choices=["Sliders", "Perturbation grid", "Interpolation"]),
}
