"""The MNAR lab page's calls (Ipsen, Mattei & Frellsen, "not-MIWAE", arXiv 2006.12871): simulate missingness,
fit MIWAE and not-MIWAE side by side with baselines, read the learnt mechanism, the supervised comparison.
x: (N, D) float64 in data units; mask: (N, D) bool, True = observed; models see data standardised on observed entries.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from .. import baselines, data, own_table, tabular
from ..controls import Control
from ..methods import MNAR
# the page, benchmarks and tests also read DEFAULT, LIVE_ROWS, MISSING, SHIPPED, default_simulation and simulate
# through this module: re-exports, hence the noqa
from ..mnar_experiment import (DEFAULT, LIVE_ROWS, MISSING, PRESETS, SHIPPED, VARIANTS, FitResult,  # noqa: F401
                               Progress, Simulated, default_simulation, impute_with, point_errors,  # noqa: F401
                               simulate, train_model)
from ..models.notmiwae import Config, NotMIWAE

LIVE_PRESETS = ("tiny", "small", "medium")  # what the page offers to train live
AGNOSTIC = ("notmiwae_linear", "notmiwae_nonlinear")  # missing models that may read every feature
EXTRAS = (*AGNOSTIC, *VARIANTS)  # what a user may add to the fitted models

MECHANISMS = {
    "notmiwae_uci": "not-MIWAE protocol (above-mean values of the first half of the features)",
    "self_masked": "self-masked logistic (each value hides itself)",
    "quantile": "quantile censoring",
    "mnar_logistic": "MNAR logistic (driven by values that may be missing)",
    "mar_logistic": "MAR logistic (driven by always-observed columns)",
    "mcar": "MCAR (completely at random)",
}
OWN_MODES = {"own": "Your table's own holes", "simulate": "Simulate a mechanism on its complete rows"}
PRESET_LABELS = {"paper": "precomputed", "tiny": "train: tiny", "small": "train: small", "medium": "train: medium"}
# The page's controls, each declared once (dgm_core.controls): the widgets, links, deck and warm-up read them
PREFIX = "mnar_"  # the page's keys in a link: ?mnar_<control>=… (its widgets, its URL state, the deck)
CONTROLS: dict[str, Control] = {
    "table": Control("breast", "Table", "select", choices=[*data.TABLES, "upload CSV"]),
    "seed": Control(0, "Seed", "number", lo=0, hi=10_000),
    "preset": Control("paper", "Training", "select", choices=["paper", *LIVE_PRESETS], names=PRESET_LABELS,
                      help="precomputed: the opening case at the paper's budget, any other setting the nearest point "
                           "of a grid trained beforehand (`python -m dgm_core precompute mnar-grid`), both shown at "
                           "once; tiny: seconds; small: under a minute; medium: several minutes (all cached)"),
    "mech": Control("notmiwae_uci", "Missingness mechanism", "select", choices=list(MECHANISMS), names=MECHANISMS),
    # the mechanisms' parameters; only the chosen mechanism's are kept in the URL
    "offset": Control(0.0, "threshold offset δ (sd)", "slider", lo=-1.0, hi=1.0, step=0.25),
    # drawn by the page, whose range is the loaded table's features; 0: half of them
    "nf": Control(0, "censored features (first n)", lo=0, hi=10_000),
    "p": Control(0.3, "missing rate p", "slider", lo=0.05, hi=0.9, step=0.05),
    "dir": Control("high", "values that go missing", "radio", choices=["high", "low"]),
    "k": Control(3.0, "steepness k", "slider", lo=0.5, hi=10.0, step=0.5),
    "q": Control(0.25, "quantile q", "slider", lo=0.05, hi=0.45, step=0.05),
    "cut": Control("upper", "cut", "radio", choices=["upper", "lower", "both"]),
    "pin": Control(0.3, "fraction of input columns", "slider", lo=0.1, hi=0.9, step=0.1),
    # own-table mode: an upload's empty cells are the holes (dgm_core.own_table); the target, the column and the
    # threshold depend on the uploaded table, so the page draws them
    "own": Control("own", "The file's empty cells", "radio", choices=list(OWN_MODES), names=OWN_MODES,
                   help="Your table's own holes: every imputer fills the file's empty cells, every row kept. "
                        "Simulate: the teaching path, on the complete rows only, with a mechanism of the lab's."),
    "ofam": Control("notmiwae_known", "not-MIWAE's missing model", "select", choices=list(own_table.FAMILIES),
                    names=own_table.FAMILIES),
    "odir": Control("per column", "values that go missing", "radio", choices=["per column", "high", "low"],
                    help="per column: each column's missing model (none, high or low values) as its check suggests "
                         "and you correct; high / low: the same direction for every column"),
    "obud": Control("small", "Training budget", "select", choices=list(LIVE_PRESETS), names=PRESET_LABELS,
                    help="tiny: seconds; small: under a minute; medium: several minutes (queued, shared)"),
    "ohow": Control("mcar", "Hide observed cells", "radio", choices=["mcar", "mechanism"],
                    names={"mcar": "at random", "mechanism": "by the learnt mechanism"}),
    "oshare": Control(0.1, "share of observed cells hidden", "slider", lo=0.05, hi=0.3, step=0.05),
    "odelta": Control(0.0, "δ: every filled value moved by δ sd", "slider", lo=-2.0, hi=2.0, step=0.1),
    "agn": Control([], "Also fit these not-MIWAE variants", "multiselect", choices=list(EXTRAS),
                   names={m: MNAR[m].short for m in EXTRAS}, item=str, max_items=len(EXTRAS),
                   help="Agnostic: P(s | x) from every feature, not just the value itself, linear (a logistic "
                        "regression per feature) or nonlinear (one hidden layer); their maps show what they learnt. "
                        "Known direction: W starting at 10 instead of about 0.7, or a linear decoder; they hold up "
                        "where a low cut hides most of a feature (see the note under the offset slider)."),
}


def label(method: str) -> str:
    """The display name of a method id."""
    return MNAR.label(method)


@dataclass
class Conditional:
    """Weighted draws of p(x_j | x^o, s) for one missing entry, data units: values (L,), weights (L,) summing to 1."""

    values: np.ndarray
    weights: np.ndarray
    mean: float
    median: float
    truth: float
    ess: float


@torch.no_grad()
def conditional(sim: Simulated, model: NotMIWAE, row: int, j: int, n_samples: int = 5000,
                seed: int = 0) -> Conditional:
    """Self-normalised importance draws of missing entry (row, j), as ``tabular.impute``; mean = W2, median = W1
    point."""
    if sim.mask[row, j]:
        raise ValueError(f"Entry ({row}, {j}) is observed; pick a missing one.")
    xt = torch.as_tensor(np.where(sim.mask[row:row + 1], sim.z[row:row + 1], 0.0), dtype=torch.float32)
    st = torch.as_tensor(sim.mask[row:row + 1])
    g = torch.Generator().manual_seed(int(seed))
    with tabular.single_thread():
        t = model.log_weights(xt, st, n_samples, g, relaxed=False)
    alpha = torch.softmax(t["log_w"][:, 0].double(), 0)
    draws = t["x_full"][:, 0, j].double()
    med = tabular._weighted_median(draws[:, None, None], alpha[:, None])[0, 0]
    to_data = lambda v: float(v) * sim.std.sd[j] + sim.std.mean[j]  # noqa: E731
    values = draws.numpy() * sim.std.sd[j] + sim.std.mean[j]
    return Conditional(values, alpha.numpy(), to_data((alpha * draws).sum()), to_data(med), float(sim.x[row, j]),
                       float(1.0 / alpha.pow(2).sum()))


def true_sensitivity(sim: Simulated) -> np.ndarray | None:
    """(D, D) M[j, k]: weight of x_k (per sd) on logit P(x_j missing); None for step mechanisms (infinitely steep)."""
    res, d = sim.missing, sim.x.shape[1]
    if res.mechanism in ("mar_logistic", "mnar_logistic"):
        return np.asarray(res.params["logit_weights"], float)
    if res.mechanism == "self_masked":
        m = np.zeros((d, d))
        for j in res.params["columns"]:
            m[j, j] = res.params["signs"][j] * res.params["steepness"]
        return m
    if res.mechanism == "mcar":
        return np.zeros((d, d))
    return None


def model_sensitivity(sim: Simulated, m: np.ndarray) -> np.ndarray:
    """A model's map (logit slope per sd of the OBSERVED entries, the models' units) in the true map's unit: logit
    slope per sd of the COMPLETE column. Hiding the high values shrinks a column's observed sd, so unconverted a
    perfectly learnt mechanism would look weaker than the truth."""
    return np.asarray(m, float) * (sim.complete_sd / sim.std.sd)[None, :]


def describe_sensitivity(m: np.ndarray, columns, top: int = 3) -> list[str]:
    """The ``top`` strongest entries in words ("x_3 goes missing when x_5 is low"); under a fifth of the strongest:
    dropped."""
    m = np.asarray(m, float)
    scale = np.abs(m).max() if m.size else 0.0
    if not scale > 0:
        return ["No feature moves the chance that a value goes missing: missing completely at random."]
    order = np.argsort(-np.abs(m), axis=None)[:top]
    out = []
    for flat in order:
        j, k = np.unravel_index(flat, m.shape)
        if abs(m[j, k]) < 0.2 * scale:
            break
        out.append(f"{columns[j]} goes missing when {columns[k]} is {'high' if m[j, k] > 0 else 'low'}")
    return out


def fit_model(sim: Simulated, method: str, preset: str = "small", seed: int = 0, decoder: str = "gaussian",
              progress: Progress | None = None, signs: tuple[float, ...] | None = None) -> FitResult:
    """Fit ``method`` (a key of MISSING) and impute the missing entries."""
    model, curve = train_model(sim, method, preset, seed, decoder, progress, signs)
    return impute_with(sim, method, model, PRESETS[preset]["n_samples"], seed, curve)


def has_known_direction(sim: Simulated) -> bool:
    """Whether the mechanism says which way each feature's values hide (the known-direction models)."""
    return sim.missing.mechanism in ("self_masked", "notmiwae_uci")


