"""A GAN on a 2-D toy, trained one step at a time so a page can show it learning: the same small generator
trained against a squared-Hellinger critic (f-GAN) and against a Wasserstein critic with a one-sided gradient
penalty, the critics and objectives of ``critics.py``. The generator starts as a small blob away from the data
(disjoint supports): there the Hellinger critic saturates (its bound sits near 2 and ``exp(T)`` on the generated
points is near 0, so the generator's gradient vanishes), while the Wasserstein critic keeps a slope towards the data.

Generator step losses: Hellinger, the generator's term of the f-GAN bound, E_Q[1 - exp(T(G(z)))]; Wasserstein,
-E_Q[T(G(z))]. Points are (n, 2) float32.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from sklearn.datasets import make_moons
from torch import nn

from .critics import KINDS, CriticConfig, critic_mlp, critic_step, init_linear_, sample_lines

TOYS = ("ring", "moons", "lines")
# A student's own points (the 2-D flow page's drawing), given as ``points``: a batch draws them with replacement and
# adds DRAWN_JITTER * N(0, I), so a stroke's points become a smooth band rather than a few spikes
DRAWN = "drawn"
DRAWN_BOX = (-3.0, 3.0, -3.0, 3.0)
DRAWN_JITTER = 0.05
START = {"ring": (0.0, 0.0), "moons": (0.5, -1.6), "lines": (1.5, 0.5)}  # where the generator's blob starts
BOX = {"ring": (-3.0, 3.0, -3.0, 3.0), "moons": (-1.5, 2.5, -2.2, 1.5), "lines": (-0.5, 2.0, -0.4, 1.4),
       DRAWN: DRAWN_BOX}  # x0 x1 y0 y1


def _drawn(points) -> torch.Tensor:
    pts = torch.as_tensor(np.asarray(points, dtype=np.float32)).reshape(-1, 2)
    if len(pts) == 0:
        raise ValueError("The drawn data has no points: draw some on the 2-D flow page first.")
    return pts


def start_of(toy: str, points=None) -> tuple[float, float]:
    """Where the generator's blob starts: away from the data. For DRAWN, the one of eight places near the box's
    edge (its corners and the middles of its sides) farthest from every drawn point."""
    if toy != DRAWN:
        return START[toy]
    pts = _drawn(points).numpy()
    x0, x1, y0, y1 = DRAWN_BOX
    inset = 0.1 * (x1 - x0)
    xs, ys = (x0 + inset, (x0 + x1) / 2, x1 - inset), (y0 + inset, (y0 + y1) / 2, y1 - inset)
    places = [(x, y) for x in xs for y in ys if (x, y) != (xs[1], ys[1])]
    far = max(places, key=lambda c: np.min(np.hypot(pts[:, 0] - c[0], pts[:, 1] - c[1])))
    return float(far[0]), float(far[1])


def sample_toy(toy: str, n: int, generator: torch.Generator, points=None) -> torch.Tensor:
    """n points of the toy: (n, 2). ring: 8 Gaussians (sd 0.05) on a circle of radius 2; moons: scikit-learn's two
    moons (noise 0.05); lines: the critics page's data segment P = (0, U[0, 1]); DRAWN: ``points`` (m, 2) drawn
    with replacement, plus DRAWN_JITTER * N(0, I)."""
    if toy == DRAWN:
        from .flow2d import sample_pool
        return sample_pool(_drawn(points), n, DRAWN_JITTER, generator)
    if toy == "ring":
        k = torch.randint(0, 8, (n,), generator=generator).float() * (2 * math.pi / 8)
        return 2 * torch.stack([k.cos(), k.sin()], 1) + 0.05 * torch.randn(n, 2, generator=generator)
    if toy == "moons":
        seed = int(torch.randint(0, 2**31 - 1, (1,), generator=generator))
        return torch.as_tensor(make_moons(n, noise=0.05, random_state=seed)[0], dtype=torch.float32)
    if toy == "lines":
        return sample_lines(0.0, n, generator)[0]
    raise ValueError(f"toy must be one of {TOYS + (DRAWN,)}, not {toy!r}")


@dataclass(frozen=True)
class ToyConfig:
    toy: str = "ring"
    objective: str = "wasserstein"
    lr: float = 1e-3  # Adam (0.5, 0.9), generator and critic
    critic_steps: int = 5  # critic updates per generator update
    batch: int = 128
    hidden: int = 32
    penalty_weight: float = 10.0  # Wasserstein only
    seed: int = 0
    points: tuple[float, ...] = ()  # DRAWN only: the drawn points, flat (x, y, x, y, ...)

    def __post_init__(self) -> None:
        if self.toy not in TOYS + (DRAWN,):
            raise ValueError(f"toy must be one of {TOYS + (DRAWN,)}, not {self.toy!r}")
        if self.toy == DRAWN:
            _drawn(self.points)
        if self.objective not in KINDS:
            raise ValueError(f"objective must be one of {KINDS}, not {self.objective!r}")


@dataclass(frozen=True)
class ToyStep:
    step: int  # generator updates so far
    estimate: float  # the critic's objective (the divergence's lower bound) on the last critic batch
    g_loss: float  # the generator's loss on its batch, before its update


class ToyGAN:
    """A generator 2-H-H-2 (ReLU) from z ~ N(0, I_2), its last layer started small around ``START[toy]``, and a
    critic 2-H-H-H-1 (LeakyReLU), trained alternately. Deterministic given the config's seed."""

    def __init__(self, cfg: ToyConfig) -> None:
        self.cfg = cfg
        self.rng = torch.Generator().manual_seed(cfg.seed)  # the data, z and the penalty's t
        init = torch.Generator().manual_seed(cfg.seed)  # the networks' initialisation, the generator's first
        h = cfg.hidden
        self.gen = init_linear_(nn.Sequential(nn.Linear(2, h, device="meta"), nn.ReLU(), nn.Linear(h, h, device="meta"),
                                              nn.ReLU(), nn.Linear(h, 2, device="meta")).to_empty(device="cpu"), init)
        with torch.no_grad():
            self.gen[-1].weight.mul_(0.1)
            self.gen[-1].bias.copy_(torch.tensor(start_of(cfg.toy, cfg.points)))
        self.critic = critic_mlp(CriticConfig(hidden=h, depth=3), init)
        betas = (0.5, 0.9)
        self.opt_g = torch.optim.Adam(self.gen.parameters(), lr=cfg.lr, betas=betas)
        self.opt_c = torch.optim.Adam(self.critic.parameters(), lr=cfg.lr, betas=betas)
        self.steps = 0

    def _t(self, x: torch.Tensor) -> torch.Tensor:
        return self.critic(x).squeeze(-1)

    def step(self) -> ToyStep:
        """``critic_steps`` critic updates, then one generator update; every draw from ``self.rng``, in the order
        p, z (the critic's fake batch), t (Wasserstein's penalty) per critic update, then the generator's z."""
        cfg, kind = self.cfg, self.cfg.objective
        for _ in range(cfg.critic_steps):
            p = sample_toy(cfg.toy, cfg.batch, self.rng, cfg.points)
            with torch.no_grad():
                q = self.gen(torch.randn(cfg.batch, 2, generator=self.rng))
            est = critic_step(kind, self._t, self.opt_c, p, q, cfg.penalty_weight, self.rng)
        g_loss = self.generator_step(torch.randn(cfg.batch, 2, generator=self.rng))
        self.steps += 1
        return ToyStep(self.steps, est, g_loss)

    def generator_step(self, z: torch.Tensor) -> float:
        """One generator update on z (B, 2) against the current critic -> its loss (Hellinger: E[1 - exp(T(G(z)))],
        Wasserstein: -E[T(G(z))])."""
        t_q = self._t(self.gen(z))
        g_loss = (1 - torch.exp(t_q)).mean() if self.cfg.objective == "hellinger" else -t_q.mean()
        self.opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        self.opt_g.step()
        return g_loss.item()

    @torch.no_grad()
    def points(self, z: torch.Tensor) -> np.ndarray:
        """G(z) for fixed z (n, 2): the generated points a page shows frame after frame."""
        return self.gen(z).numpy()

    @torch.no_grad()
    def critic_map(self, n: int = 40) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The critic T over the toy's box: xs (n,), ys (n,), T (n, n) with rows along y."""
        xs, ys, grid = box_grid(self.cfg.toy, n)
        return xs.numpy(), ys.numpy(), self._t(grid).reshape(n, n).numpy()


