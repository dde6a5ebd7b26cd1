"""Fixtures for static/js/kit/pictures.js under Node (tests/js/pictures.test.mjs): the server's pictures of a few
random arrays, as the bytes it sends (ui/imaging.py: to_pil of the values, of their spread on the colour map, and of
an input with its missing pixels tinted: dgm_core.masks.overlay); a NaN spread is written null.
``python -m tests.js.picture_fixtures OUT_DIR``."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import torch

from dgm_core import masks
from ui.imaging import COLOUR_STOPS, colour_map, to_pil


def _rgb(x: torch.Tensor) -> list[int]:
    """(C, H, W) -> the H*W*3 bytes of its picture."""
    return np.asarray(to_pil(x if x.shape[0] == 3 else x.expand(3, *x.shape[1:])).convert("RGB")).reshape(-1).tolist()


def cases() -> list[dict]:
    g = torch.Generator().manual_seed(0)
    out = []
    for c, h, w in ((1, 7, 5), (3, 6, 4)):
        x = torch.rand(c, h, w, generator=g) * 1.4 - 0.2  # some values outside [0, 1]: clipped, as a pixel is
        std = torch.rand(c, h, w, generator=g) * 0.5
        mask = torch.rand(h, w, generator=g) > 0.4
        vmax = float(std.mean(0).max()) * 0.8  # some spreads above the scale's top: its last colour
        std[0, 0, 0] = float("nan")  # a spread that is not a number: the server draws it black
        out.append({"shape": [c, h, w], "x": x.reshape(-1).tolist(),
                    "std": [None if v != v else v for v in std.reshape(-1).tolist()],
                    "mask": mask.reshape(-1).int().tolist(), "vmax": vmax, "stops": COLOUR_STOPS.tolist(),
                    "tint": list(masks.OVERLAY_TINT), "alpha": masks.OVERLAY_ALPHA,
                    "want": {"rgba": _rgb(x), "spread": _rgb(colour_map(std, vmax)),
                             "tinted": _rgb(masks.overlay(x.clamp(0, 1), mask))}})
    return out


if __name__ == "__main__":
    Path(sys.argv[1], "pictures.json").write_text(json.dumps(cases()))
