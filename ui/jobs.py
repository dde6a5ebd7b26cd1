"""The pages' heavy runs as shared jobs (``dgm_core.serving.jobs``) with this server's models, device and time limit:
a page and the warm-up build them alike, so equal inputs share one computation."""
from __future__ import annotations

import torch

from dgm_core.demos.inpainting import Settings
from dgm_core.methods import INPAINTING
from dgm_core.serving import Job, jobs
from ui import loaders
from ui.serving import time_limit


def inpainting(methods: list[str], image: torch.Tensor, mask: torch.Tensor, *, dataset: str, settings: Settings,
               what: str = "") -> Job:
    """The inpainting page's Run. image: (C, H, W); mask: (H, W) bool, True = observed."""
    load = loaders.models([f"{INPAINTING[m].family}-{dataset}" for m in methods if INPAINTING[m].family])
    return jobs.inpainting(methods, image, mask, dataset=dataset, settings=settings, load_model=load,
                           device=loaders.device(), what=what, time_limit=time_limit())
