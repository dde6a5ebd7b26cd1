"""Speed of the samplers: 500 steps, 16 chains, one MNIST image, MWG vs pseudo-Gibbs.

    python -m dgm_core bench sampler_speed [--steps 500] [--chains 16] [--threads 2] [--repeats 5]

MWG keeps the decoder output at the current z, so one step costs one encoder and one decoder pass,
like pseudo-Gibbs: the ratio of their times should be close to 1. Both run in this process,
interleaved, and the median of the repeats is reported (target: MWG <= 0.3 s, ratio <= 1.2).
Uses the shipped vae-mnist (an untrained model of the same config when it is absent) and the first
MNIST test image with its bottom half missing (a blank image when no data directory is set).
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch

from dgm_core import masks, pretrained
from dgm_core.data import DatasetNotFoundError, load_images
from dgm_core.device import generator, set_threads
from dgm_core.samplers import gibbs_chain


def _model():
    try:
        return pretrained.load("vae-mnist")[0], "vae-mnist (shipped)"
    except pretrained.PretrainedError:
        from dgm_core.train import RECIPES
        return pretrained.build("vae", RECIPES["vae-mnist"].config).eval(), "vae-mnist config, untrained"


def _image() -> torch.Tensor:
    try:
        return load_images("mnist", "test", binarize=True, limit=1).x
    except DatasetNotFoundError:
        return torch.zeros(1, 1, 28, 28)


def time_chain(model, x, mask, *, metropolis: bool, steps: int, chains: int, seed: int) -> float:
    t0 = time.perf_counter()
    for _ in gibbs_chain(model, x, mask, n_steps=steps, chains=chains, generator=generator(seed),
                         metropolis=metropolis):
        pass
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m dgm_core bench sampler_speed")
    p.add_argument("--steps", type=int, default=500)
    p.add_argument("--chains", type=int, default=16)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeats", type=int, default=5)
    a = p.parse_args(argv)
    threads = set_threads(a.threads)
    model, which = _model()
    x = _image()
    mask = masks.half((28, 28), "bottom").view(1, 1, 28, 28)
    time_chain(model, x, mask, metropolis=True, steps=20, chains=a.chains, seed=0)  # warm-up
    times: dict[str, list[float]] = {"MWG": [], "pseudo-Gibbs": []}
    for r in range(a.repeats):
        times["MWG"].append(time_chain(model, x, mask, metropolis=True, steps=a.steps, chains=a.chains, seed=r))
        times["pseudo-Gibbs"].append(time_chain(model, x, mask, metropolis=False, steps=a.steps, chains=a.chains,
                                                seed=r))
    mwg, pg = statistics.median(times["MWG"]), statistics.median(times["pseudo-Gibbs"])
    print(f"model: {which}; {a.steps} steps x {a.chains} chains on one 28x28 image; {threads} threads; "
          f"median of {a.repeats}")
    print(f"MWG          {mwg:.3f} s")
    print(f"pseudo-Gibbs {pg:.3f} s")
    print(f"ratio MWG / pseudo-Gibbs {mwg / pg:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
