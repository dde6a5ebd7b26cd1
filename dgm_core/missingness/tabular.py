"""Missingness simulators for tables: MCAR, MAR / MNAR logistic, self-masking, quantile censoring (as in Muzellec
et al., "Missing Data Imputation using Optimal Transport", ICML 2020) and the not-MIWAE UCI protocol (Ipsen, Mattei
& Frellsen, "not-MIWAE", arXiv 2006.12871, §4.2).

x: (N, D) float; masks bool, True = observed (the papers' M = 1 is missing; converted once, in ``_result``).
Unlike Muzellec et al., self-masking biases are fitted per column with an explicit direction, and quantile
censoring refuses q >= 0.5 with cut='both' (that is MCAR). Bad parameters: ValueError, one sentence.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.special import expit

MECHANISMS = ("mcar", "mar_logistic", "mnar_logistic", "self_masked", "quantile", "notmiwae_uci")


@dataclass(frozen=True, eq=False)
class Missingness:
    mechanism: str
    mask: np.ndarray  # (N, D) bool, True = observed
    prob: np.ndarray  # (N, D) P(missing) that generated it
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return float(1.0 - self.mask.mean())

    @property
    def rate_per_feature(self) -> np.ndarray:
        return 1.0 - self.mask.mean(0)


def _check_x(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] < 2 or x.shape[1] < 1:
        raise ValueError("The data must be a table with at least 2 rows and 1 column.")
    if not np.isfinite(x).all():
        raise ValueError("The data must be complete (no NaN) before missing values are simulated.")
    return x


def _check_p(p: float, name: str = "p") -> float:
    if not 0.0 < float(p) < 1.0:
        raise ValueError(f"The missing rate {name} must be strictly between 0 and 1, got {p}.")
    return float(p)


def _standardise(x: np.ndarray) -> np.ndarray:
    sd = x.std(0)
    return (x - x.mean(0)) / np.where(sd > 0, sd, 1.0)


def _result(mechanism: str, prob: np.ndarray, rng: np.random.Generator, **params: Any) -> Missingness:
    missing = rng.random(prob.shape) < prob  # the papers' M = 1
    return Missingness(mechanism, ~missing, prob, params)  # the one conversion to True = observed


def fit_bias(score: np.ndarray, p: float) -> float:
    """b such that mean_i sigmoid(score_i + b) = p, by bisection on [-50, 50] (monotone in b)."""
    lo, hi = -50.0, 50.0
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if expit(score + mid).mean() < p else (lo, mid)
    return 0.5 * (lo + hi)


def mcar(x: np.ndarray, p: float, *, seed: int = 0) -> Missingness:
    """Every entry missing independently with probability p: P(M_ij = 1) = p."""
    x, p = _check_x(x), _check_p(p)
    return _result("mcar", np.full(x.shape, p), np.random.default_rng(seed), p=p)


def _logistic_columns(z_in: np.ndarray, n_targets: int, p: float, rng: np.random.Generator
                      ) -> tuple[np.ndarray, np.ndarray]:
    """P(missing) = sigmoid(z_in w_j + b_j) (N, n_targets), Var(z_in w_j) = 1, mean p per column; and w
    (n_in, n_targets)."""
    w = rng.standard_normal((z_in.shape[1], n_targets))  # N(0, I) as MissingDataOT (not U[0,1))
    score = z_in @ w
    scale = np.where(score.std(0) > 0, score.std(0), 1.0)
    score /= scale
    prob = np.stack([expit(score[:, j] + fit_bias(score[:, j], p)) for j in range(n_targets)], 1)
    return prob, w / scale


def _weight_map(w: np.ndarray, inputs: np.ndarray, targets: np.ndarray, d: int) -> np.ndarray:
    """(D, D) map M[j, k]: the weight of column k (per sd) on the logit of P(column j missing)."""
    m = np.zeros((d, d))
    m[np.ix_(targets, inputs)] = w.T
    return m


def mar_logistic(x: np.ndarray, p: float, p_obs: float = 0.3, *, seed: int = 0) -> Missingness:
    """max(floor(p_obs D), 1) random columns fully observed; the others P(M_ij = 1) = sigmoid(x_i,obs^T w_j + b_j)."""
    x, p = _check_x(x), _check_p(p)
    if not 0.0 < p_obs < 1.0 or x.shape[1] < 2:
        raise ValueError("MAR needs at least 2 columns and a fraction of always-observed columns p_obs in (0, 1).")
    rng = np.random.default_rng(seed)
    n_obs = min(max(int(p_obs * x.shape[1]), 1), x.shape[1] - 1)
    obs = rng.permutation(x.shape[1])[:n_obs]
    targets = np.setdiff1d(np.arange(x.shape[1]), obs)
    prob = np.zeros_like(x)
    prob[:, targets], w = _logistic_columns(_standardise(x)[:, obs], len(targets), p, rng)
    return _result("mar_logistic", prob, rng, p=p, p_obs=p_obs, observed_columns=obs.tolist(),
                   logit_weights=_weight_map(w, obs, targets, x.shape[1]))


def mnar_logistic(x: np.ndarray, p: float, p_params: float = 0.3, *, exclude_inputs: bool = True,
                  seed: int = 0) -> Missingness:
    """Logistic masking driven by input columns then masked MCAR(p) themselves (exclude_inputs=False: all drive all)."""
    x, p = _check_x(x), _check_p(p)
    if not 0.0 < p_params <= 1.0:
        raise ValueError(f"The fraction of input columns p_params must be in (0, 1], got {p_params}.")
    rng = np.random.default_rng(seed)
    z, d = _standardise(x), x.shape[1]
    if exclude_inputs and d >= 2:
        n_in = min(max(int(p_params * d), 1), d - 1)
        inputs = rng.permutation(d)[:n_in]
        targets = np.setdiff1d(np.arange(d), inputs)
        prob = np.full(x.shape, p)  # the inputs: MCAR(p)
        prob[:, targets], w = _logistic_columns(z[:, inputs], len(targets), p, rng)
    else:
        inputs = targets = np.arange(d)
        prob, w = _logistic_columns(z, d, p, rng)
    return _result("mnar_logistic", prob, rng, p=p, p_params=p_params, exclude_inputs=exclude_inputs,
                   input_columns=inputs.tolist(), logit_weights=_weight_map(w, inputs, targets, d))


def self_masked(x: np.ndarray, p: float, direction: str | np.ndarray = "high", steepness: float = 2.0,
                columns: np.ndarray | list[int] | None = None, *, seed: int = 0) -> Missingness:
    """P(M_ij = 1) = sigmoid(c_j k (x_ij - mean_j) / sd_j + b_j): c_j = +1 'high' / -1 'low' go missing,
    k = steepness, b_j fitted so each column's expected rate is p."""
    x, p = _check_x(x), _check_p(p)
    if not steepness > 0:
        raise ValueError(f"The steepness must be positive (the direction sets the sign), got {steepness}.")
    d = x.shape[1]
    cols = np.arange(d) if columns is None else np.asarray(columns, dtype=int)
    if len(cols) == 0 or cols.min() < 0 or cols.max() >= d:
        raise ValueError(f"The masked columns must be a non-empty subset of 0..{d - 1}.")
    if isinstance(direction, str):
        if direction not in ("high", "low"):
            raise ValueError(f"The direction must be 'high' or 'low' (values that go missing), not {direction!r}.")
        signs = np.full(d, 1.0 if direction == "high" else -1.0)
    else:
        signs = np.sign(np.asarray(direction, dtype=float))
        if signs.shape != (d,) or (signs == 0).any():
            raise ValueError(f"Per-feature directions must be {d} values of +1 (high) or -1 (low).")
    z = _standardise(x)
    prob = np.zeros_like(x)
    bias = np.zeros(d)
    for j in cols:
        score = signs[j] * steepness * z[:, j]
        bias[j] = fit_bias(score, p)
        prob[:, j] = expit(score + bias[j])
    return _result("self_masked", prob, np.random.default_rng(seed), p=p, steepness=steepness,
                   signs=signs.tolist(), columns=cols.tolist(), bias=bias.tolist())


