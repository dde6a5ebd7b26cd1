"""The critics page's calls (f-GAN, arXiv 1606.00709; WGAN's parallel lines, arXiv 1701.07875; one-sided penalty,
arXiv 1709.08894): the sweep over theta is too slow for a page, so ``bench critics`` ships it and the page reads it
via ``dgm_core.results.critics``, while a short retrain at one theta (``LIVE``) runs live.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import fields
from typing import NamedTuple

import numpy as np
import torch

from ..controls import Control
from ..models.critics import KINDS, CriticConfig, CriticStep, sample_lines, train_critic

# fewer steps and evaluation points than the sweep's CriticConfig(), so it runs live: on the server (the fallback) ...
LIVE = CriticConfig(steps=100, eval_n=5000)
# ... and in the visitor's browser (static/js/workers/toy_train.worker.js), where TensorFlow.js takes longer per step
# than torch on a server core: a narrower critic on smaller batches (bench browser_train times both)
BROWSER = CriticConfig(hidden=32, batch=128, steps=100, eval_n=5000)
LABELS = {"hellinger": "squared Hellinger (f-GAN)", "wasserstein": "Wasserstein-1 (Lipschitz penalty)"}
THETAS = tuple(round(i / 10, 1) for i in range(21))  # the page's shifts: 0 to 2 in steps of 0.1
# The page's controls, each declared once (dgm_core.controls)
PREFIX = "critics_"  # the page's keys in a link: ?critics_<control>=… (its widgets, its URL state, the deck)
CONTROLS: dict[str, Control] = {
    "theta": Control(1.0, "θ: how far Q_θ is shifted from P", "select_slider", choices=THETAS,
                     names=lambda t: f"{t:.1f}"),
}


def config_dict(cfg: CriticConfig) -> dict[str, float]:
    return {f.name: getattr(cfg, f.name) for f in fields(cfg)}


class LiveStep(NamedTuple):
    """One step of a live retrain; ``final``: ``estimate`` is the trained critic's value on fresh points."""

    kind: str
    step: int
    estimate: float
    final: bool = False


def live_retrain(theta: float, cfg: CriticConfig = LIVE, *, seed: int = 0) -> Iterator[LiveStep]:
    """Both critics at ``theta`` in turn: a ``LiveStep`` per training step, then a ``final`` one per kind."""
    for kind in KINDS:
        for out in train_critic(kind, float(theta), cfg, seed=seed):
            if isinstance(out, CriticStep):
                yield LiveStep(kind, out.step, out.estimate)
            else:
                yield LiveStep(kind, cfg.steps, float(out), final=True)


def samples(theta: float, n: int = 200, *, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points of P and of Q_theta for a scatter: two (n, 2) float arrays."""
    p, q = sample_lines(float(theta), n, torch.Generator().manual_seed(int(seed)))
    return p.numpy(), q.numpy()
