"""Image masks for inpainting: random pixels and halves (Mattei & Frellsen, arXiv 1802.04826), random
rectangles (DMFA, arXiv 2010.02183), a drawing or an upload.

A mask is ``torch.bool``, True = observed (the papers' M = 1 means missing; never here), (H, W) for one image
or (B, 1, H, W) for a batch. Every user-causable problem raises ``MaskError``, one sentence a page can show.
"""
from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np
import torch
from PIL import Image

from dgm_core.device import generator as _generator

Shape = tuple[int, int]


class MaskError(ValueError):
    """A bad mask, shape or upload, described in one sentence a page can show as is."""


def _shape(shape: Shape) -> Shape:
    """(H, W) as two positive ints, or a MaskError."""
    try:
        h, w = shape
    except (TypeError, ValueError):
        raise MaskError(f"A mask shape must be (height, width), got {shape!r}.") from None
    if not all(isinstance(v, Integral) and not isinstance(v, bool) and v >= 1 for v in (h, w)):
        raise MaskError(f"A mask shape must be two positive whole numbers, got {shape!r}.")
    return int(h), int(w)


def _int(name: str, v: int, lo: int, hi: int | None = None) -> int:
    if not isinstance(v, Integral) or isinstance(v, bool) or v < lo or (hi is not None and v > hi):
        span = f"between {lo} and {hi}" if hi is not None else f"at least {lo}"
        raise MaskError(f"The {name} must be a whole number {span}, got {v!r}.")
    return int(v)


def _unit(name: str, v: float) -> float:
    """A real in [0, 1] (NaN and bools refused)."""
    if not isinstance(v, Real) or isinstance(v, bool) or math.isnan(v) or not 0 <= v <= 1:
        raise MaskError(f"The {name} must be a number between 0 and 1, got {v!r}.")
    return float(v)


def _check(mask: torch.Tensor) -> torch.Tensor:
    if not isinstance(mask, torch.Tensor) or mask.dtype != torch.bool:
        got = mask.dtype if isinstance(mask, torch.Tensor) else type(mask).__name__
        raise MaskError(f"A mask must be a bool tensor (True = observed), got {got}.")
    if not (mask.ndim == 2 or (mask.ndim == 4 and mask.shape[1] == 1)) or mask.numel() == 0:
        raise MaskError(f"A mask must be (H, W) or (B, 1, H, W), got {tuple(mask.shape)}.")
    return mask


def missing_fraction(mask: torch.Tensor) -> float:
    """Share of missing (False) entries. mask: (H, W) or (B, 1, H, W) bool, True = observed."""
    return float((~_check(mask)).float().mean())


def validate(mask: torch.Tensor) -> torch.Tensor:
    """``mask`` unchanged if something is hidden and something seen (a batch is judged as a whole)."""
    _check(mask)
    if bool(mask.all()):
        raise MaskError("The mask hides no pixel (nothing is missing): "
                        "paint or choose a region to remove.")
    if not bool(mask.any()):
        raise MaskError("The mask hides every pixel (nothing is observed): "
                        "leave part of the image visible.")
    return mask


def random_pixels(shape: Shape, missing: float, seed: int) -> torch.Tensor:
    """Exactly ``round(missing*H*W)`` pixels missing, uniform without replacement -> (H, W) bool.
    An exact count, not iid Bernoulli, so "40 % missing" on the one image shown means 40 %."""
    h, w = _shape(shape)
    k = round(_unit("missing fraction", missing) * h * w)
    mask = torch.ones(h * w, dtype=torch.bool)
    mask[torch.randperm(h * w, generator=_generator(seed))[:k]] = False
    return mask.view(h, w)


def random_pixels_batch(batch: int, shape: Shape, missing: float,
                        generator: torch.Generator) -> torch.Tensor:
    """iid Bernoulli(missing) missing pixels -> (B, 1, H, W) bool, on ``generator.device``."""
    h, w = _shape(shape)
    p = _unit("missing fraction", missing)
    b = _int("batch size", batch, 0)
    u = torch.rand((b, 1, h, w), generator=generator, device=generator.device)
    return u >= p  # P(u < p) = p missing; p = 1 hides all since u < 1


