"""VAE/MIWAE bounds: closed-form checks on a linear-Gaussian DLVM, and shapes on the real model."""
import pytest
import torch
from scipy.stats import multivariate_normal

from dgm_core.models.miwae import MIWAE
from dgm_core.models.miwae import Config as MConfig
from dgm_core.models.vae import VAE, Config, iwae_bound

from .linear_gaussian import LinearGaussianDLVM


def test_iwae_bound_is_below_the_exact_log_likelihood_and_rises_with_k():
    model = LinearGaussianDLVM(shrink=0.7, inflate=1.4)
    g = torch.Generator().manual_seed(0)
    n = 1000
    x = (torch.randn(n, 2, generator=g, dtype=torch.float64) @ model.W.T + model.b
         + model.s * torch.randn(n, model.D, generator=g, dtype=torch.float64)).view(n, 1, 1, -1)
    cov = (model.W @ model.W.T + model.s**2 * torch.eye(model.D, dtype=torch.float64)).numpy()
    exact = multivariate_normal(model.b.numpy(), cov).logpdf(x.view(n, -1).numpy()).mean()
    bounds = [iwae_bound(model, x, k, generator=torch.Generator().manual_seed(1)).mean().item()
              for k in (1, 10, 100, 2000)]
    assert all(b < exact for b in bounds[:3])  # K = 2000 is within Monte Carlo noise (~1e-3) of the truth
    assert bounds[0] < bounds[1] < bounds[2] < bounds[3]
    assert bounds[-1] == pytest.approx(exact, abs=0.01)


def test_masked_bound_equals_the_bound_of_the_observed_marginal():
    model = LinearGaussianDLVM()
    x = torch.randn(1, 1, 1, model.D, dtype=torch.float64)
    mask = torch.tensor([True, True, False, True, False, False]).view(1, 1, 1, -1)
    cov = model.W @ model.W.T + model.s**2 * torch.eye(model.D, dtype=torch.float64)
    o = mask.view(-1)
    exact = multivariate_normal(model.b[o].numpy(), cov[o][:, o].numpy()).logpdf(x.view(-1)[o].numpy())
    # only the observed coordinates enter: the bound converges to log p(x^o), not log p(x)
    est = iwae_bound(model, x, 20000, mask, torch.Generator().manual_seed(0)).item()
    assert est == pytest.approx(exact, abs=0.02)


@pytest.mark.parametrize("cfg", [Config(shape=(1, 8, 8), latent=3, hidden=16),
                                 Config(shape=(3, 32, 32), latent=4, hidden=8, arch="conv", likelihood="gaussian")])
def test_real_vae_shapes_and_bound_ordering(cfg):
    torch.manual_seed(0)
    model = VAE(cfg).eval()
    x = torch.rand(5, *cfg.shape)
    params = model.decode(torch.randn(5, cfg.latent))
    assert model.mean(params).shape == x.shape
    assert model.log_px(x, params).shape == (5,)
    ll = model.log_likelihood(x, k=400, generator=torch.Generator().manual_seed(0))
    elbo = model.elbo(x, generator=torch.Generator().manual_seed(0))
    assert ll.shape == (5,) and torch.isfinite(ll).all() and torch.isfinite(elbo).all()


def test_gaussian_decoder_scale_is_floored():
    model = VAE(Config(shape=(1, 4, 4), latent=2, hidden=8, likelihood="gaussian", min_scale=0.05))
    params = torch.full((1, 2, 1, 4, 4), -50.0)
    assert torch.exp(model.log_scale(params)).min() >= 0.05 - 1e-6


def test_miwae_encoder_ignores_missing_values():
    torch.manual_seed(0)
    model = MIWAE(MConfig(shape=(1, 8, 8), latent=3, hidden=16)).eval()
    x = torch.rand(2, 1, 8, 8)
    mask = torch.rand(2, 1, 8, 8) > 0.5
    y = torch.where(mask, x, torch.rand_like(x))  # change only the missing pixels
    assert torch.equal(model.encode(x, mask)[0], model.encode(y, mask)[0])
