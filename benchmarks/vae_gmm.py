"""VAE + GMM mutual learning, measured: held-out test accuracy (Hungarian matching) and ARI per round over
several seeds, the same for scikit-learn's variational BayesianGaussianMixture on the same latents, and
the clusters page's server-side timings (loading the shipped model, a selection's images).

    python -m dgm_core bench vae_gmm [--seeds 0 1 2] [--rounds 3] [--epochs 20] [--gibbs 100]
        [--depth D --hidden H --gibbs-start kmeans|previous|tsne --prior diag|full --first-start kmeans|tsne]
        [--first-chain gibbs|start] [--later-chain gibbs|start] [--n-train 10000] [--jobs 1] [--tag T]

``--depth``/``--hidden``/``--gibbs-start``/``--prior``/``--first-start`` try another VAE, Gibbs start (of rounds
>= 1, of round 0) or prior than the shipped recipe's (the defaults); any other choice writes
vae_gmm_depth<D>_h<H>_<start>[_full][_tsne|_kmeans][_start][_kept].{json,md} instead (round 0's start; round 0's
start kept; every later round's start kept), next to
the shipped model's figures (the seed's own recipe is ``--depth 1 --hidden 256 --gibbs-start kmeans --first-start
kmeans``). The command a file records names every choice, so it reruns the same after the defaults change. ``--jobs``
runs seeds in parallel processes (one thread each). ``--tag T`` appends ``_T`` to the file's name: a rerun on
another machine kept beside the last one (the shipped recipe's clusters move with the last bits of the float
arithmetic, so two processors can disagree by several points). The file names the processor and torch's vector
kernels (machine/cpu, machine/kernels). Forcing other kernels on one machine (ATEN_CPU_CAPABILITY=avx2,
MKL_ENABLE_INSTRUCTIONS=AVX2, OPENBLAS_CORETYPE=Haswell; recorded in machine/kernels) is no stand-in: on an AMD EPYC
it gave every figure of the shipped recipe to the last digit, its matrix products already on their AVX2 paths.

Each seed runs dgm_core.models.vae_gmm_mutual.mutual_learning exactly as the shipped recipe does (the first
10 000 training digits, all 10 000 test digits; the page's t-SNE pictures skipped), one thread. The bar: test
accuracy after mutual learning >= 0.90 averaged over the seeds, >= 0.88 on the worst, and above round 0 on every
seed (where it is not, the page says so); the goal: >= 0.93 on average and above scikit-learn's GMM on the same
latents. Writes benchmarks/results/vae_gmm.{json,md}. Needs DGM_DATA_DIR.

Which recipe ships (the rule, fixed before the t-SNE starts were run on seeds 3 to 8): among the recipe shipped
until then (round 0 from k-means), ``--first-start tsne`` and ``--first-start tsne --gibbs-start tsne``, each
measured on seeds 0 to 8 of one machine, the one whose worst seed's last round is highest; the mean over the nine
seeds breaks a tie within 0.005. It picked ``--first-start tsne`` (the defaults since).

The next rule, fixed before ``--first-chain start`` ran. Watched on seeds 0 to 2 (a scratch run on round 0's
latents), every Gibbs chain from the t-SNE start raised the GMM's likelihood while its clusters matched the digits
less than the start did; restarts chosen by the likelihood would pick that drift. ``--first-chain start`` keeps
round 0's start as its clusters (the GMM's parameters drawn once given them; its file's round 0 train accuracy is
the start's) and lets the later rounds' chains run. It ships if, over seeds 0 to 8 of one machine, its worst
seed's last round is higher than the shipped recipe's (0.760); the mean over the nine seeds breaks a tie within
0.005. It did not ship: mutual learning lowered all nine seeds (worst 0.653).

The next rule, fixed before ``--gibbs-start tsne --first-chain start --later-chain start`` ran (2026-11-26). The
chains are what lower the seeds, in round 0 and after; this recipe runs none: every round keeps k-means on a t-SNE
map of its own latents as its clusters (the GMM's parameters drawn once given them), so what the rounds still
exchange is the VAE's cluster priors. It ships if, over seeds 0 to 8 of one machine, its worst seed's last round
is higher than the shipped recipe's (0.760); the mean over the nine seeds breaks a tie within 0.005. Whatever it
gives, each seed's round 2 against its round 0 is reported. It shipped (the defaults since): worst seed 0.9145,
mean 0.9244, and mutual learning raised every one of the nine seeds (round 0's mean 0.8982).
"""
from __future__ import annotations

import argparse
import dataclasses
import time

import numpy as np
import torch

from benchmarks.common import median_ms
from benchmarks.harness import bench
from dgm_core import pretrained
from dgm_core.data import load_images
from dgm_core.demos import clusters
from dgm_core.models.vae_gmm import CHAINS, FIRST_STARTS, GIBBS_STARTS, Config, network
from dgm_core.models.vae_gmm_mutual import mutual_learning
from dgm_core.training.vae_gmm import RECIPES

