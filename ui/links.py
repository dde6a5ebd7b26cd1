"""Every page's spec by its URL prefix (``SPECS``), for what reads every page's links: the lecture deck's check of its
steps and the tests. Each spec is declared once beside its page's core calls (``dgm_core.demos.<page>.CONTROLS``).
"""
from __future__ import annotations

from dgm_core.controls import Control
from dgm_core.demos import clusters, inpainting, latent, mnar, mnar_images, vae

THETAS = [round(i / 10, 1) for i in range(21)]  # the critics page's slider: 0 to 2 in steps of 0.1
GAN_LRS = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2]  # the GAN training page's learning rates
TOY_NAMES = {"ring": "a ring of 8 Gaussians", "moons": "two moons", "lines": "the critics page's line"}
CRITICS: dict[str, Control] = {"theta": Control(1.0, "θ: how far Q_θ is shifted from P", "select_slider",
                                                choices=THETAS)}
GAN: dict[str, Control] = {
    "toy": Control("lines", "Data", "select", choices=list(TOY_NAMES), names=TOY_NAMES),
    "lr": Control(1e-3, "Learning rate", "select_slider", choices=GAN_LRS),
    "k": Control(5, "Critic steps per generator step", "number", lo=1, hi=10),
}


def critics() -> dict[str, Control]:
    return CRITICS


def gan() -> dict[str, Control]:
    return GAN


SPECS: dict[str, dict[str, Control]] = {
    "inp_": inpainting.CONTROLS, "mnar_": mnar.CONTROLS, "mi_": mnar_images.CONTROLS, "lat_": latent.CONTROLS,
    "vae_": vae.CONTROLS, "critics_": CRITICS, "gan_": GAN, "cl_": clusters.CONTROLS}