def models_for(sim: Simulated, extras: tuple[str, ...] = ()) -> list[str]:
    """Models to fit: known-direction ones (and asked VARIANTS) only if the mechanism has a direction, then asked
    AGNOSTIC."""
    bad = set(extras) - set(EXTRAS)
    if bad:
        raise ValueError(f"Unknown extra model(s) {sorted(bad)}; choose from {EXTRAS}.")
    known = [m for m in ("notmiwae_known", *VARIANTS) if m == "notmiwae_known" or m in extras]
    return ["miwae", "notmiwae", *(known if has_known_direction(sim) else []), *[m for m in AGNOSTIC if m in extras]]


def fit_all(sim: Simulated, preset: str = "small", seed: int = 0, progress: Progress | None = None,
            extras: tuple[str, ...] = (), on_baseline: Callable[[str], None] | None = None) -> dict[str, FitResult]:
    """``models_for``'s fits, then the preset's baselines, keyed by method id. ``on_baseline(name)`` before each
    baseline (where a caller's progress can stop the run)."""
    signs = sim.missing.params.get("signs")
    signs = tuple(float(v) for v in signs) if signs is not None else None
    fits = {m: fit_model(sim, m, preset, seed, progress=progress, signs=signs) for m in models_for(sim, extras)}
    fits.update(run_baselines(sim, seed, PRESETS[preset]["baselines"], on_baseline))
    return fits


