"""The latent explorer's slider panel and perturbation grid (a components-v2 component; its JS and CSS are
static/js/panels/latent_slider.js, ui/latent_slider.css).

Browser mode (the default): the page sends the generator's ONNX file's URL (static/models, served by the app),
z of the seed and the directions once; the visitor's browser runs the generator (onnxruntime-web, vendored in
static/ort) on every ``input`` event of any slider, and only the released values come back (the URL follows):
no server work while a slider moves. Server mode, when the browser reports it cannot (no WebAssembly, say):
the server sends each direction's strip of frames and the browser swaps them as today's fallback.
"""
from __future__ import annotations

from collections.abc import Callable

import streamlit as st
import torch

from ui import panels
from ui.imaging import data_url

HTML = '<div class="ls"></div>'  # the JS builds the view
RUNTIME = "app/static/ort/"  # relative to the page's URL, so a base path (a proxy's prefix) is kept
LO, HI, STEP = -5.0, 5.0, 0.1  # the browser's sliders (the URL accepts any value in [LO, HI])

_panel = panels.component("dgm_latent_sliders", "latent_slider", HTML)


def fallback_reason(key: str) -> str | None:
    """Why the browser could not run the generator (None: it can, or has not said)."""
    got = st.session_state.get(key)
    return (got or {}).get("fallback") if hasattr(got, "get") else None


def model_url(browser: dict) -> str:
    """The card's ``browser`` entry -> the ONNX file's URL; the sha256 in the query makes a new export a new URL
    (browsers may cache the old file)."""
    return "app/" + browser["onnx"] + "?v=" + browser["sha256"][:12]


def browser_sliders(*, model: str, z0: torch.Tensor, dirs: torch.Tensor, shape: tuple[int, ...], caption: str,
                    names: list[str], values: list[float], eps: tuple[float, ...], key: str, url_key: str,
                    on_change: Callable[[], None], on_fallback: Callable[[], None], side: int | None = None) -> None:
    """The generator in the browser: ``model`` its URL, ``z0`` (d,) the seed's z, ``dirs`` (k, d); a release
    writes the values to the URL parameter ``url_key`` at once. ``side``: the picture's side in CSS pixels (a
    slide's, in proportion to its stage; 256 by default)."""
    _panel(key=key, data={"mode": "browser", "model": model, "runtime": RUNTIME, "shape": list(shape),
                          "z0": [float(x) for x in z0], "dirs": [[float(x) for x in d] for d in dirs],
                          "caption": caption, "names": names, "values": list(values), "eps": list(eps),
                          "lo": LO, "hi": HI, "step": STEP, "url_key": url_key, "side": side},
           default={"values": list(values), "fallback": None}, on_values_change=on_change,
           on_fallback_change=on_fallback)


def server_sliders(*, main: torch.Tensor, caption: str, names: list[str], values: list[float],
                   strips: list[torch.Tensor], eps: tuple[float, ...], key: str, note: str,
                   on_change: Callable[[], None], on_fallback: Callable[[], None], side: int | None = None) -> None:
    """Server frames: ``on_change`` runs on release, before the rerun; the values are in
    ``st.session_state[key]["values"]``; ``side`` as ``browser_sliders``'."""
    _panel(key=key, data={"mode": "server", "main": data_url(main), "caption": caption, "names": names,
                          "values": list(values), "eps": list(eps), "note": note, "side": side,
                          "frames": [[data_url(f) for f in strip] for strip in strips]},
           default={"values": list(values), "fallback": None}, on_values_change=on_change,
           on_fallback_change=on_fallback)


def browser_grid(*, model: str, z0: torch.Tensor, dirs: torch.Tensor, shape: tuple[int, ...], names: list[str],
                 eps: tuple[int, ...], cell: int, key: str, on_fallback: Callable[[], None]) -> None:
    """The perturbation grid drawn in the browser: row i is z0 + eps_j * dirs[i]; ``cell`` pixels a picture."""
    _panel(key=key, data={"mode": "grid", "model": model, "runtime": RUNTIME, "shape": list(shape),
                          "z0": [float(x) for x in z0], "dirs": [[float(x) for x in d] for d in dirs],
                          "names": names, "eps": list(eps), "cell": cell},
           default={"fallback": None}, on_fallback_change=on_fallback)


def browser_interpolation(*, model: str, z0: torch.Tensor, z1: torch.Tensor, shape: tuple[int, ...], alpha: float,
                          paths: list[str], cell: int, seconds: float, key: str, on_alpha: Callable[[], None],
                          on_fallback: Callable[[], None]) -> None:
    """Latent lerp, latent slerp and the pixel blend from z0 to z1 drawn in the browser at any α; Play walks α
    from 0 to 1 and back, ``seconds`` a pass, until Pause. A release (or Pause) sends α on the 0.1 grid:
    ``on_alpha`` reads ``st.session_state[key]["alpha"]``."""
    _panel(key=key, data={"mode": "interp", "model": model, "runtime": RUNTIME, "shape": list(shape),
                          "z0": [float(x) for x in z0], "z1": [float(x) for x in z1], "alpha": float(alpha),
                          "paths": paths, "cell": cell, "seconds": seconds},
           default={"alpha": float(alpha), "fallback": None}, on_alpha_change=on_alpha,
           on_fallback_change=on_fallback)
