"""Recipes of the image MNAR models: ``python -m dgm_core train notmiwae-celeba-clip``.

Ipsen, Mattei & Frellsen, "not-MIWAE: Deep Generative Modelling with Missing not at Random Data"
(ICLR 2021, arXiv 2006.12871), the clipping experiment (§4.3, App. A.2) on grey CelebA 32x32
instead of SVHN. Idea in one sentence: when bright pixels are the ones that go missing, add the
known self-masking process p(s | x) to the MIWAE bound, so the model learns the faces and not just
their surviving (darker) pixels.

Every training pixel is observed with P(s = 1 | x) = sigmoid(-W (x - b)), W = 50, b = 0.75 (the
paper's values), drawn once per image from a fixed seed. MIWAE is trained on the observed pixels
alone; not-MIWAE adds p(s | x) with the true (known) process, as the paper does. Same networks, K,
batch and optimiser for both, so the only difference is the missingness term. Evaluation: pooled
RMSE of the importance-sampled imputation on the missing pixels of the 660 test images (their masks
drawn from the same process with seed + 1000, the importance samples from seed + 2000), next to
constant fills with b and with 1.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, ClassVar

import torch

from .. import pretrained
from ..data import load_grey_faces
from ..device import default_device, generator, set_threads
from ..metrics import rmse_missing_pooled
from ..missingness.clipping import Mechanism, clip_masks
from ..models.notmiwae_conv import ConvNotMIWAE, impute_batched
from .cards import Fitted
from .loop import Progress, RunLength, epoch_loop, optimiser_step

FAMILY = "notmiwae-conv"
DRY_TRAIN, DRY_TEST = 128, 20  # images a dry run trains and evaluates on
DATA = ("grey CelebA 32x32 (celeba64_subset.npz, area-resized, ITU-R 601 luma), train 5340 / test 660; "
        "pixels observed with P(s=1|x) = sigmoid(-{w:g} (x - {b:g})), drawn once per image (train seed {seed}, "
        "test seed {test_seed})")


@dataclass(frozen=True)
class Recipe(RunLength):
    config: dict[str, Any]
    epochs: int = 100
    batch: int = 64
    k: int = 5  # importance samples in the training bound
    lr: float = 1e-3
    seed: int = 0
    eval_k: int = 1000  # importance samples of the test imputation
    dry_run: bool = False  # a few steps on a few images (the smoke test of the recipe)

    family: ClassVar[str] = FAMILY
    length_key: ClassVar[str] = "epochs"
    length_field: ClassVar[str] = "epochs"


    @property
    def mechanism(self) -> Mechanism:
        return self.config["mech_w"], self.config["mech_b"]


    def dry(self) -> Recipe:
        return replace(self, epochs=1, eval_k=10, dry_run=True)

    def prepare(self) -> torch.device:
        """Threads (``DGM_THREADS`` or every core) and the device the recipe runs on."""
        set_threads()
        return default_device()

    def describe(self) -> str:
        """The card's ``data`` field."""
        w, b = self.mechanism
        desc = DATA.format(w=w, b=b, seed=self.seed, test_seed=self.seed + 1000)
        return desc + (f"; dry run: the first {DRY_TRAIN} train and {DRY_TEST} test images" if self.dry_run else "")

    def fit(self, device: torch.device, data_dir: str | Path | None = None,
            progress: Progress | None = None) -> Fitted:
        """Train from scratch and measure; the card's metrics list the test metrics first."""
        x = load_grey_faces("train", DRY_TRAIN if self.dry_run else None, data_dir)  # (N, 1, 32, 32)
        m = clip_masks(x, self.mechanism, self.seed)
        torch.manual_seed(self.seed)  # parameter initialisation is part of the recipe
        model = pretrained.build(FAMILY, self.config).to(device)
        t0 = time.perf_counter()
        history = fit(model, self, x.to(device), m.to(device), progress, max_steps=3 if self.dry_run else None)
        seconds = time.perf_counter() - t0
        metrics = self.measure(model, data_dir)
        metrics["train_loss_last_epoch"] = round(history[-1], 2)
        metrics["epochs"] = len(history)
        kind = "not-MIWAE with the known self-masking process" if self.config["missing"] == "known" else \
            "MIWAE (the missingness is ignored)"
        notes = (f"{kind}; conv encoder 1(+mask)->32->64->128 ch, latent {self.config['latent']}, Gaussian "
                 f"decoder (sigmoid mean, sd >= {self.config['min_scale']}); K={self.k}, Adam lr {self.lr}, batch "
                 f"{self.batch}, {len(history)} epochs on {device.type}. Test RMSE: importance-sampled "
                 f"conditional mean with K={self.eval_k}, the lost pixels integrated out given z "
                 f"(dgm_core.models.notmiwae_conv.lost_pixel_moments).")
        return Fitted(model, metrics, seconds, notes, self.describe())

    @torch.no_grad()
    def measure(self, model: torch.nn.Module, data_dir: str | Path | None = None) -> dict[str, Any]:
        """Pooled RMSE on the lost test pixels for the model's imputation and the constant fills."""
        device = next(model.parameters()).device
        x = load_grey_faces("test", DRY_TEST if self.dry_run else None, data_dir)  # (N, 1, 32, 32)
        mask = clip_masks(x, self.mechanism, self.seed + 1000)
        x, mask = x.to(device), mask.to(device)
        b = model.cfg.mech_b
        pred = impute_batched(model, x, mask, (model.cfg.mech_w, b), self.eval_k, self.seed + 2000)["mean"]
        return {"test_images": x.shape[0], "eval_k": self.eval_k,
                "test_missing_rate": round(1 - mask.float().mean().item(), 4),
                "test_rmse_missing": round(rmse_missing_pooled(pred, x, mask), 5),
                f"test_rmse_constant_{b:g}": round(rmse_missing_pooled(torch.full_like(x, b), x, mask), 5),
                "test_rmse_constant_1": round(rmse_missing_pooled(torch.ones_like(x), x, mask), 5)}


def fit(model: ConvNotMIWAE, r: Recipe, x: torch.Tensor, mask: torch.Tensor, progress: Progress | None = None,
        max_steps: int | None = None) -> list[float]:
    """Adam on the model's bound (mean over images); x: (N, 1, H, W), mask: (N, 1, H, W) bool, True =
    observed. Returns the mean loss of each epoch."""
    g = generator(r.seed, x.device)  # on the data's device (on CPU the same stream as ever)
    opt = torch.optim.Adam(model.parameters(), lr=r.lr)

    def step(idx: torch.Tensor, epoch: int, steps: int) -> float:
        return optimiser_step(opt, -model.bound(x[idx], mask[idx], r.k, g).mean())

    model.train()
    history = epoch_loop(x.shape[0], step, epochs=r.epochs, batch=r.batch, generator=g, progress=progress,
                         every=20, max_steps=max_steps)
    model.eval()
    return history


_CLIP = dict(shape=(1, 32, 32), latent=20, hidden=32, arch="conv", likelihood="gaussian", min_scale=0.02,
             mask_input=True, mech_w=50.0, mech_b=0.75)
RECIPES: dict[str, Recipe] = {
    "miwae-celeba-clip": Recipe({**_CLIP, "missing": "none"}),
    "notmiwae-celeba-clip": Recipe({**_CLIP, "missing": "known"}),
}
