"""Recipe of the digit classifier: ``python -m dgm_core train digits-mnist``.

The CNN of ``dgm_core.models.digits`` trained as ``dgm_core.sample_quality`` trains its measuring stick (the MNIST
training set, grey values, Adam 1e-3, batch 128, 2 epochs, seed 0), shipped so that the app can read a sampler's
completed digits without the data set: the deck's "which digit is under the hidden half?" is answered by the exact
sampler's draws, read by this classifier. ``measure`` scores it on the 10 000 test digits, grey and binarised (the
inpainting page shows binary digits).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, ClassVar

import torch

from ..data import load_images
from ..sample_quality import CONFIDENT, batched, train_classifier
from .cards import Fitted
from .loop import Progress, RunLength

DRY_TRAIN, DRY_TEST = 512, 200


@dataclass(frozen=True)
class Recipe(RunLength):
    config: dict[str, Any]
    epochs: int = 2
    seed: int = 0
    dry_run: bool = False

    family: ClassVar[str] = "digits"
    length_key: ClassVar[str] = "epochs"
    length_field: ClassVar[str] = "epochs"

    def dry(self) -> Recipe:
        return replace(self, epochs=1, dry_run=True)

    def prepare(self) -> torch.device:
        """CPU, one thread: a small CNN on 60 000 digits takes a minute or two."""
        torch.set_num_threads(1)
        return torch.device("cpu")

    def describe(self) -> str:
        desc = "MNIST (torchvision) grey values in [0, 1]: the 60000 training digits; scored on the 10000 test digits"
        return desc + (f"; dry run: {DRY_TRAIN} train / {DRY_TEST} test digits" if self.dry_run else "")

    def fit(self, device: torch.device, data_dir: str | Path | None = None,
            progress: Progress | None = None) -> Fitted:
        train = load_images("mnist", "train", limit=DRY_TRAIN if self.dry_run else None, data_dir=data_dir)
        t0 = time.perf_counter()
        net = train_classifier(train.x, train.y, epochs=self.epochs, seed=self.seed)
        seconds = time.perf_counter() - t0
        metrics = {**self.measure(net, data_dir), "epochs": self.epochs}
        notes = (f"The CNN of dgm_core.sample_quality (conv 32 - pool - conv 64 - pool - 128 - 10), Adam 1e-3, "
                 f"batch 128, {self.epochs} epochs, seed {self.seed}, one CPU thread. It reads the deck's completed "
                 "digits: the share of a sampler's draws it reads as each digit is that sampler's posterior over "
                 "the classes.")
        return Fitted(net, metrics, seconds, notes, self.describe())

    @torch.no_grad()
    def measure(self, model: torch.nn.Module, data_dir: str | Path | None = None) -> dict[str, Any]:
        """Test accuracy on grey and on binarised (> 0.5) digits, and the share read with confidence >= 0.9."""
        test = load_images("mnist", "test", limit=DRY_TEST if self.dry_run else None, data_dir=data_dir)
        logits = batched(model.eval(), test.x)
        binary = batched(model, (test.x > 0.5).float())
        return {"test_digits": int(len(test.y)),
                "test_accuracy": round(float((logits.argmax(1) == test.y).float().mean()), 4),
                "test_accuracy_binarised": round(float((binary.argmax(1) == test.y).float().mean()), 4),
                "test_confident_share": round(float((logits.softmax(1).max(1).values >= CONFIDENT).float().mean()),
                                              4)}


RECIPES: dict[str, Recipe] = {"digits-mnist": Recipe(config={})}
