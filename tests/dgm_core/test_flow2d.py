"""Flow matching in the plane (dgm_core.models.flow2d) and its page's core calls (dgm_core.demos.flow2d): the
integrator against a Gaussian's exact flow, training against the closed-form optimal field, the loss by hand, the
links' point codes, the pool's checks and what the browser is sent."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from dgm_core.controls import check, defaults
from dgm_core.demos import flow2d as demo
from dgm_core.models.flow import SETTLED_STEPS
from dgm_core.models import flow2d as f
from dgm_core.models.toy_gan import TOYS
from dgm_core.tabular import single_thread

MU, S = torch.tensor([1.5, -0.5]), 0.3
STEP = 6 / (demo.LEVELS - 1)  # a link's quantisation step over the box


def _g(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def gaussian(x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    return f.gaussian_velocity(x, t, MU, S)


def reaches_the_gaussian(x0: torch.Tensor, x1: torch.Tensor) -> bool:
    """x1 is where N(0, I) noise x0 should land under N(MU, S^2 I)'s flow: mean MU and sd S (within sampling noise),
    and each point at MU + S x0, the exact flow's endpoint, within 5e-3."""
    return bool((x1.mean(0) - MU).abs().max() < 0.02 and (x1.std(0) - S).abs().max() < 0.02
                and (x1 - (MU + S * x0)).abs().max() < 5e-3)


def test_heun_carries_noise_onto_the_gaussian_and_euler_does_not():
    x0 = torch.randn(20000, 2, generator=_g())
    paths = f.integrate(gaussian, x0, 40)
    assert paths.shape == (41, 20000, 2) and torch.equal(paths[0], x0)
    assert reaches_the_gaussian(x0, paths[-1])
    # the tolerance separates the schemes: one Euler step lands every point on MU (sd 0); 40 are ~0.06 off
    assert not reaches_the_gaussian(x0, x0 + gaussian(x0, torch.zeros(20000)))
    euler = x0
    for k in range(40):
        euler = euler + gaussian(euler, torch.full((20000,), k / 40)) / 40
    assert not reaches_the_gaussian(x0, euler)


def test_the_closed_form_is_the_gaussian_flows_velocity():
    """d/dt (t MU + sigma_t x0) = v*(t MU + sigma_t x0, t) at a few t (sigma_t^2 = (1 - t)^2 + t^2 S^2)."""
    x0 = torch.randn(50, 2, generator=_g(1), dtype=torch.float64)
    for t in (0.0, 0.3, 0.9):
        sig = math.sqrt((1 - t) ** 2 + t**2 * S**2)
        dsig = (-(1 - t) + t * S**2) / sig
        got = f.gaussian_velocity(t * MU.double() + sig * x0, t, MU.double(), S)
        assert torch.allclose(got, MU.double() + dsig * x0, atol=1e-12)


def test_training_on_a_gaussian_learns_the_closed_form_field():
    pool = MU + S * torch.randn(2000, 2, generator=_g(2))
    with single_thread():
        net, losses = f.train(f.FlowConfig(steps=800, seed=3), pool)
    assert len(losses) == 800 and np.mean(losses[-100:]) < np.mean(losses[:100])
    for t in (0.2, 0.5, 0.8):  # where x_t lives at time t
        x = t * MU + math.sqrt((1 - t) ** 2 + t**2 * S**2) * torch.randn(500, 2, generator=_g(4))
        with torch.no_grad():
            want, got = gaussian(x, torch.full((500,), t)), net(x, t)
        rel = ((got - want).pow(2).sum(1).mean() / want.pow(2).sum(1).mean()).sqrt()
        assert rel < 0.1, (t, float(rel))


def test_the_loss_by_hand():
    x0 = torch.tensor([[0.0, 0.0], [1.0, 1.0]])
    x1 = torch.tensor([[2.0, 0.0], [1.0, 3.0]])
    t = torch.tensor([0.5, 0.25])
    # x_t = (1, 0) and (1, 1.5); v = 2 x + t = (2.5, 0.5) and (2.25, 3.25); targets (2, 0) and (0, 2)
    # squared errors 0.25, 0.25, 5.0625, 1.5625: mean 1.78125
    loss = f.flow_loss(lambda x, tt: 2 * x + tt[:, None], x1, x0, t)
    assert loss.item() == pytest.approx(1.78125, abs=1e-6)


