"""The mask editor of the inpainting page: a preset, a drawing on the magnified image, or an upload.

Masks are (H, W) bool tensors with True = observed. A drawing is kept in session state (the canvas
JSON and the mask it produced) so that it survives reruns and page switches.
"""
from __future__ import annotations

import numpy as np
import streamlit as st
import torch

from dgm_core import masks
from dgm_core.data.convert import ImageError, mask_from_bytes
from dgm_core.demos.inpainting import CONTROLS, preset_mask
from ui import image_source
from ui.controls import values, widget
from ui.imaging import to_pil

CANVAS = 336  # canvas side in screen pixels (28 x 12, 32 x 10.5)
PAINT = "rgba(255, 60, 60, 0.75)"
ERASE = "rgba(60, 220, 120, 0.75)"
UPLOAD_HELP = image_source.UPLOAD_HELP  # one decoder, one budget for images and masks


def _preset(shape: tuple[int, int], p: str) -> tuple[torch.Tensor, str]:
    kind = widget(CONTROLS, p, "preset")
    c1, c2 = st.columns(2)
    if kind == "random":
        widget(CONTROLS, p, "miss", c1)
    if kind in ("centre", "rectangles"):
        widget(CONTROLS, p, "size", c1)  # its bound follows the data set; a size that no longer fits is cut to it
    if kind == "rectangles":
        widget(CONTROLS, p, "nrect", c2)
    if kind in ("random", "rectangles"):
        widget(CONTROLS, p, "mseed", c2)
    return preset_mask(values(CONTROLS, p), shape), masks.PRESETS[kind]


def _erased_to_transparent(rgba: np.ndarray) -> np.ndarray:
    """Eraser strokes are green: where green dominates, the pixel is not painted."""
    out = rgba.copy()
    green = rgba[..., 1].astype(int) > rgba[..., 0].astype(int)
    out[green, 3] = 0
    return out


def _draw(image: torch.Tensor, dataset: str, p: str) -> tuple[torch.Tensor | None, str]:
    from streamlit_drawable_canvas import st_canvas

    s = st.session_state
    shape = tuple(image.shape[1:])
    store = f"{p}drawing_{dataset}"
    tool = st.radio("Tool", ["Brush", "Rectangle", "Eraser"], horizontal=True, key=p + "tool",
                    help="Red marks pixels as missing; the eraser (green) gives them back.")
    c2, c3 = st.columns([3, 2], vertical_alignment="bottom")  # the button wide enough for its word in a third
    width = c2.slider("Brush size", 4, 60, key=p + "brush")
    if c3.button("Clear", key=p + "clear", width="stretch"):
        s.pop(store, None)
        s[p + "canvas_gen"] = s.get(p + "canvas_gen", 0) + 1
    colour = ERASE if tool == "Eraser" else PAINT
    key = f"{p}canvas_{dataset}_{s.get(p + 'canvas_gen', 0)}"
    # The canvas starts from the saved drawing once, when it is mounted (its key not yet in the session: a first
    # visit, a return to the page, Clear), and keeps that start after: handed back the latest drawing on every
    # rerun, it reloads itself from it and loses the strokes drawn while the rerun was on its way.
    if key not in s or f"{key}__start" not in s:
        s[f"{key}__start"] = s.get(store, {}).get("json")
    result = st_canvas(
        fill_color=colour, stroke_width=width, stroke_color=colour,
        background_image=to_pil(image, scale=max(1, CANVAS // shape[0])),
        height=CANVAS, width=CANVAS, drawing_mode="rect" if tool == "Rectangle" else "freedraw",
        initial_drawing=s[f"{key}__start"], return_image_data=True, key=key,
    )
    if image_source.drawn(result):  # the picture is checked as an upload is before it is decoded
        try:
            mask = masks.from_drawing(_erased_to_transparent(image_source.canvas_picture(result)), shape, coverage=0.3)
            s[store] = {"json": result.json_data, "mask": mask}
        except ImageError as e:
            st.error(str(e))
    elif isinstance(result.json_data, dict):  # every stroke undone or erased: no drawing
        s[store] = {"json": result.json_data, "mask": None}
    saved = s.get(store)
    if saved is None or not saved["json"].get("objects"):
        return None, "drawing"
    return saved["mask"], "drawing"


def _upload(shape: tuple[int, int], p: str) -> tuple[torch.Tensor | None, str]:
    s = st.session_state
    c1, c2 = st.columns([3, 2])
    file = c1.file_uploader("Mask image (white = missing)", type=None, key=p + "mask_file", help=UPLOAD_HELP)
    invert = c2.checkbox("Black means missing", key=p + "mask_black")
    if file is not None:
        try:
            s[p + "uploaded_mask"] = mask_from_bytes(file.getvalue(), shape, missing_is="black" if invert else "white")
            s[p + "uploaded_mask_name"] = file.name
        except (ImageError, masks.MaskError) as e:
            st.error(str(e))
    mask = s.get(p + "uploaded_mask")
    if mask is not None and tuple(mask.shape) != shape:
        st.warning("The uploaded mask was made for another image size; upload it again.")
        return None, "upload"
    return mask, f"uploaded ({s.get(p + 'uploaded_mask_name', '')})"


def mask_editor(image: torch.Tensor, dataset: str, p: str) -> tuple[torch.Tensor | None, str]:
    """Mask widgets; returns the (H, W) bool mask (True = observed) or None, and a description."""
    shape = tuple(image.shape[1:])
    source = widget(CONTROLS, p, "msrc", horizontal=True)
    if source == "Preset":
        return _preset(shape, p)
    if source == "Draw":
        return _draw(image, dataset, p)
    return _upload(shape, p)
