"""A user's own picture -> one image in the convention of a data set, for the inpainting page.

Grey sets (MNIST, Omniglot) get the preprocessing of MNIST itself (LeCun, Cortes & Burges, "The
MNIST database of handwritten digits"): white ink on black, the ink's bounding box scaled so its longer
side is 20 px (aspect kept, antialiased), then pasted into 28×28 so that its centre of mass sits at
the centre. A dark digit photographed on white paper is inverted first. CelebA gets a centre crop to
a square and an antialiased resize. Output: float32 (C, H, W) in [0, 1], C = 1 (grey) or 3 (RGB).

Every problem a user can cause (not an image, a truncated file, an image too large, a blank page)
raises ``ImageError``: one sentence a page can show as is. Uploads, images and masks alike, go through
one decoder (``decode_upload``) that holds them to the budgets of ``dgm_core.budgets`` before decoding.
"""
from __future__ import annotations

import math
import re
import warnings
from io import BytesIO

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

from .. import budgets, masks
from .images import LUMA  # ITU-R 601, the weights of PIL's "L" conversion

SIZES: dict[str, tuple[int, ...]] = {"mnist": (28,), "omniglot": (28,), "celeba": (32, 64)}
GREY = ("mnist", "omniglot")
_BOX = 20 / 28  # MNIST: the digit's longer side fills 20 of the 28 pixels
_INK = 0.1  # a grey level above this (after inversion and background removal) counts as ink
_LUMA = np.array(LUMA)
_PNG = b"\x89PNG\r\n\x1a\n"
_TEXT_CHUNKS = (b"tEXt", b"zTXt", b"iTXt")
# EXIF orientation -> the transpose that undoes it (ImageOps.exif_transpose's table), applied after shrinking
_ORIENT = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
           5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
           8: Image.Transpose.ROTATE_90}


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
    return ImageError(f"The image is {w}×{h} pixels ({w * h / 1e6:.1f} megapixels once decoded), more than the "
                      f"{budgets.IMAGE_MAX_PIXELS / 1e6:g} megapixels this page accepts: upload a smaller one.")


def _png_text_bytes(data: bytes) -> int:
    """Bytes of text metadata in a PNG, summed over its chunks: read from the chunk headers, nothing inflated."""
    total, pos = 0, 8
    while pos + 8 <= len(data):
        length = int.from_bytes(data[pos:pos + 4], "big")
        kind = data[pos + 4:pos + 8]
        if kind in _TEXT_CHUNKS:
            total += length
        if kind == b"IEND":
            break
        pos += 12 + length
    return total


def _text_too_large(n: int) -> ImageError:
    return ImageError(f"The PNG carries {budgets.megabytes(n)} of text metadata (at most "
                      f"{budgets.megabytes(budgets.IMAGE_MAX_TEXT_BYTES)} allowed): save the picture again "
                      f"without metadata and upload that.")


def _shrink(img: Image.Image) -> Image.Image:
    """The decoded first frame area-averaged to at most IMAGE_WORK_SIDE a side, in a mode that survives it."""
    w, h = img.size
    factor = math.ceil(max(w, h) / budgets.IMAGE_WORK_SIDE)
    if factor <= 1:
        return img
    mode = img.mode
    if mode in ("1", "P", "PA"):  # averaging bits or palette indices means nothing: expand them first
        rgba = mode == "PA" or (mode == "P" and "transparency" in img.info)
        img = img.convert("RGBA" if rgba else "L" if mode == "1" else "RGB")
    if mode.startswith("I;16"):  # reduce has no 16-bit mode: average in 32 bits, back to 16 (range kept)
        return _reduce(img.convert("I"), factor).convert("I;16")
    return _reduce(img, factor)


