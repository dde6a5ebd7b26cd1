"""DMFA and the MFA baseline: Woodbury NLL vs scipy, mixture log-sum-exp, sample covariance, a
training step, observed pixels untouched, the analytic MFA conditional vs dense Gaussian
conditioning, registry round trips (the recipes' dry runs: test_training.py)."""
import numpy as np
import pytest
import torch
from scipy.special import logsumexp
from scipy.stats import multivariate_normal as mvn

from dgm_core import pretrained
from dgm_core.masks import half, rectangles_batch
from dgm_core.models import dmfa, mfa
from dgm_core.training.dmfa import PAGE_MISSING, SIDES, page_masks

D64 = torch.float64


def _random_output(b: int, k: int, l: int, dim: int, seed: int = 0) -> dmfa.Output:
    g = torch.Generator().manual_seed(seed)
    return dmfa.Output(logits=torch.randn(b, k, generator=g, dtype=D64),
                       mean=torch.rand(b, k, dim, generator=g, dtype=D64),
                       A=0.4 * torch.randn(b, k, l, dim, generator=g, dtype=D64),
                       d=0.05 + 0.2 * torch.rand(b, k, dim, generator=g, dtype=D64))


def _dense_nll(x, mean, A, d, sel):
    s = sel.numpy()
    cov = (A.T @ A + torch.diag(d)).numpy()
    return -mvn(mean.numpy()[s], cov[np.ix_(s, s)]).logpdf(x.numpy()[s])


def test_woodbury_nll_matches_scipy_with_a_different_missing_set_per_image():
    out = _random_output(5, 1, 3, 12, seed=1)
    g = torch.Generator().manual_seed(2)
    x = torch.rand(5, 12, generator=g, dtype=D64)
    sel = torch.rand(5, 12, generator=g) < 0.5
    sel[:, 0] = True  # at least one missing coordinate per image
    got = dmfa.lowrank_nll(x, out.mean[:, 0], out.A[:, 0], out.d[:, 0], sel)
    want = [_dense_nll(x[i], out.mean[i, 0], out.A[i, 0], out.d[i, 0], sel[i]) for i in range(5)]
    assert len({int(s.sum()) for s in sel}) > 1  # the missing sets really differ in size
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-9, atol=1e-9)


def test_mixture_nll_is_the_log_sum_exp_over_components():
    b, k, l, (c, h, w) = 4, 3, 2, (1, 3, 4)
    out = _random_output(b, k, l, c * h * w, seed=3)
    x = torch.rand(b, c, h, w, dtype=D64, generator=torch.Generator().manual_seed(4))
    mask = rectangles_batch(b, (h, w), height=2, width=2, generator=torch.Generator().manual_seed(5))
    got = dmfa.mixture_nll(x, mask, out)
    log_p = torch.log_softmax(out.logits, -1).numpy()
    for i in range(b):
        miss = ~mask[i].reshape(-1)
        lp = [log_p[i, j] - _dense_nll(x[i].reshape(-1), out.mean[i, j], out.A[i, j], out.d[i, j], miss)
              for j in range(k)]
        assert got[i].item() == pytest.approx(-logsumexp(lp), rel=1e-9)
        # and it is NOT the reference code's Σ p_k NLL_k (a Jensen upper bound)
        assert got[i].item() < -(np.exp(log_p[i]) * (np.array(lp) - log_p[i])).sum() + 1e-9


