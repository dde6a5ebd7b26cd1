"""Own-table mode's imputations as a distribution: every seeded imputer fits m times (one seed each), each fit gives
one completed table, and a quantity the user names (a column's mean) is pooled over the m tables with Rubin's rules
(Rubin, "Multiple Imputation for Nonresponse in Surveys", 1987; the small-sample degrees of freedom of Barnard &
Rubin, Biometrika 1999; as R's mice::pool).

With m completed tables, Q_l the quantity on table l and U_l its sampling variance there (for a mean: the table's
column variance / n):

    pooled estimate   Q̄ = (1/m) Σ_l Q_l
    within variance   Ū = (1/m) Σ_l U_l
    between variance  B = 1/(m-1) Σ_l (Q_l - Q̄)²
    total variance    T = Ū + (1 + 1/m) B
    share of it the holes add   λ = (1 + 1/m) B / T
    degrees of freedom   ν_old = (m - 1) / λ²,  ν_obs = (ν_com + 1)/(ν_com + 3) ν_com (1 - λ),
                         ν = ν_old ν_obs / (ν_old + ν_obs)   (ν_com = n - 1, the complete data's)
    interval          Q̄ ± t_{ν, 0.975} √T

A fit's completed table is its first multiple imputation where it draws them (MICE's posterior draw, MIWAE's and
not-MIWAE's importance-resampled draw: proper imputations) and its single fill otherwise (missForest). x: (N, D), NaN
= a hole.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import stats

from .own_table import SEEDED, Completed, Progress, Settings, complete

M = 5  # fits per seeded imputer (R mice's default m)
REACH = 50.0  # no tipping point is looked for beyond ±REACH sd


@dataclass
class Multiple:
    """m completions of one table, fit l with seed settings.seed + l."""

    fits: list[Completed]

    @property
    def m(self) -> int:
        return len(self.fits)

    def tables(self, method: str) -> np.ndarray:
        """(m, N, D): each fit's completed table (its first draw where it draws, else its fill)."""
        return np.stack([f.fills[method].table if f.fills[method].draws is None else f.fills[method].draws[:, 0]
                         for f in self.fits])

    def spread(self, method: str) -> np.ndarray:
        """(N, D): each cell's sd across the m tables (0 where observed)."""
        return np.where(self.fits[0].mask, 0.0, self.tables(method).std(0, ddof=1))


def multiple(x: np.ndarray, columns: tuple[str, ...], settings: Settings, m: int = M, *, source: str = "",
             only: tuple[str, ...] | None = None, on_progress: Progress | None = None) -> Multiple:
    """Fit every seeded imputer (``own_table.SEEDED``, or ``only``) m times, seeds settings.seed .. + m - 1."""
    if not 2 <= m <= 50:
        raise ValueError(f"Pooling needs between 2 and 50 fits, not {m}.")
    only = tuple(k for k in (only or SEEDED) if k in settings.methods)
    say = on_progress or (lambda f, what: None)
    fits = []
    for i in range(m):
        s = Settings(**{**settings.__dict__, "seed": settings.seed + i})
        fits.append(complete(x, columns, s, source=source, only=only,
                             on_progress=lambda f, what, i=i: say((i + f) / m, f"fit {i + 1} of {m}: {what}")))
    return Multiple(fits)


@dataclass(frozen=True)
class Pooled:
    """Rubin's rules over m estimates (see the module's docstring)."""

    estimate: float
    within: float
    between: float
    total: float
    df: float
    lo: float
    hi: float
    estimates: tuple[float, ...]

    @property
    def m(self) -> int:
        return len(self.estimates)

    @property
    def missing_share(self) -> float:
        """λ: the share of the total variance that the holes add."""
        return (1 + 1 / self.m) * self.between / self.total if self.total > 0 else 0.0


def rubin(q: np.ndarray, u: np.ndarray, n: int, level: float = 0.95) -> Pooled:
    """Rubin's rules for estimates q: (m,) with sampling variances u: (m,) from tables of n rows."""
    q, u = np.asarray(q, np.float64), np.asarray(u, np.float64)
    m = len(q)
    if m < 2:
        raise ValueError("Rubin's rules need at least 2 imputations.")
    qbar, ubar, b = q.mean(), u.mean(), q.var(ddof=1)
    t = ubar + (1 + 1 / m) * b
    lam = (1 + 1 / m) * b / t if t > 0 else 0.0
    com = max(n - 1, 1)
    obs = (com + 1) / (com + 3) * com * (1 - lam)
    old = (m - 1) / lam ** 2 if lam > 0 else np.inf
    df = obs if not np.isfinite(old) else old * obs / (old + obs)
    half = stats.t.ppf(0.5 + level / 2, df) * np.sqrt(t)
    return Pooled(float(qbar), float(ubar), float(b), float(t), float(df), float(qbar - half), float(qbar + half),
                  tuple(map(float, q)))


