"""Metropolis-within-Gibbs for the exact conditional p(x^m | x^o) of a deep latent variable model (Mattei & Frellsen,
"Leveraging the Exact Likelihood of Deep Latent Variable Models", arXiv 1802.04826): a z-update leaving
p(z | x^o, x^m) invariant (``kernels``), then an exact draw of x^m from the decoder; ``metropolis=False`` is
pseudo-Gibbs (Rezende et al. 2014, arXiv 1401.4082), right only if the encoder is the exact posterior.
"""
from __future__ import annotations

from collections.abc import Iterator

import torch

from ..models.vae import LOG_2PI, log_standard_normal
from .base import ChainState, initial_fill
from .kernels import PseudoGibbsKernel, ZKernel, ZState, make_kernel


def log_q(z: torch.Tensor, mu: torch.Tensor, log_sigma: torch.Tensor) -> torch.Tensor:
    """log N(z; mu, diag exp(2 log_sigma)) summed over latent dims -> (B,)."""
    return (-0.5 * (((z - mu) * torch.exp(-log_sigma)) ** 2 + LOG_2PI) - log_sigma).sum(-1)


def _repeat(t: torch.Tensor, s: int) -> torch.Tensor:
    """(N, ...) -> (N * S, ...), each image repeated S times consecutively."""
    return t.repeat_interleave(s, dim=0)


@torch.no_grad()
def gibbs_chain(model, x: torch.Tensor, mask: torch.Tensor, *, n_steps: int, chains: int = 1,
                generator: torch.Generator | None = None, init: str = "noise", warm_start: int = 0,
                metropolis: bool = True, kernel: str | ZKernel | None = None,
                adapt_steps: int = 0) -> Iterator[ChainState]:
    """The state after each of ``n_steps`` iterations. x: (N, C, H, W) in [0, 1]; mask: (N, 1|C, H, W) bool.
    warm_start: pseudo-Gibbs steps first (not yielded); kernel: name or ``ZKernel``, default "encoder" (the
    paper's; "pseudo" without ``metropolis``); adapt_steps: iterations a kernel may tune in (the burn-in)."""
    kern = make_kernel(kernel if kernel is not None else ("encoder" if metropolis else "pseudo"))
    warm = PseudoGibbsKernel()
    n = x.shape[0]
    m = _repeat(mask.expand_as(x), chains)
    x_obs = _repeat(x, chains)
    xt = initial_fill(x_obs, m, init, generator)
    mu, log_sigma = model.encode(xt)
    z = mu + torch.exp(log_sigma) * torch.randn(mu.shape, generator=generator, device=x.device, dtype=x.dtype)
    params = model.decode(z)
    xt = torch.where(m, x_obs, model.sample_x(params, generator))
    s = ZState(z, params, model.log_px(xt, params))  # log p(x_t | z_t), carried to the next z-update
    bernoulli = model.cfg.likelihood == "bernoulli"

    for step in range(1, warm_start + n_steps + 1):
        k = step - warm_start  # the yielded iteration (<= 0 in the warm start)
        s, accepted = (warm if k <= 0 else kern).step(model, xt, s, generator, adapt=0 < k <= adapt_steps)
        # exact Gibbs draw of the missing pixels given z_t; observed pixels stay fixed
        xt = torch.where(m, x_obs, model.sample_x(s.params, generator))
        s.log_lik = model.log_px(xt, s.params)
        if k <= 0:
            continue
        log_joint = s.log_lik + log_standard_normal(s.z)
        probs = model.mean(s.params)
        var = probs * (1 - probs) if bernoulli else torch.exp(2 * model.log_scale(s.params))
        shape = (n, chains)
        yield ChainState(step=k, x=xt.view(*shape, *xt.shape[1:]), z=s.z.view(*shape, -1),
                         probs=probs.view(*shape, *probs.shape[1:]), var=var.view(*shape, *var.shape[1:]),
                         accepted=accepted.view(shape), log_joint=log_joint.view(shape), kernel=kern)
