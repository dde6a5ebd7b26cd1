"""The MNAR lab's precomputed grid under AppTest: moving a control shows the nearest grid point's fits at once and says
which point (nothing trains: no job, the shared cache untouched), "Train at exactly this setting" still trains, and
a missing or altered grid falls back to the page without it, with one sentence."""
import json
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dgm_core import mnar_experiment as experiment
from dgm_core.demos import mnar, mnar_grid

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "mnar.py")


def _app(**params) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=90)
    for k, v in params.items():
        at.query_params[f"mnar_{k}"] = str(v)
    return at


def _rmse(at):
    return next(d.value for d in at.dataframe if "RMSE (missing, sd)" in d.value.columns)["RMSE (missing, sd)"]


def _said(at) -> list[str]:
    return [m.value for m in at.markdown if "Precomputed at" in m.value or "Trained at exactly" in m.value]


@pytest.fixture
def nothing_trains(monkeypatch):
    """Any training, any shared job: a failure. -> the calls to fit_all (none expected)."""
    from ui import serving

    calls = []

    def refuse(*a, **k):
        calls.append(a)
        raise AssertionError("the page trained")

    monkeypatch.setattr(mnar, "fit_all", refuse)
    monkeypatch.setattr(serving.shared(), "submit", refuse)
    return calls


def test_moving_a_control_shows_the_nearest_grid_point_at_once(nothing_trains):
    from ui import serving

    held = len(serving.shared().cache)
    at = _app(mech="self_masked").run()  # steepness 3: a grid point
    assert not at.exception and _said(at) and "steepness k = 3**" in _said(at)[0]
    at.slider(key="mnar_k").set_value(4.0).run()  # between 3 and 5: a tie goes to the lower
    assert not at.exception and not at.error
    said = _said(at)
    assert len(said) == 1 and "Precomputed at steepness k = 3, the nearest grid point to 4**" in said[0], said
    assert "'small' budget" in said[0] and any(mnar_grid.COMMAND in c.value for c in at.caption)
    card = json.loads((mnar_grid.GRID_DIR / mnar_grid.CARD).read_text())
    shown = next(p for p in card["points"] if p["id"] == "breast/self_masked/steepness=3")["rmse"]
    rmse = _rmse(at)
    assert {mnar.label(m): round(r, 5) for m, r in shown.items()} == rmse.round(5).to_dict()
    assert "Lowest RMSE" in at.success[0].value and len(at.get("plotly_chart")) >= 2  # the scatter and the maps
    assert any(b.key == "mnar_train_exact" for b in at.main.button)
    assert not nothing_trains and len(serving.shared().cache) == held  # no training, no job, nothing cached


def test_train_at_exactly_this_setting_still_trains(monkeypatch):
    """The button runs the live training (through the shared queue) on the page's own settings, not the grid
    point's, with the grid's budget (made tiny here: seconds)."""
    from ui import serving

    monkeypatch.setitem(experiment.PRESETS, "small", {**experiment.PRESETS["tiny"], "iterations": 30,
                                                      "n_samples": 20, "baselines": ("mean",)})
    seen, real = [], mnar.fit_all
    monkeypatch.setattr(mnar, "fit_all", lambda sim, preset, seed, **k: seen.append((sim, preset)) or
                        real(sim, preset, seed, **k))
    at = _app(mech="self_masked", k=4.5).run()  # the nearest grid point: k = 5
    assert "the nearest grid point to 4.5" in _said(at)[0]
    at.button(key="mnar_train_exact").click().run(timeout=120)
    assert not at.exception and len(seen) == 1
    sim, preset = seen[0]
    assert preset == "small" and sim.missing.mechanism == "self_masked" and sim.missing.params["steepness"] == 4.5
    said = _said(at)
    assert len(said) == 1 and "Trained at exactly this setting" in said[0] and "k = 5" in said[0]
    assert any(c.value.startswith("Trained with the 'small' preset. Computed in") for c in at.caption)
    assert set(_rmse(at).index) == {"MIWAE", "not-MIWAE", "not-MIWAE, known direction", "mean"}
    assert at.session_state["mnar_train_exact_result"].ran.key in serving.shared().cache  # a shared job ran


@pytest.mark.parametrize("damage, why", [("delete", "is not in"), ("alter", "does not match its card's sha256")])
def test_a_missing_or_altered_grid_falls_back_with_one_sentence(tmp_path, monkeypatch, damage, why):
    for f in mnar_grid.GRID_DIR.glob("mnar-grid*"):
        shutil.copy(f, tmp_path)
    if damage == "delete":
        (tmp_path / mnar_grid.CARD).unlink()
    else:
        npz = next(tmp_path.glob("*.npz"))
        data = bytearray(npz.read_bytes())
        data[len(data) // 2] ^= 0xFF  # one byte of someone's imputations
        npz.write_bytes(bytes(data))
    monkeypatch.setattr(mnar_grid, "GRID_DIR", tmp_path)
    at = _app(mech="self_masked").run()
    assert not at.exception and not _said(at)
    said = [i.value for i in at.info if why in i.value]
    assert len(said) == 1 and "precomputed only for the opening case" in said[0] and "pick **tiny**" in said[0]
    assert at.button(key="mnar_reset")  # the way back, as before
