"""z-kernels of the Gibbs chain on (z, x^m) (Mattei & Frellsen 2018, "Leveraging the Exact Likelihood of
Deep Latent Variable Models", arXiv 1802.04826).

Step (1) moves z leaving p(z | x_t) invariant, x_t = (x^o, x^m_t); step (2) draws x^m ~ p(x^m | z); any exact
kernel in (1) makes the chain sample p(x^m | x^o). The paper's encoder proposal is rarely accepted on image
VAEs, hence the others. Batch of B chains: z (B, d), decoder ``params`` at z, ``log_lik`` = log p(x_t | z) (B,).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from ..models.vae import log_standard_normal

__all__ = ["ZState", "ZKernel", "EncoderKernel", "PseudoGibbsKernel", "PCNKernel", "HMCKernel", "MixKernel",
           "KERNELS", "make_kernel"]


@dataclass
class ZState:
    z: torch.Tensor  # (B, d)
    params: torch.Tensor  # decoder output at z, (B, P, C, H, W)
    log_lik: torch.Tensor  # (B,) log p(x_t | z) for the current completion


def _randn(like: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    return torch.randn(like.shape, generator=generator, device=like.device, dtype=like.dtype)


def _metropolis(s: ZState, z_new: torch.Tensor, params_new: torch.Tensor, lik_new: torch.Tensor,
                log_rho: torch.Tensor, generator: torch.Generator | None) -> tuple[ZState, torch.Tensor]:
    """Accept each chain's proposal with probability min(1, exp(log_rho)); a non-finite ratio rejects."""
    u = torch.rand(log_rho.shape, generator=generator, device=log_rho.device, dtype=log_rho.dtype)
    accepted = torch.log(u) < torch.nan_to_num(log_rho, nan=-math.inf)
    if not accepted.any():  # mostly the case for the encoder kernel on images: skip the copies
        return s, accepted
    pick = accepted.view(-1, *([1] * (s.params.dim() - 1)))
    return ZState(torch.where(accepted[:, None], z_new, s.z), torch.where(pick, params_new, s.params),
                  torch.where(accepted, lik_new, s.log_lik)), accepted


class ZKernel:
    """One z-update. ``exact``: leaves p(z | x_t) invariant. ``step`` returns (state, moved (B,) bool);
    ``adapt`` is True during burn-in only, and a self-tuning kernel must stop tuning when it is False."""

    name = "base"
    label = ""
    exact = True

    def step(self, model, x: torch.Tensor, s: ZState, generator: torch.Generator | None,
             adapt: bool = False) -> tuple[ZState, torch.Tensor]:
        raise NotImplementedError

    def summary(self) -> dict:
        """What the kernel tuned (a step size), for the diagnostics."""
        return {}


class EncoderKernel(ZKernel):
    """Independence MH, proposal z~ ~ q(z~ | x_t) (Mattei & Frellsen 2018, Alg. 1):
    rho = [p(x_t | z~) p(z~) / q(z~ | x_t)] / [p(x_t | z) p(z) / q(z | x_t)], both q at the current x_t."""

    name, label = "encoder", "encoder proposal"

    def step(self, model, x, s, generator, adapt=False):
        mu, log_sigma = model.encode(x)
        eps = _randn(mu, generator)
        z_new = mu + torch.exp(log_sigma) * eps
        params_new = model.decode(z_new)
        lik_new = model.log_px(x, params_new)
        log_rho = (lik_new - s.log_lik - 0.5 * (z_new.pow(2) - s.z.pow(2)).sum(-1)
                   + 0.5 * (eps.pow(2) - ((s.z - mu) * torch.exp(-log_sigma)).pow(2)).sum(-1))
        return _metropolis(s, z_new, params_new, lik_new, log_rho, generator)


class PseudoGibbsKernel(ZKernel):
    """z ~ q(z | x_t), always kept (Rezende et al. 2014, arXiv 1401.4082, §5); exact only if q(z | x) = p(z | x)."""

    name, label, exact = "pseudo", "pseudo-Gibbs (no test)", False

    def step(self, model, x, s, generator, adapt=False):
        mu, log_sigma = model.encode(x)
        z = mu + torch.exp(log_sigma) * _randn(mu, generator)
        params = model.decode(z)
        return ZState(z, params, model.log_px(x, params)), torch.ones(z.shape[0], dtype=torch.bool, device=z.device)


class PCNKernel(ZKernel):
    """Preconditioned Crank-Nicolson (Cotter et al. 2013, arXiv 1202.0709): z~ = sqrt(1 − β²) z + β ε.
    The proposal is prior-reversible, so rho = p(x_t | z~) / p(x_t | z)."""

    name = "pcn"

    def __init__(self, beta: float = 0.3) -> None:
        if not 0 < beta <= 1:
            raise ValueError(f"The pCN step β must be in (0, 1], not {beta}.")
        self.beta = beta
        self.label = f"pCN random walk, β = {beta:g}"

    def step(self, model, x, s, generator, adapt=False):
        z_new = math.sqrt(1 - self.beta**2) * s.z + self.beta * _randn(s.z, generator)
        params_new = model.decode(z_new)
        lik_new = model.log_px(x, params_new)
        return _metropolis(s, z_new, params_new, lik_new, lik_new - s.log_lik, generator)


