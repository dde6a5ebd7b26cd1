"""The not-MIWAE table experiment by method id (Ipsen, Mattei & Frellsen, "not-MIWAE", arXiv 2006.12871, Table 1):
hide entries of a complete table, train MIWAE or a not-MIWAE, impute, score against the hidden truth. The MNAR
page and the shipped recipes share it, so the page reproduces a card's RMSE.
x: (N, D) float64 in data units; mask: (N, D) bool, True = observed; models see data standardised on observed entries.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch

from . import tabular
from .missingness import tabular as missingness
from .models.notmiwae import Config, NotMIWAE

# tiny..medium are for live training on the page; "paper" is Table 1's configuration
PRESETS: dict[str, dict] = {
    "tiny": dict(iterations=300, hidden=32, lr=3e-3, n_samples=100, k=20, baselines=("mean", "kNN")),
    "small": dict(iterations=3000, hidden=64, lr=3e-3, n_samples=500, k=20, baselines=("mean", "kNN", "MICE")),
    "medium": dict(iterations=10000, hidden=128, lr=1e-3, n_samples=1000, k=20,
                   baselines=("mean", "kNN", "MICE", "missForest")),
    # Table 1: 100k iterations, 2 x 128 tanh, Adam 1e-3, K = 20; shipped, never trained live, re-imputed with L = 200
    "paper": dict(iterations=100_000, hidden=128, lr=1e-3, n_samples=200, k=20, baselines=("mean", "kNN", "MICE")),
}
# the page's opening case, chosen by benchmarks/mnar_default.py (a test checks they agree); its fits ship (SHIPPED)
DEFAULT = {"table": "breast", "mechanism": "notmiwae_uci", "params": {"offset": 0.0, "n_features": 15}, "seed": 0}
SHIPPED = {"miwae": "miwae-breast", "notmiwae": "notmiwae-breast", "notmiwae_known": "notmiwae-known-breast"}
# method id -> the missingness model of NotMIWAE it trains
MISSING = {"miwae": "none", "notmiwae": "selfmasking", "notmiwae_known": "selfmasking_known",
           "notmiwae_linear": "linear", "notmiwae_nonlinear": "nonlinear",
           "notmiwae_steep": "selfmasking_known", "notmiwae_ppca": "selfmasking_known"}
# known-direction variants for cuts hiding most of a feature: W starting at 10 (not ≈ 0.7), or a linear decoder
VARIANTS = {"notmiwae_steep": {"w_init": 10.0}, "notmiwae_ppca": {"decoder": "ppca"}}
Progress = Callable[[str, int, int, float, float], None]  # (method id, iteration, total, loss, rmse)
LIVE_ROWS = 200  # rows of the live RMSE during training (the final table scores every row)

@dataclass
class Simulated:
    """x: (N, D) complete, data units; mask: (N, D) True = observed; z: x standardised on observed entries."""

    x: np.ndarray
    mask: np.ndarray
    missing: missingness.Missingness
    std: tabular.Standardiser

    @property
    def z(self) -> np.ndarray:
        return self.std.forward(self.x)

    def score(self, x_hat: np.ndarray, rows: np.ndarray | slice = slice(None)) -> float:
        """RMSE on missing entries in sd units of the COMPLETE data (as Table 1); x_hat in data units."""
        sd = self.complete_sd
        return tabular.rmse_missing(self.x[rows] / sd, x_hat / sd, self.mask[rows])

    def mae(self, x_hat: np.ndarray) -> float:
        """Mean absolute error on the missing entries, in the same sd units as ``score``."""
        miss = ~self.mask
        return float(np.mean(np.abs((self.x - x_hat) / self.complete_sd)[miss])) if miss.any() else float("nan")

    @property
    def complete_sd(self) -> np.ndarray:
        sd = self.x.std(0)
        return np.where(sd > 0, sd, 1.0)


def simulate(x: np.ndarray, mechanism: str, params: dict, seed: int = 0) -> Simulated:
    """Drop incomplete rows is the caller's job; x must be complete. Raises ValueError (one sentence)."""
    res = missingness.simulate(x, mechanism, seed=seed, **params)
    if res.mask.all():
        raise ValueError("These settings hide no value at all; raise the rate or move the threshold.")
    if (~res.mask).all(0).any():
        raise ValueError("These settings hide every value of a column, so nothing can be learnt about it.")
    return Simulated(x, res.mask, res, tabular.Standardiser.fit(x, res.mask))


