"""dgm_core.overimpute on data whose truth is known: only observed cells are hidden, in the asked share, where the
mechanism says; mean imputation's error is the column's sd (its closed form), MICE beats it on correlated columns and
its 90 % intervals cover about 90 % of the hidden values."""
import math

import numpy as np
import pytest
import torch

from dgm_core import own_table
from dgm_core.models.notmiwae import Config, NotMIWAE
from dgm_core.overimpute import hide, overimpute

COLS = ("a", "b", "c")


def _gaussian(n: int = 400, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(complete, holed): three correlated Gaussian columns (correlation 0.8), 10 % of b and c empty at random."""
    rng = np.random.default_rng(seed)
    cov = np.array([[1.0, 0.8, 0.8], [0.8, 1.0, 0.8], [0.8, 0.8, 1.0]])
    x = rng.multivariate_normal([0, 5, -3], cov, n) * [1, 2, 0.5]
    holed = x.copy()
    holed[:, 1:][rng.random((n, 2)) < 0.1] = np.nan
    return x, holed


def _by_hand(holed: np.ndarray, target: str | None = None) -> own_table.Completed:
    """A completion without training: mean fills, and a known-direction not-MIWAE whose missing model says, steeply,
    that high values go missing."""
    mask = np.isfinite(holed)
    model = NotMIWAE(Config(3, missing="selfmasking_known", signs=(1.0, 1.0, 1.0)))
    with torch.no_grad():
        model.w_raw.fill_(math.log(math.expm1(4.0)))
        model.b.zero_()
    fill = np.where(mask, holed, np.nanmean(holed, 0))
    settings = own_table.Settings(family="notmiwae_known", target=target)
    return own_table.Completed(COLS, holed, mask, settings, {"notmiwae_known": own_table.Fill("notmiwae_known", fill)},
                               "test", model)


@pytest.mark.parametrize("how", ["mcar", "mechanism"])
def test_only_observed_cells_are_hidden_in_the_asked_share_never_the_targets(how):
    _, holed = _gaussian()
    done = _by_hand(holed, target="a")
    hidden = hide(done, how, 0.2, seed=1)
    assert not (hidden & ~done.mask).any() and not hidden[:, 0].any()
    share = hidden[:, 1:].sum() / done.mask[:, 1:].sum()
    assert 0.16 < share < 0.24, share
    assert (done.mask & ~hidden).any(1).all()  # no row loses every value


def test_the_mechanism_hides_where_its_model_says_values_go_missing():
    _, holed = _gaussian()
    done = _by_hand(holed)
    for how in ("mechanism", "mcar"):
        hidden = hide(done, how, 0.2, seed=1)
        for j in (1, 2):
            sd = np.nanstd(holed[:, j])
            gap = (holed[hidden[:, j], j].mean() - np.nanmean(holed[:, j])) / sd  # in sd of the column
            if how == "mechanism":  # a steep "high values hide": the hidden ones sit well above the rest
                assert gap > 0.7, (j, gap)
            else:  # at random: within four standard errors of the column's mean
                assert abs(gap) < 4 / np.sqrt(hidden[:, j].sum()), (j, gap)


def test_overimputation_scores_match_the_closed_forms_and_the_intervals_cover():
    x, holed = _gaussian()
    done = own_table.complete(holed, COLS, own_table.Settings(preset="tiny", draws=20), source="test")
    check = overimpute(done, "mcar", 0.25, seed=2)
    rows = {(r["column"], r["method"]): r for r in check.rows}
    sd = np.nanstd(holed, 0)
    for j, col in enumerate(COLS):
        r = rows[(col, "mean")]
        assert r["n"] == check.hidden[:, j].sum() > 40
        truth = holed[check.hidden[:, j], j]
        np.testing.assert_allclose(r["rmse"], np.sqrt(np.mean((truth - np.nanmean(np.where(
            check.hidden[:, j], np.nan, holed[:, j]))) ** 2)), rtol=1e-9)  # the fill is the mean of what is left
        assert 0.8 < r["rmse_sd"] < 1.2 and abs(r["rmse"] / sd[j] - r["rmse_sd"]) < 1e-12
        # correlation 0.8: regression beats the mean, even MICE's table, one draw from its posterior (whose error
        # is the residual's √2 times: 0.6 √2 ≈ 0.85 of the mean's)
        assert rows[(col, "MICE")]["rmse"] < 0.95 * r["rmse"]
    every = rows[("all columns", "MICE")]
    assert every["n"] == check.hidden.sum() and abs(every["coverage"] - 0.9) <= 0.05, every
    assert rows[("all columns", "mean")]["coverage"] is None
    pts = check.points
    assert len(pts["truth"]) == check.hidden.sum() * len(done.fills)
    mice = pts["method"] == "MICE"
    assert np.isfinite(pts["lo"][mice]).all() and np.isnan(pts["lo"][pts["method"] == "mean"]).all()
    assert (pts["lo"][mice] <= pts["hi"][mice]).all()


def test_hiding_refuses_what_it_cannot_do():
    _, holed = _gaussian()
    done = _by_hand(holed)
    with pytest.raises(ValueError, match="between 0 and 1"):
        hide(done, "mcar", 1.5)
    done.model = None
    with pytest.raises(ValueError, match="missing model"):
        hide(done, "mechanism", 0.1)


def test_the_calibration_note_sorts_each_method_by_its_own_coverage():
    from dgm_core.overimpute import Check, calibration, calibration_sentence
    rows = [{"column": "all columns", "method": "MICE", "coverage": 0.93},
            {"column": "all columns", "method": "miwae", "coverage": 0.84},
            {"column": "all columns", "method": "notmiwae", "coverage": 0.85},
            {"column": "all columns", "method": "mean", "coverage": None},
            {"column": "x", "method": "MICE", "coverage": 0.5}]
    check = Check("mcar", 0.1, np.zeros((1, 1), bool), rows, {})
    assert calibration(check) == {"MICE": (0.93, True), "miwae": (0.84, False), "notmiwae": (0.85, True)}
    said = calibration_sentence(check, str.upper)
    assert said.startswith("Coverage of the 90% intervals, within 0.05 of 0.90: MICE 0.93, NOTMIWAE 0.85; "
                           "outside: MIWAE 0.84.")
