"""A Gibbs-type chain's state, and a run of one summarised as an ``Imputation``. N images, S chains per image;
masks bool, True = observed, and observed entries are never changed.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import torch

from ..imputation import ChainDiagnostics, Imputation
from .diagnostics import chain_diagnostics


@dataclass
class ChainState:
    step: int
    x: torch.Tensor  # (N, S, C, H, W) completion
    z: torch.Tensor  # (N, S, d)
    probs: torch.Tensor  # (N, S, C, H, W) E[x | z_t]
    var: torch.Tensor  # (N, S, C, H, W) Var[x | z_t]
    accepted: torch.Tensor  # (N, S) bool
    log_joint: torch.Tensor  # (N, S) log p(x_t | z_t) + log p(z_t)
    kernel: Any = None  # the z-kernel that ran (kernels.ZKernel), for its label and what it tuned


def initial_fill(x: torch.Tensor, mask: torch.Tensor, init: str, generator: torch.Generator | None) -> torch.Tensor:
    """Fill the missing entries of x before a chain starts: "zeros", "half" (0.5) or "noise" (U(0, 1))."""
    if init == "zeros":
        fill = torch.zeros_like(x)
    elif init == "half":
        fill = torch.full_like(x, 0.5)
    elif init == "noise":
        fill = torch.rand(x.shape, generator=generator, device=x.device, dtype=x.dtype)
    else:
        raise ValueError(f"Unknown initialisation {init!r}; use zeros, half or noise "
                         "(warm_start adds pseudo-Gibbs steps).")
    return torch.where(mask, x, fill)


def summarise_chain(chain: Iterator[ChainState], method: str, *, burn_in: int = 0,
                    on_state: Callable[[ChainState], None] | None = None, mean_samples: bool = False,
                    track: torch.Tensor | None = None) -> Imputation:
    """Run a chain to the end -> Imputation. Mean: Rao-Blackwellised, E[x^m | z_t] averaged over post-burn-in steps
    and chains (std by the law of total variance); samples: final states, or with ``mean_samples`` the decoder
    means at the final z (no pixel noise). track: (N, P) flat indices of missing pixels traced for ESS and R̂."""
    t0 = time.perf_counter()
    s1 = s2 = None
    count = 0
    log_joint, accepted, pixels = [], [], []
    state = None
    for state in chain:
        if on_state is not None:
            on_state(state)
        log_joint.append(state.log_joint)
        accepted.append(state.accepted)
        if track is not None:  # (N, S, P)
            flat = state.probs.flatten(2)
            pixels.append(torch.gather(flat, 2, track[:, None, :].expand(-1, flat.shape[1], -1)))
        if state.step > burn_in:
            m = state.probs.mean(1)
            m2 = (state.probs.pow(2) + state.var).mean(1)
            s1 = m if s1 is None else s1 + m
            s2 = m2 if s2 is None else s2 + m2
            count += 1
    if state is None:
        raise ValueError("the chain yielded no state")
    if count == 0:  # burn-in covered the whole run: fall back to the last state
        s1, s2, count = state.probs.mean(1), (state.probs.pow(2) + state.var).mean(1), 1
    mean, second = s1 / count, s2 / count
    acc, lj = torch.stack(accepted), torch.stack(log_joint)  # (T, N, S)
    px = torch.stack(pixels) if pixels else None  # (T, N, S, P)
    kernel = state.kernel
    exact = True if kernel is None else kernel.exact
    diag = ChainDiagnostics(n_steps=state.step, burn_in=burn_in, log_joint=lj, accepted=acc, pixel_trace=px,
                            exact=exact, kernel=None if kernel is None else kernel.name,
                            kernel_label=None if kernel is None else kernel.label,
                            **({} if kernel is None else kernel.summary()),
                            **chain_diagnostics(lj, acc, px, burn_in, exact))
    return Imputation(method=method, mean=mean, samples=state.probs if mean_samples else state.x,
                      std=(second - mean.pow(2)).clamp_min(0).sqrt(), diagnostics=diag,
                      seconds=time.perf_counter() - t0)
