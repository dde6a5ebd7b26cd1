"""Tests for dgm_core.data.convert: uploads of every mode -> data-set images, bad files -> ImageError."""
from __future__ import annotations

import zlib
from io import BytesIO

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw

from dgm_core import budgets
from dgm_core.data.convert import ImageError, image_from_array, image_from_bytes, image_from_canvas


def encode(img: Image.Image, fmt: str = "PNG", **kw) -> bytes:
    buf = BytesIO()
    img.save(buf, format=fmt, **kw)
    return buf.getvalue()


def dark_digit(mode: str = "L", size: tuple[int, int] = (300, 200)) -> Image.Image:
    """A thick black ring with a bar on white paper, off-centre and wider than tall."""
    img = Image.new(mode, size, "white")
    d = ImageDraw.Draw(img)
    d.ellipse((40, 30, 160, 150), outline="black", width=18)
    d.rectangle((150, 80, 220, 100), fill="black")
    return img


def centre_of_mass(x: torch.Tensor) -> tuple[float, float]:
    g = x[0].double()
    r = torch.arange(g.shape[0], dtype=torch.float64)
    m = g.sum()
    return float((g.sum(1) * r).sum() / m), float((g.sum(0) * r).sum() / m)


def ink_box(x: torch.Tensor, t: float = 0.1) -> tuple[int, int]:
    """(height, width) of the bounding box of pixels above t."""
    rows, cols = (x[0] > t).nonzero(as_tuple=True)
    return int(rows.max() - rows.min() + 1), int(cols.max() - cols.min() + 1)


def check(x: torch.Tensor, shape: tuple[int, ...]) -> None:
    assert x.dtype == torch.float32 and tuple(x.shape) == shape
    assert float(x.min()) >= 0 and float(x.max()) <= 1


# ------------------------------------------------------------------------- MNIST-style centring

def test_dark_digit_on_white_paper_becomes_centred_white_on_black():
    x = image_from_bytes(encode(dark_digit()), "mnist")
    check(x, (1, 28, 28))
    cy, cx = centre_of_mass(x)
    assert abs(cy - 14) <= 1 and abs(cx - 14) <= 1
    assert 19 <= max(ink_box(x)) <= 21
    # white on black: the corners are background (0), the strokes reach full ink
    assert float(x[0, [0, 0, -1, -1], [0, -1, 0, -1]].max()) == 0.0
    assert float(x.max()) > 0.9
    assert float((x > 0.5).float().mean()) < 0.5


def test_polarity_does_not_matter():
    """White ink on black and black ink on white give the same picture."""
    dark = np.asarray(dark_digit())
    a = image_from_array(dark, "omniglot")
    b = image_from_array(255 - dark, "omniglot")
    assert torch.allclose(a, b, atol=1e-6)


def test_grey_paper_photo_is_cleaned():
    """A dark-grey digit on light-grey paper (a photo): background to 0, ink stretched to ~1."""
    a = np.asarray(dark_digit()).astype(np.float64)
    photo = (170 + (a / 255) * 40).astype(np.uint8)  # paper 210, ink 170
    x = image_from_array(photo, "mnist")
    check(x, (1, 28, 28))
    assert float(x.max()) > 0.9 and 19 <= max(ink_box(x)) <= 21
    assert float((x > 0.1).float().mean()) < 0.5  # the paper did not become ink


def test_mass_centre_clamped_inside():
    """A lopsided shape is shifted by its centre of mass but never leaves the 28×28 field."""
    img = Image.new("L", (100, 100), 0)
    d = ImageDraw.Draw(img)
    d.rectangle((0, 0, 99, 4), fill=255)  # thin top bar...
    d.rectangle((0, 0, 99, 99), outline=255, width=1)
    d.rectangle((0, 0, 30, 99), fill=255)  # ...heavy left side: mass far from the box centre
    x = image_from_array(np.asarray(img), "mnist")
    check(x, (1, 28, 28))
    assert ink_box(x) == (20, 20)


