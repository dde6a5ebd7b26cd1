"""The GAN training page: the same generator trained on one 2-D toy against each critic (squared Hellinger and
Wasserstein, ``models.toy_gan``). The visitor's browser trains it (static/js/workers/toy_train.worker.js, from
``browser_race``: what every session shares, the fixed z, the reference data, the critic's grid); where it cannot, the
server does (the fallback): ``Race`` advances both a few steps a server run, with what each step shows recorded, its
numbers always and on request its picture (``Snapshot``: the generated points and the critic over the box), which the
browser then plays one step a frame."""
from __future__ import annotations

import base64
from dataclasses import dataclass, field

import numpy as np
import torch

from ..controls import Control
from ..models.critics import KINDS
from ..models.toy_gan import (DRAWN, DRAWN_JITTER, ToyConfig, ToyGAN, box_grid, display_z, distances,
                               reference_data, start_of)
from ..tabular import single_thread

TOY_NAMES = {"ring": "a ring of 8 Gaussians", "moons": "two moons", "lines": "the critics page's line",
             DRAWN: "your drawing (2-D flow page)"}
LRS = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2)  # the page's learning rates
# The page's controls, each declared once (dgm_core.controls)
PREFIX = "gan_"  # the page's keys in a link: ?gan_<control>=… (its widgets, its URL state, the deck)
CONTROLS: dict[str, Control] = {
    "toy": Control("lines", "Data", "select", choices=list(TOY_NAMES), names=TOY_NAMES),
    "lr": Control(1e-3, "Learning rate", "select_slider", choices=LRS),
    "k": Control(5, "Critic steps per generator step", "number", lo=1, hi=10),
    "pts": Control("", "Your points"),  # DRAWN's points: the 2-D flow page's drawing, as its link carries it
}
MAX_STEPS = 2000  # generator steps a session can run (then Reset): bounded CPU per student
PLAY_STEPS = 200  # steps of one press of Play
RUN_SECONDS = 0.25  # between two server runs while playing: each sends the pictures trained meanwhile
MAP_N = 24  # the critic is drawn from its values on an n x n grid over the toy's box
SATURATED = 1.8  # a Hellinger bound above this is near its ceiling of 2 (disjoint supports)


@dataclass(frozen=True)
class Frame:
    step: int
    estimate: float  # the critic's bound on the divergence
    off: float  # mean distance from the generated points to the data
    missed: float  # mean distance from the data to the generated points


@dataclass(frozen=True)
class Snapshot:
    """What one step looks like, per objective: the generated points of the fixed z (n, 2) and the critic T over the
    box (MAP_N, MAP_N), rows along y, each rounded for the wire (the browser draws them)."""

    step: int
    points: dict[str, np.ndarray]
    critic: dict[str, np.ndarray]

    def wire(self) -> dict:
        """Compact for the wire, base64 little-endian: the points as int16 hundredths (a pixel of the panel or less),
        the critic as uint8 levels between its frame's lowest and highest value (the shading only needs those)."""
        def b64(a: np.ndarray) -> str:
            return base64.b64encode(np.ascontiguousarray(a).tobytes()).decode()
        out: dict = {"step": self.step}
        for k, pts in self.points.items():
            t = self.critic[k]
            lo, hi = float(t.min()), float(t.max())
            level = np.round((t - lo) / (hi - lo) * 255) if hi > lo else np.full(t.shape, 255.0)
            out[k] = {"pts": b64(np.clip(np.round(pts * 100), -32768, 32767).astype("<i2")),
                      "t": b64(level.astype(np.uint8)), "lo": round(lo, 4), "hi": round(hi, 4)}
        return out


