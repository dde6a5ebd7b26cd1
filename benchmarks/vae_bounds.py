"""The VAE page's figures: the importance-weighted bound against K averaged per class, and how fast the
page's views are computed (server side, one thread).

    python -m dgm_core bench vae_bounds [--per-class 20] [--threads 1]

For every shipped binary VAE (vae-mnist, iwae-mnist, vae-omniglot): L_K for K = 1 … 5000 averaged over
the first ``per-class`` test images of each label (MNIST digits; Omniglot as one group "all", its
characters being too many), estimated as on the page (dgm_core.demos.vae.bound_curve, seed 0). The
page draws these averages next to the chosen digit's curve. Timings: the bound curve of one digit up
to K = 5000, its reconstructions and 16 prior samples, the projection of a new digit on the map, and
the map itself (built once per model, then cached); the target for every view is 300 ms.

Writes benchmarks/results/vae_bounds.{json,md}. Needs DGM_DATA_DIR (test images).
"""
from __future__ import annotations

import argparse
import statistics

from benchmarks.harness import BenchError, bench
import numpy as np
import torch

from benchmarks.common import median_ms
from dgm_core import pretrained
from dgm_core.data import available, load_images
from dgm_core.demos import vae as demo
from dgm_core.device import generator

MODELS = {"vae-mnist": "mnist", "iwae-mnist": "mnist", "vae-omniglot": "omniglot"}
TARGET_MS = 300


def one_model(name: str, per_class: int) -> dict:
    model, card = pretrained.load(name)
    ds = load_images(MODELS[name], "test", binarize=True)
    x, y = ds.x, ds.y.numpy()
    groups = {str(k): np.flatnonzero(y == k)[:per_class] for k in range(10)} if MODELS[name] == "mnist" \
        else {"all": np.arange(10 * per_class)}
    curves = {}
    for label, idx in groups.items():
        c = demo.bound_curve(model, x[idx], demo.KS, generator=generator(0))
        curves[label] = {"ks": c.ks, "mean": [round(v, 3) for v in c.mean], "sd": [round(v, 3) for v in c.sd],
                         "gap_of_elbo": round(float(c.gap[0]), 3), "n_images": len(idx)}
        print(f"{name} {label}: ELBO {c.mean[0]:.2f}, L_5000 {c.best:.2f}", flush=True)
    one = x[:1]
    lm = None

    def build_map():
        nonlocal lm
        lm = demo.latent_map(model, x[:2000])

    map_ms = median_ms(build_map, repeats=1)
    timings = {
        "bound_curve_one_digit_k5000": median_ms(lambda: demo.bound_curve(model, one, demo.KS, generator=generator(0))),
        "reconstruct_and_16_prior_samples": median_ms(lambda: (demo.reconstruct(model, one, 4, generator(0)),
                                                         demo.prior_samples(model, 16, generator(0)))),
        "project_a_new_digit": median_ms(lambda: lm.project(demo.encode_mean(model, one))),
        "latent_map_2000_images_once_per_model": map_ms,
    }
    return {"card_test_log_lik": card.metrics.get("test_log_lik"), "card_test_elbo": card.metrics.get("test_elbo"),
            "per_class": per_class, "curves": curves, "timings_ms": timings,
            "mean_gap_of_elbo": round(statistics.mean(c["gap_of_elbo"] for c in curves.values()), 2),
            "mean_l_5000": round(statistics.mean(c["mean"][-1] for c in curves.values()), 2),
            "slowest_view_ms": max(v for k, v in timings.items() if "once" not in k)}


def report(rec: dict) -> str:
    lines = ["# The VAE page: bounds against K and view timings", "", f"Command: `{rec['command']}`", "",
             "| model | test log p(x) (card) | mean ELBO gap over the classes (nats) | mean L_5000 (nats) |",
             "|---|---|---|---|"]
    for name, r in rec["models"].items():
        lines.append(f"| {name} | {r['card_test_log_lik']} | {r['mean_gap_of_elbo']:.2f} | {r['mean_l_5000']:.2f} |")
    lines += ["", f"View timings, ms (median of 5, {rec['threads']} thread; target {TARGET_MS} ms per view):", "",
              "| model | " + " | ".join(next(iter(rec["models"].values()))["timings_ms"]) + " |",
              "|---|" + "---|" * len(next(iter(rec["models"].values()))["timings_ms"])]
    for name, r in rec["models"].items():
        lines.append(f"| {name} | " + " | ".join(str(v) for v in r["timings_ms"].values()) + " |")
    m = rec["machine"]
    lines += ["", f"Machine: {m['platform']}, load average {m['load_average_at_start']} at the start; {m['date']}.", ""]
    return "\n".join(lines)


def options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--per-class", type=int, default=20)


def run(a: argparse.Namespace) -> dict:
    torch.set_grad_enabled(False)
    shipped = {c.name for c in pretrained.list_cards()}
    names = [n for n in MODELS if n in shipped and available(MODELS[n])]
    if not names:
        raise BenchError("no shipped binary VAE with its test set: set DGM_DATA_DIR (see docs/GUIDE.md, Data)")
    return {"threads": a.threads, "target_ms": TARGET_MS, "models": {n: one_model(n, a.per_class) for n in names}}


BENCH = bench(run, report, options=options, threads=1)


if __name__ == "__main__":
    raise SystemExit(BENCH.main())