class HMCKernel(ZKernel):
    """HMC on π(z) ∝ p(x_t | z) p(z) (Neal 2011, arXiv 1206.1901); one leapfrog step is MALA.
    rho = exp(H(z, p) − H(z~, p~)), H = −log p(x_t | z) − log p(z) + |p|² / 2. Per-chain log ε is adapted
    toward acceptance ``target`` (Robbins-Monro) during burn-in, then frozen at its running average
    (Hoffman & Gelman 2014, arXiv 1111.4246) so the post-burn-in kernel is fixed and exact."""

    name = "hmc"

    def __init__(self, leapfrog: int = 5, target: float = 0.7, step_size: float = 0.05) -> None:
        if leapfrog < 1:
            raise ValueError("HMC needs at least one leapfrog step.")
        self.leapfrog, self.target, self.init_step = leapfrog, target, step_size
        self.name = "hmc" if leapfrog > 1 else "mala"
        self.label = f"HMC, {leapfrog} leapfrog steps" if leapfrog > 1 else "MALA (one leapfrog step)"
        self.log_eps: torch.Tensor | None = None  # (B,) per chain
        self.log_eps_bar: torch.Tensor | None = None
        self.t = 0
        self.frozen = False

    def _grad(self, model, x: torch.Tensor, z: torch.Tensor):
        """log π(z) up to a constant, its gradient, the decoder output and log p(x | z)."""
        with torch.enable_grad():
            z = z.detach().requires_grad_(True)
            params = model.decode(z)
            lik = model.log_px(x, params)
            log_target = lik + log_standard_normal(z)
            (grad,) = torch.autograd.grad(log_target.sum(), z)
        return log_target.detach(), grad, params.detach(), lik.detach()

    def step(self, model, x, s, generator, adapt=False):
        if self.log_eps is None:
            self.log_eps = torch.full((s.z.shape[0],), math.log(self.init_step), device=s.z.device, dtype=s.z.dtype)
            self.log_eps_bar = self.log_eps.clone()
        if not adapt and self.t > 0 and not self.frozen:
            self.log_eps, self.frozen = self.log_eps_bar.clone(), True  # burn-in over: freeze
        eps = torch.exp(self.log_eps)[:, None]
        log_target0, grad, _, _ = self._grad(model, x, s.z)
        p0 = _randn(s.z, generator)
        z, p = s.z, p0 + 0.5 * eps * grad
        for i in range(self.leapfrog):
            z = z + eps * p
            log_target, grad, params, lik = self._grad(model, x, z)
            if i < self.leapfrog - 1:
                p = p + eps * grad
        p = p + 0.5 * eps * grad
        log_rho = log_target - log_target0 - 0.5 * (p.pow(2) - p0.pow(2)).sum(-1)
        if adapt and not self.frozen:
            self.t += 1
            a = torch.exp(torch.nan_to_num(log_rho, nan=-math.inf).clamp(max=0))
            eta = self.t ** -0.6
            self.log_eps = (self.log_eps + eta * (a - self.target)).clamp(math.log(1e-4), math.log(2.0))
            self.log_eps_bar = eta * self.log_eps + (1 - eta) * self.log_eps_bar
        return _metropolis(s, z, params, lik, log_rho, generator)

    def summary(self):
        return {} if self.log_eps is None else {"step_size": torch.exp(self.log_eps)}


class MixKernel(ZKernel):
    """Kernel i with probability w_i, chosen independently of the state (one choice per batch), so
    Σ w_i K_i leaves π invariant when each K_i does."""

    name = "mix"

    def __init__(self, kernels: list[ZKernel], weights: list[float] | None = None) -> None:
        self.kernels = kernels
        w = torch.tensor(weights if weights is not None else [1.0] * len(kernels), dtype=torch.float64)
        self.weights = w / w.sum()
        self.exact = all(k.exact for k in kernels)
        self.label = "random mix of " + " and ".join(k.label for k in kernels)

    def step(self, model, x, s, generator, adapt=False):
        u = torch.rand(1, generator=generator, device=s.z.device, dtype=torch.float64).cpu()
        i = min(int(torch.searchsorted(torch.cumsum(self.weights, 0), u).item()), len(self.kernels) - 1)
        return self.kernels[i].step(model, x, s, generator, adapt)

    def summary(self):
        out = {}
        for k in self.kernels:
            out.update(k.summary())
        return out


# name -> factory of a fresh kernel (kernels that adapt carry per-run state)
KERNELS = {
    "encoder": EncoderKernel,
    "pcn": PCNKernel,
    "hmc": HMCKernel,
    "mix": lambda: MixKernel([EncoderKernel(), HMCKernel()]),
    "pseudo": PseudoGibbsKernel,
}


def make_kernel(kernel: str | ZKernel) -> ZKernel:
    """A fresh kernel from its name, or the kernel object itself."""
    if isinstance(kernel, ZKernel):
        return kernel
    if kernel not in KERNELS:
        raise ValueError(f"Unknown z-kernel {kernel!r}; use one of {', '.join(KERNELS)}.")
    return KERNELS[kernel]()
