"""Device, threads and seeded generators. Core code follows ``x.device``; only cached loaders, the training CLI and
benchmarks call ``default_device()``. Randomness is explicit: a ``torch.Generator`` or an integer seed.
"""
from __future__ import annotations

import os

import numpy as np
import torch


def default_device() -> torch.device:
    """The available accelerator (CUDA, MPS, ...), else the CPU; ``DGM_DEVICE`` overrides."""
    forced = os.environ.get("DGM_DEVICE")
    if forced:
        return torch.device(forced)
    acc = getattr(torch, "accelerator", None)
    if acc is not None and acc.is_available():
        return acc.current_accelerator()
    return torch.device("cpu")


def set_threads(n: int | None = None) -> int:
    """Set torch's intra-op thread count (default: ``DGM_THREADS`` or all cores) and return it."""
    if n is None:
        n = int(os.environ.get("DGM_THREADS", "0")) or (os.cpu_count() or 1)
    n = max(1, int(n))
    torch.set_num_threads(n)
    return n


def generator(seed: int, device: torch.device | str = "cpu") -> torch.Generator:
    g = torch.Generator(device=device)
    g.manual_seed(int(seed))
    return g


def rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(int(seed))


def describe(device: torch.device | None = None) -> str:
    """One line for the UI: device, its name when it is an accelerator, and the thread count."""
    device = device or default_device()
    if device.type == "cuda":
        name = torch.cuda.get_device_name(device)
        return f"CUDA ({name})"
    return f"{device.type.upper()} · {torch.get_num_threads()} threads · torch {torch.__version__}"
