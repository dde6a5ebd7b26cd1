"""The pages' heavy calls as keyed jobs: the key names every input the result depends on, so a page and a warm-up
that build the same inputs separately share one computation. Models are passed in (loaded once per server by the
caller) and the device is part of the key.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from ..demos import inpainting as inp, mnar as mnar_lab, mnar_images
from ..mnar_experiment import Simulated
from .keys import key_of
from .runner import Job


def inpainting(methods: list[str], image: torch.Tensor, mask: torch.Tensor, *, dataset: str,
               settings: inp.Settings, load_model: Callable[[str], Any], device: torch.device | None = None,
               what: str = "", time_limit: float | None = None) -> Job:
    """The inpainting page's Run (``run_page``). image: (C, H, W); mask: (H, W) bool, True = observed. ``what``
    (the inputs in words) is not part of the key: equal inputs reached another way share the result."""
    methods = list(methods)
    key = key_of("inpainting.run_page", methods, image, mask, dataset, settings, str(device))

    def run(progress):
        return inp.run_page(methods, image, mask, dataset=dataset, settings=settings, load_model=load_model,
                            device=device, what=what, on_progress=progress)

    return Job(key, run, f"inpainting {dataset}", time_limit)


def mnar_shipped(sim: Simulated, models: dict[str, torch.nn.Module], seed: int,
                 time_limit: float | None = None) -> Job:
    """The MNAR lab's opening view: the shipped models (method id -> model) re-impute ``sim``."""
    key = key_of("mnar.shipped_fits", sim.x, sim.mask, sim.missing.mechanism, sorted(models), seed)
    return Job(key, lambda progress: mnar_lab.shipped_fits(sim, models, seed, on_progress=progress), "mnar shipped",
               time_limit)


def mnar_images_compare(models: dict[str, torch.nn.Module], x: torch.Tensor, mechanism: tuple[float, float], *,
                        seed: int, k: int, time_limit: float | None = None) -> Job:
    """MIWAE against not-MIWAE on clipped faces x: (N, 1, H, W); the models keyed by their display names."""
    key = key_of("mnar_images.compare", sorted(models), x, tuple(float(v) for v in mechanism), seed, k, str(x.device))
    return Job(key, lambda progress: mnar_images.compare(models, x, mechanism, seed=seed, k=k, on_progress=progress),
               f"mnar_images compare {x.shape[0]}", time_limit)
