"""Tabular not-MIWAE / MIWAE: the MNAR effect on synthetic self-masked data, the weights' missingness
term, observed entries kept, decoders and missing models, supervised prediction, baselines."""
import math

import numpy as np
import pytest
import torch

from dgm_core import baselines, tabular
from dgm_core.missingness.tabular import notmiwae_uci
from dgm_core.models.notmiwae import DECODERS, MISSING_MODELS, Config, NotMIWAE


def _low_rank(n=1500, d=6, seed=0):
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, 2))
    x = z @ rng.standard_normal((2, d)) + 0.3 * rng.standard_normal((n, d))
    return (x - x.mean(0)) / x.std(0)


@pytest.fixture(scope="module")
def trained():
    """not-MIWAE (free-sign self-masking) and MIWAE on data whose high values hide themselves."""
    torch.set_num_threads(1)
    x = _low_rank()
    mask = notmiwae_uci(x).mask  # first 3 features: every value above the mean is missing
    out = {"x": x, "mask": mask}
    for name, missing in (("notmiwae", "selfmasking"), ("miwae", "none")):
        torch.manual_seed(0)
        model = NotMIWAE(Config(n_features=6, latent=2, hidden=64, missing=missing))
        tabular.fit(model, x, mask, iterations=1500, lr=3e-3, seed=0)
        out[name] = model
    return out


def test_notmiwae_recovers_direction_and_beats_miwae(trained):
    x, mask = trained["x"], trained["mask"]
    w = np.array(trained["notmiwae"].mechanism()["W"])
    assert (w[:3] > 0).all(), f"W of the masked features should be positive (high values missing): {w}"
    rmse = {n: tabular.rmse_missing(x, tabular.impute(trained[n], x, mask, n_samples=500).mean, mask)
            for n in ("notmiwae", "miwae")}
    mean_rmse = tabular.rmse_missing(x, baselines.mean_impute(x, mask), mask)
    assert rmse["notmiwae"] < 0.8 * rmse["miwae"], rmse
    assert rmse["notmiwae"] < 0.8 * mean_rmse


def test_importance_weights_include_missingness_term(trained):
    x, mask = trained["x"], trained["mask"]
    # MIWAE's generative model plus a known, steep "values above 0 go missing" mechanism: with p(s|x)
    # in the weights every imputed value must move above 0; without it nothing would change
    model = NotMIWAE(Config(n_features=6, latent=2, hidden=64, missing="selfmasking"))
    model.load_state_dict(trained["miwae"].state_dict(), strict=False)
    with torch.no_grad():
        model.w_raw.copy_(torch.tensor([8.0, 8.0, 8.0, 0.0, 0.0, 0.0]))
        model.b.zero_()
    model.eval()
    with_s = tabular.impute(model, x, mask, n_samples=500, seed=0).mean
    without_s = tabular.impute(model, x, mask, n_samples=500, seed=0, use_missing_model=False).mean
    miss = ~mask
    ref = tabular.impute(trained["miwae"], x, mask, n_samples=500, seed=0).mean
    rb = tabular.impute(model, x, mask, n_samples=500, seed=0, use_missing_model=False, estimator="rao_blackwell")
    np.testing.assert_allclose(rb.mean[miss], ref[miss], atol=1e-4)  # without p(s|x): MIWAE's weights
    assert with_s[miss].mean() > without_s[miss].mean() + 0.15  # equal (same seed) without the term
    assert (with_s[miss] > without_s[miss]).mean() > 0.9
    # the trained not-MIWAE: its learnt p(s|x) also moves imputations up, towards the truth
    nm = trained["notmiwae"]
    a = tabular.impute(nm, x, mask, n_samples=500, seed=0).mean
    b = tabular.impute(nm, x, mask, n_samples=500, seed=0, use_missing_model=False).mean
    assert a[miss].mean() > b[miss].mean()
    assert tabular.rmse_missing(x, a, mask) < tabular.rmse_missing(x, b, mask)


