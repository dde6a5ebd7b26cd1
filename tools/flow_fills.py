"""Look at the flow inpainters' fills beside the exact sampler's, digit by digit: for the first N MNIST test digits and
each of bench inpainting_flow_smc's masks (the bottom half, 60 % missing at random), one PNG whose rows are the digits
and whose columns are the digit, what is observed (the missing pixels tinted), and the mean of each method: the exact
sampler (MWG with HMC on vae-mnist, 500 steps, one seed), the twisted particle filter and the untwisted one on
flow-mnist (32 particles, seed 0), replacement (10 Heun steps, 8 draws), each titled with its F1 on the missing pixels.

    DGM_DATA_DIR=../shared/data .venv/bin/python tools/flow_fills.py [--n 10] [--out .screens]

The pictures show the data set's digits: they go to ``--out`` (ignored by git), never into the repository.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.inpainting import make_masks  # noqa: E402
from benchmarks.inpainting_flow_smc import EXACT_STEPS, FLOW_STEPS, MASKS  # noqa: E402
from dgm_core import masks as mk, metrics, pretrained  # noqa: E402
from dgm_core.data import load_images  # noqa: E402
from dgm_core.device import generator  # noqa: E402
from dgm_core.samplers import run_gibbs  # noqa: E402
from dgm_core.samplers.flow_inpaint import flow_inpaint  # noqa: E402
from dgm_core.samplers.flow_smc import flow_smc_inpaint  # noqa: E402
from dgm_core.samplers.flow_twisted import flow_twisted_inpaint  # noqa: E402

SCALE, TITLE = 4, 14  # pixels per image pixel; a title's height


def fills(x: torch.Tensor, mask: torch.Tensor) -> dict[str, torch.Tensor]:
    """Each method's mean (N, 1, 28, 28)."""
    vae, flow = pretrained.load("vae-mnist")[0], pretrained.load("flow-mnist")[0]
    return {
        "exact (MWG, HMC)": run_gibbs(vae, x, mask, metropolis=True, kernel="hmc", n_steps=EXACT_STEPS, chains=1,
                                      burn_in=EXACT_STEPS // 4, seed=0, init="noise").mean,
        "twisted filter": flow_twisted_inpaint(flow, x, mask, particles=32, generator=generator(0)).mean,
        "particle filter": flow_smc_inpaint(flow, x, mask, particles=32, generator=generator(0)).mean,
        "replacement": flow_inpaint(flow, x, mask, n_steps=FLOW_STEPS, n_draws=8, generator=generator(0)).mean,
    }


def grid(x: torch.Tensor, mask: torch.Tensor, means: dict[str, torch.Tensor]) -> Image.Image:
    side = 28 * SCALE
    cols = ["digit", "observed", *means]
    img = Image.new("RGB", (len(cols) * (side + 4), x.shape[0] * (side + TITLE + 4) + TITLE), "white")
    draw = ImageDraw.Draw(img)
    for c, name in enumerate(cols):
        draw.text((c * (side + 4) + 2, 0), name, fill="black")
    rgb = lambda a: (a.clamp(0, 1).expand(3, -1, -1).permute(1, 2, 0).numpy() * 255).astype(np.uint8)  # noqa: E731
    for i in range(x.shape[0]):
        top = TITLE + i * (side + TITLE + 4)
        pictures = [rgb(x[i]), rgb(mk.overlay(x[i], mask[i, 0])), *[rgb(v[i]) for v in means.values()]]
        for c, p in enumerate(pictures):
            img.paste(Image.fromarray(p).resize((side, side), Image.NEAREST), (c * (side + 4), top + TITLE))
        for c, v in enumerate(means.values(), start=2):
            f1 = float(metrics.f1_missing(v[i:i + 1], x[i:i + 1], mask[i:i + 1])[0])
            draw.text((c * (side + 4) + 2, top), f"F1 {f1:.2f}", fill="black")
    return img


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--n", type=int, default=10)
    p.add_argument("--out", type=Path, default=Path(".screens"))
    a = p.parse_args()
    x = load_images("mnist", "test", binarize=True, limit=a.n).x
    a.out.mkdir(parents=True, exist_ok=True)
    for label, (kind, missing) in MASKS.items():
        mask = make_masks(kind, missing, x.shape[0], tuple(x.shape[2:]))
        path = a.out / f"flow_fills_{kind}.png"
        grid(x, mask, fills(x, mask)).save(path)
        print(f"{label}: {path}")


if __name__ == "__main__":
    main()
