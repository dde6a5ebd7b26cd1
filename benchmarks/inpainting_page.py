"""Wall time of the inpainting page's Run button: default settings, one MNIST image, all methods.

    python -m dgm_core bench inpainting_page [--threads 2] [--repeats 3]

Two figures: (1) the core calls the page makes (run_method + score for every method, models
already loaded, as the page's cached loaders keep them); (2) the whole page under Streamlit's
AppTest, from clicking Run to the rerun that shows every result (includes rendering). Target: at
most 3 s on 2 CPU cores. Uses MNIST test image 0 when DGM_DATA_DIR is set, else a generated digit.
The core calls run with --threads torch threads; the page runs with the app's own setting (its cached
loader sets DGM_THREADS, default 1), and both counts are recorded.

Writes benchmarks/results/inpainting_page.json and .md (every printed figure, the settings, thread
counts, the machine and its load average, the date) and prints the table.
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import threading
import time
from pathlib import Path

import torch

from benchmarks.common import machine, write_results
from dgm_core import masks, pretrained
from dgm_core.data import available, load_images
from dgm_core.device import generator, set_threads
from dgm_core.demos.inpainting import METHODS, Settings, run_method, score

PAGE = Path(__file__).resolve().parents[1] / "pages" / "inpainting.py"
RESULTS = Path(__file__).resolve().parent / "results"


def core_time(models: dict, x: torch.Tensor, mask: torch.Tensor) -> dict[str, float]:
    times = {}
    for method, model in models.items():
        t0 = time.perf_counter()
        res, _ = run_method(method, model, x, mask, dataset="mnist", settings=Settings(), truth=x)
        score(res, x, mask, dataset="mnist")
        times[method] = time.perf_counter() - t0
    return times


def page_time() -> tuple[float, int]:
    """Seconds from clicking Run to the rerun that shows every result, and the torch threads it ran with."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(PAGE), default_timeout=300)
    at.query_params["inp_methods"] = ",".join(METHODS)
    at.run()
    at.button(key="inp_run").click()
    t0 = time.perf_counter()
    at.run()
    seconds = time.perf_counter() - t0
    if at.exception or at.error:
        raise RuntimeError(f"the page failed: {[e.value for e in (*at.exception, *at.error)]}")
    return seconds, _threads_of_a_new_thread()


def _threads_of_a_new_thread() -> int:
    """torch threads a newly started thread uses, as each script run of the page is. torch keeps the
    OpenMP count per thread (a new thread takes the last value set anywhere), so this thread's own
    count says nothing about the page's."""
    seen = []
    t = threading.Thread(target=lambda: seen.append(torch.get_num_threads()))
    t.start()
    t.join()
    return seen[0]


def report(rec: dict) -> str:
    m = rec["machine"]
    return "\n".join([
        "# Inpainting page: wall time of Run, default settings, all methods", "",
        f"Command: `{rec['command']}`", "",
        f"Image: {rec['image']}, bottom half missing. Default settings: "
        + ", ".join(f"{k} {v}" for k, v in rec["settings"].items())
        + f". Median of {rec['repeats']} repeats (after one warm-up of the core calls)."
        + (f" Skipped: {'; '.join(rec['skipped'])}." if rec["skipped"] else ""), "",
        f"| core call (run_method + score; {rec['core_threads']} torch threads) | median s |", "|---|---|",
        *(f"| {label} | {t:.3f} |" for label, t in rec["core_s"].items()),
        f"| **core total (all methods)** | **{rec['core_total_s']:.3f}** |", "",
        f"Page total (AppTest, Run -> every result shown; {' / '.join(map(str, rec['page_threads']))} torch "
        f"thread(s), the app's setting): **{rec['page_total_s']:.3f} s** (repeats: "
        f"{', '.join(f'{t:.3f}' for t in rec['page_repeats_s'])}); target <= 3 s.", "",
        f"Machine: {m['platform']}, torch {m['torch']}, {m['cpu_count']} CPUs; load average (1 / 5 / 15 min) "
        f"{' / '.join(f'{v:g}' for v in m['load_average_at_start'])} at the start, "
        f"{' / '.join(f'{v:g}' for v in m['load_average_at_end'])} at the end; {m['date']}.", ""])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m dgm_core bench inpainting_page")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--out", default=str(RESULTS), help="folder for inpainting_page.json and .md")
    a = p.parse_args(argv)
    load_at_start = os.getloadavg()
    threads = set_threads(a.threads)
    models, skipped = {}, []
    for method, info in METHODS.items():
        try:
            models[method] = pretrained.load(f"{info.family}-mnist")[0] if info.family else None
        except pretrained.PretrainedError as e:
            skipped.append(f"{method}: {e}")
            print(f"skipping {method}: {e}")
    if available("mnist"):
        x = load_images("mnist", "test", binarize=True, limit=1).x[0]
        image = "MNIST test image 0, binarised"
    else:
        x = (models["mwg"].sample(1, generator(0))[0] > 0.5).float()
        image = "a digit generated by vae-mnist (seed 0; no data directory)"
    mask = masks.half((28, 28), "bottom")
    core_time(models, x, mask)  # warm-up
    runs = [core_time(models, x, mask) for _ in range(a.repeats)]
    pages, page_threads = zip(*(page_time() for _ in range(a.repeats)))
    rec = {
        "command": "python -m dgm_core bench inpainting_page" + (" " + " ".join(argv) if argv else ""),
        "settings": dataclasses.asdict(Settings()),
        "methods": list(models), "skipped": skipped, "image": image, "mask": "bottom half",
        "repeats": a.repeats, "core_threads": threads,
        "page_threads": sorted(set(page_threads)),  # set by the page's cached loader (DGM_THREADS, default 1)
        "core_s": {METHODS[m].label: round(statistics.median(r[m] for r in runs), 4) for m in models},
        "core_total_s": round(statistics.median(sum(r.values()) for r in runs), 4),
        "page_total_s": round(statistics.median(pages), 4),
        "page_repeats_s": [round(t, 4) for t in pages],
        "machine": machine(load_at_start),
    }
    write_results(a.out, "inpainting_page", rec, report(rec))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
