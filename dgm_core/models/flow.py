"""Flow matching of images with a small U-Net: Lipman et al., "Flow Matching for Generative Modeling" (arXiv
2210.02747), on the linear path of Liu et al., "Flow Straight and Fast: Learning to Generate and Transfer Data
with Rectified Flow" (arXiv 2209.03003).

Idea in one sentence: regress a velocity field v(x_t, t) onto x_1 - x_0 along the straight line
x_t = (1 - t) x_0 + t x_1 from noise x_0 ~ N(0, I) to an image x_1, then generate by integrating
dx/dt = v(x, t) from t = 0 (noise) to t = 1 (image) with a fixed number of Euler or Heun steps.

Images are (B, C, H, W) in [0, 1] at the interface and in [-1, 1] inside (``to_model`` / ``to_image``); time is
(B,) in [0, 1]. ``integrate`` and ``path`` take any velocity callable, so a closed-form field (tests) and the
inpainting sampler (dgm_core.samplers.flow_inpaint) share the one integrator.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

Velocity = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]  # (x: (B, ...), t: (B,)) -> (B, ...)
METHODS = ("euler", "heun")
# Heun steps flow-mnist's samples are drawn with (its card's measure, the flow page's opening value): what the rule of
# dgm_core.demos.flow_samples picks for the shipped network (tests/dgm_core/test_flow_samples.py re-derives it)
SETTLED_STEPS = 40


@dataclass(frozen=True)
class Config:
    shape: tuple[int, int, int] = (1, 28, 28)
    width: int = 16  # channels at full resolution
    mults: tuple[int, ...] = (1, 2, 4)  # channels per resolution (28, 14, 7) as multiples of width
    groups: int = 8  # GroupNorm groups
    time_features: int = 32  # sinusoidal features of t before the MLP


def to_model(x: torch.Tensor) -> torch.Tensor:
    return x * 2 - 1


def to_image(x: torch.Tensor) -> torch.Tensor:
    return ((x + 1) / 2).clamp(0, 1)


def time_features(t: torch.Tensor, dim: int) -> torch.Tensor:
    """Sinusoidal features of t (B,) in [0, 1] -> (B, dim); t is scaled by 1000 so the low frequencies resolve it."""
    half = dim // 2
    freqs = torch.exp(-math.log(10_000.0) * torch.arange(half, device=t.device, dtype=t.dtype) / half)
    arg = 1000.0 * t[:, None] * freqs[None]
    return torch.cat([torch.sin(arg), torch.cos(arg)], dim=1)


class ResBlock(nn.Module):
    """GroupNorm - SiLU - conv, plus the time embedding, twice, with a 1x1 skip when the width changes."""

    def __init__(self, c_in: int, c_out: int, t_dim: int, groups: int):
        super().__init__()
        self.norm1, self.conv1 = nn.GroupNorm(groups, c_in), nn.Conv2d(c_in, c_out, 3, padding=1)
        self.time = nn.Linear(t_dim, c_out)
        self.norm2, self.conv2 = nn.GroupNorm(groups, c_out), nn.Conv2d(c_out, c_out, 3, padding=1)
        self.skip = nn.Conv2d(c_in, c_out, 1) if c_in != c_out else nn.Identity()

    def forward(self, x: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        h = self.conv1(F.silu(self.norm1(x)))  # (B, c_out, H, W)
        h = h + self.time(emb)[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))
        return h + self.skip(x)


class FlowUNet(nn.Module):
    """v(x_t, t): a U-Net with one residual block per resolution on the way down and up, halving the side with
    stride-2 convolutions and doubling it back with nearest upsampling; skips concatenate."""

    Config = Config

    def __init__(self, cfg: Config):
        super().__init__()
        self.cfg = cfg
        c, w = cfg.shape[0], cfg.width
        t_dim = 4 * w
        self.time_mlp = nn.Sequential(nn.Linear(cfg.time_features, t_dim), nn.SiLU(), nn.Linear(t_dim, t_dim))
        chans = [w * m for m in cfg.mults]
        self.inp = nn.Conv2d(c, w, 3, padding=1)
        self.down, self.pool = nn.ModuleList(), nn.ModuleList()
        prev = w
        for i, ch in enumerate(chans):
            self.down.append(ResBlock(prev, ch, t_dim, cfg.groups))
            if i < len(chans) - 1:
                self.pool.append(nn.Conv2d(ch, ch, 3, stride=2, padding=1))
            prev = ch
        self.mid = ResBlock(prev, prev, t_dim, cfg.groups)
        self.up, self.upconv = nn.ModuleList(), nn.ModuleList()
        for i, ch in reversed(list(enumerate(chans))):
            self.up.append(ResBlock(prev + ch, ch, t_dim, cfg.groups))
            if i > 0:
                self.upconv.append(nn.Conv2d(ch, chans[i - 1], 3, padding=1))
                prev = chans[i - 1]
            else:
                prev = ch
        self.out_norm = nn.GroupNorm(cfg.groups, prev)
        self.out = nn.Conv2d(prev, c, 3, padding=1)
        nn.init.zeros_(self.out.weight)  # v = 0 at the start: the loss begins at E|x_1 - x_0|^2, not above it
        nn.init.zeros_(self.out.bias)

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """x: (B, C, H, W) on the model's scale [-1, 1] (noise at t = 0); t: (B,) -> velocity (B, C, H, W)."""
        emb = self.time_mlp(time_features(t, self.cfg.time_features))  # (B, 4w)
        h = self.inp(x)
        skips = []
        for i, block in enumerate(self.down):
            h = block(h, emb)
            skips.append(h)
            if i < len(self.pool):
                h = self.pool[i](h)
        h = self.mid(h, emb)
        for j, block in enumerate(self.up):
            h = block(torch.cat([h, skips.pop()], dim=1), emb)
            if j < len(self.upconv):
                h = self.upconv[j](F.interpolate(h, scale_factor=2.0, mode="nearest"))
        return self.out(F.silu(self.out_norm(h)))

    def loss(self, x: torch.Tensor, *, generator: torch.Generator | None = None) -> torch.Tensor:
        """Flow-matching loss of images x: (B, C, H, W) in [0, 1]: mean squared error per pixel."""
        return flow_matching_loss(self, to_model(x), generator=generator)

    @torch.no_grad()
    def sample(self, n: int, *, n_steps: int = 20, method: str = "heun",
               generator: torch.Generator | None = None) -> torch.Tensor:
        """n images (n, C, H, W) in [0, 1] from noise drawn from ``generator``."""
        p = next(self.parameters())
        x0 = torch.randn(n, *self.cfg.shape, generator=generator, device=p.device, dtype=p.dtype)
        return to_image(integrate(self, x0, n_steps=n_steps, method=method))


