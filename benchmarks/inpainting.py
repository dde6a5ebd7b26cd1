"""Inpainting benchmark: pseudo-Gibbs vs the exact sampler with each z-kernel vs MIWAE importance sampling.

    python -m dgm_core bench inpainting [--n-images 200] [--steps 500] [--jobs 2]

Protocol (fixed in advance, the same for every mask, data set and kernel):
- the first N images of the statically binarised test set (MNIST test, Omniglot evaluation);
- masks: top half, bottom half, random 40 / 60 / 80 % of pixels (seeded by image index);
- chains: one per seed, 3 seeds; missing pixels initialised with U(0, 1) noise, then either no warm
  start or 50 pseudo-Gibbs steps (not counted), then T steps of the sampler (500 by default), the
  first T/4 burn-in (an adaptive kernel, HMC, tunes its step size there and only there);
- samplers: pseudo-Gibbs, and the exact Metropolis-within-Gibbs sampler with each z-kernel of
  ``dgm_core.samplers.kernels`` (encoder independence proposal, pCN β = 0.3, HMC with 5 leapfrog
  steps adapted to acceptance 0.7, a 50/50 random mix of encoder and HMC);
- single imputation: the Rao-Blackwellised mean E[x^m | z_t] averaged over post-burn-in steps,
  thresholded at 0.5; F1 of ink on the missing pixels only, per image, averaged over the 3 seeds;
- diagnostics per image over the 3 seeds' chains: acceptance, accepted moves after burn-in (median
  chain), ESS of the mean of log p(x, z) and of E[x | z] at 32 missing pixels (median), split-R̂ of
  log p(x, z) (ArviZ); reported as medians over images (acceptance: the mean);
- MIWAE-IS: the MIWAE model trained on 50 %-MCAR images, L = 1000 importance samples, the
  self-normalised conditional mean thresholded at 0.5 (3 seeds);
- the DLVM for every chain is the shipped VAE of that data set (vae-<dataset>);
- paired two-sided Wilcoxon signed-rank test of each exact kernel against pseudo-Gibbs over images,
  Bonferroni-corrected for the 10 settings (5 masks × 2 data sets) of that kernel and warm start.
CelebA (``--celeba-images``, default 100): MSE on the missing pixels instead of F1, the shipped
vae-celeba / miwae-celeba at 32×32, the two half masks and random 60 %, no warm start, pseudo-Gibbs,
the encoder kernel and HMC, T = ``--celeba-steps`` (300, the page's default on faces): a step on a
face costs several times a digit's, and this keeps the benchmark within an hour on two cores.
``--datasets`` (none: faces only) with ``--keep-others`` reruns part of it, keeping the file's rows of the
data sets left out: what a retrained model of one data set needs (each face mask runs in its own process).
Writes benchmarks/results/inpainting.{md,json}.
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import time

import numpy as np
import torch
from scipy.stats import wilcoxon

from benchmarks.harness import bench
from dgm_core import masks, metrics, pretrained
from dgm_core.data import load_images
from dgm_core.device import generator, set_threads
from dgm_core.samplers import chain_diagnostics, importance_impute, make_kernel, run_gibbs

MASKS = {"top half": ("top", None), "bottom half": ("bottom", None), "random 40 %": ("random", 0.4),
         "random 60 %": ("random", 0.6), "random 80 %": ("random", 0.8)}
CELEBA_MASKS = ("top half", "bottom half", "random 60 %")
SEEDS = (0, 1, 2)
WARM_STARTS = (0, 50)
KERNELS = ("pseudo", "encoder", "pcn", "hmc", "mix")
CELEBA_KERNELS, CELEBA_WARM_STARTS = ("pseudo", "encoder", "hmc"), (0,)
DEFAULT_KERNEL = "hmc"  # the sampler's default on the page (dgm_core.demos.inpainting.Settings.kernel)
BONFERRONI = 10  # settings per kernel and warm start: 5 masks × 2 data sets


def method_name(kernel: str) -> str:
    return "pseudo-Gibbs" if kernel == "pseudo" else f"MWG {kernel}"


def make_masks(kind: str, missing: float | None, n: int, shape: tuple[int, int]) -> torch.Tensor:
    if kind == "random":
        return torch.stack([masks.random_pixels(shape, missing, seed=i) for i in range(n)]).unsqueeze(1)
    return masks.half(shape, kind).expand(n, 1, *shape).clone()


def _chains(vae, x, mask, kernel: str, steps: int, warm: int, score) -> dict:
    """3 seeds of one sampler on every image: per-image score, and diagnostics over the seeds' chains."""
    burn_in = steps // 4
    per_seed, lj, acc, px = [], [], [], []
    t0 = time.perf_counter()
    for seed in SEEDS:
        res = run_gibbs(vae, x, mask, metropolis=kernel != "pseudo", kernel=kernel, n_steps=steps, chains=1,
                        burn_in=burn_in, seed=seed, init="noise", warm_start=warm)
        per_seed.append(score(res.mean, x, mask))
        d = res.diagnostics
        lj.append(d.log_joint)
        acc.append(d.accepted)
        px.append(d.pixel_trace)
    seconds = time.perf_counter() - t0
    diag = chain_diagnostics(torch.cat(lj, 2), torch.cat(acc, 2), torch.cat(px, 2), burn_in,
                             exact=make_kernel(kernel).exact)
    return {"score": torch.stack(per_seed).mean(0).numpy(), "diag": diag,
            "seconds_per_image": seconds / (len(SEEDS) * x.shape[0])}


