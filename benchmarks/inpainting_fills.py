"""CelebA: the page's one-pass methods on ``bench inpainting``'s 100 faces and masks, against the neighbour fill.

    python -m dgm_core bench inpainting_fills [--n-images 100]

The same faces (the first N test faces at 32x32) and the same three masks (top half, bottom half, random 60 %
seeded by image index) as ``bench inpainting``'s CelebA part, scored the same way (MSE on the missing pixels, per
image, mean and standard error over images). Here: the methods that need no chain, each as the Inpainting page runs
it (``dgm_core.demos.inpainting.run_method``, the page's settings for faces): the neighbour fill and the mean fill
(no model), the classical MFA conditional, and DMFA. The chains' rows (pseudo-Gibbs, the exact sampler with the
encoder and HMC z-moves, MIWAE importance sampling) are read from benchmarks/results/inpainting.json, which
``bench inpainting`` wrote for the same faces and masks. The verdict per mask: does the best deep method (a VAE's
chains, MIWAE, DMFA) beat the neighbour fill, and does the exact sampler (HMC) with its split-R̂.

Writes benchmarks/results/inpainting_fills.{json,md}. Needs DGM_DATA_DIR (CelebA's test faces).
"""
from __future__ import annotations

import argparse
import json
import time

from benchmarks.harness import RESULTS, bench
import numpy as np
import torch
from scipy.stats import wilcoxon

from benchmarks.common import machine_line
from benchmarks.inpainting import CELEBA_MASKS, MASKS, make_masks
from dgm_core import metrics, pretrained
from dgm_core.data import load_images
from dgm_core.demos.inpainting import default_settings, run_method
from dgm_core.device import set_threads
from dgm_core.methods import INPAINTING

ONE_PASS = ("neighbour_fill", "mean_fill", "mfa", "dmfa")  # INPAINTING ids run here
# a deep generative model's fill: bench inpainting's chains and MIWAE (its names), and DMFA
DEEP = {"pseudo-Gibbs", "MWG encoder", "MWG hmc", "MIWAE-IS", INPAINTING.label("dmfa")}
EXACT = "MWG hmc"  # the exact sampler as the page runs it by default


def one_pass(n_images: int) -> list[dict]:
    """Each one-pass method on every face and mask -> records like bench inpainting's (score = MSE)."""
    x = load_images("celeba", "test", size=32, limit=n_images).x
    settings = default_settings("celeba")
    models = {m: pretrained.load(f"{INPAINTING[m].family}-celeba")[0] for m in ONE_PASS if INPAINTING[m].family}
    records = []
    for label in CELEBA_MASKS:
        kind, missing = MASKS[label]
        masks = make_masks(kind, missing, x.shape[0], tuple(x.shape[2:]))
        for method in ONE_PASS:
            t0 = time.perf_counter()
            mse, var = [], []
            with torch.no_grad():
                for img, m in zip(x, masks):
                    res, _ = run_method(method, models.get(method), img, m[0], dataset="celeba", settings=settings)
                    mse.append(metrics.mse_missing(res.mean, img.unsqueeze(0), m.unsqueeze(0)).item())
                    # the page's spread, squared, averaged like the MSE
                    if res.std is not None and float(res.std.max()) > 0:
                        var.append(metrics.mse_missing(res.std, torch.zeros_like(img).unsqueeze(0),
                                                       m.unsqueeze(0)).item())
            v = np.array(mse)
            records.append({"dataset": "celeba", "mask": label, "method": INPAINTING.label(method),
                            "score_mean": round(float(v.mean()), 4),
                            "score_se": round(float(v.std(ddof=1) / np.sqrt(len(v))), 4), "n_images": len(v),
                            "seconds_per_image": round((time.perf_counter() - t0) / len(v), 4),
                            "scores": [round(float(e), 6) for e in v],  # per face: paired comparisons
                            **({"predicted_var": round(float(np.mean(var)), 4),  # and its ratio to the MSE
                                "spread_ratio": round(float(np.mean(var) / v.mean()), 2)} if var else {})})
    return records


def chains(n_images: int) -> list[dict]:
    """bench inpainting's CelebA rows for the same faces (its own file), or none when it scored other faces."""
    path = RESULTS / "inpainting.json"
    if not path.exists():
        return []
    rows = [r for r in json.loads(path.read_text())["records"] if r["dataset"] == "celeba"]
    return [r for r in rows if r["n_images"] == n_images]


def paired(a: dict, b: dict) -> dict:
    """a's per-face MSE minus b's on the same faces: mean, standard error and the two-sided Wilcoxon signed-rank
    p (scipy); empty when either has no per-face scores (the chains' rows keep only their means)."""
    if "scores" not in a or "scores" not in b:
        return {}
    d = np.asarray(a["scores"]) - np.asarray(b["scores"])
    return {"paired_diff": round(float(d.mean()), 5), "paired_se": round(float(d.std(ddof=1) / np.sqrt(len(d))), 5),
            "paired_p": float(f"{wilcoxon(d).pvalue:.3g}"), "faces_better": int((d < 0).sum())}


