"""The pages' heavy runs as shared jobs (``server.jobs``) with this server's models, device and time limit:
a page and the warm-up build them alike, so equal inputs share one computation."""
from __future__ import annotations

import torch

from dgm_core import masks
from dgm_core.demos import inpainting as inpainting_demo
from dgm_core.demos.inpainting import Settings
from dgm_core.methods import INPAINTING
from server import Job, jobs
from ui import loaders
from ui.image_source import gallery_images
from ui.serving import time_limit
from ui.state import read_link


def inpainting(methods: list[str], image: torch.Tensor, mask: torch.Tensor, *, dataset: str, settings: Settings,
               what: str = "") -> Job:
    """The inpainting page's Run. image: (C, H, W); mask: (H, W) bool, True = observed."""
    load = loaders.models([f"{INPAINTING[m].family}-{dataset}" for m in methods if INPAINTING[m].family])
    return jobs.inpainting(methods, image, mask, dataset=dataset, settings=settings, load_model=load,
                           device=loaders.device(), what=what, time_limit=time_limit())


def lesson_image(link: dict[str, str]) -> tuple[dict, torch.Tensor, str] | None:
    """The image a link's view opens on (its ``inp_`` values without the prefix): (the page's control values, the
    image (C, H, W), what it is); None where it is not a gallery image and a preset mask."""
    values, _ = read_link(inpainting_demo.CONTROLS, link)
    if values["src"] != "Gallery" or values["msrc"] != "Preset":
        return None
    images, generated = gallery_images(values["ds"])  # without a data directory: the shipped VAE's own images
    idx = min(values["idx"], images.shape[0] - 1)
    image = images[idx]
    if inpainting_demo.BINARY[values["ds"]]:
        image = (image > 0.5).float()  # as the page's image picker
    return values, image, f"{'generated' if generated else 'test'} image #{idx}"


def lesson_inpainting(link: dict[str, str]) -> Job | None:
    """The inpainting page's Run for the view a link opens (its ``inp_`` values without the prefix), built from the
    page's spec as the page builds it; None where the link's image or mask is not a gallery image and a preset."""
    if (got := lesson_image(link)) is None:
        return None
    values, image, what = got
    mask = inpainting_demo.preset_mask(values, tuple(image.shape[1:]))
    return inpainting(values["methods"], image, mask, dataset=values["ds"],
                      settings=inpainting_demo.settings_from(values), what=f"{what}, {masks.PRESETS[values['preset']]}")
