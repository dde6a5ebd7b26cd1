"""Wasserstein GAN (Arjovsky, Chintala & Bottou, arXiv 1701.07875) with a gradient penalty: two-sided (Gulrajani et al.,
"Improved Training of Wasserstein GANs", arXiv 1704.00028) or one-sided (Petzka et al., "On the regularization of
Wasserstein GANs", arXiv 1709.08894). The critic estimates W1 = sup_{|f|_L <= 1} E_data f - E_gen f, the Lipschitz
bound softened into a penalty on its gradient norm between real and fake; the generator descends that estimate.
Images are (B, C, H, W) in [0, 1] at the interface, [-1, 1] inside.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

PENALTIES = ("one-sided", "two-sided")


@dataclass(frozen=True)
class Config:
    shape: tuple[int, int, int] = (1, 28, 28)  # (C, H, W); H = W in {28, 32, 64}
    latent: int = 64  # z ~ N(0, I_latent)
    hidden: int = 32  # channels of the widest-resolution layer
    penalty: str = "one-sided"  # "one-sided": E[(|g| - 1)_+^2] (Petzka); "two-sided": E[(|g| - 1)^2] (WGAN-GP)
    penalty_weight: float = 10.0
    # stride-1 3x3 conv layers at the widest resolution (H/2), in the generator before its output layer and in the
    # critic after its first layer: the ``n_extra_layers`` of the WGAN authors' DCGAN (arXiv 1701.07875's code)
    extra_layers: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "shape", tuple(int(s) for s in self.shape))
        c, h, w = self.shape
        if h != w or h not in (28, 32, 64):
            raise ValueError(f"WGAN images must be square with side 28, 32 or 64, not {h}x{w}")
        if self.penalty not in PENALTIES:
            raise ValueError(f"penalty must be one of {PENALTIES}, not {self.penalty!r}")

    @property
    def n_up(self) -> int:
        """Stride-2 layers: 28 = 7 * 2^2, 32 = 4 * 2^3, 64 = 4 * 2^4."""
        return {28: 2, 32: 3, 64: 4}[self.shape[1]]

    @property
    def start(self) -> int:
        return self.shape[1] // 2 ** self.n_up


class Generator(nn.Module):
    """z: (B, latent) -> image in [-1, 1]: (B, C, H, W). ConvT-BN-ReLU blocks, tanh out (DCGAN)."""

    def __init__(self, cfg: Config) -> None:
        super().__init__()
        widths = [cfg.hidden * 2 ** i for i in reversed(range(cfg.n_up))]  # e.g. [128, 64, 32]
        blocks: list[nn.Module] = [nn.Sequential(
            nn.ConvTranspose2d(cfg.latent, widths[0], cfg.start, 1, 0, bias=False),
            nn.BatchNorm2d(widths[0]), nn.ReLU(True))]
        for a, b in zip(widths[:-1], widths[1:]):
            blocks.append(nn.Sequential(nn.ConvTranspose2d(a, b, 4, 2, 1, bias=False), nn.BatchNorm2d(b),
                                        nn.ReLU(True)))
        for _ in range(cfg.extra_layers):
            blocks.append(nn.Sequential(nn.Conv2d(widths[-1], widths[-1], 3, 1, 1, bias=False),
                                        nn.BatchNorm2d(widths[-1]), nn.ReLU(True)))
        blocks.append(nn.Sequential(nn.ConvTranspose2d(widths[-1], cfg.shape[0], 4, 2, 1), nn.Tanh()))
        self.blocks = nn.ModuleList(blocks)

    def forward(self, z: torch.Tensor, upto: int | None = None) -> torch.Tensor:
        h = z[:, :, None, None]
        for i, block in enumerate(self.blocks):
            h = block(h)
            if upto is not None and i == upto:
                return h
        return h


class Critic(nn.Module):
    """image in [-1, 1]: (B, C, H, W) -> score (B,). Conv-LeakyReLU, no normalisation (the penalty is
    per sample, so batch statistics must not mix samples)."""

    def __init__(self, cfg: Config) -> None:
        super().__init__()
        widths = [cfg.hidden * 2 ** i for i in range(cfg.n_up)]  # e.g. [32, 64, 128]
        layers: list[nn.Module] = [nn.Conv2d(cfg.shape[0], widths[0], 4, 2, 1), nn.LeakyReLU(0.2, True)]
        for _ in range(cfg.extra_layers):
            layers += [nn.Conv2d(widths[0], widths[0], 3, 1, 1), nn.LeakyReLU(0.2, True)]
        for a, b in zip(widths[:-1], widths[1:]):
            layers += [nn.Conv2d(a, b, 4, 2, 1), nn.LeakyReLU(0.2, True)]
        layers.append(nn.Conv2d(widths[-1], 1, cfg.start, 1, 0))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).flatten()


def gradient_penalty(critic: nn.Module, real: torch.Tensor, fake: torch.Tensor, *, one_sided: bool = True,
                     generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Penalty on x_hat = t real + (1 - t) fake, one t ~ U(0, 1) per pair -> (penalty, norms (B,)), norms[i] =
    |∇ critic(x_hat_i)|_2 over all of sample i (samples are scored independently, so grad of the sum suffices)."""
    t = torch.rand((real.shape[0],) + (1,) * (real.dim() - 1), generator=generator, device=real.device)
    x_hat = (t * real + (1 - t) * fake).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
    norms = grad.flatten(1).norm(dim=1)  # (B,): per sample, all pixels and channels
    excess = F.relu(norms - 1) if one_sided else norms - 1
    return excess.pow(2).mean(), norms


