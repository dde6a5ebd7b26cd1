"""Tensors to pictures for the UI: magnified PIL images, a colour map for uncertainty, PNG grids."""
from __future__ import annotations

import base64
import io

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont

# the spreads' colour map, perceptually ordered dark to bright (approximately "magma"), interpolated linearly; the
# browser draws its pictures with the same stops (static/js/kit/pictures.js)
COLOUR_STOPS = np.array([[0, 0, 4], [59, 15, 112], [140, 41, 129], [222, 73, 104], [254, 159, 109], [252, 253, 191]],
                dtype=np.float32) / 255.0


def to_pil(x: torch.Tensor, scale: int = 1) -> Image.Image:
    """(C, H, W) or (H, W) in [0, 1] -> a PIL image magnified by ``scale`` with nearest-neighbour pixels."""
    a = x.detach().float().clamp(0, 1).cpu()
    if a.dim() == 3 and a.shape[0] == 1:
        a = a[0]
    arr = (a.numpy() * 255).round().astype(np.uint8)
    img = Image.fromarray(arr if arr.ndim == 2 else arr.transpose(1, 2, 0))
    if scale != 1:
        img = img.resize((img.width * scale, img.height * scale), Image.Resampling.NEAREST)
    return img


def colour_map(v: torch.Tensor, vmax: float | None = None) -> torch.Tensor:
    """(C, H, W) or (H, W) non-negative values -> (3, H, W) RGB in [0, 1] (channel mean for colour)."""
    v = v.detach().float().cpu()
    if v.dim() == 3:
        v = v.mean(0)
    vmax = float(v.max()) if vmax is None else vmax
    t = (v / vmax).clamp(0, 1).numpy() if vmax > 0 else np.zeros(v.shape, np.float32)
    pos = t * (len(COLOUR_STOPS) - 1)
    i = np.clip(np.floor(pos).astype(int), 0, len(COLOUR_STOPS) - 2)
    f = (pos - i)[..., None]
    rgb = COLOUR_STOPS[i] * (1 - f) + COLOUR_STOPS[i + 1] * f
    return torch.from_numpy(rgb).permute(2, 0, 1)


def colour_bar(vmax: float, width: int = 420, height: int = 18) -> Image.Image:
    """A horizontal bar of ``colour_map`` from 0 to ``vmax`` with its end and middle values written under it."""
    ramp = torch.linspace(0, vmax, width).expand(height, width)
    bar = to_pil(colour_map(ramp, vmax))
    font = ImageFont.load_default(size=14)
    img = Image.new("RGB", (width + 40, height + 22), "white")
    img.paste(bar, (20, 0))
    draw = ImageDraw.Draw(img)
    for frac in (0.0, 0.5, 1.0):
        text = f"{vmax * frac:.2f}"
        w = draw.textlength(text, font=font)
        draw.text((20 + frac * (width - 1) - w / 2, height + 3), text, fill="black", font=font)
    return img


def png_bytes(img: Image.Image) -> bytes:
    """PNG at zlib level 1: pictures drawn on every result (the chain player's sheets) cost the server a third of
    level 6's time, for somewhat larger files sent once."""
    buf = io.BytesIO()
    img.save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


def data_url(x: torch.Tensor) -> str:
    """(C, H, W) in [0, 1] -> a PNG data URL at the image's own size (the browser scales it up)."""
    return "data:image/png;base64," + base64.b64encode(png_bytes(to_pil(x))).decode()


def grid_png(rows: list[tuple[str, list[torch.Tensor]]], scale: int = 4, label_width: int = 180) -> bytes:
    """A labelled grid: one row per (label, images (C,H,W)); images are RGB-converted and magnified."""
    cells = [[to_pil(im if im.shape[0] == 3 else im.expand(3, *im.shape[1:]), scale) for im in ims]
             for _, ims in rows]
    w = max(c.width for r in cells for c in r)
    h = max(c.height for r in cells for c in r)
    ncol = max(len(r) for r in cells)
    pad = 4
    canvas = Image.new("RGB", (label_width + ncol * (w + pad), len(rows) * (h + pad)), "white")
    draw = ImageDraw.Draw(canvas)
    for r, ((label, _), row) in enumerate(zip(rows, cells)):
        y = r * (h + pad)
        draw.text((6, y + h // 2 - 6), label, fill="black")
        for c, cell in enumerate(row):
            canvas.paste(cell, (label_width + c * (w + pad), y))
    return png_bytes(canvas)
