"""The project's digit classifier: a small CNN that reads MNIST digits (conv 32 - pool - conv 64 - pool - 128 - 10).

It is the measuring stick of ``dgm_core.sample_quality`` (its 128 penultimate units are the features of the Fréchet
distance) and, shipped as ``pretrained/digits-mnist``, the reader that turns a sampler's completed digits into a
posterior over the ten classes (``read_digits``): the share of the draws it reads as each digit.
x: (B, 1, 28, 28) in [0, 1]; logits: (B, 10).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn


@dataclass(frozen=True)
class Config:
    channels: tuple[int, int] = field(default=(32, 64))
    hidden: int = 128


class DigitNet(nn.Module):
    """conv - pool - conv - pool - hidden - 10: ``features`` is the hidden layer."""

    Config = Config

    def __init__(self, cfg: Config | None = None) -> None:
        super().__init__()
        self.cfg = cfg = cfg or Config()
        c1, c2 = cfg.channels
        self.body = nn.Sequential(nn.Conv2d(1, c1, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(c1, c2, 3), nn.ReLU(),
                                  nn.MaxPool2d(2), nn.Flatten(), nn.Linear(c2 * 5 * 5, cfg.hidden), nn.ReLU())
        self.head = nn.Linear(cfg.hidden, 10)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))


@torch.no_grad()
def read_each(net: DigitNet, draws: torch.Tensor) -> list[int]:
    """Completed digits (N, 28, 28) or (N, 1, 28, 28) in [0, 1] -> the digit the classifier reads in each (its most
    probable class)."""
    return net(draws.float().clamp(0, 1).reshape(-1, 1, 28, 28)).argmax(1).tolist()


def read_digits(net: DigitNet, draws: torch.Tensor) -> list[float]:
    """Completed digits -> the share of them the classifier reads as each of the ten digits: a sampler's posterior
    over the classes, estimated from its N draws."""
    counts = torch.bincount(torch.tensor(read_each(net, draws)), minlength=10)
    return (counts / counts.sum()).tolist()