def box_grid(toy: str, n: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """n x n points over the toy's box: xs (n,), ys (n,), the points (n * n, 2), row i of the grid at ys[i]."""
    x0, x1, y0, y1 = BOX[toy]
    xs, ys = torch.linspace(x0, x1, n), torch.linspace(y0, y1, n)
    return xs, ys, torch.stack(torch.meshgrid(xs, ys, indexing="xy"), -1).reshape(-1, 2)


def display_z(n: int = 200, seed: int = 0) -> torch.Tensor:
    """The fixed z whose images a page follows: (n, 2)."""
    return torch.randn(n, 2, generator=torch.Generator().manual_seed(seed))


def reference_data(toy: str, n: int = 1000, seed: int = 1, drawn=None) -> torch.Tensor:
    """The data points ``distances`` measures against: (n, 2), the same for every session (``drawn``: DRAWN's
    points)."""
    return sample_toy(toy, n, torch.Generator().manual_seed(seed), drawn)


def distances(points: np.ndarray, toy: str, n: int = 1000, seed: int = 1, drawn=None) -> tuple[float, float]:
    """(off, missed): the mean distance from each generated point to the nearest of ``n`` data points (0: every
    point on the data), and from each data point to the nearest generated point (0: no part of the data missed;
    large when the generator collapses onto a part of it)."""
    data = reference_data(toy, n, seed, drawn).numpy()
    d = np.sqrt(((points[:, None, :] - data[None, :, :]) ** 2).sum(-1))
    return float(d.min(1).mean()), float(d.min(0).mean())