def pool_column(col: np.ndarray) -> Pooled:
    """A column's mean pooled over its values in m completed tables: (m, N), U_l = the table's variance / N."""
    n = col.shape[1]
    return rubin(col.mean(1), col.var(1, ddof=1) / n, n)


def pool_mean(mult: Multiple, method: str, column: int) -> Pooled:
    """A column's mean pooled over ``method``'s m completed tables."""
    return pool_column(mult.tables(method)[:, :, column])


def pooled_at(mult: Multiple, method: str, column: int, delta: float, sd: float) -> Pooled:
    """``pool_mean`` after every filled cell of the column, in each of the m drawn tables, moved by delta × sd."""
    return pool_column(mult.tables(method)[:, :, column] + delta * sd * mult.fits[0].filled[:, column])


def tipping(mult: Multiple, method: str, column: int, threshold: float, sd: float, reach: float = REACH
            ) -> dict[str, float | None]:
    """Where the δ shift, applied to each fit's drawn fills and pooled over the m fits, tips a conclusion about the
    column's mean against ``threshold`` (``tipping_by`` on pooled_at, to 1e-9 in δ)."""
    return tipping_by(lambda d: pooled_at(mult, method, column, d, sd), threshold, reach=reach, steps=200, tol=1e-9)


def tipping_by(at: Callable[[float], Pooled], threshold: float, *, guess: float | None = None, reach: float = REACH,
               steps: int = 12, tol: float = 1e-3, wanted: tuple[str, ...] = ("estimate", "interval")
               ) -> dict[str, float | None]:
    """Where a δ shift tips a conclusion about a column's mean against ``threshold``, for any pooled mean ``at(δ)``:
    'estimate', the δ at which the pooled mean reaches it; 'interval', the δ at which its 95 % interval first holds
    it (a difference from the threshold no longer significant; 0 where it already does). A bracket from 0 out to
    ``guess`` (× 1.25, doubled while the sign holds, at most ±reach), then false position (the Illinois rule) for at
    most ``steps`` evaluations, stopping once a step moves δ less than ``tol``. None where no δ within ±reach tips
    it. ``wanted``: which of the two to look for."""
    above = at(0.0).estimate > threshold
    sign = -1.0 if above else 1.0

    def gap(delta: float, what: str) -> float:
        p = at(delta)
        if what == "estimate":
            return p.estimate - threshold
        return (p.lo - threshold) if above else (threshold - p.hi)  # < 0 once the interval holds it

    def root(what: str) -> float | None:
        g0 = gap(0.0, what)
        if what == "interval" and g0 <= 0:
            return 0.0
        lo, glo = 0.0, g0
        hi = sign * min(max(1.25 * abs(guess), 0.05) if guess is not None and np.isfinite(guess) else 1.0, reach)
        ghi = gap(hi, what)
        while np.sign(ghi) == np.sign(g0):
            if abs(hi) >= reach:
                return None
            lo, glo, hi = hi, ghi, sign * min(2 * abs(hi), reach)
            ghi = gap(hi, what)
        side, mid = 0, (lo * ghi - hi * glo) / (ghi - glo)
        for _ in range(steps):
            gm = gap(mid, what)
            if gm == 0:
                return mid
            if np.sign(gm) == np.sign(glo):
                lo, glo = mid, gm
                ghi, side = (ghi / 2 if side == -1 else ghi), -1  # the same end moved twice: halve the other's gap
            else:
                hi, ghi = mid, gm
                glo, side = (glo / 2 if side == 1 else glo), 1
            mid, last = (lo * ghi - hi * glo) / (ghi - glo), mid
            if abs(mid - last) < tol:
                break
        return mid

    return {what: root(what) for what in wanted}


def long_csv(mult: Multiple, method: str, layout=None) -> str:
    """The m completed tables in one CSV, stacked (mice's complete(action = 'long')): a first column '.imp' (1..m),
    then the table as ``own_table.to_csv`` writes it; the provenance lists each fit's seed."""
    import pandas as pd

    from .own_table import csv_text, flag_names, provenance

    first = mult.fits[0]
    parts = []
    for i, table in enumerate(mult.tables(method)):
        df = pd.DataFrame(table, columns=list(first.columns)) if layout is None else layout.frame(table)
        for name, c in zip(flag_names(tuple(map(str, df.columns))), df.columns, strict=True):
            df[name] = first.filled[:, first.columns.index(c)].astype(int) if c in first.columns else 0
        df.insert(0, ".imp", i + 1)
        parts.append(df)
    record = {**provenance(first, method), "imputations": mult.m, "seeds": [f.settings.seed for f in mult.fits],
              "pooling": "the m completed tables stacked, '.imp' numbers them; pool with Rubin's rules"}
    return csv_text(pd.concat(parts, ignore_index=True), record)