def flow_matching_loss(velocity: Velocity, x1: torch.Tensor, *,
                       generator: torch.Generator | None = None) -> torch.Tensor:
    """E_{t ~ U(0, 1), x_0 ~ N(0, I)} |v(x_t, t) - (x_1 - x_0)|^2 per entry (Lipman et al. eq. 23 with sigma_min = 0,
    the rectified-flow objective); x1: (B, ...) on the model's scale."""
    x0 = torch.randn(x1.shape, generator=generator, device=x1.device, dtype=x1.dtype)
    t = torch.rand(x1.shape[0], generator=generator, device=x1.device, dtype=x1.dtype)
    tb = t.view(-1, *([1] * (x1.dim() - 1)))
    xt = (1 - tb) * x0 + tb * x1
    return (velocity(xt, t) - (x1 - x0)).pow(2).mean()


def ode_step(velocity: Velocity, x: torch.Tensor, t: float, dt: float, method: str = "heun") -> torch.Tensor:
    """One step of dx/dt = v(x, t) from t to t + dt: Euler, or Heun's second-order correction (two evaluations)."""
    if method not in METHODS:
        raise ValueError(f"unknown ODE method {method!r}; known: {', '.join(METHODS)}")
    tt = torch.full((x.shape[0],), t, device=x.device, dtype=x.dtype)
    v = velocity(x, tt)
    if method == "euler":
        return x + dt * v
    x_e = x + dt * v
    v2 = velocity(x_e, tt + dt)
    return x + dt * 0.5 * (v + v2)


def path(velocity: Velocity, x0: torch.Tensor, *, n_steps: int, method: str = "heun",
         t0: float = 0.0, t1: float = 1.0) -> Iterator[tuple[float, torch.Tensor]]:
    """Yield (t, x_t) after each of ``n_steps`` equal steps from t0 to t1 (x0 not yielded)."""
    if n_steps < 1:
        raise ValueError("n_steps must be at least 1")
    x, dt = x0, (t1 - t0) / n_steps
    for k in range(n_steps):
        x = ode_step(velocity, x, t0 + k * dt, dt, method)
        yield t0 + (k + 1) * dt, x


def integrate(velocity: Velocity, x0: torch.Tensor, *, n_steps: int, method: str = "heun") -> torch.Tensor:
    """x_1 of the ODE started at x0 (B, ...) at t = 0."""
    x = x0
    for _, x_t in path(velocity, x0, n_steps=n_steps, method=method):
        x = x_t
    return x