def shipped_fits(sim: Simulated, models: dict[str, NotMIWAE], seed: int = 0,
                 on_progress: Callable[[float, str], None] | None = None) -> dict[str, FitResult]:
    """The default run: shipped models (method id -> model) impute ``sim`` with the 'paper' preset; keyed as
    ``fit_all``. on_progress: (fraction done, what runs), before each model and baseline."""
    p = PRESETS["paper"]
    steps = [*models, *p["baselines"]]
    fits = {}
    for i, m in enumerate(steps):
        if on_progress:
            on_progress(i / len(steps), f"{label(m)}…")
        if m in models:
            fits[m] = impute_with(sim, m, models[m], p["n_samples"], seed)
        else:
            fits.update(run_baselines(sim, seed, (m,)))
    return fits


def run_baselines(sim: Simulated, seed: int = 0, names: tuple[str, ...] = ("mean", "kNN", "MICE", "missForest"),
                  on_baseline: Callable[[str], None] | None = None) -> dict[str, FitResult]:
    """scikit-learn imputers on the standardised data (missForest at 20 trees: it and MICE are slow)."""
    out = {}
    for name in names:
        if on_baseline:
            on_baseline(name)
        kw = {"n_estimators": 20, "max_iter": 5} if name == "missForest" else {}
        xh = baselines.run_baseline(name, sim.z, sim.mask, seed=seed, **kw)
        x_hat = np.where(sim.mask, sim.x, sim.std.inverse(xh))
        out[name] = FitResult(name, x_hat, sim.score(x_hat), errors=point_errors(sim, x_hat))
    return out