def half(shape: Shape, side: str) -> torch.Tensor:
    """That half missing; odd sizes hide floor(H/2) rows (or floor(W/2) columns). -> (H, W) bool."""
    h, w = _shape(shape)
    every = slice(None)
    region = {"top": (slice(0, h // 2), every), "bottom": (slice(h - h // 2, h), every),
              "left": (every, slice(0, w // 2)), "right": (every, slice(w - w // 2, w))}
    if side not in region:
        raise MaskError(f"Unknown side {side!r}; choose one of top, bottom, left, right.")
    if (h if side in ("top", "bottom") else w) < 2:
        raise MaskError(f"An image of size {h}×{w} is too small to hide its {side} half.")
    mask = torch.ones(h, w, dtype=torch.bool)
    mask[region[side]] = False
    return mask


def centre_square(shape: Shape, size: int) -> torch.Tensor:
    """A size×size missing square, centred (offset rounded down if H - size is odd) -> (H, W)."""
    h, w = _shape(shape)
    s = _int("square size", size, 1, min(h, w))
    mask = torch.ones(h, w, dtype=torch.bool)
    top, left = (h - s) // 2, (w - s) // 2
    mask[top:top + s, left:left + s] = False
    return mask


def _holes(count: int, h: int, w: int, height: int, width: int, h_ampl: int, w_ampl: int,
           g: torch.Generator) -> torch.Tensor:
    """``count`` random rectangles -> (count, H, W) bool, True = INSIDE a rectangle (missing)."""
    height, width = _int("rectangle height", height, 1, h), _int("rectangle width", width, 1, w)
    # amplitudes below the size keep every sampled size >= 1 without clipping its lower end
    h_ampl = _int("height amplitude", h_ampl, 0, height - 1)
    w_ampl = _int("width amplitude", w_ampl, 0, width - 1)
    kw = dict(generator=g, device=g.device)
    rh = (height + torch.randint(-h_ampl, h_ampl + 1, (count,), **kw)).clamp(max=h)
    rw = (width + torch.randint(-w_ampl, w_ampl + 1, (count,), **kw)).clamp(max=w)
    # top-left uniform over 0..H-h INCLUSIVE; float64 so floor(u * n) < n for every u < 1
    u = torch.rand(2, count, dtype=torch.float64, **kw)
    top, left = (u[0] * (h - rh + 1)).long(), (u[1] * (w - rw + 1)).long()
    r, c = torch.arange(h, device=g.device), torch.arange(w, device=g.device)
    rows = (r >= top[:, None]) & (r < (top + rh)[:, None])  # (count, H)
    cols = (c >= left[:, None]) & (c < (left + rw)[:, None])  # (count, W)
    return rows[:, :, None] & cols[:, None, :]  # outer product: no loop over images or pixels


def rectangles(shape: Shape, *, n: int = 1, height: int, width: int, seed: int,
               height_ampl: int = 0, width_ampl: int = 0) -> torch.Tensor:
    """``n`` (height±ampl)×(width±ampl) rectangles missing at uniform positions, may overlap -> (H, W) bool."""
    h, w = _shape(shape)
    n = _int("number of rectangles", n, 1)
    return ~_holes(n, h, w, height, width, height_ampl, width_ampl, _generator(seed)).any(0)


def rectangles_batch(batch: int, shape: Shape, *, height: int, width: int,
                     generator: torch.Generator, height_ampl: int = 0,
                     width_ampl: int = 0) -> torch.Tensor:
    """One random rectangle per image, as in DMFA training -> (B, 1, H, W) bool."""
    h, w = _shape(shape)
    b = _int("batch size", batch, 0)
    return ~_holes(b, h, w, height, width, height_ampl, width_ampl, generator)[:, None]


def _area_resize(a: np.ndarray, shape: Shape) -> np.ndarray:
    """(h, w) float map -> (H, W) by area averaging (PIL BOX: works for non-integer ratios)."""
    img = Image.fromarray(np.ascontiguousarray(a, dtype=np.float32))  # mode "F"
    return np.asarray(img.resize((shape[1], shape[0]), Image.Resampling.BOX), dtype=np.float64)


def from_drawing(rgba: np.ndarray, shape: Shape, *, coverage: float = 0.3) -> torch.Tensor:
    """Canvas RGBA (h, w, 4), any size -> (H, W) bool; a pixel is missing when >= ``coverage`` of its area
    has alpha > 0."""
    h, w = _shape(shape)
    if _unit("coverage", coverage) == 0:
        raise MaskError("The coverage must be above 0, or every pixel would count as painted.")
    a = np.asarray(rgba)
    if a.ndim != 3 or a.shape[2] != 4 or a.shape[0] == 0 or a.shape[1] == 0:
        raise MaskError(f"The drawing must be an RGBA image of shape (h, w, 4), got {a.shape}.")
    frac = _area_resize((a[..., 3] > 0).astype(np.float32), (h, w))
    # a fully painted block may average to 0.99999994 in float32: keep coverage = 1 reachable
    return torch.from_numpy(~(frac >= coverage - 1e-6))


def _grey_alpha(img: Image.Image | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Any PIL mode or (h, w[, c]) array -> grey (h, w) and alpha (h, w), both float in [0, 1]."""
    if isinstance(img, Image.Image):
        mode = img.mode
        try:
            if mode.startswith(("I", "F")):
                pass  # 16/32-bit integer and float modes: scaled from the raw values below
            elif "A" in mode or "a" in mode or (mode == "P" and "transparency" in img.info):
                img = img.convert("RGBA")
            else:
                img = img.convert("L" if mode in ("1", "L") else "RGB")  # CMYK, YCbCr, P, ...
        except (ValueError, OSError):
            raise MaskError(f"Images in colour mode {mode!r} cannot be used as masks.") from None
        img = np.asarray(img)
    a = np.asarray(img)
    a = a[..., None] if a.ndim == 2 else a
    if a.ndim != 3 or a.shape[2] not in (1, 2, 3, 4):
        raise MaskError(f"A mask image must be (height, width[, channels]), got {np.shape(img)}.")
    if a.dtype.kind not in "buif":
        raise MaskError(f"A mask image must hold numbers, got {a.dtype}.")
    f, c = np.nan_to_num(a.astype(np.float64)), a.shape[2]
    # uint8/uint16 by their range; bools, floats and wider ints (PIL "I", "F") by their peak
    top = {"u1": 255, "u2": 65535}.get(a.dtype.str[1:])
    if top is None:
        peak = f.max(initial=0.0)
        top = 1 if peak <= 1 and a.dtype.kind in "bf" else 255 if peak <= 255 else 65535
    f = np.clip(f / top, 0.0, 1.0)
    # ITU-R 601 luma, the weights PIL's "L" conversion uses
    grey = f[..., :3] @ np.array([0.299, 0.587, 0.114]) if c >= 3 else f[..., 0]
    alpha = f[..., -1] if c in (2, 4) else np.ones_like(grey)
    return grey, alpha


def from_image(img: Image.Image | np.ndarray, shape: Shape, *, threshold: float = 0.5,
               missing_is: str = "white") -> torch.Tensor:
    """Uploaded mask image (any size and mode) -> (H, W) bool. Area-averaged grey above ``threshold`` is missing
    (below, if ``missing_is="black"``); transparent = keep; the aspect ratio must match within 1 % (no stretching)."""
    h, w = _shape(shape)
    t = _unit("threshold", threshold)
    if missing_is not in ("white", "black"):
        raise MaskError(f"missing_is must be 'white' or 'black', got {missing_is!r}.")
    grey, alpha = _grey_alpha(img)
    uh, uw = grey.shape
    if uh == 0 or uw == 0:
        raise MaskError("The uploaded mask image is empty.")
    if abs((uw / uh) / (w / h) - 1) > 0.01:
        raise MaskError(f"The uploaded mask is {uw}×{uh} pixels (width×height) but the image is "
                        f"{w}×{h}: upload a mask with the same proportions.")
    # transparency blends towards the "keep" colour, whichever colour means missing
    keep = 0.0 if missing_is == "white" else 1.0
    g = _area_resize(alpha * grey + (1 - alpha) * keep, (h, w))
    missing = g > t if missing_is == "white" else g < t
    return torch.from_numpy(~missing)


PRESETS: dict[str, str] = {
    "random": "Random pixels", "top": "Top half", "bottom": "Bottom half", "left": "Left half",
    "right": "Right half", "centre": "Centre square", "rectangles": "Random rectangles"}


def preset(name: str, shape: Shape, *, missing: float = 0.5, size: int | None = None,
           n: int = 1, seed: int = 0) -> torch.Tensor:
    """A preset by name -> (H, W) bool; ``size`` (centre, rectangles) defaults to min(H, W) // 2."""
    if name not in PRESETS:
        raise MaskError(f"Unknown mask preset {name!r}; choose one of: {', '.join(PRESETS)}.")
    h, w = _shape(shape)
    if name == "random":
        return random_pixels((h, w), missing, seed)
    if name in ("top", "bottom", "left", "right"):
        return half((h, w), name)
    s = size if size is not None else max(1, min(h, w) // 2)
    if name == "centre":
        return centre_square((h, w), s)
    return rectangles((h, w), n=n, height=s, width=s, seed=seed)


OVERLAY_TINT, OVERLAY_ALPHA = (1.0, 0.2, 0.2), 0.6  # missing pixels shown mixed with red at this opacity


HOLE_GREY = (0.5, 0.5, 0.5)  # a hole drawn in one flat colour: none of the hidden pixels shows through


def holed(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """For a question: x (C, H, W) or (H, W) in [0, 1] -> (3, H, W), every missing pixel HOLE_GREY."""
    return overlay(x, mask, HOLE_GREY, 1.0)


def overlay(x: torch.Tensor, mask: torch.Tensor, colour: tuple[float, float, float] = OVERLAY_TINT,
            alpha: float = OVERLAY_ALPHA) -> torch.Tensor:
    """For display: x (C, H, W) or (H, W) in [0, 1], C in {1, 3} -> (3, H, W), missing tinted."""
    x = x if x.is_floating_point() else x.float()
    x = x[None] if x.ndim == 2 else x
    if x.ndim != 3 or x.shape[0] not in (1, 3):
        raise MaskError(f"Only 1- or 3-channel images can be overlaid, got {tuple(x.shape)}.")
    h, w = x.shape[-2:]
    if not isinstance(mask, torch.Tensor) or mask.dtype != torch.bool or mask.numel() != h * w:
        raise MaskError(f"The mask must be a bool tensor with {h}×{w} entries for this image.")
    a = _unit("overlay opacity", alpha)
    rgb = x.expand(3, h, w).clamp(0, 1)
    tint = torch.tensor(colour, dtype=x.dtype, device=x.device).view(3, 1, 1).clamp(0, 1)
    return torch.where(mask.reshape(h, w).to(x.device), rgb, (1 - a) * rgb + a * tint)
