"""Every page's spec by its URL prefix (``SPECS``), for what reads every page's links: the lecture deck's check of its
steps and the tests. Each spec is declared once beside its page's core calls (``dgm_core.demos.<page>.CONTROLS``).
"""
from __future__ import annotations

from dgm_core.controls import Control
from dgm_core.demos import clusters, critics, flow2d, gan, inpainting, latent, mnar, mnar_images, vae

SPECS: dict[str, dict[str, Control]] = {
    "inp_": inpainting.CONTROLS, "mnar_": mnar.CONTROLS, "mi_": mnar_images.CONTROLS, "lat_": latent.CONTROLS,
    "vae_": vae.CONTROLS, "critics_": critics.CONTROLS, "gan_": gan.CONTROLS, "cl_": clusters.CONTROLS,
    "flow_": flow2d.CONTROLS}
