"""Training, importance-weighted imputation and prediction for the tabular (not-)MIWAE
(Ipsen, Mattei & Frellsen, "not-MIWAE", ICLR 2021, arXiv 2006.12871, §3 and App. B;
Mattei & Frellsen, "MIWAE", ICML 2019, arXiv 1812.02633, §3).

With L draws (z_l, x^m_l) ~ q(z|x^o) p(x^m|z) the self-normalised weights are
alpha_l ∝ p(s | x^o, x^m_l) p(x^o | z_l) p(z_l) / q(z_l | x^o): the missingness term p(s|x) is what
lets the imputation move *towards* the values that tend to go missing. From them come the conditional
mean and median (``impute``), multiple imputations by sampling-importance-resampling, and supervised
predictions p(y | x^o, s) ≈ sum_l alpha_l p(y | x^o ∪ x^m_l). Shapes: x (N, D), mask (N, D) bool,
True = observed; missing entries of x may hold NaN.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial

import numpy as np
import torch

from . import budgets
from .models.notmiwae import NotMIWAE, make_optimizer
from .xoshiro import Draws

Callback = Callable[[int, float], None]  # (iteration, running loss) -> None


@contextmanager
def single_thread():
    """Run on one intra-op thread: these matrices are tiny (16 x 128), so thread hand-offs cost more than
    they save, and on a shared CPU a second thread mostly waits."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@dataclass(frozen=True)
class Standardiser:
    """Per-feature mean and sd computed on the OBSERVED entries only. mean, sd: (D,)."""

    mean: np.ndarray
    sd: np.ndarray

    @classmethod
    def fit(cls, x: np.ndarray, mask: np.ndarray) -> Standardiser:
        xm = np.where(mask, x, np.nan)
        sd = np.nanstd(xm, 0)
        return cls(np.nan_to_num(np.nanmean(xm, 0)), np.where(np.isfinite(sd) & (sd > 0), sd, 1.0))

    def forward(self, x: np.ndarray) -> np.ndarray:
        return (x - self.mean) / self.sd

    def inverse(self, z: np.ndarray) -> np.ndarray:
        return z * self.sd + self.mean


def rmse_missing(x_true: np.ndarray, x_hat: np.ndarray, mask: np.ndarray) -> float:
    """RMSE over the missing entries only (mask True = observed)."""
    miss = ~np.asarray(mask, bool)
    if not miss.any():
        return float("nan")
    return float(np.sqrt(np.mean((np.asarray(x_true)[miss] - np.asarray(x_hat)[miss]) ** 2)))