def _miwae(miwae, x, mask, score) -> np.ndarray:
    per_seed = [score(importance_impute(miwae, x, mask, n_samples=1000, n_draws=1, generator=generator(seed)).mean,
                      x, mask) for seed in SEEDS]
    return torch.stack(per_seed).mean(0).numpy()


def _wilcoxon(a: np.ndarray, b: np.ndarray) -> float:
    return float(wilcoxon(a, b).pvalue) if np.any(a != b) else 1.0


def _record(ds, label, warm, method, values, steps, **extra) -> dict:
    return {"dataset": ds, "mask": label, "warm_start": warm, "method": method,
            "score_mean": round(float(values.mean()), 4),
            "score_se": round(float(values.std(ddof=1) / np.sqrt(len(values))), 4), "n_images": len(values),
            "steps": steps, **extra}


def _diag_fields(run: dict) -> dict:
    d = run["diag"]
    return {"acceptance_mean": round(float(d["acceptance"].mean()), 4),
            "accepted_moves_median": float(d["accepted_moves"].median()),
            "ess_log_joint_median": round(float(d["ess_log_joint"].median()), 1),
            "ess_pixels_median": round(float(np.nanmedian(d["ess_pixels"].numpy())), 1),
            "rhat_median": round(float(np.nanmedian(d["rhat"].numpy())), 3),
            "rhat_below_1_1": round(float((d["rhat"] < 1.1).float().mean()), 3),
            "seconds_per_image": round(run["seconds_per_image"], 4)}


def run_dataset(name: str, n_images: int, steps: int, threads: int | None = 1,
                masks_run: tuple[str, ...] | None = None) -> list[dict]:
    """Every sampler, mask (or those of ``masks_run``) and warm start on one data set -> records (the score is F1,
    or MSE on faces)."""
    set_threads(threads)
    binary = name != "celeba"
    x = load_images(name, "test", binarize=binary, size=None if binary else 32, limit=n_images).x
    vae, miwae = pretrained.load(f"vae-{name}")[0], pretrained.load(f"miwae-{name}")[0]
    score = metrics.f1_missing if binary else metrics.mse_missing
    labels = list(masks_run or (MASKS if binary else CELEBA_MASKS))
    records = []
    for label in labels:
        kind, missing = MASKS[label]
        mask = make_masks(kind, missing, x.shape[0], tuple(x.shape[2:]))
        iw = _miwae(miwae, x, mask, score)
        records.append(_record(name, label, None, "MIWAE-IS", iw, None))
        for warm in WARM_STARTS if binary else CELEBA_WARM_STARTS:
            runs = {k: _chains(vae, x, mask, k, steps, warm, score) for k in (KERNELS if binary else CELEBA_KERNELS)}
            pg = runs["pseudo"]["score"]
            for k, run in runs.items():
                extra = _diag_fields(run)
                if k != "pseudo":
                    gain = run["score"] - pg if binary else pg - run["score"]  # > 0: the exact sampler is better
                    p = _wilcoxon(run["score"], pg)
                    extra.update(gain_vs_pseudo_gibbs=round(float(gain.mean()), 4), wilcoxon_p_vs_pseudo_gibbs=p,
                                 p_bonferroni=min(1.0, p * (BONFERRONI if binary else len(CELEBA_MASKS))),
                                 gain_vs_miwae=round(float((run["score"] - iw if binary else iw - run["score"]).mean()),
                                                     4),
                                 wilcoxon_p_vs_miwae=_wilcoxon(run["score"], iw))
                records.append(_record(name, label, warm, method_name(k), run["score"], steps, kernel=k, **extra))
                print(f"{name} {label} warm {warm} {method_name(k)}: {score.__name__} {run['score'].mean():.4f} "
                      f"acc {extra['acceptance_mean']:.3f} R̂ {extra['rhat_median']:.2f} "
                      f"({extra['seconds_per_image'] * 1000:.0f} ms/image)", flush=True)
    return records


