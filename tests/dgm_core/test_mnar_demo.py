"""dgm_core.demos.mnar: the page's opening case is the one benchmarks/mnar_default.py chose, the shipped
run re-imputes to its cards' RMSE and shows the lesson (not-MIWAE below MIWAE and MICE), and the
train / impute split keeps observed entries and follows its iteration count. Breast comes from
scikit-learn, so nothing here needs DGM_DATA_DIR."""
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from dgm_core import pretrained
from dgm_core.demos import mnar

ROOT = Path(__file__).resolve().parents[2]
CHOICE = ROOT / "benchmarks" / "results" / "mnar_default.json"


@pytest.fixture(scope="module")
def sim() -> mnar.Simulated:
    return mnar.default_simulation()


@pytest.fixture(scope="module")
def shipped(sim):
    torch.set_num_threads(1)
    models = {m: pretrained.load(name)[0] for m, name in mnar.SHIPPED.items()}
    return mnar.shipped_fits(sim, models, mnar.DEFAULT["seed"])


def test_the_default_is_the_recorded_choice():
    recorded = json.loads(CHOICE.read_text())
    assert recorded["choice"] == mnar.DEFAULT
    assert recorded["choice"]["table"] in recorded["lesson_shows_on"]


def test_the_default_simulation_is_the_not_miwae_protocol(sim):
    n = mnar.DEFAULT["params"]["n_features"]
    above = sim.x > sim.x.mean(0)
    assert (~sim.mask[:, :n] == above[:, :n]).all() and sim.mask[:, n:].all()


def test_shipped_models_reimpute_to_their_cards_rmse(shipped):
    for method, name in mnar.SHIPPED.items():
        card = pretrained.load_card(name)
        assert card.metrics["iterations"] == mnar.PRESETS["paper"]["iterations"]
        assert round(shipped[method].rmse, 5) == card.metrics["rmse_missing"]


def test_the_shipped_default_shows_the_lesson(shipped):
    rmse = {m: f.rmse for m, f in shipped.items()}
    assert rmse["notmiwae"] < rmse["MICE"] and rmse["notmiwae"] < rmse["miwae"], rmse
    assert min(rmse, key=rmse.get).startswith("notmiwae")


def test_train_model_follows_its_iteration_count_and_impute_keeps_observed_entries(sim):
    torch.set_num_threads(1)
    seen = []
    model, curve = mnar.train_model(sim, "notmiwae", "tiny", 0, iterations=60,
                                    progress=lambda name, it, total, loss, rmse: seen.append((it, total)))
    assert seen[-1] == (60, 60) and len(curve) == len(seen)
    fit = mnar.impute_with(sim, "notmiwae", model, 20, 0)
    assert np.array_equal(fit.imputed[sim.mask], sim.x[sim.mask])
    assert np.isfinite(fit.imputed).all() and 1.0 <= fit.ess <= 20.0
    assert fit.mechanism is not None and len(fit.mechanism["W"]) == sim.x.shape[1]
