"""The VAE page's core: the importance-weighted bound against K, checked on a model whose log-likelihood
is exact (a linear-Gaussian DLVM: p(x) = N(b, W Wᵀ + s² I)), and the latent map and reconstructions."""
import math

import pytest
import torch

from dgm_core.demos import vae as demo
from dgm_core.models.vae import VAE, Config

from .linear_gaussian import LinearGaussianDLVM


def _exact_log_px(m: LinearGaussianDLVM, x: torch.Tensor) -> torch.Tensor:
    cov = m.W @ m.W.T + m.s**2 * torch.eye(m.D, dtype=torch.float64)
    return torch.distributions.MultivariateNormal(m.b, cov).log_prob(x.reshape(x.shape[0], -1))


def _data(m: LinearGaussianDLVM, n: int, seed: int = 1) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    z = torch.randn(n, m.d, generator=g, dtype=torch.float64)
    x = z @ m.W.T + m.b + m.s * torch.randn(n, m.D, generator=g, dtype=torch.float64)
    return x.view(n, 1, 1, m.D)


def test_exact_encoder_makes_every_bound_the_log_likelihood():
    """With q(z | x) = p(z | x), every weight equals p(x): L_K = log p(x) for every K, with no spread."""
    m = LinearGaussianDLVM(d=2, D=6)
    x = _data(m, 5)
    curve = demo.bound_curve(m, x, ks=[1, 10, 100], generator=torch.Generator().manual_seed(0))
    exact = _exact_log_px(m, x).mean().item()
    assert curve.mean == pytest.approx([exact] * 3, abs=1e-6)
    assert max(curve.sd) < 1e-6


def test_bound_rises_with_k_towards_the_exact_log_likelihood():
    """A wrong encoder (shrunk mean, inflated spread): L_1 < L_10 < L_1000 <= log p(x), and the largest
    K gets within 0.05 nats of the truth (averaged over 20 points)."""
    m = LinearGaussianDLVM(d=2, D=6, shrink=0.6, inflate=1.8)
    x = _data(m, 20)
    curve = demo.bound_curve(m, x, ks=[1, 10, 1000, 4000], generator=torch.Generator().manual_seed(0))
    exact = _exact_log_px(m, x).mean().item()
    assert curve.mean[0] < curve.mean[1] < curve.mean[2]
    assert curve.mean[0] < exact - 0.3  # the ELBO gap of this encoder is large
    assert curve.best == pytest.approx(exact, abs=0.05)
    assert curve.best <= exact + 0.02  # a lower bound (up to Monte-Carlo error)
    assert curve.gap[0] > 0.3 and curve.gap[-1] == 0


def test_k_out_of_range_is_one_sentence():
    m = LinearGaussianDLVM()
    with pytest.raises(ValueError, match="between 1 and 5000"):
        demo.bound_curve(m, _data(m, 1), ks=[1, 10_000])
    with pytest.raises(ValueError, match="between 1 and 5000"):
        demo.check_ks([0, 5])


def _tiny_vae() -> VAE:
    torch.manual_seed(0)
    return VAE(Config(shape=(1, 28, 28), latent=4, hidden=16, depth=1, likelihood="bernoulli")).eval()


def test_reconstructions_and_samples_are_decoder_means():
    model = _tiny_vae()
    x = (torch.rand(3, 1, 28, 28, generator=torch.Generator().manual_seed(0)) > 0.5).float()
    mean, draws = demo.reconstruct(model, x, n_draws=5, generator=torch.Generator().manual_seed(0))
    assert mean.shape == (3, 1, 28, 28) and draws.shape == (3, 5, 1, 28, 28)
    assert torch.allclose(mean, model.mean(model.decode(model.encode(x)[0])))
    assert ((draws > 0) & (draws < 1)).all()  # probabilities, not 0/1 draws
    s = demo.prior_samples(model, 7, torch.Generator().manual_seed(0))
    assert s.shape == (7, 1, 28, 28) and ((s > 0) & (s < 1)).all()


def test_latent_map_projects_the_encodings_and_decodes_a_grid():
    model = _tiny_vae()
    x = (torch.rand(200, 1, 28, 28, generator=torch.Generator().manual_seed(1)) > 0.7).float()
    lm = demo.latent_map(model, x, grid=5)
    assert lm.xy.shape == (200, 2) and lm.grid.shape == (5, 5, 1, 28, 28)
    # a new image's point is where its encoder mean projects; the training points project onto themselves
    assert lm.project(demo.encode_mean(model, x[:3])) == pytest.approx(lm.xy[:3], abs=1e-6)
    assert 0 < sum(lm.explained) <= 1 + 1e-9
    x0, x1, y0, y1 = lm.extent
    assert x0 < x1 and y0 < y1 and not math.isnan(x0)
