"""Inpainting benchmark: pseudo-Gibbs vs Metropolis-within-Gibbs vs MIWAE importance sampling.

    python -m dgm_core bench inpainting [--n-images 200] [--steps 2000] [--datasets mnist omniglot]

Protocol (fixed in advance, the same for every mask and data set):
- the first N images of the statically binarised test set (MNIST test, Omniglot evaluation);
- masks: top half, bottom half, random 40 / 60 / 80 % of pixels (seeded by image index);
- chains: one per seed, 3 seeds; missing pixels initialised with U(0, 1) noise, then a warm start of
  50 pseudo-Gibbs steps (not counted), then T = 1000 steps of the sampler (the default; --steps);
  the first T/4 are burn-in;
- single imputation: the Rao-Blackwellised mean E[x^m | z_t] averaged over post-burn-in steps,
  thresholded at 0.5; F1 of ink on the missing pixels only, per image, averaged over the 3 seeds;
- MIWAE-IS: the MIWAE model trained on 50 %-MCAR images, L = 1000 importance samples, the
  self-normalised conditional mean thresholded at 0.5 (3 seeds);
- the DLVM for both chains is the shipped VAE of that data set (vae-<dataset>);
- paired two-sided Wilcoxon signed-rank test of MWG against pseudo-Gibbs over images.
Writes benchmarks/results/inpainting.{md,json}.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
from scipy.stats import wilcoxon

from dgm_core import masks, metrics, pretrained
from dgm_core.data import load_images
from dgm_core.device import generator, set_threads
from dgm_core.samplers import importance_impute, run_gibbs

RESULTS = Path(__file__).resolve().parent / "results"
MASKS = {"top half": ("top", None), "bottom half": ("bottom", None), "random 40 %": ("random", 0.4),
         "random 60 %": ("random", 0.6), "random 80 %": ("random", 0.8)}
SEEDS = (0, 1, 2)
WARM_START = 50


def make_masks(kind: str, missing: float | None, n: int, shape: tuple[int, int]) -> torch.Tensor:
    if kind == "random":
        return torch.stack([masks.random_pixels(shape, missing, seed=i) for i in range(n)]).unsqueeze(1)
    return masks.half(shape, kind).expand(n, 1, *shape).clone()


def load_model(name: str, wait: float, log):
    """pretrained.load, optionally waiting up to ``wait`` seconds for a model that is still training."""
    deadline = time.time() + wait
    while True:
        try:
            return pretrained.load(name)[0]
        except pretrained.WeightsMissingError:
            if time.time() > deadline:
                raise
            log(f"waiting for {name} (still training?)")
            time.sleep(30)


def run_dataset(name: str, n_images: int, steps: int, log, wait: float = 0.0,
                warm_start: int = WARM_START) -> list[dict]:
    x = load_images(name, "test", binarize=True, limit=n_images).x
    vae = load_model(f"vae-{name}", wait, log)
    burn_in = steps // 4
    records, chain_f1 = [], {}
    for label, (kind, missing) in MASKS.items():
        mask = make_masks(kind, missing, x.shape[0], tuple(x.shape[2:]))
        f1 = {}
        acceptance = []
        for method in ("pseudo-Gibbs", "MWG"):
            t0 = time.perf_counter()
            per_seed = []
            for seed in SEEDS:
                res = run_gibbs(vae, x, mask, metropolis=(method == "MWG"), n_steps=steps, chains=1,
                                burn_in=burn_in, seed=seed, init="noise", warm_start=warm_start)
                per_seed.append(metrics.f1_missing(res.mean, x, mask))
                if method == "MWG":
                    acceptance.append(res.diagnostics["acceptance"].mean().item())
            f1[method] = torch.stack(per_seed).mean(0).numpy()
            log(f"{name} {label} {method}: F1 {f1[method].mean():.4f} ({time.perf_counter() - t0:.0f} s)")
        chain_f1[label] = (f1, acceptance)
    miwae = load_model(f"miwae-{name}", wait, log)  # loaded last: the chains need only the VAE
    for label, (kind, missing) in MASKS.items():
        f1, acceptance = chain_f1[label]
        mask = make_masks(kind, missing, x.shape[0], tuple(x.shape[2:]))
        per_seed = []
        for seed in SEEDS:
            res = importance_impute(miwae, x, mask, n_samples=1000, n_draws=1, generator=generator(seed))
            per_seed.append(metrics.f1_missing(res.mean, x, mask))
        f1["MIWAE-IS"] = torch.stack(per_seed).mean(0).numpy()
        log(f"{name} {label} MIWAE-IS: F1 {f1['MIWAE-IS'].mean():.4f}")
        diff = f1["MWG"] - f1["pseudo-Gibbs"]
        p_value = float(wilcoxon(f1["MWG"], f1["pseudo-Gibbs"]).pvalue) if np.any(diff != 0) else 1.0
        for method, values in f1.items():
            rec = {"dataset": name, "mask": label, "method": method, "f1_mean": round(float(values.mean()), 4),
                   "f1_se": round(float(values.std(ddof=1) / np.sqrt(len(values))), 4), "n_images": len(values),
                   "steps": steps if method != "MIWAE-IS" else None}
            if method == "MWG":
                rec["wilcoxon_p_vs_pseudo_gibbs"] = p_value
                rec["mwg_minus_pg_mean"] = round(float((f1["MWG"] - f1["pseudo-Gibbs"]).mean()), 4)
                rec["acceptance_mean"] = round(float(np.mean(acceptance)), 4)
            records.append(rec)
    return records


def write_report(records: list[dict], args: argparse.Namespace, seconds: float) -> str:
    lines = [
        "# Inpainting benchmark: pseudo-Gibbs vs Metropolis-within-Gibbs vs MIWAE-IS", "",
        f"Command: `python -m dgm_core bench inpainting --n-images {args.n_images} --steps {args.steps}` "
        f"({seconds / 60:.0f} min on this machine). Protocol: see the header of `benchmarks/inpainting.py` "
        f"(T = {args.steps}, burn-in T/4, {args.warm_start} warm-start pseudo-Gibbs steps, U(0,1) init, 3 seeds, "
        "F1 of ink on missing pixels only, mean ± standard error over images).", "",
        "| data | mask | pseudo-Gibbs F1 | MWG F1 | MIWAE-IS F1 | MWG − PG | Wilcoxon p | MWG acceptance |",
        "|---|---|---|---|---|---|---|---|",
    ]
    by = {(r["dataset"], r["mask"], r["method"]): r for r in records}
    for ds in dict.fromkeys(r["dataset"] for r in records):
        for label in MASKS:
            pg, mwg, iw = (by[(ds, label, m)] for m in ("pseudo-Gibbs", "MWG", "MIWAE-IS"))
            lines.append(f"| {ds} | {label} | {pg['f1_mean']:.4f} ± {pg['f1_se']:.4f} | "
                         f"{mwg['f1_mean']:.4f} ± {mwg['f1_se']:.4f} | {iw['f1_mean']:.4f} ± {iw['f1_se']:.4f} | "
                         f"{mwg['mwg_minus_pg_mean']:+.4f} | {mwg['wilcoxon_p_vs_pseudo_gibbs']:.2g} | "
                         f"{mwg['acceptance_mean']:.3f} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m dgm_core bench inpainting")
    p.add_argument("--n-images", type=int, default=200)
    p.add_argument("--steps", type=int, default=1000)
    p.add_argument("--datasets", nargs="+", default=["mnist", "omniglot"])
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--warm-start", type=int, default=WARM_START,
                   help="pseudo-Gibbs steps before both chains (0 shows MWG's handicap from a noise start)")
    p.add_argument("--out", default=str(RESULTS))
    p.add_argument("--wait-for-models", type=float, default=0.0, metavar="SECONDS",
                   help="wait this long for models that are still being trained")
    args = p.parse_args(argv)
    set_threads(args.threads)
    t0 = time.perf_counter()
    records = []
    for name in args.datasets:
        records += run_dataset(name, args.n_images, args.steps, lambda s: print(s, flush=True),
                               args.wait_for_models, args.warm_start)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    report = write_report(records, args, time.perf_counter() - t0)
    (out / "inpainting.md").write_text(report)
    (out / "inpainting.json").write_text(json.dumps(records, indent=2) + "\n")
    print(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
