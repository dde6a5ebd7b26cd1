"""Flow matching (dgm_core.models.flow), its inpainting sampler (dgm_core.samplers.flow_inpaint), the flow-mnist
recipe's dry run and the velocity network's ONNX export.

Closed-form truths: for a Gaussian target N(mu, S) the linear path's velocity field is known,
v(x, t) = mu + (t S - (1 - t) I) S_t^{-1} (x - t mu) with S_t = (1 - t)^2 I + t^2 S, and its ODE carries x_0 to
mu + S^{1/2} x_0 (diagonal S) exactly; the exact conditional of a correlated pair is known too.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from dgm_core import export, pretrained, training
from dgm_core.models import flow
from dgm_core.samplers import flow_inpaint, flow_inpaint_path
from dgm_core.training import flow as flow_recipes
from tests.dgm_core.test_training import write_synthetic_data


def random_model(seed: int = 0, width: int = 8) -> flow.FlowUNet:
    """A small U-Net whose output layer is not the zero it starts at, so its velocity depends on x and t."""
    torch.manual_seed(seed)
    model = flow.FlowUNet(flow.Config(width=width, mults=(1, 2)))
    nn.init.normal_(model.out.weight, std=0.1)
    nn.init.normal_(model.out.bias, std=0.1)
    return model.eval()


def gaussian_velocity(mu: torch.Tensor, cov: torch.Tensor) -> flow.Velocity:
    """The exact velocity of the linear path from N(0, I) to N(mu, cov), for x: (B, ...) with D = mu.numel()."""
    eye = torch.eye(mu.numel(), dtype=cov.dtype)

    def v(x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        f, tt = x.reshape(x.shape[0], -1), t[:, None, None]
        st = (1 - tt) ** 2 * eye + tt ** 2 * cov  # (B, D, D)
        a = (tt * cov - (1 - tt) * eye) @ torch.linalg.inv(st)
        return (mu + (a @ (f - t[:, None] * mu)[:, :, None])[:, :, 0]).reshape(x.shape)
    return v


# ---------------------------------------------------------------- the model and its ODE

def test_shapes_and_the_shipped_config_is_small():
    model = random_model()
    x, t = torch.randn(3, 1, 28, 28), torch.rand(3)
    assert model(x, t).shape == (3, 1, 28, 28)
    out = model.sample(5, n_steps=2, generator=torch.Generator().manual_seed(0))
    assert out.shape == (5, 1, 28, 28) and out.min() >= 0 and out.max() <= 1
    shipped = pretrained.build("flow", flow_recipes.RECIPES["flow-mnist"].config)
    assert sum(p.numel() for p in shipped.parameters()) * 4 < 4 * 2**20  # float32 weights under 4 MB
    assert shipped(x, t).abs().max() == 0  # the zero-initialised last layer: v = 0 before training


def test_the_sampler_is_deterministic_given_its_generator():
    model = random_model()
    a, b, c = (model.sample(4, n_steps=3, generator=torch.Generator().manual_seed(s)) for s in (1, 1, 2))
    assert torch.equal(a, b) and not torch.equal(a, c)


@pytest.mark.parametrize("method, order", [("heun", 2), ("euler", 1)])
def test_the_ode_of_a_gaussian_velocity_lands_on_the_target_with_the_method_s_order(method, order):
    """Diagonal S: the exact flow carries every x_0 to mu + sqrt(S) x_0. Doubling the steps divides the error by
    2^order: Heun is second order, Euler first."""
    mu, sd = torch.tensor([2.0, -1.0, 0.5]), torch.tensor([0.5, 2.0, 1.0])
    v = gaussian_velocity(mu.double(), torch.diag(sd.double() ** 2))
    x0 = torch.randn(500, 3, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    err = [(flow.integrate(v, x0, n_steps=n, method=method) - (mu + sd * x0)).abs().max().item() for n in (40, 80)]
    assert err[1] < (0.001 if order == 2 else 0.2)
    assert err[0] / err[1] == pytest.approx(2 ** order, rel=0.15)


def test_the_flow_matching_loss_trains_a_small_network_to_a_gaussian():
    """A 2-D Gaussian learnt by an MLP velocity from 3000 draws: its samples' mean and sd are the target's."""
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(0)
    mu, sd = torch.tensor([1.5, -0.5]), torch.tensor([0.3, 0.8])
    data = mu + sd * torch.randn(3000, 2, generator=g)
    net = nn.Sequential(nn.Linear(3, 64), nn.SiLU(), nn.Linear(64, 64), nn.SiLU(), nn.Linear(64, 2))
    v = lambda x, t: net(torch.cat([x, t[:, None]], 1))  # noqa: E731
    opt = torch.optim.Adam(net.parameters(), 3e-3)
    for _ in range(800):
        loss = flow.flow_matching_loss(v, data[torch.randint(3000, (256,), generator=g)], generator=g)
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        x = flow.integrate(v, torch.randn(4000, 2, generator=g), n_steps=20)
    assert torch.allclose(x.mean(0), mu, atol=0.08), x.mean(0)
    assert torch.allclose(x.std(0), sd, atol=0.08), x.std(0)


def test_an_unknown_method_or_no_steps_is_refused():
    with pytest.raises(ValueError, match="unknown ODE method"):
        flow.integrate(lambda x, t: x, torch.zeros(1, 2), n_steps=2, method="rk4")
    with pytest.raises(ValueError, match="n_steps"):
        flow.integrate(lambda x, t: x, torch.zeros(1, 2), n_steps=0)


# ---------------------------------------------------------------- the inpainting sampler

def test_the_inpainter_keeps_observed_pixels_exactly_and_its_draws_vary_where_missing():
    model = random_model()
    # grey levels k / 255 as in MNIST: most do not survive the trip to [-1, 1] and back bit for bit
    x = torch.randint(0, 256, (2, 1, 28, 28), generator=torch.Generator().manual_seed(3)) / 255
    mask = torch.ones(2, 1, 28, 28, dtype=torch.bool)
    mask[:, :, 10:20, 5:25] = False
    for resample in (0, 2):
        res = flow_inpaint(model, x, mask, n_steps=3, n_draws=4, resample=resample, seed=0)
        assert res.samples.shape == (2, 4, 1, 28, 28) and res.method == "flow_inpaint"
        obs = mask.unsqueeze(1).expand_as(res.samples)
        assert torch.equal(res.samples[obs], x.unsqueeze(1).expand_as(res.samples)[obs])
        assert torch.equal(res.mean[mask], x[mask]) and (res.std[mask] == 0).all()
        miss = res.samples[:, :, 0, 10:20, 5:25]  # (N, S, 10, 20)
        assert (miss.std(1) > 1e-3).float().mean() > 0.9  # the draws differ at almost every missing pixel
        assert (res.std[~mask] > 1e-3).float().mean() > 0.9
        assert res.diagnostics.evaluations == 3 * (resample + 1) * 2
    again = flow_inpaint(model, x, mask, n_steps=3, n_draws=4, seed=0)
    other = flow_inpaint(model, x, mask, n_steps=3, n_draws=4, seed=1)
    assert torch.equal(again.samples, flow_inpaint(model, x, mask, n_steps=3, n_draws=4, seed=0).samples)
    assert not torch.equal(again.samples, other.samples)


def test_the_inpainter_path_yields_each_step_with_observed_pixels_on_the_path():
    model = random_model()
    g = torch.Generator().manual_seed(4)
    x, mask = torch.rand(1, 1, 28, 28, generator=g), torch.rand(28, 28, generator=g) > 0.5
    states = list(flow_inpaint_path(model, x, mask, n_steps=4, n_draws=2,
                                    generator=torch.Generator().manual_seed(0)))
    assert [s.step for s in states] == [1, 2, 3, 4] and states[-1].t == pytest.approx(1.0)
    last = states[-1].x  # (1, 2, 1, 28, 28) on the model's scale: at t = 1 the observed pixels are the image
    torch.testing.assert_close(last[0, :, 0][:, mask], flow.to_model(x)[0, 0][mask].expand(2, -1))


def _pair(resample: int, n_steps: int = 20) -> torch.Tensor:
    """Draws of the missing pixel of a correlated pair (sd 0.4, correlation 0.9 on the model's scale) whose
    other pixel is observed at 0.6: the exact conditional is N(0.54, 0.174^2)."""
    cov = torch.tensor([[0.16, 0.144], [0.144, 0.16]])
    x = torch.tensor([[[[0.8, 0.5]]]])  # image scale: 0.8 is 0.6 on the model's scale
    mask = torch.tensor([[[[True, False]]]])
    res = flow_inpaint(gaussian_velocity(torch.zeros(2), cov), x, mask, n_steps=n_steps, n_draws=3000,
                       resample=resample, seed=0)
    return flow.to_model(res.samples[0, :, 0, 0, 1])


def test_observed_pixels_steer_the_missing_ones_and_resampling_brings_them_nearer_the_exact_conditional():
    """The replacement path is an approximation: without resampling the missing pixel's mean sits well short of
    the exact 0.54 (but far from the prior's 0); four resamplings per step bring it, and its sd, nearer."""
    plain, resampled = _pair(0), _pair(4)
    assert 0.15 < plain.mean() < 0.4
    assert abs(resampled.mean() - 0.54) < abs(plain.mean() - 0.54) - 0.1
    assert abs(resampled.std() - 0.174) < abs(plain.std() - 0.174)


def test_for_independent_pixels_the_missing_ones_follow_the_target():
    """With no correlation the exact conditional is the marginal: the draws' mean and sd are the target's."""
    mu, sd = torch.tensor([0.2, -0.3, 0.1, 0.0]), torch.tensor([0.3, 0.2, 0.25, 0.3])
    x, mask = torch.full((1, 1, 2, 2), 0.9), torch.tensor([[True, False], [False, True]])
    res = flow_inpaint(gaussian_velocity(mu, torch.diag(sd ** 2)), x, mask, n_steps=10, n_draws=4000, seed=0)
    draws = flow.to_model(res.samples[0, :, 0]).reshape(-1, 4)[:, [1, 2]]
    assert torch.allclose(draws.mean(0), mu[[1, 2]], atol=0.02) and torch.allclose(draws.std(0), sd[[1, 2]], atol=0.02)


# ---------------------------------------------------------------- the recipe and the export

@pytest.fixture
def data_dir(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("DGM_THREADS", "1")
    return write_synthetic_data(tmp_path / "data")


def test_the_recipe_dry_run_trains_saves_loads_back_and_resumes_to_the_same_bytes(data_dir, tmp_path):
    """Synthetic MNIST files (so no DGM_DATA_DIR is needed): 3 steps straight, and 1 + 2 steps resumed."""
    threads = torch.get_num_threads()
    try:
        card = training.train("flow-mnist", dry_run=True, out_dir=tmp_path / "a", data_dir=data_dir)
        model, loaded = pretrained.load("flow-mnist", tmp_path / "a")
        assert loaded == card and card.family == "flow" and card.metrics["steps"] == flow_recipes.DRY_STEPS
        assert "dry run" in card.data and card.command == "python -m dgm_core train flow-mnist"
        assert all(np.isfinite(v) for v in card.metrics.values() if isinstance(v, float))
        r = training.recipe("flow-mnist").dry()
        measured = r.measure(model, data_dir)
        assert measured == {k: card.metrics[k] for k in measured}
        out = tmp_path / "b"
        assert training.train("flow-mnist", dry_run=True, out_dir=out, data_dir=data_dir, stop_at=1) is None
        assert training.checkpoint_path("flow-mnist", out).stat().st_size < 20 * 2**20
        resumed = training.train("flow-mnist", dry_run=True, out_dir=out, data_dir=data_dir, resume=True)
        assert resumed.sha256 == card.sha256 and resumed.metrics == card.metrics
        assert "steps 0-1" in resumed.notes and "steps 1-3" in resumed.notes
    finally:
        torch.set_num_threads(threads)


def test_the_shipped_flow_mnist_is_its_recipes_and_loads():
    """The finished run ships: its card names the recipe's command and the measured samples, its weights load."""
    assert "flow-mnist" in training.RECIPES and "flow-mnist" not in training.UNSHIPPED
    model, card = pretrained.load("flow-mnist")
    r = training.RECIPES["flow-mnist"]
    assert card.command == "python -m dgm_core train flow-mnist" and card.metrics["steps"] == r.steps
    assert card.config == training.full_config(r)
    assert 0 < card.metrics["confident_share"] < card.metrics["real_confident_share"]
    x = model.sample(2, n_steps=2, method="euler", generator=torch.Generator().manual_seed(0))
    assert x.shape == (2, 1, 28, 28) and bool(((x >= 0) & (x <= 1)).all())


def test_the_velocity_export_matches_torch(tmp_path):
    model = random_model(width=8)
    pretrained.save(model, name="flow-mnist", family="flow", data="none", seed=0, training_time_s=0.0,
                    directory=tmp_path)
    entry = export.export("flow-mnist", directory=tmp_path, out_dir=tmp_path / "models")
    assert entry["max_abs_diff_vs_torch"] <= export.TOLERANCE
    assert entry["input"] == [["x", ["batch", 1, 28, 28]], ["t", ["batch"]]]
    assert pretrained.load_card("flow-mnist", tmp_path).browser == entry
    import onnxruntime as ort
    sess = ort.InferenceSession(str(tmp_path / "models" / "flow-mnist.onnx"), providers=["CPUExecutionProvider"])
    g = torch.Generator().manual_seed(5)
    x, t = torch.randn(7, 1, 28, 28, generator=g), torch.rand(7, generator=g)  # another batch size: dynamic axis
    with torch.no_grad():
        want = model(x, t).numpy()
    got = sess.run(["velocity"], {"x": x.numpy(), "t": t.numpy()})[0]
    assert np.abs(want).max() > 0.05 and np.abs(got - want).max() <= export.TOLERANCE


def test_the_twisting_graph_is_torchs_gradient(tmp_path):
    """The twisted filter's graph beside the velocity's (``export.twist_onnx_bytes``: torch's backward pass traced into
    plain operations, a convolution's backward as its transposed convolution) computes, at another batch size than
    it was traced with, x̂_1 = x + (1 - t) v(x, t), log N(y; x̂_1, var) over the observed pixels, and that log
    potential's gradient in x as torch's autograd computes it (the U-Net's stride-2 convolutions, nearest upsampling,
    group norms and skips all in its path)."""
    import onnxruntime as ort
    model = random_model(width=8)
    pretrained.save(model, name="flow-mnist", family="flow", data="none", seed=0, training_time_s=0.0,
                    directory=tmp_path)
    twist = export.export("flow-mnist", directory=tmp_path, out_dir=tmp_path / "models")["twist"]
    assert max(twist["max_rel_diff_vs_torch"].values()) <= export.TOLERANCE
    sess = ort.InferenceSession(str(tmp_path / "models" / "flow-mnist-twist.onnx"), providers=["CPUExecutionProvider"])
    g = torch.Generator().manual_seed(6)
    x, t = torch.randn(5, 1, 28, 28, generator=g), torch.rand(5, generator=g)
    y, obs = torch.rand(5, 1, 28, 28, generator=g) * 2 - 1, (torch.rand(5, 1, 28, 28, generator=g) < 0.5).float()
    var = 0.09 + torch.rand(5, generator=g)
    got = dict(zip(export.TWIST_OUTPUTS, sess.run(export.TWIST_OUTPUTS, {
        k: a.numpy() for k, a in zip(export.TWIST_INPUTS, (x, t, y, obs, var))})))
    xg = x.clone().requires_grad_(True)
    x1 = xg + (1 - t).view(-1, 1, 1, 1) * model(xg, t)
    v = var.view(-1, 1, 1, 1)
    log_g = (-0.5 * ((y - x1) ** 2 / v + math.log(2 * math.pi) + torch.log(v)) * obs).sum((1, 2, 3))
    (grad,) = torch.autograd.grad(log_g.sum(), xg)
    for name, want in (("x1_hat", x1), ("log_g", log_g), ("grad", grad)):
        want = want.detach().numpy()
        assert np.abs(got[name] - want).max() <= 1e-4 * np.abs(want).max(), name
    assert np.abs(grad.numpy()).max() > 1.0  # a gradient worth checking
