import math

import pytest
import torch

from dgm_core import metrics


def test_binary_scores_count_only_missing_pixels():
    truth = torch.tensor([[1.0, 1.0, 0.0, 0.0, 1.0, 0.0]]).view(1, 1, 1, 6)
    pred = torch.tensor([[1.0, 0.0, 1.0, 0.0, 0.0, 1.0]]).view(1, 1, 1, 6)
    mask = torch.tensor([[False, False, False, False, True, True]]).view(1, 1, 1, 6)
    # missing: truth 1 1 0 0, pred 1 0 1 0 -> TP 1, FP 1, FN 1
    assert metrics.f1_missing(pred, truth, mask).item() == pytest.approx(0.5)
    assert metrics.accuracy_missing(pred, truth, mask).item() == pytest.approx(0.5)
    assert metrics.mse_missing(pred, truth, mask).item() == pytest.approx(0.5)
    assert metrics.sse_missing(pred, truth, mask).item() == pytest.approx(2.0)
    assert metrics.psnr_missing(pred, truth, mask).item() == pytest.approx(10 * math.log10(2))


def test_f1_is_one_when_there_is_no_ink_to_find_and_none_predicted():
    z = torch.zeros(1, 1, 2, 2)
    assert metrics.f1_missing(z, z, torch.zeros(1, 1, 2, 2, dtype=torch.bool)).item() == 1.0


def test_ssim_closed_form_for_constant_images_and_identity():
    a = torch.full((1, 3, 16, 16), 0.2, dtype=torch.float64)
    b = torch.full((1, 3, 16, 16), 0.6, dtype=torch.float64)
    c1 = 0.01**2
    expected = (2 * 0.2 * 0.6 + c1) / (0.2**2 + 0.6**2 + c1)
    assert metrics.ssim(a, b).item() == pytest.approx(expected, rel=1e-5)
    x = torch.rand(2, 3, 16, 16)
    assert torch.allclose(metrics.ssim(x, x), torch.ones(2))
    noisy = (x + 0.2 * torch.randn_like(x)).clamp(0, 1)
    assert (metrics.ssim(x, noisy) < 0.9).all()


def test_rmse_missing_pooled_weighs_every_missing_entry_once():
    truth = torch.zeros(2, 1, 2, 2)
    pred = torch.ones(2, 1, 2, 2)
    pred[1] = 3.0
    mask = torch.ones(2, 1, 2, 2, dtype=torch.bool)
    mask[0, 0, 0, 0] = False  # one missing entry with error 1
    mask[1, 0, :, :] = False  # four missing entries with error 3
    assert metrics.rmse_missing_pooled(pred, truth, mask) == pytest.approx(((1 + 4 * 9) / 5) ** 0.5)
    assert math.isnan(metrics.rmse_missing_pooled(pred, truth, torch.ones_like(mask)))


def test_frechet_distance_matches_the_closed_form_between_two_gaussians():
    import numpy as np
    from dgm_core.metrics import frechet_distance

    rng = np.random.default_rng(0)
    a = rng.normal(0.0, 1.0, (200_000, 3))
    b = rng.normal(0.0, 2.0, (200_000, 3)) + np.array([1.0, 0.0, 0.0])
    # |dmu|^2 + sum_i (sigma_a,i - sigma_b,i)^2 for diagonal covariances = 1 + 3 * (1 - 2)^2
    assert abs(frechet_distance(a, b) - 4.0) < 0.05
    assert abs(frechet_distance(a, a)) < 1e-6
