"""Tests for dgm_core.samplers.simple: mean and harmonic (neighbour) fills, True = observed."""
from __future__ import annotations

import pytest
import torch

from dgm_core.imputation import FillDiagnostics, Imputation
from dgm_core.samplers.simple import mean_fill, neighbour_fill


def batch(n: int = 2, c: int = 3, h: int = 12, w: int = 10, per_channel: bool = False, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, c, h, w, generator=g)
    mask = torch.rand(n, c if per_channel else 1, h, w, generator=g) > 0.4
    return x, mask


def ramp(h: int = 28, w: int = 28) -> torch.Tensor:
    """x[i, j] = j / (W - 1) -> (1, 1, H, W)."""
    return (torch.arange(w, dtype=torch.float32) / (w - 1)).expand(h, w).reshape(1, 1, h, w).clone()


def check_shapes(r: Imputation, x: torch.Tensor, method: str) -> None:
    n, c, h, w = x.shape
    assert isinstance(r, Imputation) and r.method == method
    assert r.mean.shape == (n, c, h, w) and r.std.shape == (n, c, h, w)
    assert r.samples.shape == (n, 1, c, h, w)
    assert torch.equal(r.samples[:, 0], r.mean)
    assert torch.count_nonzero(r.std) == 0
    assert r.seconds > 0 and isinstance(r.diagnostics, FillDiagnostics)


FILLS = [("mean_fill", lambda x, m: mean_fill(x, m)),
         ("mean_fill", lambda x, m: mean_fill(x, m, fill=0.3)),
         ("neighbour_fill", lambda x, m: neighbour_fill(x, m))]


@pytest.mark.parametrize("per_channel", [False, True])
@pytest.mark.parametrize("method,fn", FILLS)
def test_observed_unchanged_and_shapes(method, fn, per_channel):
    x, mask = batch(per_channel=per_channel)
    r = fn(x, mask)
    check_shapes(r, x, method)
    m = mask.expand_as(x)
    assert torch.equal(r.mean[m], x[m])  # exactly, not approximately
    assert torch.equal(r.samples[:, 0][m], x[m])
    assert float(r.mean.min()) >= 0 and float(r.mean.max()) <= 1


# ------------------------------------------------------------------------- mean fill

def test_mean_fill_observed_mean_closed_form():
    x, mask = batch(per_channel=True)
    r = mean_fill(x, mask)
    m = mask.expand_as(x)
    for i in range(x.shape[0]):
        for k in range(x.shape[1]):
            expected = x[i, k][m[i, k]].mean()
            assert torch.allclose(r.mean[i, k][~m[i, k]], expected.expand(int((~m[i, k]).sum())), atol=1e-6)


def test_mean_fill_with_image_and_scalar():
    x, mask = batch()
    image = torch.rand(3, 12, 10, generator=torch.Generator().manual_seed(5))
    m = mask.expand_as(x)
    r = mean_fill(x, mask, fill=image)
    assert torch.equal(r.mean, torch.where(m, x, image.expand_as(x)))
    r = mean_fill(x, mask, fill=0.25)
    assert torch.equal(r.mean[~m], torch.full_like(x, 0.25)[~m])
    colour = torch.tensor([0.1, 0.5, 0.9]).view(3, 1, 1)  # broadcastable to (C, H, W)
    r = mean_fill(x, mask, fill=colour)
    assert torch.equal(r.mean, torch.where(m, x, colour.expand_as(x)))


def test_mean_fill_nothing_observed_is_mid_grey():
    x = torch.rand(1, 1, 4, 4)
    r = mean_fill(x, torch.zeros(1, 1, 4, 4, dtype=torch.bool))
    assert torch.equal(r.mean, torch.full_like(x, 0.5))


def test_bad_inputs():
    x, mask = batch()
    with pytest.raises(ValueError, match="bool"):
        mean_fill(x, mask.float())
    with pytest.raises(ValueError, match="does not fit"):
        neighbour_fill(x, mask[:, :, :5])
    with pytest.raises(ValueError, match="does not fit"):
        mean_fill(x, mask, fill=torch.zeros(2, 12, 10))
    with pytest.raises(ValueError, match="iterations"):
        neighbour_fill(x, mask, iterations=-1)


# ------------------------------------------------------------------------- neighbour fill

