"""Every page's spec by its URL prefix (``SPECS``), for what reads every page's links: the lecture deck's check of its
steps and the tests. Each spec is declared once beside its page's core calls (``dgm_core.demos.<page>.CONTROLS``), each
prefix once in ``server.manifest.PREFIXES``.
"""
from __future__ import annotations

from dgm_core.controls import Control
from dgm_core.demos import clusters, critics, flow2d, gan, inpainting, latent, mnar, mnar_images, vae
from server.manifest import PREFIXES

_PAGES = {"inpainting": inpainting, "mnar": mnar, "mnar_images": mnar_images, "latent": latent, "vae": vae,
          "critics": critics, "gan": gan, "clusters": clusters, "flow2d": flow2d}
SPECS: dict[str, dict[str, Control]] = {PREFIXES[page]: module.CONTROLS for page, module in _PAGES.items()}