def test_imputations_never_change_observed_entries(trained):
    model, x, mask = trained["notmiwae"], trained["x"][:40], trained["mask"][:40]
    x_nan = np.where(mask, x, np.nan)  # hidden values are not even available
    imp = tabular.impute(model, x_nan, mask, n_samples=200, n_draws=5, median=True, seed=1)
    for arr in (imp.mean, imp.median):
        np.testing.assert_array_equal(arr[mask], x[mask])
        assert np.isfinite(arr).all()
    assert imp.draws.shape == (40, 5, 6)
    np.testing.assert_array_equal(imp.draws[np.broadcast_to(mask[:, None], imp.draws.shape)],
                                  np.repeat(x[:, None], 5, 1)[np.broadcast_to(mask[:, None], imp.draws.shape)])
    assert imp.ess.shape == (40,) and (imp.ess >= 1).all()


@pytest.mark.parametrize("decoder", ["gaussian", "student_t"])
def test_mixture_median_is_the_root_of_the_mixture_cdf(decoder):
    # 5 components with unequal weights and spread-out locations, per row and feature: the median is
    # neither a component's location nor the weighted mean of them; the truth is scipy's root
    from scipy.optimize import brentq
    from scipy.stats import norm
    from scipy.stats import t as student_t
    g = torch.Generator().manual_seed(0)
    L, b, d = 5, 3, 4
    par = {"loc": 3 * torch.randn(L, b, d, generator=g), "scale": 0.2 + 2 * torch.rand(L, b, d, generator=g)}
    if decoder == "student_t":
        par["df"] = 3 + 5 * torch.rand(L, b, d, generator=g)
    alpha = torch.softmax(2 * torch.randn(L, b, generator=g), 0)
    spread = 10 * par["scale"].max()
    med = tabular._mixture_median(None, par, alpha, par["loc"].min(0).values - spread,
                                  par["loc"].max(0).values + spread)
    p64 = {k: v.double().numpy() for k, v in par.items()}
    a64 = alpha.double().numpy()
    for i in range(b):
        for j in range(d):
            def u(v, i=i, j=j):
                return (v - p64["loc"][:, i, j]) / p64["scale"][:, i, j]

            if decoder == "gaussian":
                def cdf(v, u=u):
                    return norm.cdf(u(v))
            else:
                def cdf(v, u=u, i=i, j=j):
                    return student_t.cdf(u(v), p64["df"][:, i, j])
            truth = brentq(lambda v, i=i, cdf=cdf: (a64[:, i] * cdf(v)).sum() - 0.5, -200, 200, xtol=1e-12)
            assert med[i, j].item() == pytest.approx(truth, abs=1e-5), (i, j)
            assert abs(truth - (a64[:, i] * p64["loc"][:, i, j]).sum()) > 1e-3  # not the mixture mean


def _decoder_ignores_z(decoder: str, missing: str, w: float, b: float) -> NotMIWAE:
    """p(x_j | z) = N(0, 1) (or t_5) whatever z is; p(s_j = 0 | x) = sigmoid(w (x_j - b))."""
    torch.manual_seed(0)
    model = NotMIWAE(Config(n_features=2, latent=1, hidden=8, decoder=decoder, missing=missing))
    with torch.no_grad():
        last = model.decoder[-1]
        last.weight.zero_()
        last.bias.zero_()
        last.bias[2:4] = math.log(math.expm1(1.0 - model.cfg.min_scale))  # scale = 1
        if decoder == "student_t":
            last.bias[4:6] = math.log(math.expm1(2.0))  # df = 5
        if missing != "none":
            model.w_raw.fill_(math.log(math.expm1(w)))
            model.b.fill_(b)
    return model.eval()