def _tensor(x: np.ndarray, mask: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    xt = torch.as_tensor(np.where(mask, x, 0.0), dtype=torch.float32)
    return xt, torch.as_tensor(np.asarray(mask, bool))


def fit(model: NotMIWAE, x: np.ndarray, mask: np.ndarray, *, iterations: int = 20000, batch: int = 16,
        k: int = 20, lr: float = 1e-3, seed: int = 0, y: np.ndarray | None = None,
        callback: Callback | None = None, every: int = 500, compile: bool = False, draws: Draws | None = None,
        trace: list[float] | None = None) -> list[tuple[int, float]]:
    """Adam on -bound for a fixed number of iterations (no early stopping: under MNAR the imputation
    error cannot be monitored, paper §4.2). x: (N, D) standardised. Returns [(iteration, mean loss)].

    ``compile``: run the loss through ``torch.compile`` (fused kernels, after a compile that only long
    runs repay). Same noise, same result up to rounding. ``draws``: take each step's batch rows and noise from the
    browser's generator (``dgm_core.xoshiro``) in the browser trainer's order (rows, then z's noise, then x's)
    instead of torch's, so that a training in the visitor's browser (static/js/tabular) is replayed exactly.
    ``trace``: every step's loss is appended to it."""
    xt, st = _tensor(x, mask)
    yt = None if y is None else torch.as_tensor(y)
    g = torch.Generator().manual_seed(int(seed))
    torch.manual_seed(int(seed))  # _standard_gamma (Student t) has no generator argument
    opt = make_optimizer(model, lr)
    b = min(batch, xt.shape[0])
    idx_all = torch.randint(0, xt.shape[0], (iterations, b), generator=g) if draws is None else None
    history, running = [], 0.0
    model.train()
    loss_fn = compiled_loss(model, k) if compile else partial(_loss, model, k)
    for it in range(iterations):
        if draws is None:
            idx = idx_all[it]
            noise = model.noise(k, len(idx), g)
        else:
            idx, noise = _replayed(model, draws, xt.shape[0], b, k)
        loss = loss_fn(xt[idx], st[idx], None if yt is None else yt[idx], noise)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if trace is not None:
            trace.append(float(loss.item()))
        running += loss.item() if (it + 1) % 10 == 0 else 0.0  # .item() syncs: sample 1 in 10
        if (it + 1) % every == 0 or it + 1 == iterations:
            n_samples = max(((it + 1) - (history[-1][0] if history else 0)) // 10, 1)
            history.append((it + 1, running / n_samples))
            running = 0.0
            if callback is not None:
                callback(it + 1, history[-1][1])
    model.eval()
    return history


def _replayed(model: NotMIWAE, draws: Draws, n: int, b: int, k: int) -> tuple[torch.Tensor, dict]:
    """One step's rows (b,) and noise (z: (K, b, p), x: (K, b, D)) from the browser's generator, in its order."""
    idx = torch.from_numpy(draws.rows(n, b))
    return idx, _replayed_noise(model, draws, k, b)


def _replayed_noise(model: NotMIWAE, draws: Draws, k: int, b: int) -> dict[str, torch.Tensor]:
    """z's noise (K, b, p), then x's (K, b, D), from the browser's generator."""
    if model.cfg.decoder != "gaussian":
        raise ValueError("The browser's trainer, and so its replay, has the Gaussian decoder only.")
    p, d = model.cfg.d_latent, model.cfg.n_features
    return {"z": torch.from_numpy(draws.normal(k * b * p)).view(k, b, p),
            "x": torch.from_numpy(draws.normal(k * b * d)).view(k, b, d)}


def browser_block(n: int, n_samples: int, hidden: int, d: int) -> int:
    """Rows per block of the browser's imputation (its (L, rows, hidden) activations stay small): the blocks decide
    the order of its draws, so a replay takes the same."""
    return max(1, min(n, 200_000 // (n_samples * max(hidden, d))))


def _loss(model: NotMIWAE, k: int, x: torch.Tensor, s: torch.Tensor, y: torch.Tensor | None,
          noise: dict[str, torch.Tensor]) -> torch.Tensor:
    return -model.bound(x, s, k, None, y, noise).mean()


def compiled_loss(model: NotMIWAE, k: int):
    """``_loss`` through torch.compile (the noise comes in as tensors, so the graph has no breaks)."""
    return torch.compile(partial(_loss, model, k), dynamic=False)


@dataclass
class TabularImputation:
    """mean/median: (N, D) single imputations; draws: (N, M, D) multiple imputations; observed
    entries are the input's, exactly. ess: (N,) effective sample size of the weights."""

    mean: np.ndarray
    median: np.ndarray | None
    draws: np.ndarray | None
    ess: np.ndarray
    seconds: float = 0.0
    extra: dict = field(default_factory=dict)


def _cdf(model: NotMIWAE, par: dict[str, torch.Tensor], v: torch.Tensor) -> torch.Tensor:
    u = (v - par["loc"]) / par["scale"]
    if "df" in par:  # Student t CDF via the regularised incomplete beta (scipy; torch has none)
        from scipy.stats import t as student_t
        return torch.as_tensor(student_t.cdf(u.numpy(), par["df"].numpy()), dtype=u.dtype)
    return torch.special.ndtr(u)


@torch.no_grad()
def _mixture_median(model, par, alpha, lo, hi, n_iter: int = 30) -> torch.Tensor:
    """Solve sum_l alpha_l F(x | z_l) = 1/2 by bisection. par: (L, b, D), alpha: (L, b) -> (b, D)."""
    a = alpha.unsqueeze(-1)
    for _ in range(n_iter):
        mid = 0.5 * (lo + hi)
        below = (a * _cdf(model, par, mid.unsqueeze(0))).sum(0) < 0.5
        lo, hi = torch.where(below, mid, lo), torch.where(below, hi, mid)
    return 0.5 * (lo + hi)


@torch.no_grad()
def _weighted_median(points: torch.Tensor, alpha: torch.Tensor) -> torch.Tensor:
    """The alpha-weighted median of draws, per entry: the smallest point whose cumulative weight
    reaches 1/2. points: (L, b, D), alpha: (L, b) summing to 1 over L -> (b, D)."""
    v, order = points.sort(0)
    cum = alpha.unsqueeze(-1).expand_as(points).gather(0, order).cumsum(0)
    idx = (cum < 0.5).sum(0, keepdim=True).clamp_max(points.shape[0] - 1)
    return v.gather(0, idx).squeeze(0)


@torch.no_grad()
def impute(model: NotMIWAE, x: np.ndarray, mask: np.ndarray, *, n_samples: int = 10000, n_draws: int = 0,
           median: bool = False, seed: int = 0, use_missing_model: bool = True, estimator: str = "samples",
           max_block: int = 200_000, draws: Draws | None = None) -> TabularImputation:
    """Importance-weighted imputation (weights include log p(s|x) unless use_missing_model=False,
    which exists only to show, and test, what leaving it out does). x: (N, D) standardised.

    estimator="samples": sum_l alpha_l x^m_l, consistent for E[x^m | x^o, s]; "rao_blackwell":
    sum_l alpha_l E[x^m | z_l] (paper App. B), lower variance but it ignores that, given z, the
    mask still says something about x^m (it is exact only when s is independent of x^m given z).
    The median (``median=True``, Gaussian and Student-t decoders) follows the same rule: the weighted
    median of the draws x^m_l under a missing model, the root of the mixture CDF otherwise; the mixture
    CDF sum_l alpha_l F(x | z_l) leaves p(s | x^m) out, so under MNAR it stays at the decoder's median.
    ``draws``: every block's noise and every resampling's uniforms from the browser's generator (``dgm_core.xoshiro``),
    in the browser's blocks and order (static/js/tabular/notmiwae.js ``impute``), instead of torch's."""
    if estimator not in ("samples", "rao_blackwell"):
        raise ValueError(f"estimator must be 'samples' or 'rao_blackwell', not {estimator!r}.")
    t0 = time.perf_counter()
    xt, st = _tensor(x, mask)
    g = torch.Generator().manual_seed(int(seed))
    torch.manual_seed(int(seed))
    n, d = xt.shape
    rows = max(1, min(max_block // n_samples, budgets.IMPUTE_BLOCK_ELEMENTS // (n_samples * d)))
    if draws is not None:
        rows = browser_block(n, n_samples, model.cfg.hidden, d)
    mean, med, picks, ess = [], [], [], []
    for i in range(0, n, rows):
        xb, sb = xt[i:i + rows], st[i:i + rows]
        noise = None if draws is None else _replayed_noise(model, draws, n_samples, len(xb))
        t = model.log_weights(xb, sb, n_samples, g, relaxed=False, noise=noise)
        log_w = t["log_w"] if use_missing_model else t["log_w"] - t["log_ps"]
        alpha = torch.softmax(log_w, 0)  # (L, b)
        ess.append(1.0 / alpha.pow(2).sum(0))
        use_draws = estimator == "samples" and model.cfg.missing != "none"
        point = t["x_full"] if use_draws else model.mean(t["par"])
        m = (alpha.unsqueeze(-1) * point).sum(0)
        mean.append(torch.where(sb, xb, m))
        if median and "loc" in t["par"]:
            if use_draws:
                mid = _weighted_median(t["x_full"], alpha)
            else:
                spread = 10 * t["par"]["scale"].max()
                lo, hi = t["par"]["loc"].min(0).values - spread, t["par"]["loc"].max(0).values + spread
                mid = _mixture_median(model, t["par"], alpha, lo, hi)
            med.append(torch.where(sb, xb, mid))
        if n_draws:
            if draws is None:
                idx = torch.multinomial(alpha.T, n_draws, replacement=True, generator=g)  # (b, M)
            else:  # the browser's inverse-CDF resampling: the first l whose cumulative weight reaches u
                u = draws.uniform64(len(xb) * n_draws).reshape(len(xb), n_draws)
                cum = alpha.T.double().cumsum(1).numpy()
                idx = torch.from_numpy(np.minimum(np.stack([np.searchsorted(c, ur) for c, ur in zip(cum, u)]),
                                                  n_samples - 1))
            picked = t["x_full"].permute(1, 0, 2).gather(1, idx.unsqueeze(-1).expand(-1, -1, d))
            picks.append(torch.where(sb.unsqueeze(1), xb.unsqueeze(1), picked))
    x64, m = np.asarray(x, np.float64), np.asarray(mask, bool)

    def keep(parts: list[torch.Tensor], expand: bool = False) -> np.ndarray | None:
        # the observed entries are put back from the float64 input: float32 must not round them
        if not parts:
            return None
        arr = torch.cat(parts).numpy().astype(np.float64)
        return np.where(m[:, None] if expand else m, x64[:, None] if expand else x64, arr)

    ess_all = torch.cat(ess).numpy().astype(np.float64)
    return TabularImputation(keep(mean), keep(med), keep(picks, True), ess_all, time.perf_counter() - t0)


@torch.no_grad()
def predict(model: NotMIWAE, x: np.ndarray, mask: np.ndarray, *, n_samples: int = 1000, seed: int = 0,
            max_block: int = 200_000) -> np.ndarray:
    """supMIWAE / sup-not-MIWAE prediction marginalising over imputations: sum_l alpha_l p(y | x_l).
    Returns class probabilities (N, C) or the regression mean (N,)."""
    if not model.cfg.task:
        raise ValueError("This model has no prediction head; build it with task='classification' or 'regression'.")
    xt, st = _tensor(x, mask)
    g = torch.Generator().manual_seed(int(seed))
    rows = max(1, max_block // n_samples)
    out = []
    for i in range(0, xt.shape[0], rows):
        t = model.log_weights(xt[i:i + rows], st[i:i + rows], n_samples, g)
        alpha = torch.softmax(t["log_w"], 0).unsqueeze(-1)
        head = model.head(t["x_full"])
        pred = torch.softmax(head, -1) if model.cfg.task == "classification" else head
        out.append((alpha * pred).sum(0))
    res = torch.cat(out).numpy().astype(np.float64)
    return res if model.cfg.task == "classification" else res[:, 0]