def test_the_network_its_initialisation_and_its_time_input():
    cfg = f.FlowConfig(hidden=8, depth=2)
    net = f.velocity_mlp(cfg, _g(5))
    lin = [m for m in net.modules() if isinstance(m, torch.nn.Linear)]
    assert [(m.in_features, m.out_features) for m in lin] == [(3, 8), (8, 8), (8, 2)]
    assert sum(isinstance(m, torch.nn.SiLU) for m in net.modules()) == 2
    torch.manual_seed(5)  # torch's own nn.Linear draws, in order: the same numbers
    ref = [torch.nn.Linear(3, 8), torch.nn.Linear(8, 8), torch.nn.Linear(8, 2)]
    assert all(torch.equal(a.weight, b.weight) and torch.equal(a.bias, b.bias) for a, b in zip(lin, ref))
    x = torch.randn(4, 2, generator=_g())
    with torch.no_grad():
        assert torch.equal(net(x, 0.25), net(x, torch.full((4,), 0.25)))
        assert torch.equal(f.field(net, x, 0.25), net(x, 0.25))


def test_the_learning_rate_falls_along_a_half_cosine_to_its_floor():
    cfg = f.FlowConfig(lr=1e-2, lr_floor=0.1, steps=101)
    rates = [f.learning_rate(cfg, s) for s in range(1, 102)]
    assert rates[0] == pytest.approx(1e-2) and rates[50] == pytest.approx(5.5e-3) and rates[-1] == pytest.approx(1e-3)
    assert all(a > b for a, b in zip(rates, rates[1:]))
    assert f.learning_rate(f.FlowConfig(steps=1), 1) == pytest.approx(f.FlowConfig().lr)


def test_training_is_deterministic_and_pool_draws_are_rows_plus_jitter():
    pool = torch.randn(30, 2, generator=_g(6))
    a = f.train(f.FlowConfig(steps=15, seed=7), pool)[1]
    assert a == f.train(f.FlowConfig(steps=15, seed=7), pool)[1] != f.train(f.FlowConfig(steps=15, seed=8), pool)[1]
    rows = f.sample_pool(pool, 500, 0.0, _g())
    assert all((pool == r).all(1).any() for r in rows)
    noisy = f.sample_pool(pool, 5000, 0.2, _g())
    nearest = torch.cdist(noisy, pool).min(1).values
    assert 0.1 < nearest.median() < 0.3
    with pytest.raises(ValueError):
        f.FlowConfig(lr_floor=0)


# ---- the page's core calls ------------------------------------------------------------------------------------------

def test_the_controls_offer_the_toys_and_a_drawing():
    assert list(demo.DATA) == [*TOYS, demo.DRAWN] and demo.DATA[demo.DRAWN] == "your drawing"
    values = defaults(demo.CONTROLS)
    assert values == {"data": "ring", "steps": 800, "seed": 0, "pts": "", "msteps": SETTLED_STEPS}
    for key in ("data", "steps", "seed", "msteps"):
        check(demo.CONTROLS[key], values[key])
    with pytest.raises(ValueError, match="Training steps must be one of"):
        demo.browser_job("ring", None, 50, 0)
    with pytest.raises(ValueError, match="Seed must be"):
        demo.browser_job("ring", None, 800, 10_000)


def test_points_survive_the_link_within_the_quantisation_step():
    pts = np.random.default_rng(0).uniform(-3, 3, (demo.MAX_POINTS, 2))
    pts[:4] = [[-3, -3], [3, 3], [-3, 3], [0, 0]]
    text = demo.encode_points(pts)
    assert len(text) == 4 * demo.MAX_POINTS and text.replace("-", "").replace("_", "").isalnum()
    back = demo.decode_points(text)
    assert back.shape == pts.shape and back.dtype == np.float32
    assert np.abs(back - pts).max() <= STEP / 2 + 1e-6
    assert (back[:3] == pts[:3]).all()  # the box's corners exactly
    assert demo.decode_points(demo.encode_points(back)).tobytes() == back.tobytes()  # codes are stable
    assert demo.encode_points(np.zeros((0, 2))) == "" and demo.decode_points("").shape == (0, 2)


@pytest.mark.parametrize("text, words", [
    (12, "given as text"), ("abc", "cut short"), ("ab+/", "only letters"), ("a b=", "only letters"),
    ("AAAA" * (demo.MAX_POINTS + 1), "at most 400 points")])
