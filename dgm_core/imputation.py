"""The result every imputer returns, and the rule they all keep: observed entries never change. A leaf module, so
models and samplers need not import each other. N images, S draws, (C, H, W) an image; masks bool, True = observed.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import torch


@dataclass(kw_only=True)
class Diagnostics:
    """What any imputer may report; each family adds its own."""

    cond_log_lik: float | None = None  # log p(true missing values | observed ones), nats, when the truth was given


@dataclass(kw_only=True)
class ChainDiagnostics(Diagnostics):
    """Gibbs-type chains: T iterations, N images, S chains, P tracked pixels; summaries after burn-in."""

    n_steps: int
    burn_in: int
    exact: bool  # the chain targets the model's own conditional (a Metropolis test on z)
    kernel: str | None  # the z-kernel's name (samplers.kernels.KERNELS), None for a chain without one
    kernel_label: str | None
    log_joint: torch.Tensor  # (T, N, S) log p(x_t, z_t)
    accepted: torch.Tensor  # (T, N, S) bool
    pixel_trace: torch.Tensor | None  # (T, N, S, P) E[x | z_t] at the tracked missing pixels
    acceptance_per_chain: torch.Tensor  # (N, S)
    acceptance: torch.Tensor  # (N,) mean over chains
    accepted_moves: torch.Tensor  # (N,) median per chain
    ess_log_joint: torch.Tensor  # (N,)
    rhat: torch.Tensor  # (N,) split-R̂ of log p(x, z)
    ess_pixels: torch.Tensor | None = None  # (N,) median over the tracked pixels
    rhat_pixels: torch.Tensor | None = None  # (N,)
    verdict: list[str]  # one sentence per image: did the chains mix
    step_size: torch.Tensor | None = None  # what an adaptive kernel (HMC) tuned


@dataclass(kw_only=True)
class ImportanceDiagnostics(Diagnostics):
    """Self-normalised importance sampling with L samples per image."""

    ess: torch.Tensor  # (N,) effective sample size 1 / sum w_l^2
    log_px_obs: torch.Tensor  # (N,) estimate of log p(x^o)
    log_weights: torch.Tensor  # (N, L)
    n_samples: int


@dataclass(kw_only=True)
class FactorDiagnostics(Diagnostics):
    """A Gaussian with low-rank covariance over the missing pixels (DMFA, MFA)."""

    factors: torch.Tensor  # (N, l, C, H, W) the most probable component's factor columns, zero off the hole
    weights: torch.Tensor  # (N, K) p(k | x_o)
    component: torch.Tensor  # (N,) the most probable component
    nll: torch.Tensor | None = None  # (N,) of the true missing pixels, when the truth was given


@dataclass(kw_only=True)
class FillDiagnostics(Diagnostics):
    """A point fill without a model (mean or diffusion)."""

    fill: str | None = None  # the mean fill's source: "observed mean" or "given"
    sweeps: int | None = None  # diffusion sweeps run
    max_change: float | None = None  # the last sweep's largest change
    unreached: int | None = None  # missing pixels no observed pixel reaches


@dataclass
class Imputation:
    method: str  # the method's id (dgm_core.methods)
    mean: torch.Tensor  # (N, C, H, W) conditional mean on the missing pixels
    samples: torch.Tensor  # (N, S, C, H, W) completions
    std: torch.Tensor  # (N, C, H, W) predictive sd, 0 where observed
    diagnostics: Diagnostics = field(default_factory=Diagnostics)
    seconds: float = 0.0


def keep_observed(result: Imputation, x: torch.Tensor, mask: torch.Tensor) -> Imputation:
    """Put the observed pixels back exactly and zero their spread (x: (N,C,H,W), mask broadcastable)."""
    m = mask.expand_as(x)
    result.mean = torch.where(m, x, result.mean)
    result.samples = torch.where(m.unsqueeze(1), x.unsqueeze(1), result.samples)
    result.std = torch.where(m, torch.zeros_like(result.std), result.std)
    return result


def batch_mask(mask: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """A mask for a batch: (H, W) or (B|1, 1|C, H, W) bool -> (N, 1|C, H, W) on x's device."""
    if mask.dtype != torch.bool:
        raise ValueError("the mask must be a bool tensor (True = observed)")
    mask = mask.to(x.device)
    if mask.ndim == 2:
        mask = mask[None, None]
    return mask.expand(x.shape[0], *mask.shape[1:])
