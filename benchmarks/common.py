"""What the benchmarks share: where a timing was taken, and writing a results file pair."""
from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path

import torch


def machine(load_at_start: tuple[float, ...]) -> dict:
    """Timings compare only on the same machine under the same load: the load average at the start shows
    what else was running; at the end it includes this run."""
    return {"platform": platform.platform(), "machine": platform.machine(), "python": platform.python_version(),
            "torch": torch.__version__, "cpu_count": os.cpu_count(),
            "load_average_at_start": [round(v, 2) for v in load_at_start],
            "load_average_at_end": [round(v, 2) for v in os.getloadavg()],
            "date": time.strftime("%Y-%m-%d %H:%M %Z")}


def write_results(out: str | Path, name: str, record: dict, report: str) -> None:
    """``<out>/<name>.json`` (every figure) and ``<out>/<name>.md`` (the report), then print the report."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.json").write_text(json.dumps(record, indent=1) + "\n")
    (out / f"{name}.md").write_text(report)
    print(report)
    print(f"wrote {out / (name + '.json')} and {out / (name + '.md')}")
