"""dgm_core.own_table_pool: m fits, one seed each, and a column's mean pooled with Rubin's rules; the rules checked
against numbers worked by hand, the fits against what they must hold."""
import io

import numpy as np
import pandas as pd
import pytest

from dgm_core import own_table
from dgm_core.own_table_pool import long_csv, multiple, pool_mean, pooled_at, rubin, tipping
from benchmarks.fixtures import COLUMNS, holed_weather


def test_rubins_rules_in_closed_form():
    # q = 1, 2, 3 with U = 0.5 each, n = 100: Q̄ = 2, Ū = 0.5, B = 1, T = 0.5 + 4/3 = 11/6, λ = (4/3)/(11/6) = 8/11,
    # ν_old = 2/(8/11)² = 121/32, ν_obs = 100/102 · 99 · 3/11 = 2700/102, ν = ν_old ν_obs/(ν_old + ν_obs)
    p = rubin(np.array([1.0, 2.0, 3.0]), np.full(3, 0.5), n=100)
    assert (p.estimate, p.within, p.between) == (2.0, 0.5, 1.0)
    assert p.total == pytest.approx(11 / 6) and p.missing_share == pytest.approx(8 / 11)
    old, obs = 121 / 32, 2700 / 102
    assert p.df == pytest.approx(old * obs / (old + obs))
    from scipy.stats import t
    assert p.hi - p.estimate == pytest.approx(t.ppf(0.975, old * obs / (old + obs)) * np.sqrt(11 / 6))
    # equal estimates: no between variance, the complete-data df
    same = rubin(np.full(4, 3.0), np.full(4, 0.2), n=50)
    assert same.between == 0 and same.total == pytest.approx(0.2) and same.df == pytest.approx(50 / 52 * 49)


def test_m_fits_differ_pool_and_download():
    _, holed = holed_weather()
    s = own_table.Settings(preset="tiny", draws=4)
    mult = multiple(holed, COLUMNS, s, m=3, only=("MICE", "notmiwae"), source="w")
    assert [f.settings.seed for f in mult.fits] == [0, 1, 2] and set(mult.fits[0].fills) == {"MICE", "notmiwae"}
    holes = np.isnan(holed)
    for method in ("MICE", "notmiwae"):
        spread = mult.spread(method)
        assert (spread[holes] > 0).mean() > 0.9 and (spread[~holes] == 0).all(), method
        p = pool_mean(mult, method, 1)
        means = mult.tables(method)[:, :, 1].mean(1)
        assert p.estimate == pytest.approx(means.mean()) and p.between == pytest.approx(means.var(ddof=1))
        assert p.lo < p.estimate < p.hi and p.m == 3
    # δ on each fit's drawn fills, pooled: the pooled mean moves by δ sd × the share filled, so it tips in closed form
    sd, share = float(np.nanstd(holed[:, 1])), float(holes[:, 1].mean())
    base = pool_mean(mult, "MICE", 1)
    assert pooled_at(mult, "MICE", 1, 0.7, sd).estimate == pytest.approx(base.estimate + 0.7 * sd * share)
    threshold = base.estimate + 6 * sd * share
    tip = tipping(mult, "MICE", 1, threshold, sd)
    assert tip["estimate"] == pytest.approx(6.0, abs=1e-6) and 0 < tip["interval"] < 6
    p = pooled_at(mult, "MICE", 1, tip["interval"], sd)
    assert p.hi == pytest.approx(threshold, abs=1e-6)  # the interval's edge meets the threshold there
    text = long_csv(mult, "MICE")
    df = pd.read_csv(io.StringIO(text), comment="#")
    assert len(df) == 3 * len(holed) and list(df[".imp"].unique()) == [1, 2, 3]
    assert own_table.read_provenance(text)["seeds"] == [0, 1, 2]
    np.testing.assert_allclose(df[df[".imp"] == 2][list(COLUMNS)].to_numpy(), mult.tables("MICE")[1], rtol=1e-9)
