"""Tests for dgm_core.masks: exact counts, exact positions, edges reachable, True = observed."""
from __future__ import annotations

import ast
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from dgm_core import masks as M
from dgm_core.device import generator
from dgm_core.masks import MaskError


def art(s: str) -> torch.Tensor:
    """'.' observed, '#' missing -> (H, W) bool, True = observed."""
    return torch.tensor([[c == "." for c in row] for row in s.split()])


def bbox(mask: torch.Tensor) -> tuple[int, int, int, int]:
    """(top, left, bottom, right) of the missing pixels, inclusive."""
    r, c = (~mask).nonzero(as_tuple=True)
    return int(r.min()), int(c.min()), int(r.max()), int(c.max())


# ------------------------------------------------------------------------- random pixels

@pytest.mark.parametrize("shape", [(28, 28), (64, 64)])
@pytest.mark.parametrize("p", [0.4, 0.6, 0.8])
def test_random_pixels_exact_count(shape, p):
    m = M.random_pixels(shape, p, seed=3)
    assert m.dtype == torch.bool and m.shape == shape
    assert int((~m).sum()) == round(p * shape[0] * shape[1])


def test_random_pixels_true_is_observed():
    m = M.random_pixels((10, 10), 0.8, seed=0)
    assert int(m.sum()) == 20  # 80 % missing -> 20 % True
    assert M.random_pixels((5, 5), 0.0, seed=0).all()
    assert not M.random_pixels((5, 5), 1.0, seed=0).any()
    assert M.missing_fraction(m) == pytest.approx(0.8)


def test_random_pixels_seeded():
    assert torch.equal(M.random_pixels((28, 28), 0.5, 7), M.random_pixels((28, 28), 0.5, 7))
    assert not torch.equal(M.random_pixels((28, 28), 0.5, 7), M.random_pixels((28, 28), 0.5, 8))


@pytest.mark.parametrize("p", [-0.1, 1.1, float("nan"), True, "0.5"])
def test_random_pixels_bad_fraction(p):
    with pytest.raises(MaskError):
        M.random_pixels((28, 28), p, seed=0)


@pytest.mark.parametrize("shape", [(0, 5), (5,), (5, 5, 1), (2.5, 4), "ab", None])
def test_bad_shape(shape):
    with pytest.raises(MaskError):
        M.random_pixels(shape, 0.5, seed=0)


def test_random_pixels_batch():
    m = M.random_pixels_batch(1000, (28, 28), 0.6, generator(0))
    assert m.shape == (1000, 1, 28, 28) and m.dtype == torch.bool
    assert abs(M.missing_fraction(m) - 0.6) < 0.01
    assert torch.equal(m, M.random_pixels_batch(1000, (28, 28), 0.6, generator(0)))
    assert M.random_pixels_batch(4, (5, 5), 0.0, generator(0)).all()
    assert not M.random_pixels_batch(4, (5, 5), 1.0, generator(0)).any()


# --------------------------------------------------------------------------------- halves

@pytest.mark.parametrize("side, expected", [
    ("top", "##### ##### ..... ..... ....."),
    ("bottom", "..... ..... ..... ##### #####"),
    ("left", "##... ##... ##... ##... ##..."),
    ("right", "...## ...## ...## ...## ...##"),
])
def test_half_odd(side, expected):
    assert torch.equal(M.half((5, 5), side), art(expected))


def test_half_28():
    top, right = M.half((28, 28), "top"), M.half((28, 28), "right")
    assert not top[:14].any() and top[14:].all()
    assert right[:, :14].all() and not right[:, 14:].any()
    assert not M.half((6, 4), "bottom")[3, 0] and M.half((6, 4), "bottom")[2, 3]


@pytest.mark.parametrize("side, shape", [("middle", (5, 5)), ("top", (1, 5)), ("left", (5, 1))])
def test_half_invalid(side, shape):
    with pytest.raises(MaskError):
        M.half(shape, side)


# ------------------------------------------------------------------------- centre square

def test_centre_square():
    m = M.centre_square((28, 28), 14)
    assert int((~m).sum()) == 196 and bbox(m) == (7, 7, 20, 20)
    assert torch.equal(m, m.flip(0)) and torch.equal(m, m.flip(1))
    assert torch.equal(M.centre_square((5, 5), 1), art("..... ..... ..#.. ..... ....."))
    wide = M.centre_square((10, 20), 4)
    assert torch.equal(wide, wide.flip(0)) and torch.equal(wide, wide.flip(1))


