"""Training recipes for every shipped model: ``python -m dgm_core train <name>`` rebuilds it exactly.

One registry (``RECIPES``, name -> recipe) gathered from one file per model family: ``vae`` (the VAEs
and MIWAEs, Kingma & Welling arXiv 1312.6114; Mattei & Frellsen arXiv 1812.02633), ``dmfa`` (DMFA and
its MFA baseline, arXiv 2010.02183), ``wgan`` (the latent explorer's GANs, arXiv 1701.07875), ``flow``
(flow matching of MNIST, arXiv 2210.02747), ``clipping`` (conv MIWAE / not-MIWAE under self-masking,
arXiv 2006.12871), ``tabular`` (the MNAR lab's default run, the same paper's Table 1) and ``vae_gmm``
(VAE + GMM mutual learning, arXiv 1910.08918). A recipe fixes the data, the config, the optimiser, the
seed and the run's length (epochs or steps, never the wall clock), so that a card's ``command`` rebuilds
its weights; ``evaluate`` re-measures a card's test metrics from the shipped weights with the same
estimator, K, images and seeds as training did, without retraining.

Every recipe offers: ``family``, ``config``, ``seed``, ``length`` / ``length_key`` (the run length
and the card metric that records it), ``with_epochs(n)``, ``dry()`` (a few steps on a few images:
the pytorch/examples ``--dry-run`` smoke test), ``prepare()`` (threads, device), ``describe()``
(the card's ``data``), ``fit(device, data_dir, progress) -> Fitted`` and ``measure(model, data_dir)``.

A recipe with ``resumable = True`` also offers ``key()`` (what its checkpoint must match) and takes
``checkpoint``, ``resume`` and ``stop_at`` in ``fit``: its run saves a ``Checkpoint`` every few minutes
to ``checkpoints/<name>.pt`` beside the cards, continues from it exactly (``train --resume``, in this
process or in a later session after the file travelled by git), and deletes it once the card is written.
"""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any, ClassVar, Protocol

import torch

from .. import pretrained
from . import clipping, digits, dmfa, flow, tabular, vae, vae_gmm, wgan
from ..device import set_threads
from .cards import Fitted, rewrite_metrics, write
from .loop import Checkpoint, CheckpointError, Progress

__all__ = ["RECIPES", "CheckpointError", "Recipe", "UnknownModelError", "checkpoint_path", "evaluate",
           "full_config", "recipe", "train"]


class Recipe(Protocol):
    family: str
    config: dict[str, Any]
    seed: int
    dry_run: bool
    length_key: ClassVar[str]

    @property
    def length(self) -> int: ...
    def with_epochs(self, epochs: int) -> Recipe: ...
    def dry(self) -> Recipe: ...
    def prepare(self) -> torch.device: ...
    def describe(self) -> str: ...
    def fit(self, device: torch.device, data_dir: str | Path | None = None,
            progress: Progress | None = None) -> Fitted: ...
    def measure(self, model: torch.nn.Module, data_dir: str | Path | None = None) -> dict[str, Any]: ...


RECIPES: dict[str, Recipe] = {**vae.RECIPES, **dmfa.RECIPES, **clipping.RECIPES, **tabular.RECIPES,
                             **vae_gmm.RECIPES, **wgan.RECIPES, **flow.RECIPES, **digits.RECIPES}
# recipes with no card in pretrained/: data we do not have (wgan-svhn), candidates to replace a shipped model
UNSHIPPED: dict[str, Recipe] = {**wgan.UNSHIPPED, **wgan.CANDIDATES, **flow.CANDIDATES, **vae.CANDIDATES}


class UnknownModelError(ValueError):
    """No recipe of that name; the message lists the known ones."""


def recipe(name: str) -> Recipe:
    if name in UNSHIPPED:
        return UNSHIPPED[name]
    if name not in RECIPES:
        raise UnknownModelError(f"unknown model '{name}'; known: {', '.join([*RECIPES, *UNSHIPPED])}")
    return RECIPES[name]


def full_config(r: Recipe) -> dict[str, Any]:
    """The recipe's config with the model's defaults filled in, as a card stores it (JSON types)."""
    cfg = pretrained.model_class(r.family).Config(**r.config)
    return json.loads(json.dumps(dataclasses.asdict(cfg)))  # tuples become lists, as in a card


def checkpoint_path(name: str, out_dir: str | Path | None = None) -> Path:
    """Where the unfinished run of recipe ``name`` keeps its checkpoint: ``checkpoints/`` beside the cards."""
    return Path(out_dir or pretrained.PRETRAINED_DIR) / "checkpoints" / f"{name}.pt"


def train(name: str, *, epochs: int | None = None, dry_run: bool = False, out_dir: str | Path | None = None,
          data_dir: str | Path | None = None, progress: Progress | None = None, threads: int | None = None,
          resume: bool = False, stop_at: int | None = None,
          budget_s: float | None = None) -> pretrained.ModelCard | None:
    """Train recipe ``name`` from the data in ``data_dir`` (default: DGM_DATA_DIR) and save weights +
    card into ``out_dir`` (default: pretrained/). ``epochs`` overrides the recipe's length (the card's
    command then says so); ``dry_run`` trains a few steps on a few images; ``threads`` overrides the
    recipe's thread count. Resumable recipes only: ``resume`` continues from the run's checkpoint;
    ``stop_at`` stops after that many steps in total with a checkpoint, and returns None; so does ``budget_s``
    once this session has trained that many seconds (a lent machine's time, not the run's length)."""
    r = recipe(name)
    if epochs is not None:
        r = r.with_epochs(epochs)
    if dry_run:
        r = r.dry()
    device = r.prepare()
    if threads is not None:
        set_threads(threads)
    if not getattr(r, "resumable", False):
        if resume or stop_at is not None or budget_s is not None:
            raise CheckpointError(f"'{name}' trains in one run: it has no checkpoints to stop at or resume.")
        return write(r.fit(device, data_dir, progress), name=name, family=r.family, seed=r.seed, epochs=epochs,
                     directory=out_dir)
    ckpt = Checkpoint(checkpoint_path(name, out_dir), r.key(), device, budget_s=budget_s)
    if not resume and ckpt.path.exists():
        raise CheckpointError(f"An unfinished run of '{name}' left {ckpt.path}: continue it with --resume, "
                              "or delete that file to start over.")
    fitted = r.fit(device, data_dir, progress, checkpoint=ckpt, resume=resume, stop_at=stop_at)
    if fitted is None:
        return None
    card = write(fitted, name=name, family=r.family, seed=r.seed, epochs=epochs, directory=out_dir)
    ckpt.finish()
    return card


def evaluate(name: str, *, directory: str | Path | None = None,
             data_dir: str | Path | None = None) -> pretrained.ModelCard:
    """Re-measure the test metrics of card ``name`` (in ``directory``, default pretrained/) from its
    weights, as ``train`` measured them, and rewrite the card: the measured metrics and
    ``evaluate_command`` change; weights, sha256 and training-only metrics do not."""
    r = recipe(name)
    model, card = pretrained.load(name, directory, device=r.prepare())
    return rewrite_metrics(card, r.measure(model, data_dir), directory)