def quantile_censoring(x: np.ndarray, p: float, q: float = 0.25, cut: str = "upper", p_params: float = 0.5,
                       mcar_too: bool = False, *, seed: int = 0) -> Missingness:
    """In max(floor(p_params D), 1) random columns, entries beyond Q_j(1-q) ('upper'), Q_j(q) ('lower') or
    either ('both') go missing with probability p; ``mcar_too``: every other entry MCAR(p)."""
    x, p = _check_x(x), _check_p(p)
    if cut not in ("upper", "lower", "both"):
        raise ValueError(f"The cut must be 'upper', 'lower' or 'both', not {cut!r}.")
    if not 0.0 < q < (0.5 if cut == "both" else 1.0):
        raise ValueError("The quantile q must be in (0, 0.5) for cut='both' (q >= 0.5 makes every entry "
                         "eligible, i.e. MCAR) and in (0, 1) otherwise." if cut == "both" else
                         f"The quantile q must be strictly between 0 and 1, got {q}.")
    if not 0.0 < p_params <= 1.0:
        raise ValueError(f"The fraction of censored columns p_params must be in (0, 1], got {p_params}.")
    rng = np.random.default_rng(seed)
    d = x.shape[1]
    cols = np.sort(rng.permutation(d)[:max(int(p_params * d), 1)])
    lo, hi = np.quantile(x, q, axis=0), np.quantile(x, 1 - q, axis=0)
    eligible = {"upper": x >= hi, "lower": x <= lo, "both": (x <= lo) | (x >= hi)}[cut]
    chosen = np.zeros(d, bool)
    chosen[cols] = True
    prob = np.where(eligible & chosen, p, p if mcar_too else 0.0)
    return _result("quantile", prob, rng, p=p, q=q, cut=cut, p_params=p_params, mcar_too=mcar_too,
                   columns=cols.tolist())


