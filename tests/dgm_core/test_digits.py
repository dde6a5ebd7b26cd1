"""The shipped digit classifier reads completed digits: drawn strokes it must know, and shares that are counts / n."""
import torch

from dgm_core import pretrained
from dgm_core.models.digits import read_digits


def _stroke_one() -> torch.Tensor:
    x = torch.zeros(28, 28)
    x[5:23, 13:16] = 1  # a vertical bar
    return x


def _ring_zero() -> torch.Tensor:
    yy, xx = torch.meshgrid(torch.arange(28.0), torch.arange(28.0), indexing="ij")
    r = ((yy - 14) / 9) ** 2 + ((xx - 14) / 6) ** 2
    return ((r > 0.6) & (r < 1.2)).float()  # an upright ellipse's outline


def test_the_shipped_classifier_reads_a_drawn_one_and_zero_and_shares_are_counts_over_draws():
    net, card = pretrained.load("digits-mnist")
    assert card.metrics["test_accuracy"] >= 0.97 and card.metrics["test_accuracy_binarised"] >= 0.97
    draws = torch.stack([_stroke_one()] * 3 + [_ring_zero()])
    assert read_digits(net, draws) == [0.25, 0.75] + [0.0] * 8
    assert read_digits(net, draws[:, None]) == read_digits(net, draws)  # (N, 1, 28, 28) too
