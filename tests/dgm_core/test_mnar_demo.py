"""dgm_core.demos.mnar: the shipped run re-imputes to its cards' RMSE and shows the lesson (not-MIWAE
below MIWAE and MICE), the conditional of one entry, the learnt mechanism in words, and which models a
simulation fits. Breast comes from scikit-learn, so nothing here needs DGM_DATA_DIR."""
import numpy as np
import pytest
import torch

from dgm_core import mnar_experiment as experiment
from dgm_core import pretrained
from dgm_core.demos import mnar

@pytest.fixture(scope="module")
def sim() -> experiment.Simulated:
    return experiment.default_simulation()


@pytest.fixture(scope="module")
def shipped(sim):
    torch.set_num_threads(1)
    models = {m: pretrained.load(name)[0] for m, name in experiment.SHIPPED.items()}
    return mnar.shipped_fits(sim, models, experiment.DEFAULT["seed"])


def test_shipped_models_reimpute_to_their_cards_rmse(shipped):
    for method, name in experiment.SHIPPED.items():
        card = pretrained.load_card(name)
        assert card.metrics["iterations"] == experiment.PRESETS["paper"]["iterations"]
        assert round(shipped[method].rmse, 5) == card.metrics["rmse_missing"]


def test_the_shipped_default_shows_the_lesson(shipped):
    rmse = {m: f.rmse for m, f in shipped.items()}
    assert rmse["notmiwae"] < rmse["MICE"] and rmse["notmiwae"] < rmse["miwae"], rmse
    assert min(rmse, key=rmse.get).startswith("notmiwae")


def _toy_simulation(x, mask):
    from dgm_core import tabular
    from dgm_core.missingness.tabular import Missingness
    d = x.shape[1]
    return experiment.Simulated(x, mask, Missingness("mcar", mask, np.zeros(x.shape)),
                                tabular.Standardiser(np.zeros(d), np.ones(d)))


def test_conditional_of_one_missing_entry_matches_quadrature():
    from tests.dgm_core.mnar_toys import bimodal_model, exact_conditional
    w, b, x1 = 3.0, 0.5, -0.8
    model = bimodal_model(w, b)
    median, mean = exact_conditional(model, x1, w, b)
    sim = _toy_simulation(np.array([[2.0, x1], [0.0, 0.0]]), np.array([[False, True], [True, True]]))
    c = mnar.conditional(sim, model, 0, 0, n_samples=40000, seed=3)
    assert c.weights.sum() == pytest.approx(1.0) and c.values.shape == c.weights.shape == (40000,)
    assert c.median == pytest.approx(median, abs=0.03) and c.mean == pytest.approx(mean, abs=0.03)
    assert c.truth == 2.0
    with pytest.raises(ValueError, match="observed"):
        mnar.conditional(sim, model, 1, 0)


def test_describe_sensitivity_names_the_strongest_entries_in_order():
    cols = ["a", "b", "c"]
    m = np.array([[2.0, 0.0, 0.1], [0.0, 0.0, -3.0], [0.0, 0.5, 0.0]])
    assert mnar.describe_sensitivity(m, cols) == ["b goes missing when c is low", "a goes missing when a is high"]
    assert mnar.describe_sensitivity(m, cols, top=1) == ["b goes missing when c is low"]
    assert "at random" in mnar.describe_sensitivity(np.zeros((3, 3)), cols)[0]


def test_mnar_logistic_records_the_weights_that_generated_it():
    # logit P(missing) - z @ M[j] must be one constant per target column (its fitted bias)
    from scipy.special import logit
    x = np.random.default_rng(1).standard_normal((300, 6)) * [1, 2, 3, 1, 1, 5]
    for mech, kw in (("mnar_logistic", {"p_params": 0.5}), ("mar_logistic", {"p_obs": 0.5})):
        sim = experiment.simulate(x, mech, {"p": 0.3, **kw}, seed=2)
        res, m = sim.missing, mnar.true_sensitivity(sim)
        z = (x - x.mean(0)) / x.std(0)
        targets = np.flatnonzero(m.any(1))
        assert len(targets) >= 2
        resid = logit(res.prob[:, targets]) - z @ m[targets].T
        np.testing.assert_allclose(resid.std(0), 0.0, atol=1e-8)


@pytest.mark.parametrize("method", ["notmiwae_linear", "notmiwae_nonlinear"])
def test_agnostic_missing_models_find_the_true_cross_feature_dependences(method):
    # x_0 hides when x_2 is high, x_1 when x_3 is low, x_2 when x_2 is high: the map's three strongest
    # entries must be exactly these, with these signs; nothing else may come close to the weakest.
    from tests.dgm_core.mnar_toys import cross_feature_data
    torch.set_num_threads(1)
    x, mask, truth = cross_feature_data()
    from dgm_core import tabular
    from dgm_core.missingness.tabular import Missingness
    sim = experiment.Simulated(x, mask, Missingness("mnar_logistic", mask, np.zeros(x.shape)),
                               tabular.Standardiser.fit(x, mask))
    model, _ = experiment.train_model(sim, method, "small", 0, iterations=2000)
    fit = experiment.impute_with(sim, method, model, 100)
    m = fit.sensitivity
    top = {tuple(int(i) for i in np.unravel_index(f, m.shape)) for f in np.argsort(-np.abs(m), axis=None)[:3]}
    assert top == {(0, 2), (1, 3), (2, 2)}, np.round(m, 2)
    assert np.sign(m[0, 2]) == 1 and np.sign(m[1, 3]) == -1 and np.sign(m[2, 2]) == 1
    rest = np.abs(m).copy()
    rest[0, 2] = rest[1, 3] = rest[2, 2] = 0
    assert rest.max() < 0.5 * min(abs(m[0, 2]), abs(m[1, 3]), abs(m[2, 2])), np.round(m, 2)
    said = mnar.describe_sensitivity(m, ["x0", "x1", "x2", "x3"])
    assert set(said) == {"x0 goes missing when x2 is high", "x1 goes missing when x3 is low",
                         "x2 goes missing when x2 is high"}


def test_the_known_direction_variants_are_fitted_only_where_there_is_a_direction(sim):
    x = sim.x
    extras = ("notmiwae_steep", "notmiwae_ppca", "notmiwae_linear")
    assert mnar.models_for(sim, extras) == ["miwae", "notmiwae", "notmiwae_known", "notmiwae_steep", "notmiwae_ppca",
                                            "notmiwae_linear"]
    mcar = experiment.simulate(x, "mcar", {"p": 0.3}, 0)
    assert mnar.models_for(mcar, extras) == ["miwae", "notmiwae", "notmiwae_linear"]
    with pytest.raises(ValueError, match="Unknown extra model"):
        mnar.models_for(sim, ("notmiwae_fancy",))
    steep, _ = experiment.train_model(sim, "notmiwae_steep", "tiny", iterations=1)
    ppca, _ = experiment.train_model(sim, "notmiwae_ppca", "tiny", iterations=1)
    assert steep.cfg.w_init == 10.0 and steep.cfg.decoder == "gaussian" and steep.cfg.missing == "selfmasking_known"
    assert ppca.cfg.decoder == "ppca" and ppca.cfg.w_init is None
