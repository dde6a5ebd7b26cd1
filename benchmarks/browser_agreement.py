"""One algorithm, two runtimes, on many images: the browser's inpainting (static/js/workers/inpaint.worker.js, its own
seeded generator) and dgm_core's (torch's) score alike over n images per data set.

    python -m dgm_core bench browser_agreement [--n 20] [--datasets mnist omniglot celeba] [--keep-others]

The parity tests (tests/e2e/test_browser_inpaint.py) replay torch's draws to the worker and ask for the same pixels;
here each side draws its own numbers, as on the page, so the two scores of an image differ by Monte Carlo noise only.
For each data set: n test images (the first n of the test split with ``DGM_DATA_DIR``; without it, n images the
shipped VAE draws, binarised where the data set is binary), the page's default mask (the bottom half) and default
settings, image i with seed i. Every method the browser runs on that data set computes in chromium's worker (against
a fresh server of the app, for its static files) and with dgm_core (one torch thread); both results are scored by
dgm_core (``inpainting.score``). Per method: the mean F1 (binary data) and squared error of each side, the
benchmark's standard error (the server's across images, sd / √n), the paired difference and its standard error, and
whether the two means agree within the benchmark's standard error. MIWAE, whose score of one image jumps with its
draws (a handful of effective importance samples on a half mask), also runs on ``--seed-sets`` sets of seeds on each
side: the means of the sets say whether the runtimes differ beyond that noise.

``--keep-others`` keeps the file's records of the data sets not rerun (what a retrained model of one data set needs);
each kept record names the command and machine that measured it. Writes benchmarks/results/browser_agreement.{json,md}.
"""
from __future__ import annotations

import argparse
import math
import os
import statistics
import time

from benchmarks.harness import bench, stamp
import torch
from scipy.stats import wilcoxon

from benchmarks.common import CHROMIUM_ARGS, machine_line, streamlit_server, worker_job
from dgm_core import masks, pretrained
from dgm_core.demos import inpainting
from dgm_core.device import generator
from dgm_core.samplers.diagnostics import tracked_pixels
from server import border
from server.inpaint_job import RUNTIME, SETTINGS, WORKER_URL, as_rows, browser_methods, model_specs

DATASETS = ("mnist", "omniglot", "celeba")
SCORES = ("F1", "MSE")


def images(dataset: str, n: int) -> tuple[torch.Tensor, str]:
    """n images (N, C, H, W) in [0, 1] and where they come from: the test split where the data is, else the VAE's."""
    from dgm_core.data import available, load_images
    if available(dataset):
        size = inpainting.SIZE[dataset]
        x = load_images(dataset, "test", binarize=inpainting.BINARY[dataset],
                        size=size if dataset == "celeba" else None, limit=n).x
        return x[:n].float(), f"the first {n} test images"
    vae, _ = pretrained.load(f"vae-{dataset}")
    with torch.no_grad():
        if inpainting.BINARY[dataset]:
            return (vae.sample(n, generator(3)) > 0.5).float(), \
                f"{n} binarised samples of the shipped VAE (no data set)"
        return vae.mean(vae.decode(torch.randn(n, vae.cfg.latent, generator=generator(3)))), \
            f"{n} decoder means of the shipped VAE (no data set)"


def compare(page, app_url: str, dataset: str, xs: torch.Tensor, mask: torch.Tensor, settings: inpainting.Settings,
            methods: list[str], repeats: int = 1) -> dict[str, dict[str, list[tuple[float, float]]]]:
    """method -> score -> [(dgm_core's, the browser's)] per image and repeat; image i of repeat r runs with seed
    settings.seed + 1000 r + i."""
    models = {f: pretrained.load(f"{f}-{dataset}")[0] for f in {inpainting.INPAINTING[m].family for m in methods} if f}
    track = tracked_pixels(mask.view(1, 1, *mask.shape), tuple(xs.shape[1:]))[0]
    out: dict[str, dict[str, list[tuple[float, float]]]] = {m: {} for m in methods}
    for r, i in ((r, i) for r in range(repeats) for i in range(xs.shape[0])):
        x = xs[i]
        s = inpainting.Settings(**{**settings.__dict__, "seed": settings.seed + 1000 * r + i})
        msg = {"cmd": "run", "id": i, "runtime": RUNTIME, "models": model_specs(dataset),
               "image": x.reshape(-1).tolist(), "mask": mask.reshape(-1).int().tolist(), "shape": list(x.shape),
               "methods": methods, "binary": inpainting.BINARY[dataset],
               "settings": {f: getattr(s, f) for f in SETTINGS}, "track": track.tolist()}
        got = worker_job(page, app_url, WORKER_URL, msg, keep=True)
        if got["end"]["type"] != "done":
            raise RuntimeError(f"the browser's run stopped: {got['end']}")
        rows = as_rows([border.sent(r) for r in got["results"]], x, mask, s, dataset=dataset, track=track)
        for (_, scores, _), m in zip(rows, methods, strict=True):
            family = inpainting.INPAINTING[m].family
            ref, _ = inpainting.run_method(m, models.get(family), x, mask, dataset=dataset, settings=s, truth=x)
            want = inpainting.score(ref, x, mask, dataset=dataset)
            for k in SCORES:
                if k in want:
                    out[m].setdefault(k, []).append((want[k], scores[k]))
    return out


