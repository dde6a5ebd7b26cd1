"""The flow particle filter (dgm_core.samplers.flow_smc) against a closed form.

Data x_1 ~ N(mu, Sigma) in a few dimensions has the exact flow-matching predictor E[x_1 | x_t] = mu + t Sigma C_t^-1
(x_t - t mu), C_t = (1 - t)^2 I + t^2 Sigma, so the filter's model (the Markov chain it runs) is linear-Gaussian:
propagating its mean and covariance step by step gives the chain's law of x_1 and hence its conditional
p(x_1^m | x_1^o = y) exactly. The filter's weighted mean and covariance must converge to that as particles grow.
"""
from __future__ import annotations

import pytest
import torch

from dgm_core.models.flow import Config, FlowUNet
from dgm_core.samplers.flow_smc import bridge, flow_smc_inpaint, smc_path, systematic

pytestmark = pytest.mark.slow  # seconds a test; not yet in tests/slow_tests.json

D, OBS = 5, torch.tensor([True, False, True, False, False])


def gaussian_data(d: int = D, seed: int = 3) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    a = torch.randn(d, d, generator=g, dtype=torch.float64)
    sigma = a @ a.T / d + 0.05 * torch.eye(d, dtype=torch.float64)
    return torch.randn(d, generator=g, dtype=torch.float64) * 0.5, sigma


def predictor(mu: torch.Tensor, sigma: torch.Tensor, t: float) -> tuple[torch.Tensor, torch.Tensor]:
    """E[x_1 | x_t] = P x_t + q."""
    c = (1 - t) ** 2 * torch.eye(len(mu), dtype=torch.float64) + t ** 2 * sigma
    p = t * sigma @ torch.linalg.inv(c)
    return p, mu - t * p @ mu


