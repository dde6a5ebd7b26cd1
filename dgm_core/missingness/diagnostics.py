"""Which mechanism made a table's holes? What the holes alone can say, and how far the answer may move.

- ``patterns``: which columns go missing together and how often (the picture of naniar's ``gg_miss_upset`` /
  ``vis_miss``; Tierney & Cook, "Expanding Tidy Data Principles to Facilitate Missing Data Exploration, Visualization
  and Assessment of Imputations", J. Stat. Softw. 105(7), 2023).
- ``little_mcar``: Little's test of missing completely at random (Little, "A Test of Missing Completely at Random for
  Multivariate Data with Missing Values", JASA 83(404), 1988): d² = Σ_j n_j (ȳ_j − μ_j)ᵀ Σ_j⁻¹ (ȳ_j − μ_j) over the
  missingness patterns j, with μ, Σ the maximum-likelihood normal estimates (EM, ``em_normal``), χ² with Σ_j p_j − p
  degrees of freedom. It can reject MCAR; it cannot tell MAR from MNAR, and no test on the observed data can.
- ``delta_shift`` / ``tipping_point``: the δ-adjustment of sensitivity analyses (van Buuren, "Flexible Imputation of
  Missing Data", 2nd ed., §3.8 and §9.2): every filled value moved by δ standard deviations of its column, and the δ
  at which a conclusion (a column's mean against a threshold, or one imputer's mean against another's) flips.
x: (N, D) float64, NaN = missing; masks bool, True = observed.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import chi2


@dataclass
class Patterns:
    """missing: (P, D) bool, True = missing in that pattern; counts: (P,) rows per pattern, most frequent first;
    per_column: (D,) missing cells per column; together: (D, D) rows missing both columns (diagonal: per_column)."""

    columns: tuple[str, ...]
    missing: np.ndarray
    counts: np.ndarray
    per_column: np.ndarray
    together: np.ndarray


def patterns(mask: np.ndarray, columns: tuple[str, ...]) -> Patterns:
    """The missingness patterns of mask: (N, D) (True = observed), most frequent first (ties: fewer holes first)."""
    miss = ~np.asarray(mask, bool)
    rows, counts = np.unique(miss, axis=0, return_counts=True)
    order = np.lexsort((rows.sum(1), -counts))
    m = miss.astype(np.int64)
    return Patterns(tuple(columns), rows[order], counts[order], miss.sum(0), m.T @ m)


def _groups(mask: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """[(observed columns of the pattern: (D,) bool, its rows)] for every missingness pattern."""
    rows, inverse = np.unique(mask, axis=0, return_inverse=True)
    return [(rows[k], np.flatnonzero(inverse.ravel() == k)) for k in range(len(rows))]


def em_normal(x: np.ndarray, max_iter: int = 10_000, tol: float = 1e-10) -> tuple[np.ndarray, np.ndarray]:
    """Maximum-likelihood mean (D,) and covariance (D, D) (divisor N) of a multivariate normal from rows with
    missing values, by EM (Dempster, Laird & Rubin 1977; Little & Rubin, "Statistical Analysis with Missing Data",
    §11.2): the E-step fills each row's missing part with its conditional mean and adds the conditional covariance."""
    x = np.asarray(x, np.float64)
    mask = np.isfinite(x)
    n, d = x.shape
    groups = _groups(mask)
    mu, sigma = np.nanmean(x, 0), np.diag(np.nanvar(x, 0))
    for _ in range(max_iter):
        t1, t2 = np.zeros(d), np.zeros((d, d))
        for o, rows in groups:
            m = ~o
            full = np.zeros((len(rows), d))
            full[:, o] = x[np.ix_(rows, o)]
            if m.any():
                b = np.linalg.solve(sigma[np.ix_(o, o)], sigma[np.ix_(o, m)]).T if o.any() else np.zeros((m.sum(), 0))
                full[:, m] = mu[m] + (full[:, o] - mu[o]) @ b.T
                t2[np.ix_(m, m)] += len(rows) * (sigma[np.ix_(m, m)] - b @ sigma[np.ix_(o, m)])
            t1 += full.sum(0)
            t2 += full.T @ full
        new_mu = t1 / n
        new_sigma = t2 / n - np.outer(new_mu, new_mu)
        done = max(np.abs(new_mu - mu).max(), np.abs(new_sigma - sigma).max()) < tol * (1 + np.abs(sigma).max())
        mu, sigma = new_mu, new_sigma
        if done:
            break
    return mu, sigma


