"""The app's pages in one list (``PAGES``), collected from the descriptors their view modules export
(``ui.descriptor.Page``), and what reads every page through them: their slide views (``VIEWS``, ``view_of``), their
controls' specs by link prefix (``SPECS``, ``control_of``), a page by its URL path (``page``). The navigation, the
deck, the warm-up and the home page read it; a new page adds its view module here, and nowhere else.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from dgm_core.controls import Control
from ui import (about_view, clusters_view, critics_view, decks_view, flow2d_view, gan_view, home_view, inpainting_view,
                latent_view, mnar_images_view, mnar_view, results_view, vae_view)
from ui.descriptor import Page
from ui.slides import View

# the navigation's order; the first is the default page
PAGES: tuple[Page, ...] = tuple(m.PAGE for m in (
    home_view, inpainting_view, mnar_view, mnar_images_view, latent_view, vae_view, critics_view, gan_view, flow2d_view,
    clusters_view, results_view, decks_view, about_view))

# every slide view by its deck name ("<page>.<view>"), each knowing its page
VIEWS: dict[str, View] = {f"{p.url_path}.{name}": replace(v, page=p.url_path) for p in PAGES
                          for name, v in p.views.items()}
# each page's main view: its first, the one a lecturer's own step of that page presents
MAIN: dict[str, str] = {p.url_path: f"{p.url_path}.{next(iter(p.views))}" for p in PAGES if p.views}
# every page's controls' spec by its prefix in a link (the deck's check of its steps, the slides' named controls)
SPECS: dict[str, Mapping[str, Control]] = {p.prefix: p.controls for p in PAGES if p.prefix}


def page(url_path: str) -> Page:
    """The page at ``url_path``."""
    return next(p for p in PAGES if p.url_path == url_path)


def view_of(step) -> View | None:
    """The view a step presents: the one it names, else its page's main view; None where its page has none."""
    return VIEWS.get(step.view or MAIN.get(step.page, ""))


def control_of(key: str) -> tuple[Mapping, str, str] | None:
    """A widget key's page spec, prefix and name in the spec (``"mi_clip_b"`` -> the MNAR images spec, "mi_",
    "clip_b"); None for a key no page declares."""
    return next(((spec, p, key[len(p):]) for p, spec in SPECS.items() if key.startswith(p) and key[len(p):] in spec),
                None)