def _fmt_p(p: float) -> str:
    return f"{p:.2g}"


def command(args: argparse.Namespace) -> str:
    extra = (" ".join([" --datasets", *args.datasets]) if args.datasets != ["mnist", "omniglot"] else "") + (
        " --keep-others" if args.keep_others else "")
    return (f"python -m dgm_core bench inpainting --n-images {args.n_images} --steps {args.steps} "
            f"--celeba-images {args.celeba_images} --celeba-steps {args.celeba_steps}{extra}")


def report(rec: dict) -> str:
    records, kept = rec["records"], rec["kept_from_previous_run"]
    by = {(r["dataset"], r["mask"], r["warm_start"], r["method"]): r for r in records}
    took = (f"{rec['machine']['seconds'] / 60:.0f} min on this machine, {rec['jobs']} processes of one thread"
            + (f"; the rows of {' and '.join(kept)} kept from the file's previous run" if kept else ""))
    lines = [
        "# Inpainting benchmark: pseudo-Gibbs vs the exact sampler's z-kernels vs MIWAE-IS", "",
        f"Command: `{rec['command']}` ({took}). Protocol: the header of `benchmarks/inpainting.py` (T = "
        f"{rec['steps']} (faces: {rec['celeba_steps']}), burn-in T/4, U(0,1) init, 3 seeds, one chain each). "
        "Score: F1 of ink on the missing "
        "pixels (higher is better; MSE on faces, lower is better), mean ± standard error over images. "
        "Wilcoxon p of each exact kernel against pseudo-Gibbs, Bonferroni-corrected ×10 (faces: ×3). "
        "acc = acceptance, moves = accepted moves after burn-in (median chain), ESS = effective draws of "
        "log p(x, z) over 3 chains (median image), R̂ = split-R̂ (median image).", ""]
    for ds in dict.fromkeys(r["dataset"] for r in records):
        for warm in WARM_STARTS if ds != "celeba" else CELEBA_WARM_STARTS:
            lines += [f"## {ds}, warm start {warm}", "",
                      "| mask | method | score | gain vs PG | p (Bonferroni) | acc | moves | ESS | R̂ | ms / image |",
                      "|---|---|---|---|---|---|---|---|---|---|"]
            for label in MASKS:
                for k in KERNELS:
                    r = by.get((ds, label, warm, method_name(k)))
                    if r is None:
                        continue
                    gain = f"{r['gain_vs_pseudo_gibbs']:+.4f}" if "gain_vs_pseudo_gibbs" in r else ""
                    p = _fmt_p(r["p_bonferroni"]) if "p_bonferroni" in r else ""
                    lines.append(f"| {label} | {r['method']} | {r['score_mean']:.4f} ± {r['score_se']:.4f} | {gain} | "
                                 f"{p} | {r['acceptance_mean']:.3f} | {r['accepted_moves_median']:.0f} | "
                                 f"{r['ess_log_joint_median']:.0f} | {r['rhat_median']:.2f} | "
                                 f"{r['seconds_per_image'] * 1000:.0f} |")
                iw = by.get((ds, label, None, "MIWAE-IS"))
                if iw is not None:
                    lines.append(f"| {label} | MIWAE-IS | {iw['score_mean']:.4f} ± {iw['score_se']:.4f} "
                                 "| | | | | | | |")
            lines.append("")
    lines += summary_lines(records)
    return "\n".join(lines) + "\n"


