"""Command line: ``python -m dgm_core {list,train,evaluate,bench,docs}``.

    python -m dgm_core list                      shipped models and their headline metrics
    python -m dgm_core train vae-mnist           rebuild a shipped model into pretrained/
    python -m dgm_core train vae-mnist --dry-run a few steps into a temporary folder (smoke test)
    python -m dgm_core train wgan-mnist --resume continue a long run from pretrained/checkpoints/wgan-mnist.pt
    python -m dgm_core evaluate vae-mnist        re-measure a card's test metrics from its weights
    python -m dgm_core bench <name> [args]       re-measure a benchmark: python -m benchmarks.<name>
    python -m dgm_core bench                     list the benchmarks
    python -m dgm_core precompute mnar-grid      the MNAR lab's grid of fits (resumable; dgm_core.demos.mnar_grid)
    python -m dgm_core train-all --out DIR [--device cuda] [--budget-s 480]   every recipe that gains from a GPU
    python -m dgm_core manifest                  static/js/manifest.json: the facts and module hashes the browser reads
    python -m dgm_core docs                      docs/RESULTS.md from its template and the results files (dgm_core.docs)
    python -m dgm_core pack lecture DIR          a deck's class page as a folder of static files (a lesson pack)
    torchrun --standalone --nproc_per_node 2 -m dgm_core train vae-mnist --out DIR   data-parallel (VAE recipes)

``bench`` runs the benchmark in a child process from the repository root, so the core package never
imports the top-level ``benchmarks`` package; ``pack`` runs ``python -m ui.class_pack`` so, the app's side.
"""
from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _progress(epoch: int, step: int, loss: float) -> None:
    print(f"epoch {epoch + 1} step {step} loss {loss:.2f}", flush=True)


BENCH_MARK = re.compile(r"^BENCH = bench\(", re.M)  # how a script registers with benchmarks/harness.py


def benchmarks() -> list[str]:
    """Names of the benchmark scripts: the benchmarks/<name>.py files that register with the benchmarks' harness
    (read from the files: the core never imports ``benchmarks``; helpers such as common.py do not register)."""
    return sorted(p.stem for p in (ROOT / "benchmarks").glob("*.py")
                  if not p.stem.startswith("_") and BENCH_MARK.search(p.read_text()))


def bench(name: str | None, args: list[str]) -> int:
    known = benchmarks()
    if name is None:  # ``bench`` alone: the benchmarks, one a line
        print("\n".join(known))
        return 0
    name = name.replace("-", "_")
    if name not in known:
        print(f"unknown benchmark '{name}'; available: {', '.join(known)}", file=sys.stderr)
        return 2
    return subprocess.run([sys.executable, "-m", f"benchmarks.{name}", *args], cwd=ROOT).returncode


def export(name: str) -> int:
    from . import export as ex
    from .pretrained import PretrainedError
    try:
        for n in ex.exportable() if name == "all" else [name]:
            entry = ex.export(n)
            files = entry["onnx"] or [entry["params"]["file"]]
            print(f"exported {n} to {files}: {entry['bytes'] / 1e6:.1f} MB, "
                  f"max |difference from torch| {entry['max_abs_diff_vs_torch']:.1e}")
    except (ex.ExportError, PretrainedError) as err:
        print(err, file=sys.stderr)
        return 2
    return manifest()  # the exported files' hashes


def manifest() -> int:
    """static/js/manifest.json is the server's (server.manifest): run in its own process, as a benchmark is, so the
    core never imports the server."""
    return subprocess.run([sys.executable, "-m", "server", "manifest"], cwd=ROOT).returncode


def docs() -> int:
    from .docs import DocsError, write
    try:
        changed = write()
    except DocsError as err:
        print(err, file=sys.stderr)
        return 2
    print("\n".join(f"wrote {p.relative_to(ROOT)}" for p in changed) or "every document is current")
    return 0


def train_all(a: argparse.Namespace) -> int:
    import json
    import os
    if a.device:
        os.environ["DGM_DEVICE"] = a.device
    from .data import DatasetNotFoundError
    from .training import CheckpointError
    from .training.train_all import train_all as run
    try:
        summary = run(a.out, budget_s=a.budget_s, dry_run=a.dry_run, resume=a.resume, progress=_progress)
    except (DatasetNotFoundError, CheckpointError) as err:
        print(err, file=sys.stderr)
        return 2
    print(json.dumps(summary, indent=1))
    return 0


