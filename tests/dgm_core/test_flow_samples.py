"""The flow model's own digits (dgm_core.demos.flow_samples) and their section on the flow page."""
from __future__ import annotations

import pytest
import torch

from dgm_core import pretrained
from dgm_core.demos import flow_samples as fs
from dgm_core.models.flow import SETTLED_STEPS, Config, FlowUNet, integrate, to_image
from tests.app import open_page


def test_the_path_ends_at_the_sampler_s_digits_and_starts_at_its_noise():
    torch.manual_seed(0)
    model = FlowUNet(Config(width=8, mults=(1, 2), groups=4)).eval()
    p = fs.paths(model, n=3, n_steps=4, seed=5)
    assert p.shape == (3, 5, 1, 28, 28) and bool(((p >= 0) & (p <= 1)).all())
    x0 = torch.randn(3, 1, 28, 28, generator=torch.Generator().manual_seed(5))
    assert torch.allclose(p[:, 0], to_image(x0))
    assert torch.allclose(p[:, -1], to_image(integrate(model, x0, n_steps=4, method="heun")), atol=1e-6)
    assert torch.equal(fs.samples(model, n=3, n_steps=4, seed=5), p[:, -1])
    with pytest.raises(ValueError):
        fs.paths(model, n_steps=0)


def test_background_is_where_real_digits_have_no_ink():
    x = torch.zeros(20, 1, 4, 4)
    x[:, 0, 1:3, 1:3] = 1.0
    x[0, 0, 0, 0] = 1.0  # ink in 1 of 20 digits: still background at 95 %
    bg = fs.background(x)
    assert bg.sum() == 12 and not bg[1, 1] and bg[0, 0]
    assert fs.background_level(x, bg) == pytest.approx(1 / (20 * 12))


def test_the_flow_page_shows_the_models_digits_and_its_path():
    at = open_page("flow2d", "flow_")
    assert not at.exception
    assert any("flow model's own digits" in h.value for h in at.subheader)
    assert len(at.get("imgs")) >= 2 or len(at.get("image")) >= 2
    assert any("recognises" in c.value for c in at.caption)


def test_the_rule_takes_the_fewest_steps_within_the_tolerance():
    assert fs.settled({5: 0.02, 10: 0.005, 20: 0.003, 40: 0.001}, tolerance=0.004) == 20
    assert fs.settled({40: 0.001, 5: 0.02}, tolerance=0.004) == 40  # read in order of steps, not of the dict
    assert fs.settled({5: 0.02, 10: 0.01}, tolerance=0.004) is None
    assert fs.settled({5: 1 / 255}) == 5  # within: the bound itself counts


class _Shrink(torch.nn.Module):
    """dx/dt = -3 t x: the exact flow from x_0 at t = 1 is x_0 exp(-3/2), a closed form for the integrator."""

    def __init__(self) -> None:
        super().__init__()
        self.cfg = Config(shape=(1, 6, 6))
        self.dummy = torch.nn.Parameter(torch.zeros(()))  # the sampler reads the device and dtype from a parameter

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return -3 * t.view(-1, 1, 1, 1) * x


def test_heun_s_gap_to_twice_the_steps_shrinks_as_a_second_order_method_s():
    model = _Shrink()
    gaps = [fs.solver_gap(model, k, n=200) for k in (4, 8, 16, 32)]
    assert all(a > b > 0 for a, b in zip(gaps, gaps[1:]))
    assert 0.15 < gaps[3] / gaps[2] < 0.35  # second order: about a quarter per doubling
    x0 = torch.randn(200, 1, 6, 6, generator=torch.Generator().manual_seed(0))
    exact = to_image(x0 * torch.exp(torch.tensor(-1.5)))
    assert (fs.samples(model, n=200, n_steps=64) - exact).abs().mean() < 1e-4


def test_the_shipped_flow_s_settled_steps_follow_the_rule():
    """SETTLED_STEPS is what the rule picks for flow-mnist: within one grey level of twice the steps, and the step
    count below it is not (the card, the flow page and bench flow_steps all use it)."""
    flow = pretrained.load("flow-mnist")[0]
    k = SETTLED_STEPS
    assert k in fs.STEP_CHOICES
    assert fs.solver_gap(flow, k) <= fs.SOLVER_TOLERANCE
    smaller = [c for c in fs.STEP_CHOICES if c < k]
    if smaller:
        assert fs.solver_gap(flow, max(smaller)) > fs.SOLVER_TOLERANCE
    assert pretrained.load_card("flow-mnist").metrics["sample_steps"] == k
