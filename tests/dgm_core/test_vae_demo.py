"""The VAE page's core: the importance-weighted bound against K, checked on a model whose log-likelihood
is exact (a linear-Gaussian DLVM: p(x) = N(b, W Wᵀ + s² I)), and the latent map (a t-SNE of the codes, or a 2-D
latent space itself) and reconstructions."""
import math
import os

import numpy as np
import pytest
import torch
from sklearn.manifold import trustworthiness

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


def _pairs_ratio(xy: np.ndarray, labels: np.ndarray) -> float:
    """Mean map distance between points of the same label over the mean between any two points (1 for a random
    map)."""
    d = np.sqrt(((xy[:, None] - xy[None]) ** 2).sum(-1))
    off = ~np.eye(len(labels), dtype=bool)
    return float(d[(labels[:, None] == labels[None]) & off].mean() / d[off].mean())


def test_tsne_keeps_the_clusters_of_codes_built_with_them_and_the_same_seed_gives_the_same_map():
    """Codes drawn around 8 centres in 20-D: on the map, points of one cluster are far nearer each other than any
    two points, and each point keeps most of its neighbours (a random map keeps about k / N of them)."""
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(8), 25)
    z = rng.normal(size=(8, 20))[labels] * 3 + rng.normal(size=(200, 20))
    xy = demo.tsne_map(z, seed=0)
    assert xy.shape == (200, 2)
    assert np.array_equal(xy, demo.tsne_map(z, seed=0))
    assert _pairs_ratio(xy, labels) < 0.25
    assert trustworthiness(z, xy, n_neighbors=demo.K_NEIGHBOURS) > 0.95
    chance = demo.K_NEIGHBOURS / 200
    assert demo.neighbours_kept(z, xy) > 10 * chance
    assert demo.neighbours_kept(z, rng.normal(size=(200, 2))) < 3 * chance


def test_latent_map_is_a_tsne_of_the_codes_with_a_grid_of_its_squares():
    model = _tiny_vae()
    x = (torch.rand(100, 1, 28, 28, generator=torch.Generator().manual_seed(1)) > 0.7).float()
    lm = demo.latent_map(model, x, grid=5)
    assert lm.kind == "tsne" and lm.xy.shape == (100, 2) and lm.z.shape == (100, 4)
    assert lm.z == pytest.approx(demo.encode_mean(model, x).double().numpy(), abs=1e-6)
    assert lm.grid.shape == (5, 5, 1, 28, 28)
    # t-SNE has no map for new points: a code of the map lands on its own point, a new one among its neighbours
    assert lm.project(demo.encode_mean(model, x[:3])) == pytest.approx(lm.xy[:3], abs=1e-3)
    new = (torch.rand(1, 1, 28, 28, generator=torch.Generator().manual_seed(2)) > 0.7).float()
    p = lm.project(demo.encode_mean(model, new))[0]
    x0, x1, y0, y1 = lm.extent
    assert x0 < x1 and y0 < y1 and not math.isnan(x0)
    assert lm.xy[:, 0].min() <= p[0] <= lm.xy[:, 0].max() and lm.xy[:, 1].min() <= p[1] <= lm.xy[:, 1].max()
    assert 0 < lm.neighbours_kept <= 1
    # each square shows the decoder at its points' mean code, or nothing where it has none
    empty = lm.grid.flatten(2).amax(-1) == 0
    assert not empty.all() and torch.all(lm.grid[~empty].flatten(1).amax(-1) > 0)


def test_a_two_dimensional_latent_space_is_drawn_as_it_is():
    torch.manual_seed(0)
    model = VAE(Config(shape=(1, 28, 28), latent=2, hidden=16, depth=1, likelihood="bernoulli")).eval()
    x = (torch.rand(100, 1, 28, 28, generator=torch.Generator().manual_seed(1)) > 0.7).float()
    lm = demo.latent_map(model, x, grid=4)
    z = demo.encode_mean(model, x).double().numpy()
    assert lm.kind == "latent" and lm.xy == pytest.approx(z) and lm.neighbours_kept == 1
    assert lm.project(demo.encode_mean(model, x[:3])) == pytest.approx(z[:3])
    x0, x1, y0, y1 = lm.extent
    corner = model.mean(model.decode(torch.tensor([[x0, y1]], dtype=torch.float32)))[0]  # top left: x0, highest y
    assert torch.allclose(lm.grid[0, 0], corner, atol=1e-5)


@pytest.mark.skipif(not os.environ.get("DGM_DATA_DIR"), reason="DGM_DATA_DIR is not set: no MNIST test digits")
def test_the_shipped_vae_mnist_map_keeps_digits_together():
    """The page's map of the shipped vae-mnist, on 500 test digits: digits of one label are nearer each other than two
    digits at random, and the map is trustworthy (about 0.9; a 2-PC PCA of the same codes scores about 0.7)."""
    from dgm_core import data, pretrained

    try:
        model, _ = pretrained.load("vae-mnist")
    except Exception as e:  # noqa: BLE001 (a checkout without the shipped weights)
        pytest.skip(f"no shipped vae-mnist: {e}")
    ds = data.load_images("mnist", "test", binarize=True)
    lm = demo.latent_map(model, ds.x[:500], grid=5)
    labels = ds.y[:500].numpy()
    assert _pairs_ratio(lm.xy, labels) < 0.6
    assert trustworthiness(lm.z, lm.xy, n_neighbors=demo.K_NEIGHBOURS) > 0.85
    assert lm.neighbours_kept > 0.3
