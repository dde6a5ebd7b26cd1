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
    return {"mwg": v, "pseudo_gibbs": v, "miwae": mi, "dmfa": d, "mfa": m, "flow": f, "flow_smc": f, "flow_twisted": f,
            "mean_fill": None,
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


@pytest.mark.parametrize("kernel", ["hmc", "encoder"])
def test_pages_run_together_each_get_their_own_chains_scores_and_snapshots(kernel):
    """run_pages on three images at once: each page holds its own image's results (observed pixels its own), its
    trace's score at each snapshot step is the F1 of that step's snapshot on its own image, its diagnostics are
    its own chains' (a step size per chain), and the methods that do not batch match their run alone."""
    from dgm_core import metrics
    from dgm_core.demos.inpainting import run_pages

    torch.manual_seed(1)
    models = _models()
    xs = [(torch.rand(1, 8, 8) > p).float() for p in (0.3, 0.6, 0.9)]  # three different amounts of ink
    mask = masks.half((8, 8), "bottom")
    s = Settings(steps=30, chains=3, burn_in=5, n_samples=40, n_draws=4, warm_start=0, kernel=kernel)
    pages = run_pages(["mwg", "miwae"], [(x, mask, f"image {i}") for i, x in enumerate(xs)], dataset="mnist",
                      settings=s, load_model=lambda name: models["miwae" if name.startswith("miwae") else "mwg"])
    assert [p.what for p in pages] == ["image 0", "image 1", "image 2"] and {p.batched for p in pages} == {3}
    for x, page in zip(xs, pages):
        (res, scores, trace), (alone, alone_scores, _) = page.rows
        assert torch.equal(res.mean[0, :, mask], x[:, mask]) and res.samples.shape == (1, 3, 1, 8, 8)  # a draw a chain
        d = res.diagnostics
        assert d.log_joint.shape == (30, 1, 3) and d.acceptance.shape == (1,) and len(d.verdict) == 1
        assert d.step_size is None if kernel != "hmc" else d.step_size.shape == (3,)
        assert torch.equal(trace.log_joint, d.log_joint[:, 0])
        assert trace.snapshot_steps == list(range(1, 31))  # every step (snapshots >= steps)
        for step, snap in zip(trace.snapshot_steps, trace.snapshot_mean):  # the trace is this image's, step by step
            f1 = metrics.f1_missing(snap.unsqueeze(0), x.unsqueeze(0), mask.view(1, 1, 8, 8)).item()
            assert trace.score[step - 1].item() == pytest.approx(f1, abs=1e-6)
        # and its steps are its own chains': after burn-in they average to the sampler's own mean for this image
        after = torch.stack([m for t, m in zip(trace.snapshot_steps, trace.snapshot_mean) if t > s.burn_in]).mean(0)
        assert torch.allclose(after, res.mean[0], atol=1e-5)
        assert torch.equal(trace.snapshot_sample[-1], res.samples[0, 0])  # chain 1's last completion
        assert scores["F1"] == pytest.approx(score(res, x, mask, dataset="mnist")["F1"])
        lone, _ = run_method("miwae", models["miwae"], x, mask, dataset="mnist", settings=s, truth=x)
        assert torch.allclose(alone.mean, lone.mean)  # importance sampling runs image by image, as alone
    if kernel == "hmc":  # each image's chains tuned their own step sizes: the pages do not share one slice
        sizes = [p.rows[0][0].diagnostics.step_size for p in pages]
        assert not torch.equal(sizes[0], sizes[1]) and not torch.equal(sizes[1], sizes[2])