BAR, BAR_WORST, GOAL = 0.90, 0.88, 0.93  # last round: mean over seeds, worst seed; goal: mean
SHIPPED = Config(**RECIPES["vae-gmm-mnist"].config)  # the shipped model's network: the defaults


def timings() -> dict:
    """Server-side cost of the page's views from the shipped model (its first load included)."""
    t0 = time.perf_counter()
    model, _ = pretrained.load("vae-gmm-mnist")
    load_ms = round(1000 * (time.perf_counter() - t0), 1)
    rows = np.arange(0, 200, 2)
    return {"load_model_ms": load_ms,
            "selection_100_images_ms": median_ms(lambda: clusters.decoded(model, 1, 1, rows)),
            "cluster_cards_ms": median_ms(lambda: clusters.cluster_cards(model, model.cfg.rounds - 1)),
            "confusion_ms": median_ms(lambda: clusters.confusion(model, 1, 1))}


def report(rec: dict) -> str:
    lines = ["# VAE + GMM mutual learning (bench vae_gmm)", "", f"`{rec['command']}`", "",
             f"VAE {rec.get('network', '784-256-12')}, Gibbs start of rounds >= 1: {rec.get('gibbs_start', 'kmeans')}, "
             f"a digit's prior: its cluster's {'full' if rec.get('prior') == 'full' else 'diagonal'} covariance. "
             "Held-out test digits (10 000); accuracy under the Hungarian "
             "matching; the LAST Gibbs state.", "",
             "| seed | round | test accuracy | test ARI | sklearn BGM accuracy | sklearn BGM ARI | train ELBO |",
             "|---|---|---|---|---|---|---|"]
    for run in rec["runs"]:
        for r in run["rounds"]:
            lines.append(f"| {run['seed']} | {r['round']} | {r['test_accuracy']:.4f} | {r['test_ari']:.4f} | "
                         f"{r['sklearn_test_accuracy']:.4f} | {r['sklearn_test_ari']:.4f} | {r['train_elbo']:.1f} |")
    s = rec["summary"]
    lines += ["", f"Round 0 mean test accuracy {s['round0_mean']:.4f}; last round {s['last_mean']:.4f} "
              f"(min over seeds {s['last_min']:.4f}); above round 0 on every seed: {s['above_round0_every_seed']}; "
              f"bar (mean >= {rec['bar']}, worst seed >= {rec['bar_worst']}, above round 0 on every seed) met: "
              f"{s['bar_met']} (short by {s['short_of_bar']:.4f} on the mean, {s['worst_short_of_bar']:.4f} on the "
              f"worst seed); goal (mean >= {rec['goal']}, above scikit-learn's GMM on every seed) met: "
              f"{s['goal_met']}."]
    m = rec.get("machine", {})
    if m.get("cpu") or m.get("kernels"):  # the clusters move with the float arithmetic: name where it ran
        lines += ["", f"Processor: {m.get('cpu') or 'not read'}; torch's kernels: {m.get('kernels') or 'not read'}."]
    if rec.get("timings"):
        lines += ["", "Page timings (server side, ms): " + ", ".join(f"{k} {v}" for k, v in rec["timings"].items())]
    return "\n".join(lines) + "\n"


def run_seed(seed: int, a: argparse.Namespace) -> dict:
    torch.set_num_threads(1)
    tr = load_images("mnist", "train", limit=a.n_train)
    te = load_images("mnist", "test")
    x_tr, y_tr, x_te, y_te = tr.x.reshape(len(tr.x), -1), tr.y.numpy(), te.x.reshape(len(te.x), -1), te.y.numpy()
    t0 = time.perf_counter()
    cfg = Config(latent=SHIPPED.latent, rounds=a.rounds, depth=a.depth, hidden=a.hidden, gibbs_start=a.gibbs_start,
                 prior=a.prior, first_start=a.first_start, first_chain=a.first_chain,
                 later_chain=a.later_chain)
    _, hist = mutual_learning(x_tr, y_tr, x_te, y_te, cfg, epochs=a.epochs, gibbs=a.gibbs, seed=seed, tsne=False)
    print(f"seed {seed}: " + ", ".join(f"round {h.round} acc {h.test_accuracy:.4f}" for h in hist), flush=True)
    return {"seed": seed, "seconds": round(time.perf_counter() - t0, 1),
            "rounds": [{k: (round(v, 4) if isinstance(v, float) else v) for k, v in dataclasses.asdict(h).items()}
                       for h in hist]}


def summarise(runs: list[dict]) -> dict:
    """Each seed's round 0 and last round -> the means, the worst seed, and the bar and goal against them."""
    first = [run["rounds"][0]["test_accuracy"] for run in runs]
    last = [run["rounds"][-1]["test_accuracy"] for run in runs]
    sk_last = [run["rounds"][-1]["sklearn_test_accuracy"] for run in runs]
    above = all(b > f for f, b in zip(first, last))
    summary = {"round0_mean": round(float(np.mean(first)), 4), "last_mean": round(float(np.mean(last)), 4),
               "last_min": round(float(np.min(last)), 4), "sklearn_last_mean": round(float(np.mean(sk_last)), 4),
               "above_round0_every_seed": above,
               "bar_met": above and float(np.mean(last)) >= BAR and min(last) >= BAR_WORST,
               "short_of_bar": round(max(0.0, BAR - float(np.mean(last))), 4),
               "worst_short_of_bar": round(max(0.0, BAR_WORST - min(last)), 4),
               "goal_met": float(np.mean(last)) >= GOAL and all(b > s for b, s in zip(last, sk_last))}
    return summary