@pytest.mark.parametrize("size", [0, -1, 29, 2.5, None])
def test_centre_square_invalid(size):
    with pytest.raises(MaskError):
        M.centre_square((28, 28), size)


# ----------------------------------------------------------------------------- rectangles

def test_rectangle_count_and_shape():
    for seed in range(20):
        m = M.rectangles((28, 28), height=10, width=7, seed=seed)
        t, l, b, r = bbox(m)
        assert int((~m).sum()) == 70 and (b - t + 1, r - l + 1) == (10, 7)


def test_rectangle_positions_uniform_including_edges():
    # top-left must take every value 0..H-h: the DMFA off-by-one never reaches H-h
    tops, lefts = set(), set()
    for seed in range(300):
        t, l, b, r = bbox(M.rectangles((28, 28), height=20, width=22, seed=seed))
        tops.add(t), lefts.add(l)
    assert tops == set(range(9)) and lefts == set(range(7))


def test_rectangles_seeded_and_many():
    a = M.rectangles((28, 28), n=3, height=6, width=6, seed=1)
    assert torch.equal(a, M.rectangles((28, 28), n=3, height=6, width=6, seed=1))
    others = [M.rectangles((28, 28), n=3, height=6, width=6, seed=s) for s in range(2, 6)]
    assert not all(torch.equal(a, o) for o in others)
    assert 36 <= int((~a).sum()) <= 108


def test_rectangle_amplitude():
    sizes = {bbox(M.rectangles((28, 28), height=10, width=8, height_ampl=3, width_ampl=2, seed=s))
             for s in range(300)}
    hs = {b - t + 1 for t, l, b, r in sizes}
    ws = {r - l + 1 for t, l, b, r in sizes}
    assert hs == set(range(7, 14)) and ws == set(range(6, 11))


@pytest.mark.parametrize("kw", [dict(height=0, width=5), dict(height=29, width=5),
                                dict(height=5, width=5, height_ampl=5),
                                dict(height=5, width=5, n=0),
                                dict(height=5, width=5, width_ampl=-1)])
def test_rectangles_invalid(kw):
    with pytest.raises(MaskError):
        M.rectangles((28, 28), seed=0, **kw)


def test_rectangles_batch():
    m = M.rectangles_batch(3000, (28, 28), height=20, width=22, generator=generator(0))
    assert m.shape == (3000, 1, 28, 28) and m.dtype == torch.bool
    assert ((~m).sum((1, 2, 3)) == 20 * 22).all()
    hole = ~m[:, 0]
    assert hole[:, -1, :].any() and hole[:, :, -1].any()  # last row and column reachable
    assert hole[:, 0, :].any() and hole[:, :, 0].any()
    tops = hole.any(2).float().argmax(1)  # first missing row per image
    assert set(tops.tolist()) == set(range(9))
    same = M.rectangles_batch(3000, (28, 28), height=20, width=22, generator=generator(0))
    assert torch.equal(m, same)


def test_rectangles_batch_amplitude_and_speed():
    t0 = time.perf_counter()
    m = M.rectangles_batch(10_000, (28, 28), height=14, width=14, generator=generator(1),
                           height_ampl=4, width_ampl=2)
    assert time.perf_counter() - t0 < 1.0
    hole = ~m[:, 0]
    heights, widths = hole.any(2).sum(1), hole.any(1).sum(1)
    assert set(heights.tolist()) == set(range(10, 19))
    assert set(widths.tolist()) == set(range(12, 17))
    assert ((~m).sum((1, 2, 3)) == heights * widths).all()  # each hole is one solid rectangle


# -------------------------------------------------------------------------------- drawings

def canvas(h: int, w: int) -> np.ndarray:
    return np.zeros((h, w, 4), np.uint8)


def test_from_drawing_top_half():
    c = canvas(280, 280)
    c[:140, :, :] = (255, 0, 0, 255)
    assert torch.equal(M.from_drawing(c, (28, 28)), M.half((28, 28), "top"))


