"""Samplers against closed-form truth (a linear-Gaussian DLVM), plus invariants on a real VAE."""
import pytest
import torch
from scipy.stats import multivariate_normal

from dgm_core.device import generator
from dgm_core.models.vae import VAE, Config
from dgm_core.samplers import conditional_log_lik, importance_impute, mwg_chain, run_gibbs

from .linear_gaussian import LinearGaussianDLVM


def _problem(model, seed=1):
    g = torch.Generator().manual_seed(seed)
    z = torch.randn(model.d, generator=g, dtype=torch.float64)
    x = model.W @ z + model.b + model.s * torch.randn(model.D, generator=g, dtype=torch.float64)
    observed = torch.tensor([True, False, True, False, True, False])
    return x, observed


def _errors(model, metropolis):
    x, observed = _problem(model)
    res = run_gibbs(model, x.view(1, 1, 1, -1), observed.view(1, 1, 1, -1), metropolis=metropolis,
                    n_steps=400, chains=200, burn_in=50, seed=0)
    mean, cov = model.exact_conditional(x, observed)
    est_mean = res.mean.view(-1)[~observed]
    est_var = res.std.view(-1)[~observed] ** 2
    return (est_mean - mean).abs().max().item(), (est_var / torch.diagonal(cov) - 1).abs().max().item(), res


def test_mwg_matches_the_exact_conditional_where_pseudo_gibbs_is_biased():
    model = LinearGaussianDLVM(shrink=0.6, inflate=1.5)  # a poor encoder
    mwg_mean_err, mwg_var_err, res = _errors(model, metropolis=True)
    pg_mean_err, pg_var_err, _ = _errors(model, metropolis=False)
    assert mwg_mean_err < 0.05 and mwg_var_err < 0.1
    assert pg_mean_err > 3 * mwg_mean_err or pg_var_err > 3 * mwg_var_err
    acc = res.diagnostics["acceptance"].item()
    assert 0.05 < acc < 1.0


def test_mwg_accepts_everything_when_the_encoder_is_the_exact_posterior():
    model = LinearGaussianDLVM()  # q(z|x) = p(z|x) makes the independence MH ratio exactly 1
    x, observed = _problem(model)
    states = list(mwg_chain(model, x.view(1, 1, 1, -1), observed.view(1, 1, 1, -1), n_steps=50, chains=8,
                            generator=generator(0)))
    assert all(s.accepted.all() for s in states)


def test_importance_sampling_mean_and_conditional_density_are_exact():
    model = LinearGaussianDLVM(inflate=1.3)
    x, observed = _problem(model)
    xb, mb = x.view(1, 1, 1, -1), observed.view(1, 1, 1, -1)
    res = importance_impute(model, xb, mb, n_samples=20000, n_draws=4000, generator=generator(0))
    mean, cov = model.exact_conditional(x, observed)
    assert (res.mean.view(-1)[~observed] - mean).abs().max() < 0.03
    draws = res.samples.view(4000, -1)[:, ~observed]
    assert (draws.mean(0) - mean).abs().max() < 0.06  # SIR draws follow the conditional
    assert (draws.var(0) / torch.diagonal(cov) - 1).abs().max() < 0.15
    assert 1 < res.diagnostics["ess"].item() <= 20000
    exact = multivariate_normal(mean.numpy(), cov.numpy()).logpdf(x[~observed].numpy())
    est = conditional_log_lik(model, xb, mb, n_samples=20000, generator=generator(1)).item()
    assert est == pytest.approx(exact, abs=0.05)


def _tiny_vae(likelihood="bernoulli"):
    torch.manual_seed(0)
    return VAE(Config(shape=(1, 8, 8), latent=4, hidden=32, likelihood=likelihood)).eval()


@pytest.mark.parametrize("metropolis", [True, False])
@pytest.mark.parametrize("likelihood", ["bernoulli", "gaussian"])
def test_chains_keep_observed_pixels_and_are_reproducible(metropolis, likelihood):
    model = _tiny_vae(likelihood)
    x = torch.rand(3, 1, 8, 8).round()
    mask = torch.rand(3, 1, 8, 8) > 0.5
    a = run_gibbs(model, x, mask, metropolis=metropolis, n_steps=20, chains=5, seed=7, init="zeros")
    b = run_gibbs(model, x, mask, metropolis=metropolis, n_steps=20, chains=5, seed=7, init="zeros")
    assert torch.equal(a.samples, b.samples) and torch.equal(a.mean, b.mean)
    assert a.samples.shape == (3, 5, 1, 8, 8) and a.mean.shape == (3, 1, 8, 8)
    m5 = mask.unsqueeze(1).expand_as(a.samples)
    assert torch.equal(a.samples[m5], x.unsqueeze(1).expand_as(a.samples)[m5])
    assert torch.equal(a.mean[mask], x[mask]) and (a.std[mask] == 0).all()
    assert a.diagnostics["log_joint"].shape == (20, 3, 5)
    if likelihood == "bernoulli":
        assert set(a.samples.unique().tolist()) <= {0.0, 1.0}


def test_importance_sampling_keeps_observed_pixels():
    model = _tiny_vae()
    x = torch.rand(2, 1, 8, 8).round()
    mask = torch.rand(2, 1, 8, 8) > 0.3
    res = importance_impute(model, x, mask, n_samples=50, n_draws=3, generator=generator(0))
    assert torch.equal(res.mean[mask], x[mask])
    assert res.samples.shape == (2, 3, 1, 8, 8)
    assert ((res.mean >= 0) & (res.mean <= 1)).all()
