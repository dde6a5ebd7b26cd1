"""Samplers against closed-form truth (a linear-Gaussian DLVM), plus invariants on a real VAE."""
import pytest
import torch
from scipy.stats import multivariate_normal

from dgm_core.device import generator
from dgm_core.models.vae import VAE, Config
from dgm_core.samplers import conditional_log_lik, gibbs_chain, importance, importance_impute, run_gibbs

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
    acc = res.diagnostics.acceptance.item()
    assert 0.05 < acc < 1.0


def test_mwg_accepts_everything_when_the_encoder_is_the_exact_posterior():
    model = LinearGaussianDLVM()  # q(z|x) = p(z|x) makes the independence MH ratio exactly 1
    x, observed = _problem(model)
    states = list(gibbs_chain(model, x.view(1, 1, 1, -1), observed.view(1, 1, 1, -1), n_steps=50, chains=8,
                              generator=generator(0)))
    assert all(s.accepted.all() for s in states)


def test_importance_sampling_mean_and_conditional_density_are_exact():
    model = LinearGaussianDLVM(inflate=1.3)
    x, observed = _problem(model)
    xb, mb = x.view(1, 1, 1, -1), observed.view(1, 1, 1, -1)
    res = importance_impute(model, xb, mb, n_samples=20000, n_draws=4000, generator=generator(0))
    mean, cov = model.exact_conditional(x, observed)
    assert (res.mean.view(-1)[~observed] - mean).abs().max() < 0.03
    # SIR draws of a Gaussian decoder are its means E[x^m | z] at z resampled from p(z | x^o): their mean is
    # the conditional mean and their variance Var(W_m z | x^o) = diag(cov) - s² (the decoder noise left out)
    draws = res.samples.view(4000, -1)[:, ~observed]
    assert (draws.mean(0) - mean).abs().max() < 0.06
    assert (draws.var(0) / (torch.diagonal(cov) - model.s**2) - 1).abs().max() < 0.15
    assert 1 < res.diagnostics.ess.item() <= 20000
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
    assert a.diagnostics.log_joint.shape == (20, 3, 5)
    if likelihood == "bernoulli":
        assert set(a.samples.unique().tolist()) <= {0.0, 1.0}


def _observed_problem(likelihood: str, seed: int = 0):
    """A tiny VAE, images whose missing pixels hold garbage (never to be read), and a mask.
    Gaussian: 3 channels with a (N, 1, H, W) mask, so the mask's broadcast over channels is tested too."""
    g = torch.Generator().manual_seed(seed)
    if likelihood == "bernoulli":
        torch.manual_seed(0)
        model = VAE(Config(shape=(1, 8, 8), latent=4, hidden=32)).eval()
        x = torch.rand(3, 1, 8, 8, generator=g).round()
    else:
        torch.manual_seed(0)
        model = VAE(Config(shape=(3, 8, 8), latent=4, hidden=32, likelihood="gaussian")).eval()
        x = torch.rand(3, 3, 8, 8, generator=g)
    mask = torch.rand(3, 1, 8, 8, generator=g) > 0.5
    x_in = torch.where(mask, x, torch.full_like(x, 7.0))  # 7 is far outside [0, 1]: a read would show
    return model, x, x_in, mask


@pytest.mark.parametrize("warm_start", [0, 3])
@pytest.mark.parametrize("init", ["zeros", "half", "noise"])
@pytest.mark.parametrize("metropolis", [True, False], ids=["mwg", "pseudo_gibbs"])
@pytest.mark.parametrize("likelihood", ["bernoulli", "gaussian"])
def test_every_chain_state_keeps_observed_pixels(likelihood, metropolis, init, warm_start):
    # the states themselves, not run_gibbs's result: keep_observed would repair a chain that resamples x^o
    model, x, x_in, mask = _observed_problem(likelihood)
    chains = 4
    states = list(gibbs_chain(model, x_in, mask, n_steps=8, chains=chains, generator=generator(1), init=init,
                              warm_start=warm_start, metropolis=metropolis))
    assert [s.step for s in states] == list(range(1, 9))
    m = mask.expand_as(x).unsqueeze(1).expand(-1, chains, -1, -1, -1)  # (N, S, C, H, W)
    truth = x.unsqueeze(1).expand_as(m)
    for s in states:
        assert s.x.shape == m.shape
        assert torch.equal(s.x[m], truth[m]), f"step {s.step}: an observed pixel changed"
        assert torch.isfinite(s.x).all() and (s.x[~m] != 7.0).all()  # the garbage was never kept
    if likelihood == "bernoulli":  # the missing pixels are drawn from the decoder, not left at the fill
        assert not torch.equal(states[0].x[~m], states[-1].x[~m])


@pytest.mark.parametrize("likelihood", ["bernoulli", "gaussian"])
def test_importance_sampling_draws_keep_observed_pixels_before_any_repair(likelihood, monkeypatch):
    model, x, x_in, mask = _observed_problem(likelihood)
    res = importance_impute(model, x_in, mask, n_samples=50, n_draws=3, generator=generator(0))
    m = mask.expand_as(x)
    m5 = m.unsqueeze(1).expand_as(res.samples)
    assert res.samples.shape == (3, 3, *x.shape[1:])
    assert torch.equal(res.samples[m5], x.unsqueeze(1).expand_as(res.samples)[m5])
    assert torch.equal(res.mean[m], x[m]) and (res.std[m] == 0).all()
    assert (res.samples[~m5] != 7.0).all()
    # the SIR draws themselves, with the final repair switched off
    monkeypatch.setattr(importance, "keep_observed", lambda result, x, mask: result)
    raw = importance_impute(model, x_in, mask, n_samples=50, n_draws=3, generator=generator(0))
    assert torch.equal(raw.samples[m5], x.unsqueeze(1).expand_as(raw.samples)[m5])
    if likelihood == "bernoulli":
        assert ((res.mean >= 0) & (res.mean <= 1)).all()


def test_gaussian_chain_samples_are_decoder_means_at_the_chains_z():
    """For a Gaussian decoder the chains' samples are E[x^m | z] at their final z (no per-pixel noise): across
    many chains of the exact sampler, their variance is diag(cov) - s², not the conditional's diag(cov)."""
    model = LinearGaussianDLVM()
    x, observed = _problem(model)
    res = run_gibbs(model, x.view(1, 1, 1, -1), observed.view(1, 1, 1, -1), n_steps=30, chains=3000, seed=0)
    mean, cov = model.exact_conditional(x, observed)
    draws = res.samples.view(3000, -1)[:, ~observed]
    assert (draws.mean(0) - mean).abs().max() < 0.06
    assert (draws.var(0) / (torch.diagonal(cov) - model.s**2) - 1).abs().max() < 0.15
    assert torch.equal(res.samples.view(3000, -1)[:, observed], x[observed].expand(3000, -1))
