"""A user's own picture -> one image in the convention of a data set, for the inpainting page.

Grey sets (MNIST, Omniglot) get the preprocessing of MNIST itself (LeCun, Cortes & Burges, "The
MNIST database of handwritten digits"): white ink on black, the ink's bounding box scaled so its longer
side is 20 px (aspect kept, antialiased), then pasted into 28×28 so that its centre of mass sits at
the centre. A dark digit photographed on white paper is inverted first. CelebA gets a centre crop to
a square and an antialiased resize. Output: float32 (C, H, W) in [0, 1], C = 1 (grey) or 3 (RGB).

Every problem a user can cause (not an image, a truncated file, an image too large, a blank page)
raises ``ImageError``: one sentence a page can show as is.
"""
from __future__ import annotations

import math
import warnings
from io import BytesIO

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError

from .images import LUMA  # ITU-R 601, the weights of PIL's "L" conversion

MAX_PIXELS = 40_000_000  # larger uploads are refused; read at call time, so tests may patch it
SIZES: dict[str, tuple[int, ...]] = {"mnist": (28,), "omniglot": (28,), "celeba": (32, 64)}
GREY = ("mnist", "omniglot")
_BOX = 20 / 28  # MNIST: the digit's longer side fills 20 of the 28 pixels
_INK = 0.1  # a grey level above this (after inversion and background removal) counts as ink
_LUMA = np.array(LUMA)


class ImageError(ValueError):
    """An upload that cannot become an image, described in one sentence a page can show as is."""


def _size(dataset: str, size: int | None) -> int:
    """The output side length; a bad data set or size is a programming error (ValueError)."""
    if dataset not in SIZES:
        raise ValueError(f"Unknown dataset {dataset!r}; choose one of {', '.join(SIZES)}.")
    if size is None:
        return SIZES[dataset][0]
    if size not in SIZES[dataset]:
        raise ValueError(f"Size {size!r} is not available for {dataset}; choose one of {SIZES[dataset]}.")
    return int(size)


def _too_large(w: int, h: int) -> ImageError:
    return ImageError(f"The image is {w}×{h} pixels, more than the {MAX_PIXELS / 1e6:g} million "
                      f"this page accepts: upload a smaller one.")


