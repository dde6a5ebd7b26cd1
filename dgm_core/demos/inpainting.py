"""One image, one mask, several imputation methods: the core behind the inpainting page.

``run_method`` runs one method on one image and returns the shared ``Imputation``; for the two
chains it also records a ``ChainTrace`` (log-joint, acceptance, score per step, snapshots for a step
slider, and the chain's estimate of the density of the true missing pixels). ``score`` computes the
metrics on the missing pixels only. Which shipped model a method needs is in ``METHODS``.
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import torch

from .. import metrics
from ..device import generator
from ..samplers import conditional_log_lik, importance_impute, run_gibbs, simple
from ..imputation import Imputation
from ..samplers.base import ChainState

DATASETS = {"mnist": "MNIST", "omniglot": "Omniglot", "celeba": "CelebA"}
BINARY = {"mnist": True, "omniglot": True, "celeba": False}


@dataclass(frozen=True)
class MethodInfo:
    label: str
    family: str | None  # shipped model family it needs (model name = f"{family}-{dataset}")
    density: bool  # gives a density of the missing pixels (so a conditional NLL)
    blurb: str


METHODS: dict[str, MethodInfo] = {
    "mwg": MethodInfo("Metropolis-within-Gibbs", "vae", True,
                      "Exact sampler of the VAE's p(x_m | x_o): a Gibbs chain on (z, x_m) whose z-moves are "
                      "accepted or rejected so that the chain targets the model's own conditional. The z-move "
                      "is a setting: Hamiltonian Monte Carlo with the decoder's gradient (default), the "
                      "paper's encoder proposal, a pCN random walk, or a random mix of encoder and HMC."),
    "pseudo_gibbs": MethodInfo("Pseudo-Gibbs", "vae", True,
                               "The same loop accepting every proposal: cheap, but not exact."),
    "miwae": MethodInfo("MIWAE importance sampling", "miwae", True,
                        "Weighted encoder samples of a model trained on images with 50 % of pixels missing at "
                        "random (large contiguous holes are outside what it saw); mean + resampled draws."),
    "dmfa": MethodInfo("DMFA", "dmfa", True,
                       "A network predicting a Gaussian with low-rank covariance over the missing pixels."),
    "mfa": MethodInfo("MFA conditional (classical)", "mfa", True,
                      "Mixture of factor analysers fitted on complete images, conditioned in closed form."),
    "mean_fill": MethodInfo("Mean fill", None, False, "Every missing pixel gets the mean of the observed ones."),
    "neighbour_fill": MethodInfo("Neighbour fill", None, False, "Diffuses observed neighbours into the hole."),
}
DEFAULT_METHODS = ("mwg", "pseudo_gibbs", "miwae", "dmfa", "mfa", "neighbour_fill")
# the exact sampler's z-kernels (dgm_core.samplers.kernels), as the page names them
KERNEL_LABELS = {"hmc": "HMC z-moves", "mix": "encoder + HMC z-moves", "encoder": "encoder proposals",
                 "pcn": "pCN z-moves"}
SHORT = {"mwg": "MWG"}  # the exact sampler's name when a kernel follows it (short enough for a picture's title)


def method_label(method: str, kernel: str | None = None) -> str:
    """A method's display name; the exact sampler's says which z-kernel ran."""
    if method == "mwg" and kernel in KERNEL_LABELS:
        return f"{SHORT[method]}, {KERNEL_LABELS[kernel]}"
    return METHODS[method].label


def available_methods(dataset: str, shipped: set[str] | frozenset[str]) -> list[str]:
    """The methods that can run on ``dataset``: simple fills, and model-based ones whose model
    ``f"{family}-{dataset}"`` is among the shipped model names."""
    return [m for m, info in METHODS.items() if info.family is None or f"{info.family}-{dataset}" in shipped]


@dataclass(frozen=True)
class Settings:
    steps: int = 300  # chain iterations
    chains: int = 6  # 6 x 300 HMC steps: under 3 s on the page (bench inpainting_page, one thread)
    burn_in: int = 75  # the first quarter, as in bench inpainting; HMC tunes its step size there
    n_samples: int = 1000  # importance samples (MIWAE)
    n_draws: int = 8  # multiple imputations kept for display
    init: str = "noise"  # initial fill of the missing pixels for the chains
    warm_start: int = 0  # pseudo-Gibbs steps before the chains proper (none: the exact chain starts from noise)
    seed: int = 0
    snapshots: int = 50  # states kept for the step slider
    kernel: str = "hmc"  # the exact sampler's z-move (KERNEL_LABELS); bench inpainting compares them

    LIMITS = {"steps": (1, 5000), "chains": (1, 64), "burn_in": (0, 4999), "n_samples": (10, 20000),
              "n_draws": (1, 32), "warm_start": (0, 500), "seed": (0, 2**31 - 1), "snapshots": (2, 200)}

    def __post_init__(self) -> None:
        for name, (lo, hi) in self.LIMITS.items():
            v = getattr(self, name)
            if not isinstance(v, int) or not lo <= v <= hi:
                raise ValueError(f"{name.replace('_', ' ').capitalize()} must be a whole number between {lo} and {hi}, "
                                 f"not {v!r}.")
        if self.burn_in >= self.steps:
            raise ValueError(f"Burn-in ({self.burn_in}) must be shorter than the chain ({self.steps} steps).")
        if self.init not in ("noise", "zeros", "half"):
            raise ValueError(f"Initialisation must be noise, zeros or half, not {self.init!r}.")
        if self.kernel not in KERNEL_LABELS:
            raise ValueError(f"The exact sampler's z-move must be one of {', '.join(KERNEL_LABELS)}, not {self.kernel!r}.")


# The page's defaults where a data set differs from Settings(): a chain step on a 32×32 colour face costs
# several times a digit's, so fewer and shorter chains keep its default run near its time target
# (python -m dgm_core bench inpainting_page measures it).
DATASET_SETTINGS: dict[str, dict[str, int]] = {"celeba": {"chains": 4, "steps": 120, "burn_in": 30}}  # under 5 s


def default_settings(dataset: str) -> Settings:
    return replace(Settings(), **DATASET_SETTINGS.get(dataset, {}))


@dataclass
class ChainTrace:
    """Per-step diagnostics of one chain run on one image (S chains)."""

    log_joint: torch.Tensor  # (T, S)
    accepted: torch.Tensor  # (T, S) bool
    score: torch.Tensor  # (T,) F1 (binary) or MSE of the chains' mean decoder output, missing pixels only
    snapshot_steps: list[int] = field(default_factory=list)
    snapshot_mean: list[torch.Tensor] = field(default_factory=list)  # (C, H, W) each
    snapshot_sample: list[torch.Tensor] = field(default_factory=list)  # (C, H, W) each, chain 0
    cond_log_lik: float | None = None  # log p(x_m_true | x_o) estimated by the chain's z samples
    label: str = ""  # the sampler's display name (method_label)


def _log_lik_missing(state: ChainState, truth: torch.Tensor, missing: torch.Tensor, binary: bool) -> torch.Tensor:
    """log p(x_m_true | z_t) for every chain -> (S,). truth: (C, H, W); missing: (C, H, W) bool."""
    p, t = state.probs[0], truth.expand_as(state.probs[0])
    if binary:
        p = p.clamp(1e-6, 1 - 1e-6)
        lp = t * torch.log(p) + (1 - t) * torch.log1p(-p)
    else:
        lp = -0.5 * ((t - p) ** 2 / state.var[0] + torch.log(2 * math.pi * state.var[0]))
    return (lp * missing).flatten(1).sum(1)


def _gibbs(model, x, mask, truth, s: Settings, metropolis: bool, binary: bool,
           on_progress: Callable[[float], None] | None) -> tuple[Imputation, ChainTrace]:
    missing = (~mask[0]).expand_as(x[0])  # (C, H, W)
    every = max(1, s.steps // s.snapshots)
    scores, lls, snap_steps, snap_mean, snap_sample = [], [], [], [], []

    def on_state(state: ChainState) -> None:
        mean = state.probs[0].mean(0, keepdim=True)
        if truth is not None:
            t, m = truth.unsqueeze(0), mask
            scores.append((metrics.f1_missing(mean, t, m) if binary else metrics.mse_missing(mean, t, m)).item())
            if state.step > s.burn_in:
                lls.append(_log_lik_missing(state, truth, missing, binary))
        if state.step % every == 0 or state.step == 1:
            snap_steps.append(state.step)
            snap_mean.append(torch.where(missing, mean[0], x[0]))
            # chain 1's completion; for a Gaussian decoder its decoder mean (a face, not per-pixel noise)
            snap_sample.append((state.x[0, 0] if binary else torch.where(missing, state.probs[0, 0], x[0])).clone())
        if on_progress and state.step % 10 == 0:
            on_progress(state.step / s.steps)

    res = run_gibbs(model, x, mask, metropolis=metropolis, n_steps=s.steps, chains=s.chains, burn_in=s.burn_in,
                    seed=s.seed, init=s.init, warm_start=s.warm_start, kernel=s.kernel if metropolis else None,
                    on_state=on_state)
    d = res.diagnostics
    d.pop("pixel_trace")
    for k, v in list(d.items()):  # one image: per-image summaries become scalars, per-chain ones (S,)
        if torch.is_tensor(v) and v.dim() >= 1 and v.shape[0] == 1 and k not in ("log_joint", "accepted"):
            d[k] = v[0]
    d["verdict"] = d["verdict"][0]
    trace = ChainTrace(log_joint=d.pop("log_joint")[:, 0], accepted=d.pop("accepted")[:, 0],
                       score=torch.tensor(scores), snapshot_steps=snap_steps, snapshot_mean=snap_mean,
                       snapshot_sample=snap_sample,
                       label=method_label("mwg" if metropolis else "pseudo_gibbs", d.get("kernel")))
    if lls:  # log mean over (post-burn-in steps x chains) of p(x_m | z_t): the z_t sample p(z | x_o)
        all_ll = torch.cat(lls)
        trace.cond_log_lik = (torch.logsumexp(all_ll, 0) - math.log(all_ll.numel())).item()
    res.samples = res.samples[:, : s.n_draws]
    return res, trace


def run_method(method: str, model, x: torch.Tensor, mask: torch.Tensor, *, dataset: str, settings: Settings,
               truth: torch.Tensor | None = None,
               on_progress: Callable[[float], None] | None = None) -> tuple[Imputation, ChainTrace | None]:
    """Impute one image with one method.

    x: (C, H, W) in [0, 1] (missing pixels are ignored); mask: (H, W) bool, True = observed;
    truth: (C, H, W) when the missing pixels are known (for scores and traces).
    model: the shipped model the method needs (METHODS[method].family), or None for simple fills.
    """
    if method not in METHODS:
        raise ValueError(f"Unknown method {method!r}.")
    t0 = time.perf_counter()
    xb, mb = x.unsqueeze(0), mask.view(1, 1, *mask.shape)
    binary = BINARY[dataset]
    trace = None
    if method in ("mwg", "pseudo_gibbs"):
        res, trace = _gibbs(model, xb, mb, truth, settings, method == "mwg", binary, on_progress)
    elif method == "miwae":
        res = importance_impute(model, xb, mb, n_samples=settings.n_samples, n_draws=settings.n_draws,
                                generator=generator(settings.seed))
        if truth is not None:
            res.diagnostics["cond_log_lik"] = conditional_log_lik(
                model, truth.unsqueeze(0), mb, n_samples=settings.n_samples, generator=generator(settings.seed + 1)).item()
    elif method in ("dmfa", "mfa"):
        from ..models import dmfa, mfa
        impl = dmfa if method == "dmfa" else mfa
        res = impl.impute(model, xb, mb, n_samples=settings.n_draws, generator=generator(settings.seed),
                          truth=None if truth is None else truth.unsqueeze(0))
        if "nll" in res.diagnostics:
            res.diagnostics["cond_log_lik"] = -res.diagnostics.pop("nll").item()
    else:
        res = simple.mean_fill(xb, mb) if method == "mean_fill" else simple.neighbour_fill(xb, mb)
    res.method = method  # the id; METHODS[method].label is for display
    if trace is not None and trace.cond_log_lik is not None:
        res.diagnostics["cond_log_lik"] = trace.cond_log_lik
    res.seconds = time.perf_counter() - t0
    if on_progress:
        on_progress(1.0)
    return res, trace


def score(res: Imputation, truth: torch.Tensor, mask: torch.Tensor, *, dataset: str) -> dict[str, float]:
    """Metrics on the missing pixels only. truth: (C, H, W); mask: (H, W) bool, True = observed."""
    pred, t, m = res.mean, truth.unsqueeze(0), mask.view(1, 1, *mask.shape)
    out: dict[str, float] = {}
    if BINARY[dataset]:
        out["F1"] = metrics.f1_missing(pred, t, m).item()
        out["accuracy"] = metrics.accuracy_missing(pred, t, m).item()
    out["MSE"] = metrics.mse_missing(pred, t, m).item()
    if not BINARY[dataset]:
        out["PSNR (dB)"] = metrics.psnr_missing(pred, t, m).item()
        out["SSIM"] = metrics.ssim(pred.clamp(0, 1), t).item()
    if "cond_log_lik" in res.diagnostics:
        # a Gaussian density on pixels (DMFA, MFA) is not comparable with a Bernoulli probability
        gaussian = not BINARY[dataset] or res.method in ("dmfa", "mfa")
        out["NLL density (nats)" if gaussian else "NLL (nats)"] = -float(res.diagnostics["cond_log_lik"])
    out["time (s)"] = res.seconds
    return out
