"""How good are the fills of a table nobody knows the truth of? Overimputation: hide a share of the OBSERVED cells,
fill the table again with every imputer, and compare the fills with the values that were there (Blackwell, Honaker &
King, "A Unified Approach to Measurement Error and Missing Data", Sociological Methods & Research 2017; Amelia's
``overimpute``). The methods that give multiple imputations are also scored by how often their 90 % interval holds
the hidden value (nominal 0.90).

What it cannot tell: the hidden cells are observed ones, so under MNAR they are not like the real holes. Hiding them
completely at random ("mcar") checks each method where the data are; hiding them where the fitted not-MIWAE's missing
model says values tend to go missing ("mechanism") checks it where the holes are believed to be, as far as that
model is right. x: (N, D) float64, NaN = empty cell; masks bool, True = observed.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from scipy.special import expit

from . import tabular
from .missingness.tabular import fit_bias
from .own_table import INTERVAL, Completed, complete, design

HOW = {"mcar": "completely at random", "mechanism": "where the fitted not-MIWAE says values tend to go missing"}
MIN_LEFT = 3  # observed values each column keeps after the hiding (a constant or empty column teaches nothing)


@dataclass
class Check:
    """An overimputation. hidden: (N, D) the observed cells hidden; rows: one per (column, method) and per method
    over every column ("all columns", errors in sd of each column's observed values): n, rmse, rmse_sd, bias (mean
    fill minus the hidden value), coverage (share of hidden values inside the 90 % interval; None without draws);
    points: per hidden cell and method, for the observed-against-imputed plot: column, row, truth, method, fill,
    lo, hi (NaN without draws)."""

    how: str
    share: float
    hidden: np.ndarray
    rows: list[dict]
    points: dict[str, np.ndarray]


def hide(done: Completed, how: str, share: float, seed: int = 0) -> np.ndarray:
    """(N, D) bool: the observed cells to hide, a share ``share`` of each continuous column's (the target's and a
    binary or categorical column's never), completely
    at random or with the fitted missing model's P(missing | the not-MIWAE-completed row), its bias per column moved
    so that the expected share is ``share``. Each column keeps MIN_LEFT observed values and each row one."""
    if how not in HOW:
        raise ValueError(f"Hide cells {' or '.join(map(repr, HOW))}, not {how!r}.")
    if not 0 < share < 1:
        raise ValueError(f"The share of observed cells to hide must be between 0 and 1, not {share}.")
    mask, rng = done.mask, np.random.default_rng(seed)
    eligible = mask.copy()
    if done.settings.target is not None:
        eligible[:, done.columns.index(done.settings.target)] = False
    kinds = done.settings.kinds or ("continuous",) * mask.shape[1]
    eligible[:, [k != "continuous" for k in kinds]] = False  # RMSE scores numbers: levels are not hidden
    if how == "mcar":
        prob = np.full(mask.shape, share)
    else:
        if done.model is None or done.model.cfg.missing == "none":
            raise ValueError("Hiding by the mechanism needs the fitted not-MIWAE's missing model.")
        d, blocks = design(done.x, kinds)
        std = tabular.Standardiser.fit(np.where(np.isfinite(d), d, 0.0), np.isfinite(d))
        z = std.forward(design(done.fills[done.settings.family].table, kinds)[0])
        with torch.no_grad():
            logit = -done.model.logits_s(torch.as_tensor(z, dtype=torch.float32)).double().numpy()  # logit P(miss)
        score = logit[:, [b.start for b in blocks]]  # a continuous column's own
        prob = np.zeros(mask.shape)
        for j in range(mask.shape[1]):
            if eligible[:, j].any():
                prob[:, j] = expit(score[:, j] + fit_bias(score[eligible[:, j], j], share))
    hidden = eligible & (rng.random(mask.shape) < prob)
    for j in range(mask.shape[1]):  # a column keeps MIN_LEFT distinct observed values
        left = mask[:, j] & ~hidden[:, j]
        if len(np.unique(done.x[left, j])) < MIN_LEFT:
            hidden[:, j] = False
    empty = ~(mask & ~hidden).any(1)  # a row hidden entirely: give it back its first hidden cell
    hidden[empty, np.argmax(hidden[empty], axis=1)] = False
    return hidden


def _score(truth: np.ndarray, fill: np.ndarray, sd: float, lo: np.ndarray | None, hi: np.ndarray | None) -> dict:
    err = fill - truth
    rmse = float(np.sqrt(np.mean(err ** 2)))
    return {"n": int(len(truth)), "rmse": rmse, "rmse_sd": rmse / sd, "bias": float(err.mean()),
            "coverage": None if lo is None else float(np.mean((lo <= truth) & (truth <= hi)))}


def overimpute(done: Completed, how: str = "mcar", share: float = 0.1, *, seed: int | None = None,
               on_progress: Callable[[float, str], None] | None = None) -> Check:
    """Hide ``share`` of the observed cells (``hide``), complete the table again with ``done``'s settings (every model
    retrained), score every method on the hidden cells."""
    seed = done.settings.seed if seed is None else seed
    hidden = hide(done, how, share, seed)
    if not hidden.any():
        raise ValueError("No observed cell could be hidden: the table is too small or too empty for this check.")
    again = complete(np.where(hidden, np.nan, done.x), done.columns, done.settings, source=done.source,
                     on_progress=on_progress)
    sd = np.nanstd(np.where(done.mask, done.x, np.nan), 0)
    sd = np.where(sd > 0, sd, 1.0)
    rows, pts = [], {k: [] for k in ("column", "row", "truth", "method", "fill", "lo", "hi")}
    for method, fill in again.fills.items():
        band = fill.interval()
        all_t, all_f, all_lo, all_hi = [], [], [], []
        for j, col in enumerate(done.columns):
            cells = np.flatnonzero(hidden[:, j])
            if not len(cells):
                continue
            truth, f = done.x[cells, j], fill.table[cells, j]
            lo, hi = (None, None) if band is None else (band[0][cells, j], band[1][cells, j])
            rows.append({"column": col, "method": method, **_score(truth, f, float(sd[j]), lo, hi)})
            all_t.append(truth / sd[j])
            all_f.append(f / sd[j])
            if band is not None:
                all_lo.append(lo / sd[j])
                all_hi.append(hi / sd[j])
            nan = np.full(len(cells), np.nan)
            for k, v in (("column", np.full(len(cells), j)), ("row", cells), ("truth", truth),
                         ("method", np.full(len(cells), method, dtype=object)), ("fill", f),
                         ("lo", nan if lo is None else lo), ("hi", nan if hi is None else hi)):
                pts[k].append(v)
        cat = lambda parts: np.concatenate(parts) if parts else None  # noqa: E731
        rows.append({"column": "all columns", "method": method,
                     **_score(cat(all_t), cat(all_f), 1.0, cat(all_lo), cat(all_hi))})
    return Check(how, share, hidden, rows, {k: np.concatenate(v) for k, v in pts.items()})


def claims_intervals(done: Completed) -> list[str]:
    """The methods whose fills come with multiple imputations (so with a 90 % interval)."""
    return [m for m, f in done.fills.items() if f.draws is not None]


NOMINAL = INTERVAL
TOLERANCE = 0.05  # a coverage within this of NOMINAL counts as calibrated


def calibration(check: Check) -> dict[str, tuple[float, bool]]:
    """Per method that gives intervals: its coverage over every hidden cell and whether it is within TOLERANCE of
    NOMINAL."""
    return {r["method"]: (r["coverage"], abs(r["coverage"] - NOMINAL) <= TOLERANCE + 1e-12) for r in check.rows
            if r["column"] == "all columns" and r["coverage"] is not None}


def calibration_sentence(check: Check, label: Callable[[str], str]) -> str:
    """``calibration`` in words: which methods' 90 % intervals held the hidden values as often as they claim."""
    cal = calibration(check)
    ok = [f"{label(m)} {c:.2f}" for m, (c, good) in cal.items() if good]
    off = [f"{label(m)} {c:.2f}" for m, (c, good) in cal.items() if not good]
    return (f"Coverage of the {NOMINAL:.0%} intervals, within {TOLERANCE:g} of {NOMINAL:.2f}: "
            f"{', '.join(ok) if ok else 'none'}; outside: {', '.join(off) if off else 'none'}. The other methods "
            "give one fill and no interval.")


