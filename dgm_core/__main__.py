"""Command line: ``python -m dgm_core {list,train,bench}``.

    python -m dgm_core list                    shipped models and their headline metrics
    python -m dgm_core train vae-mnist         rebuild a shipped model into pretrained/
    python -m dgm_core train vae-mnist --dry-run   a few steps into a temporary folder (smoke test)
    python -m dgm_core bench <name>            re-measure a benchmark (see benchmarks/)
"""
from __future__ import annotations

import argparse
import importlib
import sys
import tempfile


def _progress(epoch: int, step: int, loss: float) -> None:
    print(f"epoch {epoch + 1} step {step} loss {loss:.2f}", flush=True)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m dgm_core")
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("list", help="list shipped models")
    t = sub.add_parser("train", help="train a shipped model from DGM_DATA_DIR")
    t.add_argument("name")
    t.add_argument("--epochs", type=int, default=None)
    t.add_argument("--dry-run", action="store_true", help="a few steps on a few images, into a temp folder")
    t.add_argument("--out", default=None, help="output folder (default: pretrained/)")
    b = sub.add_parser("bench", help="run a benchmark script")
    b.add_argument("name")
    b.add_argument("args", nargs=argparse.REMAINDER)
    a = p.parse_args(argv)

    if a.cmd == "list":
        from .pretrained import list_cards
        for c in list_cards():
            print(f"{c.name:18s} {c.family:8s} {c.training_time_s:8.0f}s  {c.metrics}")
        return 0
    if a.cmd == "train":
        from .train import train
        out = a.out
        if a.dry_run and out is None:
            out = tempfile.mkdtemp(prefix="dgm_dry_run_")
        card = train(a.name, epochs=a.epochs, dry_run=a.dry_run, out_dir=out, progress=_progress)
        print(f"saved {card.name} to {out or 'pretrained/'}: {card.metrics}")
        return 0
    if a.cmd == "bench":
        mod = importlib.import_module(f"benchmarks.{a.name.replace('-', '_')}")
        return int(mod.main(a.args) or 0)
    return 1


if __name__ == "__main__":
    sys.exit(main())
