"""not-MIWAE Table 1 on our CPU: imputation RMSE under self-masking MNAR on the UCI tables.

Ipsen, Mattei & Frellsen, "not-MIWAE: Deep Generative Modelling with Missing not at Random Data",
ICLR 2021, arXiv 2006.12871, §4.2 / Table 1. Protocol (the paper's App. A.1 and its reference code,
nbip/notMIWAE task01.py): standardise each table, then in the first floor(D/2) features every value
above the feature's mean goes missing; 2 x 128 tanh encoder/decoder, latent D - 1, K = 20, batch 16,
Adam 1e-3, a fixed number of iterations (the paper: 100k; here fewer, stated in the output),
imputation by the importance-weighted conditional mean with L samples; RMSE on the missing entries
of the standardised data; mean ± std over runs (the mask is deterministic, so runs differ in the
model's seed). Baselines are deterministic given the mask and run once.

    python -m dgm_core bench notmiwae --datasets banknote concrete red white yeast breast --runs 3 \
        --iterations 10000 --n-samples 2000
    python -m dgm_core bench notmiwae --datasets banknote white breast --iterations 30000 --n-samples 2000 \
        --methods "not-MIWAE self-masking known" "not-MIWAE-PPCA self-masking known" --seeds 0 1 2
    python -m dgm_core bench notmiwae --datasets banknote concrete red white yeast --iterations 100000 \
        --n-samples 2000 --methods "not-MIWAE self-masking known" --seeds 0 1 2 --compile

(the shipped tables: 10k iterations for every method (on concrete: the methods listed in the notes),
30k for the two self-masking-known models on three sets, 100k for not-MIWAE self-masking known
(the known self-masking direction, Gaussian decoder) on five; the banknote 60k row is from an
earlier run; --seeds adds runs to earlier records; separate processes may run in parallel, one data
set or seed each).

The same protocol with the cut moved off the mean (mean + offset sd) is ``bench notmiwae_cutoff``.

Every finished (dataset, method, run) is appended to benchmarks/results/notmiwae_runs.jsonl, so
parallel or interrupted runs add up; the .md and .json tables are rebuilt from all records.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

from benchmarks.harness import bench
from dgm_core import baselines, tabular
from dgm_core.data import TABLES, load_table
from dgm_core.missingness.tabular import notmiwae_uci
from dgm_core.models.notmiwae import Config, NotMIWAE

COLS = ("banknote", "concrete", "red", "white", "yeast", "breast")
PUBLISHED = {  # Table 1 of the paper, RMSE mean (std), columns as COLS
    "PPCA": ([1.39, 1.61, 1.61, 1.57, 1.67, 0.90], [0] * 6),
    "not-MIWAE-PPCA agnostic": ([1.25, 1.47, 1.32, 1.27, 1.20, 0.78], [.15, .01, 0, .01, .05, 0]),
    "not-MIWAE-PPCA self-masking": ([0.57, 1.31, 1.13, 0.99, 0.78, 0.72], [0] * 6),
    "not-MIWAE-PPCA self-masking known": ([0.57, 1.31, 1.13, 0.99, 0.77, 0.72], [0] * 6),
    "MIWAE": ([1.19, 1.66, 1.62, 1.55, 1.72, 1.20], [.01] * 6),
    "not-MIWAE agnostic": ([0.80, 2.63, 1.30, 1.37, 1.43, 1.10], [.08, .12, .01, 0, .02, .01]),
    "not-MIWAE self-masking": ([1.88, 1.26, 1.08, 1.04, 1.48, 0.74], [.85, .02, .02, .01, .03, .01]),
    "not-MIWAE self-masking known": ([0.74, 1.12, 1.07, 1.04, 1.38, 0.76], [.05, .04, 0, 0, .02, .01]),
    "missForest": ([1.28, 1.76, 1.64, 1.63, 1.66, 1.57], [0, .01, 0, 0, 0, 0]),
    "MICE": ([1.41, 1.70, 1.68, 1.41, 1.72, 1.17], [0] * 6),
    "mean": ([1.73, 1.85, 1.83, 1.74, 1.69, 1.82], [0] * 6),
}
NEURAL = {  # method -> (decoder, missing model[, starting steepness W]); priority order
    "not-MIWAE self-masking known": ("gaussian", "selfmasking_known"),
    "not-MIWAE self-masking known, steep start": ("gaussian", "selfmasking_known", 10.0),
    "MIWAE": ("gaussian", "none"),
    "not-MIWAE self-masking": ("gaussian", "selfmasking"),
    "not-MIWAE agnostic": ("gaussian", "linear"),
    "not-MIWAE-PPCA self-masking known": ("ppca", "selfmasking_known"),
    "PPCA": ("ppca", "none"),
    "not-MIWAE-PPCA self-masking": ("ppca", "selfmasking"),
    "not-MIWAE-PPCA agnostic": ("ppca", "linear"),
}
BASELINES = {"mean": {}, "MICE": {"max_iter": 10}, "missForest": {"n_estimators": 100, "max_iter": 10}}


# Tables whose Table-1 version keeps the target as a column: for concrete, the paper's mean / MICE /
# missForest RMSEs (1.85 / 1.70 / 1.76) are matched only with the compressive strength included
# (MICE 1.696 vs 1.868 without it); banknote, red and white match without their class/quality column.
WITH_TARGET = ("concrete",)


def protocol(name: str, data_dir: str | None = None, offset: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Standardised table x: (N, D) and the not-MIWAE mask (True = observed): values above the mean +
    ``offset`` sd go missing in the first floor(D/2) features."""
    table = load_table(name, data_dir=data_dir)
    x = np.column_stack([table.x, table.y.astype(float)]) if name in WITH_TARGET else table.x
    x = (x - x.mean(0)) / x.std(0)
    return x, notmiwae_uci(x, offset=offset).mask