def test_sample_covariance_matches_low_rank_plus_diagonal():
    c, h, w, l = 1, 3, 3, 2
    out = _random_output(1, 1, l, c * h * w, seed=6)
    out = dmfa.Output(*(t.float() for t in (out.logits, out.mean, out.A, out.d)))
    x = torch.zeros(1, c, h, w)
    mask = torch.ones(1, 1, h, w, dtype=torch.bool)
    mask[0, 0, :2, :2] = False
    res = dmfa.impute_from(out, x, mask, 40000, torch.Generator().manual_seed(7), "test")
    miss = (~mask).reshape(-1)
    s = res.samples[0, :, 0].reshape(40000, -1)[:, miss].double()
    emp = torch.cov(s.T)
    A, d = out.A[0, 0][:, miss].double(), out.d[0, 0][miss].double()
    true = A.T @ A + torch.diag(d)
    assert torch.allclose(emp, true, atol=0.02), (emp - true).abs().max()
    assert torch.allclose(res.std[0, 0].reshape(-1)[miss].double(), true.diagonal().sqrt(), atol=1e-5)
    assert torch.allclose(s.mean(0), out.mean[0, 0][miss].double(), atol=0.02)


def _tiny_dmfa(seed=0, k=1) -> dmfa.DMFA:
    torch.manual_seed(seed)
    return dmfa.DMFA(dmfa.Config(shape=(1, 8, 8), n_mixes=k, n_factors=2, width=4, bottleneck=8))


def test_one_adam_step_lowers_the_nll_on_a_fixed_batch():
    model = _tiny_dmfa(k=2)
    g = torch.Generator().manual_seed(8)
    x = torch.rand(16, 1, 8, 8, generator=g)
    mask = rectangles_batch(16, (8, 8), height=4, width=4, generator=g)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    before = model.nll(x, mask).mean()
    opt.zero_grad()
    before.backward()
    opt.step()
    with torch.no_grad():
        after = model.nll(x, mask).mean()
    assert after < before


def test_page_masks_replace_the_stated_share_by_halves_and_random_pixels():
    """dmfa-celeba's training masks: of 4000 rectangles, about half become page presets, half of those a
    half image (exactly 512 of 1024 pixels, one of the four sides) and half random pixels at a rate in
    PAGE_MISSING; the rest stay the rectangles they were."""
    g = torch.Generator().manual_seed(0)
    rect = rectangles_batch(4000, (32, 32), height=16, width=16, generator=g, height_ampl=6, width_ampl=6)
    out = page_masks(rect, 0.5, g)
    assert out.shape == rect.shape and out.dtype == torch.bool
    kept = (out == rect).flatten(1).all(1)
    halves = torch.stack([half((32, 32), s) for s in SIDES]).flatten(1)
    is_half = (out.flatten(1)[:, None] == halves[None]).all(-1).any(-1)
    assert abs(kept.float().mean().item() - 0.5) < 0.03
    assert abs(is_half.float().mean().item() - 0.25) < 0.03
    rate = (~out[~kept & ~is_half]).flatten(1).float().mean(1)
    lo, hi = PAGE_MISSING
    assert rate.min() > lo - 0.06 and rate.max() < hi + 0.06 and abs(rate.mean().item() - (lo + hi) / 2) < 0.02
    assert (page_masks(rect, 0.0, g) == rect).all()


@pytest.mark.parametrize("family", ["dmfa", "mfa"])
def test_impute_never_changes_observed_pixels_and_has_the_shared_shapes(family):
    g = torch.Generator().manual_seed(9)
    x = torch.rand(3, 1, 8, 8, generator=g)
    mask = rectangles_batch(3, (8, 8), height=3, width=5, generator=g)
    if family == "dmfa":
        res = dmfa.impute(_tiny_dmfa(), x, mask, 4, g, truth=x)
    else:
        res = mfa.impute(mfa.fit(mfa.Config(shape=(1, 8, 8), n_mixes=2, n_factors=2), torch.rand(50, 1, 8, 8,
                         generator=g), iters=3)[0], x, mask, 4, g, truth=x)
    m = mask.expand_as(x)
    assert torch.equal(res.mean[m], x[m])
    assert torch.equal(res.samples[m.unsqueeze(1).expand_as(res.samples)], x.unsqueeze(1).expand_as(res.samples)[
        m.unsqueeze(1).expand_as(res.samples)])
    assert (res.std[m] == 0).all() and (res.std[~m] > 0).all()
    assert res.samples.shape == (3, 4, 1, 8, 8) and res.diagnostics.factors.shape[:2] == (3, 2)
    assert res.diagnostics.nll.shape == (3,) and torch.isfinite(res.diagnostics.nll).all()