def options(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--gibbs", type=int, default=100)
    ap.add_argument("--n-train", type=int, default=10_000)
    ap.add_argument("--depth", type=int, default=SHIPPED.depth)
    ap.add_argument("--hidden", type=int, default=SHIPPED.hidden)
    ap.add_argument("--gibbs-start", choices=list(GIBBS_STARTS), default=SHIPPED.gibbs_start)
    ap.add_argument("--prior", choices=["diag", "full"], default=SHIPPED.prior,
                    help="a digit's prior in rounds >= 1: its cluster's diagonal or full covariance")
    ap.add_argument("--first-start", choices=list(FIRST_STARTS), default=SHIPPED.first_start,
                    help="round 0's Gibbs start: k-means on the latents, or k-means on their t-SNE map")
    ap.add_argument("--first-chain", choices=list(CHAINS), default=SHIPPED.first_chain,
                    help="round 0 from its start: a Gibbs chain, or the start's clusters kept")
    ap.add_argument("--later-chain", choices=list(CHAINS), default=SHIPPED.later_chain,
                    help="rounds >= 1 from their start (--gibbs-start): a Gibbs chain, or the start's clusters kept")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--tag", default="", help="a word appended to the file's name: a rerun kept beside the last one")


def name_and_command(a: argparse.Namespace) -> tuple[str, str, bool]:
    """(file name, the command that reruns it, whether it is the shipped recipe). The command names every choice
    of the recipe, so that it still reruns the same thing after the shipped recipe's defaults change."""
    shipped = (a.depth, a.hidden, a.gibbs_start, a.prior, a.first_start, a.first_chain, a.later_chain) == (
        SHIPPED.depth, SHIPPED.hidden, SHIPPED.gibbs_start, SHIPPED.prior, SHIPPED.first_start, SHIPPED.first_chain,
        SHIPPED.later_chain)
    flags = [f"--seeds {' '.join(map(str, a.seeds))}", f"--rounds {a.rounds}", f"--epochs {a.epochs}",
             f"--gibbs {a.gibbs}", f"--depth {a.depth} --hidden {a.hidden} --gibbs-start {a.gibbs_start} "
             f"--prior {a.prior} --first-start {a.first_start} --first-chain {a.first_chain} "
             f"--later-chain {a.later_chain}"]
    flags += ([f"--n-train {a.n_train}"] if a.n_train != 10_000 else []) + ([f"--jobs {a.jobs}"] if a.jobs > 1 else [])
    flags += [f"--tag {a.tag}"] if a.tag else []
    name = "vae_gmm" if shipped else (f"vae_gmm_depth{a.depth}_h{a.hidden}_{a.gibbs_start}"
                                      + ("_full" if a.prior == "full" else "")
                                      + ("_tsne" if a.first_start == "tsne" else "")
                                      + ("_kmeans" if a.first_start == "kmeans" and SHIPPED.first_start != "kmeans"
                                         else "")
                                      + ("_start" if a.first_chain == "start" else "")
                                      + ("_kept" if a.later_chain == "start" else ""))
    name += f"_{a.tag}" if a.tag else ""
    return name, "python -m dgm_core bench vae_gmm " + " ".join(flags), shipped


def run(a: argparse.Namespace) -> dict:
    if a.jobs > 1:
        from concurrent.futures import ProcessPoolExecutor
        with ProcessPoolExecutor(a.jobs) as pool:
            runs = list(pool.map(run_seed, a.seeds, [a] * len(a.seeds)))
    else:
        runs = [run_seed(seed, a) for seed in a.seeds]
    n_test = len(load_images("mnist", "test").y)
    summary = summarise(runs)
    _, command, shipped = name_and_command(a)
    rec = {"command": command, "bar": BAR, "bar_worst": BAR_WORST, "goal": GOAL, "n_train": a.n_train,
           "n_test": n_test, "network": network(Config(latent=SHIPPED.latent, depth=a.depth, hidden=a.hidden)),
           "gibbs_start": a.gibbs_start, "prior": a.prior, "first_start": a.first_start, "first_chain": a.first_chain,
           "later_chain": a.later_chain, "tag": a.tag, "runs": runs, "summary": summary}
    if shipped and not a.tag:
        try:
            rec["timings"] = timings()
        except pretrained.PretrainedError as e:  # no shipped model yet: the accuracy figures stand alone
            rec["timings_missing"] = str(e)
    return rec


BENCH = bench(run, report, options=options, file=lambda a: name_and_command(a)[0])


if __name__ == "__main__":
    raise SystemExit(BENCH.main())