def default_simulation(data_dir: str | None = None) -> Simulated:
    """The page's opening case (DEFAULT), as the shipped models were trained on it."""
    from .data import load_table

    table = load_table(DEFAULT["table"], data_dir=data_dir)
    return simulate(table.x[np.isfinite(table.x).all(1)], DEFAULT["mechanism"], DEFAULT["params"], DEFAULT["seed"])


@dataclass
class FitResult:
    method: str  # method id: a key of MISSING, or a baseline's name
    imputed: np.ndarray  # (N, D) in data units
    rmse: float  # on missing entries, in sd units of the complete data (as the paper)
    curve: list[tuple[int, float, float]] = field(default_factory=list)  # (iteration, loss, rmse)
    mechanism: dict | None = None
    ess: float | None = None  # mean effective sample size of the importance weights (models only)
    median: np.ndarray | None = None  # (N, D) the conditional median (models with a Gaussian decoder)
    errors: dict[str, dict[str, float]] = field(default_factory=dict)  # {"mean"|"median": {"RMSE", "MAE"}}
    sensitivity: np.ndarray | None = None  # (D, D) what the missing model learnt (NotMIWAE.sensitivity)
    model: NotMIWAE | None = None  # the trained model (models only), for ``conditional``


def train_model(sim: Simulated, method: str, preset: str = "small", seed: int = 0, decoder: str = "gaussian",
                progress: Progress | None = None, signs: tuple[float, ...] | None = None,
                compile: bool = False,
                iterations: int | None = None) -> tuple[NotMIWAE, list[tuple[int, float, float]]]:
    """Train ``method`` (a key of MISSING) -> (model, curve [(iteration, loss, RMSE on LIVE_ROWS rows)]); the curve
    costs an imputation per point, so it is measured only with ``progress``."""
    p = PRESETS[preset] if iterations is None else {**PRESETS[preset], "iterations": int(iterations)}
    missing = MISSING[method]
    z, mask = sim.z, sim.mask
    torch.manual_seed(seed)
    cfg = dict(n_features=z.shape[1], hidden=p["hidden"], decoder=decoder, missing=missing,
               signs=signs if missing == "selfmasking_known" else None)
    model = NotMIWAE(Config(**{**cfg, **VARIANTS.get(method, {})}))
    rows = np.random.default_rng(seed).permutation(len(z))[:LIVE_ROWS]  # a fixed subset for the live RMSE
    curve: list[tuple[int, float, float]] = []

    def on_step(it: int, loss: float) -> None:
        r = sim.score(sim.std.inverse(tabular.impute(model, z[rows], mask[rows], n_samples=30, seed=it).mean), rows)
        model.train()
        curve.append((it, loss, r))
        progress(method, it, p["iterations"], loss, r)

    with tabular.single_thread():
        tabular.fit(model, z, mask, iterations=p["iterations"], lr=p["lr"], k=p["k"], seed=seed,
                    callback=on_step if progress is not None else None, every=max(p["iterations"] // 10, 1),
                    compile=compile)
    return model, curve


def impute_with(sim: Simulated, method: str, model: NotMIWAE, n_samples: int, seed: int = 0,
                curve: list | None = None) -> FitResult:
    """Impute every missing entry of ``sim`` with a trained model; RMSE on all of them (not a subset)."""
    with tabular.single_thread():
        imp = tabular.impute(model, sim.z, sim.mask, n_samples=n_samples, seed=seed + 1, median=True)
        sens = None if model.cfg.missing == "none" else model.sensitivity(torch.as_tensor(imp.mean)).numpy()
    mech = model.mechanism(sim.std.mean, sim.std.sd) if model.cfg.missing.startswith("selfmasking") else None
    x_hat = np.where(sim.mask, sim.x, sim.std.inverse(imp.mean))  # observed entries exactly as they were
    med = None if imp.median is None else np.where(sim.mask, sim.x, sim.std.inverse(imp.median))
    return FitResult(method, x_hat, sim.score(x_hat), list(curve or []), mech, float(np.mean(imp.ess)), med,
                     point_errors(sim, x_hat, med), sens, model)


def point_errors(sim: Simulated, mean: np.ndarray, median: np.ndarray | None = None) -> dict[str, dict[str, float]]:
    """RMSE and MAE of the mean (W2 point, should win RMSE) and median (W1 point, should win MAE) imputations."""
    out = {"mean": {"RMSE": sim.score(mean), "MAE": sim.mae(mean)}}
    if median is not None:
        out["median"] = {"RMSE": sim.score(median), "MAE": sim.mae(median)}
    return out