@pytest.mark.parametrize("decoder", ["gaussian", "student_t"])
def test_notmiwae_median_and_mean_match_the_exact_mnar_conditional(decoder):
    # x ~ N(0, 1) (t_5), and x goes missing with probability sigmoid(3 (x - 0.5)): given that it is
    # missing, x has density ∝ p(x) sigmoid(3 (x - 0.5)), whose median and mean quad/brentq compute.
    # A median from the mixture CDF sum_l alpha_l F(x | z_l) ignores p(s | x^m) and stays at 0.
    from scipy import integrate, optimize, stats
    w, b = 3.0, 0.5
    dens = (lambda v: stats.norm.pdf(v)) if decoder == "gaussian" else (lambda v: stats.t.pdf(v, 5))

    def post(v):
        return dens(v) * stats.logistic.cdf(w * (v - b))

    z = integrate.quad(post, -np.inf, np.inf)[0]
    median = optimize.brentq(lambda m: integrate.quad(post, -np.inf, m)[0] / z - 0.5, -5, 5)
    mean = integrate.quad(lambda v: v * post(v), -np.inf, np.inf)[0] / z
    x = np.tile([[np.nan, 0.2]], (8, 1))
    mask = np.tile([[False, True]], (8, 1))
    imp = tabular.impute(_decoder_ignores_z(decoder, "selfmasking_known", w, b), x, mask, n_samples=20000,
                         median=True, seed=0)
    assert median > 0.85  # the effect is large: a biased median (0) cannot pass by luck
    assert abs(imp.median[:, 0].mean() - median) < 0.02 and np.abs(imp.median[:, 0] - median).max() < 0.05
    assert abs(imp.mean[:, 0].mean() - mean) < 0.02
    np.testing.assert_array_equal(imp.median[:, 1], x[:, 1])
    # MIWAE (no missing model): the exact conditional is p(x) itself, median 0, from the mixture CDF
    miwae = tabular.impute(_decoder_ignores_z(decoder, "none", w, b), x, mask, n_samples=2000, median=True, seed=0)
    np.testing.assert_allclose(miwae.median[:, 0], 0.0, atol=1e-5)


@pytest.mark.parametrize("decoder", DECODERS)
@pytest.mark.parametrize("missing", MISSING_MODELS)
def test_every_decoder_and_missing_model_gives_a_finite_bound_with_gradients(decoder, missing):
    torch.manual_seed(0)
    model = NotMIWAE(Config(n_features=5, hidden=16, decoder=decoder, missing=missing,
                            signs=(1, -1, 1, 1, -1) if missing == "selfmasking_known" else None))
    x = torch.randn(8, 5) if decoder != "bernoulli" else (torch.rand(8, 5) > 0.5).float()
    s = torch.rand(8, 5) > 0.3
    b = model.bound(x, s, k=4, generator=torch.Generator().manual_seed(0))
    assert b.shape == (8,) and torch.isfinite(b).all()
    b.mean().backward()
    assert all(p.grad is not None for n, p in model.named_parameters() if not n.startswith("head"))
    if missing == "selfmasking_known":
        assert (torch.sign(model.self_mask_w()) == torch.tensor([1., -1, 1, 1, -1])).all()


def test_student_t_has_finite_variance():
    model = NotMIWAE(Config(n_features=4, decoder="student_t"))
    assert (model.decode(torch.randn(10, 3))["df"] > 3).all()


def test_mechanism_readout_in_original_units():
    model = NotMIWAE(Config(n_features=2, missing="selfmasking"))
    with torch.no_grad():
        model.w_raw.copy_(torch.tensor([2.0, -1.0]))
        model.b.copy_(torch.tensor([0.5, -1.0]))
    r = model.mechanism(mean=np.array([10.0, 0.0]), sd=np.array([4.0, 2.0]))
    assert r["direction"] == ["high values missing", "low values missing"]
    np.testing.assert_allclose(r["threshold"], [12.0, -2.0])
    np.testing.assert_allclose(r["steepness"], [0.5, -0.5])


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_supervised_prediction_marginalises_over_imputations(task):
    torch.set_num_threads(1)
    x = _low_rank(n=600, d=4, seed=1)
    y = (x[:, 0] > 0).astype(np.int64) if task == "classification" else x[:, 0] * 2.0
    mask = notmiwae_uci(x).mask  # feature 0 (which defines y) is missing exactly when it is high
    torch.manual_seed(0)
    model = NotMIWAE(Config(n_features=4, latent=2, hidden=32, missing="selfmasking_known",
                            task=task, n_classes=2 if task == "classification" else 0))
    tabular.fit(model, x, mask, y=y, iterations=800, seed=0)
    pred = tabular.predict(model, x, mask, n_samples=200)
    if task == "classification":
        assert pred.shape == (600, 2)
        np.testing.assert_allclose(pred.sum(1), 1.0, atol=1e-5)
        assert (pred.argmax(1) == y).mean() > 0.8  # the missing pattern itself is informative here
    else:
        assert pred.shape == (600,) and np.corrcoef(pred, y)[0, 1] > 0.7


