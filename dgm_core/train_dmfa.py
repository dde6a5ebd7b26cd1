"""Training recipes for DMFA and its classical MFA baseline: ``python -m dgm_core train dmfa-mnist``.

DMFA: Przewięźlikowski, Śmieja, Struski, "Estimating conditional density of missing values using
deep Gaussian mixture model" (arXiv 2010.02183). Idea in one sentence: hide a random rectangle of
each training image, feed (x ⊙ mask, mask) to the network and minimise the NLL of the hidden ground
truth under the predicted low-rank-plus-diagonal Gaussian (mixture), after a short MSE warm-up.

Protocol (MODELS.md §3.2, with our fixes of §3.4): one random rectangle per image at a uniform
position that may touch the last row/column, drawn from an explicit seeded generator; validation
images are held out of the train split and their holes are fixed by seed; optional second
"unknown, no loss" rectangle (training on incomplete data), off by default. The MFA baseline is
fitted by EM on the same complete training images.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import torch

from . import pretrained
from .data import load_images
from .device import generator, set_threads
from .metrics import sse_missing
from .masks import rectangles_batch
from .models import dmfa as dmfa_mod
from .models import mfa as mfa_mod
from .train_loop import Progress, epoch_loop

Hole = tuple[int, int]


@dataclass(frozen=True)
class Recipe:
    family: str  # "dmfa" | "mfa"
    dataset: str
    config: dict[str, Any]
    size: int | None = None
    n_train: int | None = None  # images taken from the start of the train split (None = all)
    n_val: int = 1000  # held out from the END of the train split
    hole: Hole = (14, 14)  # training rectangle (height, width) ...
    hole_ampl: Hole = (5, 5)  # ... ± these, so every benchmark hole is inside the training range
    unknown: int = 0  # side of an extra hidden, unscored square (training on incomplete data); 0 = off
    bench_holes: tuple[Hole, ...] = ((10, 10), (10, 15), (18, 18))
    epochs: int = 10
    warmup_epochs: int = 1  # NLL + mse_weight * SSE, then NLL alone
    mse_weight: float = 1.0
    batch: int = 64
    lr: float = 1e-3  # cosine-decayed to lr / 50
    max_minutes: float = 45.0  # wall-clock cap on a shared 2-core box (the card records epochs done)
    em_iters: int = 30
    seed: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


_DMFA = dict(n_mixes=1, n_factors=4, width=32, bottleneck=256, a_amp=0.5, d_scale=0.25, d_floor=1e-4)
_CELEBA_HOLES = ((12, 12), (12, 20), (20, 20))
RECIPES: dict[str, Recipe] = {
    "dmfa-mnist": Recipe("dmfa", "mnist", {**_DMFA, "shape": (1, 28, 28), "width": 16}, n_train=20000,
                         hole_ampl=(6, 6), epochs=12, max_minutes=38),
    "dmfa-celeba": Recipe("dmfa", "celeba", {**_DMFA, "shape": (3, 32, 32), "width": 24}, size=32,
                          n_val=340, hole=(16, 16), hole_ampl=(6, 6), bench_holes=_CELEBA_HOLES, epochs=20,
                          max_minutes=35),
    "mfa-mnist": Recipe("mfa", "mnist", dict(shape=(1, 28, 28), n_mixes=10, n_factors=10, d_floor=1e-4),
                        n_train=10000, em_iters=12),
    "mfa-celeba": Recipe("mfa", "celeba", dict(shape=(3, 32, 32), n_mixes=10, n_factors=10, d_floor=1e-4),
                         size=32, n_val=340, hole=(16, 16), hole_ampl=(6, 6), bench_holes=_CELEBA_HOLES,
                         em_iters=12),
}

BACKBONE_NOTE = (
    "Backbone: a small U-Net (2C -> w ch at full size, 2w ch at H/2 and H/4, 3x3 convs, strided 4x4 "
    "down/up-sampling with skips) whose H/4 map passes through one dense 256-unit layer, then 1x1 heads "
    "give per pixel the mean m (sigmoid), d = 0.25*sigmoid + 1e-4 and the l factor channels "
    "A = a_amp*sigmoid - a_amp/2; the mixing logits come from the 256-unit code. Why: the reference "
    "MNIST net (three dense heads from 25 088 features, 118 M parameters) needs ~54 min per epoch on one "
    "CPU core; this net has 0.9 M (MNIST, w = 16) or 1.8 M (CelebA, w = 24) parameters, sized so a run fits a"
    " shared 2-core box; and since 3x3 convs alone cannot make factor columns coherent across an 18x18 "
    "hole, the one dense layer at H/4 supplies global context.")


def _data(r: Recipe, dry_run: bool, data_dir) -> tuple[torch.Tensor, torch.Tensor, str]:
    """(train images, validation images, description) from the train split."""
    if dry_run:  # only the first 80 images, so the smoke test does not resize the whole split
        full = load_images(r.dataset, "train", size=r.size, limit=80, data_dir=data_dir).x
        x_tr, x_val = full[:64], full[64:]
    else:
        full = load_images(r.dataset, "train", size=r.size, data_dir=data_dir).x
        x_tr, x_val = full[:-r.n_val][:r.n_train], full[-r.n_val:]
    desc = {"mnist": "MNIST 28x28 grey [0,1]", "celeba": "CelebA subset (celeba64_subset.npz)"}[r.dataset]
    if r.size:
        desc += f" area-resized to {r.size}x{r.size} RGB [0,1]"
    desc += (f"; train = first {x_tr.shape[0]} train-split images, validation = last {x_val.shape[0]} "
             f"train-split images (test split untouched, used by `bench dmfa`)")
    return x_tr, x_val, desc


def _holes(n: int, shape: Hole, hole: Hole, ampl: Hole, g: torch.Generator) -> torch.Tensor:
    return rectangles_batch(n, shape, height=hole[0], width=hole[1], height_ampl=ampl[0],
                            width_ampl=ampl[1], generator=g)


@torch.no_grad()
def hole_metrics(model: torch.nn.Module, x: torch.Tensor, hole: Hole, seed: int,
                 batch: int = 25) -> dict[str, float]:
    """Mean NLL of the hidden pixels and mean summed squared error of the imputation (most probable
    component's mean) for one fixed-by-seed rectangle per image. x: (N, C, H, W) -> floats."""
    masks = _holes(x.shape[0], tuple(x.shape[-2:]), hole, (0, 0), generator(seed))
    nll, sse = [], []
    model.eval()
    for i in range(0, x.shape[0], batch):
        xb, mb = x[i:i + batch], masks[i:i + batch]
        out = model(xb, mb)
        nll.append(dmfa_mod.mixture_nll(xb, mb, out))
        best = out.logits.argmax(-1)
        mean = out.mean[torch.arange(xb.shape[0]), best].view_as(xb)
        sse.append(sse_missing(mean, xb, mb))
    nll_t, sse_t = torch.cat(nll), torch.cat(sse)
    return {"nll_mean": nll_t.mean().item(), "nll_std": nll_t.std().item(), "nll_median": nll_t.median().item(),
            "sse_mean": sse_t.mean().item(),
            "sse_std": sse_t.std().item(), "n_images": x.shape[0]}


def _fit_dmfa(model: dmfa_mod.DMFA, r: Recipe, x: torch.Tensor, progress: Progress | None,
              max_steps: int | None) -> list[float]:
    g = generator(r.seed)
    opt = torch.optim.Adam(model.parameters(), lr=r.lr)
    steps_total = r.epochs * math.ceil(x.shape[0] / r.batch)
    hw = tuple(x.shape[-2:])
    t0 = time.perf_counter()

    def step(idx: torch.Tensor, epoch: int, steps: int) -> float:
        xb = x[idx]
        scored = _holes(xb.shape[0], hw, r.hole, r.hole_ampl, g)  # False inside the scored hole
        seen = scored  # the network's input mask
        if r.unknown:  # hidden from the input but never scored: the density marginalises it
            seen = scored & _holes(xb.shape[0], hw, (r.unknown, r.unknown), (0, 0), g)
        out = model(xb, seen)
        loss = dmfa_mod.mixture_nll(xb, scored, out).mean()
        if epoch < r.warmup_epochs:  # the MSE term pulls the means into place before the factors
            w = torch.softmax(out.logits, -1).unsqueeze(-1)
            err = (out.mean - xb.flatten(1).unsqueeze(1)) ** 2 * (~scored).expand_as(xb).flatten(1).unsqueeze(1)
            loss = loss + r.mse_weight * (w * err).sum((1, 2)).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 100.0)  # rare NLL spikes early on
        # cosine decay over whichever runs out first, the steps or the wall-clock budget, so a
        # run slowed down by a busy shared machine still ends with an annealed learning rate
        frac = min(1.0, max(steps / steps_total, (time.perf_counter() - t0) / (60 * r.max_minutes)))
        for group in opt.param_groups:
            group["lr"] = r.lr / 50 + (r.lr - r.lr / 50) * 0.5 * (1 + math.cos(math.pi * frac))
        opt.step()
        return loss.item()

    model.train()
    history = epoch_loop(x.shape[0], step, epochs=r.epochs, batch=r.batch, generator=g, progress=progress,
                         max_steps=max_steps, max_seconds=60 * r.max_minutes)
    model.eval()
    return history


