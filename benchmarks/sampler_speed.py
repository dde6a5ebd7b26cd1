"""Speed of the samplers: 500 steps, 16 chains, one MNIST image, MWG vs pseudo-Gibbs.

    python -m dgm_core bench sampler_speed [--steps 500] [--chains 16] [--threads 2] [--repeats 5]

MWG keeps the decoder output at the current z, so one step costs one encoder and one decoder pass,
like pseudo-Gibbs: the ratio of their times should be close to 1. Both run in this process,
interleaved, and the median of the repeats is reported (target: MWG <= 0.3 s, ratio <= 1.2).
Uses the shipped vae-mnist (an untrained model of the same config when it is absent) and the first
MNIST test image with its bottom half missing (a blank image when no data directory is set).

Writes benchmarks/results/sampler_speed.json and .md (every printed figure, the settings, the thread
count, the machine and its load average, the date) and prints the table.
"""
from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

import torch

from benchmarks.common import machine, write_results
from dgm_core import masks, pretrained
from dgm_core.data import DatasetNotFoundError, load_images
from dgm_core.device import generator, set_threads
from dgm_core.samplers import gibbs_chain

RESULTS = Path(__file__).resolve().parent / "results"


def _model():
    try:
        return pretrained.load("vae-mnist")[0], "vae-mnist (shipped)"
    except pretrained.PretrainedError:
        from dgm_core.training import RECIPES
        return pretrained.build("vae", RECIPES["vae-mnist"].config).eval(), "vae-mnist config, untrained"


def _image() -> tuple[torch.Tensor, str]:
    try:
        return load_images("mnist", "test", binarize=True, limit=1).x, "MNIST test image 0, binarised"
    except DatasetNotFoundError:
        return torch.zeros(1, 1, 28, 28), "blank 28x28 image (no data directory)"


def time_chain(model, x, mask, *, metropolis: bool, steps: int, chains: int, seed: int) -> float:
    t0 = time.perf_counter()
    for _ in gibbs_chain(model, x, mask, n_steps=steps, chains=chains, generator=generator(seed),
                         metropolis=metropolis):
        pass
    return time.perf_counter() - t0


def report(rec: dict) -> str:
    s, m = rec["settings"], rec["machine"]
    return "\n".join([
        "# Sampler speed: Metropolis-within-Gibbs vs pseudo-Gibbs", "",
        f"Command: `{rec['command']}`", "",
        f"Model: {rec['model']}; image: {rec['image']}, bottom half missing; {s['steps']} steps x "
        f"{s['chains']} chains; {rec['device']}, {rec['threads']} torch threads; median of {s['repeats']} "
        "interleaved repeats (after a 20-step warm-up).", "",
        "| sampler | median s | every repeat (s) |", "|---|---|---|",
        *(f"| {k} | {v['median_s']:.3f} | {', '.join(f'{t:.3f}' for t in v['repeats_s'])} |"
          for k, v in rec["samplers"].items()),
        "", f"Ratio MWG / pseudo-Gibbs: {rec['ratio_mwg_over_pseudo_gibbs']:.2f} (target: MWG <= 0.3 s, "
        "ratio <= 1.2).", "",
        f"Machine: {m['platform']}, torch {m['torch']}, {m['cpu_count']} CPUs; load average (1 / 5 / 15 min) "
        f"{' / '.join(f'{v:g}' for v in m['load_average_at_start'])} at the start, "
        f"{' / '.join(f'{v:g}' for v in m['load_average_at_end'])} at the end; {m['date']}.", ""])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m dgm_core bench sampler_speed")
    p.add_argument("--steps", type=int, default=500)
    p.add_argument("--chains", type=int, default=16)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--out", default=str(RESULTS), help="folder for sampler_speed.json and .md")
    a = p.parse_args(argv)
    load_at_start = os.getloadavg()
    threads = set_threads(a.threads)
    model, which = _model()
    x, image = _image()
    mask = masks.half((28, 28), "bottom").view(1, 1, 28, 28)
    time_chain(model, x, mask, metropolis=True, steps=20, chains=a.chains, seed=0)  # warm-up
    times: dict[str, list[float]] = {"MWG": [], "pseudo-Gibbs": []}
    for r in range(a.repeats):
        times["MWG"].append(time_chain(model, x, mask, metropolis=True, steps=a.steps, chains=a.chains, seed=r))
        times["pseudo-Gibbs"].append(time_chain(model, x, mask, metropolis=False, steps=a.steps, chains=a.chains,
                                                seed=r))
    mwg, pg = statistics.median(times["MWG"]), statistics.median(times["pseudo-Gibbs"])
    rec = {
        "command": "python -m dgm_core bench sampler_speed" + (" " + " ".join(argv) if argv else ""),
        "settings": {"steps": a.steps, "chains": a.chains, "repeats": a.repeats, "warm_up_steps": 20,
                     "mask": "bottom half"},
        "threads": threads, "device": str(next(model.parameters()).device), "model": which, "image": image,
        "samplers": {k: {"median_s": round(statistics.median(v), 4), "repeats_s": [round(t, 4) for t in v]}
                     for k, v in times.items()},
        "ratio_mwg_over_pseudo_gibbs": round(mwg / pg, 4),
        "machine": machine(load_at_start),
    }
    write_results(a.out, "sampler_speed", rec, report(rec))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
