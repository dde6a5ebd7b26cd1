"""Speed of the samplers: 500 steps, 16 chains, one MNIST image; pseudo-Gibbs and every z-kernel.

    python -m dgm_core bench sampler_speed [--steps 500] [--chains 16] [--threads 1] [--repeats 5]

The encoder kernel keeps the decoder output at the current z, so one step costs one encoder and one
decoder pass, like pseudo-Gibbs: the ratio of their times should be close to 1 (target: encoder
kernel <= 0.3 s on one thread, ratio <= 1.2). Kernels differ in cost per step (HMC: 6 decoder passes
with gradients) and in how far a step moves, so they are compared by seconds per effective sample of
log p(x, z) (ESS of the mean over the 16 chains after a burn-in of steps/4, ArviZ), from the
median-time repeat. All run in this process, interleaved; the median of the repeats is reported.
Uses the shipped vae-mnist (an untrained model of the same config when it is absent) and the first
MNIST test image with its bottom half missing (a blank image when no data directory is set).

Writes benchmarks/results/sampler_speed.json and .md (every printed figure, the settings, the thread
count, the machine and its load average, the date) and prints the table.
"""
from __future__ import annotations

import argparse
import time

from benchmarks.harness import bench
import torch

from benchmarks.common import machine_line
from dgm_core import masks, pretrained
from dgm_core.data import DatasetNotFoundError, load_images
from dgm_core.device import generator
from dgm_core.samplers import chain_diagnostics, gibbs_chain, make_kernel

KERNELS = ("pseudo", "encoder", "pcn", "hmc", "mix")


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


def time_chain(model, x, mask, *, kernel: str, steps: int, chains: int, seed: int) -> tuple[float, float, float]:
    """Seconds for the run, the ESS of log p(x, z) after a burn-in of steps // 4 (summed over chains) and
    the acceptance rate after it."""
    burn_in = steps // 4
    lj, acc = [], []
    t0 = time.perf_counter()
    for state in gibbs_chain(model, x, mask, n_steps=steps, chains=chains, generator=generator(seed),
                             kernel=make_kernel(kernel), adapt_steps=burn_in):
        lj.append(state.log_joint)
        acc.append(state.accepted)
    seconds = time.perf_counter() - t0
    diag = chain_diagnostics(torch.stack(lj), torch.stack(acc), None, burn_in, exact=kernel != "pseudo")
    return seconds, float(diag["ess_log_joint"][0]), float(diag["acceptance"][0])


def report(rec: dict) -> str:
    s, m = rec["settings"], rec["machine"]
    return "\n".join([
        "# Sampler speed: pseudo-Gibbs and the exact sampler's z-kernels", "",
        f"Command: `{rec['command']}`", "",
        f"Model: {rec['model']}; image: {rec['image']}, bottom half missing; {s['steps']} steps x "
        f"{s['chains']} chains; {rec['device']}, {rec['threads']} torch threads; median of {s['repeats']} "
        "interleaved repeats (after a 20-step warm-up).", "",
        "| sampler | median s | acceptance | ESS of log p(x, z) | s per effective sample | every repeat (s) |",
        "|---|---|---|---|---|---|",
        *(f"| {k} | {v['median_s']:.3f} | {v['acceptance']:.3f} | {v['ess_log_joint']:.0f} | "
          f"{v['seconds_per_ess']:.4f} | "
          f"{', '.join(f'{t:.3f}' for t in v['repeats_s'])} |" for k, v in rec["samplers"].items()),
        "", f"Ratio encoder kernel / pseudo-Gibbs: {rec['ratio_mwg_over_pseudo_gibbs']:.2f} (target: encoder kernel "
        "<= 0.3 s, ratio <= 1.2). Pseudo-Gibbs's ESS is of a chain that does not target the model's conditional; "
        "a chain whose z never moves still has a positive ESS of log p(x, z), from its x redraws alone: read it "
        "with the acceptance.", "",
        machine_line(m), ""])


def options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--steps", type=int, default=500)
    p.add_argument("--chains", type=int, default=16)
    p.add_argument("--repeats", type=int, default=5)


def run(a: argparse.Namespace) -> dict:
    model, which = _model()
    x, image = _image()
    mask = masks.half((28, 28), "bottom").view(1, 1, 28, 28)
    for k in KERNELS:
        time_chain(model, x, mask, kernel=k, steps=20, chains=a.chains, seed=0)  # warm-up
    runs: dict[str, list[tuple[float, float, float]]] = {k: [] for k in KERNELS}
    for r in range(a.repeats):
        for k in KERNELS:
            runs[k].append(time_chain(model, x, mask, kernel=k, steps=a.steps, chains=a.chains, seed=r))
    samplers = {}
    for k, v in runs.items():
        med = sorted(v)[len(v) // 2]  # the median-time repeat, with its ESS
        samplers["pseudo-Gibbs" if k == "pseudo" else f"MWG {k}"] = {
            "median_s": round(med[0], 4), "ess_log_joint": round(med[1], 1),
            "seconds_per_ess": round(med[0] / max(med[1], 1e-9), 5), "acceptance": round(med[2], 4),
            "repeats_s": [round(t[0], 4) for t in v]}
    mwg, pg = samplers["MWG encoder"]["median_s"], samplers["pseudo-Gibbs"]["median_s"]
    return {
        "settings": {"steps": a.steps, "chains": a.chains, "repeats": a.repeats, "warm_up_steps": 20,
                     "mask": "bottom half"},
        "threads": a.threads, "device": str(next(model.parameters()).device), "model": which, "image": image,
        "samplers": samplers,
        "ratio_mwg_over_pseudo_gibbs": round(mwg / pg, 4), "targets": {"encoder_kernel_s": 0.3, "ratio": 1.2},
    }


BENCH = bench(run, report, options=options, threads=1)


if __name__ == "__main__":
    raise SystemExit(BENCH.main())
