"""The flow model's own digits (dgm_core.demos.flow_samples) and their section on the flow page."""
from __future__ import annotations

import pytest
import torch

from dgm_core.demos import flow_samples as fs
from dgm_core.models.flow import Config, FlowUNet, integrate, to_image
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
