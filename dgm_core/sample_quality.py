"""How good generated digits are, measured offline: the Fréchet distance (Heusel et al., arXiv 1706.08500) in the
features of a small MNIST classifier of ours, and the share of samples that classifier recognises.

No Inception network can be downloaded here, so the features are the 128 penultimate units of ``DigitNet``,
trained on the MNIST training set (seed 0, 2 epochs). A digit is "recognisable" when the classifier's top
softmax probability is >= ``CONFIDENT``; the same share of real test digits is the ceiling. The distance is taken
against the first ``N_DIGITS`` training digits, with ``N_DIGITS`` samples; its floor is real test digits against
them. The numbers are NOT comparable with published FIDs (other features, other sample sizes).
``python -m dgm_core bench wgan`` and the flow-mnist recipe (dgm_core.training.flow) both measure with this.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from .data import ImageSet
from .metrics import frechet_distance
from .models.digits import DigitNet

N_DIGITS = 10_000
CONFIDENT = 0.9  # a digit the classifier is this sure of is "recognisable"
EPOCHS = 2


def train_classifier(x: torch.Tensor, y: torch.Tensor, epochs: int = EPOCHS, seed: int = 0) -> DigitNet:
    """x: (N, 1, 28, 28) in [0, 1]; y: (N,) -> the classifier in eval mode (Adam 1e-3, batch 128)."""
    torch.manual_seed(seed)  # the classifier's initialisation is part of the measurement
    net = DigitNet()
    opt = torch.optim.Adam(net.parameters(), 1e-3)
    g = torch.Generator().manual_seed(seed)
    with torch.enable_grad():  # callers may measure under no_grad
        for _ in range(epochs):
            for idx in torch.randperm(len(x), generator=g).split(128):
                loss = nn.functional.cross_entropy(net(x[idx]), y[idx])
                opt.zero_grad()
                loss.backward()
                opt.step()
    return net.eval()


@torch.no_grad()
def batched(fn: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, size: int = 1000) -> torch.Tensor:
    return torch.cat([fn(x[i:i + size]) for i in range(0, len(x), size)])


@dataclass
class DigitJudge:
    """The trained classifier and what real digits score with it."""

    net: DigitNet
    reference: np.ndarray  # (n, 128) features of the first n training digits
    test_accuracy: float
    test_confident_share: float  # real test digits labelled with confidence >= CONFIDENT (the ceiling)
    floor: float  # Fréchet distance of n real test digits against the reference
    seconds: float  # training the classifier and measuring its test accuracy

    @property
    def n(self) -> int:
        return int(self.reference.shape[0])

    def confidence(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, 1, 28, 28) in [0, 1] -> (B,) the classifier's top softmax probability."""
        return batched(self.net, x).softmax(1).max(1).values


def digit_judge(train: ImageSet, test: ImageSet, n: int = N_DIGITS) -> DigitJudge:
    """Train the classifier on ``train`` and score real digits: test accuracy, confident share, Fréchet floor."""
    t0 = time.perf_counter()
    net = train_classifier(train.x, train.y)
    acc = float((batched(net, test.x).argmax(1) == test.y).float().mean())
    seconds = time.perf_counter() - t0
    ref = batched(net.features, train.x[:n]).numpy()
    floor = frechet_distance(batched(net.features, test.x[:n]).numpy(), ref)
    judge = DigitJudge(net, ref, round(acc, 4), 0.0, round(floor, 3), round(seconds, 1))
    judge.test_confident_share = round(float((judge.confidence(test.x) >= CONFIDENT).float().mean()), 4)
    return judge


def digit_scores(judge: DigitJudge, x: torch.Tensor) -> dict:
    """Generated digits x: (N, 1, 28, 28) in [0, 1] -> Fréchet distance, class shares, recognisable share."""
    n = x.shape[0]
    logits = batched(judge.net, x)
    counts = np.bincount(logits.argmax(1).numpy(), minlength=10)
    return {"frechet_distance": round(frechet_distance(batched(judge.net.features, x).numpy(), judge.reference), 3),
            "class_fractions": [round(c / n, 4) for c in counts.tolist()],
            "largest_class_fraction": round(float(counts.max() / n), 4),
            "smallest_class_fraction": round(float(counts.min() / n), 4),
            "confident_share": round(float((logits.softmax(1).max(1).values >= CONFIDENT).float().mean()), 4)}