@dataclass
class Race:
    """One toy, one learning rate, one number of critic steps; a generator per objective."""

    toy: str
    lr: float
    critic_steps: int
    seed: int = 0
    points: tuple[float, ...] = ()  # DRAWN's points, flat
    gans: dict[str, ToyGAN] = field(default_factory=dict)
    frames: dict[str, list[Frame]] = field(default_factory=dict)
    z: torch.Tensor = field(default_factory=display_z)

    def __post_init__(self) -> None:
        for kind in KINDS:
            self.gans[kind] = ToyGAN(ToyConfig(self.toy, kind, self.lr, self.critic_steps, seed=self.seed,
                                               points=self.points))
            self.frames[kind] = [Frame(0, float("nan"), *self._distances(self.gans[kind]))]

    def _distances(self, gan: ToyGAN) -> tuple[float, float]:
        return distances(gan.points(self.z), self.toy, drawn=self.points or None)

    @property
    def steps(self) -> int:
        return self.frames[KINDS[0]][-1].step

    @property
    def done(self) -> bool:
        return self.steps >= MAX_STEPS

    def advance(self, steps: int = 1, shots: list[Snapshot] | None = None) -> None:
        """Every generator ``steps`` steps further (up to MAX_STEPS), each recorded as a frame; with ``shots``, each
        step's picture appended to it too."""
        with single_thread():  # tiny matrices: a second thread only waits (and spins) on a shared CPU
            for _ in range(min(steps, MAX_STEPS - self.steps)):
                for kind, gan in self.gans.items():
                    out = gan.step()
                    self.frames[kind].append(Frame(out.step, out.estimate, *self._distances(gan)))
                if shots is not None:
                    shots.append(self.snapshot())

    def snapshot(self) -> Snapshot:
        """This step's picture."""
        return Snapshot(self.steps, {k: g.points(self.z) for k, g in self.gans.items()},
                        {k: g.critic_map(MAP_N)[2] for k, g in self.gans.items()})


def browser_race(toy: str, lr: float, critic_steps: int, seed: int = 0, points: tuple[float, ...] = ()) -> dict:
    """What the browser's trainer needs to train a race as ``Race`` does, flat lists for the wire: the config (for
    DRAWN, its points as ``pool`` and their jitter), where the generators start, the fixed z whose images are drawn
    (``display_z``), the data the distances are measured against (``reference_data``) and the grid the critic is
    drawn on (MAP_N x MAP_N, rows along y)."""
    cfg = ToyConfig(toy, KINDS[0], lr, critic_steps, seed=seed, points=points)
    drawn = points or None
    return {"cfg": {"toy": toy, "lr": lr, "critic_steps": critic_steps, "batch": cfg.batch, "hidden": cfg.hidden,
                    "penalty_weight": cfg.penalty_weight, "seed": seed, "pool": list(points), "jitter": DRAWN_JITTER},
            "start": list(start_of(toy, drawn)), "z": display_z().reshape(-1).tolist(),
            "data": reference_data(toy, drawn=drawn).reshape(-1).tolist(),
            "grid": box_grid(toy, MAP_N)[2].reshape(-1).tolist()}


def verdict(race: Race, labels: dict[str, str]) -> str:
    """What the last frame shows, in a sentence per objective, from its numbers (nothing claimed before a step)."""
    return verdict_of(race.steps, {k: race.frames[k][-1] for k in KINDS}, labels)


def verdict_of(steps: int, last: dict[str, Frame], labels: dict[str, str]) -> str:
    """``verdict`` from the step and each objective's last frame (a race trained here or in the browser)."""
    if steps == 0:
        return "Press Play (or Step): both generators start as the same small blob away from the data."
    parts = []
    for kind in KINDS:
        f = last[kind]
        text = (f"**{labels[kind]}**: bound {f.estimate:.2f}; generated points {f.off:.2f} from the data, the data "
                f"{f.missed:.2f} from them")
        if kind == "hellinger" and f.estimate > SATURATED:
            text += " — the bound is near its ceiling of 2, so the critic tells the generator almost nothing"
        elif f.estimate < 0:
            text += " — below 0, so for now this critic is worse than none (it is catching up with its generator)"
        parts.append(text + ".")
    ahead = min(KINDS, key=lambda k: last[k].off + last[k].missed)
    return (f"After {steps} step{'s' * (steps != 1)}: " + " ".join(parts)
            + f" Closer to the data, both ways: **{labels[ahead]}**.")
