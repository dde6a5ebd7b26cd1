"""The flow's particle filters, untwisted and twisted (both target the flow model's conditional), beside replacement
(it targets none) and the exact DLVM sampler, on the same digits and masks.

    python -m dgm_core bench inpainting_flow_smc [--n-images 50] [--particles 8,32] [--smc-steps 40]
        [--twisted-particles 32] [--langevin 0]

The first N binarised MNIST test digits (bench inpainting's), two of its masks: the bottom half and 60 % of pixels
missing at random. Methods, each scored by the F1 of ink of its mean (thresholded at 0.5) on the missing pixels:
- the exact sampler (Metropolis-within-Gibbs with HMC z-moves on vae-mnist, 500 steps, bench inpainting's 3 seeds);
- replacement on flow-mnist (dgm_core.samplers.flow_inpaint: 10 Heun steps, the mean of 8 draws, the same 3 seeds);
- the particle filter on flow-mnist (dgm_core.samplers.flow_smc: ``--smc-steps`` steps of its chain, pixel noise
  tau, P particles, the Rao-Blackwellised weighted mean), seed 0 only (its cost), for each P of ``--particles``;
  its effective sample size per step is summed up as the median over digits of the smallest over steps and of the
  last step's;
- the twisted particle filter on flow-mnist (dgm_core.samplers.flow_twisted: the same chain, the potentials
  N(y; x̂_1^o(x_t), r_t^2 + tau^2) and the guided proposal), seed 0, ``--twisted-particles`` particles and
  ``--langevin`` Langevin moves a step, scored and summed up as the untwisted filter.
Per method the mean ± SE over digits; against the exact sampler the paired difference ± SE and a Wilcoxon test.

Writes benchmarks/results/inpainting_flow_smc.{json,md}. Needs DGM_DATA_DIR (MNIST test digits).
"""
from __future__ import annotations

import argparse
import time

from benchmarks.harness import BenchError, bench
import torch

from benchmarks.common import machine_line
from benchmarks.inpainting import SEEDS, _chains, _record, make_masks
from benchmarks.inpainting_flow import _flow, paired
from dgm_core import metrics, pretrained
from dgm_core.data import available, load_images
from dgm_core.device import generator
from dgm_core.samplers.flow_smc import flow_smc_inpaint
from dgm_core.samplers.flow_twisted import flow_twisted_inpaint

MASKS = {"bottom half": ("bottom", None), "random 60 %": ("random", 0.6)}
EXACT_STEPS, FLOW_STEPS, TAU = 500, 10, 0.3


def measure(n_images: int, particles: list[int], smc_steps: int, twisted: list[int], langevin: int) -> list[dict]:
    x = load_images("mnist", "test", binarize=True, limit=n_images).x
    vae, flow = pretrained.load("vae-mnist")[0], pretrained.load("flow-mnist")[0]
    records = []
    for label, (kind, missing) in MASKS.items():
        mask = make_masks(kind, missing, x.shape[0], tuple(x.shape[2:]))
        exact = _chains(vae, x, mask, "hmc", EXACT_STEPS, 0, metrics.f1_missing)
        records.append(_record("mnist", label, 0, "exact sampler (MWG, HMC)", exact["score"], EXACT_STEPS,
                               seeds=len(SEEDS), seconds_per_image=round(exact["seconds_per_image"], 4)))
        f1, sec = _flow(flow, x, mask, FLOW_STEPS, 0)
        records.append(_record("mnist", label, None, "flow, replacement", f1, FLOW_STEPS, seeds=len(SEEDS),
                               seconds_per_image=round(sec, 4), **paired(f1, exact["score"], "exact")))
        print(records[-1], flush=True)
        # the twisted filter's rows name their count "twisted_particles": bench generator_bars reads the untwisted
        # filter's row by its "particles"
        runs = [(f"flow, particle filter, {p} particles", p, {"particles": p}, {}, flow_smc_inpaint)
                for p in particles]
        moves = f", {langevin} Langevin moves" if langevin else ""
        runs += [(f"flow, twisted particle filter, {p} particles{moves}", p,
                  {"twisted_particles": p, "langevin": langevin}, {"langevin": langevin}, flow_twisted_inpaint)
                 for p in twisted]
        for method, p, fields, knobs, inpaint in runs:
            t0 = time.perf_counter()
            res = inpaint(flow, x, mask, particles=p, n_steps=smc_steps, tau=TAU, generator=generator(0), **knobs)
            sec = (time.perf_counter() - t0) / x.shape[0]
            f1 = metrics.f1_missing(res.mean, x, mask).numpy()
            d = res.diagnostics
            records.append(_record("mnist", label, None, method, f1, smc_steps, **fields, tau=TAU,
                                   seeds=1, seconds_per_image=round(sec, 4),
                                   ess_min_median=round(float(d.ess.min(0).values.median()), 2),
                                   ess_last_median=round(float(d.ess_final.median()), 2),
                                   resamples_median=float(d.resamples.float().median()),
                                   **paired(f1, exact["score"], "exact")))
            print(records[-1], flush=True)
    return records


