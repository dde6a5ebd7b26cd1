"""Squared Hellinger (Nowozin, Cseke & Tomioka, "f-GAN", arXiv 1606.00709) and Wasserstein-1 (Arjovsky et al., arXiv
1701.07875, its parallel-lines example; one-sided penalty of Petzka et al., arXiv 1709.08894) estimated by a trained
critic: on P = (0, U[0,1]) and Q_theta = (theta, U[0,1]) the Hellinger jumps from 0 to 2 (no slope), W1 is |theta|.
Hellinger: D = E_P[1 - exp(-V)] + E_Q[1 - exp(V)] (f-GAN, Table 2); Wasserstein: W = E_P[T] - E_Q[T], penalised.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from .wgan import gradient_penalty

KINDS = ("hellinger", "wasserstein")


def sample_lines(theta: float, n: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """n points of P = (0, U[0,1]) and n of Q_theta = (theta, U[0,1]): two (n, 2) tensors."""
    p = torch.stack([torch.zeros(n), torch.rand(n, generator=generator)], 1)
    q = torch.stack([torch.full((n,), float(theta)), torch.rand(n, generator=generator)], 1)
    return p, q


def true_value(kind: str, theta: float) -> float:
    """Squared Hellinger: 0 at theta = 0, 2 for any other theta (disjoint supports); Wasserstein: |theta|."""
    if kind == "hellinger":
        return 0.0 if theta == 0 else 2.0
    return abs(float(theta))


def objective(kind: str, t_p: torch.Tensor, t_q: torch.Tensor) -> torch.Tensor:
    """The variational lower bound of the divergence from critic outputs on P and Q samples."""
    if kind == "hellinger":
        return (1 - torch.exp(-t_p)).mean() + (1 - torch.exp(t_q)).mean()
    return t_p.mean() - t_q.mean()


@dataclass(frozen=True)
class CriticConfig:
    hidden: int = 128  # 2-128-128-128-1, LeakyReLU
    depth: int = 3
    steps: int = 500
    batch: int = 256
    lr: float = 1e-3  # Adam
    penalty_weight: float = 50.0  # Wasserstein only
    eval_n: int = 20_000  # fresh points to evaluate the trained critic's objective


def init_linear_(net: nn.Module, generator: torch.Generator) -> nn.Module:
    """Every ``nn.Linear`` of ``net`` initialised as torch's own default (Kaiming-uniform weights, biases
    U(-1/sqrt(fan_in), 1/sqrt(fan_in))), drawn from ``generator``: the same numbers ``torch.manual_seed`` would give,
    without touching the process-wide generator that every session of a server shares."""
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, nn.Linear):
                nn.init.kaiming_uniform_(m.weight, a=math.sqrt(5), generator=generator)
                bound = 1 / math.sqrt(m.in_features)
                nn.init.uniform_(m.bias, -bound, bound, generator=generator)
    return net


def critic_mlp(cfg: CriticConfig, generator: torch.Generator) -> nn.Sequential:
    """2-H-...-H-1 (LeakyReLU 0.2), its weights drawn from ``generator``."""
    layers: list[nn.Module] = []
    for i in range(cfg.depth):
        layers += [nn.Linear(2 if i == 0 else cfg.hidden, cfg.hidden, device="meta"), nn.LeakyReLU(0.2)]
    layers.append(nn.Linear(cfg.hidden, 1, device="meta"))  # meta: no draws from the global generator here
    return init_linear_(nn.Sequential(*layers).to_empty(device="cpu"), generator)


def critic_step(kind: str, f: Callable[[torch.Tensor], torch.Tensor], opt: torch.optim.Optimizer, p: torch.Tensor,
                q: torch.Tensor, penalty_weight: float, generator: torch.Generator) -> float:
    """One update of the critic ``f`` (x (B, 2) -> (B,)) maximising the bound on ``p`` and ``q`` (B, 2); Wasserstein
    adds the one-sided penalty at one t ~ U(0, 1) per pair, drawn from ``generator``. Returns the bound (no penalty)."""
    est = objective(kind, f(p), f(q))
    loss = -est
    if kind == "wasserstein":
        loss = loss + penalty_weight * gradient_penalty(f, p, q, one_sided=True, generator=generator)[0]
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    return est.item()


@dataclass
class CriticStep:
    step: int
    estimate: float  # the objective on this step's batch (without the penalty)


def train_critic(kind: str, theta: float, cfg: CriticConfig = CriticConfig(), *, seed: int = 0
                 ) -> Iterator[CriticStep | float]:
    """A fresh critic at ``theta``: yields a ``CriticStep`` per step, then the estimate on ``eval_n`` fresh points."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
    g = torch.Generator().manual_seed(int(seed))  # the data and the penalty's t
    net = critic_mlp(cfg, torch.Generator().manual_seed(int(seed)))  # the initialisation: a stream of its own
    opt = torch.optim.Adam(net.parameters(), lr=cfg.lr)
    f = lambda x: net(x).squeeze(-1)  # noqa: E731
    for step in range(cfg.steps):
        p, q = sample_lines(theta, cfg.batch, g)
        yield CriticStep(step + 1, critic_step(kind, f, opt, p, q, cfg.penalty_weight, g))
    with torch.no_grad():
        p, q = sample_lines(theta, cfg.eval_n, g)
        yield objective(kind, f(p), f(q)).item()


def estimate(kind: str, theta: float, cfg: CriticConfig = CriticConfig(), *, seed: int = 0,
             progress: Callable[[int, float], None] | None = None) -> float:
    """Run ``train_critic`` to the end; ``progress(step, estimate)`` after every step."""
    result = float("nan")
    for out in train_critic(kind, theta, cfg, seed=seed):
        if isinstance(out, CriticStep):
            if progress:
                progress(out.step, out.estimate)
        else:
            result = out
    return result


def sweep(thetas: np.ndarray | list[float], cfg: CriticConfig = CriticConfig(), *, seed: int = 0,
          progress: Callable[[str, float], None] | None = None) -> dict[str, list[float]]:
    """Both estimates at every theta (a fresh critic each, seeded ``seed``)."""
    out: dict[str, list[float]] = {k: [] for k in KINDS}
    for kind in KINDS:
        for th in thetas:
            out[kind].append(estimate(kind, float(th), cfg, seed=seed))
            if progress:
                progress(kind, float(th))
    return out
