"""WGAN and latent tools: the penalty's per-sample gradient norm against a brute-force loop, one t per pair,
saving and reloading, SVHN through the same recipe (a synthetic stand-in in torchvision's layout), and the
latent paths, grids and GANSpace directions against closed-form answers."""
import numpy as np
import pytest
import torch
from scipy.io import savemat
from torch import nn

from dgm_core import latent as lt
from dgm_core import pretrained, training
from dgm_core.data import load_images
from dgm_core.models.wgan import WGAN, Config, gradient_penalty


def _critic_and_pairs(seed: int = 0):
    torch.manual_seed(seed)
    model = WGAN(Config(shape=(3, 32, 32), latent=8, hidden=8))
    real, fake = torch.rand(6, 3, 32, 32) * 2 - 1, torch.rand(6, 3, 32, 32) * 2 - 1
    return model.critic, real, fake


def test_the_penalty_norm_is_per_sample_over_all_pixels_and_channels():
    critic, real, fake = _critic_and_pairs()
    _, norms = gradient_penalty(critic, real, fake, generator=torch.Generator().manual_seed(3))
    t = torch.rand(6, 1, 1, 1, generator=torch.Generator().manual_seed(3))  # the same draws: one t per pair
    brute = []
    for i in range(6):  # each sample alone through the critic
        x = (t[i] * real[i] + (1 - t[i]) * fake[i]).unsqueeze(0).requires_grad_(True)
        (g,) = torch.autograd.grad(critic(x).sum(), x)
        brute.append(g.flatten().norm())
    assert norms.shape == (6,)
    torch.testing.assert_close(norms, torch.stack(brute), rtol=1e-5, atol=1e-6)


def test_one_t_per_pair_puts_every_interpolate_on_its_segment():
    """With a linear critic f(x) = <w, x> every gradient is w, whatever t; so probe t through x_hat itself:
    a per-pixel t (the course project's bug) would give points off the segment between real and fake."""
    seen = {}

    class Spy(nn.Module):
        def forward(self, x):
            seen["x"] = x.detach()
            return x.flatten(1).sum(1)

    real, fake = torch.zeros(4, 3, 8, 8), torch.ones(4, 3, 8, 8)
    pen, norms = gradient_penalty(Spy(), real, fake, generator=torch.Generator().manual_seed(0))
    x = seen["x"]  # t real + (1 - t) fake = 1 - t: constant within each sample
    assert torch.allclose(x.flatten(1).std(1), torch.zeros(4))
    assert x.flatten(1)[:, 0].unique().numel() == 4
    torch.testing.assert_close(norms, torch.full((4,), float(np.sqrt(3 * 8 * 8))))


def test_one_sided_penalty_ignores_norms_below_one_and_two_sided_does_not():
    class Slope(nn.Module):
        def __init__(self, s):
            super().__init__()
            self.s = s

        def forward(self, x):
            return self.s * x[:, 0]

    real, fake = torch.zeros(5, 2), torch.ones(5, 2)
    assert gradient_penalty(Slope(0.5), real, fake, one_sided=True)[0].item() == 0.0
    assert gradient_penalty(Slope(0.5), real, fake, one_sided=False)[0].item() == pytest.approx(0.25)
    assert gradient_penalty(Slope(3.0), real, fake, one_sided=True)[0].item() == pytest.approx(4.0)


