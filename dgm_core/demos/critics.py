"""The critics page in one call each: the shipped sweep over theta, a live retrain at one theta, samples.

Nowozin, Cseke & Tomioka, "f-GAN", arXiv 1606.00709 (squared Hellinger as a variational bound);
Arjovsky, Chintala & Bottou, "Wasserstein GAN", arXiv 1701.07875 (the parallel lines); Petzka et al.,
"On the regularization of Wasserstein GANs", arXiv 1709.08894 (the one-sided Lipschitz penalty). Idea in
one sentence: the sweep over 21 values of theta is too slow for a page (minutes), so the benchmark
``python -m dgm_core bench critics`` writes it to ``benchmarks/results/critics.json`` and the page reads
it with ``dgm_core.results.critics``, while a short retrain at one theta (``LIVE``: fewer steps, fewer
evaluation points) runs live.

Pure Python + torch: nothing here knows about Streamlit.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import fields
from typing import NamedTuple

import numpy as np
import torch

from ..models.critics import KINDS, CriticConfig, CriticStep, sample_lines, train_critic

# the live retrain: fewer steps and evaluation points than the sweep (CriticConfig()), a few seconds a critic
LIVE = CriticConfig(steps=100, eval_n=5000)
LABELS = {"hellinger": "squared Hellinger (f-GAN)", "wasserstein": "Wasserstein-1 (Lipschitz penalty)"}


def config_dict(cfg: CriticConfig) -> dict[str, float]:
    return {f.name: getattr(cfg, f.name) for f in fields(cfg)}


class LiveStep(NamedTuple):
    """One step of a live retrain; ``final``: ``estimate`` is the trained critic's value on fresh points."""

    kind: str
    step: int
    estimate: float
    final: bool = False


def live_retrain(theta: float, cfg: CriticConfig = LIVE, *, seed: int = 0) -> Iterator[LiveStep]:
    """Retrain both critics at ``theta``, one after the other: a ``LiveStep`` per training step, then one
    with ``final=True`` per kind (``step == cfg.steps``). ``2 * cfg.steps`` training steps in all."""
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
