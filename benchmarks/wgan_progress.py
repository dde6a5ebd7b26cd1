"""How an unfinished wgan-mnist run is doing, before it ships: its checkpoint's generator measured as
``bench wgan`` measures the shipped one.

    python -m dgm_core bench wgan_progress [--run wgan-mnist-b256] [--threads 1]

Reads the checkpoint of ``python -m dgm_core train wgan-mnist --resume`` (pretrained/checkpoints/wgan-mnist.pt),
or of a candidate's run named by ``--run`` (rows to wgan_progress_<run>.{json,md}),
builds the recipe's model from it exactly as the finished run will ship it (the averaged generator, BatchNorm
statistics recalibrated: ``Recipe.as_shipped``) and scores 10 000 samples (z seed 0, as ``bench wgan``) with the
same classifier: the Fréchet distance in its features and the share it labels with confidence >= 0.9. The
shipped card's figures, from benchmarks/results/wgan.json, stand beside as the line to beat.

Each run adds the checkpoint's step as one row of benchmarks/results/wgan_progress.{json,md} (a rerun at the same
step replaces that row). A mid-run generator has not had its learning rate decay to 0: the rows are a trend,
not the result; the shipping rule is judged on the finished run by ``bench wgan``. Needs DGM_DATA_DIR (MNIST).
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from benchmarks.common import checkpoint_model, progress_rows
from benchmarks.harness import RESULTS, bench, stamp
import torch

from dgm_core import training
from dgm_core.data import load_images
from dgm_core.sample_quality import CONFIDENT, N_DIGITS, batched, digit_judge, digit_scores
from dgm_core.training import wgan

NAME = "wgan-mnist"  # the shipped generator: the line a candidate's run must beat


def shipped_figures(results: Path) -> dict | None:
    """The shipped generator's figures as ``bench wgan`` last wrote them, with its card's hash."""
    path = results / "wgan.json"
    if not path.exists():
        return None
    rec = json.loads(path.read_text())
    d = rec["digits"].get(NAME)
    return d and {"frechet_distance": d["frechet_distance"], "confident_share": d["confident_share"],
                  "card": rec.get("cards", {}).get(NAME)}


def report(rec: dict) -> str:
    s = rec["shipped"]
    lines = [f"# {rec.get('run', NAME)}: the run under way, measured at its checkpoints", "",
             f"Recipe {rec['config']}. Each row: the checkpoint's averaged generator (BatchNorm recalibrated), "
             f"{rec['n']} samples, our classifier (test accuracy {rec['classifier_test_accuracy']}); recognisable = "
             f"labelled with confidence >= {rec['confidence']}. A mid-run generator's learning rate has not decayed: "
             "a trend, not the result.", ""]
    if s:
        lines += [f"Shipped generator (bench wgan): Fréchet distance {s['frechet_distance']}, recognisable "
                  f"{s['confident_share']}.", ""]
    lines += ["| step | of | training hours | Fréchet distance | recognisable |", "|---|---|---|---|---|"]
    lines += [f"| {r['steps']} | {r['of']} | {r['training_seconds'] / 3600:.2f} | {r['frechet_distance']} | "
              f"{r['confident_share']} |" for r in rec["rows"]]
    return "\n".join(lines) + "\n"


def options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--run", default=NAME, choices=[NAME, *[n for n in wgan.CANDIDATES if "mnist" in n]],
                   help="whose checkpoint: the shipped recipe's run or a candidate's (default %(default)s)")


def file(a: argparse.Namespace) -> str:
    return "wgan_progress" if a.run == NAME else f"wgan_progress_{a.run.replace('-', '_')}"


def run(a: argparse.Namespace) -> dict:
    model, at = checkpoint_model(training.recipe(a.run), training.checkpoint_path(a.run))
    t0 = time.perf_counter()
    judge = digit_judge(load_images("mnist", "train"), load_images("mnist", "test"))
    with torch.no_grad():
        z = torch.randn(N_DIGITS, model.latent, generator=torch.Generator().manual_seed(0))
        scores = digit_scores(judge, batched(model.generate, z))
    row = {**{k: at[k] for k in ("steps", "of", "training_seconds")},
           **{k: scores[k] for k in ("frechet_distance", "confident_share", "largest_class_fraction",
                                     "smallest_class_fraction")},
           "seconds": round(time.perf_counter() - t0, 1), "machine": stamp(a)["machine"]}
    return {"run": a.run, "config": at["config"], "n": N_DIGITS, "confidence": CONFIDENT,
            "classifier_test_accuracy": judge.test_accuracy, "shipped": shipped_figures(RESULTS),
            "rows": progress_rows(a.previous, at["config"], row)}


BENCH = bench(run, report, options=options, file=file, threads=1)


if __name__ == "__main__":
    raise SystemExit(BENCH.main())