def test_a_saved_wgan_reloads_to_identical_outputs(tmp_path):
    torch.manual_seed(0)
    model = WGAN(Config(shape=(1, 28, 28), latent=16, hidden=8))
    model.recalibrate(n_batches=3, batch=32, generator=torch.Generator().manual_seed(1))
    pretrained.save(model, name="w", family="wgan", data="none", seed=0, training_time_s=0.0, directory=tmp_path)
    back, _ = pretrained.load("w", tmp_path)
    z = torch.randn(5, 16, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        x = model.eval().generate(z)
        assert torch.equal(x, back.generate(z))
        assert torch.equal(model.score(x), back.score(x))
    assert x.min() >= 0 and x.max() <= 1


def test_extra_layers_add_stride_one_convolutions_at_half_the_side_and_keep_every_shape():
    """``extra_layers``: 3x3 stride-1 convolutions at H/2 in both nets, shapes unchanged; each shipped card's count
    builds exactly the nets its weights fit (wgan-mnist has one, wgan-celeba none)."""
    torch.manual_seed(0)
    z = torch.randn(3, 16)
    for shape in ((1, 28, 28), (3, 32, 32)):
        base, deep = (WGAN(Config(shape=shape, latent=16, hidden=8, extra_layers=k)) for k in (0, 2))
        extra = [m for m in deep.critic.net if isinstance(m, nn.Conv2d) and m.kernel_size == (3, 3)]
        assert [(m.in_channels, m.out_channels, m.stride) for m in extra] == [(8, 8, (1, 1))] * 2
        gen_extra = [m for m in deep.generator.modules() if isinstance(m, nn.Conv2d)
                     and not isinstance(m, nn.ConvTranspose2d)]
        assert len(gen_extra) == 2 and len(deep.generator.blocks) == len(base.generator.blocks) + 2
        h = deep.generator(z, upto=len(deep.generator.blocks) - 2)  # the last extra layer's output
        assert h.shape == (3, 8, shape[1] // 2, shape[2] // 2)
        for m in (base, deep):
            x = m.eval().generate(z)
            assert x.shape == (3, *shape) and m.score(x).shape == (3,)
    for name, extra in (("wgan-mnist", 1), ("wgan-celeba", 0)):
        shipped, card = pretrained.load(name)  # strict loading: the weights fit these nets, key for key
        assert card.config["extra_layers"] == extra and extra * 2 == sum(
            isinstance(m, nn.Conv2d) and m.kernel_size == (3, 3) for m in shipped.modules())


def test_the_shipped_wgan_mnist_is_its_recipes_and_loads():
    """The finished CPU run ships: its card names the recipe's command and length, its config is the recipe's."""
    assert "wgan-mnist" in training.RECIPES and "wgan-mnist-conv" not in training.UNSHIPPED
    model, card = pretrained.load("wgan-mnist")
    r = training.RECIPES["wgan-mnist"]
    assert card.command == "python -m dgm_core train wgan-mnist" and card.weights == "wgan-mnist.safetensors"
    assert card.metrics["generator_iterations"] == r.iterations and card.config == training.full_config(r)
    z = torch.randn(2, model.latent, generator=torch.Generator().manual_seed(0))
    x = model.eval().generate(z)
    assert x.shape == (2, 1, 28, 28) and bool(((x >= 0) & (x <= 1)).all())


def test_svhn_trains_through_the_same_recipe(tmp_path):
    """SVHN is not on our machines: a synthetic stand-in in torchvision's layout (.mat, X (32, 32, 3, N), y with
    10 for the digit 0) loads, and the wgan-svhn recipe's dry run trains, saves and reloads on it."""
    rng = np.random.default_rng(0)
    (tmp_path / "svhn").mkdir()
    for split, n in (("train", 160), ("test", 80)):
        savemat(tmp_path / "svhn" / f"{split}_32x32.mat",
                {"X": rng.integers(0, 256, (32, 32, 3, n), dtype=np.uint8), "y": rng.integers(1, 11, (n, 1))})
    ds = load_images("svhn", "test", data_dir=tmp_path)
    assert ds.x.shape == (80, 3, 32, 32) and 0 <= ds.x.min() and ds.x.max() <= 1
    assert set(ds.y.tolist()) <= set(range(10))
    card = training.train("wgan-svhn", dry_run=True, out_dir=tmp_path / "out", data_dir=tmp_path)
    assert card.metrics["generator_iterations"] == 3 and "SVHN" in card.data
    model, _ = pretrained.load("wgan-svhn", tmp_path / "out")
    assert model.generate(torch.zeros(2, model.latent)).shape == (2, 3, 32, 32)


def test_lerp_and_slerp_hit_their_endpoints_and_slerp_keeps_the_norm():
    g = torch.Generator().manual_seed(0)
    z0 = torch.randn(64, generator=g)
    z1 = torch.randn(64, generator=g)
    z1 = z1 * z0.norm() / z1.norm()  # equal norms
    a = torch.linspace(0, 1, 11)
    for path in (lt.lerp(z0, z1, a), lt.slerp(z0, z1, a)):
        torch.testing.assert_close(path[0], z0)
        torch.testing.assert_close(path[-1], z1, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(lt.slerp(z0, z1, a).norm(dim=1), z0.norm().expand(11), rtol=1e-5, atol=1e-5)
    assert lt.lerp(z0, z1, a)[5].norm() < 0.9 * z0.norm()  # lerp cuts the corner: its midpoint is shorter


def test_the_perturbation_grid_moves_one_direction_per_row_and_eps_zero_is_the_original():
    z, dirs = torch.randn(6), torch.eye(6)[[1, 4]]
    grid = lt.grid_latents(z, dirs, torch.tensor(lt.EPSILONS, dtype=torch.float32))
    assert grid.shape == (2, 10, 6)
    torch.testing.assert_close(grid[:, lt.EPSILONS.index(0)], z.expand(2, 6))
    torch.testing.assert_close(grid[1, 0] - z, -5.0 * dirs[1])


class _Linear(nn.Module):
    """features = z M^T with one dominant direction of z; images = a sigmoid of the features."""

    def __init__(self, m: torch.Tensor) -> None:
        super().__init__()
        self.m = nn.Parameter(m, requires_grad=False)
        self.latent = m.shape[1]

    def features(self, z):
        return z @ self.m.T

    def generate(self, z):
        return torch.sigmoid(self.features(z)).view(-1, 1, 1, self.m.shape[0])


def test_ganspace_finds_the_direction_of_largest_feature_variance():
    g = torch.Generator().manual_seed(0)
    u, _ = torch.linalg.qr(torch.randn(12, 12, generator=g))
    v, _ = torch.linalg.qr(torch.randn(5, 5, generator=g))
    m = u[:, :5] @ torch.diag(torch.tensor([5.0, 2.0, 1.0, 0.5, 0.2])) @ v.T  # SVD with known right vectors
    dirs = lt.ganspace_directions(_Linear(m), k=2, n=4000)
    for i in range(2):  # PC i of the features comes from z moving along the i-th right singular vector
        assert abs(float(dirs.vectors[i] @ v[:, i])) > 0.99
    assert dirs.explained[0] > dirs.explained[1] > 0


def test_the_opening_seed_is_the_median_scored_of_the_first_100_and_the_page_reads_it(tmp_path, monkeypatch):
    """bench wgan's rule on the shipped generator, scored here by mean brightness: the chosen seed's image
    has 49 of the 100 seeds' scores strictly below it (the lower median); the reader hands the seed on."""
    import json

    from benchmarks import wgan as bench
    from dgm_core.demos import latent as demo

    score = lambda x: x.mean((1, 2, 3))  # noqa: E731
    rec = bench.opening_seed("wgan-mnist", score, higher_is_better=True)
    gen = lt.as_generator(pretrained.load("wgan-mnist")[0])
    with torch.no_grad():
        scores = score(gen.generate(torch.cat([lt.seed_latent(s, gen.latent) for s in range(100)])))
    assert int((scores < scores[rec["seed"]]).sum()) == 49
    assert rec["score"] == pytest.approx(float(scores[rec["seed"]]), abs=1e-4)
    low = bench.opening_seed("wgan-mnist", score, higher_is_better=False)  # the other direction: upper median
    assert int((scores > scores[low["seed"]]).sum()) == 49
    from dgm_core import results

    src = tmp_path / results.source("wgan")
    src.parent.mkdir(parents=True)
    src.write_text(json.dumps({"digits": {"n": 1, "reference": "r", "floor_test_vs_train": 1.0,
                                          "wgan-mnist": {"frechet_distance": 9.0, "opening_seed": rec}}}))
    monkeypatch.setattr(results, "ROOT", tmp_path)
    assert demo.measured("wgan-mnist")["opening_seed"] == rec["seed"]
    assert "opening_seed" not in demo.measured("wgan-celeba")


def test_bench_wgan_judges_each_target_in_its_own_direction():
    """A distance is met at or below its bar, a share at or above; a miss says by how much."""
    from benchmarks import wgan as bench

    rec = {"digits": {"wgan-mnist": {"frechet_distance": 8.0, "confident_share": 0.8}},
           "faces": {"wgan-celeba": {"frechet_distance": 4.5}}}
    t = bench.targets(rec)
    fd, share, faces = (t[n] for n in bench.TARGETS)
    assert (fd["bar_met"], fd["goal_met"], fd["short_of_bar"]) == (True, True, 0.0)
    assert (share["bar_met"], share["goal_met"], share["short_of_bar"]) == (False, False, 0.05)
    assert (faces["bar_met"], faces["goal_met"], faces["short_of_bar"]) == (False, False, 0.5)
    del rec["faces"]["wgan-celeba"]
    assert len(bench.targets(rec)) == 2
