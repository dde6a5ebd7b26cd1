"""flow-mnist's digits against the number of Heun steps: how much of the speckle is the integrator's, not the model's.

    python -m dgm_core bench flow_steps [--n 2000] [--gap-n 64]

For each step count the flow page offers (dgm_core.demos.flow_samples.STEP_CHOICES):
- the solver's gap: the mean absolute grey difference between ``--gap-n`` digits (the page's 64 by default) and the
  same noise's digits at twice the steps (``flow_samples.solver_gap``, seed 0), and the step count the recorded rule
  picks from those gaps (``flow_samples.settled``: the fewest within one grey level, 1/255);
- ``--n`` digits from the card's noise (seed 1000), scored as the card scores them (dgm_core.sample_quality: the
  share our MNIST classifier labels with confidence >= 0.9, the Fréchet distance in its features; with 2000 digits
  the distance reads higher than the card's 10 000 give, the same bias for every row), and their background (the
  mean grey value on the pixels that are 0 in 95 % of ``--n`` real training digits) against real test digits';
- what it costs: network evaluations per digit, and seconds to draw the page's 64 digits on one thread.

Writes benchmarks/results/flow_steps.{json,md}. Needs DGM_DATA_DIR (MNIST) for the scores and the background.
"""
from __future__ import annotations

import argparse
import time

import torch

from benchmarks.common import machine_line
from benchmarks.harness import BenchError, bench
from dgm_core import pretrained
from dgm_core import sample_quality as sq
from dgm_core.data import available, load_images
from dgm_core.demos import flow_samples as fs
from dgm_core.models.flow import SETTLED_STEPS

CARD_SEED = 1000  # the card's noise (dgm_core.training.flow measure)


@torch.no_grad()
def run(a: argparse.Namespace) -> dict:
    if not available("mnist"):
        raise BenchError("no MNIST digits: set DGM_DATA_DIR (see docs/GUIDE.md, Data)")
    n, gap_n = a.n, a.gap_n
    train, test = load_images("mnist", "train"), load_images("mnist", "test")
    judge = sq.digit_judge(train, test)
    where = fs.background(train.x[:n])
    real = fs.background_level(test.x[:n], where)
    flow = pretrained.load("flow-mnist")[0]
    rows = []
    for k in fs.STEP_CHOICES:
        t0 = time.perf_counter()
        fs.samples(flow, n=fs.GRID, n_steps=k)
        grid_s = time.perf_counter() - t0
        gap = fs.solver_gap(flow, k, n=gap_n)
        g = torch.Generator().manual_seed(CARD_SEED)
        x = torch.cat([flow.sample(min(500, n - i), n_steps=k, method="heun", generator=g) for i in range(0, n, 500)])
        scores = sq.digit_scores(judge, x)
        level = fs.background_level(x, where)
        rows.append({"steps": k, "evaluations": 2 * k, "solver_gap": round(gap, 5),
                     "solver_gap_grey_levels": round(gap * 255, 2), "grid_s": round(grid_s, 3),
                     "confident_share": scores["confident_share"], "frechet_distance": scores["frechet_distance"],
                     "background": round(level, 5), "background_ratio": round(level / real, 3)})
        print(rows[-1], flush=True)
    pick = fs.settled({r["steps"]: r["solver_gap"] for r in rows})
    return {"n": n, "gap_n": gap_n, "tolerance": round(fs.SOLVER_TOLERANCE, 6), "settled_steps": pick,
            "shipped_settled_steps": SETTLED_STEPS, "real_background": round(real, 5),
            "background_pixels": int(where.sum()), "real_confident_share": judge.test_confident_share,
            "frechet_floor": judge.floor, "records": rows,
            "seconds": round(time.monotonic() - a.started, 1)}  # what the page's caption cites


def report(rec: dict) -> str:
    lines = ["# flow-mnist's digits against its Heun steps\n",
             f"Solver gap: mean absolute grey difference of {rec['gap_n']} digits to the same noise's at twice the "
             f"steps. Scores: {rec['n']} digits from the card's noise, our classifier (real test digits: "
             f"{rec['real_confident_share']} recognised, Fréchet floor {rec['frechet_floor']}). Background: mean grey "
             f"value on the {rec['background_pixels']} pixels that are 0 in 95 % of real training digits (real test "
             f"digits: {rec['real_background']}).\n",
             "| Heun steps | network evaluations | solver gap (grey levels) | recognised | Fréchet distance | "
             "background / real | 64 digits, s |", "|---|---|---|---|---|---|---|"]
    lines += [f"| {r['steps']} | {r['evaluations']} | {r['solver_gap_grey_levels']} | {r['confident_share']} | "
              f"{r['frechet_distance']} | {r['background_ratio']} | {r['grid_s']} |" for r in rec["records"]]
    lines += ["", f"The rule (the fewest steps within one grey level of twice the steps) picks "
              f"{rec['settled_steps']}; the package ships {rec['shipped_settled_steps']}.",
              "", f"Command: `{rec['command']}`. {machine_line(rec['machine'])}", ""]
    return "\n".join(lines)


def options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--n", type=int, default=2000, help="digits scored per step count")
    p.add_argument("--gap-n", type=int, default=fs.GRID, help="digits the solver's gap is measured on")


BENCH = bench(run, report, options=options, threads=1)



if __name__ == "__main__":
    raise SystemExit(BENCH.main())
