"""Which test image the inpainting page opens on: a typical one, chosen by a fixed rule, not by eye.

    python -m dgm_core bench inpainting_default [--n-images 40] [--datasets mnist omniglot]

Rule (fixed before looking): with the page's default settings and default mask (bottom half), run the
exact sampler (method "mwg", whatever kernel the page uses by default) and pseudo-Gibbs on each of the
first N test images; the gain of an image is the exact sampler's F1 on the missing pixels minus
pseudo-Gibbs's (MSE the other way round for faces). The page opens on the image whose gain is the
median of the N gains: a typical image, not the best one. The file also records on how many images
the exact sampler wins, so the page can say plainly when the typical image does not show the lesson.

Writes benchmarks/results/inpainting_default.{json,md}. Needs DGM_DATA_DIR (test images).
"""
from __future__ import annotations

import argparse
import dataclasses
import statistics
import time

from benchmarks.harness import BenchError, bench
from dgm_core import masks, pretrained
from dgm_core.data import available, load_images
from dgm_core.demos.inpainting import BINARY, Settings, run_method, score
from dgm_core.methods import INPAINTING

MASK = "bottom"


def gains(dataset: str, n: int) -> dict:
    model, _ = pretrained.load(f"vae-{dataset}")
    x = load_images(dataset, "test", binarize=BINARY[dataset], size=32 if dataset == "celeba" else None, limit=n).x
    mask = masks.half(tuple(x.shape[-2:]), MASK)
    key = "F1" if BINARY[dataset] else "MSE"
    rows, t0 = [], time.perf_counter()
    for i in range(x.shape[0]):
        s = {}
        for method in ("mwg", "pseudo_gibbs"):
            res, _ = run_method(method, model, x[i], mask, dataset=dataset, settings=Settings(), truth=x[i])
            s[method] = score(res, x[i], mask, dataset=dataset)[key]
        gain = s["mwg"] - s["pseudo_gibbs"] if key == "F1" else s["pseudo_gibbs"] - s["mwg"]
        rows.append({"index": i, "exact": round(s["mwg"], 4), "pseudo_gibbs": round(s["pseudo_gibbs"], 4),
                     "gain": round(gain, 4)})
        print(f"{dataset} #{i}: exact {s['mwg']:.3f} pseudo-Gibbs {s['pseudo_gibbs']:.3f}", flush=True)
    ordered = sorted(rows, key=lambda r: (r["gain"], r["index"]))
    chosen = ordered[(len(ordered) - 1) // 2]  # the lower median: an image that exists
    return {"metric": key, "mask": MASK, "n_images": len(rows), "images": rows,
            "median_gain": round(statistics.median(r["gain"] for r in rows), 4),
            "exact_wins": sum(r["gain"] > 0 for r in rows), "ties": sum(r["gain"] == 0 for r in rows),
            "default_index": chosen["index"], "default_gain": chosen["gain"],
            "seconds": round(time.perf_counter() - t0, 1)}


def report(rec: dict) -> str:
    lines = ["# The inpainting page's default image", "", f"Command: `{rec['command']}`", "",
             f"Rule: {rec['rule']}", "", f"Exact sampler: {rec['exact_label']}. Settings: "
             + ", ".join(f"{k} {v}" for k, v in rec["settings"].items()) + ".", "",
             "| data set | images | exact sampler wins | median gain | default image | its gain |",
             "|---|---|---|---|---|---|"]
    for ds, r in rec["datasets"].items():
        lines.append(f"| {ds} | {r['n_images']} | {r['exact_wins']} (ties {r['ties']}) | {r['median_gain']:+.4f} "
                     f"({r['metric']}) | #{r['default_index']} | {r['default_gain']:+.4f} |")
    return "\n".join(lines + ["", f"Machine: {rec['machine']['platform']}, {rec['machine']['date']}.", ""])


def options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--n-images", type=int, default=40)
    p.add_argument("--datasets", nargs="+", default=["mnist", "omniglot"])


def run(a: argparse.Namespace) -> dict:
    missing = [d for d in a.datasets if not available(d)]
    if missing:
        raise BenchError(f"no test images for {', '.join(missing)}: set DGM_DATA_DIR (see docs/GUIDE.md, Data)")
    return {"rule": __doc__.split("Rule (fixed before looking): ")[1].split("\n\n")[0].replace("\n", " "),
            "exact_label": INPAINTING.label("mwg"), "settings": dataclasses.asdict(Settings()),
            "datasets": {d: gains(d, a.n_images) for d in a.datasets}}


BENCH = bench(run, report, options=options, threads=1)


if __name__ == "__main__":
    raise SystemExit(BENCH.main())