def pack(deck: str, folder: str) -> int:
    """A lesson pack is the app's (ui.class_pack: the deck's views draw its pictures): run in its own process."""
    return subprocess.run([sys.executable, "-m", "ui.class_pack", deck, folder], cwd=ROOT).returncode


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m dgm_core")
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("list", help="list shipped models")
    t = sub.add_parser("train", help="train a shipped model from DGM_DATA_DIR")
    t.add_argument("name")
    t.add_argument("--epochs", type=int, default=None)
    t.add_argument("--dry-run", action="store_true", help="a few steps on a few images, into a temp folder")
    t.add_argument("--out", default=None, help="output folder (default: pretrained/)")
    t.add_argument("--threads", type=int, default=None, help="CPU threads (default: DGM_THREADS, else all cores)")
    t.add_argument("--resume", action="store_true", help="continue the run from its checkpoint (long recipes)")
    t.add_argument("--stop-at", type=int, default=None,
                   help="stop after this many steps in total, checkpointed (split a long run across sessions)")
    ta = sub.add_parser("train-all", help="every recipe that gains from a GPU, into one folder (tools/gpu_train.sh)")
    ta.add_argument("--out", required=True, help="folder for the weights, cards and train_all.json")
    ta.add_argument("--device", default=None, help="cuda, cpu, ... (default: the accelerator, else the CPU)")
    ta.add_argument("--budget-s", type=float, default=480.0, help="seconds for all runs; a run out of its share "
                    "stops with a checkpoint (--resume continues it)")
    ta.add_argument("--resume", action="store_true", help="continue the runs that left checkpoints in --out")
    ta.add_argument("--dry-run", action="store_true", help="a few steps of each on a few images")
    e = sub.add_parser("evaluate", help="re-measure a card's test metrics from its weights (no training)")
    e.add_argument("name")
    e.add_argument("--dir", default=None, help="folder of the card and weights (default: pretrained/)")
    x = sub.add_parser("export", help="export a latent-explorer generator to ONNX for the browser (or: all)")
    x.add_argument("name")
    g = sub.add_parser("precompute", help="precompute a page's grid of fits into pretrained/ (resumable)")
    g.add_argument("name", choices=["mnar-grid"])
    g.add_argument("args", nargs=argparse.REMAINDER)
    sub.add_parser("manifest", help="write static/js/manifest.json (the browser's facts and module hashes)")
    sub.add_parser("docs", help="rewrite docs/RESULTS.md from docs/templates/ and the results files")
    k = sub.add_parser("pack", help="write a deck's class page as a folder of static files (a lesson pack)")
    k.add_argument("deck", help="a shipped deck's name (assets/decks/) or a deck's JSON file")
    k.add_argument("dir", help="a new folder")
    b = sub.add_parser("bench", help="run a benchmark script (benchmarks/<name>.py); alone: list them")
    b.add_argument("name", nargs="?")
    b.add_argument("args", nargs=argparse.REMAINDER)
    a = p.parse_args(argv)

    if a.cmd == "list":
        from .pretrained import list_cards
        for c in list_cards():
            print(f"{c.name:20s} {c.family:14s} {c.training_time_s:8.0f}s  {c.metrics}")
        return 0
    if a.cmd == "bench":
        return bench(a.name, a.args)
    if a.cmd == "precompute":
        from .demos import mnar_grid
        return mnar_grid.main(a.args)
    if a.cmd == "export":
        return export(a.name)
    if a.cmd == "manifest":
        return manifest()
    if a.cmd == "docs":
        return docs()
    if a.cmd == "pack":
        return pack(a.deck, str(Path(a.dir).resolve()))
    if a.cmd == "train-all":
        return train_all(a)

    from . import training
    from .training import distributed
    try:
        training.recipe(a.name)
    except training.UnknownModelError as err:
        print(err, file=sys.stderr)
        return 2
    from .data import DatasetNotFoundError
    from .pretrained import PretrainedError
    try:  # a missing data set or card is one sentence, not a traceback
        if a.cmd == "train":
            out = a.out
            if out is None and distributed.active():
                print("Under torchrun, give --out: every process must write to the same folder.", file=sys.stderr)
                return 2
            if a.dry_run and out is None:
                out = tempfile.mkdtemp(prefix="dgm_dry_run_")
            from .device import set_threads
            card = training.train(a.name, epochs=a.epochs, dry_run=a.dry_run, out_dir=out, progress=_progress,
                                  threads=set_threads(a.threads), resume=a.resume, stop_at=a.stop_at)
            if card is None:
                print(f"stopped at step {a.stop_at}; continue with: python -m dgm_core train {a.name} --resume"
                      + (f" --out {out}" if a.out or a.dry_run else ""))
                return 0
            print(f"saved {card.name} to {out or 'pretrained/'}: {card.metrics}")
            from .demos.latent import MODELS
            if card.name in MODELS and not a.dry_run and out is None:  # the browser's copy follows the weights
                return export(card.name)
            return 0
        if a.cmd == "evaluate":
            card = training.evaluate(a.name, directory=a.dir)
            print(f"re-measured {card.name} in {a.dir or 'pretrained/'}: {card.metrics}")
            return 0
    except (DatasetNotFoundError, PretrainedError, training.CheckpointError) as err:
        print(err, file=sys.stderr)
        return 2
    return 1


if __name__ == "__main__":
    sys.exit(main())