def report(rec: dict) -> str:
    lines = ["# The flow's particle filter against replacement and the exact sampler (MNIST)\n",
             f"The first {rec['n_images']} binarised MNIST test digits. Exact sampler: MWG with HMC z-moves on "
             f"vae-mnist, {EXACT_STEPS} steps, seeds {', '.join(map(str, SEEDS))}. Replacement: flow-mnist, "
             f"{FLOW_STEPS} Heun steps, the mean of 8 draws, the same seeds. Particle filter: flow-mnist's chain of "
             f"{rec['smc_steps']} steps with pixel noise {TAU}, seed 0, its weighted mean; the twisted filter on the "
             "same chain, its potentials N(y; x̂₁ᵒ(x_t), r_t² + τ²) and its guided proposal, seed 0. F1 of ink on the "
             "missing pixels, mean ± SE over digits; differences paired, digit by digit. ESS: the median over digits "
             "of the smallest effective sample size over steps, and of the last step's.\n",
             "| mask | method | F1 | − exact sampler (± SE) | Wilcoxon p | ESS smallest / last | s per digit |",
             "|---|---|---|---|---|---|---|"]
    for r in rec["records"]:
        diff = f"{r['difference_vs_exact']:+.4f} ± {r['difference_se']:.4f}" if "difference_vs_exact" in r else ""
        p = f"{r['wilcoxon_p_vs_exact']:.2g}" if "wilcoxon_p_vs_exact" in r else ""
        count = r.get("particles", r.get("twisted_particles"))
        ess = f"{r['ess_min_median']} / {r['ess_last_median']} of {count}" if count else ""
        lines.append(f"| {r['mask']} | {r['method']} | {r['score_mean']:.4f} ± {r['score_se']:.4f} | {diff} | {p} | "
                     f"{ess} | {r['seconds_per_image']} |")
    lines += ["", "Both particle filters target flow-mnist's own conditional (exactly as their particles grow); "
              "replacement targets none; the exact sampler targets vae-mnist's. A score is not exactness: the "
              "three models differ, and a filter resting on a few particles has a noisy mean.", "",
              f"Command: `{rec['command']}`. {machine_line(rec['machine'])}", ""]
    return "\n".join(lines)


def options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--n-images", type=int, default=50)
    p.add_argument("--particles", default="8,32", help="comma-separated particle counts")
    p.add_argument("--smc-steps", type=int, default=40)
    p.add_argument("--twisted-particles", default="32", help="comma-separated particle counts of the twisted filter")
    p.add_argument("--langevin", type=int, default=0, help="the twisted filter's Langevin moves a step")


def run(a: argparse.Namespace) -> dict:
    if not available("mnist"):
        raise BenchError("no MNIST test digits: set DGM_DATA_DIR (see docs/GUIDE.md, Data)")
    particles = [int(p) for p in a.particles.split(",")]
    twisted = [int(p) for p in a.twisted_particles.split(",")]
    t0 = time.monotonic()
    torch.manual_seed(0)
    records = measure(a.n_images, particles, a.smc_steps, twisted, a.langevin)
    return {"n_images": a.n_images, "particles": particles, "twisted_particles": twisted, "langevin": a.langevin,
            "smc_steps": a.smc_steps, "tau": TAU, "seeds": list(SEEDS), "records": records,
            "seconds": round(time.monotonic() - t0, 1)}


BENCH = bench(run, report, options=options, threads=1)


if __name__ == "__main__":
    raise SystemExit(BENCH.main())