def test_decoding_refuses_bad_text_in_a_sentence(text, words):
    with pytest.raises(ValueError, match=words) as e:
        demo.decode_points(text)
    assert str(e.value).endswith(".") and "\n" not in str(e.value)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.text(max_size=2000) | st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=",
                                        max_size=1700))
def test_decoding_any_text_gives_points_in_the_box_or_a_value_error(text):
    try:
        got = demo.decode_points(text)
    except ValueError as e:
        assert str(e).endswith(".")
        return
    assert got.shape == (len(text) // 4, 2) and len(got) <= demo.MAX_POINTS
    assert np.isfinite(got).all() and (np.abs(got) <= 3).all()


@pytest.mark.parametrize("points, words", [
    (np.zeros((3, 2)), "at least 10 points"), (np.zeros((401, 2)), "at most 400 points"),
    (np.full((20, 2), np.nan), "finite"), (np.full((20, 2), 3.5), "in the box from -3 to 3"),
    (np.zeros((20, 3)), "pairs"), ([["a", "b"]] * 20, "pairs of numbers"), (7, "pairs of numbers"),
    (None, "at least 10 points")])
def test_a_drawn_pool_is_checked_in_one_sentence(points, words):
    with pytest.raises(ValueError, match=words) as e:
        demo.pool(demo.DRAWN, points)
    assert str(e.value).endswith(".")


def test_pools():
    ring = demo.pool("ring")
    assert ring.shape == (demo.POOL_N, 2) and ring.dtype == np.float32 and (ring == demo.pool("ring")).all()
    assert np.abs(np.linalg.norm(ring, axis=1) - 2).max() < 0.3
    drawn = np.random.default_rng(1).uniform(-2, 2, (50, 2))
    assert np.array_equal(demo.pool(demo.DRAWN, drawn), drawn.astype(np.float32))
    assert demo.jitter("moons") == 0 and demo.jitter(demo.DRAWN) > 0
    with pytest.raises(ValueError, match="Data must be one of"):
        demo.pool("spiral")


def test_the_browser_job():
    job = demo.browser_job("moons", None, 300, 12)
    json.dumps(job)
    cfg = job["cfg"]
    assert cfg == {"hidden": 64, "depth": 3, "lr": f.FlowConfig().lr, "lr_floor": 0.1, "batch": 256, "steps": 300,
                   "jitter": 0.0, "seed": 12, "frames": demo.FRAMES, "report_every": demo.REPORT_EVERY}
    assert len(job["pool"]) == 2 * demo.POOL_N and len(job["z"]) == 2 * demo.DISPLAY_N
    assert np.allclose(job["z"], demo.display_z(12).reshape(-1).numpy())
    grid = np.asarray(job["grid"]).reshape(demo.GRID_N, demo.GRID_N, 2)  # rows along y
    assert job["grid_n"] == demo.GRID_N and job["box"] == [-3.0, 3.0, -3.0, 3.0]
    assert (grid[0, :, 1] == -3).all() and (grid[-1, :, 1] == 3).all() and (np.diff(grid[0, :, 0]) > 0).all()
    drawn = np.random.default_rng(2).uniform(-2, 2, (40, 2))
    mine = demo.browser_job(demo.DRAWN, drawn, 800, 0)
    assert np.abs(np.asarray(mine["pool"]) - drawn.reshape(-1)).max() <= 5e-5 and mine["cfg"]["jitter"] > 0
    assert demo.browser_job(demo.DRAWN, None, 800, 0)["pool"] == []  # the panel puts the drawing in


def test_the_server_trains_the_same_result_the_browser_gives():
    r = demo.train_server("ring", None, 800, 0)
    frames, m, g = demo.FRAMES + 1, demo.DISPLAY_N, demo.GRID_N**2
    assert r["paths"].shape == (frames, m, 2) and r["field"].shape == (frames, g, 2)
    assert r["paths"].dtype == r["field"].dtype == np.float32
    assert np.array_equal(r["paths"][0], demo.display_z(0).numpy())
    assert len(r["losses"]) == 800 and [s for s, _ in r["reports"]] == list(range(100, 801, 100))
    assert r["step"] == 800 and r["loss"] == r["reports"][-1][1]
    radius = np.linalg.norm(r["paths"][-1], axis=1)  # the noise has reached the ring of radius 2
    assert np.median(np.abs(radius - 2)) < 0.1
