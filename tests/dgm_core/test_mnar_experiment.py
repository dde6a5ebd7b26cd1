"""dgm_core.mnar_experiment: the page's opening case is the one benchmarks/mnar_default.py chose, and
the train / impute split keeps observed entries and follows its iteration count. Breast comes from
scikit-learn, so nothing here needs DGM_DATA_DIR."""
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from dgm_core import mnar_experiment as experiment

ROOT = Path(__file__).resolve().parents[2]
CHOICE = ROOT / "benchmarks" / "results" / "mnar_default.json"


@pytest.fixture(scope="module")
def sim() -> experiment.Simulated:
    return experiment.default_simulation()


def test_the_default_is_the_recorded_choice():
    recorded = json.loads(CHOICE.read_text())
    assert recorded["choice"] == experiment.DEFAULT
    assert recorded["choice"]["table"] in recorded["lesson_shows_on"]


def test_the_default_simulation_is_the_not_miwae_protocol(sim):
    n = experiment.DEFAULT["params"]["n_features"]
    above = sim.x > sim.x.mean(0)
    assert (~sim.mask[:, :n] == above[:, :n]).all() and sim.mask[:, n:].all()


def test_train_model_follows_its_iteration_count_and_impute_keeps_observed_entries(sim):
    torch.set_num_threads(1)
    seen = []
    model, curve = experiment.train_model(sim, "notmiwae", "tiny", 0, iterations=60,
                                          progress=lambda name, it, total, loss, rmse: seen.append((it, total)))
    assert seen[-1] == (60, 60) and len(curve) == len(seen)
    fit = experiment.impute_with(sim, "notmiwae", model, 20, 0)
    assert np.array_equal(fit.imputed[sim.mask], sim.x[sim.mask])
    assert np.isfinite(fit.imputed).all() and 1.0 <= fit.ess <= 20.0
    assert fit.mechanism is not None and len(fit.mechanism["W"]) == sim.x.shape[1]
