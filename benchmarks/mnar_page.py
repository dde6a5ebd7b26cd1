"""How long the MNAR pages take to rerun after a small change, as the server runs them (Streamlit's
AppTest: the page script's wall time, without the browser's rendering or the network).

The MNAR lab opens on the shipped default run; then a display-only change, opening a tab, a slider, the
seed; the images page opens and reruns after its seed, threshold and K change. The first run of each
page is cold (torch import, model loading, the shipped run's re-imputation: once per server); every
other figure is a rerun with warm caches, the median of ``--repeats`` alternations between two values.

    python -m dgm_core bench mnar_page [--repeats 3]

writes benchmarks/results/mnar_page.json and .md. The issue's target: a small change under 1 s.
"""
from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

from benchmarks.harness import bench
import torch


ROOT = Path(__file__).resolve().parents[1]


def _timed(at, action=None) -> float:
    t0 = time.perf_counter()
    (action() if action else at).run()
    seconds = time.perf_counter() - t0
    assert not at.exception, [e.message for e in at.exception]
    return seconds


def _rerun(at, widget, values, repeats: int) -> float:
    """Median wall time of setting ``widget`` (a callable returning the element) to alternating values."""
    times = []
    for i in range(repeats * len(values)):
        times.append(_timed(at, lambda v=values[i % len(values)]: widget().set_value(v)))
    return round(statistics.median(times[len(values) - 1:] or times), 3)  # the first visit of a value is cold


def lab(repeats: int) -> dict:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "pages" / "mnar.py"), default_timeout=300)
    out = {"first load (cold: torch, models, re-imputation of the shipped run)": round(_timed(at), 3),
           "rerun, nothing changed": round(_timed(at), 3)}
    assert any("Lowest RMSE" in s.value for s in at.success), "the shipped run did not show"
    out["scatter feature"] = _rerun(at, lambda: at.selectbox(key="mnar_scatter_feature"), [3, 0], repeats)
    at.session_state["mnar_tab"] = "Missingness"
    out["open the Missingness tab"] = round(_timed(at), 3)
    out["highlighted feature (Missingness tab)"] = _rerun(at, lambda: at.selectbox(key="mnar_hist_feature"), [3, 0],
                                                         repeats)
    out["threshold offset slider (Missingness tab)"] = _rerun(at, lambda: at.slider(key="mnar_offset"), [0.25, 0.0],
                                                              repeats)
    at.session_state["mnar_tab"] = "Imputation"
    at.run()
    out["seed (Imputation tab: leaves the shipped case and back)"] = _rerun(
        at, lambda: at.number_input(key="mnar_seed"), [1, 0], repeats)
    return out


def images(repeats: int) -> dict:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "pages" / "mnar_images.py"), default_timeout=300)
    out = {"first load (cold: models, one imputation at K = 500)": round(_timed(at), 3)}
    out["seed (new lost pixels, new imputation at K = 500)"] = _rerun(
        at, lambda: at.number_input(key="mi_clip_seed"), [1, 2, 3], 1)
    out["seed, a value seen before (cached)"] = _rerun(at, lambda: at.number_input(key="mi_clip_seed"), [1, 0], repeats)
    out["threshold b (cached after the first visit)"] = _rerun(at, lambda: at.slider(key="mi_clip_b"), [0.7, 0.75],
                                                               repeats)
    return out


def options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--repeats", type=int, default=3)


def run(a: argparse.Namespace) -> dict:
    torch.set_num_threads(1)
    record = {"what": "page script wall time under AppTest (seconds); reruns: median of the alternations after "
                      "each value's first visit", "threads": torch.get_num_threads(),
              "data_dir_set": bool(os.environ.get("DGM_DATA_DIR")), "mnar_lab": lab(a.repeats),
              "mnar_images": images(a.repeats)}
    small = {f"{page}: {k}": v for page in ("mnar_lab", "mnar_images") for k, v in record[page].items()
             if not k.startswith("first load") and "new imputation" not in k}
    record["slowest small change"] = max(small.items(), key=lambda kv: kv[1])
    return record


def report(record: dict) -> str:
    lines = ["# MNAR pages: rerun time after a small change", "",
             f"AppTest page-script wall time, {record['threads']} torch thread, DGM_DATA_DIR "
             f"{'set' if record['data_dir_set'] else 'not set'}; load average at the start "
             f"{record['machine']['load_average_at_start']}. Rebuild: `{record['command']}`.", "",
             "| page | action | seconds |", "|---|---|---|"]
    for page in ("mnar_lab", "mnar_images"):
        lines += [f"| {page} | {k} | {v:.3f} |" for k, v in record[page].items()]
    lines += ["", f"Slowest small change: {record['slowest small change'][0]} "
                  f"({record['slowest small change'][1]:.3f} s)."]
    return "\n".join(lines) + "\n"


BENCH = bench(run, report, options=options)


if __name__ == "__main__":
    raise SystemExit(BENCH.main())
