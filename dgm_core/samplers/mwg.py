"""Metropolis-within-Gibbs for the exact conditional p(x^m | x^o) of a deep latent variable model.

Mattei & Frellsen, "Leveraging the Exact Likelihood of Deep Latent Variable Models", NeurIPS 2018,
arXiv 1802.04826. The chain runs on (z, x^m): an independence Metropolis-Hastings step for z whose
proposal is the encoder on the current completion, then an exact Gibbs draw of x^m from the decoder.
Its stationary law is the model's true conditional; pseudo-Gibbs (Rezende, Mohamed & Wierstra 2014,
arXiv 1401.4082, §5; ``metropolis=False``) is the same loop with every proposal accepted, which is
only right if the encoder is the exact posterior.

Cost: the decoder output at the current z and log p(x_t | z_t) are kept between iterations, so one
step needs one encoder and one decoder pass, like pseudo-Gibbs, plus one likelihood evaluation.
"""
from __future__ import annotations

from collections.abc import Iterator

import torch

from ..models.vae import LOG_2PI, log_standard_normal
from .base import ChainState, initial_fill


def log_q(z: torch.Tensor, mu: torch.Tensor, log_sigma: torch.Tensor) -> torch.Tensor:
    """log N(z; mu, diag exp(2 log_sigma)) summed over latent dims -> (B,)."""
    return (-0.5 * (((z - mu) * torch.exp(-log_sigma)) ** 2 + LOG_2PI) - log_sigma).sum(-1)


def _repeat(t: torch.Tensor, s: int) -> torch.Tensor:
    """(N, ...) -> (N * S, ...), each image repeated S times consecutively."""
    return t.repeat_interleave(s, dim=0)


@torch.no_grad()
def gibbs_chain(model, x: torch.Tensor, mask: torch.Tensor, *, n_steps: int, chains: int = 1,
                generator: torch.Generator | None = None, init: str = "noise", warm_start: int = 0,
                metropolis: bool = True) -> Iterator[ChainState]:
    """Yield the chain's state after each of ``n_steps`` iterations.

    model: a dgm_core VAE/MIWAE (encode, decode, log_px, mean, sample_x).
    x: (N, C, H, W) in [0, 1] (values at missing pixels are ignored); mask: (N, 1|C, H, W) bool, True = observed.
    chains: independent chains per image. init: fill of x^m_0 ("zeros", "half", "noise").
    warm_start: pseudo-Gibbs steps run first (not yielded) to start near the data; the paper's
    burn-in handicap of MWG from a poor start disappears with a few dozen.
    metropolis: False gives pseudo-Gibbs.
    """
    n = x.shape[0]
    m = _repeat(mask.expand_as(x), chains)
    x_obs = _repeat(x, chains)
    xt = initial_fill(x_obs, m, init, generator)
    mu, log_sigma = model.encode(xt)
    z = mu + torch.exp(log_sigma) * torch.randn(mu.shape, generator=generator, device=x.device, dtype=x.dtype)
    params = model.decode(z)
    xt = torch.where(m, x_obs, model.sample_x(params, generator))
    bernoulli = model.cfg.likelihood == "bernoulli"
    log_lik = model.log_px(xt, params)  # log p(x_t | z_t), carried to the next step's MH ratio

    for step in range(1, warm_start + n_steps + 1):
        mu, log_sigma = model.encode(xt)
        eps = torch.randn(mu.shape, generator=generator, device=x.device, dtype=x.dtype)
        z_new = mu + torch.exp(log_sigma) * eps
        params_new = model.decode(z_new)
        if metropolis and step > warm_start:
            # log rho = [log p(x|z~) + log p(z~) - log q(z~|x)] - [log p(x|z) + log p(z) - log q(z|x)],
            # with q evaluated at the CURRENT completion for both z~ and z (independence proposal).
            # The 2*pi terms and q's log sigma cancel; (z~ - mu) / sigma is eps by construction.
            log_rho = (model.log_px(xt, params_new) - log_lik
                       - 0.5 * (z_new.pow(2) - z.pow(2)).sum(-1)
                       + 0.5 * (eps.pow(2) - ((z - mu) * torch.exp(-log_sigma)).pow(2)).sum(-1))
            u = torch.rand(log_rho.shape, generator=generator, device=x.device, dtype=x.dtype)
            accepted = torch.log(u) < log_rho
            if accepted.any():  # proposals are mostly rejected (a few %): skip the copies then
                z = torch.where(accepted[:, None], z_new, z)
                params = torch.where(accepted.view(-1, *([1] * (params.dim() - 1))), params_new, params)
        else:
            accepted = torch.ones(n * chains, dtype=torch.bool, device=x.device)
            z, params = z_new, params_new
        # exact Gibbs draw of the missing pixels given z_t; observed pixels stay fixed
        xt = torch.where(m, x_obs, model.sample_x(params, generator))
        log_lik = model.log_px(xt, params)
        if step <= warm_start:
            continue
        log_joint = log_lik + log_standard_normal(z)
        probs = model.mean(params)
        var = probs * (1 - probs) if bernoulli else torch.exp(2 * model.log_scale(params))
        shape = (n, chains)
        yield ChainState(step=step - warm_start, x=xt.view(*shape, *xt.shape[1:]), z=z.view(*shape, -1),
                         probs=probs.view(*shape, *probs.shape[1:]), var=var.view(*shape, *var.shape[1:]),
                         accepted=accepted.view(shape), log_joint=log_joint.view(shape))


def mwg_chain(model, x: torch.Tensor, mask: torch.Tensor, *, n_steps: int, chains: int = 1,
              generator: torch.Generator | None = None, init: str = "noise",
              warm_start: int = 0) -> Iterator[ChainState]:
    """Metropolis-within-Gibbs (exact): see ``gibbs_chain``."""
    return gibbs_chain(model, x, mask, n_steps=n_steps, chains=chains, generator=generator, init=init,
                       warm_start=warm_start, metropolis=True)