def velocity_of(mu, sigma):
    def v(x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:  # x: (B, D); the exact velocity (E[x_1|x_t] - x_t)/(1-t)
        p, q = predictor(mu, sigma, float(t[0]))
        return (x @ p.T + q - x) / (1 - float(t[0]))
    return v


def chain_conditional(mu, sigma, n_steps: int, tau: float, y: torch.Tensor, obs: torch.Tensor = OBS):
    """The chain's exact p(x_1^m | x_1^o = y): its x_1 ~ N(m, S) propagated step by step, then conditioned."""
    eye = torch.eye(len(mu), dtype=torch.float64)
    m, s = torch.zeros(len(mu), dtype=torch.float64), eye
    for k in range(1, n_steps + 1):
        t0, t1 = (k - 1) / n_steps, k / n_steps
        a, b, v = bridge(t0, t1, tau)
        p, q = predictor(mu, sigma, t0)
        lin = a * p + b * eye
        m, s = lin @ m + a * q, lin @ s @ lin.T + v * eye
    o, u = obs, ~obs
    gain = s[u][:, o] @ torch.linalg.inv(s[o][:, o])
    return m[u] + gain @ (y[o] - m[o]), s[u][:, u] - gain @ s[o][:, u]


def weighted_moments(particles: int, seed: int, n_steps: int = 8, tau: float = 0.3, **kw):
    mu, sigma = gaussian_data()
    y = torch.tensor([1.2, 0.0, -0.8, 0.0, 0.0], dtype=torch.float64)
    *_, state = smc_path(velocity_of(mu, sigma), y[None], OBS[None], particles=particles, n_steps=n_steps, tau=tau,
                         generator=torch.Generator().manual_seed(seed), **kw)
    w = state.log_w[0].exp()
    xm = state.x[0][:, ~OBS]  # (P, 3) draws of x_1^m (with the pixel noise tau)
    mean = w @ xm
    cov = (w[:, None] * (xm - mean)).T @ (xm - mean)
    true_mean, true_cov = chain_conditional(mu, sigma, n_steps, tau, y)
    return mean, cov, true_mean, true_cov, state


def test_weighted_moments_converge_to_the_chains_conditional():
    errors = {}
    for p in (30, 3000):
        errs = []
        for seed in range(4):
            mean, cov, tm, tc, _ = weighted_moments(p, seed)
            errs.append(((mean - tm).norm() + (cov - tc).norm()).item())
        errors[p] = sum(errs) / len(errs)
    mean, cov, tm, tc, state = weighted_moments(20000, 11)
    assert torch.allclose(mean, tm, atol=0.03), (mean, tm)
    assert torch.allclose(cov, tc, atol=0.03), (cov, tc)
    assert errors[3000] < 0.5 * errors[30], errors
    # the conditional is far from the chain's marginal: the test would notice unweighted particles
    _, _, tm_free, _ = (None, None, *chain_conditional(*gaussian_data(), 8, 0.3, torch.zeros(D, dtype=torch.float64)))
    assert (tm - tm_free).norm() > 0.3
    assert torch.equal(state.x[0][:, OBS], torch.tensor([1.2, -0.8], dtype=torch.float64).expand(20000, 2))


def test_resampling_every_step_gives_equal_weights_and_the_same_law():
    """With ``ess_fraction`` 1 the filter resamples before every move, so its particles end equally weighted and
    their plain average is the estimate; it converges to the same conditional."""
    mean, cov, tm, tc, state = weighted_moments(20000, 5, ess_fraction=1.0)
    assert state.resamples.item() == 8
    assert torch.allclose(state.log_w.exp(), torch.full_like(state.log_w, 1 / 20000))
    assert torch.allclose(mean, tm, atol=0.03) and torch.allclose(cov, tc, atol=0.03)


def test_systematic_resampling_keeps_proportions():
    log_w = torch.log(torch.tensor([[0.5, 0.25, 0.25, 0.0]]))
    idx = systematic(log_w, torch.Generator().manual_seed(0), 8)
    assert torch.bincount(idx[0], minlength=4).tolist() == [4, 2, 2, 0]


def small_images():
    """An untrained flow network on 8 x 8 images, two images and their top half observed."""
    torch.manual_seed(0)
    model = FlowUNet(Config(shape=(1, 8, 8), width=8, mults=(1, 2), groups=4)).eval()
    mask = torch.zeros(8, 8, dtype=torch.bool)
    mask[:4] = True
    return model, torch.rand(2, 1, 8, 8), mask


def page_inputs():
    """An untrained flow network on MNIST's size, one random binary image and its bottom half missing."""
    torch.manual_seed(0)
    model = FlowUNet(Config(width=8, mults=(1, 2), groups=4)).eval()
    x = (torch.rand(1, 28, 28) > 0.7).float()
    mask = torch.ones(28, 28, dtype=torch.bool)
    mask[14:] = False
    return model, x, mask


def test_images_keep_observed_pixels_and_report_ess():
    model, x, mask = small_images()
    res = flow_smc_inpaint(model, x, mask, particles=6, n_steps=3, n_draws=4, seed=1)
    assert res.samples.shape == (2, 4, 1, 8, 8) and res.mean.shape == (2, 1, 8, 8)
    assert torch.equal(res.samples[:, :, :, :4], x[:, None, :, :4].expand(2, 4, 1, 4, 8))
    assert torch.equal(res.std[:, :, :4], torch.zeros(2, 1, 4, 8))
    d = res.diagnostics
    assert d.ess.shape == (3, 2) and ((d.ess >= 1 - 1e-4) & (d.ess <= 6 + 1e-4)).all()
    assert torch.isfinite(d.log_evidence).all()
    again = flow_smc_inpaint(model, x, mask, particles=6, n_steps=3, n_draws=4, seed=1)
    assert torch.equal(res.samples, again.samples)
    with pytest.raises(ValueError, match="particles"):
        flow_smc_inpaint(model, x, mask, particles=0)


def test_the_inpainting_page_runs_it_on_the_server_with_its_particle_count():
    from dataclasses import replace

    from dgm_core.demos import inpainting
    from dgm_core.methods import INPAINTING
    model, x, mask = page_inputs()
    assert INPAINTING["flow_smc"].family == "flow"
    assert "flow_smc" in inpainting.available_methods("mnist", {"flow-mnist"})
    settings = replace(inpainting.Settings(), particles=3, n_draws=2)
    res, trace = inpainting.run_method("flow_smc", model, x, mask, dataset="mnist", settings=settings, truth=x)
    assert trace is None and res.method == "flow_smc" and res.diagnostics.particles == 3
    assert res.samples.shape == (1, 2, 1, 28, 28) and torch.equal(res.mean[0, :, :14], x[:, :14])
    scores = inpainting.score(res, x, mask, dataset="mnist")
    assert set(scores) >= {"F1", "MSE"} and 1 - 1e-4 <= scores["particle ESS, smallest over steps"] <= 3 + 1e-4
    assert scores["particle ESS, smallest over steps"] == pytest.approx(res.diagnostics.ess.min().item())
    with pytest.raises(ValueError):
        inpainting.settings_from({**{k: getattr(settings, f) for f, k in inpainting.FIELD_KEYS.items()}, "parts": 0})