def agreement(pairs: list[tuple[float, float]]) -> dict:
    """Each side's mean, the benchmark's standard error (dgm_core's scores across images), the paired difference
    (browser - dgm_core) with its standard error and their ratio z, the paired Wilcoxon signed-rank test's p (robust
    where one image's score jumps with its draws, as importance sampling's does with few effective samples), and
    whether the means agree within the benchmark's SE."""
    ref, got = [p[0] for p in pairs], [p[1] for p in pairs]
    n = len(pairs)
    diff = [b - a for a, b in pairs]
    se = statistics.stdev(ref) / math.sqrt(n) if n > 1 else float("nan")
    d_se = statistics.stdev(diff) / math.sqrt(n) if n > 1 else float("nan")
    mean = statistics.fmean(diff)
    same = max(abs(d) for d in diff) <= 1e-6  # a method without draws in its mean: float noise only
    return {"n": n, "dgm_core": statistics.fmean(ref), "browser": statistics.fmean(got), "se": se,
            "difference": mean, "difference_se": d_se, "z": 0.0 if same else mean / d_se,
            "wilcoxon_p": 1.0 if same else float(wilcoxon(got, ref).pvalue), "agree": abs(mean) <= se}


def set_means(pairs: list[tuple[float, float]], n: int) -> dict:
    """Pairs of consecutive sets of n images (a set per seed offset) -> each side's mean per set, the mean over sets
    ± its SE, and the paired Wilcoxon test over every image and set."""
    sets = [pairs[k:k + n] for k in range(0, len(pairs), n)]
    ref = [statistics.fmean(a for a, _ in s) for s in sets]
    got = [statistics.fmean(b for _, b in s) for s in sets]
    se = lambda v: statistics.stdev(v) / math.sqrt(len(v))  # noqa: E731
    return {"sets": len(sets), "dgm_core_per_set": ref, "browser_per_set": got,
            "dgm_core": statistics.fmean(ref), "dgm_core_se": se(ref), "browser": statistics.fmean(got),
            "browser_se": se(got), "wilcoxon_p": agreement(pairs)["wilcoxon_p"]}


def measure(n: int, datasets: list[str], seed_sets: int) -> dict:
    from playwright.sync_api import sync_playwright
    torch.set_num_threads(1)  # as the app's server computes
    env = {**os.environ, "DGM_WARMUP": "0"}
    out = {}
    with streamlit_server(env=env) as (url, _), sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_context().new_page()
        for ds in datasets:
            t0 = time.monotonic()
            xs, source = images(ds, n)
            side = inpainting.SIZE[ds]
            mask = masks.preset(inpainting.CONTROLS["preset"].default, (side, side))
            methods = browser_methods(ds)
            s = inpainting.default_settings(ds)
            pairs = compare(page, url, ds, xs, mask, s, methods)
            # MIWAE's score of one image jumps with its draws (few effective samples): its means over sets of
            # seeds, each side, say whether the two differ beyond that noise
            sets = compare(page, url, ds, xs, mask, s, ["miwae"], repeats=seed_sets)["miwae"] if seed_sets else {}
            out[ds] = {"images": source, "mask": inpainting.CONTROLS["preset"].default, "methods": methods,
                       "settings": {f: getattr(s, f) for f in SETTINGS},
                       "scores": {m: {k: {**agreement(v), "pairs": v} for k, v in by.items()}
                                  for m, by in pairs.items()},
                       "miwae_seed_sets": {k: set_means(v, xs.shape[0]) for k, v in sets.items()},
                       "seconds": round(time.monotonic() - t0, 1)}
            print(ds, {m: {k: (round(v["difference"], 4), round(v["se"], 4), v["agree"]) for k, v in by.items()}
                       for m, by in out[ds]["scores"].items()}, flush=True)
        browser.close()
    return out


