"""What a page asks for, in one call each: the inpainting comparison, the MNAR lab on tables and on images.

A page's module here declares its controls' spec (``CONTROLS``) and its prefix of their keys in a link (``PREFIX``,
``?inp_steps=…``); the module's name is the page's URL path. ``prefixes`` reads them all, for what serves the pages
without importing them (the browser's manifest)."""
from __future__ import annotations

import importlib
import pkgutil


def prefixes() -> dict[str, str]:
    """{page's URL path: its prefix in a link}, read from every module here that declares a ``PREFIX``."""
    modules = (importlib.import_module(f"{__name__}.{m.name}") for m in pkgutil.iter_modules(__path__))
    return {m.__name__.rsplit(".", 1)[1]: m.PREFIX for m in modules if hasattr(m, "PREFIX")}