@pytest.mark.parametrize("width", [4, 10])
def test_neighbour_fill_recovers_linear_ramp(width):
    """Harmonic functions are exact on linear data: a missing stripe of a ramp comes back."""
    x = ramp()
    mask = torch.ones_like(x, dtype=torch.bool)
    lo = (28 - width) // 2
    mask[..., lo:lo + width] = False
    r = neighbour_fill(x, mask)  # default iterations must be enough
    assert (r.mean - x).abs().max() < 1e-3
    assert r.diagnostics.sweeps < 2 * (28 + 28)  # converged before the cap
    # a mean fill, the foil, is far off on the same stripe
    assert (mean_fill(x, mask).mean - x).abs().max() > 0.02


def test_neighbour_fill_ramp_with_a_hole_touching_the_border():
    """Reflecting borders: a hole touching the top or bottom edge is still filled with the ramp
    (it is flat across those edges; zero padding instead would pull the fill towards black)."""
    x = ramp(20, 24).repeat(2, 3, 1, 1)
    mask = torch.ones(2, 1, 20, 24, dtype=torch.bool)
    mask[0, :, :12, 6:18] = False  # the top edge
    mask[1, :, 9:, 3:10] = False  # the bottom edge
    r = neighbour_fill(x, mask)
    assert (r.mean - x).abs().max() < 1e-3


def test_neighbour_fill_single_pixel_spreads_everywhere():
    x = torch.rand(2, 3, 9, 13, generator=torch.Generator().manual_seed(1))
    mask = torch.zeros(2, 1, 9, 13, dtype=torch.bool)
    mask[0, 0, 4, 6] = True
    mask[1, 0, 0, 12] = True  # a corner: the front must sweep the whole image
    r = neighbour_fill(x, mask)
    expected = torch.stack([x[0, :, 4, 6], x[1, :, 0, 12]]).view(2, 3, 1, 1).expand_as(x)
    assert torch.allclose(r.mean, expected, atol=1e-6)
    assert r.diagnostics.unreached == 0


def test_neighbour_fill_is_smooth_average_of_neighbours():
    """At convergence every missing pixel is the mean of its in-image 4-neighbours."""
    x, mask = batch(n=1, c=1, h=16, w=16)
    r = neighbour_fill(x, mask, iterations=500)
    v = r.mean[0, 0].double()
    pad = torch.nn.functional.pad(v, (1, 1, 1, 1))
    ones = torch.nn.functional.pad(torch.ones_like(v), (1, 1, 1, 1))
    nb = pad[:-2, 1:-1] + pad[2:, 1:-1] + pad[1:-1, :-2] + pad[1:-1, 2:]
    cnt = ones[:-2, 1:-1] + ones[2:, 1:-1] + ones[1:-1, :-2] + ones[1:-1, 2:]
    miss = ~mask[0, 0]
    assert torch.allclose(v[miss], (nb / cnt)[miss], atol=1e-4)


def test_neighbour_fill_nothing_observed_and_zero_iterations():
    x = torch.rand(2, 1, 6, 6)
    mask = torch.ones(2, 1, 6, 6, dtype=torch.bool)
    mask[0] = False  # image 0: nothing observed -> mid-grey, and the loop still ends early
    mask[1, 0, 2:4, 2:4] = False
    r = neighbour_fill(x, mask)
    assert torch.equal(r.mean[0], torch.full((1, 6, 6), 0.5))
    assert r.diagnostics.sweeps < 2 * (6 + 6)
    r0 = neighbour_fill(x, mask, iterations=0)  # no sweep: the observed mean, never garbage
    m = mask[1, 0]
    assert torch.allclose(r0.mean[1, 0][~m], x[1, 0][m].mean().expand(4))


def test_neighbour_fill_converges_on_a_large_hole_by_default():
    """x[i, j] = i*j is harmonic (its discrete Laplacian is 0): a 32×32 hole in 64×64 comes back
    within the default sweeps (plain Gauss-Seidel, without over-relaxation, is still off by 3e-4)."""
    i = torch.arange(64, dtype=torch.float32)
    x = (i[:, None] * i[None, :] / 63**2).expand(1, 3, 64, 64).clone()
    mask = torch.ones(1, 1, 64, 64, dtype=torch.bool)
    mask[..., 16:48, 16:48] = False
    r = neighbour_fill(x, mask)
    assert (r.mean - x).abs().max() < 1e-4