def test_from_drawing_non_integer_ratio():
    c = canvas(300, 300)
    c[60:180, 90:240, 3] = 255
    m = M.from_drawing(c, (28, 28))
    s = 300 / 28
    t, l, b, r = bbox(m)
    assert abs(t - 60 / s) <= 1 and abs(b + 1 - 180 / s) <= 1
    assert abs(l - 90 / s) <= 1 and abs(r + 1 - 240 / s) <= 1
    # closed form: an image pixel's painted share is the product of its row and column overlaps;
    # the resampler may only disagree on partially covered border pixels
    def overlap(a: int, b: int) -> np.ndarray:
        i = np.arange(28)
        return np.clip(np.minimum((i + 1) * s, b) - np.maximum(i * s, a), 0, None) / s
    share = torch.from_numpy(np.outer(overlap(60, 180), overlap(90, 240)))
    wrong = m == (share >= 0.3)
    assert ((share > 0) & (share < 1))[wrong].all()
    assert not m[share == 1].any() and m[share == 0].all()


def test_from_drawing_empty_and_colour_only():
    assert M.from_drawing(canvas(280, 280), (28, 28)).all()
    c = canvas(280, 280)
    c[..., :3] = 255  # colour without alpha is not paint
    assert M.from_drawing(c, (28, 28)).all()


def test_from_drawing_coverage():
    c = canvas(280, 280)
    c[:5, :10, 3] = 255  # half of image pixel (0, 0)
    assert not M.from_drawing(c, (28, 28), coverage=0.3)[0, 0]
    assert not M.from_drawing(c, (28, 28), coverage=0.5)[0, 0]
    assert M.from_drawing(c, (28, 28), coverage=0.6)[0, 0]
    assert int((~M.from_drawing(c, (28, 28))).sum()) == 1
    full = canvas(280, 280)
    full[:10, :10, 3] = 1
    assert not M.from_drawing(full, (28, 28), coverage=1.0)[0, 0]


@pytest.mark.parametrize("bad", [np.zeros((28, 28, 3), np.uint8), np.zeros((28, 28), np.uint8)])
def test_from_drawing_invalid(bad):
    with pytest.raises(MaskError):
        M.from_drawing(bad, (28, 28))
    with pytest.raises(MaskError):
        M.from_drawing(canvas(28, 28), (28, 28), coverage=0)


# --------------------------------------------------------------------------------- uploads

