"""Recipes of DMFA and its classical MFA baseline: ``python -m dgm_core train dmfa-mnist``.

DMFA: Przewięźlikowski, Śmieja, Struski, "Estimating conditional density of missing values using
deep Gaussian mixture model" (arXiv 2010.02183). Idea in one sentence: hide a random rectangle of
each training image, feed (x ⊙ mask, mask) to the network and minimise the NLL of the hidden ground
truth under the predicted low-rank-plus-diagonal Gaussian (mixture), after a short MSE warm-up.

Protocol (the paper's): one random rectangle per image at a uniform position that may touch the
last row/column, drawn from an explicit seeded generator; validation
images are held out of the END of the train split and their holes are fixed by seed; optional second
"unknown, no loss" rectangle (training on incomplete data), off by default. The MFA baseline is
fitted by EM on the same complete training images, then its diagonal floor is tuned on validation.

The learning rate follows a cosine over the steps alone.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, ClassVar

import torch

from .. import masks
from ..data import load_images
from ..device import generator, set_threads
from ..models import dmfa as dmfa_mod
from ..models import mfa as mfa_mod
from ..models.dmfa import Hole, hole_metrics, random_holes
from .cards import Fitted
from .loop import Progress, cosine_lr, epoch_loop, optimiser_step

TRAIN_IMAGES = {"mnist": 60000, "celeba": 5340}  # size of the train split each recipe cuts
DRY_TRAIN, DRY_VAL = 64, 16  # a dry run takes the first 80 train images, so it never resizes the split
PAGE_MISSING = (0.2, 0.8)  # random-pixel missing rates of the page-mask share
SIDES = ("top", "bottom", "left", "right")
FLOOR_GRID = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1)  # MFA diagonal floors tried on validation


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
    # share of training images whose scored hole is instead one of the Inpainting page's other presets:
    # a half (top, bottom, left or right, equally likely) or random pixels at a missing rate uniform in
    # PAGE_MISSING; 0 = the paper's rectangles only
    page_share: float = 0.0
    bench_holes: tuple[Hole, ...] = ((10, 10), (10, 15), (18, 18))
    epochs: int = 10  # DMFA
    warmup_epochs: int = 1  # NLL + mse_weight * SSE, then NLL alone
    mse_weight: float = 1.0
    batch: int = 64
    lr: float = 1e-3  # cosine-decayed to lr / 50 over the steps
    em_iters: int = 30  # MFA
    seed: int = 0
    dry_run: bool = False  # a few steps on a few images (the smoke test of the recipe)

    length_key: ClassVar[str] = "epochs_or_em_iters"

    @property
    def length(self) -> int:
        return self.em_iters if self.family == "mfa" else self.epochs

    def with_epochs(self, epochs: int) -> Recipe:
        """``--epochs N``: N epochs of DMFA, N EM iterations of MFA."""
        return replace(self, **{"em_iters" if self.family == "mfa" else "epochs": epochs})

    def dry(self) -> Recipe:
        return replace(self, epochs=1, em_iters=2, dry_run=True)

    def prepare(self) -> torch.device:
        """One CPU thread for a real run (the box has two cores, shared with other training jobs)."""
        if not self.dry_run:
            set_threads(1)
        return torch.device("cpu")

    def describe(self, n_train: int | None = None, n_val: int | None = None) -> str:
        """The card's ``data`` field (counts: the recipe's, unless the images loaded say otherwise)."""
        if n_train is None:
            n_train, n_val = (DRY_TRAIN, DRY_VAL) if self.dry_run else \
                (min(self.n_train or math.inf, TRAIN_IMAGES[self.dataset] - self.n_val), self.n_val)
        desc = {"mnist": "MNIST 28x28 grey [0,1]", "celeba": "CelebA subset (celeba64_subset.npz)"}[self.dataset]
        if self.size:
            desc += f" area-resized to {self.size}x{self.size} RGB [0,1]"
        return desc + (f"; train = first {n_train} train-split images, validation = last {n_val} "
                       f"train-split images (test split untouched, used by `bench dmfa`)")

    def split(self, data_dir: str | Path | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """(train images, validation images) from the train split: (N, C, H, W) each."""
        if self.dry_run:
            full = load_images(self.dataset, "train", size=self.size, limit=DRY_TRAIN + DRY_VAL,
                               data_dir=data_dir).x
            return full[:DRY_TRAIN], full[DRY_TRAIN:]
        full = load_images(self.dataset, "train", size=self.size, data_dir=data_dir).x
        return full[:-self.n_val][:self.n_train], full[-self.n_val:]

    def fit(self, device: torch.device, data_dir: str | Path | None = None,
            progress: Progress | None = None) -> Fitted:
        """Train from scratch (DMFA by Adam, MFA by EM + a tuned floor) and measure on validation."""
        x_tr, x_val = self.split(data_dir)
        t0 = time.perf_counter()
        if self.family == "dmfa":
            torch.manual_seed(self.seed)  # parameter initialisation is part of the recipe
            model = dmfa_mod.DMFA(dmfa_mod.Config(**self.config))
            history = fit_dmfa(model, self, x_tr, progress, max_steps=3 if self.dry_run else None)
            notes = _dmfa_notes(self, model, len(history))
        else:
            model, history = mfa_mod.fit(mfa_mod.Config(**self.config), x_tr, iters=self.em_iters, seed=self.seed,
                                         progress=progress)
            history = [-h for h in history]
            model, floors = tune_floor(model, x_val[:300], self)
            notes = (f"Classical MFA baseline: K = {self.config['n_mixes']} components, l = "
                     f"{self.config['n_factors']} factors, EM diagonal floor {self.config['d_floor']}, k-means + "
                     f"PPCA start, {len(history)} EM iterations on complete images; conditioned analytically on "
                     f"the observed pixels. The diagonal was then raised to the floor with the best validation "
                     f"NLL at the training hole (a tuned baseline: a larger floor protects against pixels that "
                     f"never vary in training), val NLL per floor {floors} -> d_floor = {model.cfg.d_floor:g}.")
        seconds = time.perf_counter() - t0
        metrics: dict[str, Any] = {"train_loss_last": round(history[-1], 2), "epochs_or_em_iters": len(history)}
        metrics.update(self.measure(model, data_dir, x_val))
        return Fitted(model, metrics, seconds, notes, self.describe(x_tr.shape[0], x_val.shape[0]))

    @torch.no_grad()
    def measure(self, model: torch.nn.Module, data_dir: str | Path | None = None,
                x_val: torch.Tensor | None = None) -> dict[str, Any]:
        """Mean NLL and SSE of the validation images at the training hole and each benchmark hole
        (positions fixed by seed + 100 + i); x_val: (N, C, H, W), reloaded when not given."""
        if x_val is None:
            x_val = self.split(data_dir)[1]
        metrics: dict[str, Any] = {}
        for i, hole in enumerate((self.hole, *self.bench_holes)):
            m = hole_metrics(model, x_val, hole, seed=self.seed + 100 + i)
            key = f"val_{hole[0]}x{hole[1]}"
            metrics[f"{key}_nll"], metrics[f"{key}_sse"] = round(m["nll_mean"], 2), round(m["sse_mean"], 3)
        metrics["val_images"] = x_val.shape[0]
        metrics["resolution"] = f"{x_val.shape[-2]}x{x_val.shape[-1]}"
        return metrics


def fit_dmfa(model: dmfa_mod.DMFA, r: Recipe, x: torch.Tensor, progress: Progress | None = None,
             max_steps: int | None = None) -> list[float]:
    """Adam on the NLL of one random hole per image (+ SSE during warm-up); x: (N, C, H, W) -> loss per epoch."""
    g = generator(r.seed)
    opt = torch.optim.Adam(model.parameters(), lr=r.lr)
    steps_total = r.epochs * math.ceil(x.shape[0] / r.batch)
    hw = tuple(x.shape[-2:])

    def step(idx: torch.Tensor, epoch: int, steps: int) -> float:
        xb = x[idx]
        scored = random_holes(xb.shape[0], hw, r.hole, r.hole_ampl, g)  # False inside the scored hole
        if r.page_share:
            scored = page_masks(scored, r.page_share, g)
        seen = scored  # the network's input mask
        if r.unknown:  # hidden from the input but never scored: the density marginalises it
            seen = scored & random_holes(xb.shape[0], hw, (r.unknown, r.unknown), (0, 0), g)
        out = model(xb, seen)
        loss = dmfa_mod.mixture_nll(xb, scored, out).mean()
        if epoch < r.warmup_epochs:  # the MSE term pulls the means into place before the factors
            w = torch.softmax(out.logits, -1).unsqueeze(-1)
            err = (out.mean - xb.flatten(1).unsqueeze(1)) ** 2 * (~scored).expand_as(xb).flatten(1).unsqueeze(1)
            loss = loss + r.mse_weight * (w * err).sum((1, 2)).mean()
        # grad-norm clip 100: rare NLL spikes early on
        return optimiser_step(opt, loss, clip_norm=100.0, lr=cosine_lr(r.lr, r.lr / 50, steps, steps_total))

    model.train()
    history = epoch_loop(x.shape[0], step, epochs=r.epochs, batch=r.batch, generator=g, progress=progress,
                         max_steps=max_steps)
    model.eval()
    return history


def page_masks(rect: torch.Tensor, share: float, g: torch.Generator) -> torch.Tensor:
    """Replace a ``share`` of the (B, 1, H, W) rectangle masks by page presets: half of those a half
    (side uniform), half random pixels (missing rate uniform in PAGE_MISSING, iid per pixel)."""
    b, hw = rect.shape[0], tuple(rect.shape[-2:])
    u = torch.rand(3, b, generator=g)
    halves = torch.stack([masks.half(hw, side) for side in SIDES])[(u[1] * len(SIDES)).long()]  # (B, H, W)
    lo, hi = PAGE_MISSING
    rate = lo + (hi - lo) * u[2]
    pixels = torch.rand(b, *hw, generator=g) >= rate[:, None, None]
    kind = torch.where(u[0] < share, torch.where(u[0] < share / 2, 1, 2), 0)[:, None, None]
    page = torch.where(kind == 1, halves, pixels)
    return torch.where(kind[:, None] == 0, rect, page[:, None])


def tune_floor(model: mfa_mod.MFA, x_val: torch.Tensor, r: Recipe) -> tuple[mfa_mod.MFA, dict[str, float]]:
    """Raise the MFA diagonal to the floor of FLOOR_GRID with the best validation NLL at the training
    hole. x_val: (N, C, H, W) -> (model, {floor: val NLL})."""
    scores, best = {}, None
    for f in FLOOR_GRID:
        cand = mfa_mod.MFA(replace(model.cfg, d_floor=f))
        cand.load_state_dict({**model.state_dict(), "d": model.d.clamp_min(f)})
        scores[f"{f:g}"] = round(hole_metrics(cand.eval(), x_val, r.hole, seed=r.seed + 99)["nll_mean"], 2)
        if best is None or scores[f"{f:g}"] < scores[f"{best.cfg.d_floor:g}"]:
            best = cand
    return best, scores


BACKBONE_NOTE = (
    "Backbone: a small U-Net (2C -> w ch at full size, 2w ch at H/2 and H/4, 3x3 convs, strided 4x4 "
    "down/up-sampling with skips) whose H/4 map passes through one dense 256-unit layer, then 1x1 heads "
    "give per pixel the mean m (sigmoid), d = 0.25*sigmoid + 1e-4 and the l factor channels "
    "A = a_amp*sigmoid - a_amp/2; the mixing logits come from the 256-unit code. Why: the reference "
    "MNIST net (three dense heads from 25 088 features, 118 M parameters) needs ~54 min per epoch on one "
    "CPU core; this net has 0.9 M (MNIST, w = 16) or 1.8 M (CelebA, w = 24) parameters, sized so a run fits a"
    " shared 2-core box; and since 3x3 convs alone cannot make factor columns coherent across an 18x18 "
    "hole, the one dense layer at H/4 supplies global context.")


def _dmfa_notes(r: Recipe, model: dmfa_mod.DMFA, epochs: int) -> str:
    page = (f" ({r.page_share:.0%} of images get one of the Inpainting page's presets instead: half of those a half "
            f"image, top, bottom, left or right, the other half random pixels missing at a rate uniform in "
            f"{PAGE_MISSING[0]:g}-{PAGE_MISSING[1]:g})" if r.page_share else "")
    return (f"{sum(p.numel() for p in model.parameters()) / 1e6:.2f} M parameters. NLL of a random "
            f"{r.hole[0]}±{r.hole_ampl[0]} x {r.hole[1]}±{r.hole_ampl[1]} hole per image{page} (+ {r.mse_weight} x SSE "
            f"for {r.warmup_epochs} warm-up epoch), Adam lr {r.lr} cosine to {r.lr / 50:g} over the steps, batch "
            f"{r.batch}, {epochs} epochs, grad-norm clip 100, {torch.get_num_threads()} CPU thread(s), "
            "unknown no-loss region "
            f"{r.unknown or 'off'}. K = {r.config['n_mixes']}, l = {r.config['n_factors']}. " + BACKBONE_NOTE)


_DMFA = dict(n_mixes=1, n_factors=4, width=32, bottleneck=256, a_amp=0.5, d_scale=0.25, d_floor=1e-4)
_CELEBA_HOLES = ((12, 12), (12, 20), (20, 20))
RECIPES: dict[str, Recipe] = {
    # 20 epochs: the shipped dmfa-mnist (its card said --epochs 20 over a 12-epoch recipe)
    "dmfa-mnist": Recipe("dmfa", "mnist", {**_DMFA, "shape": (1, 28, 28), "width": 16}, n_train=20000,
                         hole_ampl=(6, 6), epochs=20),
    "dmfa-celeba": Recipe("dmfa", "celeba", {**_DMFA, "shape": (3, 32, 32), "width": 24}, size=32,
                          n_val=340, hole=(16, 16), hole_ampl=(6, 6), bench_holes=_CELEBA_HOLES, epochs=60,
                          page_share=0.5),
    "mfa-mnist": Recipe("mfa", "mnist", dict(shape=(1, 28, 28), n_mixes=10, n_factors=10, d_floor=1e-4),
                        n_train=10000, em_iters=12),
    "mfa-celeba": Recipe("mfa", "celeba", dict(shape=(3, 32, 32), n_mixes=10, n_factors=10, d_floor=1e-4),
                         size=32, n_val=340, hole=(16, 16), hole_ampl=(6, 6), bench_holes=_CELEBA_HOLES,
                         em_iters=12),
}
