"""What batching buys on the server: N students' inpainting Runs of the same model and settings run as one batch
(``inpainting.run_pages``, which the serving queue calls for the Runs waiting together) against one after another.

    python -m dgm_core bench inpainting_batch [--sizes 1 2 4 8 16] [--repeats 3]

The page's server path (a browser without WebAssembly): MNIST's default methods and settings, one torch thread (the
app's), N different test images (VAE samples without a data directory), their bottom halves missing. For each N: the
wall time of one batched run, against N times one image's; and the chains alone (MWG and pseudo-Gibbs, the methods
that batch), where the gain is. The batch limit (server.budgets.INPAINT_BATCH) is the largest N whose batch takes
at most twice one image's time: the first student of a batch waits at most twice as long, the others far less.

Writes benchmarks/results/inpainting_batch.json and .md.
"""
from __future__ import annotations

import argparse
import statistics
import time

from benchmarks.harness import bench
import torch

from benchmarks.common import machine_line
from dgm_core import masks, pretrained
from dgm_core.controls import resolve
from dgm_core.data import DatasetNotFoundError, load_images
from dgm_core.demos import inpainting as inp
from dgm_core.device import set_threads

RULE = 2.0  # a batch may take at most this many times one image's time


def _images(n: int) -> tuple[list[torch.Tensor], str]:
    try:
        return list(load_images("mnist", "test", binarize=True, limit=n).x), "MNIST test images, binarised"
    except DatasetNotFoundError:
        vae = pretrained.load("vae-mnist")[0]
        with torch.no_grad():
            x = (vae.mean(vae.decode(torch.randn(n, vae.cfg.latent, generator=torch.Generator().manual_seed(0))))
                 > 0.5).float()
        return list(x), "vae-mnist samples (no data directory)"


def _time(methods: list[str], images: list[torch.Tensor], mask: torch.Tensor, settings: inp.Settings) -> float:
    t0 = time.perf_counter()
    inp.run_pages(methods, [(x, mask, "") for x in images], dataset="mnist", settings=settings,
                  load_model=lambda name: pretrained.load(name)[0])
    return time.perf_counter() - t0


def options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--sizes", type=int, nargs="+", default=[1, 2, 4, 8, 16])
    p.add_argument("--repeats", type=int, default=3)


def run(a: argparse.Namespace) -> dict:
    set_threads(1)
    settings = inp.default_settings("mnist")
    images, what = _images(max(a.sizes))
    mask = masks.half((28, 28), "bottom")
    groups = {"page": list(resolve(inp.CONTROLS["methods"].default, {"ds": "mnist"})),
              "chains": [m for m in inp.DEFAULT_METHODS if m in inp.BATCHED]}
    rows = []
    for group, methods in groups.items():
        _time(methods, images[:1], mask, settings)  # loads the models, warms the allocator: not counted
        for n in a.sizes:
            times = [_time(methods, images[:n], mask, settings) for _ in range(a.repeats)]
            rows.append({"methods": group, "n": n, "batch_s": round(statistics.median(times), 3),
                         "repeats_s": [round(t, 3) for t in times]})
            print(rows[-1], flush=True)
    for r in rows:
        one = next(q["batch_s"] for q in rows if q["methods"] == r["methods"] and q["n"] == 1)
        r["one_after_another_s"] = round(r["n"] * one, 3)
        r["times_one"] = round(r["batch_s"] / one, 2)
        r["speedup"] = round(r["n"] * one / r["batch_s"], 2)
    within = [r["n"] for r in rows if r["methods"] == "page" and r["times_one"] <= RULE]
    return {"images": what, "mask": "bottom half",
            "settings": {"steps": settings.steps, "chains": settings.chains, "burn_in": settings.burn_in,
                         "kernel": settings.kernel, "n_samples": settings.n_samples},
            "methods": groups, "threads": 1, "rule_times_one": RULE, "largest_batch_within_rule": max(within),
            "repeats": a.repeats, "rows": rows}


def report(rec: dict) -> str:
    s, within = rec["settings"], rec["largest_batch_within_rule"]
    return "\n".join([
        "# Batching the server's inpainting Runs", "", f"Command: `{rec['command']}`", "",
        f"{rec['images']}, bottom half missing; MNIST's default settings ({s['steps']} steps x {s['chains']} chains, "
        f"{s['kernel']} z-moves); one torch thread; median of {rec['repeats']}.", "",
        "| methods | N | one batch (s) | one after another (s) | x one image | speed-up |", "|---|---|---|---|---|---|",
        *(f"| {r['methods']} | {r['n']} | {r['batch_s']:.2f} | {r['one_after_another_s']:.2f} | {r['times_one']:.2f} | "
          f"{r['speedup']:.2f} |" for r in rec["rows"]),
        "", f"The largest batch of the page's methods within {RULE:g}x one image's time: {within} "
            "(server.budgets.INPAINT_BATCH, tested to be this).", "", machine_line(rec["machine"]), ""])


BENCH = bench(run, report, options=options)


if __name__ == "__main__":
    raise SystemExit(BENCH.main())