def _open(data: bytes) -> Image.Image:
    """Decode the first frame of an upload, with its EXIF orientation applied."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"image_from_bytes needs bytes, got {type(data).__name__}.")
    if len(data) == 0:
        raise ImageError("The file is not an image PIL can read (the file is empty).")
    try:
        # PIL only warns between MAX_IMAGE_PIXELS and twice that; a warning is no refusal, so make
        # it an error here (scoped to this category) and turn both into ImageError below.
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(BytesIO(data))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageError(f"The image is too large (far more than {MAX_PIXELS / 1e6:g} million "
                         f"pixels): upload a smaller one.") from None
    except UnidentifiedImageError:
        raise ImageError("The file is not an image PIL can read (unknown or unsupported "
                         "format; PNG, JPEG, GIF, WebP or BMP work).") from None
    except Exception:  # malformed headers raise all sorts (SyntaxError, struct.error, ...)
        raise ImageError("The file is not an image PIL can read (its header is damaged).") from None
    w, h = img.size
    if w * h > MAX_PIXELS:  # checked on the header, before a single pixel is decoded
        raise _too_large(w, h)
    if w == 0 or h == 0:
        raise ImageError("The file is not an image PIL can read (it has no pixels).")
    try:
        if getattr(img, "n_frames", 1) > 1:
            img.seek(0)  # animated GIF / WebP / APNG: the first frame
        img.load()
        img = ImageOps.exif_transpose(img)  # phone photos store "rotate me" in EXIF, not in pixels
    except Exception as e:  # truncated or corrupt pixel data: decoders raise OSError, ValueError, ...
        reason = "it is truncated" if "truncated" in str(e) else "its pixel data is damaged"
        raise ImageError(f"The file is not an image PIL can read ({reason}).") from None
    return img


def _pil_to_array(img: Image.Image) -> np.ndarray:
    """Any PIL mode -> (h, w) or (h, w, 3|4) array whose dtype tells its range (see _planes)."""
    mode = img.mode
    if mode.startswith("I;16"):
        return np.asarray(img).astype(np.uint16)  # big/little endian variants -> native uint16
    if mode in ("I", "F"):
        return np.asarray(img)  # 32-bit int / float: scaled by their peak in _planes
    try:
        if "A" in mode or "a" in mode or (mode in ("P", "L", "RGB") and "transparency" in img.info):
            return np.asarray(img.convert("RGBA"))  # LA, PA, RGBa, palette with a transparent index
        return np.asarray(img.convert("L" if mode in ("1", "L") else "RGB"))  # CMYK, P, YCbCr, ...
    except (ValueError, OSError):
        raise ImageError(f"Images in colour mode {mode!r} are not supported: "
                         f"save it as an RGB or greyscale PNG or JPEG.") from None


def _planes(a: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """(h, w[, c]) array -> colour (h, w, 1|3) float64 in [0, 1] and alpha (h, w) or None."""
    a = np.asarray(a)
    if a.dtype.kind not in "buif":
        raise ImageError(f"An image must hold numbers, got values of type {a.dtype}.")
    a = a[..., None] if a.ndim == 2 else a
    if a.ndim != 3 or a.shape[2] not in (1, 2, 3, 4):
        raise ImageError(f"An image must be (height, width) or (height, width, 1-4 channels), "
                         f"got shape {np.shape(a)}.")
    h, w = a.shape[:2]
    if h == 0 or w == 0:
        raise ImageError("The image is empty (it has no pixels).")
    if h * w > MAX_PIXELS:
        raise _too_large(w, h)
    f = np.nan_to_num(a.astype(np.float64))
    # 8/16-bit by their full range (16-bit is divided, never clipped at 255); bools, floats and
    # 32-bit ints by their peak, so a float image in [0, 1] and an "I" image of 0..65535 both work
    top = {"u1": 255.0, "u2": 65535.0}.get(a.dtype.str[1:])
    if top is None:
        peak = f.max(initial=0.0)
        top = 1.0 if (peak <= 1 and a.dtype.kind in "bf") else next(
            (t for t in (255.0, 65535.0) if peak <= t), peak)
    f = np.clip(f / top, 0.0, 1.0)
    c = f.shape[2]
    alpha = f[..., -1] if c in (2, 4) else None
    colour = f[..., :3] if c >= 3 else f[..., :1]
    return colour, alpha


def _grey(colour: np.ndarray, alpha: np.ndarray | None) -> np.ndarray:
    """Colour + alpha -> grey (h, w), transparency composited onto a background that blends in."""
    g = colour @ _LUMA if colour.shape[2] == 3 else colour[..., 0]
    if alpha is None:
        return g
    opaque = alpha > 0.5
    if not opaque.any():
        return np.zeros_like(g)  # fully transparent: nothing drawn (reported as blank later)
    m = float(np.median(g[opaque]))
    if opaque.mean() < 0.5:
        # mostly transparent = strokes on a clear canvas: the background must contrast with them,
        # or black pen on a transparent canvas (a common drawing widget default) would vanish
        bg = 0.0 if m >= 0.5 else 1.0
    else:
        bg = m  # a mostly opaque picture with clear bits: those bits take the paper's colour
    return alpha * g + (1 - alpha) * bg


def _resize(a: np.ndarray, h: int, w: int) -> np.ndarray:
    """(H0, W0) float -> (h, w), antialiased (Lanczos scales its support when shrinking)."""
    img = Image.fromarray(np.ascontiguousarray(a, dtype=np.float32))  # mode "F": no 8-bit rounding
    out = np.asarray(img.resize((w, h), Image.Resampling.LANCZOS), dtype=np.float64)
    return np.clip(out, 0.0, 1.0)  # Lanczos rings slightly below 0 / above 1 at sharp edges


def _centre_digit(g: np.ndarray, size: int) -> np.ndarray:
    """Grey (h, w) in [0, 1], any polarity -> (size, size) white-on-black, MNIST-centred."""
    if np.median(g) > 0.5:  # mostly light: dark ink on paper, so flip to MNIST's white on black
        g = 1.0 - g
    # Photos of paper are grey, not black, after inversion: subtract the background (the median,
    # since ink covers under half the picture) and stretch the ink to 1, like MNIST's full-contrast
    # strokes. On a black background with full-contrast ink this changes nothing.
    bg = float(np.median(g))
    contrast = float(g.max()) - bg
    if contrast < _INK:
        raise ImageError("The image looks blank: no stroke stands out from the background; "
                         "draw or upload a darker (or lighter) character.")
    g = np.clip((g - bg) / contrast, 0.0, 1.0)
    rows, cols = np.nonzero(g > _INK)
    g = g[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
    h, w = g.shape
    box = round(size * _BOX)
    scale = box / max(h, w)
    nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
    patch = _resize(g, nh, nw)
    mass = patch.sum()
    if mass <= 0:  # a one-pixel speck can vanish in the resize
        raise ImageError("The image looks blank: its only marks are too small to see at "
                         f"{size}×{size}; draw a larger character.")
    cy = float((patch.sum(1) * np.arange(nh)).sum() / mass)
    cx = float((patch.sum(0) * np.arange(nw)).sum() / mass)
    centre = (size - 1) / 2  # the field's centre in pixel-index coordinates
    top = min(max(math.floor(centre - cy + 0.5), 0), size - nh)  # clamped: the patch stays inside
    left = min(max(math.floor(centre - cx + 0.5), 0), size - nw)
    out = np.zeros((size, size))
    out[top:top + nh, left:left + nw] = patch
    return out


def _convert(colour: np.ndarray, alpha: np.ndarray | None, dataset: str, size: int) -> torch.Tensor:
    if dataset in GREY:
        out = _centre_digit(_grey(colour, alpha), size)[None]  # (1, S, S)
    else:
        rgb = np.repeat(colour, 3, axis=2) if colour.shape[2] == 1 else colour
        if alpha is not None:  # faces: transparency becomes white, like a passport photo's backdrop
            rgb = alpha[..., None] * rgb + (1 - alpha[..., None])
        h, w = rgb.shape[:2]
        s = min(h, w)
        top, left = (h - s) // 2, (w - s) // 2
        rgb = rgb[top:top + s, left:left + s]
        out = np.stack([_resize(rgb[..., k], size, size) for k in range(3)])  # (3, S, S)
    return torch.from_numpy(np.ascontiguousarray(out, dtype=np.float32))


def image_from_bytes(data: bytes, dataset: str, *, size: int | None = None) -> torch.Tensor:
    """An uploaded file's bytes -> (C, H, W) float32 in [0, 1] in the convention of ``dataset``.

    dataset: "mnist" or "omniglot" -> (1, 28, 28) white ink on black, MNIST-centred;
    "celeba" -> (3, S, S), S = ``size`` in {32, 64} (default 32), centre-cropped to a square.
    Any format and mode PIL reads (first frame of an animation, EXIF rotation applied).
    Raises ImageError for anything a user can get wrong.
    """
    s = _size(dataset, size)
    img = _open(bytes(data) if isinstance(data, memoryview) else data)
    return _convert(*_planes(_pil_to_array(img)), dataset, s)


def image_from_array(img: np.ndarray, dataset: str, *, size: int | None = None) -> torch.Tensor:
    """An (h, w) or (h, w, 3|4) array, e.g. a canvas drawing (uint8 RGBA) -> (C, H, W) float32.

    uint8 and uint16 are read by their full range, float and bool arrays as values in [0, 1];
    the rest as in ``image_from_bytes``.
    """
    s = _size(dataset, size)
    return _convert(*_planes(img), dataset, s)


def image_from_canvas(rgba: np.ndarray, dataset: str, *, size: int | None = None) -> torch.Tensor:
    """A drawing canvas's (h, w, 4) uint8 RGBA export, white strokes on black -> (C, H, W) float32.

    The export may or may not include the opaque background, so a pixel's ink is its brightest channel
    times its opacity; the rest as in ``image_from_array``.
    """
    ink = (rgba[..., :3].max(-1).astype(np.float32) * rgba[..., 3] / 255).astype(np.uint8)
    return image_from_array(ink, dataset, size=size)


__all__ = ["ImageError", "MAX_PIXELS", "SIZES", "image_from_bytes", "image_from_array", "image_from_canvas"]
