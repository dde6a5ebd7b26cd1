"""dgm_core.missingness.diagnostics: Little's MCAR test against its published worked example (R naniar's
``mcar_test(airquality)``, whose own test pins d² = 35.1061288689702, 14 degrees of freedom, p = 0.00141778113856683,
4 patterns; R's ``airquality`` data set, tests/dgm_core/data/airquality.csv), the EM estimates against the
complete-data ones, the patterns of that table, and the δ tipping point against its closed form."""
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dgm_core.missingness import diagnostics as dg

AIRQUALITY = Path(__file__).resolve().parent / "data" / "airquality.csv"


@pytest.fixture(scope="module")
def air() -> pd.DataFrame:
    return pd.read_csv(AIRQUALITY)


def test_little_reproduces_naniars_airquality_example(air):
    res = dg.little_mcar(air.to_numpy(float))
    assert res.df == 14 and res.patterns == 4
    assert res.statistic == pytest.approx(35.1061288689702, rel=1e-5)  # R's norm::em.norm stops at its own tolerance
    assert res.p_value == pytest.approx(0.00141778113856683, rel=1e-4)
    assert "not missing completely at random" in res.sentence()


def test_a_row_missing_everywhere_adds_a_pattern_and_nothing_to_the_statistic(air):
    x = np.vstack([air.to_numpy(float), [np.nan, np.nan, np.nan, np.nan, np.nan, np.nan]])
    x[-1, 2:] = np.nan  # naniar's second worked example: add_row(airquality, Ozone = NA), every other cell NA too
    res = dg.little_mcar(x)
    assert res.patterns == 5 and res.statistic == pytest.approx(35.1061229683641, rel=1e-5)


def test_em_on_a_complete_table_is_the_sample_mean_and_ml_covariance():
    x = np.random.default_rng(0).normal(size=(50, 3)) @ np.array([[1, 0.5, 0], [0, 1, 0.3], [0, 0, 1]])
    mu, sigma = dg.em_normal(x)
    np.testing.assert_allclose(mu, x.mean(0))
    np.testing.assert_allclose(sigma, np.cov(x.T, bias=True), atol=1e-12)


def test_little_accepts_mcar_holes_and_rejects_self_masking():
    rng = np.random.default_rng(3)
    x = rng.multivariate_normal([0, 0, 0], [[1, 0.6, 0.6], [0.6, 1, 0.6], [0.6, 0.6, 1]], 600)
    mcar = np.where(rng.random(x.shape) < 0.2, np.nan, x)
    assert dg.little_mcar(mcar).p_value > 0.01
    mnar = x.copy()
    mnar[mnar[:, 0] > 0.5, 0] = np.nan  # high values of the first column hide themselves
    assert dg.little_mcar(mnar).p_value < 1e-6  # seen through the correlated columns
    with pytest.raises(ValueError, match="no missing value"):
        dg.little_mcar(x)


def test_patterns_count_airquality_as_r_does(air):
    p = dg.patterns(np.isfinite(air.to_numpy(float)), tuple(air.columns))
    assert p.counts.tolist() == [111, 35, 5, 2]
    assert p.missing[0].sum() == 0 and p.missing[1].tolist() == [True, False, False, False, False, False]
    assert p.per_column.tolist() == [37, 7, 0, 0, 0, 0] and p.together[0, 1] == 2 and p.together[1, 1] == 7


def test_the_tipping_point_of_mean_imputation_has_its_closed_form():
    rng = np.random.default_rng(1)
    x = rng.normal(10, 2, (200, 2))
    x[rng.random(200) < 0.3, 1] = np.nan
    filled = np.isnan(x)
    sd = dg.observed_sd(x)
    table = np.where(filled, np.nanmean(x, 0), x)  # mean imputation: the column mean is the observed mean
    share = filled[:, 1].mean()
    for delta in (-1.0, 0.5, 2.0):
        shifted = dg.delta_shift(table, filled, sd, delta)
        assert shifted[:, 1].mean() == pytest.approx(np.nanmean(x[:, 1]) + delta * sd[1] * share)
        assert dg.mean_at(table, filled, sd, 1, delta) == pytest.approx(shifted[:, 1].mean())
        assert np.array_equal(shifted[~filled], x[~filled])  # observed cells never move
    threshold = np.nanmean(x[:, 1]) + 1.0
    delta = dg.tipping_point(table, filled, sd, 1, threshold)
    assert delta == pytest.approx(1.0 / (sd[1] * share))
    assert dg.delta_shift(table, filled, sd, delta)[:, 1].mean() == pytest.approx(threshold)
    assert dg.tipping_point(table, filled, sd, 0, 11.0) is None  # nothing filled: nothing can tip
    other = table.copy()
    other[filled[:, 1], 1] += 1.5 * sd[1]  # an imputer whose fills sit 1.5 sd higher
    tips = dg.tipping_points({"mean": table, "high": other}, filled, sd, 1, threshold, reference="high")
    assert tips["mean"]["delta_to_reference"] == pytest.approx(1.5)
