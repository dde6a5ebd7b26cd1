"""Issue 58's bars, each against the figure that decides it: the generators' digits and the flow inpainter.

    python -m dgm_core bench generator_bars [--n 2000]

- Digits a class recognises: the share of samples our MNIST classifier labels with confidence >= 0.9, and the
  Fréchet distance in its features (dgm_core.sample_quality), as the cards and ``bench wgan`` measured them: flow-mnist
  from its card (10 000 samples, its sample_steps Heun steps), wgan-mnist from benchmarks/results/wgan.json.
- A clean background (measured here): the mean grey value, on the pixels that are 0 in 95 % of the first ``--n``
  real training digits, of ``--n`` samples of each generator (flow: its card's sample_steps Heun steps from seed 1000's
  noise, as its card's; WGAN: z from seed 0, as ``bench wgan``'s), against the same of ``--n`` real test digits.
- The flow inpainter against the exact sampler: F1 of the mean, MNIST bottom half and random 60 %, read from
  benchmarks/results/inpainting_flow_smc.json (the particle filter with its largest particle count, and the twisted
  filter with its largest, against issue 67's bar of -0.02).
Each bar: the figure, the bar, the goal, and by how much the figure falls short of the bar (0 when it meets it).

Writes benchmarks/results/generator_bars.{json,md}. Needs DGM_DATA_DIR (MNIST).
"""
from __future__ import annotations

import argparse
import json
import time

import torch

from benchmarks.common import machine_line
from benchmarks.harness import RESULTS, BenchError, bench
from benchmarks import wgan as wgan_targets
from dgm_core import pretrained
from dgm_core.data import available, load_images
from dgm_core.demos import flow_samples as fs
from dgm_core.sample_quality import batched

BACKGROUND_RATIO_BAR = 1.5  # the bar: the samples' background at most 1.5 times real digits'


def bar(name: str, value: float, bar_: float, goal: float, higher_is_better: bool = True) -> dict:
    short = (bar_ - value) if higher_is_better else (value - bar_)
    return {"what": name, "value": round(value, 4), "bar": bar_, "goal": goal, "meets_bar": short <= 0,
            "short_of_bar": round(max(short, 0.0), 4)}


@torch.no_grad()
def backgrounds(n: int) -> dict:
    train, test = load_images("mnist", "train", limit=n).x, load_images("mnist", "test", limit=n).x
    where = fs.background(train)
    flow, card = pretrained.load("flow-mnist")
    steps = int(card.metrics["sample_steps"])
    g = torch.Generator().manual_seed(1000)  # the card's noise (dgm_core.training.flow measure)
    flow_x = torch.cat([flow.sample(min(500, n - i), n_steps=steps, method="heun", generator=g)
                        for i in range(0, n, 500)])
    wgan = pretrained.load("wgan-mnist")[0]
    wgan_x = batched(wgan.generate, torch.randn(n, wgan.latent, generator=torch.Generator().manual_seed(0)))
    real = fs.background_level(test, where)
    out = {"pixels": int(where.sum()), "n": n, "real_test_digits": round(real, 5), "flow_steps": steps}
    for name, x in (("flow-mnist", flow_x), ("wgan-mnist", wgan_x)):
        level = fs.background_level(x, where)
        out[name] = {"level": round(level, 5), "ratio_to_real": round(level / real, 3)}
    return out


def run(a: argparse.Namespace) -> dict:
    if not available("mnist"):
        raise BenchError("no MNIST digits: set DGM_DATA_DIR (see docs/GUIDE.md, Data)")
    n, root = a.n, RESULTS  # the other benches' committed figures
    flow = pretrained.load_card("flow-mnist").metrics
    wgan = json.loads((root / "wgan.json").read_text())["digits"]
    bg = backgrounds(n)
    _, wgan_bar, wgan_goal, _ = wgan_targets.TARGETS[wgan_targets.RECOGNISED]
    bars = [bar("wgan-mnist digits recognised", wgan["wgan-mnist"]["confident_share"], wgan_bar, wgan_goal),
            bar("flow-mnist digits recognised", flow["confident_share"], 0.85, 0.90),
            bar("flow-mnist Fréchet distance", flow["frechet_distance"], 5.0, 3.0, higher_is_better=False),
            bar("flow-mnist background / real digits'", bg["flow-mnist"]["ratio_to_real"], BACKGROUND_RATIO_BAR, 1.0,
                higher_is_better=False)]
    smc_file = root / "inpainting_flow_smc.json"
    if smc_file.exists():
        smc = json.loads(smc_file.read_text())
        most = max(smc["particles"])
        for mask in ("bottom half", "random 60 %"):
            (r,) = [r for r in smc["records"] if r["mask"] == mask and r.get("particles") == most]
            bars.append(bar(f"flow particle filter ({most} particles) - exact sampler, F1, {mask}",
                            r["difference_vs_exact"], -0.05, 0.0))
        twisted = [r for r in smc["records"] if r.get("twisted_particles")]
        for mask in ("bottom half", "random 60 %"):  # issue 67's bar for the twisted filter
            rows = [r for r in twisted if r["mask"] == mask]
            if rows:
                r = max(rows, key=lambda r: r["twisted_particles"])
                bars.append(bar(f"flow twisted particle filter ({r['twisted_particles']} particles) - exact sampler, "
                                f"F1, {mask}", r["difference_vs_exact"], -0.02, 0.0))
    return {"backgrounds": bg, "bars": bars, "flow_card": {k: flow[k] for k in ("confident_share", "frechet_distance",
                                                                             "real_confident_share", "frechet_floor",
                                                                             "samples", "steps")},
            "wgan_bench": {"confident_share": wgan["wgan-mnist"]["confident_share"],
                           "frechet_distance": wgan["wgan-mnist"]["frechet_distance"]},
            "seconds": round(time.monotonic() - a.started, 1)}


def report(rec: dict) -> str:
    bg = rec["backgrounds"]
    lines = ["# Issue 58's bars: generators and the flow inpainter\n",
             f"Background: the {bg['pixels']} pixels that are 0 in 95 % of {bg['n']} real training digits; mean grey "
             f"value there: real test digits {bg['real_test_digits']}, flow-mnist {bg['flow-mnist']['level']}, "
             f"wgan-mnist {bg['wgan-mnist']['level']} ({bg['n']} samples each).\n",
             "| bar | figure | bar | goal | short of the bar by |", "|---|---|---|---|---|"]
    lines += [f"| {b['what']} | {b['value']} | {b['bar']} | {b['goal']} | {b['short_of_bar']} |" for b in rec["bars"]]
    lines += ["", f"Command: `{rec['command']}`. {machine_line(rec['machine'])}", ""]
    return "\n".join(lines)


def options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--n", type=int, default=2000)


BENCH = bench(run, report, options=options, threads=1)



if __name__ == "__main__":
    raise SystemExit(BENCH.main())
