"""Own-table mode: a researcher's table whose EMPTY CELLS ARE THE HOLES, filled by every imputer the MNAR lab has
(mean, kNN, MICE, missForest-style chained forests, MIWAE and a not-MIWAE with the chosen missing model), each
completed table with a per-cell "filled" mask and a provenance header; then how good the fills are without the
truth, by overimputation (hide some OBSERVED cells, fill them again, compare).

not-MIWAE: Ipsen, Mattei & Frellsen, "not-MIWAE: Deep Generative Modelling with Missing not at Random Data", ICLR
2021, arXiv 2006.12871; MIWAE: Mattei & Frellsen, ICML 2019, arXiv 1812.02633; overimputation: Blackwell, Honaker
& King, "A Unified Approach to Measurement Error and Missing Data: Overview and Applications", Sociological Methods
& Research 2017 (Amelia's ``overimpute``). Nothing here simulates the holes of the table itself: they are the file's.
x: (N, D) float64 in data units, NaN = an empty cell; mask: (N, D) bool, True = observed.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import numpy as np
import torch

from . import __version__, baselines, budgets, tabular
from .methods import MNAR
from .mnar_experiment import MISSING, PRESETS
from .models.notmiwae import Config, NotMIWAE
from .pace import Pace
from .xoshiro import SplitMix

BASELINES = ("mean", "kNN", "MICE", "missForest")
# not-MIWAE's missing model p(s | x), by the lab's method id (dgm_core.methods.MNAR)
FAMILIES = {"notmiwae": "self-masking: each value hides itself, direction learnt",
            "notmiwae_known": "self-masking with a known direction (or none), per column",
            "notmiwae_linear": "agnostic, linear: any column's value may hide any other's",
            "notmiwae_nonlinear": "agnostic, nonlinear (one hidden layer)"}
INTERVAL = 0.9  # the nominal coverage of the intervals drawn from multiple imputations
FOREST = {"n_estimators": 20, "max_iter": 5}  # the lab's missForest budget (dgm_core.demos.mnar.run_baselines)
MICE_DRAW_ITER = 5  # chained-equation rounds of each MICE draw: R mice's default maxit (the point fill keeps 10)
Progress = Callable[[float, str], None]  # (fraction done, what runs)
# the known-direction family's missing model per column: P(missing) = σ(sign W (x − b)), sign 0 for 'mcar' (W = 0:
# the same probability whatever the value, so the missing model moves no fill), +1 high, −1 low
DIRECTIONS = {"mcar": 0.0, "high": 1.0, "low": -1.0}
KINDS = ("continuous", "binary", "categorical")  # binary and categorical columns hold codes 0..K-1 (data.typed)
SEEDED = ("MICE", "missForest", "miwae", *FAMILIES)  # the imputers whose table changes with the seed
BATCH = 16  # rows a training step, here and in the browser
BROWSER_ROWS = 2_000  # a visitor's browser trains tables up to this many rows (server.own_table_job)
BROWSER_PRESETS = ("tiny", "small")  # and these budgets ('medium', 10,000 steps of 2 x 128, would keep a phone busy)
CATEGORICAL_FILL = {  # how each imputer fills a binary or categorical column's holes (_classified, undesign)
    "mean": "the most frequent level", "kNN": "the majority of the 5 nearest rows (KNeighborsClassifier)",
    "MICE": "a level drawn from a logistic regression's probabilities (LogisticRegression)",
    "missForest": "a random forest's vote (RandomForestClassifier, 20 trees)",
    "deep": "one-hot inputs with a Gaussian likelihood; the fill is the level whose indicator is imputed highest"}


def design(x: np.ndarray, kinds: tuple[str, ...]) -> tuple[np.ndarray, list[slice]]:
    """The imputers' inputs: continuous columns as they are, a binary or categorical column of K levels as K one-hot
    columns (all NaN in its holes). x: (N, D) -> ((N, D'), the D' columns of each of the D)."""
    parts, blocks, at = [], [], 0
    for j, kind in enumerate(kinds):
        if kind == "continuous":
            parts.append(x[:, j:j + 1])
        else:
            k = int(np.nanmax(x[:, j])) + 1
            hot = (x[:, j:j + 1] == np.arange(k)).astype(np.float64)
            parts.append(np.where(np.isfinite(x[:, j:j + 1]), hot, np.nan))
        blocks.append(slice(at, at + parts[-1].shape[1]))
        at += parts[-1].shape[1]
    return np.concatenate(parts, axis=1), blocks


def undesign(d: np.ndarray, kinds: tuple[str, ...], blocks: list[slice]) -> np.ndarray:
    """``design``'s inverse on a completed (..., D') design: a one-hot block's fill is its largest column (the level
    the model finds likeliest), so a binary column stays 0 or 1. -> (..., D)."""
    return np.stack([d[..., b.start] if kind == "continuous" else np.argmax(d[..., b], axis=-1).astype(np.float64)
                     for kind, b in zip(kinds, blocks, strict=True)], axis=-1)


def _classified(name: str, z: np.ndarray, x: np.ndarray, kinds: tuple[str, ...], blocks: list[slice], seed: int
                ) -> np.ndarray:
    """x's binary and categorical columns filled by ``name``'s classifier (baselines.classify) from every other
    column of the completed design z; continuous columns left as they are."""
    out = x.copy()
    for j, kind in enumerate(kinds):
        if kind != "continuous":
            others = np.delete(z, np.r_[blocks[j]], axis=1)
            out[:, j] = baselines.classify(name, others, x[:, j], seed=seed)
    return out


@dataclass(frozen=True)
class Settings:
    """What a completion depends on besides the table. family: a key of FAMILIES; direction: 'high' or 'low', the
    values that go missing (the known-direction family only); preset: a training budget of the lab
    (dgm_core.mnar_experiment.PRESETS); draws: multiple imputations per method that gives them; target: a column that
    must be complete (it is used as a predictor, never filled)."""

    family: str = "notmiwae"
    direction: str = "high"
    preset: str = "small"
    seed: int = 0
    draws: int = 20
    target: str | None = None
    kinds: tuple[str, ...] | None = None  # per column of x: KINDS (None: every column continuous)
    directions: tuple[str, ...] | None = None  # per column, the known-direction family's: DIRECTIONS

    def __post_init__(self) -> None:
        if self.kinds is not None and not set(self.kinds) <= set(KINDS):
            raise ValueError(f"A column's kind is one of {', '.join(KINDS)}, not {sorted(set(self.kinds))}.")
        if self.family not in FAMILIES:
            raise ValueError(f"The missing model must be one of {', '.join(FAMILIES)}, not {self.family!r}.")
        if self.direction not in ("high", "low"):
            raise ValueError(f"The direction must be 'high' or 'low', not {self.direction!r}.")
        if self.directions is not None and not set(self.directions) <= set(DIRECTIONS):
            raise ValueError(f"A column's missing model is one of {', '.join(DIRECTIONS)}, not "
                             f"{sorted(set(self.directions) - set(DIRECTIONS))}.")
        if self.preset not in PRESETS:
            raise ValueError(f"The training budget must be one of {', '.join(PRESETS)}, not {self.preset!r}.")
        if not 2 <= self.draws <= 200:
            raise ValueError(f"Multiple imputations: between 2 and 200 draws, not {self.draws}.")

    @property
    def methods(self) -> tuple[str, ...]:
        return (*BASELINES, "miwae", self.family)


@dataclass
class Fill:
    """One imputer's completed table. table: (N, D) data units, observed cells exactly the file's; draws: (N, M, D)
    multiple imputations (None for single-imputation methods)."""

    method: str
    table: np.ndarray
    draws: np.ndarray | None = None

    def interval(self, level: float = INTERVAL) -> tuple[np.ndarray, np.ndarray] | None:
        """(lo, hi), each (N, D): the central ``level`` interval of the draws. Quantiles at the Weibull plotting
        positions p(M + 1), so that a new exchangeable draw falls inside with probability ``level`` on average; plain
        linear interpolation would cover (M - 1)/(M + 1) of that."""
        if self.draws is None:
            return None
        a = (1 - level) / 2
        lo, hi = np.quantile(self.draws, [a, 1 - a], axis=1, method="weibull")
        return lo, hi


@dataclass
class Completed:
    """Every imputer's fill of one table. columns: D names; x: (N, D) with NaN in the holes; mask: (N, D) True =
    observed; fills: method id -> Fill; source: the file's sha256 (or a name); model: the fitted not-MIWAE (its
    missing model drives the mechanism-shaped overimputation)."""

    columns: tuple[str, ...]
    x: np.ndarray
    mask: np.ndarray
    settings: Settings
    fills: dict[str, Fill]
    source: str
    model: NotMIWAE | None = field(default=None, repr=False)
    trained_in: str = "the server (PyTorch)"  # where MIWAE and the not-MIWAE trained

    @property
    def filled(self) -> np.ndarray:
        """(N, D) bool: the cells every imputer filled (the file's empty cells)."""
        return ~self.mask

    def provenance(self, method: str) -> dict:
        return provenance(self, method)


def validate(x: np.ndarray, columns: tuple[str, ...], target: str | None = None, rows_in_file: int = 0) -> None:
    """Raises ValueError, one sentence, for a table whose holes this mode cannot fill (the parser,
    ``dgm_core.data.table_from_csv``, has already refused text, empty and constant columns and oversized files)."""
    if rows_in_file:
        raise ValueError(f"The file has {rows_in_file:,} rows; its own holes are filled in tables of at most "
                         f"{budgets.TABLE_MAX_ROWS:,} rows (every row is kept and filled): split it.")
    if np.isfinite(x).all():
        raise ValueError("The table has no empty cell, so there is nothing of its own to fill; simulate a "
                         "mechanism on it instead.")
    if target is not None:
        if target not in columns:
            raise ValueError(f"There is no column '{budgets.shorten(target)}' to use as the target.")
        holes = int(np.isnan(x[:, columns.index(target)]).sum())
        if holes:
            raise ValueError(f"The target '{budgets.shorten(target)}' has {holes} empty cell{'s' if holes > 1 else ''}"
                             ": a target must be complete (it is a predictor here, never filled); choose no target "
                             "or drop those rows.")
    if (~np.isfinite(x)).all(1).any():
        n = int((~np.isfinite(x)).all(1).sum())
        raise ValueError(f"{n} row{'s are' if n > 1 else ' is'} empty in every column: nothing in "
                         f"{'them' if n > 1 else 'it'} can be learnt or kept; delete {'them' if n > 1 else 'it'}.")


def new_model(method: str, n_features: int, s: Settings, widths: tuple[int, ...] | None = None) -> NotMIWAE:
    """MIWAE or the not-MIWAE of ``s.family``, freshly initialised from ``s.seed``: the weights the server trains from
    and the ones it sends a visitor's browser to train from (server.own_table_job). ``widths``: each column's
    inputs (``design``; None: one each)."""
    p = PRESETS[s.preset]
    missing = MISSING[method]
    signs = None
    if missing == "selfmasking_known":
        widths = widths or (1,) * n_features
        kinds = s.kinds or ("continuous",) * len(widths)
        per = s.directions or (s.direction,) * len(widths)
        # a binary or categorical column's one-hot inputs: its holes at random (a level hides no value)
        signs = tuple(DIRECTIONS[d] if k == "continuous" else 0.0
                      for d, k, w in zip(per, kinds, widths, strict=True) for _ in range(w))
    torch.manual_seed(s.seed)
    return NotMIWAE(Config(n_features=n_features, hidden=p["hidden"], missing=missing, signs=signs))


def browser_trains(n_rows: int, s: Settings) -> bool:
    """Whether a visitor's browser may train this table's MIWAE and not-MIWAE (every column continuous, at most
    BROWSER_ROWS rows, a BROWSER_PRESETS budget; server.own_table_job.where says why not in words)."""
    return (n_rows <= BROWSER_ROWS and s.preset in BROWSER_PRESETS
            and all(k == "continuous" for k in s.kinds or ()))


def _fit_model(method: str, z: np.ndarray, mask: np.ndarray, s: Settings, on_step: Callable[[int, int], None] | None,
               widths: tuple[int, ...] | None = None) -> tuple[NotMIWAE, tabular.TabularImputation]:
    """Train MIWAE or the not-MIWAE of ``s.family`` on the standardised table z (holes never read) and impute. Where
    a browser could train the table too (``browser_trains``), every batch and noise comes from the browser's generator
    (SplitMix(seed), a fresh one per model: its training's draws, then its imputation's), so that the same seed fills
    the same numbers on either side; elsewhere from torch's."""
    p = PRESETS[s.preset]
    model = new_model(method, z.shape[1], s, widths)
    z0 = np.where(mask, z, 0.0)
    cb = (lambda it, _loss: on_step(it, p["iterations"])) if on_step else None
    draws = SplitMix(s.seed) if browser_trains(len(z), s) else None
    with tabular.single_thread():
        tabular.fit(model, z0, mask, iterations=p["iterations"], lr=p["lr"], k=p["k"], seed=s.seed, callback=cb,
                    every=max(p["iterations"] // 20, 1), draws=draws, batch=BATCH)
        imp = tabular.impute(model, z0, mask, n_samples=p["n_samples"], n_draws=s.draws, seed=s.seed + 1,
                             draws=draws)
    return model, imp


def complete(x: np.ndarray, columns: tuple[str, ...], settings: Settings = Settings(), *, source: str = "",
             on_progress: Progress | None = None,
             learnt: dict[str, tuple[NotMIWAE, tabular.TabularImputation]] | None = None,
             trained_in: str = "the server (PyTorch)", only: tuple[str, ...] | None = None) -> Completed:
    """Fill the empty cells of x: (N, D) (NaN) with every imputer of ``settings.methods`` (``only``: those of them).
    Raises ValueError.
    ``learnt``: MIWAE's and the not-MIWAE's fitted model and imputation (standardised units) where they were trained
    elsewhere (the visitor's browser, server.own_table_job): only the baselines then run here; ``trained_in``
    says where, for the provenance."""
    x = np.asarray(x, np.float64)
    columns = tuple(map(str, columns))
    validate(x, columns, settings.target)
    mask = np.isfinite(x)
    kinds = settings.kinds or ("continuous",) * x.shape[1]
    if len(kinds) != x.shape[1]:
        raise ValueError(f"Give one kind per column: {x.shape[1]} columns, {len(kinds)} kinds.")
    d, blocks = design(x, kinds)
    dmask = np.isfinite(d)
    std = tabular.Standardiser.fit(np.where(dmask, d, 0.0), dmask)
    z = std.forward(np.where(dmask, d, 0.0))
    # observed cells: the file's, exactly; a one-hot block's fill is decoded to its level
    back = lambda zz: np.where(mask if zz.ndim == 2 else mask[:, None], x if zz.ndim == 2 else x[:, None],  # noqa: E731
                               undesign(std.inverse(zz), kinds, blocks))
    categorical = any(k != "continuous" for k in kinds)
    wanted = lambda m: only is None or m in only  # noqa: E731
    steps = len(settings.methods) + 1  # MICE's draws count as one step
    deep = [m for m in ("miwae", settings.family) if wanted(m)] if not learnt else []
    iterations = PRESETS[settings.preset]["iterations"]
    pace = Pace(on_progress or (lambda f, what: None), iterations, len(deep))
    # the baselines: a share of the bar by their count, all of it where no model trains here
    say = pace.early if deep else (on_progress or (lambda f, what: None))
    fills: dict[str, Fill] = {}
    for i, name in enumerate(BASELINES):
        if not wanted(name):
            continue
        say(i / steps, f"{MNAR.label(name)}…")
        kw = FOREST if name == "missForest" else {"sample_posterior": True} if name == "MICE" else {}
        filled = baselines.run_baseline(name, z, dmask, seed=settings.seed, **kw)
        table = back(filled)
        fills[name] = Fill(name, _classified(name, filled, table, kinds, blocks, settings.seed) if categorical
                           else table)
    if wanted("MICE"):
        say(len(BASELINES) / steps, f"MICE: {settings.draws} multiple imputations…")
        draws = baselines.mice_draws(z, dmask, n_draws=settings.draws, max_iter=MICE_DRAW_ITER, seed=settings.seed)
        mice = back(draws)
        if categorical:  # each draw's levels drawn from its own logistic regressions
            for m in range(settings.draws):
                mice[:, m] = _classified("MICE", draws[:, m], mice[:, m], kinds, blocks, settings.seed + m)
        fills["MICE"].draws = mice
    model = None
    for i, method in enumerate(m for m in ("miwae", settings.family) if wanted(m)):
        # the whole job's steps done: the earlier models' every step and this one's
        tick = lambda it, total, m=method, i=i: pace.step(i * iterations + it,  # noqa: E731
                                                          f"{MNAR.label(m)}: iteration {it:,}/{total:,}")
        if learnt:
            fitted, imp = learnt[method]
        else:
            fitted, imp = _fit_model(method, z, dmask, settings, tick, tuple(b.stop - b.start for b in blocks))
            pace.imputed(imp.seconds)
        fills[method] = Fill(method, back(imp.mean), back(imp.draws))
        model = fitted
    (on_progress or (lambda f, what: None))(1.0, "done")
    return Completed(columns, x, mask, settings, fills, source, model, trained_in)


# ---------------------------------------------------------------- provenance and the CSV a researcher downloads
def versions() -> dict[str, str]:
    import sklearn
    return {"dgm_core": __version__, "torch": torch.__version__, "scikit-learn": sklearn.__version__,
            "numpy": np.__version__}


def provenance(done: Completed, method: str) -> dict:
    """Where a completed table comes from: the file, its columns and holes, the imputer, the missing model it assumes,
    its settings and seed, the package versions."""
    s, p = done.settings, PRESETS[done.settings.preset]
    mechanism = "none modelled (assumes missing at random)"
    if method in FAMILIES:
        mechanism = FAMILIES[method]
        if method == "notmiwae_known":
            per = s.directions or (s.direction,) * len(done.columns)
            mechanism += ": " + ", ".join(f"{c} {'at random' if d == 'mcar' else d + ' values go missing'}"
                                          for c, d in zip(done.columns, per, strict=True))
    if method in ("miwae", *FAMILIES):
        how = {"iterations": p["iterations"], "hidden": p["hidden"], "lr": p["lr"], "K": p["k"],
               "importance_samples": p["n_samples"], "draws": s.draws, "trained_in": done.trained_in}
    else:
        how = {"mean": {}, "kNN": {"n_neighbors": 5},
               "MICE": {"max_iter": 10, "sample_posterior": True, "draws": s.draws, "draws_max_iter": MICE_DRAW_ITER},
               "missForest": {"estimator": "RandomForestRegressor", **FOREST}}[method]
    kinds = s.kinds or ("continuous",) * len(done.columns)
    if any(k != "continuous" for k in kinds):
        how["categorical_fill"] = CATEGORICAL_FILL[method if method in CATEGORICAL_FILL else "deep"]
    return {"made_by": "DGM Lab, MNAR lab: your table's own holes", "file_sha256": done.source,
            "rows": int(done.x.shape[0]), "columns": list(done.columns), "cells_filled": int(done.filled.sum()),
            "imputer": MNAR.label(method), "imputer_id": method, "mechanism": mechanism,
            "column_kinds": dict(zip(done.columns, kinds, strict=True)),
            "settings": {"preset": s.preset, **how, "standardised_on": "observed cells"}, "seed": s.seed,
            "seed_matters": method in SEEDED, "target": s.target, "versions": versions()}


def flag_names(columns: tuple[str, ...]) -> list[str]:
    """The mask columns' names: '<column>_filled', with more underscores where the table already has that name."""
    taken, out = set(columns), []
    for c in columns:
        name = f"{c}_filled"
        while name in taken:
            name = "_" + name
        taken.add(name)
        out.append(name)
    return out


def csv_text(df, record: dict, filled: np.ndarray | None = None) -> str:
    """A frame as CSV with ``record`` first, one ``# key: JSON value`` line each (``pandas.read_csv(...,
    comment='#')`` and R's ``read.csv(comment.char = '#')`` skip them) and, with ``filled``: (N, D) bool, one 0/1
    column per column of df (``flag_names``), 1 where the cell was empty and was filled. The mask travels in the
    same file as the values it marks, so the two cannot be separated or mismatched."""
    df = df.copy()
    columns = tuple(map(str, df.columns))
    head = "".join(f"# {k}: {json.dumps(v, ensure_ascii=False, default=str)}\n" for k, v in record.items())
    if filled is not None:
        for name, j in zip(flag_names(columns), range(len(columns)), strict=True):
            df[name] = filled[:, j].astype(int)
        head += f"# flags: the last {len(columns)} columns are 1 where the cell was empty and was filled\n"
    return head + df.to_csv(index=df.index.name is not None, float_format="%.10g")


def to_csv(done: Completed, method: str, layout=None) -> str:
    """One imputer's completed table as CSV (``csv_text``): its provenance, the D columns, the filled mask.
    ``layout``: the upload's ``dgm_core.data.typed.Encoded``: levels written as the file wrote them, and the columns
    kept as they are (identifiers, dates) back in their places, untouched (their flags 0)."""
    import pandas as pd

    table = done.fills[method].table
    if layout is None:
        return csv_text(pd.DataFrame(table, columns=list(done.columns)), provenance(done, method), done.filled)
    df = layout.frame(table)
    filled = np.zeros(df.shape, bool)
    for j, c in enumerate(done.columns):
        filled[:, list(df.columns).index(c)] = done.filled[:, j]
    record = {**provenance(done, method), "kept_as_is": [c for c in df.columns if c not in done.columns]}
    return csv_text(df, record, filled)


def read_provenance(text: str) -> dict:
    """The ``# key: value`` lines at the top of a CSV written by ``to_csv`` (or the simulated path's downloads)."""
    out = {}
    for line in text.splitlines():
        if not line.startswith("# "):
            break
        key, _, value = line[2:].partition(": ")
        try:
            out[key] = json.loads(value)
        except json.JSONDecodeError:
            out[key] = value
    return out


def settings_record(s: Settings) -> dict:
    return asdict(s)
