"""The one card writer of the training CLI: command string, notes, metrics -> ``pretrained`` files.

A card says how to rebuild its weights (``command``: ``python -m dgm_core train <name>``, plain when
the recipe's own length was used) and, once re-measured, how its test metrics were measured
(``evaluate_command``). Re-measuring never touches the weights, their sha256 or the training-only
metrics (train loss, epochs): only the keys the evaluation returns are replaced, in place.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from .. import pretrained
from . import distributed


@dataclass
class Fitted:
    """What a family's trainer hands to the card writer."""

    model: torch.nn.Module
    metrics: dict[str, Any]  # training and evaluation metrics, in the order the card lists them
    seconds: float  # wall clock of the fit (the card's training_time_s)
    notes: str
    data: str  # the data set, split and preprocessing actually used


def command(verb: str, name: str, epochs: int | None = None) -> str:
    """``python -m dgm_core <verb> <name>`` (+ ``--epochs N`` when the recipe's length was overridden)."""
    return f"python -m dgm_core {verb} {name}" + (f" --epochs {epochs}" if epochs is not None else "")


def sessions_line(sessions: list[dict]) -> str:
    """One sentence of a card's notes: where a resumable run trained, session by session."""
    parts = [f"{s['device']}, {s['threads']} thread(s), steps {s['from_step']}-{s['to_step']} in {s['seconds']:.0f} s"
             for s in sessions]
    return f"Trained in {len(sessions)} session(s): " + "; ".join(parts) + ". "


def write(fitted: Fitted, *, name: str, family: str, seed: int, epochs: int | None = None,
          directory: str | Path | None = None) -> pretrained.ModelCard:
    """Save the weights and the card of a training run into ``directory`` (default: pretrained/).

    Under torchrun only rank 0 writes; the other processes wait for it and return the card it wrote."""
    distributed.init()
    if not distributed.is_main():
        distributed.barrier()
        return pretrained.load_card(name, directory)
    card = pretrained.save(fitted.model, name=name, family=family, data=fitted.data, seed=seed,
                           training_time_s=fitted.seconds, metrics=fitted.metrics,
                           command=command("train", name, epochs), notes=fitted.notes, directory=directory)
    distributed.barrier()
    return card


def rewrite_metrics(card: pretrained.ModelCard, measured: dict[str, Any],
                    directory: str | Path | None = None) -> pretrained.ModelCard:
    """Replace the measured keys of ``card.metrics`` (others keep their place and value), record the
    evaluate command, and rewrite the JSON card only; the weights file is never opened for writing."""
    metrics = dict(card.metrics)
    metrics.update(measured)
    new = dataclasses.replace(card, metrics=metrics, evaluate_command=command("evaluate", card.name))
    (Path(directory or pretrained.PRETRAINED_DIR) / f"{card.name}.json").write_text(new.to_json())
    return new
