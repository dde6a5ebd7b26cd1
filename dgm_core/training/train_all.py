"""``python -m dgm_core train-all --out DIR [--device cuda] [--budget-s 480]``: every recipe that gains from a GPU,
one after the other, into one folder.

The recipes are the candidates to replace a shipped generator (``flow.CANDIDATES``, ``wgan.CANDIDATES``): long,
resumable runs that take hours of one CPU core and minutes of a GPU. Each gets a share of the budget (``SHARES``);
the budget guards a lent machine's time and never sets a run's length: a run still going when its share is spent
stops with a checkpoint in ``DIR/checkpoints/`` (``train-all --resume`` or ``train NAME --resume --out DIR``
continues it exactly), and its card waits. A finished run writes weights + card into DIR as ``train`` does: the
card's ``training_time_s`` and its notes' sessions line record the device and the seconds. ``DIR/train_all.json``
sums up the call: device, seconds, and per recipe whether it finished, its steps and its card's metrics.
A card replaces a shipped model only when its measure beats the shipped card's (see tools/gpu_train.sh).
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import torch

SHARES = {"flow-mnist-w32": 0.5, "wgan-mnist-b256": 0.5}  # of the budget, training only (measuring takes the rest)
TRAIN_FRACTION = 0.6  # of each share spent training; the rest measures (a classifier trained on the CPU, samples)


def _steps_done(path: Path) -> int | None:
    if not path.exists():
        return None
    saved = torch.load(path, map_location="cpu", weights_only=True)
    return int(saved["sessions"][-1]["to_step"]) if saved["sessions"] else None


@torch.no_grad()
def wgan_digit_scores(name: str, directory: Path, data_dir, n: int | None = None) -> dict[str, Any]:
    """``bench wgan``'s digit measures of a trained WGAN: its first ``n`` (default 10 000) samples from seed 0,
    recognised share and Fréchet distance (dgm_core.sample_quality)."""
    from .. import pretrained
    from .. import sample_quality as sq
    from ..data import load_images

    n = n or sq.N_DIGITS
    limit = None if n == sq.N_DIGITS else 512
    judge = sq.digit_judge(load_images("mnist", "train", limit=limit, data_dir=data_dir),
                           load_images("mnist", "test", limit=limit, data_dir=data_dir), n=min(n, limit or n))
    model, _ = pretrained.load(name, directory, device=torch.device("cpu"))
    z = torch.randn(n, model.latent, generator=torch.Generator().manual_seed(0))
    s = sq.digit_scores(judge, sq.batched(model.generate, z))
    return {"samples": n, "confident_share": s["confident_share"], "frechet_distance": s["frechet_distance"],
            "real_confident_share": judge.test_confident_share, "frechet_floor": judge.floor}


def train_all(out_dir: str | Path, *, budget_s: float = 480.0, dry_run: bool = False, resume: bool = False,
              data_dir: str | Path | None = None, names: list[str] | None = None,
              progress=None) -> dict[str, Any]:
    """Train each of ``names`` (default: every recipe of ``SHARES``) into ``out_dir`` within its share of
    ``budget_s`` seconds; returns (and writes to ``out_dir/train_all.json``) the summary."""
    from . import checkpoint_path, train
    from ..device import default_device

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    names = list(SHARES) if names is None else names
    device = default_device()
    if device.type == "cuda":  # small convolutions: let cuDNN pick its fastest kernels, TF32 matmuls
        torch.backends.cudnn.benchmark = True
        torch.backends.cuda.matmul.allow_tf32 = True
    label = torch.cuda.get_device_name(device) if device.type == "cuda" else device.type
    summary: dict[str, Any] = {"device": label, "budget_s": budget_s, "dry_run": dry_run, "runs": []}
    t0 = time.perf_counter()
    for name in names:
        share = budget_s * SHARES.get(name, 1.0 / len(names)) * TRAIN_FRACTION
        ckpt = checkpoint_path(name, out)
        started = time.perf_counter()
        card = train(name, dry_run=dry_run, out_dir=out, data_dir=data_dir, progress=progress,
                     resume=resume and ckpt.exists(), budget_s=share,
                     threads=os.cpu_count() if device.type == "cuda" else None)  # the CPU measures (classifier)
        run: dict[str, Any] = {"name": name, "finished": card is not None,
                               "seconds": round(time.perf_counter() - started, 1)}
        if card is None:
            run["steps_done"] = _steps_done(ckpt)
            run["resume"] = f"python -m dgm_core train-all --out {out} --resume"
        else:
            run["training_time_s"] = card.training_time_s
            run["metrics"] = card.metrics
            if card.family == "wgan" and "mnist" in name:  # its card has no digit scores: as ``bench wgan`` has them
                run["digit_scores"] = wgan_digit_scores(name, out, data_dir, 64 if dry_run else None)
        summary["runs"].append(run)
    summary["seconds"] = round(time.perf_counter() - t0, 1)
    summary["threads"] = torch.get_num_threads()
    summary["data_dir"] = str(data_dir or os.environ.get("DGM_DATA_DIR", ""))
    (out / "train_all.json").write_text(json.dumps(summary, indent=1) + "\n")
    return summary
