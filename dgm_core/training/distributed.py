"""Data-parallel training under ``torchrun``: DistributedDataParallel on gloo (CPU) or NCCL (CUDA).

Li et al., "PyTorch Distributed: Experiences on Accelerating Data Parallel Training", arXiv 2006.15704.
Idea in one sentence: N processes hold identical replicas, each takes its 1/N share of every batch, and
the gradients are averaged across processes before every optimiser step, so the replicas stay equal
and one step sees the whole batch.

    torchrun --standalone --nproc_per_node 2 -m dgm_core train vae-mnist --out runs/

Outside torchrun (no ``WORLD_SIZE`` > 1 in the environment) every function here is a no-op, so a
plain run is a single-process run. Every process draws the same epoch permutation (the
recipe's seed) and keeps its own slice of each batch (``shard``); only rank 0 writes the card and the
weights (``dgm_core.training.cards.write``); the others wait for it and read the card back.
"""
from __future__ import annotations

import atexit
import os

import torch
import torch.distributed as dist
from torch import nn


def world_size() -> int:
    return int(os.environ.get("WORLD_SIZE", "1"))


def active() -> bool:
    """True inside a torchrun launch of more than one process."""
    return world_size() > 1


def rank() -> int:
    return int(os.environ.get("RANK", "0"))


def is_main() -> bool:
    return rank() == 0


def init() -> None:
    """Join torchrun's process group (idempotent): gloo on CPU, NCCL when CUDA is there."""
    if not active() or dist.is_initialized():
        return
    backend = "nccl" if torch.cuda.is_available() else "gloo"
    if backend == "nccl":
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
    dist.init_process_group(backend)
    atexit.register(lambda: dist.is_initialized() and dist.destroy_process_group())


def barrier() -> None:
    if active() and dist.is_initialized():
        dist.barrier()


class Objective(nn.Module):
    """Routes a named method of the model (``elbo``, ``iwae_bound``) through ``forward``, the one call
    DistributedDataParallel hooks its gradient averaging into."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, method: str, *args, **kwargs) -> torch.Tensor:
        return getattr(self.model, method)(*args, **kwargs)


def wrap(model: nn.Module) -> nn.Module:
    """``Objective(model)`` in DistributedDataParallel (rank 0's parameters broadcast to all at once)."""
    init()
    device = next(model.parameters()).device
    return nn.parallel.DistributedDataParallel(Objective(model), device_ids=[device] if device.type == "cuda" else None)


def shard(idx: torch.Tensor) -> torch.Tensor:
    """This process's slice of a batch's indices (every ``world_size``-th, from its rank)."""
    return idx[rank()::world_size()] if active() else idx


def in_sync(model: nn.Module) -> bool:
    """Whether every process holds exactly the same parameters (gathers them all; call on every rank)."""
    if not (active() and dist.is_initialized()):
        return True
    flat = torch.cat([p.detach().flatten() for p in model.parameters()]).cpu().double()
    copies = [torch.empty_like(flat) for _ in range(world_size())]
    dist.all_gather(copies, flat)
    return all(torch.equal(c, copies[0]) for c in copies)