def summary(records: list[dict], kernel: str = DEFAULT_KERNEL) -> dict:
    """How one kernel compares with pseudo-Gibbs and MIWAE, without warm start, over the binary data sets."""
    rows = [r for r in records if r.get("kernel") == kernel and r["warm_start"] == 0 and r["dataset"] != "celeba"]
    out = {"kernel": kernel, "settings": len(rows),
           "acceptance_min": min((r["acceptance_mean"] for r in rows), default=None),
           "settings_at_or_above_pseudo_gibbs": sum(r["gain_vs_pseudo_gibbs"] >= 0 for r in rows),
           "settings_above_pseudo_gibbs_p_bonf_below_0_01": sum(r["gain_vs_pseudo_gibbs"] > 0
                                                               and r["p_bonferroni"] < 0.01 for r in rows),
           "settings_rhat_median_below_1_1": sum(r["rhat_median"] < 1.1 for r in rows),
           "half_masks_above_miwae": sum(r["gain_vs_miwae"] > 0 for r in rows if "half" in r["mask"]),
           "losses": [{"dataset": r["dataset"], "mask": r["mask"]} for r in rows if r["gain_vs_pseudo_gibbs"] < 0]}
    return out


def summary_lines(records: list[dict]) -> list[str]:
    lines = ["## How the exact sampler compares (no warm start, MNIST + Omniglot)", ""]
    for k in KERNELS[1:]:
        s = summary(records, k)
        losses = ", ".join(f"{x['dataset']} {x['mask']}" for x in s["losses"])
        lines.append(f"- **{k}**: acceptance ≥ {s['acceptance_min']:.3f} in every setting; at or above pseudo-Gibbs in "
                     f"{s['settings_at_or_above_pseudo_gibbs']}/{s['settings']}; above it with Bonferroni p < 0.01 in "
                     f"{s['settings_above_pseudo_gibbs_p_bonf_below_0_01']}/{s['settings']}; median split-R̂ < 1.1 in "
                     f"{s['settings_rhat_median_below_1_1']}/{s['settings']}; above MIWAE-IS on "
                     f"{s['half_masks_above_miwae']} of 4 half-image settings"
                     + (f"; loses on {losses}" if losses else "") + ".")
    return lines + [""]


def options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--n-images", type=int, default=200)
    p.add_argument("--celeba-images", type=int, default=100, help="0 leaves CelebA out")
    p.add_argument("--steps", type=int, default=500)
    p.add_argument("--celeba-steps", type=int, default=300)
    p.add_argument("--datasets", nargs="*", default=["mnist", "omniglot"])
    p.add_argument("--keep-others", action="store_true",
                   help="keep the existing file's rows of the data sets not run now (their models unchanged)")
    p.add_argument("--jobs", type=int, default=3, help="data sets run in parallel, one thread each")


def run(args: argparse.Namespace) -> dict:
    tasks = [(name, args.n_images, args.steps) for name in args.datasets]
    if args.celeba_images:  # a process per mask: a face's step costs several digits'
        tasks += [("celeba", args.celeba_images, args.celeba_steps, 1, (label,)) for label in CELEBA_MASKS]
    with mp.get_context("spawn").Pool(args.jobs) as pool:
        parts = pool.starmap(run_dataset, tasks)
    records = [r for part in parts for r in part]
    ran = {t[0] for t in tasks}
    kept: list[dict] = []
    if args.keep_others and args.previous:
        kept = [r for r in args.previous["records"] if r["dataset"] not in ran]
        records = kept + records
    return {"command": command(args), "kept_from_previous_run": sorted({r["dataset"] for r in kept}),
            "steps": args.steps, "celeba_steps": args.celeba_steps, "jobs": args.jobs, "burn_in": args.steps // 4,
            "seeds": list(SEEDS), "warm_starts": list(WARM_STARTS), "default_kernel": DEFAULT_KERNEL,
            "bonferroni": BONFERRONI, "summary": {k: summary(records, k) for k in KERNELS[1:]}, "records": records}


BENCH = bench(run, report, options=options)



if __name__ == "__main__":
    raise SystemExit(BENCH.main())