@dataclass(frozen=True)
class LittleTest:
    statistic: float  # d²
    df: int
    p_value: float
    patterns: int

    def sentence(self, level: float = 0.05) -> str:
        verdict = (f"the holes are not missing completely at random (p = {self.p_value:.2g} < {level:g}): which rows "
                   "have holes depends on the data, so the mean fill is biased; whether on the observed values (MAR) "
                   "or on the missing ones themselves (MNAR) no test on the observed data can tell"
                   if self.p_value < level else
                   f"the test finds no evidence against missing completely at random (p = {self.p_value:.2g}); that "
                   "is not evidence for it: a self-masking mechanism in one column can pass unseen")
        return (f"Little's test: d² = {self.statistic:.2f} on {self.df} degrees of freedom over {self.patterns} "
                f"patterns; {verdict}.")


def little_mcar(x: np.ndarray) -> LittleTest:
    """Little's (1988) MCAR test of x: (N, D), NaN = missing, with the normal ML estimates of ``em_normal``; a
    pattern with no observed column adds nothing (as naniar's ``mcar_test``). Raises ValueError without holes."""
    x = np.asarray(x, np.float64)
    mask = np.isfinite(x)
    if mask.all():
        raise ValueError("The table has no missing value, so there is no missingness to test.")
    mu, sigma = em_normal(x)
    d2, kept = 0.0, 0
    groups = _groups(mask)
    for o, rows in groups:
        if not o.any():
            continue
        diff = x[np.ix_(rows, o)].mean(0) - mu[o]
        d2 += len(rows) * float(diff @ np.linalg.solve(sigma[np.ix_(o, o)], diff))
        kept += int(o.sum())
    df = kept - x.shape[1]
    return LittleTest(d2, df, float(chi2.sf(d2, df)) if df > 0 else float("nan"), len(groups))


# ---------------------------------------------------------------- per column: do the holes depend on the others?
DIRECTION_MIN_SD = 0.1  # a predicted shift smaller than this (in sd) sets no direction, however significant


@dataclass(frozen=True)
class ColumnCheck:
    """One column's holes against the other columns' values. p_depends: a likelihood-ratio test of a logistic
    regression of the column's missingness on the others (against an intercept alone); shift: the mean, in sd of the
    column's observed values, of its value as predicted from the others (a linear regression fitted on its observed
    rows) in the holed rows minus that in the observed rows, and p_shift its Welch t-test; default: the missing model
    the evidence suggests, 'high' or 'low' where the holed rows are predicted significantly higher or lower (at
    ``level`` / the number of holed columns), else 'mcar'."""

    column: str
    holes: int
    p_depends: float
    shift: float
    p_shift: float
    default: str

    def reason(self) -> str:
        if self.default == "mcar":
            seen = (f"the holed rows' values, predicted from the other columns, sit {self.shift:+.2f} sd from the "
                    f"observed rows' (p = {self.p_shift:.2g}): no direction")
            if self.p_depends < 0.05:
                return (f"the holes depend on the other columns (p = {self.p_depends:.2g}) but {seen}, so at random "
                        "given them (the imputers condition on them), no self-masking assumed")
            return (f"the holes do not depend on the other columns (p = {self.p_depends:.2g}) and {seen}, so "
                    "completely at random unless you know better")
        return (f"the holed rows' values, predicted from the other columns, sit {self.shift:+.2f} sd from the observed "
                f"rows' (p = {self.p_shift:.2g}): {self.default} values go missing, as far as the others tell")


def column_checks(x: np.ndarray, columns: tuple[str, ...], level: float = 0.05) -> list[ColumnCheck]:
    """A ``ColumnCheck`` for every column of x: (N, D) with holes and at least 3 observed values (the others' holes
    filled with their observed mean for the regressions)."""
    from scipy.stats import ttest_ind
    from sklearn.linear_model import LinearRegression, LogisticRegression

    x = np.asarray(x, np.float64)
    holes = np.isnan(x)
    mean, sd = np.nanmean(x, 0), observed_sd(x)
    z = (np.where(holes, mean, x) - mean) / sd
    holed = [j for j in range(x.shape[1]) if holes[:, j].any() and (~holes[:, j]).sum() >= 3]
    out = []
    for j in holed:
        r, others = holes[:, j], np.delete(z, j, axis=1)
        p = r.mean()
        null = len(r) * (p * np.log(p) + (1 - p) * np.log(1 - p))
        fit = LogisticRegression(C=1e4, max_iter=500).fit(others, r)
        q = np.clip(fit.predict_proba(others)[:, 1], 1e-12, 1 - 1e-12)
        ll = float(np.sum(np.where(r, np.log(q), np.log(1 - q))))
        p_dep = float(chi2.sf(max(2 * (ll - null), 0.0), others.shape[1]))
        pred = LinearRegression().fit(others[~r], z[~r, j]).predict(others)
        shift = float(pred[r].mean() - pred[~r].mean())
        p_shift = float(ttest_ind(pred[r], pred[~r], equal_var=False).pvalue) if r.sum() > 1 else 1.0
        p_shift = 1.0 if not np.isfinite(p_shift) else p_shift
        strong = p_shift < level / len(holed) and abs(shift) >= DIRECTION_MIN_SD
        out.append(ColumnCheck(str(columns[j]), int(r.sum()), p_dep, shift, p_shift,
                               ("high" if shift > 0 else "low") if strong else "mcar"))
    return out


