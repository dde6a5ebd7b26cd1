"""The critics page's sweep: squared Hellinger (f-GAN) and Wasserstein-1 estimated by trained critics on the
parallel lines P = (0, U[0,1]) and Q_theta = (theta, U[0,1]) at 21 values of theta in [0, 2].

    python -m dgm_core bench critics [--threads 1] [--seed 0]

Nowozin et al., arXiv 1606.00709 (f-GAN); Arjovsky et al., arXiv 1701.07875 (WGAN, the parallel lines);
Petzka et al., arXiv 1709.08894 (one-sided Lipschitz penalty). A fresh critic per theta and kind, default
``CriticConfig``, seed 0 (``dgm_core.models.critics.sweep``). Also times one live retrain of each critic
at theta = 1 with the page's live config (``dgm_core.demos.critics.LIVE``), so the page can say how long
its button takes.

Writes benchmarks/results/critics.{json,md}.
"""
from __future__ import annotations

import argparse
import time

from benchmarks.harness import bench
import numpy as np
import torch

from dgm_core.demos import critics as demo
from dgm_core.models.critics import KINDS, CriticConfig, estimate, sweep, true_value

LIVE_THETA = 1.0


def report(rec: dict) -> str:
    est, tru = rec["estimates"], rec["true_values"]
    lines = ["# Critics on the parallel lines: squared Hellinger vs Wasserstein", "",
             f"Command: `{rec['command']}` ({rec['seconds']:.0f} s, {rec['threads']} thread, seed {rec['seed']})", "",
             "| theta | Hellinger estimate | Hellinger true | Wasserstein estimate | Wasserstein true |",
             "|---|---|---|---|---|"]
    for i, th in enumerate(rec["thetas"]):
        lines.append(f"| {th:.1f} | {est['hellinger'][i]:.3f} | {tru['hellinger'][i]:g} "
                     f"| {est['wasserstein'][i]:.3f} | {tru['wasserstein'][i]:g} |")
    live = rec["live_retrain"]
    lines += ["", f"Live retrain at theta = {live['theta']:g} ({live['config']['steps']} steps, "
              f"{live['config']['eval_n']} evaluation points): "
              + ", ".join(f"{k} {live['seconds'][k]:.1f} s (estimate {live['estimates'][k]:.3f})" for k in KINDS) + ".",
              "", f"Machine: {rec['machine']['platform']}, load average {rec['machine']['load_average_at_start']} "
              f"at the start; {rec['machine']['date']}.", ""]
    return "\n".join(lines)


def options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--seed", type=int, default=0)


def run(a: argparse.Namespace) -> dict:
    cfg = CriticConfig()
    thetas = [round(float(t), 10) for t in np.linspace(0, 2, 21)]
    t0 = time.perf_counter()
    est = sweep(thetas, cfg, seed=a.seed, progress=lambda k, th: print(f"{k} theta={th:.1f}", flush=True))
    seconds = time.perf_counter() - t0
    live_s, live_est = {}, {}
    for kind in KINDS:
        t1 = time.perf_counter()
        live_est[kind] = round(estimate(kind, LIVE_THETA, demo.LIVE, seed=a.seed), 4)
        live_s[kind] = round(time.perf_counter() - t1, 2)
    return {"thetas": thetas, "estimates": {k: [round(v, 4) for v in est[k]] for k in KINDS},
            "true_values": {k: [true_value(k, t) for t in thetas] for k in KINDS},
            "config": demo.config_dict(cfg), "seed": a.seed, "seconds": round(seconds, 1), "threads": a.threads,
            "torch": torch.__version__,
            "live_retrain": {"theta": LIVE_THETA, "config": demo.config_dict(demo.LIVE), "seconds": live_s,
                             "estimates": live_est}}


BENCH = bench(run, report, options=options, threads=1)


if __name__ == "__main__":
    raise SystemExit(BENCH.main())