def _tune_floor(model: mfa_mod.MFA, x_val: torch.Tensor, r: Recipe) -> tuple[mfa_mod.MFA, dict[str, float]]:
    """Raise the MFA diagonal to the floor (from a small grid) with the best validation NLL."""
    scores, best = {}, None
    for f in (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1):
        cand = mfa_mod.MFA(replace(model.cfg, d_floor=f))
        cand.load_state_dict({**model.state_dict(), "d": model.d.clamp_min(f)})
        scores[f"{f:g}"] = round(hole_metrics(cand.eval(), x_val, r.hole, seed=r.seed + 99)["nll_mean"], 2)
        if best is None or scores[f"{f:g}"] < scores[f"{best.cfg.d_floor:g}"]:
            best = cand
    return best, scores


def train(name: str, *, epochs: int | None = None, dry_run: bool = False, out_dir: str | Path | None = None,
          data_dir: str | Path | None = None, progress: Progress | None = None) -> pretrained.ModelCard:
    """Train recipe ``name`` and save weights + card (dry run: a few steps, a few images)."""
    r = RECIPES[name]
    if epochs is not None:
        r = replace(r, epochs=epochs)
    if dry_run:
        r = replace(r, epochs=1, em_iters=2)
    if not dry_run:  # one core each: the box has two, shared with other training jobs
        set_threads(1)
    x_tr, x_val, desc = _data(r, dry_run, data_dir)
    t0 = time.perf_counter()
    if r.family == "dmfa":
        torch.manual_seed(r.seed)  # parameter initialisation is part of the recipe
        model = dmfa_mod.DMFA(dmfa_mod.Config(**r.config))
        history = _fit_dmfa(model, r, x_tr, progress, max_steps=3 if dry_run else None)
        notes = (f"{sum(p.numel() for p in model.parameters()) / 1e6:.2f} M parameters. NLL of a random {r.hole[0]}±{r.hole_ampl[0]} x {r.hole[1]}±{r.hole_ampl[1]} hole per image "
                 f"(+ {r.mse_weight} x SSE for {r.warmup_epochs} warm-up epoch), Adam lr {r.lr} cosine to "
                 f"{r.lr / 50:g}, batch {r.batch}, {len(history)} epochs, grad-norm clip 100, 1 CPU thread, "
                 f"cosine over min(steps, {r.max_minutes:g}-min wall-clock budget), "
                 f"unknown no-loss region {r.unknown or 'off'}. K = {r.config['n_mixes']}, "
                 f"l = {r.config['n_factors']}. " + BACKBONE_NOTE)
    else:
        model, history = mfa_mod.fit(mfa_mod.Config(**r.config), x_tr, iters=r.em_iters, seed=r.seed,
                                     progress=progress)
        history = [-h for h in history]
        model, floors = _tune_floor(model, x_val[:300], r)
        notes = (f"Classical MFA baseline: K = {r.config['n_mixes']} components, l = {r.config['n_factors']} "
                 f"factors, EM diagonal floor {r.config['d_floor']}, k-means + PPCA start, {len(history)} EM "
                 f"iterations on complete images; conditioned analytically on the observed pixels. The "
                 f"diagonal was then raised to the floor with the best validation NLL at the training hole "
                 f"(a tuned baseline: a larger floor protects against pixels that never vary in training), "
                 f"val NLL per floor {floors} -> d_floor = {model.cfg.d_floor:g}.")
    seconds = time.perf_counter() - t0
    metrics: dict[str, Any] = {"train_loss_last": round(history[-1], 2), "epochs_or_em_iters": len(history)}
    hw = tuple(x_val.shape[-2:])
    for i, hole in enumerate((r.hole, *r.bench_holes)):
        m = hole_metrics(model, x_val, hole, seed=r.seed + 100 + i)
        key = f"val_{hole[0]}x{hole[1]}"
        metrics[f"{key}_nll"], metrics[f"{key}_sse"] = round(m["nll_mean"], 2), round(m["sse_mean"], 3)
    metrics["val_images"] = x_val.shape[0]
    metrics["resolution"] = f"{hw[0]}x{hw[1]}"
    cmd = f"python -m dgm_core train {name}" + (f" --epochs {epochs}" if epochs is not None else "")
    return pretrained.save(model, name=name, family=r.family, data=desc, seed=r.seed, training_time_s=seconds,
                           metrics=metrics, command=cmd, notes=notes, directory=out_dir)
