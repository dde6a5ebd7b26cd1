"""Training recipes for the image MNAR models: ``python -m dgm_core train notmiwae-celeba-clip``.

The clipping experiment of not-MIWAE (Ipsen, Mattei & Frellsen, ICLR 2021, §4.3, App. A.2) on grey
CelebA 32x32 instead of SVHN (not on this machine): every training pixel is observed with
P(s = 1 | x) = sigmoid(-W (x - b)), W = 50, b = 0.75 (the paper's values), drawn once per image from a
fixed seed. MIWAE is trained on the observed pixels alone; not-MIWAE adds p(s | x) with the true
(known) process, as the paper does. Same networks, K, batch and optimiser for both, so the only
difference is the missingness term. Evaluation: RMSE of the importance-sampled imputation on the
missing pixels of the 660 test images (their masks drawn from the same process with another seed),
next to constant fills with b and with 1.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import torch

from . import pretrained
from .data import load_images, to_grey
from .device import default_device, generator, set_threads
from .clipping import clip_masks, impute
from .metrics import rmse_missing_pooled
from .models.notmiwae_conv import ConvNotMIWAE
from .train_loop import Progress, epoch_loop



@dataclass(frozen=True)
class Recipe:
    config: dict[str, Any]
    epochs: int = 100
    batch: int = 64
    k: int = 5
    lr: float = 1e-3
    seed: int = 0
    max_minutes: float = 40.0  # wall-clock cap on a shared 2-core box (the card records epochs done)
    eval_k: int = 1000


_CLIP = dict(shape=(1, 32, 32), latent=20, hidden=32, arch="conv", likelihood="gaussian", min_scale=0.02,
             mask_input=True, mech_w=50.0, mech_b=0.75)
RECIPES: dict[str, Recipe] = {
    "miwae-celeba-clip": Recipe({**_CLIP, "missing": "none"}),
    "notmiwae-celeba-clip": Recipe({**_CLIP, "missing": "known"}),
}
FAMILY = "notmiwae-conv"
DATA = ("grey CelebA 32x32 (celeba64_subset.npz, area-resized, ITU-R 601 luma), train 5340 / test 660; "
        "pixels observed with P(s=1|x) = sigmoid(-{w:g} (x - {b:g})), drawn once per image (train seed {seed}, "
        "test seed {test_seed})")


def load_grey(split: str, limit: int | None = None, data_dir=None) -> torch.Tensor:
    return to_grey(load_images("celeba", split, size=32, limit=limit, data_dir=data_dir).x)


def fit(model: ConvNotMIWAE, r: Recipe, x: torch.Tensor, mask: torch.Tensor, progress: Progress | None = None,
        max_steps: int | None = None) -> list[float]:
    """Adam on the model's bound (mean over images); returns the mean loss of each epoch."""
    g = generator(r.seed)
    opt = torch.optim.Adam(model.parameters(), lr=r.lr)

    def step(idx: torch.Tensor, epoch: int, steps: int) -> float:
        loss = -model.bound(x[idx], mask[idx], r.k, g).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss.item()

    model.train()
    history = epoch_loop(x.shape[0], step, epochs=r.epochs, batch=r.batch, generator=g, progress=progress,
                         every=20, max_steps=max_steps, max_seconds=60 * r.max_minutes)
    model.eval()
    return history


@torch.no_grad()
def evaluate(model: ConvNotMIWAE, x: torch.Tensor, mask: torch.Tensor, k: int, seed: int) -> dict[str, Any]:
    """RMSE on the missing test pixels for the model's imputation and the constant fills."""
    b = model.cfg.mech_b
    pred = impute(model, x, mask, (model.cfg.mech_w, b), k, seed)["mean"]
    return {"test_images": x.shape[0], "eval_k": k, "test_missing_rate": round(1 - mask.float().mean().item(), 4),
            "test_rmse_missing": round(rmse_missing_pooled(pred, x, mask), 5),
            f"test_rmse_constant_{b:g}": round(rmse_missing_pooled(torch.full_like(x, b), x, mask), 5),
            "test_rmse_constant_1": round(rmse_missing_pooled(torch.ones_like(x), x, mask), 5)}


def train(name: str, *, epochs: int | None = None, dry_run: bool = False, out_dir: str | Path | None = None,
          data_dir: str | Path | None = None, progress: Progress | None = None) -> pretrained.ModelCard:
    r = RECIPES[name]
    if epochs is not None:
        r = replace(r, epochs=epochs)
    if dry_run:
        r = replace(r, epochs=1, eval_k=10)
    set_threads()
    device = default_device()
    mech = (r.config["mech_w"], r.config["mech_b"])
    limit = 128 if dry_run else None
    x = load_grey("train", limit, data_dir)
    x_test = load_grey("test", 20 if dry_run else None, data_dir)
    m, m_test = clip_masks(x, mech, r.seed), clip_masks(x_test, mech, r.seed + 1000)
    torch.manual_seed(r.seed)  # parameter initialisation is part of the recipe
    model = pretrained.build(FAMILY, r.config).to(device)
    t0 = time.perf_counter()
    history = fit(model, r, x.to(device), m.to(device), progress, max_steps=3 if dry_run else None)
    seconds = time.perf_counter() - t0
    metrics = evaluate(model, x_test.to(device), m_test.to(device), r.eval_k, r.seed + 2000)
    metrics["train_loss_last_epoch"] = round(history[-1], 2)
    metrics["epochs"] = len(history)
    cmd = f"python -m dgm_core train {name}" + (f" --epochs {epochs}" if epochs is not None else "")
    kind = "not-MIWAE with the known self-masking process" if r.config["missing"] == "known" else \
        "MIWAE (the missingness is ignored)"
    return pretrained.save(
        model, name=name, family=FAMILY, data=DATA.format(w=mech[0], b=mech[1], seed=r.seed, test_seed=r.seed + 1000),
        seed=r.seed, training_time_s=seconds, metrics=metrics, command=cmd, directory=out_dir,
        notes=(f"{kind}; conv encoder 1(+mask)->32->64->128 ch, latent {r.config['latent']}, Gaussian decoder "
               f"(sigmoid mean, sd >= {r.config['min_scale']}); K={r.k}, Adam lr {r.lr}, batch {r.batch}, "
               f"{len(history)} epochs (cap {r.max_minutes:g} min) on {device.type}. Test RMSE: importance-"
               f"sampled conditional mean with K={r.eval_k}."))
