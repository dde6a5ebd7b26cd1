"""The GAN training page: the same generator trained on one 2-D toy against each critic (squared Hellinger and
Wasserstein, ``models.toy_gan``), advanced together a few steps a frame, with what each frame shows recorded."""
from __future__ import annotations

from dataclasses import dataclass, field

import torch

from ..models.critics import KINDS
from ..models.toy_gan import ToyConfig, ToyGAN, display_z, distances
from ..tabular import single_thread

MAX_STEPS = 2000  # generator steps a session can run (then Reset): bounded CPU per student
PLAY_STEPS = 200  # steps of one press of Play
STEPS_PER_FRAME = 5  # steps between two frames while playing: a frame costs about a second on a busy host

FRAME_SECONDS = 0.1  # asked between two frames while playing
SATURATED = 1.8  # a Hellinger bound above this is near its ceiling of 2 (disjoint supports)


@dataclass(frozen=True)
class Frame:
    step: int
    estimate: float  # the critic's bound on the divergence
    off: float  # mean distance from the generated points to the data
    missed: float  # mean distance from the data to the generated points


@dataclass
class Race:
    """One toy, one learning rate, one number of critic steps; a generator per objective."""

    toy: str
    lr: float
    critic_steps: int
    seed: int = 0
    gans: dict[str, ToyGAN] = field(default_factory=dict)
    frames: dict[str, list[Frame]] = field(default_factory=dict)
    z: torch.Tensor = field(default_factory=display_z)

    def __post_init__(self) -> None:
        for kind in KINDS:
            self.gans[kind] = ToyGAN(ToyConfig(self.toy, kind, self.lr, self.critic_steps, seed=self.seed))
            self.frames[kind] = [Frame(0, float("nan"), *distances(self.gans[kind].points(self.z), self.toy))]

    @property
    def steps(self) -> int:
        return self.frames[KINDS[0]][-1].step

    @property
    def done(self) -> bool:
        return self.steps >= MAX_STEPS

    def advance(self, steps: int = 1) -> None:
        """Every generator ``steps`` steps further (up to MAX_STEPS), each recorded as a frame."""
        with single_thread():  # tiny matrices: a second thread only waits (and spins) on a shared CPU
            for kind, gan in self.gans.items():
                for _ in range(min(steps, MAX_STEPS - gan.steps)):
                    out = gan.step()
                    self.frames[kind].append(Frame(out.step, out.estimate, *distances(gan.points(self.z), self.toy)))


def verdict(race: Race, labels: dict[str, str]) -> str:
    """What the last frame shows, in a sentence per objective, from its numbers (nothing claimed before a step)."""
    if race.steps == 0:
        return "Press Play (or Step): both generators start as the same small blob away from the data."
    parts = []
    for kind in KINDS:
        f = race.frames[kind][-1]
        text = (f"**{labels[kind]}**: bound {f.estimate:.2f}; generated points {f.off:.2f} from the data, the data "
                f"{f.missed:.2f} from them")
        if kind == "hellinger" and f.estimate > SATURATED:
            text += " — the bound is near its ceiling of 2, so the critic tells the generator almost nothing"
        elif f.estimate < 0:
            text += " — below 0, so for now this critic is worse than none (it is catching up with its generator)"
        parts.append(text + ".")
    ahead = min(KINDS, key=lambda k: race.frames[k][-1].off + race.frames[k][-1].missed)
    return (f"After {race.steps} step{'s' * (race.steps != 1)}: " + " ".join(parts)
            + f" Closer to the data, both ways: **{labels[ahead]}**.")