def verdicts(records: list[dict]) -> list[dict]:
    """Per mask: the best deep method against the neighbour fill, and the exact sampler (HMC) against it."""
    out = []
    for label in CELEBA_MASKS:
        rows = {r["method"]: r for r in records if r["mask"] == label}
        fill = rows[INPAINTING.label("neighbour_fill")]["score_mean"]
        deep = [r for m, r in rows.items() if m in DEEP]
        best = min(deep, key=lambda r: r["score_mean"])
        exact = rows.get(EXACT)
        out.append({"mask": label, "neighbour_fill": fill, "best_deep": best["method"],
                    "best_deep_mse": best["score_mean"], "best_deep_wins": best["score_mean"] < fill,
                    **paired(best, rows[INPAINTING.label("neighbour_fill")]),
                    "exact_mse": exact and exact["score_mean"], "exact_rhat": exact and exact.get("rhat_median"),
                    "exact_wins": bool(exact) and exact["score_mean"] < fill,
                    "exact_wins_mixed": bool(exact) and exact["score_mean"] < fill and exact["rhat_median"] < 1.1})
    return out


def report(rec: dict) -> str:
    methods = list(dict.fromkeys(r["method"] for r in rec["records"]))
    by = {(r["mask"], r["method"]): r for r in rec["records"]}
    lines = ["# CelebA inpainting: every method against the neighbour fill", "",
             f"The first {rec['n_images']} CelebA test faces (32x32) and `bench inpainting`'s three masks; MSE on the "
             "missing pixels, mean ± standard error over faces (lower is better). One-pass methods measured here "
             f"(`{rec['command']}`); the chains' rows from benchmarks/results/inpainting.json "
             "(`bench inpainting`, 300 steps, 3 seeds, no warm start).", "",
             "| method | " + " | ".join(CELEBA_MASKS) + " |", "|---|" + "---|" * len(CELEBA_MASKS)]
    for m in methods:
        cells = [f"{by[(k, m)]['score_mean']:.4f} ± {by[(k, m)]['score_se']:.4f}" if (k, m) in by else "–"
                 for k in CELEBA_MASKS]
        lines.append(f"| {m} | " + " | ".join(cells) + " |")
    lines += ["", "| mask | neighbour fill | best deep method | it wins | paired difference ± SE (faces better, "
              "Wilcoxon p) | exact sampler (HMC) | R̂ | it wins |", "|---|---|---|---|---|---|---|---|"]
    for v in rec["verdicts"]:
        pair = (f"{v['paired_diff']:+.4f} ± {v['paired_se']:.4f} ({v['faces_better']} of {rec['n_images']}, "
                f"p {v['paired_p']:.2g})" if "paired_diff" in v else "–")
        lines.append(f"| {v['mask']} | {v['neighbour_fill']:.4f} | {v['best_deep']} {v['best_deep_mse']:.4f} | "
                     f"{'yes' if v['best_deep_wins'] else 'no'} | {pair} | "
                     f"{v['exact_mse'] if v['exact_mse'] is not None else '–'} | "
                     f"{v['exact_rhat'] if v['exact_rhat'] is not None else '–'} | "
                     f"{'yes' if v['exact_wins'] else 'no'} |")
    spread = [r for r in rec["records"] if "predicted_var" in r]
    if spread:
        lines += ["", "Calibration: the variance the page's spread shows for a missing pixel (its standard deviation "
                  "squared), averaged like the MSE; a calibrated model's is close to its MSE.", "",
                  "| method | mask | MSE | predicted variance | ratio |", "|---|---|---|---|---|"]
        lines += [f"| {r['method']} | {r['mask']} | {r['score_mean']:.4f} | {r['predicted_var']:.4f} | "
                  f"{r['spread_ratio']:.1f} |" for r in spread]
    wins = sum(v["best_deep_wins"] for v in rec["verdicts"])
    exact = sum(v["exact_wins_mixed"] for v in rec["verdicts"])
    lines += ["", f"Targets: the best deep method beats the neighbour fill on {wins} of {len(rec['verdicts'])} masks "
              "(bar: all); the exact sampler beats it with R̂ < 1.1 on "
              f"{exact} of {len(rec['verdicts'])} (goal: all).", "", machine_line(rec["machine"]), ""]
    return "\n".join(lines)


def options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--n-images", type=int, default=100)


def run(a: argparse.Namespace) -> dict:
    set_threads(1)
    records = chains(a.n_images) + one_pass(a.n_images)
    return {"n_images": a.n_images, "records": records, "verdicts": verdicts(records)}


BENCH = bench(run, report, options=options)


if __name__ == "__main__":
    raise SystemExit(BENCH.main())