class WGAN(nn.Module):
    """Generator + critic. ``generate`` and ``score`` speak [0, 1] images."""

    Config = Config

    def __init__(self, cfg: Config) -> None:
        super().__init__()
        self.cfg = cfg
        self.generator = Generator(cfg)
        self.critic = Critic(cfg)

    @property
    def latent(self) -> int:
        return self.cfg.latent

    def generate(self, z: torch.Tensor) -> torch.Tensor:
        """z: (B, latent) -> (B, C, H, W) in [0, 1]."""
        return (self.generator(z) + 1) / 2

    def features(self, z: torch.Tensor, layer: int = 0) -> torch.Tensor:
        """The generator's activations after block ``layer``, flattened: (B, F) (GANSpace's PCA input)."""
        return self.generator(z, upto=layer).flatten(1)

    def score(self, x: torch.Tensor) -> torch.Tensor:
        """The critic's score of [0, 1] images: (B, C, H, W) -> (B,) (higher = more like the data)."""
        return self.critic(x * 2 - 1)

    def critic_loss(self, real: torch.Tensor, fake: torch.Tensor,
                    generator: torch.Generator | None = None) -> tuple[torch.Tensor, float, float]:
        """real, fake: (B, C, H, W) in [-1, 1] -> (loss, W estimate E D(real) - E D(fake), penalty)."""
        w = self.critic(real).mean() - self.critic(fake).mean()
        pen, _ = gradient_penalty(self.critic, real, fake, one_sided=self.cfg.penalty == "one-sided",
                                  generator=generator)
        return -w + self.cfg.penalty_weight * pen, w.item(), pen.item()

    def generator_loss(self, fake: torch.Tensor) -> torch.Tensor:
        return -self.critic(fake).mean()

    @torch.no_grad()
    def recalibrate(self, n_batches: int = 50, batch: int = 256, generator: torch.Generator | None = None) -> None:
        """Generator BatchNorm stats -> population values over ``n_batches`` of fresh z, so eval-mode images match
        training."""
        bns = [m for m in self.generator.modules() if isinstance(m, nn.BatchNorm2d)]
        for bn in bns:
            bn.reset_running_stats()
            bn.momentum = None  # cumulative moving average
        self.generator.train()
        device = next(self.parameters()).device
        for _ in range(n_batches):
            self.generator(torch.randn(batch, self.cfg.latent, generator=generator, device=device))
        for bn in bns:
            bn.momentum = 0.1
        self.generator.eval()
