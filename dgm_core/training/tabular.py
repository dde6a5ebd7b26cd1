"""Recipes of the MNAR lab's shipped default run: ``python -m dgm_core train notmiwae-breast``.

Ipsen, Mattei & Frellsen, "not-MIWAE: Deep Generative Modelling with Missing not at Random Data"
(ICLR 2021, arXiv 2006.12871), Table 1 protocol; Mattei & Frellsen, "MIWAE" (ICML 2019, arXiv
1812.02633). Idea in one sentence: when the values above a column's mean are the ones that go missing,
adding the self-masking process p(s | x) to the MIWAE bound lets the model fill them in above the mean
instead of at the mean of what survived.

Table, mechanism, seed, preset and training loop are dgm_core.mnar_experiment's, the ones the page
uses, so the page re-imputes the shipped weights to the card's RMSE. Training goes through
``torch.compile`` (same noise, same result up to rounding).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, ClassVar

import torch

from .. import mnar_experiment as experiment
from .cards import Fitted
from .loop import Progress, RunLength

FAMILY = "notmiwae-tabular"
DRY_ITERATIONS, DRY_SAMPLES = 40, 20


@dataclass(frozen=True)
class Recipe(RunLength):
    method: str  # a key of dgm_core.mnar_experiment.MISSING
    iterations: int = experiment.PRESETS["paper"]["iterations"]
    n_samples: int = experiment.PRESETS["paper"]["n_samples"]  # L of the imputation the card's RMSE uses
    seed: int = experiment.DEFAULT["seed"]
    dry_run: bool = False

    family: ClassVar[str] = FAMILY
    length_key: ClassVar[str] = "iterations"
    length_field: ClassVar[str] = "iterations"

    @property
    def config(self) -> dict[str, Any]:
        missing = experiment.MISSING[self.method]
        return {"n_features": 30, "hidden": experiment.PRESETS["paper"]["hidden"], "decoder": "gaussian",
                "missing": missing}



    def dry(self) -> Recipe:
        return replace(self, iterations=DRY_ITERATIONS, n_samples=DRY_SAMPLES, dry_run=True)

    def prepare(self) -> torch.device:
        """One thread (the matrices are 16 x 128) and the CPU: the page imputes on the CPU too."""
        torch.set_num_threads(1)
        return torch.device("cpu")

    def describe(self) -> str:
        d = experiment.DEFAULT
        desc = (f"{d['table']} (scikit-learn breast cancer, 569 x 30); missing: {d['mechanism']} "
                f"(the not-MIWAE protocol: every value above its column mean + {d['params']['offset']:g} sd in the "
                f"first {d['params']['n_features']} columns, deterministic); standardised with the observed "
                "entries' mean and sd (dgm_core.demos.mnar.simulate); the model imputes the table it was trained on")
        return desc + (f"; dry run: {DRY_ITERATIONS} iterations" if self.dry_run else "")

    def _sim(self, data_dir: str | Path | None) -> experiment.Simulated:
        return experiment.default_simulation(None if data_dir is None else str(data_dir))

    def fit(self, device: torch.device, data_dir: str | Path | None = None,
            progress: Progress | None = None) -> Fitted:
        sim = self._sim(data_dir)
        report = None
        if progress is not None:
            def report(name, it, total, loss, rmse):
                progress(0, it, loss)
        t0 = time.perf_counter()
        model, curve = experiment.train_model(sim, self.method, "paper", self.seed, progress=report,
                                              compile=not self.dry_run, iterations=self.iterations)
        seconds = time.perf_counter() - t0
        metrics = self.measure(model, data_dir)
        metrics["iterations"] = self.iterations
        p = experiment.PRESETS["paper"]
        notes = (f"{self.method} (dgm_core.models.notmiwae, missing={self.config['missing']!r}); "
                 f"2 x {p['hidden']} tanh encoder/decoder, latent D - 1 = 29, Gaussian decoder; K={p['k']}, batch 16, "
                 f"Adam lr {p['lr']}, {self.iterations} iterations on one CPU thread through torch.compile. "
                 "RMSE: the importance-weighted mean of every missing entry with L = the metrics' n_samples "
                 "(dgm_core.mnar_experiment.impute_with, seed + 1), in sd units of the complete table.")
        return Fitted(model, metrics, seconds, notes, self.describe())

    @torch.no_grad()
    def measure(self, model: torch.nn.Module, data_dir: str | Path | None = None) -> dict[str, Any]:
        """What the page shows: RMSE on the missing entries and the mean effective sample size."""
        sim = self._sim(data_dir)
        fit = experiment.impute_with(sim, self.method, model, self.n_samples, self.seed)
        return {"rows": int(sim.x.shape[0]), "missing_rate": round(sim.missing.rate, 4),
                "n_samples": self.n_samples, "rmse_missing": round(fit.rmse, 5),
                "mean_ess": round(float(fit.ess), 2)}


RECIPES: dict[str, Recipe] = {name: Recipe(method) for method, name in experiment.SHIPPED.items()}