# ------------------------------------------------------------------------- formats and modes

def test_jpeg():
    x = image_from_bytes(encode(dark_digit("RGB"), "JPEG", quality=85), "mnist")
    check(x, (1, 28, 28))
    assert abs(centre_of_mass(x)[0] - 14) <= 1


def test_cmyk_jpeg():
    img = Image.new("CMYK", (80, 60), (0, 255, 255, 0))  # pure red in CMYK
    data = encode(img, "JPEG", quality=95)
    assert Image.open(BytesIO(data)).mode == "CMYK"
    x = image_from_bytes(data, "celeba")
    check(x, (3, 32, 32))
    assert float(x[0].mean()) > 0.9 and float(x[1:].mean()) < 0.1
    x = image_from_bytes(encode(dark_digit("RGB").convert("CMYK"), "JPEG"), "mnist")
    check(x, (1, 28, 28))
    assert 19 <= max(ink_box(x)) <= 21 and float(x[0, 0, 0]) == 0.0


def test_16_bit_png_is_scaled_not_clipped():
    data = encode(Image.fromarray(np.full((40, 50), 32768, np.uint16)))
    assert Image.open(BytesIO(data)).mode.startswith("I;16")
    x = image_from_bytes(data, "celeba")
    check(x, (3, 32, 32))
    assert torch.allclose(x, torch.full_like(x, 0.5), atol=1e-3)
    # a dark 16-bit digit on light paper: clipping at 255 would make it one blank white sheet
    a = np.asarray(dark_digit()).astype(np.uint16)
    digit = np.where(a > 127, 60000, 2000).astype(np.uint16)
    x = image_from_bytes(encode(Image.fromarray(digit)), "mnist")
    check(x, (1, 28, 28))
    assert 19 <= max(ink_box(x)) <= 21


def test_animated_gif_uses_first_frame():
    red = Image.new("RGB", (40, 40), (255, 0, 0)).convert("P")
    blue = Image.new("RGB", (40, 40), (0, 0, 255)).convert("P")
    data = encode(red, "GIF", save_all=True, append_images=[blue], duration=100, loop=0)
    assert Image.open(BytesIO(data)).n_frames == 2
    x = image_from_bytes(data, "celeba")
    assert torch.allclose(x[:, 5:-5, 5:-5].mean((1, 2)), torch.tensor([1.0, 0.0, 0.0]), atol=0.02)


def test_palette_png():
    check(image_from_bytes(encode(dark_digit("RGB").convert("P")), "mnist"), (1, 28, 28))


@pytest.mark.parametrize("ink", [(255, 255, 255, 255), (0, 0, 0, 255), (200, 30, 30, 255)])
def test_rgba_strokes_on_transparent_canvas(ink):
    """Strokes of any colour on a clear canvas (a drawing widget) -> white ink on black."""
    img = Image.new("RGBA", (200, 200), (0, 0, 0, 0))
    ImageDraw.Draw(img).line((50, 40, 120, 170), fill=ink, width=14)
    for x in (image_from_bytes(encode(img), "mnist"), image_from_array(np.asarray(img), "mnist")):
        check(x, (1, 28, 28))
        assert float(x.max()) > 0.9 and float(x[0, 0, 0]) == 0.0
        assert 19 <= max(ink_box(x)) <= 21


def test_rgba_face_on_white():
    img = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    ImageDraw.Draw(img).ellipse((16, 16, 47, 47), fill=(0, 0, 255, 255))
    x = image_from_bytes(encode(img), "celeba")
    check(x, (3, 32, 32))
    assert torch.allclose(x[:, 0, 0], torch.ones(3), atol=1e-3)  # transparent corner -> white
    assert torch.allclose(x[:, 16, 16], torch.tensor([0.0, 0.0, 1.0]), atol=0.02)