COSTS = 1.05  # an MNAR model whose overimputation RMSE is above this times the best's costs accuracy


def ranking(check: Check) -> list[tuple[str, float]]:
    """(method, RMSE in sd over every hidden cell), best first."""
    over = [(r["method"], r["rmse_sd"]) for r in check.rows if r["column"] == "all columns"]
    return sorted(over, key=lambda mr: mr[1])


def recommend(check: Check, family: str, label: Callable[[str], str]) -> tuple[str, str]:
    """The method to trust on this table by ``check``'s ranking, and one sentence on whether the MNAR model
    ``family`` costs accuracy here (its RMSE above COSTS times the best's) or earns it (the best)."""
    ranked = ranking(check)
    best, best_rmse = ranked[0]
    mine = dict(ranked).get(family)
    order = ", ".join(f"{label(m)} {v:.2f}" for m, v in ranked)
    head = f"Ranked by overimputation ({HOW[check.how]}; RMSE in sd): {order}. Trust {label(best)} here."
    if mine is None:
        return best, head
    if best == family:
        return best, head + f" The MNAR assumption earns its keep: {label(family)} fills best."
    if mine > COSTS * best_rmse:
        return best, head + (f" The MNAR assumption costs accuracy on this table: {label(family)} misses by "
                             f"{mine:.2f} sd against {label(best)}'s {best_rmse:.2f}; without evidence of self-masking "
                             "(the column checks above), prefer the latter.")
    return best, head + f" The MNAR assumption costs little here ({label(family)} {mine:.2f} sd)."