# ---------------------------------------------------------------- δ-adjustment
def observed_sd(x: np.ndarray) -> np.ndarray:
    """(D,) sd of each column's observed values (divisor N_observed), 1 where a column is constant."""
    sd = np.nanstd(np.asarray(x, np.float64), 0)
    return np.where(np.isfinite(sd) & (sd > 0), sd, 1.0)


def delta_shift(table: np.ndarray, filled: np.ndarray, sd: np.ndarray, delta: float) -> np.ndarray:
    """A completed table: (N, D) with every filled cell (filled: (N, D) bool) moved by delta x sd: (D,)."""
    return table + delta * np.asarray(sd)[None, :] * filled


def mean_at(table: np.ndarray, filled: np.ndarray, sd: np.ndarray, j: int, delta: float) -> float:
    """Column j's mean after ``delta_shift``: mean(0) + delta sd_j (share of column j filled)."""
    return float(table[:, j].mean() + delta * sd[j] * filled[:, j].mean())


def tipping_point(table: np.ndarray, filled: np.ndarray, sd: np.ndarray, j: int, threshold: float) -> float | None:
    """The δ at which column j's mean, its filled cells shifted by δ sd_j, reaches ``threshold`` (the mean is linear
    in δ, so this is exact); None when the column has no filled cell."""
    share = float(filled[:, j].mean())
    if share == 0:
        return None
    return (threshold - float(table[:, j].mean())) / (sd[j] * share)


def tipping_points(fills: dict[str, np.ndarray], filled: np.ndarray, sd: np.ndarray, j: int, threshold: float,
                   reference: str | None = None) -> dict[str, dict]:
    """Per imputer: its column-j mean unshifted, the δ at which it reaches ``threshold``, and (with ``reference``) the
    δ at which it reaches the reference imputer's unshifted mean, where the ranking of the two flips."""
    out = {}
    for m, t in fills.items():
        row = {"mean": float(t[:, j].mean()), "delta_to_threshold": tipping_point(t, filled, sd, j, threshold)}
        if reference is not None and reference in fills and m != reference:
            row["delta_to_reference"] = tipping_point(t, filled, sd, j, float(fills[reference][:, j].mean()))
        out[m] = row
    return out


# ---------------------------------------------------------------- which way do the fills move?
def fill_shift(table: np.ndarray, mask: np.ndarray) -> float:
    """Where one imputer's fills sit: the mean, over every filled cell, of (fill − its column's observed mean) in sd
    of the column's observed values. table: (N, D) completed; mask: (N, D) True = observed. NaN with nothing
    filled. Positive: the fills sit above what was observed, towards values that hide when high."""
    mask = np.asarray(mask, bool)
    if mask.all():
        return float("nan")
    obs = np.where(mask, table, np.nan)
    z = (table - np.nanmean(obs, 0)) / observed_sd(obs)
    return float(z[~mask].mean())


def shift_sentence(shifts: dict[str, float], label, truth: float | None = None) -> str:
    """The measured shifts (method -> ``fill_shift``) in words, largest first; ``truth``: the hidden values' own
    shift, where it is known (a simulation), and whether each method moved towards it. ``label``: id -> name."""
    words = lambda v: f"{v:+.2f} sd"  # noqa: E731
    order = sorted(shifts, key=lambda m: -abs(shifts[m]))
    text = "Fills against the observed mean (mean over every filled cell, in sd of its column): " + ", ".join(
        f"{label(m)} {words(shifts[m])}" for m in order) + "."
    if truth is not None and np.isfinite(truth):
        toward = [label(m) for m in order if shifts[m] * truth > 0 and abs(shifts[m]) >= 0.1]
        text += (f" The hidden values themselves sit at {words(truth)}: "
                 + (f"{', '.join(toward)} move{'s' if len(toward) == 1 else ''} towards them"
                    if toward else "no method moves towards them by 0.1 sd or more") + ".")
    return text