def _reduce(img: Image.Image, factor: int, rows: int = 64) -> Image.Image:
    """``img.reduce(factor)``, the same pixels, one band of ``rows * factor`` rows at a time: PIL reduces a picture
    with alpha through a premultiplied copy of all of it, which would double the decoded picture's memory."""
    w, h = img.size
    out = Image.new(img.mode, (math.ceil(w / factor), math.ceil(h / factor)))
    band = rows * factor  # a whole number of blocks, so only the last band's last block is partial, as in one reduce
    for y in range(0, h, band):
        out.paste(img.crop((0, y, w, min(y + band, h))).reduce(factor), (0, y // factor))
    return out


def decode_upload(data: bytes) -> Image.Image:
    """An uploaded file's first frame, decoded within the budgets of ``dgm_core.budgets``: its size read
    from the header before a pixel is decoded, shrunk to at most IMAGE_WORK_SIDE a side, EXIF orientation
    applied. The one decoder of the image and mask uploaders; raises ImageError (one sentence)."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"An upload must be bytes, got {type(data).__name__}.")
    data = bytes(data)
    if len(data) == 0:
        raise ImageError("The file is not an image PIL can read (the file is empty).")
    if len(data) > budgets.UPLOAD_MAX_BYTES:
        cap = budgets.UPLOAD_MAX_BYTES
        raise ImageError(f"The file is {len(data):,} bytes, more than the {budgets.megabytes(cap)} ({cap:,} bytes) "
                         "this page accepts: upload a smaller one.")
    if data.startswith(_PNG) and (n := _png_text_bytes(data)) > budgets.IMAGE_MAX_TEXT_BYTES:
        raise _text_too_large(n)
    try:
        # PIL only warns between MAX_IMAGE_PIXELS and twice that; a warning is no refusal, so make
        # it an error here (scoped to this category) and turn both into ImageError below.
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(BytesIO(data))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        pixels = re.search(r"\((\d+) pixels\)", str(e))
        many = f"{int(pixels[1]) / 1e6:.0f} megapixels" if pixels else "far too many pixels"
        raise ImageError(f"The image has {many} once decoded, more than the {budgets.IMAGE_MAX_PIXELS / 1e6:g} "
                         f"megapixels this page accepts: upload a smaller one.") from None
    except UnidentifiedImageError:
        raise ImageError("The file is not an image PIL can read (unknown or unsupported "
                         "format; PNG, JPEG, GIF, WebP or BMP work).") from None
    except Exception as e:  # malformed headers raise all sorts (SyntaxError, struct.error, ...)
        if "Too Large" in str(e) or "text chunk" in str(e):  # a zTXt chunk that inflates past PIL's own cap
            raise _text_too_large(budgets.IMAGE_MAX_TEXT_BYTES + 1) from None
        raise ImageError("The file is not an image PIL can read (its header is damaged).") from None
    if img.format == "JPEG":  # decode at 1/2..1/8 scale where that still leaves IMAGE_WORK_SIDE a side
        img.draft(img.mode, (budgets.IMAGE_WORK_SIDE, budgets.IMAGE_WORK_SIDE))
    w, h = img.size
    if w * h > budgets.IMAGE_MAX_PIXELS:  # checked on the header, before a single pixel is decoded
        raise _too_large(w, h)
    if w == 0 or h == 0:
        raise ImageError("The file is not an image PIL can read (it has no pixels).")
    try:
        orientation = img.getexif().get(0x0112)  # phone photos store "rotate me" in EXIF, not in pixels
        img.load()  # the first frame only: the file is at frame 0 after open
        img = _shrink(img)
        if orientation in _ORIENT:
            img = img.transpose(_ORIENT[orientation])
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
    if h * w > budgets.IMAGE_MAX_PIXELS:
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
    return _convert(*_planes(_pil_to_array(decode_upload(data))), dataset, s)


def mask_from_bytes(data: bytes, shape: tuple[int, int], *, missing_is: str = "white") -> torch.Tensor:
    """An uploaded mask file -> (H, W) bool, True = observed (``dgm_core.masks.from_image``), decoded by
    the image uploader's decoder within the same budgets. Raises ImageError or MaskError (one sentence)."""
    return masks.from_image(decode_upload(data), shape, missing_is=missing_is)


def image_from_array(img: np.ndarray, dataset: str, *, size: int | None = None) -> torch.Tensor:
    """An (h, w) or (h, w, 3|4) array, e.g. a canvas drawing (uint8 RGBA) -> (C, H, W) float32.

    uint8 and uint16 are read by their full range, float and bool arrays as values in [0, 1];
    the rest as in ``image_from_bytes``.
    """
    s = _size(dataset, size)
    return _convert(*_planes(img), dataset, s)


def canvas_rgba(png: bytes) -> np.ndarray:
    """The drawing canvas's picture as the browser sent it (the PNG bytes of its data URL) -> (h, w, 4) uint8 RGBA.

    A modified browser can send any picture, or anything else: it goes through the uploads' decoder, so its bytes
    and its pixels (read from the header) are held to the same caps before a pixel is decoded, and it is shrunk to
    at most IMAGE_WORK_SIDE a side. Raises ImageError (one sentence).
    """
    img = decode_upload(png)
    try:
        return np.asarray(img.convert("RGBA"))
    except (ValueError, OSError):
        raise ImageError(f"The drawing arrived in colour mode {img.mode!r}, which is no canvas picture; clear the "
                         "canvas and draw again.") from None


def image_from_canvas(rgba: np.ndarray, dataset: str, *, size: int | None = None) -> torch.Tensor:
    """A drawing canvas's (h, w, 4) uint8 RGBA export, white strokes on black -> (C, H, W) float32.

    The export may or may not include the opaque background, so a pixel's ink is its brightest channel
    times its opacity; the rest as in ``image_from_array``.
    """
    ink = (rgba[..., :3].max(-1).astype(np.float32) * rgba[..., 3] / 255).astype(np.uint8)
    return image_from_array(ink, dataset, size=size)


__all__ = ["ImageError", "SIZES", "canvas_rgba", "decode_upload", "image_from_bytes", "image_from_array",
           "image_from_canvas", "mask_from_bytes"]