def run_neural(method: str, x: np.ndarray, mask: np.ndarray, *, iterations: int, n_samples: int,
               seed: int, compile: bool = False) -> dict:
    decoder, missing, *w_init = NEURAL[method]
    torch.manual_seed(seed)
    model = NotMIWAE(Config(n_features=x.shape[1], decoder=decoder, missing=missing, w_init=(w_init or [None])[0]))
    t0 = time.perf_counter()
    tabular.fit(model, x, mask, iterations=iterations, seed=seed, every=max(iterations // 10, 1), compile=compile)
    train_s = time.perf_counter() - t0
    # the estimator these numbers were measured with (paper App. B); the library default is "samples"
    imp = tabular.impute(model, x, mask, n_samples=n_samples, seed=seed + 1, estimator="rao_blackwell")
    rec = {"rmse": tabular.rmse_missing(x, imp.mean, mask), "train_s": round(train_s, 1),
           "impute_s": round(imp.seconds, 1), "n_samples": n_samples}
    if missing.startswith("selfmasking"):
        rec["W"] = [round(w, 3) for w in model.mechanism()["W"]]
    return rec


def _append(rec: dict, path: Path) -> None:
    with open(path, "a") as f:
        f.write(json.dumps(rec) + "\n")


def summarise(runs_path: Path) -> list[dict]:
    """Group run records into (dataset, method, iterations) rows with mean ± std and the published value
    (runs with different training lengths are never pooled)."""
    groups: dict[tuple[str, str, int | None], list[dict]] = {}
    for line in runs_path.read_text().splitlines() if runs_path.exists() else []:
        r = json.loads(line)
        groups.setdefault((r["dataset"], r["method"], r.get("iterations")), []).append(r)
    rows = []
    for (ds, method, its), rs in groups.items():
        v = np.array([r["rmse"] for r in rs])
        pub = PUBLISHED.get(method)
        i = COLS.index(ds)
        rows.append({"dataset": ds, "method": method, "rmse_mean": round(float(v.mean()), 4),
                     "rmse_std": round(float(v.std()), 4), "runs": len(v),
                     "iterations": its, "n_samples": rs[0].get("n_samples"),
                     "published": None if pub is None else pub[0][i],
                     "published_std": None if pub is None else pub[1][i]})
    return rows


def _cell(r: dict | None) -> str:
    return "–" if r is None else (f"{r['rmse_mean']:.2f} ± {r['rmse_std']:.2f} (n={r['runs']}) "
                                  f"· paper {r['published']:.2f}")


def write_tables(rows: list[dict], main_iterations: int = 10000) -> str:
    """Main table: neural models at ``main_iterations`` (and the baselines); runs with other training
    lengths go to a second table."""
    datasets = [c for c in COLS if any(r["dataset"] == c for r in rows)]
    main = {(r["dataset"], r["method"]): r for r in rows if r["iterations"] in (None, main_iterations)}
    other = sorted((r for r in rows if r["iterations"] not in (None, main_iterations)),
                   key=lambda r: (r["iterations"], list(PUBLISHED).index(r["method"]), COLS.index(r["dataset"])))
    lines = ["# not-MIWAE Table 1 (imputation RMSE, self-masking MNAR, standardised data)", "",
             "Ours: mean ± std over `n` seeds, then the published value (paper Table 1: 100k iterations, "
             "5 runs, L = 10000). Rebuild: `python -m dgm_core bench notmiwae` (see the module docstring); "
             "`--summary-only` rebuilds these tables from `notmiwae_runs.jsonl`.", "",
             f"## Neural models at {main_iterations} iterations (paper: 100k)", "",
             "| method | " + " | ".join(datasets) + " |", "|---|" + "---|" * len(datasets)]
    for method in PUBLISHED:
        lines.append(f"| {method} | " + " | ".join(_cell(main.get((ds, method))) for ds in datasets) + " |")
    if other:
        lines += ["", "## Longer training", "", "| method | data set | iterations | RMSE | paper |",
                  "|---|---|---|---|---|"]
        for r in other:
            lines.append(f"| {r['method']} | {r['dataset']} | {r['iterations']} | {r['rmse_mean']:.3f} ± "
                         f"{r['rmse_std']:.3f} (n={r['runs']}) | {r['published']:.2f} |")
    lines += ["", "Imputation: L importance samples per data set: "
              + ", ".join(f"{ds} {sorted({r['n_samples'] for r in rows if r['dataset'] == ds and r['n_samples']})}"
                          for ds in datasets) + ".", ""]
    lines += ["## Target check", "", "Target: not-MIWAE self-masking known within 10 % of the published RMSE "
              "or better, and below MIWAE and every baseline:", ""]
    for ds in datasets:
        cands = [r for r in rows if r["dataset"] == ds and r["method"] == "not-MIWAE self-masking known"]
        others = [main[(ds, m)]["rmse_mean"] for m in ("MIWAE", "mean", "MICE", "missForest") if (ds, m) in main]
        for r in sorted(cands, key=lambda r: r["iterations"]):
            ok = r["rmse_mean"] <= 1.1 * r["published"]
            below = others and r["rmse_mean"] < min(others)
            lines.append(f"- {ds}, {r['iterations']} iterations (n={r['runs']}): {r['rmse_mean']:.3f} vs paper "
                         f"{r['published']:.2f} (limit {1.1 * r['published']:.3f}) -> {'met' if ok else 'NOT met'}; "
                         f"best of MIWAE/baselines {min(others) if others else float('nan'):.3f} -> "
                         f"{'below' if below else 'NOT below'}")
    lines += ["", "Notes: imputation is the importance-weighted conditional mean sum_l alpha_l E[x^m | z_l] "
              "(paper App. B, the reference code's estimator; on banknote the sample-based estimator gave the "
              "same RMSE to 0.01). Why fewer iterations hurt: the data are masked deterministically "
              "(x > mean), so the self-masking steepness W wants to grow without bound, and Adam moves each "
              "parameter by at most about lr = 1e-3 per step: W of the masked features grows roughly "
              "linearly (banknote: about 5 at 10k, 10 at 20k, 15 at 30k iterations) and the RMSE falls with "
              "it (one diagnostic banknote run, L = 1000: 1.16 / 0.92 / 0.90 / 0.81 at 5k / 10k / 20k / 30k). "
              "The paper trains 100k "
              "iterations; our shared 2-core CPU allowed 10k for every method, 30k for the self-masking-known "
              "models (not-MIWAE self-masking known, i.e. the known self-masking direction with a Gaussian "
              "decoder, and its PPCA-like twin) on three sets, and 100k (the paper's length, trained through "
              "torch.compile: `--compile`) for not-MIWAE self-masking known on banknote, white, concrete, "
              "red and yeast. On banknote the runs disagree (100k: 0.94, 1.01, 0.69) and longer training "
              "does not help on average; the paper's own banknote self-masking row has sd 0.85. The model "
              "and imputation follow the reference TF code (nbip/notMIWAE: notMIWAE.py, utils.py), which "
              "also imputes with the last iterate. Our 'PPCA' row is the linear-decoder MIWAE "
              "(one shared variance), not classical PPCA fitted by EM. Baselines are deterministic given the "
              "(deterministic) mask, so one run each. "
              "MICE = IterativeImputer(BayesianRidge, max_iter=10); missForest = IterativeImputer("
              "RandomForest(100 trees), max_iter=10). Breast = scikit-learn's breast-cancer table (569 x 30). "
              "Concrete keeps its compressive-strength column (9 columns, WITH_TARGET): only then do mean, MICE, "
              "missForest and PPCA match the paper (1.85 / 1.70 / 1.77 / 1.61 vs 1.85 / 1.70 / 1.76 / 1.61; "
              "without it MICE is 1.87). Yeast's baselines do not match (mean 1.73 vs 1.69, MICE 1.76 vs 1.72), "
              "so the paper's yeast columns differ from our 8 numeric ones in a way we could not identify; the "
              "yeast gap (1.60 vs 1.38, also after 100k iterations) may come from that. On concrete only "
              "not-MIWAE self-masking known, MIWAE, PPCA, its self-masking-known twin and the baselines were "
              "rerun with the 9-column table (one self-masking run finished before we stopped the rest)."]
    return "\n".join(lines) + "\n"


def options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--datasets", nargs="+", default=["banknote", "white", "breast"], choices=TABLES)
    p.add_argument("--methods", nargs="+", default=[*NEURAL, *BASELINES])
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--seeds", type=int, nargs="+", default=None,
                   help="run exactly these seeds (e.g. to add runs to earlier records) instead of 0..runs-1")
    p.add_argument("--iterations", type=int, default=20000)
    p.add_argument("--n-samples", type=int, default=10000, help="L importance samples for imputation")
    p.add_argument("--data-dir", default=None)
    p.add_argument("--compile", action="store_true", help="train through torch.compile (long runs)")
    p.add_argument("--summary-only", action="store_true", help="rebuild the tables from the run records")
    p.add_argument("--fresh", action="store_true", help="discard earlier run records")


def run(a: argparse.Namespace) -> dict:
    """Each run appended to <out>/notmiwae_runs.jsonl as it ends (an interrupted sweep keeps what it did); the
    table's rows summarise that file (what notmiwae.json holds)."""
    torch.set_num_threads(1)
    Path(a.out).mkdir(parents=True, exist_ok=True)
    runs_path = Path(a.out) / "notmiwae_runs.jsonl"
    if a.fresh and runs_path.exists():
        runs_path.unlink()
    if not a.summary_only:
        for ds in a.datasets:
            x, mask = protocol(ds, a.data_dir)
            print(f"{ds}: {x.shape}, missing {1 - mask.mean():.3f}", flush=True)
            for method in a.methods:
                seeds = (a.seeds or range(a.runs)) if method in NEURAL else range(1)
                for seed in seeds:
                    t0 = time.perf_counter()
                    if method in NEURAL:
                        rec = run_neural(method, x, mask, iterations=a.iterations, n_samples=a.n_samples, seed=seed,
                                         compile=a.compile)
                        rec["iterations"] = a.iterations
                    else:
                        xh = baselines.run_baseline(method, x, mask, seed=seed, **BASELINES[method])
                        rec = {"rmse": tabular.rmse_missing(x, xh, mask), "iterations": None, "n_samples": None}
                    rec.update(dataset=ds, method=method, seed=seed, seconds=round(time.perf_counter() - t0, 1))
                    _append(rec, runs_path)
                    print(f"  {method:36s} seed {seed}: RMSE {rec['rmse']:.3f} ({rec['seconds']:.0f} s)", flush=True)
    return {"rows": summarise(runs_path)}


def report(rec: dict) -> str:
    return write_tables(rec["rows"])


BENCH = bench(run, report, options=options, saved=lambda rec: rec["rows"])


if __name__ == "__main__":
    raise SystemExit(BENCH.main())
