"""dgm_core.own_table_delta: the δ shift inside MICE's chained equations (mice's ``post``). At δ = 0 the chain is the
page's MICE draw; on a column nothing else depends on, shifting inside the chain or after the fact tips at the same δ;
on two correlated columns missing together they part, and the in-chain tipping point is where a grid of in-chain
runs crosses the threshold."""
import numpy as np
import pytest

from dgm_core import own_table
from dgm_core.own_table_delta import InChain, tipping
from dgm_core.own_table_pool import multiple, pooled_at, rubin, tipping_by
from benchmarks.fixtures import COLUMNS, holed_weather


def _table(rho: float, n: int = 300, share: float = 0.3, seed: int = 0) -> np.ndarray:
    """(n, 3) standard normals, columns 0 and 1 correlated ρ, column 2 independent; columns 0 and 1 missing together
    in a random ``share`` of the rows (MCAR), so the true mean of every column is 0."""
    rng = np.random.default_rng(seed)
    a, b, c = rng.normal(size=(3, n))
    x = np.stack([a, rho * a + np.sqrt(1 - rho ** 2) * b, c], 1)
    x[rng.random(n) < share, :2] = np.nan
    return x


def test_at_zero_the_chain_is_the_pages_mice_draw():
    _, holed = holed_weather()
    s = own_table.Settings(preset="tiny", draws=2, seed=3)
    mult = multiple(holed, COLUMNS, s, m=3, only=("MICE",))
    j = COLUMNS.index("humidity")
    chain = InChain.of(holed, j, m=3, seed=3)
    np.testing.assert_allclose(chain.tables(0.0), mult.tables("MICE")[:, :, j], rtol=0, atol=1e-9)
    sd = float(np.nanstd(holed[:, j]))
    for delta in (-0.7, 1.3):  # the after-the-fact shift of the same draws is the pool's
        a, b = chain.after(delta), pooled_at(mult, "MICE", j, delta, sd)
        assert a.estimate == pytest.approx(b.estimate) and a.total == pytest.approx(b.total)
    moved = chain.tables(0.5)
    holes = np.isnan(holed[:, j])
    assert (moved[:, ~holes] == chain.tables(0.0)[:, ~holes]).all()  # observed cells never move


def test_pooled_mean_at_zero_covers_the_true_mean():
    # bivariate normal with MCAR holes: the true mean is 0; the pooled in-chain mean is within its own interval of
    # it, and the holes add between-imputation variance
    chain = InChain.of(_table(0.6, n=600, seed=1), 0, m=10, seed=0)
    p = chain.pooled(0.0)
    assert p.lo < 0 < p.hi and p.between > 0 and 0.05 < p.missing_share < 0.6


def test_false_position_finds_a_known_root():
    # q_l = c_l + 0.3 δ + 0.05 δ³: the pooled mean reaches 1.0 where 0.3 δ + 0.05 δ³ = 1 - mean(c)
    c = np.array([0.1, 0.2, 0.3])

    def at(delta):
        return rubin(c + 0.3 * delta + 0.05 * delta ** 3, np.full(3, 0.01), n=100)

    tip = tipping_by(at, 1.0, guess=1.0, steps=30, tol=1e-9)
    d = tip["estimate"]
    assert 0.3 * d + 0.05 * d ** 3 == pytest.approx(0.8, abs=1e-7)
    assert at(tip["interval"]).hi == pytest.approx(1.0, abs=1e-6) and 0 < tip["interval"] < d
    assert tipping_by(at, 1e6, reach=5.0)["estimate"] is None  # beyond ±reach: none


def test_independent_column_tips_where_the_after_the_fact_shift_does():
    x = _table(0.0)
    chain = InChain.of(x, 0, m=5)
    threshold = 0.25
    inside = tipping_by(chain.pooled, threshold, tol=1e-4)
    after = tipping_by(chain.after, threshold, tol=1e-4)
    assert inside["estimate"] == pytest.approx(after["estimate"], abs=0.02)
    assert inside["interval"] == pytest.approx(after["interval"], abs=0.02)


def test_correlated_columns_part_and_the_grid_agrees_with_the_chain():
    x = _table(0.9)
    threshold = float(np.nanmean(x[:, 0])) + 0.25
    chain = InChain.of(x, 0, m=5)
    inside = tipping_by(chain.pooled, threshold, tol=1e-4)["estimate"]
    after = tipping_by(chain.after, threshold, tol=1e-4)["estimate"]
    # the shifted column pulls column 1's fills up, which pull its own next draw up: the chain tips much sooner
    assert inside < 0.7 * after
    grid = np.round(np.arange(0.0, 1.5 * after, 0.05), 2)
    means = np.array([InChain.of(x, 0, m=5).pooled(d).estimate for d in grid])
    k = int(np.argmax(means >= threshold))
    crossing = grid[k - 1] + 0.05 * (threshold - means[k - 1]) / (means[k] - means[k - 1])
    assert k > 0 and inside == pytest.approx(crossing, abs=0.01)
    assert abs(after - crossing) > 0.1


def test_tipping_of_a_table_and_bad_columns():
    x = _table(0.9)
    tip = tipping(x, 0, float(np.nanmean(x[:, 0])) - 0.3, m=3)
    assert tip["estimate"] < 0 and tip["interval"] <= 0 and 3 <= tip["evaluations"] <= 2 + 2 * 14
    with pytest.raises(ValueError, match="continuous"):
        InChain.of(np.where(np.isfinite(x), np.round(np.abs(x)), np.nan), 0, ("binary", "continuous", "continuous"))
    with pytest.raises(ValueError, match="between 2 and 50"):
        InChain.of(x, 0, m=1)
