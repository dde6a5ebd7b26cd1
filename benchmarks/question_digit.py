"""Which digit the lecture's "which digit is it?" question shows: the one whose answer is most in doubt, chosen by a
fixed rule, not by eye.

    python -m dgm_core bench question_digit [--n-images 40]

Rule (fixed before looking): hide the top half of each of the first N MNIST test digits and run the exact sampler
(method "mwg", the inpainting page's default settings); the shipped digit classifier reads each of its draws. An
image's doubt is the entropy (nats) of the share of draws read as each digit. The question shows the image of the
largest doubt (then the most distinct digits read, then the lowest index), leaving out the inpainting page's default
image, whose top half the lecture's earlier steps show. The lecture deck's step carries the chosen index in its link
(a test holds them equal).

Writes benchmarks/results/question_digit.{json,md}. Needs DGM_DATA_DIR (test images).
"""
from __future__ import annotations

import argparse
import dataclasses
import math
import time

from benchmarks.harness import BenchError, bench
from dgm_core import masks, pretrained
from dgm_core.data import available, load_images
from dgm_core.demos.inpainting import Settings, default_index, run_method
from dgm_core.methods import INPAINTING
from dgm_core.models.digits import read_digits

MASK = "top"


def doubt(shares: list[float]) -> float:
    """The entropy (nats) of a share per digit: 0 where every draw reads the same digit, log 10 at most."""
    return abs(sum(p * math.log(p) for p in shares if p > 0))


def run(a: argparse.Namespace) -> dict:
    if not available("mnist"):
        raise BenchError("no MNIST test images: set DGM_DATA_DIR (see docs/GUIDE.md, Data)")
    model, _ = pretrained.load("vae-mnist")
    net, _ = pretrained.load("digits-mnist")
    x = load_images("mnist", "test", binarize=True, limit=a.n_images).x
    mask = masks.half(tuple(x.shape[-2:]), MASK)
    skip, rows, t0 = default_index("mnist"), [], time.perf_counter()
    for i in range(x.shape[0]):
        res, _ = run_method("mwg", model, x[i], mask, dataset="mnist", settings=Settings(), truth=x[i])
        shares = read_digits(net, res.samples[0])
        rows.append({"index": i, "read": [round(s, 4) for s in shares], "doubt": round(doubt(shares), 4),
                     "digits_read": sum(s > 0 for s in shares)})
        print(f"#{i}: doubt {rows[-1]['doubt']:.3f} over {rows[-1]['digits_read']} digits", flush=True)
    chosen = max((r for r in rows if r["index"] != skip), key=lambda r: (r["doubt"], r["digits_read"], -r["index"]))
    return {"rule": __doc__.split("Rule (fixed before looking): ")[1].split("\n\n")[0].replace("\n", " "),
            "exact_label": INPAINTING.label("mwg"), "settings": dataclasses.asdict(Settings()), "mask": MASK,
            "draws": int(res.samples.shape[1]), "left_out": skip, "n_images": len(rows), "images": rows,
            "index": chosen["index"], "doubt": chosen["doubt"], "digits_read": chosen["digits_read"],
            "certain": sum(r["doubt"] == 0 for r in rows), "seconds_sampling": round(time.perf_counter() - t0, 1)}


def report(rec: dict) -> str:
    shares = rec["images"][[r["index"] for r in rec["images"]].index(rec["index"])]["read"]
    read = ", ".join(f"{d}: {s:.0%}" for d, s in enumerate(shares) if s > 0)
    return "\n".join([
        "# The lecture's \"which digit is it?\" image", "", f"Command: `{rec['command']}`", "",
        f"Rule: {rec['rule']}", "", f"Exact sampler: {rec['exact_label']}, {rec['draws']} draws, the top half hidden.",
        "", f"Chosen: test image #{rec['index']}, doubt {rec['doubt']:.3f} nats over {rec['digits_read']} digits "
        f"({read}). Of the {rec['n_images']} images, {rec['certain']} had every draw read as one digit.", "",
        f"Machine: {rec['machine']['platform']}, {rec['machine']['date']}.", ""])


def options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--n-images", type=int, default=40)


BENCH = bench(run, report, options=options, threads=1)

if __name__ == "__main__":
    raise SystemExit(BENCH.main())
