"""Training recipes for every shipped model: ``python -m dgm_core train <name>`` rebuilds it.

A recipe fixes the data, the config, the optimiser and the seed, so that a model card can say
exactly how its weights were made. ``--dry-run`` trains for a few steps on a few images and writes
into a temporary folder: the smoke test of every entry point (the pytorch/examples habit).
"""
from __future__ import annotations

import importlib
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import torch

from . import masks as masks_mod
from . import pretrained
from .data import load_images
from .device import default_device, generator, set_threads
from .train_loop import Progress, epoch_loop


@dataclass(frozen=True)
class Recipe:
    family: str
    config: dict[str, Any]
    dataset: str
    size: int | None = None
    binarize: bool = False
    epochs: int = 50
    batch: int = 100
    lr: float = 1e-3
    seed: int = 0
    objective: str = "elbo"  # "elbo" | "miwae" (IWAE bound on observed pixels only)
    k: int = 1  # importance samples in the training bound
    missing: float = 0.0  # MIWAE: fraction of pixels missing (MCAR, fixed per training image)
    eval_k: int = 1000  # importance samples for the test log-likelihood
    eval_n: int | None = None  # test images to evaluate (None = all)
    notes: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


_MNIST = dict(shape=(1, 28, 28), latent=50, hidden=300, depth=2, likelihood="bernoulli", logit_bias=-2.0)
_CELEBA = dict(shape=(3, 32, 32), latent=64, hidden=32, arch="conv", likelihood="gaussian", min_scale=0.02)

RECIPES: dict[str, Recipe] = {
    "vae-mnist": Recipe("vae", _MNIST, "mnist", binarize=True, epochs=60, lr=1e-3),
    "vae-omniglot": Recipe("vae", _MNIST, "omniglot", binarize=True, epochs=60, lr=1e-3),
    "vae-celeba": Recipe("vae", _CELEBA, "celeba", size=32, epochs=60, batch=64, lr=1e-3, eval_k=200),
    "miwae-mnist": Recipe("miwae", {**_MNIST, "mask_input": True}, "mnist", binarize=True, epochs=15,
                          objective="miwae", k=5, missing=0.5, eval_k=200),
    "miwae-omniglot": Recipe("miwae", {**_MNIST, "mask_input": True}, "omniglot", binarize=True, epochs=30,
                             objective="miwae", k=5, missing=0.5, eval_k=200),
    "miwae-celeba": Recipe("miwae", {**_CELEBA, "mask_input": True}, "celeba", size=32, epochs=20, batch=64,
                           objective="miwae", k=5, missing=0.5, eval_k=200),
}



def _data_description(r: Recipe) -> str:
    desc = {"mnist": "MNIST (torchvision) train 60000 / test 10000",
            "omniglot": "Omniglot 28x28 (omniglot28.npz) background 19280 / evaluation 13180",
            "celeba": "CelebA 64x64 subset (celeba64_subset.npz) train 5340 / test 660"}[r.dataset]
    if r.size:
        desc += f", area-resized to {r.size}x{r.size}"
    if r.binarize:
        desc += ", statically binarised (fixed seeds per split)"
    if r.missing:
        desc += f", {int(r.missing * 100)} % of pixels missing completely at random (fixed per image)"
    return desc


def _train_masks(n: int, shape: tuple[int, int, int], missing: float, seed: int) -> torch.Tensor | None:
    if not missing:
        return None
    return masks_mod.random_pixels_batch(n, shape[1:], missing, generator(seed + 1))


def fit(model: torch.nn.Module, r: Recipe, x: torch.Tensor, m: torch.Tensor | None,
        progress: Progress | None = None, max_steps: int | None = None) -> list[float]:
    """Adam on the recipe's objective; returns the mean loss (nats per image) of each epoch."""
    opt = torch.optim.Adam(model.parameters(), lr=r.lr)
    g = generator(r.seed)

    def step(idx: torch.Tensor, epoch: int, steps: int) -> float:
        xb = x[idx]
        mb = None if m is None else m[idx]
        if r.objective == "miwae":
            loss = -model.iwae_bound(xb, r.k, mb, g).mean()
        else:
            loss = -model.elbo(xb, None, g).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss.item()

    model.train()
    history = epoch_loop(x.shape[0], step, epochs=r.epochs, batch=r.batch, generator=g, progress=progress,
                         max_steps=max_steps)
    model.eval()
    return history