def true_mechanism(sim: Simulated) -> list[dict] | None:
    """Per feature, data units (None if not self-masking): P(miss) = sigmoid(c k (x - m)/sd + b_j) ->
    threshold m - b_j sd / (c k), steepness c k/sd."""
    res, d = sim.missing, sim.x.shape[1]
    mean, sd = sim.x.mean(0), sim.x.std(0)
    sd = np.where(sd > 0, sd, 1.0)
    rows = []
    if res.mechanism == "self_masked":
        k, signs, bias = res.params["steepness"], res.params["signs"], res.params["bias"]
        for j in range(d):
            masked = j in res.params["columns"]
            rows.append({"direction": ("high" if signs[j] > 0 else "low") if masked else "never missing",
                         "threshold": mean[j] - bias[j] * sd[j] / (signs[j] * k) if masked else None,
                         "steepness": signs[j] * k / sd[j] if masked else 0.0})
        return rows
    if res.mechanism == "notmiwae_uci":
        n, off = res.params["n_features"], res.params["offset"]
        return [{"direction": "high" if j < n else "never missing",
                 "threshold": mean[j] + off * sd[j] if j < n else None,
                 "steepness": float("inf") if j < n else 0.0} for j in range(d)]
    return None


def supervised(sim: Simulated, y: np.ndarray, task: str, preset: str = "small", seed: int = 0,
               progress: Progress | None = None, on_baseline: Callable[[str], None] | None = None) -> dict[str, float]:
    """Held-out accuracy or RMSE of supMIWAE, sup-not-MIWAE and impute-then-predict (baseline + linear model);
    ``on_baseline(name)`` before each baseline."""
    from sklearn.linear_model import LinearRegression, LogisticRegression

    p = PRESETS[preset]
    z, mask = sim.z, sim.mask
    idx = np.random.default_rng(seed).permutation(len(z))
    n_tr = int(0.7 * len(z))
    tr, te = idx[:n_tr], idx[n_tr:]
    classes = None
    if task == "classification":
        classes, y = np.unique(y, return_inverse=True)
    score = (lambda yh: float((yh == y[te]).mean())) if task == "classification" else \
        (lambda yh: float(np.sqrt(np.mean((yh - y[te]) ** 2))))
    out: dict[str, float] = {}
    for method, missing in (("sup_miwae", "none"), ("sup_notmiwae", "selfmasking")):
        torch.manual_seed(seed)
        model = NotMIWAE(Config(n_features=z.shape[1], hidden=p["hidden"], missing=missing, task=task,
                                n_classes=len(classes) if classes is not None else 0))
        cb = (lambda it, loss, _m=method: progress(_m, it, p["iterations"], loss, float("nan"))) if progress else None
        with tabular.single_thread():
            tabular.fit(model, z[tr], mask[tr], y=y[tr], iterations=p["iterations"], lr=p["lr"], seed=seed,
                        callback=cb, every=max(p["iterations"] // 10, 1))
            pred = tabular.predict(model, z[te], mask[te], n_samples=p["n_samples"], seed=seed)
        out[label(method)] = score(pred.argmax(1) if task == "classification" else pred)
    for imp in [b for b in p["baselines"] if b != "missForest"]:
        if on_baseline:
            on_baseline(imp)
        filled = baselines.run_baseline(imp, z, mask, seed=seed)
        reg = LogisticRegression(max_iter=1000) if task == "classification" else LinearRegression()
        reg.fit(filled[tr], y[tr])
        out[f"{imp} imputation + {'logistic' if task == 'classification' else 'linear'} regression"] = \
            score(reg.predict(filled[te]))
    return out
