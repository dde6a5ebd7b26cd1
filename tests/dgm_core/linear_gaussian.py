"""A linear-Gaussian DLVM (factor analysis) with the sampler interface, for closed-form tests.

p(z) = N(0, I_d), p(x | z) = N(W z + b, s² I_D): the joint is Gaussian, so p(x^m | x^o) and
p(z | x) are exact. The encoder can be exact or deliberately wrong (shrunk mean, inflated spread),
which is what separates an exact sampler (MWG) from pseudo-Gibbs.
"""
from __future__ import annotations

import math
from types import SimpleNamespace

import torch


class LinearGaussianDLVM:
    def __init__(self, d: int = 2, D: int = 6, s: float = 0.5, seed: int = 0,
                 shrink: float = 1.0, inflate: float = 1.0) -> None:
        g = torch.Generator().manual_seed(seed)
        # orthogonal columns make p(z | x) a diagonal Gaussian, i.e. reachable by a mean-field encoder
        q, _ = torch.linalg.qr(torch.randn(D, d, generator=g, dtype=torch.float64))
        self.W = q * torch.linspace(2.0, 1.0, d, dtype=torch.float64)
        self.b = torch.randn(D, generator=g, dtype=torch.float64) * 0.5
        self.s, self.d, self.D = s, d, D
        self.shrink, self.inflate = shrink, inflate
        self.cfg = SimpleNamespace(likelihood="gaussian", latent=d)

    # images are (B, 1, 1, D); params (B, 2, 1, 1, D) = (mean, log scale)
    def _post(self, x: torch.Tensor, rows: torch.Tensor | None = None):
        W = self.W if rows is None else self.W[rows]
        b = self.b if rows is None else self.b[rows]
        prec = torch.eye(self.d, dtype=x.dtype) + W.T @ W / self.s**2
        cov = torch.linalg.inv(prec)
        mu = (x - b) @ W @ cov.T / self.s**2
        return mu, cov

    def encode(self, x: torch.Tensor, mask: torch.Tensor | None = None):
        flat = x.reshape(x.shape[0], -1)
        if mask is None:
            mu, cov = self._post(flat)
        else:  # posterior given the observed coordinates of the first image's mask pattern
            rows = mask.reshape(mask.shape[0], -1)[0]
            mu, cov = self._post(flat[:, rows], rows)
        log_sigma = 0.5 * torch.log(torch.diagonal(cov)).expand_as(mu)
        return self.shrink * mu, log_sigma + math.log(self.inflate)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        mean = z @ self.W.T + self.b
        return torch.stack([mean, torch.full_like(mean, math.log(self.s))], 1).view(-1, 2, 1, 1, self.D)

    def mean(self, params):
        return params[:, 0]

    def log_scale(self, params):
        return params[:, 1]

    def log_px(self, x, params, mask=None):
        mu, ls = params[:, 0], params[:, 1]
        lp = -0.5 * (((x - mu) / ls.exp()) ** 2 + math.log(2 * math.pi)) - ls
        if mask is not None:
            lp = lp * mask
        return lp.flatten(1).sum(-1)

    def sample_x(self, params, generator=None):
        eps = torch.randn(params[:, 0].shape, generator=generator, dtype=params.dtype)
        return params[:, 0] + params[:, 1].exp() * eps

    def exact_conditional(self, x: torch.Tensor, observed: torch.Tensor):
        """x: (D,), observed: (D,) bool -> mean and covariance of x^m | x^o."""
        cov = self.W @ self.W.T + self.s**2 * torch.eye(self.D, dtype=x.dtype)
        o, m = observed, ~observed
        k = cov[m][:, o] @ torch.linalg.inv(cov[o][:, o])
        return self.b[m] + k @ (x[o] - self.b[o]), cov[m][:, m] - k @ cov[o][:, m]
