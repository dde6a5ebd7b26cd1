"""Pseudo-Gibbs imputation (Rezende, Mohamed & Wierstra 2014, arXiv 1401.4082, §5).

Alternate z ~ q(z | x^o, x^m) and x^m ~ p(x^m | z). Cheap and often good, but its stationary law is
not p(x^m | x^o) unless the encoder is the exact posterior: compare with the exact sampler in mwg.py,
which runs the same loop with a Metropolis-Hastings correction (Mattei & Frellsen 2018).
"""
from __future__ import annotations

from collections.abc import Iterator

import torch

from .base import ChainState
from .mwg import gibbs_chain


def pseudo_gibbs_chain(model, x: torch.Tensor, mask: torch.Tensor, *, n_steps: int, chains: int = 1,
                       generator: torch.Generator | None = None, init: str = "noise",
                       warm_start: int = 0) -> Iterator[ChainState]:
    """x: (N, C, H, W); mask: (N, 1|C, H, W) bool, True = observed. Yields ChainState per step."""
    return gibbs_chain(model, x, mask, n_steps=n_steps, chains=chains, generator=generator, init=init,
                       warm_start=warm_start, metropolis=False)
