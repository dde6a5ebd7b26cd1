"""dgm_core.demos.mnar_grid: the lookup picks the nearest grid point (closed form) or says why none fits, the
computation is resumable through the CLI, and the shipped grid matches its card's sha256, covers the grid the card
declares and reproduces its own scores. Breast comes from scikit-learn: nothing here needs DGM_DATA_DIR."""
import json

import numpy as np
import pytest

from dgm_core import mnar_experiment as experiment
from dgm_core.demos import mnar, mnar_grid

X = experiment.default_simulation().x  # breast's complete rows, as the page loads them


def _grid(mechanism: str, values, table: str = "breast") -> mnar_grid.Grid:
    """A grid with ``mechanism``'s points at ``values`` (records only: enough for the lookup)."""
    pts = [mnar_grid.Point(table, {"id": mnar_grid.point_id(table, mechanism, v), "mechanism": mechanism,
                                   "params": mnar_grid.point_params(mechanism, v, X.shape[1]), "status": "ok"}, {})
           for v in values]
    card = {"seed": 0, "preset": "small", "tables": {table: {"x_sha256": mnar_grid.x_sha256(X)}}}
    return mnar_grid.Grid(card, {table: pts})


@pytest.mark.parametrize("asked", [0.5, 0.9, 1.4, 1.5, 2.6, 4.0, 4.01, 6.25, 6.3, 9.0, 10.0])
def test_the_lookup_picks_the_nearest_point_a_tie_going_down(asked):
    values = (0.5, 1.0, 2.0, 3.0, 5.0, 7.5, 10.0)
    grid = _grid("self_masked", values)
    params = {"p": 0.3, "direction": "high", "steepness": asked}
    point, why = mnar_grid.nearest(grid, "breast", X, "self_masked", params, seed=0)
    gaps = [abs(v - asked) for v in values]
    expected = values[gaps.index(min(gaps))]  # the first of the closest: the lower value on a tie
    assert why == "" and point.value == expected
    said = mnar_grid.describe(point, params)
    assert said == (f"steepness k = {expected:g}" if asked == expected
                    else f"steepness k = {expected:g}, the nearest grid point to {asked:g}")


def test_a_slider_float_is_the_grid_value_it_shows():
    grid = _grid("mcar", mnar_grid.RATES)
    point, _ = mnar_grid.nearest(grid, "breast", X, "mcar", {"p": 0.1 + 0.2}, seed=0)  # 0.30000000000000004
    assert point.value == 0.3 and mnar_grid.describe(point, {"p": 0.1 + 0.2}) == "missing rate p = 0.3"


@pytest.mark.parametrize("table, x, params, seed, why", [
    ("breast", X, {"p": 0.5, "direction": "high", "steepness": 3.0}, 0, "holds missing rate p at 0.3"),
    ("breast", X, {"p": 0.3, "direction": "low", "steepness": 3.0}, 0, "values that go missing at 'high'"),
    ("breast", X, {"p": 0.3, "direction": "high", "steepness": 3.0}, 2, "at seed 0 only"),
    ("breast", X[1:], {"p": 0.3, "direction": "high", "steepness": 3.0}, 0, "differs from the one"),
    ("yeast", X, {"p": 0.3, "direction": "high", "steepness": 3.0}, 0, "covers the breast table(s) only"),
])
def test_off_the_grid_there_is_no_point_and_one_sentence_why(table, x, params, seed, why):
    point, said = mnar_grid.nearest(_grid("self_masked", (1.0, 3.0)), table, x, "self_masked", params, seed)
    assert point is None and why in said and said.count(". ") == 0 and said.endswith(".")


def test_a_mechanism_without_points_has_none():
    point, said = mnar_grid.nearest(_grid("self_masked", (1.0,)), "breast", X, "mcar", {"p": 0.3}, 0)
    assert point is None and "no finished point" in said


def _fake_fit_all(calls):
    def fit_all(sim, preset="small", seed=0, **_):
        calls.append((sim.missing.mechanism, preset, seed))
        perfect = sim.x.copy()
        return {m: experiment.FitResult(m, perfect, sim.score(perfect), ess=3.0,
                                        errors=experiment.point_errors(sim, perfect))
                for m in ("miwae", "notmiwae", "MICE")}
    return fit_all


