"""Wall time of the inpainting page's Run button: default settings, one MNIST image, all methods.

    python -m dgm_core bench inpainting_page [--threads 2] [--repeats 3]

Two figures: (1) the core calls the page makes (run_method + score for every method, models
already loaded, as the page's cached loaders keep them); (2) the whole page under Streamlit's
AppTest, from clicking Run to the rerun that shows every result (includes rendering). Target: at
most 3 s on 2 CPU cores. Uses MNIST test image 0 when DGM_DATA_DIR is set, else a generated digit.
"""
from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import torch

from dgm_core import masks, pretrained
from dgm_core.data import available, load_images
from dgm_core.device import generator, set_threads
from dgm_core.inpaint import METHODS, Settings, run_method, score

PAGE = Path(__file__).resolve().parents[1] / "app_pages" / "inpainting.py"


def core_time(models: dict, x: torch.Tensor, mask: torch.Tensor) -> dict[str, float]:
    times = {}
    for method, model in models.items():
        t0 = time.perf_counter()
        res, _ = run_method(method, model, x, mask, dataset="mnist", settings=Settings(), truth=x)
        score(res, x, mask, dataset="mnist")
        times[method] = time.perf_counter() - t0
    return times


def page_time() -> float:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(PAGE), default_timeout=300)
    at.query_params["methods"] = ",".join(METHODS)
    at.run()
    at.button(key="inp_run").click()
    t0 = time.perf_counter()
    at.run()
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m dgm_core bench inpainting_page")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeats", type=int, default=3)
    a = p.parse_args(argv)
    threads = set_threads(a.threads)
    models = {}
    for method, info in METHODS.items():
        try:
            models[method] = pretrained.load(f"{info.family}-mnist")[0] if info.family else None
        except pretrained.PretrainedError as e:
            print(f"skipping {method}: {e}")
    if available("mnist"):
        x = load_images("mnist", "test", binarize=True, limit=1).x[0]
    else:
        x = (models["mwg"].sample(1, generator(0))[0] > 0.5).float()
    mask = masks.half((28, 28), "bottom")
    core_time(models, x, mask)  # warm-up
    runs = [core_time(models, x, mask) for _ in range(a.repeats)]
    print(f"default settings {Settings()}; {threads} threads; median of {a.repeats}")
    for method in models:
        print(f"  {METHODS[method].label:32s} {statistics.median(r[method] for r in runs):.3f} s")
    total = statistics.median(sum(r.values()) for r in runs)
    print(f"core total (all methods)           {total:.3f} s")
    pages = [page_time() for _ in range(a.repeats)]
    print(f"page total (AppTest, Run -> results) {statistics.median(pages):.3f} s   target <= 3 s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
