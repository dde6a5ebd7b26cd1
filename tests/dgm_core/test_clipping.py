"""Images under MNAR (clipping): the mechanism's rate and direction, the p(s|x) term of the importance
weights, observed pixels kept, bad settings refused, and the shipped models' headline comparison."""
import math
import os

import pytest
import torch

from dgm_core import pretrained
from dgm_core.demos.mnar_images import compare
from dgm_core.missingness import clipping
from dgm_core.models.notmiwae_conv import PROBIT, Config, ConvNotMIWAE, log_p_observed, lost_pixel_moments

MECH = (50.0, 0.5)


def _model(missing="known", seed=0):
    torch.manual_seed(seed)
    return ConvNotMIWAE(Config(shape=(1, 32, 32), latent=4, hidden=8, arch="conv", likelihood="gaussian",
                               mask_input=True, missing=missing, mech_w=MECH[0], mech_b=MECH[1])).eval()


def test_clip_masks_hit_the_expected_rate_and_lose_bright_pixels():
    x = torch.rand(200, 1, 32, 32, generator=torch.Generator().manual_seed(0))
    mask = clipping.clip_masks(x, (10.0, 0.6), seed=1)
    expected = clipping.p_missing(x, (10.0, 0.6)).mean().item()
    n = x.numel()
    assert abs((1 - mask.float().mean().item()) - expected) < 4 * math.sqrt(0.25 / n)
    assert (~mask)[x > 0.9].float().mean() > 0.95 and (~mask)[x < 0.3].float().mean() < 0.05
    assert torch.equal(mask, clipping.clip_masks(x, (10.0, 0.6), seed=1))  # same seed, same mask


def test_log_p_observed_is_the_bernoulli_log_likelihood():
    x = torch.tensor([0.2, 0.9]).view(1, 1, 1, 2)
    s = torch.tensor([True, False]).view(1, 1, 1, 2)
    w, b = 8.0, 0.5
    truth = math.log(1 / (1 + math.exp(w * (0.2 - b)))) + math.log(1 - 1 / (1 + math.exp(w * (0.9 - b))))
    assert log_p_observed(x, s, (w, b)).item() == pytest.approx(truth, rel=1e-5)


@pytest.mark.parametrize("mean,sd,w,b", [(0.6, 0.1, 50.0, 0.75), (0.8, 0.3, 50.0, 0.75), (0.5, 0.02, 10.0, 0.6)])
def test_lost_pixel_moments_match_monte_carlo(mean, sd, w, b):
    """Closed-form truth for the probit mechanism, checked by 2M draws; within 0.01 of the logistic."""
    x = mean + sd * torch.randn(2_000_000, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    log_p, m, v = lost_pixel_moments(torch.tensor(mean, dtype=torch.float64), torch.tensor(sd, dtype=torch.float64),
                                     (w, b))
    for p_lost, tol in ((torch.special.ndtr(w * PROBIT * (x - b)), 2e-3), (torch.sigmoid(w * (x - b)), 1e-2)):
        p = p_lost.mean()
        e = (p_lost * x).mean() / p
        var = (p_lost * x * x).mean() / p - e * e
        assert log_p.exp().item() == pytest.approx(p.item(), abs=tol)
        assert m.item() == pytest.approx(e.item(), abs=tol)
        assert v.sqrt().item() == pytest.approx(var.sqrt().item(), abs=tol)


def test_weights_carry_exactly_the_missingness_term():
    model = _model()
    x = torch.rand(3, 1, 32, 32, generator=torch.Generator().manual_seed(2))
    mask = clipping.clip_masks(x, MECH, 3)
    lw_mnar, xf = model.log_weights(x, mask, 7, torch.Generator().manual_seed(5), MECH)
    lw_mar, xf2 = model.log_weights(x, mask, 7, torch.Generator().manual_seed(5), None)
    assert torch.equal(xf, xf2)
    term = log_p_observed(xf.reshape(21, 1, 32, 32), mask.unsqueeze(0).expand(7, -1, -1, -1, -1).reshape(21, 1, 32, 32),
                          MECH).view(7, 3)
    torch.testing.assert_close(lw_mnar - lw_mar, term)
    assert (term.abs() > 1).all()  # not a vanishing term


def test_imputation_keeps_observed_pixels_and_follows_the_mechanism():
    """Same weights, same draws: with p(s|x) in the weights a lost pixel is imputed above b (it went
    missing because it was bright); without it, the untrained decoder's guess stays near its mean."""
    model = _model()
    x = torch.full((4, 1, 32, 32), 0.1)
    x[:, :, 10, 10:12] = 0.95  # two bright pixels per image, lost under the mechanism
    mask = clipping.clip_masks(x, MECH, 7)
    assert (~mask).sum() == 8
    with_term = model.impute(x, mask, 400, torch.Generator().manual_seed(8), MECH)
    without = model.impute(x, mask, 400, torch.Generator().manual_seed(8), None)
    for out in (with_term, without):
        assert torch.equal(out["mean"][mask], x[mask]) and (out["sd"][mask] == 0).all()
    miss = ~mask
    assert (with_term["mean"][miss] > MECH[1]).all(), with_term["mean"][miss]
    assert with_term["mean"][miss].mean() > without["mean"][miss].mean() + 0.3


def test_compare_refuses_nothing_or_everything_missing_and_absurd_settings():
    models = {"MIWAE": _model("none")}
    x = torch.full((1, 1, 32, 32), 0.5)
    with pytest.raises(ValueError, match="No pixel went missing"):
        compare(models, torch.zeros(1, 1, 32, 32), (50.0, 0.9), k=10)
    with pytest.raises(ValueError, match="Every pixel went missing"):
        compare(models, torch.ones(1, 1, 32, 32), (50.0, 0.1), k=10)
    for w, b in ((0.0, 0.5), (1e6, 0.5), (50.0, 1.5), (float("nan"), 0.5)):
        with pytest.raises(ValueError, match="must be"):
            compare(models, x, (w, b), k=10)
    res = compare(models, torch.rand(2, 1, 32, 32), MECH, k=10, seed=0)
    assert set(res.rmse) == {"constant b", "MIWAE"} and 0 < res.missing_rate < 1


@pytest.mark.skipif(not os.environ.get("DGM_DATA_DIR"), reason="DGM_DATA_DIR is not set: no CelebA test images")
def test_shipped_notmiwae_beats_miwae_and_the_constant_on_clipped_faces():
    from dgm_core.data import load_grey_faces
    torch.set_num_threads(1)
    models = {label: pretrained.load(name)[0] for label, name in
              (("MIWAE", "miwae-celeba-clip"), ("not-MIWAE", "notmiwae-celeba-clip"))}
    x = load_grey_faces("test", 40)
    res = compare(models, x, (50.0, 0.75), seed=11, k=200)
    assert res.rmse["not-MIWAE"] < 0.9 * res.rmse["MIWAE"], res.rmse
    assert res.rmse["not-MIWAE"] < res.rmse["constant b"], res.rmse