def test_baselines_keep_observed_and_beat_nothing_silly():
    x = _low_rank(n=300, d=5)
    mask = np.random.default_rng(0).random(x.shape) > 0.2
    for name in baselines.BASELINES:
        kw = {"n_estimators": 10, "max_iter": 3} if name == "missForest" else {}
        xh = baselines.run_baseline(name, x, mask, **kw)
        np.testing.assert_array_equal(xh[mask], x[mask])
        assert np.isfinite(xh).all()
    mean_err = tabular.rmse_missing(x, baselines.mean_impute(x, mask), mask)
    assert tabular.rmse_missing(x, baselines.mice_impute(x, mask), mask) < mean_err


def test_benchmark_summary_never_pools_training_lengths(tmp_path):
    import json

    from benchmarks import notmiwae as bench
    runs = tmp_path / "runs.jsonl"
    recs = [(1.0, 10000), (1.2, 10000), (0.8, 30000)]
    runs.write_text("".join(json.dumps({"dataset": "banknote", "method": "not-MIWAE self-masking known", "rmse": r,
                                        "iterations": it, "n_samples": 10}) + "\n" for r, it in recs))
    rows = {r["iterations"]: r for r in bench.summarise(runs)}
    assert rows[10000]["runs"] == 2 and rows[10000]["rmse_mean"] == pytest.approx(1.1)
    assert rows[30000]["runs"] == 1 and rows[30000]["rmse_mean"] == pytest.approx(0.8)
    md = bench.write_tables(list(rows.values()))
    assert "## Longer training" in md and "| banknote | 30000 | 0.800" in md
    assert "banknote, 30000 iterations (n=1): 0.800 vs paper 0.74 (limit 0.814) -> met" in md


def test_compiled_loss_matches_eager_on_the_same_noise():
    """The torch.compile path (long benchmark runs) computes the same loss and gradients as plain autograd."""
    torch.manual_seed(0)
    model = NotMIWAE(Config(n_features=5, latent=3, hidden=16, missing="selfmasking_known"))
    x = torch.randn(8, 5)
    s = torch.rand(8, 5, generator=torch.Generator().manual_seed(1)) > 0.3
    noise = model.noise(20, 8, torch.Generator().manual_seed(2))
    eager = tabular._loss(model, 20, x, s, None, noise)
    g_eager = torch.autograd.grad(eager, list(model.parameters()))
    compiled = tabular.compiled_loss(model, 20)(x, s, None, noise)
    g_comp = torch.autograd.grad(compiled, list(model.parameters()))
    torch.testing.assert_close(compiled, eager, rtol=1e-4, atol=1e-4)
    for a, b in zip(g_comp, g_eager):
        torch.testing.assert_close(a, b, rtol=1e-3, atol=1e-4)