def test_mfa_conditional_equals_dense_gaussian_conditioning():
    c, h, w, k, l = 1, 3, 4, 2, 2
    model = mfa.MFA(mfa.Config(shape=(c, h, w), n_mixes=k, n_factors=l))
    g = torch.Generator().manual_seed(10)
    model.logits.copy_(torch.randn(k, generator=g))
    model.mu.copy_(torch.rand(k, 12, generator=g))
    model.A.copy_(0.5 * torch.randn(k, l, 12, generator=g))
    model.d.copy_(0.05 + 0.1 * torch.rand(k, 12, generator=g))
    x = torch.rand(2, c, h, w, generator=g, dtype=D64)
    mask = rectangles_batch(2, (h, w), height=2, width=3, generator=g)
    out = model(x, mask)
    for i in range(2):
        o, m = mask[i].reshape(-1).numpy(), ~mask[i].reshape(-1).numpy()
        xi = x[i].reshape(-1).numpy()
        log_w = []
        for j in range(k):
            mu, A, d = (t[j].double().numpy() for t in (model.mu, model.A, model.d))
            S = A.T @ A + np.diag(d)
            gain = S[np.ix_(m, o)] @ np.linalg.inv(S[np.ix_(o, o)])
            cmean = mu[m] + gain @ (xi[o] - mu[o])
            ccov = S[np.ix_(m, m)] - gain @ S[np.ix_(o, m)]
            np.testing.assert_allclose(out.mean[i, j].numpy()[m], cmean, rtol=1e-8, atol=1e-10)
            a, dd = out.A[i, j].numpy()[:, m], out.d[i, j].numpy()[m]
            np.testing.assert_allclose(a.T @ a + np.diag(dd), ccov, rtol=1e-8, atol=1e-10)
            log_w.append(np.log(torch.softmax(model.logits.double(), 0)[j].item())
                         + mvn(mu[o], S[np.ix_(o, o)]).logpdf(xi[o]))
        np.testing.assert_allclose(torch.softmax(out.logits[i], 0).numpy(),
                                   np.exp(np.array(log_w) - logsumexp(log_w)), rtol=1e-8)


def test_mfa_em_increases_the_log_likelihood():
    g = torch.Generator().manual_seed(11)
    x = torch.rand(200, 1, 4, 4, generator=g) * torch.rand(200, 1, 1, 1, generator=g)
    _, hist = mfa.fit(mfa.Config(shape=(1, 4, 4), n_mixes=2, n_factors=2), x, iters=8)
    assert all(b >= a - 1e-6 for a, b in zip(hist, hist[1:])) and hist[-1] > hist[0]


@pytest.mark.parametrize("family", ["dmfa", "mfa"])
def test_save_load_round_trip(tmp_path, family):
    if family == "dmfa":
        model = _tiny_dmfa(k=2)
    else:
        model = mfa.fit(mfa.Config(shape=(1, 8, 8), n_mixes=2, n_factors=2), torch.rand(40, 1, 8, 8), iters=2)[0]
    pretrained.save(model, name="t", family=family, data="unit test", seed=0, training_time_s=0.0,
                    directory=tmp_path)
    loaded, card = pretrained.load("t", tmp_path)
    assert card.family == family and loaded.cfg == model.cfg
    x, mask = torch.rand(2, 1, 8, 8), rectangles_batch(2, (8, 8), height=3, width=3,
                                                        generator=torch.Generator().manual_seed(0))
    assert torch.equal(model.eval().nll(x, mask), loaded.nll(x, mask))
