"""How an unfinished flow run is doing, before it ships: its checkpoint's network measured as the finished run's card
will be.

    python -m dgm_core bench flow_progress [--run flow-mnist-w32]

Reads the checkpoint of ``python -m dgm_core train <run> --resume`` (pretrained/checkpoints/<run>.pt), builds the
recipe's network from it exactly as the finished run will ship it (the moving average of its weights:
``Recipe.as_shipped``) and measures it with the recipe's own ``measure``, the one that writes the card: 10 000 digits
(Heun's method over the recipe's sample steps, noise from its seed + 1000) scored by our MNIST classifier, the share
it labels with confidence >= 0.9 and the Fréchet distance in its features. The shipped card's figures stand beside as
the line to beat.

It costs what the card's measure costs, 10 000 digits x 40 Heun steps x 2 network evaluations (each row records
its seconds; ``--threads 2`` shares the work). Each run adds the checkpoint's step as one row of
benchmarks/results/flow_progress_<run>.{json,md} (a rerun at the same step replaces that row; rows of another
recipe are dropped). A mid-run network's learning rate has not decayed to its end: the rows are a trend, not the
result; the shipping rule is judged on the finished run's card. Needs DGM_DATA_DIR (MNIST).
"""
from __future__ import annotations

import argparse
import time

from benchmarks.common import checkpoint_model, progress_rows
from benchmarks.harness import bench, stamp
from dgm_core import pretrained, training
from dgm_core.training import flow

SHIPPED = "flow-mnist"  # the shipped network: the line a run must beat
KEPT = ("confident_share", "frechet_distance", "largest_class_fraction", "smallest_class_fraction", "sample_steps")


def report(rec: dict) -> str:
    s = rec["shipped"]
    lines = [f"# {rec['run']}: the run under way, measured at its checkpoints", "",
             f"Recipe {rec['config']}. Each row: the checkpoint's averaged network, measured as its card will be "
             f"({rec['n']} digits, Heun's method, our classifier); recognisable = labelled with confidence >= 0.9. "
             "A mid-run network's learning rate has not decayed: a trend, not the result.", "",
             f"Shipped network ({SHIPPED}'s card): Fréchet distance {s['frechet_distance']}, recognisable "
             f"{s['confident_share']}, at {s['sample_steps']} Heun steps.", "",
             "| step | of | training hours | Heun steps | Fréchet distance | recognisable |",
             "|---|---|---|---|---|---|"]
    lines += [f"| {r['steps']} | {r['of']} | {r['training_seconds'] / 3600:.2f} | {r['sample_steps']} | "
              f"{r['frechet_distance']} | {r['confident_share']} |" for r in rec["rows"]]
    return "\n".join(lines) + "\n"


def options(p: argparse.ArgumentParser) -> None:
    runs = [*flow.RECIPES, *flow.CANDIDATES]
    p.add_argument("--run", default="flow-mnist-w32", choices=runs,
                   help="whose checkpoint (default %(default)s)")


def file(a: argparse.Namespace) -> str:
    return f"flow_progress_{a.run.replace('-', '_')}"


def run(a: argparse.Namespace) -> dict:
    r = training.recipe(a.run)
    model, at = checkpoint_model(r, training.checkpoint_path(a.run))
    t0 = time.perf_counter()
    metrics = r.measure(model)
    row = {**{k: at[k] for k in ("steps", "of", "training_seconds")}, **{k: metrics[k] for k in KEPT},
           "seconds": round(time.perf_counter() - t0, 1), "machine": stamp(a)["machine"]}
    card = pretrained.load_card(SHIPPED).metrics
    return {"run": a.run, "config": at["config"], "n": metrics["samples"],
            "shipped": {k: card[k] for k in ("confident_share", "frechet_distance", "sample_steps")},
            "rows": progress_rows(a.previous, at["config"], row)}


BENCH = bench(run, report, options=options, file=file, threads=1)


if __name__ == "__main__":
    raise SystemExit(BENCH.main())
