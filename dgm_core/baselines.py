"""Classical imputers for tables, the baselines of not-MIWAE Table 1 (Ipsen, Mattei & Frellsen,
ICLR 2021, arXiv 2006.12871) and of the MIWAE notebooks (arXiv 1812.02633): mean, k-nearest
neighbours, MICE (IterativeImputer with BayesianRidge) and a missForest-style IterativeImputer with a
random forest (or extra trees). All are real scikit-learn; none models why values are missing, which
is exactly why they fail under self-masking MNAR.

x: (N, D) float, mask: (N, D) bool, True = observed. Each returns the completed (N, D) float64 table
with the observed entries left exactly as they were. Tables with more than ``budgets.BASELINE_MAX_ROWS``
rows are learnt from a seeded sample of that many rows, then every row is filled (kNN compares each row
with every learnt row, so its cost grows with both).
"""
from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np
import sklearn
from sklearn.ensemble import ExtraTreesRegressor, RandomForestRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.experimental import enable_iterative_imputer  # noqa: F401  (registers IterativeImputer)
from sklearn.impute import IterativeImputer, KNNImputer, SimpleImputer

from . import budgets


def _run(imputer, x: np.ndarray, mask: np.ndarray, seed: int | None = None) -> np.ndarray:
    """Fill the unobserved entries; ``seed``: learn from a sample of BASELINE_MAX_ROWS rows when there are more."""
    x = np.asarray(x, dtype=np.float64)
    mask = np.asarray(mask, bool)
    xn = np.where(mask, x, np.nan)
    # a column with no observed value has nothing to learn from: sklearn would drop it silently
    empty = ~mask.any(0)
    xn[:, empty] = 0.0
    with warnings.catch_warnings(), sklearn.config_context(working_memory=budgets.BASELINE_WORKING_MB):
        warnings.simplefilter("ignore", ConvergenceWarning)  # MICE stops at max_iter by design
        if seed is None or len(xn) <= budgets.BASELINE_MAX_ROWS:
            out = imputer.fit_transform(xn)
        else:
            rows = np.random.default_rng(seed).choice(len(xn), budgets.BASELINE_MAX_ROWS, replace=False)
            out = imputer.fit(xn[np.sort(rows)]).transform(xn)
    return np.where(mask, x, out)


def run_imputer(imputer, x: np.ndarray, mask: np.ndarray, seed: int | None = None) -> np.ndarray:
    """Any scikit-learn imputer run as the baselines run (a variant of one of them: own_table_delta's MICE with a
    shift inside its chain): holes filled, observed entries unchanged, learnt from a seeded sample on big tables."""
    return _run(imputer, x, mask, seed)


def mean_impute(x: np.ndarray, mask: np.ndarray, *, seed: int = 0) -> np.ndarray:
    """Column mean of the observed values."""
    return _run(SimpleImputer(strategy="mean"), x, mask)


def knn_impute(x: np.ndarray, mask: np.ndarray, *, k: int = 5, seed: int = 0) -> np.ndarray:
    """Mean of the k nearest rows (distance on the coordinates both rows observe)."""
    return _run(KNNImputer(n_neighbors=k), x, mask, seed)


def mice_impute(x: np.ndarray, mask: np.ndarray, *, max_iter: int = 10, seed: int = 0,
                sample_posterior: bool = False) -> np.ndarray:
    """MICE: chained Bayesian ridge regressions (the not-MIWAE reference: max_iter=10). ``sample_posterior``: each
    fill drawn from the ridge's predictive distribution (seeded: another seed, another table), as R's mice does,
    instead of its mean."""
    return _run(IterativeImputer(max_iter=max_iter, random_state=seed, sample_posterior=sample_posterior), x, mask,
                seed)


def mice_draws(x: np.ndarray, mask: np.ndarray, *, n_draws: int = 20, max_iter: int = 10, seed: int = 0
               ) -> np.ndarray:
    """Multiple imputation by chained equations: ``n_draws`` completed tables, each from IterativeImputer with
    ``sample_posterior=True`` (every fill drawn from the Bayesian ridge's predictive distribution, not its mean) and
    its own seed, as mice's m imputations. -> (N, n_draws, D), observed entries unchanged."""
    draws = [_run(IterativeImputer(max_iter=max_iter, sample_posterior=True, random_state=seed + m), x, mask, seed)
             for m in range(n_draws)]
    return np.stack(draws, axis=1)


def missforest_impute(x: np.ndarray, mask: np.ndarray, *, n_estimators: int = 100, max_iter: int = 10,
                      extra_trees: bool = False, seed: int = 0) -> np.ndarray:
    """missForest-style: chained random forests (100 trees, as the not-MIWAE reference), or extra trees."""
    forest = (ExtraTreesRegressor if extra_trees else RandomForestRegressor)(
        n_estimators=n_estimators, random_state=seed, n_jobs=1)
    return _run(IterativeImputer(estimator=forest, max_iter=max_iter, random_state=seed), x, mask, seed)


BASELINES: dict[str, Callable[..., np.ndarray]] = {
    "mean": mean_impute,
    "kNN": knn_impute,
    "MICE": mice_impute,
    "missForest": missforest_impute,
}


def run_baseline(name: str, x: np.ndarray, mask: np.ndarray, *, seed: int = 0, **kwargs) -> np.ndarray:
    """Dispatch by the names of ``BASELINES``."""
    if name not in BASELINES:
        raise ValueError(f"Unknown baseline {name!r}; choose one of {', '.join(BASELINES)}.")
    return BASELINES[name](x, mask, seed=seed, **kwargs)


def classify(name: str, features: np.ndarray, codes: np.ndarray, *, seed: int = 0) -> np.ndarray:
    """A categorical column's holes filled by the classifier of baseline ``name``: mean -> the most frequent level;
    kNN -> the majority of the 5 nearest rows; MICE -> a level DRAWN from a logistic regression's probabilities
    (seeded, as mice's polyreg); missForest -> a random forest's vote. features: (N, F) complete; codes: (N,) levels
    0..K-1, NaN in the holes. -> (N,) codes, the observed ones unchanged."""
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import KNeighborsClassifier

    seen = np.isfinite(codes)
    out = codes.copy()
    if seen.all():
        return out
    y = codes[seen].astype(int)
    levels = np.unique(y)
    if name == "mean" or len(levels) == 1:
        out[~seen] = np.bincount(y).argmax()
        return out
    model = {"kNN": lambda: KNeighborsClassifier(n_neighbors=min(5, int(seen.sum()))),
             "MICE": lambda: LogisticRegression(max_iter=300),
             "missForest": lambda: RandomForestClassifier(n_estimators=20, random_state=seed, n_jobs=1)}[name]()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(features[seen], y)
    if name == "MICE":
        p = model.predict_proba(features[~seen])
        u = np.random.default_rng(seed).random((len(p), 1))
        out[~seen] = model.classes_[np.minimum((p.cumsum(1) < u).sum(1), len(model.classes_) - 1)]
    else:
        out[~seen] = model.predict(features[~seen])
    return out
