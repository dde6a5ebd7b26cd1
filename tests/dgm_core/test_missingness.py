"""Missingness simulators: target rates, directions, the mask convention and parameter validation."""
import re

import numpy as np
import pytest

from dgm_core.missingness import tabular as mi


@pytest.fixture(scope="module")
def x():
    rng = np.random.default_rng(0)
    z = rng.standard_normal((4000, 2))
    # correlated, differently scaled and skewed columns: a self-masking bias fitted against the whole
    # matrix (the MissingDataOT trap) would miss the target rate on the shifted / scaled ones
    return np.column_stack([z[:, 0], 10 + 5 * z[:, 1], z[:, 0] + 0.3 * z[:, 1], np.exp(z[:, 1]),
                            rng.standard_normal(4000) * 0.1 - 3, z.sum(1)])


def test_mask_is_bool_true_observed_and_prob_matches(x):
    r = mi.mcar(x, 0.3, seed=1)
    assert r.mask.dtype == bool and r.mask.shape == x.shape
    assert abs(r.rate - 0.3) < 0.02  # True = observed: 70 % of entries are True
    assert abs(r.mask.mean() - 0.7) < 0.02
    np.testing.assert_array_equal(mi.mcar(x, 0.3, seed=1).mask, r.mask)  # same seed, same mask
    assert (mi.mcar(x, 0.3, seed=2).mask != r.mask).any()


@pytest.mark.parametrize("p", [0.1, 0.4])
def test_mar_rate_and_fully_observed_inputs(x, p):
    r = mi.mar_logistic(x, p, p_obs=0.3, seed=0)
    obs = r.params["observed_columns"]
    assert r.mask[:, obs].all()
    others = np.setdiff1d(np.arange(x.shape[1]), obs)
    np.testing.assert_allclose(r.rate_per_feature[others], p, atol=0.04)


def test_mnar_logistic_masks_its_inputs_too(x):
    r = mi.mnar_logistic(x, 0.3, p_params=0.3, seed=0)
    assert not r.mask[:, r.params["input_columns"]].all()  # inputs are themselves MCAR-masked
    assert abs(r.rate - 0.3) < 0.03


@pytest.mark.parametrize("direction,sign", [("high", 1), ("low", -1)])
def test_self_masked_hits_rate_per_column_and_direction(x, direction, sign):
    r = mi.self_masked(x, 0.3, direction=direction, steepness=2.0, seed=0)
    np.testing.assert_allclose(r.rate_per_feature, 0.3, atol=0.03)  # per column, not only overall
    for j in range(x.shape[1]):
        miss, obs = x[~r.mask[:, j], j], x[r.mask[:, j], j]
        assert sign * (miss.mean() - obs.mean()) > 0.5 * x[:, j].std()


def test_self_masked_per_feature_directions(x):
    signs = np.array([1, -1, 1, -1, 1, -1])
    r = mi.self_masked(x, 0.25, direction=signs, seed=3)
    for j, s in enumerate(signs):
        assert s * (x[~r.mask[:, j], j].mean() - x[r.mask[:, j], j].mean()) > 0


def test_quantile_censoring_cuts(x):
    up = mi.quantile_censoring(x, 1.0 - 1e-9, q=0.2, cut="upper", p_params=1.0, seed=0)
    for j in range(x.shape[1]):
        assert x[~up.mask[:, j], j].min() >= np.quantile(x[:, j], 0.8) - 1e-12
    assert abs(up.rate - 0.2) < 0.01
    lo = mi.quantile_censoring(x, 0.5, q=0.25, cut="lower", p_params=0.5, seed=0)
    cols = lo.params["columns"]
    assert len(cols) == 3 and abs(lo.rate_per_feature[cols].mean() - 0.125) < 0.02
    both = mi.quantile_censoring(x, 0.5, q=0.2, cut="both", p_params=1.0, seed=0)
    assert abs(both.rate - 0.5 * 0.4) < 0.02
    with pytest.raises(ValueError, match="MCAR"):
        mi.quantile_censoring(x, 0.5, q=0.75, cut="both")


def test_notmiwae_uci_protocol(x):
    r = mi.notmiwae_uci(x)
    d = x.shape[1]
    assert r.mask[:, d // 2:].all()
    for j in range(d // 2):
        np.testing.assert_array_equal(~r.mask[:, j], x[:, j] > x[:, j].mean())
    assert 0.15 < r.rate < 0.3
    shifted = mi.notmiwae_uci(x, offset=0.5)
    assert shifted.rate < r.rate


def _one_sentence(message: str) -> bool:
    """A capital first letter, one full stop at the very end and none inside ("i.e." aside)."""
    body = message.replace("i.e.", "ie").replace("e.g.", "eg")
    return (body[:1].isupper() and body.endswith(".") and "\n" not in body
            and re.search(r"[.!?](\s|$)", body[:-1]) is None)


@pytest.mark.parametrize("call, words", [
    (lambda x: mi.mcar(x, 0.0), "strictly between 0 and 1, got 0.0"),
    (lambda x: mi.mcar(x, 1.2), "strictly between 0 and 1, got 1.2"),
    (lambda x: mi.self_masked(x, 0.3, direction="up"), "'high' or 'low'"),
    (lambda x: mi.self_masked(x, 0.3, steepness=-1), "steepness must be positive"),
    (lambda x: mi.quantile_censoring(x, 0.3, cut="middle"), "'upper', 'lower' or 'both', not 'middle'"),
    (lambda x: mi.quantile_censoring(x, 0.5, q=0.75, cut="both"), "(0, 0.5) for cut='both'"),
    (lambda x: mi.notmiwae_uci(x, n_features=0), "between 1 and 6, got 0"),
    (lambda x: mi.notmiwae_uci(x, offset=5.0), "between -3 and 3 standard deviations, got 5.0"),
    (lambda x: mi.mar_logistic(x, 0.3, p_obs=1.5), "always-observed columns p_obs in (0, 1)"),
    (lambda x: mi.simulate(x, "nope"), "Unknown mechanism 'nope'; choose one of mcar"),
    (lambda x: mi.simulate(x, "mcar", p=0.2, q=3), "Wrong parameters for mcar"),
    (lambda x: mi.mcar(np.where(x > 2, np.nan, x), 0.2), "must be complete (no NaN)"),
])
def test_bad_parameters_raise_one_sentence(x, call, words):
    with pytest.raises(ValueError) as e:
        call(x)
    message = str(e.value)
    assert words in message, message
    assert _one_sentence(message), f"not one sentence: {message!r}"


def test_one_sentence_check_catches_two():
    assert _one_sentence("The rate must be in (0, 1), got 1.5.")
    assert not _one_sentence("Bad rate. It must be in (0, 1).")
    assert not _one_sentence("the rate is bad.") and not _one_sentence("The rate is bad")


def test_missing_curve_follows_direction(x):
    r = mi.self_masked(x, 0.3, direction="high", seed=0)
    curves = mi.missing_curve(x, r)
    assert len(curves) == x.shape[1]
    for centres, prob in curves:
        assert np.all(np.diff(centres) > 0)
        assert prob[-1] > 0.8 and prob[0] < 0.1
    flat = mi.missing_curve(x, mi.mcar(x, 0.2))
    assert all(np.allclose(p, 0.2) for _, p in flat)
