"""The one harness of the benchmark scripts: each ``benchmarks/<name>.py`` keeps its own ``run(args) -> record`` and
``report(record) -> markdown`` (and its own options) and ends with

    BENCH = bench(run, report, options=options)

    if __name__ == "__main__":
        raise SystemExit(BENCH.main())

``BENCH.main`` parses the options every script shares (``--out``: the folder for the results pair; ``--threads``
where the script asks for it), runs ``run``, stamps its record with the command that reran it, the machine with its
load average at the start and the end, and the run's seconds (``machine/seconds``), writes ``<out>/<file>.json`` and
``<out>/<file>.md`` and prints the report. ``python -m dgm_core bench <name>`` runs ``python -m benchmarks.<name>``:
the scripts that call ``bench`` (``REGISTRY`` holds those imported; the CLI finds them by their file).
"""
from __future__ import annotations

import argparse
import inspect
import json
import os
import shlex
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.common import machine, write_results

RESULTS = Path(__file__).resolve().parent / "results"  # the committed results pairs
COMMAND = "python -m dgm_core bench"


class BenchError(Exception):
    """What a script cannot run with (a bad option, a missing data set): one sentence, exit status 2."""


@dataclass
class Bench:
    """One benchmark script. ``options(parser)`` adds its own options; ``threads``: the default of ``--threads``
    (torch's thread count, set before ``run``; None: no such option). ``run(args)`` returns the record (None: nothing
    to write, e.g. a child process's part); ``args.previous`` holds the last results file's JSON ({} if none) and
    ``args.command`` the command line. ``file(args)``: the results file's name (default: the script's). ``merge(old,
    record, args)``: the document to write from the previous one and the stamped record (default: the record).
    ``saved(document)``: what the JSON holds of it (default: all of it; the report always reads the whole). ``stamp``:
    whether the harness stamps the record (a script whose file keeps several runs' records stamps each with
    ``stamp(args)``). ``ok(record)``: whether the run succeeded (exit status 0, else 1)."""

    name: str
    doc: str
    run: Callable[[argparse.Namespace], Any]
    report: Callable[[Any], str]
    options: Callable[[argparse.ArgumentParser], None] | None = None
    threads: int | None = None
    file: Callable[[argparse.Namespace], str] | None = None
    merge: Callable[[Any, Any, argparse.Namespace], Any] | None = None
    saved: Callable[[Any], Any] | None = None
    stamp: bool = True
    ok: Callable[[Any], bool] | None = None

    def parser(self) -> argparse.ArgumentParser:
        p = argparse.ArgumentParser(prog=f"{COMMAND} {self.name}", description=self.doc.strip().split("\n")[0],
                                    formatter_class=argparse.RawDescriptionHelpFormatter)
        if self.options:
            self.options(p)
        if self.threads is not None:
            p.add_argument("--threads", type=int, default=self.threads, help="torch's threads (default %(default)s)")
        p.add_argument("--out", default=str(RESULTS), help=f"the folder for the results pair (default {RESULTS})")
        return p

    def main(self, argv: list[str] | None = None) -> int:
        argv = sys.argv[1:] if argv is None else list(argv)
        p = self.parser()
        a = p.parse_args(argv)
        if self.threads is not None:
            from dgm_core.device import set_threads

            a.threads = set_threads(a.threads)
        a.command = f"{COMMAND} {self.name}" + (" " + shlex.join(argv) if argv else "")
        a.load_at_start, a.started = os.getloadavg(), time.monotonic()
        name = self.file(a) if self.file else self.name
        path = Path(a.out) / f"{name}.json"
        a.previous = json.loads(path.read_text()) if path.exists() else {}
        try:
            rec = self.run(a)
        except BenchError as e:
            p.error(str(e))
        if rec is None:
            return 0
        if self.stamp and isinstance(rec, dict):
            for k, v in stamp(a).items():
                rec.setdefault(k, v)
        doc = self.merge(a.previous, rec, a) if self.merge else rec
        write_results(a.out, name, self.saved(doc) if self.saved else doc, self.report(doc))
        return 0 if self.ok is None or self.ok(rec) else 1


def stamp(a: argparse.Namespace) -> dict:
    """The command that reran the record, and the machine with its load and the seconds since the run began."""
    return {"command": a.command,
            "machine": {**machine(a.load_at_start), "seconds": round(time.monotonic() - a.started, 1)}}


def keyed(key: Callable[[dict], str]) -> Callable[[dict, dict, argparse.Namespace], dict]:
    """A ``merge`` for a file that keeps several runs' records, {"records": {key(record): record}}: this run's
    record replaces the one with its key."""
    return lambda old, rec, a: {**old, "records": {**old.get("records", {}), key(rec): rec}}


REGISTRY: dict[str, Bench] = {}


def bench(run: Callable[[argparse.Namespace], Any], report: Callable[[Any], str], **kw) -> Bench:
    """The ``Bench`` of the script that defines ``run`` (its name: the file's), registered under that name."""
    module = inspect.unwrap(run).__globals__  # a decorated run (torch.no_grad) names its script all the same
    b = Bench(Path(module["__file__"]).stem, module.get("__doc__") or "", run, report, **kw)
    REGISTRY[b.name] = b
    return b
