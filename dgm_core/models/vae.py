"""Variational autoencoder (Kingma & Welling, "Auto-Encoding Variational Bayes", arXiv 1312.6114) and the IWAE
bound (Burda et al., arXiv 1509.00519): p(z) = N(0, I), p(x|z) = Π_j p(x_j|z), amortised Gaussian q(z|x).

Bernoulli or Gaussian decoder; the Gaussian scale is floored because a Gaussian DLVM's likelihood is otherwise
unbounded (Mattei & Frellsen 2018, arXiv 1802.04826). With ``mask_input`` it is MIWAE's network (models/miwae.py).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

LOG_2PI = math.log(2 * math.pi)


@dataclass(frozen=True)
class Config:
    shape: tuple[int, int, int] = (1, 28, 28)  # (C, H, W)
    latent: int = 50
    hidden: int = 300  # MLP width / base conv channels
    depth: int = 2  # MLP hidden layers
    arch: str = "mlp"  # "mlp" | "conv" (conv needs H = W = 32 or 64)
    likelihood: str = "bernoulli"  # "bernoulli" | "gaussian"
    min_scale: float = 0.02  # Gaussian decoder: sigma >= min_scale (bounded likelihood)
    mask_input: bool = False  # MIWAE: encoder input is (x * mask, mask)
    logit_bias: float = 0.0  # initial output bias (e.g. -2 for mostly-black binary digits)

    def __post_init__(self) -> None:
        object.__setattr__(self, "shape", tuple(int(s) for s in self.shape))
        if self.arch not in ("mlp", "conv"):
            raise ValueError(f"arch must be 'mlp' or 'conv', not {self.arch!r}")
        if self.likelihood not in ("bernoulli", "gaussian"):
            raise ValueError(f"likelihood must be 'bernoulli' or 'gaussian', not {self.likelihood!r}")


def gaussian_log_prob(x: torch.Tensor, mu: torch.Tensor, log_sigma: torch.Tensor) -> torch.Tensor:
    """Elementwise log N(x; mu, exp(log_sigma)^2)."""
    return -0.5 * (((x - mu) * torch.exp(-log_sigma)) ** 2 + LOG_2PI) - log_sigma


def log_standard_normal(z: torch.Tensor) -> torch.Tensor:
    """log N(z; 0, I) summed over the last dim.  z: (..., d) -> (...)."""
    return -0.5 * (z.pow(2) + LOG_2PI).sum(-1)


def _mlp(n_in: int, hidden: int, depth: int, n_out: int) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i in range(depth):
        layers += [nn.Linear(n_in if i == 0 else hidden, hidden), nn.Tanh()]
    layers.append(nn.Linear(hidden if depth else n_in, n_out))
    return nn.Sequential(*layers)


class _ConvEncoder(nn.Module):
    def __init__(self, c_in: int, size: int, h: int, n_out: int) -> None:
        super().__init__()
        n_down = int(math.log2(size // 4))  # down to 4x4
        layers: list[nn.Module] = []
        c = c_in
        for i in range(n_down):
            layers += [nn.Conv2d(c, h * 2**i, 4, 2, 1), nn.ReLU()]
            c = h * 2**i
        self.net = nn.Sequential(*layers, nn.Flatten(), nn.Linear(c * 16, n_out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class _ConvDecoder(nn.Module):
    def __init__(self, latent: int, size: int, h: int, c_out: int) -> None:
        super().__init__()
        n_up = int(math.log2(size // 4))
        self.c0 = h * 2 ** (n_up - 1)
        self.fc = nn.Linear(latent, self.c0 * 16)
        layers: list[nn.Module] = []
        c = self.c0
        for i in reversed(range(n_up)):
            c_next = c_out if i == 0 else h * 2 ** (i - 1)
            layers.append(nn.ConvTranspose2d(c, c_next, 4, 2, 1))
            if i:
                layers.append(nn.ReLU())
            c = c_next
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(F.relu(self.fc(z)).view(-1, self.c0, 4, 4))


def importance_log_weights(model, x: torch.Tensor, k: int = 1, mask: torch.Tensor | None = None,
                           generator: torch.Generator | None = None
                           ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
    """log w_k = log p(x^o|z_k) + log p(z_k) - log q(z_k|x^o), z_k ~ q(z | x^o): (K, B); decoder params at z_k
    (K*B, P, C, H, W); mask repeated K times (K*B, C, H, W) or None. x: (B, C, H, W); mask: (B, 1|C, H, W) bool."""
    b = x.shape[0]
    mu, log_sigma = model.encode(x, mask)
    eps = torch.randn((k, *mu.shape), generator=generator, device=x.device, dtype=x.dtype)
    z = mu + torch.exp(log_sigma) * eps  # (K, B, d)
    params = model.decode(z.reshape(k * b, -1))
    xr = x.unsqueeze(0).expand(k, *x.shape).reshape(k * b, *x.shape[1:])
    mr = None if mask is None else mask.expand_as(x).unsqueeze(0).expand(k, *x.shape).reshape(k * b, *x.shape[1:])
    log_px = model.log_px(xr, params, mr).view(k, b)
    log_q = (-0.5 * (eps.pow(2) + LOG_2PI) - log_sigma).sum(-1)
    return log_px + log_standard_normal(z) - log_q, params, mr


def iwae_bound(model, x: torch.Tensor, k: int = 1, mask: torch.Tensor | None = None,
               generator: torch.Generator | None = None) -> torch.Tensor:
    """log (1/K) Σ_k p(x^o|z_k) p(z_k) / q(z_k|x^o) -> (B,); K = 1 is the ELBO; with a mask, the MIWAE bound
    (arXiv 1812.02633). ``model``: any DLVM with encode/decode/log_px."""
    log_w, _, _ = importance_log_weights(model, x, k, mask, generator)
    return torch.logsumexp(log_w, 0) - math.log(k)


class VAE(nn.Module):
    """x: (B, C, H, W) float32 in [0, 1]; z: (B, d)."""

    Config = Config

    def __init__(self, cfg: Config) -> None:
        super().__init__()
        self.cfg = cfg
        c, h, w = cfg.shape
        self.n_pixels = c * h * w
        c_in = 2 * c if cfg.mask_input else c
        n_par = 2 if cfg.likelihood == "gaussian" else 1  # (mean, scale) or logits
        if cfg.arch == "mlp":
            self.encoder = nn.Sequential(nn.Flatten(), _mlp(c_in * h * w, cfg.hidden, cfg.depth, 2 * cfg.latent))
            self.decoder = _mlp(cfg.latent, cfg.hidden, cfg.depth, n_par * self.n_pixels)
        else:
            if h != w or h not in (32, 64):
                raise ValueError("the conv VAE needs square 32x32 or 64x64 images")
            self.encoder = _ConvEncoder(c_in, h, cfg.hidden, 2 * cfg.latent)
            self.decoder = _ConvDecoder(cfg.latent, h, cfg.hidden, n_par * c)
        if cfg.logit_bias:
            last = [m for m in self.decoder.modules() if isinstance(m, (nn.Linear, nn.ConvTranspose2d))][-1]
            nn.init.constant_(last.bias, cfg.logit_bias)

    # --- encoder q(z | x) -------------------------------------------------------------------
    def encode(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """x: (B, C, H, W), mask: (B, C|1, H, W) bool or None (all observed) -> mu, log_sigma: (B, d)."""
        if self.cfg.mask_input:
            m = torch.ones_like(x) if mask is None else mask.expand_as(x).to(x.dtype)
            x = torch.cat([x * m, m], dim=1)
        mu, log_sigma = self.encoder(x).chunk(2, dim=-1)
        return mu, log_sigma.clamp(-8.0, 4.0)  # keeps q's density finite in early training

    # --- decoder p(x | z) -------------------------------------------------------------------
    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """z: (B, d) -> params (B, P, C, H, W); P = 1 (logits) or 2 (mean logit, raw scale)."""
        c, h, w = self.cfg.shape
        p = 2 if self.cfg.likelihood == "gaussian" else 1
        # MLP (B, p*C*H*W) and conv (B, p*C, H, W) outputs are both parameter-major
        return self.decoder(z).view(-1, p, c, h, w)

    def log_px(self, x: torch.Tensor, params: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """sum_j log p(x_j | z) over pixels (only observed ones when mask is given) -> (B,)."""
        if self.cfg.likelihood == "bernoulli":
            lp = -F.binary_cross_entropy_with_logits(params[:, 0], x, reduction="none")
        else:
            lp = gaussian_log_prob(x, torch.sigmoid(params[:, 0]), self.log_scale(params))
        if mask is not None:
            lp = lp * mask.to(lp.dtype)
        return lp.flatten(1).sum(-1)

    def log_scale(self, params: torch.Tensor) -> torch.Tensor:
        return torch.log(F.softplus(params[:, 1]) + self.cfg.min_scale)

    def mean(self, params: torch.Tensor) -> torch.Tensor:
        """E[x | z]: (B, C, H, W)."""
        return torch.sigmoid(params[:, 0])

    def sample_x(self, params: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """x ~ p(x | z): Bernoulli draws, or Gaussian draws clipped to [0, 1] for display."""
        mean = self.mean(params)
        if self.cfg.likelihood == "bernoulli":  # u < p: the same law as torch.bernoulli, cheaper on CPU
            u = torch.rand(mean.shape, generator=generator, device=mean.device, dtype=mean.dtype)
            return (u < mean).to(mean.dtype)
        eps = torch.randn(mean.shape, generator=generator, device=mean.device, dtype=mean.dtype)
        return mean + torch.exp(self.log_scale(params)) * eps

    # --- bounds -----------------------------------------------------------------------------
    def iwae_bound(self, x: torch.Tensor, k: int = 1, mask: torch.Tensor | None = None,
                   generator: torch.Generator | None = None) -> torch.Tensor:
        """See ``iwae_bound``."""
        return iwae_bound(self, x, k, mask, generator)

    def elbo(self, x: torch.Tensor, mask: torch.Tensor | None = None,
             generator: torch.Generator | None = None) -> torch.Tensor:
        """Single-sample ELBO with the analytic KL to N(0, I) (lower variance) -> (B,)."""
        mu, log_sigma = self.encode(x, mask)
        eps = torch.randn(mu.shape, generator=generator, device=x.device, dtype=x.dtype)
        z = mu + torch.exp(log_sigma) * eps
        kl = 0.5 * (mu.pow(2) + torch.exp(2 * log_sigma) - 1 - 2 * log_sigma).sum(-1)
        return self.log_px(x, self.decode(z), mask) - kl

    @torch.no_grad()
    def log_likelihood(self, x: torch.Tensor, k: int = 1000, batch: int = 100, mask: torch.Tensor | None = None,
                       generator: torch.Generator | None = None) -> torch.Tensor:
        """Importance-sampled estimate of log p(x^o) with K samples, in chunks of images -> (B,)."""
        out = []
        for i in range(0, x.shape[0], batch):
            xb = x[i:i + batch]
            mb = None if mask is None else mask[i:i + batch]
            out.append(self._ll_chunked(xb, k, mb, generator))
        return torch.cat(out)

    def _ll_chunked(self, x, k, mask, generator, chunk: int = 250) -> torch.Tensor:
        # log-mean-exp over K, computed over chunks of samples to bound memory
        parts = []
        for start in range(0, k, chunk):
            kk = min(chunk, k - start)
            parts.append(self.iwae_bound(x, kk, mask, generator) + math.log(kk))
        return torch.logsumexp(torch.stack(parts), 0) - math.log(k)

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None,
               device: torch.device | str = "cpu") -> torch.Tensor:
        """n images: the decoder mean at z ~ N(0, I) -> (n, C, H, W)."""
        z = torch.randn((n, self.cfg.latent), generator=generator, device=device)
        return self.mean(self.decode(z))
