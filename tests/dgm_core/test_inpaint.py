"""run_method/score: every method on tiny models returns the shared result, keeps observed pixels,
and traces the chains; Settings refuses absurd values with one sentence."""
import pytest
import torch

from dgm_core import masks
from dgm_core.demos.inpainting import Settings, run_method, score
from dgm_core.methods import INPAINTING as METHODS
from dgm_core.models import dmfa, flow, mfa, miwae, vae


def _models():
    torch.manual_seed(0)
    v = vae.VAE(vae.Config(shape=(1, 8, 8), latent=3, hidden=16)).eval()
    mi = miwae.MIWAE(miwae.Config(shape=(1, 8, 8), latent=3, hidden=16)).eval()
    d = dmfa.DMFA(dmfa.Config(shape=(1, 8, 8), width=4, bottleneck=8)).eval()
    m = mfa.MFA(mfa.Config(shape=(1, 8, 8), n_mixes=2, n_factors=2))
    f = flow.FlowUNet(flow.Config(shape=(1, 8, 8), width=8, mults=(1, 2), groups=4, time_features=8)).eval()
    return {"mwg": v, "pseudo_gibbs": v, "miwae": mi, "dmfa": d, "mfa": m, "flow": f, "mean_fill": None,
            "neighbour_fill": None}


@pytest.mark.parametrize("method", list(METHODS))
def test_every_method_keeps_observed_pixels_and_scores_missing_ones(method):
    x = (torch.rand(1, 8, 8) > 0.6).float()
    mask = masks.half((8, 8), "top")
    s = Settings(steps=30, chains=3, burn_in=5, n_samples=40, n_draws=4, warm_start=5)
    res, trace = run_method(method, _models()[method], x, mask, dataset="mnist", settings=s, truth=x)
    assert res.mean.shape == (1, 1, 8, 8) and res.std.shape == (1, 1, 8, 8)
    assert torch.equal(res.mean[0, :, mask], x[:, mask])
    assert torch.equal(res.samples[0, :, :, mask], x[:, mask].expand(res.samples.shape[1], 1, -1))
    assert (res.std[0, :, mask] == 0).all()
    m = score(res, x, mask, dataset="mnist")
    assert 0 <= m["F1"] <= 1 and m["MSE"] >= 0 and m["time (s)"] > 0
    assert (("NLL (nats)" in m) or ("NLL density (nats)" in m)) == METHODS[method].density
    if method in ("mwg", "pseudo_gibbs"):
        assert trace.log_joint.shape == (30, 3) and trace.score.shape == (30,)
        assert len(trace.snapshot_steps) >= 2 and trace.snapshot_mean[0].shape == (1, 8, 8)
        acc = trace.accepted.float().mean().item()
        assert (acc == 1.0) if method == "pseudo_gibbs" else (0.0 <= acc <= 1.0)


@pytest.mark.parametrize("kwargs, words", [
    ({"steps": 0}, "between 10 and 5000"), ({"chains": 1000}, "chains"), ({"steps": 10, "burn_in": 10}, "burn-in"),
    ({"init": "magic"}, "initial fill"), ({"seed": -1}, "seed"),
])
def test_settings_refuse_absurd_values(kwargs, words):
    with pytest.raises(ValueError, match="(?i)" + words):
        Settings(**kwargs)
