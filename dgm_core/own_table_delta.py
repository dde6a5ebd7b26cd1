"""The δ-adjustment inside MICE's chained equations, as R's mice does it with its ``post`` argument (van Buuren,
"Flexible Imputation of Missing Data", 2nd ed. 2018, sections 3.9 and 9.2): every time the chain imputes the chosen
column, in every iteration, its imputed cells are moved by δ × sd before the next column is imputed, so the other
columns' imputations see the shifted values. The page's after-the-fact shift (own_table_pool.pooled_at) moves a
finished table's fills instead; the two agree when no other column with holes depends on the chosen one, and part
when they do (the shifted column pulls a correlated column's fills along, which pull its own next draw back up).

The chain is the page's MICE draw itself (baselines.mice_draws: IterativeImputer with Bayesian ridge posterior draws,
own_table.MICE_DRAW_ITER rounds, on the table standardised on its observed cells), fit l with seed ``seed + l`` as
own_table_pool.multiple's fit l: at δ = 0 its tables are the page's pooled MICE tables exactly, and every δ reuses
the same seeds, so the pooled mean moves smoothly with δ and a few false-position steps find where it tips.
x: (N, D) float64 in data units, NaN = a hole.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from sklearn.experimental import enable_iterative_imputer  # noqa: F401  (registers IterativeImputer)
from sklearn.impute import IterativeImputer

from . import baselines, tabular
from .own_table import MICE_DRAW_ITER, design
from .own_table_pool import M, REACH, Pooled, pool_column, tipping_by

STEPS = 12  # chained fits per tipping point at most, past the bracket (each costs m chains)


class _Posted(IterativeImputer):
    """IterativeImputer with mice's ``post``: design column ``post_feature``'s imputed cells moved by ``post_shift``
    (standardised units) each time the chain imputes it, in fitting and in transforming."""

    post_feature: int = -1
    post_shift: float = 0.0

    def _impute_one_feature(self, X_filled, mask_missing_values, feat_idx, neighbor_feat_idx, estimator=None,
                            fit_mode=True, params=None):
        X_filled, estimator = super()._impute_one_feature(X_filled, mask_missing_values, feat_idx, neighbor_feat_idx,
                                                          estimator, fit_mode, params)
        if feat_idx == self.post_feature and self.post_shift:
            X_filled[mask_missing_values[:, feat_idx], feat_idx] += self.post_shift
        return X_filled, estimator


def posted_draw(z: np.ndarray, mask: np.ndarray, feature: int, shift: float, *, max_iter: int = MICE_DRAW_ITER,
                seed: int = 0) -> np.ndarray:
    """One MICE draw of the standardised design z: (N, D') (mask True = observed) with design column ``feature``'s
    fills moved by ``shift`` inside every round; at shift 0, baselines.mice_draws' draw of the same seed."""
    imputer = _Posted(max_iter=max_iter, sample_posterior=True, random_state=seed)
    imputer.post_feature, imputer.post_shift = feature, float(shift)
    return baselines.run_imputer(imputer, z, mask, seed)


@dataclass
class InChain:
    """Column ``column``'s mean, pooled by Rubin's rules over m in-chain MICE draws (seeds seed .. seed + m - 1), as
    a function of δ (in sd of the column's observed values); each δ's pooling is kept."""

    z: np.ndarray
    mask: np.ndarray
    column: int
    feature: int  # the column's place in the design
    mean: float  # the standardiser's, to bring the column back to data units
    sd: float
    m: int = M
    seed: int = 0
    known: dict[float, Pooled] = field(default_factory=dict)
    base: np.ndarray | None = None  # the draws at δ = 0

    @classmethod
    def of(cls, x: np.ndarray, column: int, kinds: tuple[str, ...] | None = None, *, m: int = M, seed: int = 0
           ) -> InChain:
        """The chain of own_table.complete's MICE on x (its design and standardisation); column: a continuous one."""
        x = np.asarray(x, np.float64)
        kinds = kinds or ("continuous",) * x.shape[1]
        if kinds[column] != "continuous":
            raise ValueError("The δ shift moves a continuous column; this one holds levels.")
        if not 2 <= m <= 50:
            raise ValueError(f"Pooling needs between 2 and 50 fits, not {m}.")
        d, blocks = design(x, kinds)
        dmask = np.isfinite(d)
        std = tabular.Standardiser.fit(np.where(dmask, d, 0.0), dmask)
        f = blocks[column].start
        return cls(std.forward(np.where(dmask, d, 0.0)), dmask, column, f, float(std.mean[f]), float(std.sd[f]), m,
                   seed)

    def tables(self, delta: float) -> np.ndarray:
        """(m, N): the column in each of the m in-chain draws at δ, data units (observed cells as in the file); the
        draws at δ = 0 are kept."""
        if delta == 0 and self.base is not None:
            return self.base
        out = [posted_draw(self.z, self.mask, self.feature, delta, seed=self.seed + i)[:, self.feature]
               for i in range(self.m)]
        out = np.stack(out) * self.sd + self.mean
        if delta == 0:
            self.base = out
        return out

    def pooled(self, delta: float) -> Pooled:
        """Rubin's rules over the m in-chain draws' means at δ."""
        delta = float(delta)
        if delta not in self.known:
            self.known[delta] = pool_column(self.tables(delta))
        return self.known[delta]

    def after(self, delta: float) -> Pooled:
        """The m draws at δ = 0 with their fills moved by δ × sd after the fact (own_table_pool.pooled_at's shift)."""
        return pool_column(self.tables(0.0) + delta * self.sd * ~self.mask[:, self.feature])


def tipping(x: np.ndarray, column: int, threshold: float, kinds: tuple[str, ...] | None = None, *, m: int = M,
            seed: int = 0, guess: float | None = None, reach: float = REACH, steps: int = STEPS
            ) -> dict[str, float | int | None]:
    """MICE's tipping points with δ inside the chain: ``tipping_by`` on the in-chain pooled mean of x's column."""
    chain = InChain.of(x, column, kinds, m=m, seed=seed)
    tips = tipping_by(chain.pooled, threshold, guess=guess, reach=reach, steps=steps)
    return {**tips, "evaluations": len(chain.known)}