def test_the_cli_computes_the_grid_resumably(tmp_path, monkeypatch):
    """Points are written as they finish; a rerun skips them; settings the page refuses are recorded as refused."""
    from dgm_core.__main__ import main

    calls = []
    monkeypatch.setattr(mnar, "fit_all", _fake_fit_all(calls))
    assert main(["precompute", "mnar-grid", "--out", str(tmp_path), "--limit", "4"]) == 0
    card = json.loads((tmp_path / mnar_grid.CARD).read_text())
    first = [p["id"] for p in card["points"]]
    assert len(first) == 4 and not card["complete"] and card["tables"]["breast"]["finished"] == 4
    refused = [p["id"] for p in card["points"] if p["status"] == "refused"]
    assert refused == ["breast/notmiwae_uci/offset=-1", "breast/notmiwae_uci/offset=-0.75"]  # a column all hidden
    assert len(calls) == 2
    assert main(["precompute", "mnar-grid", "--out", str(tmp_path)]) == 0
    card = json.loads((tmp_path / mnar_grid.CARD).read_text())
    ids = [p["id"] for p in card["points"]]
    assert ids[:4] == first and len(ids) == len(set(ids)) == len(mnar_grid.points("breast", X.shape[1]))
    assert card["complete"] and len(calls) == len(ids) - len(refused)  # nothing computed twice
    grid = mnar_grid.load(tmp_path)
    point, _ = mnar_grid.nearest(grid, "breast", X, "mcar", {"p": 0.5}, 0)
    sim = experiment.simulate(X, "mcar", point.record["params"], 0)
    fits = mnar_grid.fits(point, sim)
    assert np.allclose(fits["notmiwae"].imputed, sim.x, rtol=1e-6)  # what was stored comes back, float32
    assert fits["miwae"].rmse == fits["miwae"].errors["mean"]["RMSE"] and fits["notmiwae"].model is None


# ---------------------------------------------------------------- the shipped grid
CARD = mnar_grid.GRID_DIR / mnar_grid.CARD


@pytest.fixture(scope="module")
def card():
    if not CARD.exists():
        pytest.fail(f"{CARD} is not shipped; build it with `{mnar_grid.COMMAND}`")
    return json.loads(CARD.read_text())


def test_the_shipped_grid_matches_its_card(card):
    total = 0
    for meta in card["tables"].values():
        path = mnar_grid.GRID_DIR / meta["file"]
        assert mnar_grid.sha256_file(path) == meta["sha256"] and path.stat().st_size == meta["bytes"]
        total += meta["bytes"]
    assert total < 3 * 2**20  # small files: imputations and scores, no weights
    assert card["command"] == mnar_grid.COMMAND and card["preset"] == mnar_grid.PRESET and card["seed"] == 0
    assert card["preset_config"]["iterations"] == experiment.PRESETS[card["preset"]]["iterations"]
    assert card["grid"] == json.loads(json.dumps({m: {"param": a.param, "values": list(a.values), "held": a.held}
                                                  for m, a in mnar_grid.AXES.items()}))
    assert card["cpu_time_s"] > 0 and card["machine"]["torch_threads"] == 1


def test_the_shipped_grid_covers_the_grid_its_card_declares(card):
    grid = mnar_grid.load()
    assert card["complete"]
    for table in card["tables"]:
        declared = mnar_grid.points(table, X.shape[1])
        assert [p["id"] for p in card["points"] if p["id"].startswith(table + "/")] == [d[0] for d in declared]
        ok = {p.record["id"]: p for p in grid.points[table]}
        for pid, mechanism, params in declared:
            try:
                sim = experiment.simulate(X, mechanism, params, 0)
            except ValueError:
                assert pid not in ok  # refused, as the page refuses it
                continue
            rec = ok[pid].record
            assert rec["mask_sha256"] == mnar_grid.mask_sha256(sim.mask) and rec["params"] == params
            assert rec["methods"] == [*mnar.models_for(sim), *experiment.PRESETS[card["preset"]]["baselines"]]
            for m in mnar_grid.SHOWN:  # the stored imputations give the stored scores
                assert ok[pid].arrays[f"{m}|imputed"].shape == (int((~sim.mask).sum()),)
            fits = mnar_grid.fits(ok[pid], sim)
            for m in mnar_grid.SHOWN:
                assert sim.score(fits[m].imputed) == pytest.approx(rec["scores"][m]["rmse"], rel=1e-5), (pid, m)
            assert all(fits[m].mechanism is not None for m in rec["methods"] if m.startswith("notmiwae"))