def square_upload(n: int = 112, fg: int = 255, bg: int = 0) -> np.ndarray:
    a = np.full((n, n), bg, np.uint8)
    a[n // 4: 3 * n // 4, n // 4: 3 * n // 4] = fg
    return a


CENTRE = M.centre_square((28, 28), 14)


def test_from_image_white_square():
    assert torch.equal(M.from_image(square_upload(), (28, 28)), CENTRE)
    assert torch.equal(M.from_image(Image.fromarray(square_upload()), (28, 28)), CENTRE)
    assert torch.equal(M.from_image(square_upload(n=20), (28, 28)), CENTRE)  # upscaled


@pytest.mark.parametrize("mode", ["1", "L", "P", "RGB", "RGBA", "LA", "PA", "I", "F", "CMYK",
                                  "YCbCr"])
def test_from_image_modes(mode):
    img = Image.fromarray(square_upload()).convert(mode)
    assert torch.equal(M.from_image(img, (28, 28)), CENTRE)


def test_from_image_16_bit():
    a = square_upload().astype(np.uint16) * 257
    img = Image.fromarray(a)
    assert img.mode == "I;16"
    assert torch.equal(M.from_image(img, (28, 28)), CENTRE)
    assert M.from_image(Image.fromarray(np.full((28, 28), 200, np.uint16)), (28, 28)).all()  # dark


def test_from_image_rgba_transparency():
    a = np.full((112, 112, 4), 255, np.uint8)  # white everywhere ...
    a[..., 3] = 0  # ... but transparent
    a[28:84, 28:84, 3] = 255
    assert torch.equal(M.from_image(a, (28, 28)), CENTRE)
    b = np.zeros((112, 112, 4), np.uint8)
    b[28:84, 28:84, 3] = 255  # opaque black square, transparent elsewhere
    assert torch.equal(M.from_image(b, (28, 28), missing_is="black"), CENTRE)


def test_from_image_black_inverts():
    assert torch.equal(M.from_image(square_upload(), (28, 28), missing_is="black"), ~CENTRE)
    black_square = square_upload(fg=0, bg=255)
    assert torch.equal(M.from_image(black_square, (28, 28), missing_is="black"), CENTRE)


def test_from_image_threshold():
    grey = np.full((28, 28), 100, np.uint8)
    assert M.from_image(grey, (28, 28), threshold=0.5).all()
    assert not M.from_image(grey, (28, 28), threshold=0.3).any()


def test_from_image_aspect_ratio():
    with pytest.raises(MaskError, match="112.*56.*28"):
        M.from_image(np.zeros((56, 112), np.uint8), (28, 28))
    with pytest.raises(MaskError):
        M.from_image(np.zeros((196, 200), np.uint8), (28, 28))
    assert M.from_image(np.zeros((199, 200), np.uint8), (28, 28)).all()  # 0.5 % is fine


@pytest.mark.parametrize("kw", [dict(missing_is="grey"), dict(threshold=2.0)])
def test_from_image_invalid_options(kw):
    with pytest.raises(MaskError):
        M.from_image(square_upload(), (28, 28), **kw)


# -------------------------------------------------------------------------------- validate

def test_validate():
    with pytest.raises(MaskError, match="nothing is missing"):
        M.validate(torch.ones(28, 28, dtype=torch.bool))
    with pytest.raises(MaskError, match="nothing is observed"):
        M.validate(torch.zeros(28, 28, dtype=torch.bool))
    assert M.validate(CENTRE) is CENTRE
    batch = M.rectangles_batch(4, (28, 28), height=5, width=5, generator=generator(0))
    assert M.validate(batch) is batch
    assert M.missing_fraction(CENTRE) == 0.25


@pytest.mark.parametrize("bad", [torch.ones(28, 28), torch.ones(1, 28, 28, dtype=torch.bool),
                                 torch.ones(2, 3, 28, 28, dtype=torch.bool),
                                 np.ones((28, 28), bool)])
def test_validate_layout(bad):
    with pytest.raises(MaskError):
        M.validate(bad)


# ------------------------------------------------------------------------- overlay

@pytest.mark.parametrize("c", [1, 3])
def test_overlay(c):
    x = torch.rand(c, 28, 28, generator=generator(2))
    out = M.overlay(x, CENTRE, colour=(1.0, 0.0, 0.0), alpha=0.5)
    assert out.shape == (3, 28, 28) and out.min() >= 0 and out.max() <= 1
    assert torch.equal(out[:, CENTRE], x.expand(3, 28, 28)[:, CENTRE])
    v = x.expand(3, 28, 28)[:, 14, 14]
    assert torch.allclose(out[:, 14, 14], 0.5 * v + 0.5 * torch.tensor([1.0, 0.0, 0.0]))


# -------------------------------------------------------------------------------- presets

@pytest.mark.parametrize("name, direct", [
    ("random", lambda: M.random_pixels((28, 28), 0.3, 4)),
    ("top", lambda: M.half((28, 28), "top")),
    ("bottom", lambda: M.half((28, 28), "bottom")),
    ("left", lambda: M.half((28, 28), "left")),
    ("right", lambda: M.half((28, 28), "right")),
    ("centre", lambda: M.centre_square((28, 28), 14)),
    ("rectangles", lambda: M.rectangles((28, 28), n=2, height=14, width=14, seed=4)),
])
def test_preset_matches_direct(name, direct):
    assert name in M.PRESETS
    assert torch.equal(M.preset(name, (28, 28), missing=0.3, n=2, seed=4), direct())


def test_preset_size_and_unknown():
    assert set(M.PRESETS) == {"random", "top", "bottom", "left", "right", "centre", "rectangles"}
    assert torch.equal(M.preset("centre", (28, 28), size=6), M.centre_square((28, 28), 6))
    with pytest.raises(MaskError, match="centre"):
        M.preset("circle", (28, 28))


def test_no_streamlit_import():
    # static, so it is fast and not fooled by another test having imported streamlit
    tree = ast.parse(Path(M.__file__).read_text())
    names = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    names += [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    assert names and not any(x.split(".")[0] == "streamlit" for x in names)