def report(rec: dict) -> str:
    lines = ["# The browser's inpainting against dgm_core's, image by image\n",
             "Each side draws its own random numbers (the worker's seeded generator, torch's), as on the page; the "
             "same images, mask, settings and seeds. Agree: the two means differ by at most the benchmark's standard "
             "error (dgm_core's scores across the images, sd / √n). z: the paired difference over its own standard "
             "error; Wilcoxon p: the paired signed-rank test, robust where an image's score jumps with its draws. A "
             "method with few effective importance samples (MIWAE on a half mask) or chains that have not mixed can "
             "miss the first test by Monte Carlo noise alone: its p says whether the two differ systematically.\n"]
    for ds, r in rec["datasets"].items():
        lines += [f"## {ds}: {r['images']}, mask {r['mask']}\n"]
        if "measured_by" in r:
            lines += [f"Measured by `{r['measured_by']['command']}`. {machine_line(r['measured_by']['machine'])}\n"]
        lines += [
                  "| method | score | dgm_core | browser | benchmark's SE | browser − dgm_core (± SE) | z | Wilcoxon p "
                  "| agree |", "|---|---|---|---|---|---|---|---|---|"]
        for m, by in r["scores"].items():
            for k, v in by.items():
                lines.append(f"| {inpainting.INPAINTING.label(m)} | {k} | {v['dgm_core']:.4f} | {v['browser']:.4f} | "
                             f"{v['se']:.4f} | {v['difference']:+.4f} ± {v['difference_se']:.4f} | {v['z']:+.2f} | "
                             f"{v['wilcoxon_p']:.2g} | {'yes' if v['agree'] else 'NO'} |")
        if r.get("miwae_seed_sets"):
            lines += ["", f"MIWAE over sets of seeds (image i of set k: seed {r['settings']['seed']} + 1000 k + i):",
                      "", "| score | sets | dgm_core, mean of sets (± SE) | browser (± SE) | Wilcoxon p, every image "
                      "and set |", "|---|---|---|---|---|"]
            for k, v in r["miwae_seed_sets"].items():
                lines.append(f"| {k} | {v['sets']} | {v['dgm_core']:.4f} ± {v['dgm_core_se']:.4f} | "
                             f"{v['browser']:.4f} ± {v['browser_se']:.4f} | {v['wilcoxon_p']:.2g} |")
        lines.append("")
    lines += [f"All agree within the benchmark's SE: {rec['all_agree']}; largest |z|: {rec['max_abs_z']:.2f}; "
              f"smallest Wilcoxon p: {rec['min_wilcoxon_p']:.2g}.", "",
              f"Command: `{rec['command']}`. {machine_line(rec['machine'])}", ""]
    return "\n".join(lines)


def options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--n", type=int, default=20, help="images per data set")
    p.add_argument("--datasets", nargs="+", default=list(DATASETS), choices=DATASETS)
    p.add_argument("--seed-sets", type=int, default=10, help="sets of seeds MIWAE runs on each side (0: none)")
    p.add_argument("--keep-others", action="store_true",
                   help="keep the results file's records of the data sets left out of --datasets")


def run(a: argparse.Namespace) -> dict:
    if a.keep_others and a.previous.get("n") not in (None, a.n):
        raise SystemExit(f"--keep-others keeps records of {a.previous['n']} images a data set; rerun with --n "
                         f"{a.previous['n']}, or without --keep-others")
    got = measure(a.n, a.datasets, a.seed_sets)
    previous = a.previous.get("datasets", {}) if a.keep_others else {}
    if previous:  # each data set's record says which run measured it
        got = {ds: {"measured_by": {"command": a.previous["command"], "machine": a.previous["machine"]}, **r}
               for ds, r in previous.items() if ds not in got} | {ds: {"measured_by": stamp(a), **r}
                                                                   for ds, r in got.items()}
        got = {ds: got[ds] for ds in DATASETS if ds in got}
    return {"n": a.n, "datasets": got,
            "all_agree": all(v["agree"] for r in got.values() for by in r["scores"].values() for v in by.values()),
            "max_abs_z": max(abs(v["z"]) for r in got.values() for by in r["scores"].values()
                             for v in by.values()),
            "min_wilcoxon_p": min(v["wilcoxon_p"] for r in got.values() for by in r["scores"].values()
                                  for v in by.values())}


BENCH = bench(run, report, options=options)


if __name__ == "__main__":
    raise SystemExit(BENCH.main())
