"""The critics page in one call each: the shipped sweep over theta, a live retrain at one theta, samples.

Nowozin, Cseke & Tomioka, "f-GAN", arXiv 1606.00709 (squared Hellinger as a variational bound);
Arjovsky, Chintala & Bottou, "Wasserstein GAN", arXiv 1701.07875 (the parallel lines); Petzka et al.,
"On the regularization of Wasserstein GANs", arXiv 1709.08894 (the one-sided Lipschitz penalty). Idea in
one sentence: the sweep over 21 values of theta is too slow for a page (minutes), so the benchmark
``python -m dgm_core bench critics`` writes it to ``benchmarks/results/critics.json`` and the page reads
it here, while a short retrain at one theta (``LIVE``: fewer steps, fewer evaluation points) runs live.

Pure Python + torch: nothing here knows about Streamlit.
"""
from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, fields
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch

from ..models.critics import KINDS, CriticConfig, CriticStep, sample_lines, train_critic

ROOT = Path(__file__).resolve().parents[2]
SWEEP_FILE = ROOT / "benchmarks" / "results" / "critics.json"
SWEEP_SOURCE = "benchmarks/results/critics.json"
# the live retrain: fewer steps and evaluation points than the sweep (CriticConfig()), a few seconds a critic
LIVE = CriticConfig(steps=100, eval_n=5000)
LABELS = {"hellinger": "squared Hellinger (f-GAN)", "wasserstein": "Wasserstein-1 (Lipschitz penalty)"}


class SweepError(Exception):
    """The shipped sweep is missing or malformed (the message is one sentence for the page)."""


@dataclass(frozen=True)
class Sweep:
    """The shipped sweep: ``thetas[i]`` with each kind's estimate and true value, and how it was made.

    ``live_seconds[kind]``: how long one live retrain (``live_config``) took at ``live_theta``."""

    thetas: list[float]
    estimates: dict[str, list[float]]
    truth: dict[str, list[float]]
    config: dict[str, float]
    seed: int
    seconds: float
    command: str
    live_config: dict[str, float]
    live_theta: float
    live_seconds: dict[str, float]

    def at(self, kind: str, theta: float) -> float:
        """The shipped estimate at the sweep's theta nearest to ``theta``."""
        i = int(np.argmin(np.abs(np.asarray(self.thetas) - theta)))
        return self.estimates[kind][i]

    def csv(self) -> str:
        """theta, then each kind's estimate and true value: one row per theta."""
        head = ["theta"] + [f"{k}_{c}" for k in KINDS for c in ("estimate", "true")]
        rows = [",".join(head)]
        for i, th in enumerate(self.thetas):
            rows.append(",".join([f"{th:g}"] + [f"{v:.6g}" for k in KINDS
                                               for v in (self.estimates[k][i], self.truth[k][i])]))
        return "\n".join(rows) + "\n"


def config_dict(cfg: CriticConfig) -> dict[str, float]:
    return {f.name: getattr(cfg, f.name) for f in fields(cfg)}


def load_sweep(path: str | Path | None = None) -> Sweep:
    """Read the sweep the benchmark wrote; ``SweepError`` (one sentence) if it is missing or malformed."""
    path = Path(path) if path is not None else SWEEP_FILE
    again = "rebuild it with `python -m dgm_core bench critics`"
    if not path.is_file():
        raise SweepError(f"The critics sweep {SWEEP_SOURCE} is missing: {again}.")
    try:
        rec = json.loads(path.read_text())
        thetas = [float(t) for t in rec["thetas"]]
        est = {k: [float(v) for v in rec["estimates"][k]] for k in KINDS}
        truth = {k: [float(v) for v in rec["true_values"][k]] for k in KINDS}
        live = rec["live_retrain"]
        sweep = Sweep(thetas, est, truth, dict(rec["config"]), int(rec["seed"]), float(rec["seconds"]),
                      str(rec["command"]), dict(live["config"]), float(live["theta"]),
                      {k: float(live["seconds"][k]) for k in KINDS})
    except (ValueError, KeyError, TypeError, AttributeError) as err:
        raise SweepError(f"The critics sweep {SWEEP_SOURCE} is malformed ({err!r}): {again}.") from err
    values = thetas + [v for k in KINDS for v in est[k] + truth[k]]
    if not thetas or any(len(est[k]) != len(thetas) or len(truth[k]) != len(thetas) for k in KINDS) \
            or not all(math.isfinite(v) for v in values):
        raise SweepError(f"The critics sweep {SWEEP_SOURCE} is malformed (lengths or values): {again}.")
    return sweep


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