@pytest.mark.skipif(not __import__("os").environ.get("DGM_DATA_DIR"), reason="DGM_DATA_DIR is not set: no UCI tables")
def test_table1_protocol_matches_the_papers_mean_and_mice_rows():
    """The column choice of each table is right when the deterministic baselines land on Table 1's
    numbers: mean and MICE (BayesianRidge, 10 rounds) on banknote, concrete (with its target) and red."""
    from benchmarks.notmiwae import protocol
    for name, (mean_rmse, mice_rmse) in {"banknote": (1.73, 1.41), "concrete": (1.85, 1.70),
                                         "red": (1.83, 1.68)}.items():
        x, mask = protocol(name)
        assert (tabular.rmse_missing(x, baselines.run_baseline("mean", x, mask), mask)
                == pytest.approx(mean_rmse, abs=0.015))
        mice = baselines.run_baseline("MICE", x, mask, seed=0, max_iter=10)
        assert tabular.rmse_missing(x, mice, mask) == pytest.approx(mice_rmse, abs=0.015), name


def test_median_of_a_two_component_mixture_under_self_masking_matches_quadrature():
    # p(x_0 | x_1) is a two-bump mixture over z and high x_0 hide themselves (sigmoid(3 (x_0 - 0.5))):
    # the weighted median of the draws must land on the exact conditional median (quadrature over the
    # model's own decoder); the mixture-CDF median keeps each component's shape and misses by ~0.38.
    from tests.dgm_core.mnar_toys import bimodal_model, exact_conditional
    w, b, x1 = 3.0, 0.5, -0.8
    model = bimodal_model(w, b)
    median, mean = exact_conditional(model, x1, w, b)
    x, mask = np.tile([[np.nan, x1]], (8, 1)), np.tile([[False, True]], (8, 1))
    imp = tabular.impute(model, x, mask, n_samples=20000, median=True, seed=0)
    assert abs(imp.median[:, 0].mean() - median) < 0.02 and np.abs(imp.median[:, 0] - median).max() < 0.06
    assert abs(imp.mean[:, 0].mean() - mean) < 0.02
    rb = tabular.impute(model, x, mask, n_samples=20000, median=True, seed=0, estimator="rao_blackwell")
    assert abs(rb.median[:, 0].mean() - median) > 0.25  # the mixture CDF ignores p(s | x^m) within a component


def test_w_init_sets_the_starting_steepness_and_nothing_else():
    torch.manual_seed(0)
    plain = NotMIWAE(Config(n_features=4, missing="selfmasking_known", signs=(1, -1, 1, 1)))
    torch.manual_seed(0)
    steep = NotMIWAE(Config(n_features=4, missing="selfmasking_known", signs=(1, -1, 1, 1), w_init=10.0))
    np.testing.assert_allclose(steep.self_mask_w().detach(), [10.0, -10.0, 10.0, 10.0], rtol=1e-5)
    for (name, p), q in zip(plain.named_parameters(), steep.parameters()):
        if name != "w_raw":
            assert torch.equal(p, q), name
    for bad in (dict(w_init=0.0), dict(w_init=1e4), dict(w_init=5.0, missing="selfmasking")):
        with pytest.raises(ValueError, match="starting steepness"):
            Config(n_features=4, **{"missing": "selfmasking_known", **bad})


def test_a_steep_start_keeps_imputations_near_a_low_cut_where_a_shallow_one_overshoots():
    """Cut at mean - 1 sd (84 % of the first half hidden): from the reference's W of about 0.7 the
    hidden values are pushed far above the cut before W is steep, and stay there (benchmarks/results/
    notmiwae_cutoff.md); starting at W = 10 they are not."""
    torch.set_num_threads(1)
    x = _low_rank()
    mask = notmiwae_uci(x, offset=-1.0).mask
    miss = ~mask
    err, bias = {}, {}
    for w0 in (None, 10.0):
        torch.manual_seed(0)
        model = NotMIWAE(Config(n_features=6, latent=2, hidden=64, missing="selfmasking_known", w_init=w0))
        tabular.fit(model, x, mask, iterations=1500, lr=3e-3, seed=0)
        imp = tabular.impute(model, x, mask, n_samples=500, seed=1)
        err[w0] = tabular.rmse_missing(x, imp.mean, mask)
        bias[w0] = float(imp.mean[miss].mean() - x[miss].mean())
    assert bias[None] > 1.0 and abs(bias[10.0]) < 0.5
    assert err[10.0] < 0.5 * err[None]