@pytest.mark.parametrize("mode", ["1", "LA", "I", "F"])
def test_other_modes(mode):
    img = Image.new("L", (120, 90), 0)
    ImageDraw.Draw(img).rectangle((30, 20, 70, 70), fill=255)
    if mode == "I":
        img = Image.fromarray(np.asarray(img).astype(np.int32) * 257)  # 0..65535 in 32-bit ints
    elif mode == "F":
        img = Image.fromarray(np.asarray(img).astype(np.float32) / 255)
    else:
        img = img.convert(mode)
    assert img.mode == mode
    x = image_from_bytes(encode(img, "TIFF" if mode in ("I", "F") else "PNG"), "mnist")
    check(x, (1, 28, 28))
    assert ink_box(x) == (20, 16)  # 51×41 box -> 20 rows, 16 columns
    assert float(x.max()) > 0.9


def test_exif_orientation_applied():
    img = Image.new("L", (100, 50), 0)
    ImageDraw.Draw(img).rectangle((10, 20, 89, 29), fill=255)  # a horizontal bar
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    x = image_from_bytes(encode(img, "JPEG", exif=exif), "mnist")
    h, w = ink_box(x, 0.5)
    assert h > 2 * w  # shown upright, the bar is vertical


def test_array_dtypes():
    a = np.zeros((50, 50), np.uint8)
    a[10:40, 20:30] = 255
    ref = image_from_array(a, "mnist")
    assert torch.allclose(image_from_array(a > 0, "mnist"), ref, atol=1e-6)
    assert torch.allclose(image_from_array(a / 255.0, "mnist"), ref, atol=1e-6)
    assert torch.allclose(image_from_array(np.repeat(a[..., None], 3, 2), "mnist"), ref, atol=1e-6)


# ------------------------------------------------------------------------- refusals