def notmiwae_uci(x: np.ndarray, offset: float = 0.0, n_features: int | None = None, *, seed: int = 0) -> Missingness:
    """In the first n_features = floor(D/2) columns, every value above mean + offset sd goes missing
    (deterministic; ``seed`` unused, for a common signature)."""
    x = _check_x(x)
    d = x.shape[1]
    n = d // 2 if n_features is None else int(n_features)
    if not 1 <= n <= d:
        raise ValueError(f"The number of censored features must be between 1 and {d}, got {n}.")
    if not -3.0 <= offset <= 3.0:
        raise ValueError(f"The threshold offset must be between -3 and 3 standard deviations, got {offset}.")
    z = _standardise(x)
    prob = np.zeros_like(x)
    prob[:, :n] = (z[:, :n] > offset).astype(float)
    return _result("notmiwae_uci", prob, np.random.default_rng(seed), offset=offset, n_features=n)


SIMULATORS = {"mcar": mcar, "mar_logistic": mar_logistic, "mnar_logistic": mnar_logistic,
              "self_masked": self_masked, "quantile": quantile_censoring, "notmiwae_uci": notmiwae_uci}


def simulate(x: np.ndarray, mechanism: str, *, seed: int = 0, **params: Any) -> Missingness:
    """Dispatch by name (the page's select box); unknown parameters are a ValueError, not a TypeError."""
    if mechanism not in SIMULATORS:
        raise ValueError(f"Unknown mechanism {mechanism!r}; choose one of {', '.join(MECHANISMS)}.")
    try:
        return SIMULATORS[mechanism](x, seed=seed, **params)
    except TypeError as e:
        raise ValueError(f"Wrong parameters for {mechanism}: {e}.") from None


def missing_curve(x: np.ndarray, result: Missingness, n_bins: int = 25) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per feature (bin centres, P(missing | x_j)): the generating probabilities averaged in quantile bins of x_j."""
    x = np.asarray(x, dtype=np.float64)
    out = []
    for j in range(x.shape[1]):
        edges = np.quantile(x[:, j], np.linspace(0, 1, n_bins + 1))
        edges = np.unique(edges)
        if len(edges) < 2:
            out.append((x[:1, j], result.prob[:1, j]))
            continue
        idx = np.clip(np.searchsorted(edges, x[:, j], side="right") - 1, 0, len(edges) - 2)
        counts = np.bincount(idx, minlength=len(edges) - 1)
        sums = np.bincount(idx, weights=result.prob[:, j], minlength=len(edges) - 1)
        keep = counts > 0
        centres = 0.5 * (edges[:-1] + edges[1:])
        out.append((centres[keep], sums[keep] / counts[keep]))
    return out