@torch.no_grad()
def evaluate(model: torch.nn.Module, r: Recipe, x_test: torch.Tensor) -> dict[str, Any]:
    """Test metrics for the card: importance-sampled log-likelihood (complete images for a VAE,
    observed pixels under 50 % MCAR for MIWAE), in nats per image."""
    n = x_test.shape[0] if r.eval_n is None else min(r.eval_n, x_test.shape[0])
    x = x_test[:n]
    g = generator(r.seed + 1000)
    out: dict[str, Any] = {"test_images": n, "eval_k": r.eval_k}
    if r.objective == "miwae":
        m = _train_masks(n, tuple(x.shape[1:]), r.missing, r.seed + 1000)
        out["test_log_lik_observed"] = round(model.log_likelihood(x, r.eval_k, mask=m, generator=g).mean().item(), 2)
    else:
        out["test_log_lik"] = round(model.log_likelihood(x, r.eval_k, generator=g).mean().item(), 2)
        out["test_elbo"] = round(model.elbo(x, generator=g).mean().item(), 2)
    return out


# Model families with their own training loops keep their recipes in their own module, which
# exposes RECIPES (name -> anything) and train(name, *, epochs, dry_run, out_dir, data_dir, progress).
EXTRA_TRAINERS = ("dgm_core.train_dmfa", "dgm_core.train_notmiwae")


def _extra_trainers() -> list:
    mods = []
    for path in EXTRA_TRAINERS:
        try:
            mods.append(importlib.import_module(path))
        except ModuleNotFoundError as e:
            if e.name != path:  # a real import error inside an existing trainer
                raise
    return mods


def all_recipes() -> list[str]:
    return [*RECIPES, *(n for m in _extra_trainers() for n in m.RECIPES)]


def train(name: str, *, epochs: int | None = None, dry_run: bool = False, out_dir: str | Path | None = None,
          data_dir: str | Path | None = None, progress: Progress | None = None) -> pretrained.ModelCard:
    """Train recipe ``name`` from the data in DGM_DATA_DIR and save weights + card."""
    if name not in RECIPES:
        for mod in _extra_trainers():
            if name in mod.RECIPES:
                return mod.train(name, epochs=epochs, dry_run=dry_run, out_dir=out_dir, data_dir=data_dir,
                                 progress=progress)
        raise SystemExit(f"unknown model '{name}'; known: {', '.join(all_recipes())}")
    r = RECIPES[name]
    if epochs is not None:
        r = replace(r, epochs=epochs)
    if dry_run:
        r = replace(r, epochs=1, eval_k=10, eval_n=20)
    set_threads()
    device = default_device()
    torch.manual_seed(r.seed)  # parameter initialisation is part of the recipe
    limit = 256 if dry_run else None
    train_set = load_images(r.dataset, "train", size=r.size, binarize=r.binarize, limit=limit, data_dir=data_dir)
    test_set = load_images(r.dataset, "test", size=r.size, binarize=r.binarize, limit=limit, data_dir=data_dir)
    x = train_set.x.to(device)
    m = _train_masks(x.shape[0], tuple(x.shape[1:]), r.missing, r.seed)
    m = None if m is None else m.to(device)
    model = pretrained.build(r.family, r.config).to(device)
    t0 = time.perf_counter()
    history = fit(model, r, x, m, progress, max_steps=5 if dry_run else None)
    seconds = time.perf_counter() - t0
    metrics = evaluate(model, r, test_set.x.to(device))
    metrics["train_loss_last_epoch"] = round(history[-1], 2)
    metrics["epochs"] = len(history)
    cmd = f"python -m dgm_core train {name}" + (f" --epochs {epochs}" if epochs is not None else "")
    return pretrained.save(
        model, name=name, family=r.family, data=_data_description(r), seed=r.seed, training_time_s=seconds,
        metrics=metrics, command=cmd, directory=out_dir,
        notes=(f"{r.objective} objective, K={r.k}, Adam lr {r.lr}, batch {r.batch}, {len(history)} epochs on "
               f"{device.type}. {r.notes}").strip(),
    )