@pytest.mark.parametrize("data", [b"", b"hello, this is a text file\n",
                                  b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n"])
def test_not_an_image(data):
    with pytest.raises(ImageError, match="not an image PIL can read"):
        image_from_bytes(data, "mnist")


def test_truncated_png():
    data = encode(Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64), np.uint8)))
    with pytest.raises(ImageError, match="not an image PIL can read"):
        image_from_bytes(data[: len(data) // 2], "mnist")


@pytest.mark.parametrize("colour", ["white", "black", (128, 128, 128)])
def test_blank(colour):
    with pytest.raises(ImageError, match="blank"):
        image_from_bytes(encode(Image.new("RGB", (100, 80), colour)), "mnist")


def test_fully_transparent_is_blank():
    with pytest.raises(ImageError, match="blank"):
        image_from_array(np.zeros((30, 30, 4), np.uint8), "omniglot")


def png_claiming(w: int, h: int) -> bytes:
    """A tiny mode-"1" PNG whose header claims w×h pixels (CRC fixed, so only the size is a lie)."""
    data = bytearray(encode(Image.new("1", (8, 8))))
    assert data[12:16] == b"IHDR"
    data[16:24] = w.to_bytes(4, "big") + h.to_bytes(4, "big")
    data[29:33] = zlib.crc32(bytes(data[12:29])).to_bytes(4, "big")
    return bytes(data)


@pytest.mark.parametrize("side", [10_000, 7_000, 20_000])  # PIL warns / ours only / PIL errors
def test_huge_image_refused(side):
    with pytest.raises(ImageError, match="megapixels"):
        image_from_bytes(png_claiming(side, side), "mnist")


def test_max_pixels_patchable(monkeypatch):
    data = encode(dark_digit())
    monkeypatch.setattr(budgets, "IMAGE_MAX_PIXELS", 300 * 200 - 1)
    with pytest.raises(ImageError, match="300×200"):
        image_from_bytes(data, "mnist")
    with pytest.raises(ImageError, match="megapixels"):
        image_from_array(np.asarray(dark_digit()), "mnist")
    monkeypatch.setattr(budgets, "IMAGE_MAX_PIXELS", 300 * 200)
    check(image_from_bytes(data, "mnist"), (1, 28, 28))


def test_bad_arguments():
    with pytest.raises(ValueError, match="Unknown dataset"):
        image_from_array(np.zeros((4, 4)), "cifar")
    with pytest.raises(ValueError, match="not available"):
        image_from_array(np.zeros((4, 4)), "mnist", size=32)
    with pytest.raises(ImageError, match="shape"):
        image_from_array(np.zeros((4, 4, 5), np.uint8), "celeba")
    with pytest.raises(ImageError, match="numbers"):
        image_from_array(np.array([["a"]]), "celeba")


# ------------------------------------------------------------------------- CelebA

def test_celeba_crop_and_resize():
    x = image_from_bytes(encode(Image.new("RGB", (100, 60), (200, 100, 50))), "celeba")
    check(x, (3, 32, 32))
    assert torch.allclose(x, torch.tensor([200, 100, 50]).div(255).view(3, 1, 1).expand(3, 32, 32),
                          atol=1e-4)
    assert image_from_bytes(encode(Image.new("RGB", (100, 60))), "celeba", size=64).shape == (3, 64, 64)


def test_celeba_centre_crop_drops_the_sides():
    """A 100×60 picture: the left and right 20 columns are cut, only the middle square remains."""
    a = np.zeros((60, 100, 3), np.uint8)
    a[:, :20] = (255, 0, 0)  # cut away
    a[:, 80:] = (0, 255, 0)  # cut away
    a[:, 20:80] = (0, 0, 255)
    x = image_from_array(a, "celeba")
    assert torch.allclose(x, torch.tensor([0.0, 0.0, 1.0]).view(3, 1, 1).expand_as(x), atol=1e-4)


def test_celeba_grey_input_becomes_rgb():
    x = image_from_array(np.full((10, 10), 51, np.uint8), "celeba")
    assert torch.allclose(x, torch.full((3, 32, 32), 0.2), atol=1e-4)


@pytest.mark.parametrize("background", [(0, 0, 0, 255), (0, 0, 0, 0), (255, 255, 255, 0)])
def test_canvas_export_with_or_without_its_background(background):
    """White strokes read the same whether the canvas exports its black background opaque, transparent
    black or transparent white: ink is the brightest channel times the opacity."""
    img = Image.new("RGBA", (200, 200), background)
    ImageDraw.Draw(img).line((50, 40, 120, 170), fill=(255, 255, 255, 255), width=14)
    grey = Image.new("L", (200, 200), 0)
    ImageDraw.Draw(grey).line((50, 40, 120, 170), fill=255, width=14)
    x = image_from_canvas(np.asarray(img), "mnist")
    check(x, (1, 28, 28))
    assert torch.equal(x, image_from_array(np.asarray(grey), "mnist"))


@pytest.mark.parametrize("mode", ["RGBA", "LA", "RGB", "L", "I", "F"])
@pytest.mark.parametrize(("h", "w", "factor"), [(1000, 513, 2), (517, 301, 6), (130, 90, 3)])
def test_the_banded_reduce_gives_pils_pixels(mode, h, w, factor):
    """Shrinking a band of rows at a time (to spare the premultiplied copy PIL makes of a picture with alpha)
    changes no pixel of PIL's own reduce, the last partial block included."""
    from dgm_core.data.convert import _reduce

    rng = np.random.default_rng(h + w + factor)
    if mode in ("I", "F"):
        a = rng.integers(0, 70_000, (h, w)).astype(np.int32) if mode == "I" else rng.random((h, w)).astype(np.float32)
        img = Image.fromarray(a, mode)
    else:
        img = Image.fromarray(rng.integers(0, 256, (h, w, 4), dtype=np.uint8), "RGBA").convert(mode)
    whole, banded = np.asarray(img.reduce(factor)), np.asarray(_reduce(img, factor, rows=16))
    assert banded.shape == whole.shape and np.array_equal(banded, whole)
