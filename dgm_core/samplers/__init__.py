"""Imputers for deep latent variable models, each returning an ``Imputation``: ``gibbs_chain`` (Metropolis-within-Gibbs
or pseudo-Gibbs, yielding ``ChainState``), ``run_gibbs`` (a chain summarised), ``importance_impute`` (MIWAE IS + SIR),
and ``flow_inpaint`` (a flow-matching model's path with the observed pixels replaced; an approximation).
"""
from __future__ import annotations

from collections.abc import Callable

import torch

from ..device import generator as make_generator
from ..imputation import Imputation, keep_observed
from .base import ChainState, summarise_chain
from .diagnostics import chain_diagnostics, tracked_pixels
from .flow_inpaint import flow_inpaint, flow_inpaint_path
from .kernels import KERNELS, ZKernel, make_kernel
from .importance import conditional_log_lik, importance_impute
from .mwg import gibbs_chain

__all__ = ["ChainState", "Imputation", "KERNELS", "ZKernel", "chain_diagnostics", "gibbs_chain", "make_kernel",
           "run_gibbs", "importance_impute", "conditional_log_lik", "keep_observed", "flow_inpaint",
           "flow_inpaint_path"]


def run_gibbs(model, x: torch.Tensor, mask: torch.Tensor, *, metropolis: bool = True, n_steps: int = 500,
              chains: int = 4, burn_in: int = 0, seed: int = 0, init: str = "noise", warm_start: int = 0,
              kernel: str | ZKernel | None = None,
              on_state: Callable[[ChainState], None] | None = None) -> Imputation:
    """MWG (z-kernel ``kernel``, default "encoder") or pseudo-Gibbs, summarised with diagnostics; adaptation
    during burn-in only. x: (N, C, H, W); mask: (N, 1|C, H, W) bool."""
    g = make_generator(seed, x.device)
    kern = make_kernel(kernel if kernel is not None else ("encoder" if metropolis else "pseudo"))
    chain = gibbs_chain(model, x, mask, n_steps=n_steps, chains=chains, generator=g, init=init,
                        warm_start=warm_start, kernel=kern, adapt_steps=burn_in)
    name = "mwg" if kern.exact else "pseudo_gibbs"  # method ids (dgm_core.methods); the kernel is in the diagnostics
    gaussian = model.cfg.likelihood != "bernoulli"
    track = tracked_pixels(mask, tuple(x.shape[1:]))
    return keep_observed(summarise_chain(chain, name, burn_in=burn_in, on_state=on_state, mean_samples=gaussian,
                                         track=track), x, mask)
