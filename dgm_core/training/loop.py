"""The one mini-batch epoch loop and the one optimiser step every training recipe shares.

Randomness: one ``torch.randperm`` per epoch from the recipe's generator, then whatever the step
draws from the same generator, in that order, so a recipe's seed fixes the whole run. There is no
wall-clock cap: a run's length is its epochs (and, in a dry run, ``max_steps``) alone, so a rebuild
does the same arithmetic on a busy machine as on an idle one.
"""
from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any, ClassVar

import torch

from ..device import default_device

Progress = Callable[[int, int, float], None]  # (epoch, step, running loss per example)
Step = Callable[[torch.Tensor, int, int], float]  # (batch indices, epoch, steps done) -> mean loss of the batch


def epoch_loop(n: int, step: Step, *, epochs: int, batch: int, generator: torch.Generator,
               progress: Progress | None = None, every: int = 50, max_steps: int | None = None) -> list[float]:
    """Run ``epochs`` shuffled passes over ``n`` examples in batches of ``batch``; stop early after
    ``max_steps`` steps (dry runs). Returns the mean loss per example of each epoch run."""
    history: list[float] = []
    steps = 0

    def done() -> bool:
        return bool(max_steps and steps >= max_steps)

    for epoch in range(epochs):
        perm = torch.randperm(n, generator=generator, device=generator.device)  # (n,)
        total = 0.0
        for i in range(0, n, batch):
            idx = perm[i:i + batch]
            loss = step(idx, epoch, steps)
            total += loss * len(idx)
            steps += 1
            if progress and steps % every == 0:
                progress(epoch, steps, loss)
            if done():
                break
        history.append(total / n)
        if progress:
            progress(epoch, steps, history[-1])
        if done():
            break
    return history


def optimiser_step(opt: torch.optim.Optimizer, loss: torch.Tensor, *, clip_norm: float | None = None,
                   lr: float | None = None) -> float:
    """Backpropagate a scalar ``loss`` and take one step of ``opt``; returns the loss as a float.

    ``clip_norm``: clip the global gradient norm first. ``lr``: set every group's learning rate for
    this step (a schedule computed by the caller).
    """
    opt.zero_grad(set_to_none=True)
    loss.backward()
    if clip_norm is not None:
        params = [p for group in opt.param_groups for p in group["params"]]
        torch.nn.utils.clip_grad_norm_(params, clip_norm)
    if lr is not None:
        for group in opt.param_groups:
            group["lr"] = lr
    opt.step()
    return loss.item()


def cosine_lr(lr: float, final: float, steps_done: int, steps_total: int) -> float:
    """Cosine decay from ``lr`` to ``final`` over ``steps_total`` steps (held at ``final`` after)."""
    frac = min(1.0, steps_done / steps_total)
    return final + (lr - final) * 0.5 * (1 + math.cos(math.pi * frac))


def linear_lr(lr: float, steps_done: int, steps_total: int) -> float:
    """Linear decay from ``lr`` to 0 over ``steps_total`` steps (the WGAN-GP schedule, arXiv 1704.00028)."""
    return lr * max(0.0, 1.0 - steps_done / steps_total)


@torch.no_grad()
def ema_update(ema: torch.nn.Module, model: torch.nn.Module, decay: float) -> None:
    """ema <- decay * ema + (1 - decay) * model for parameters; buffers (BatchNorm statistics) are copied."""
    torch._foreach_lerp_(list(ema.parameters()), list(model.parameters()), 1.0 - decay)
    for b_ema, b in zip(ema.buffers(), model.buffers()):
        b_ema.copy_(b)


class CheckpointError(ValueError):
    """A checkpoint that cannot be resumed (another recipe wrote it) or one that is missing; one sentence."""


class Checkpoint:
    """The state of a long run in one file, so a later process (or a later session, after a git pull)
    continues it exactly: whatever the recipe puts in ``state`` (weights, optimisers, EMA, generator
    states, steps done) plus the training seconds and the (device, threads, steps) of each session.

    Written every ``every_s`` seconds of training and when a run stops early, always to a temporary
    file renamed over the old one: a process killed mid-write leaves the previous checkpoint intact.
    ``recipe`` (JSON-able) identifies the run; resuming a checkpoint written by another recipe is refused.
    """

    def __init__(self, path: str | Path, recipe: dict, device: torch.device, *, every_s: float = 180.0,
                 budget_s: float | None = None) -> None:
        self.path, self.recipe, self.device, self.every_s = Path(path), recipe, device, every_s
        self.budget_s = budget_s  # this session's training seconds, after which the run stops checkpointed
        self.seconds = 0.0  # training seconds of earlier sessions
        self.sessions: list[dict] = []
        self._start = time.perf_counter()
        self._last = self._start

    def elapsed(self) -> float:
        """Training seconds over every session so far, this one included."""
        return self.seconds + time.perf_counter() - self._start

    def load(self) -> dict:
        """The saved state (tensors on the CPU: ``load_state_dict`` moves them to the model's device);
        this session's clock restarts from the saved seconds."""
        if not self.path.exists():
            raise CheckpointError(f"No checkpoint at {self.path} to resume; start the run without --resume.")
        saved = torch.load(self.path, map_location="cpu", weights_only=True)
        if saved["recipe"] != self.recipe:
            raise CheckpointError(f"{self.path} was written by another recipe ({saved['recipe']}); "
                                  "delete it to start this one over.")
        if saved["device_type"] != self.device.type:  # a generator's state only fits a generator of its device
            raise CheckpointError(f"{self.path} was written on {saved['device_type']}: resume it there "
                                  f"(DGM_DEVICE={saved['device_type']}).")
        self.seconds, self.sessions = saved["seconds"], saved["sessions"]
        self._start = self._last = time.perf_counter()
        return saved["state"]

    def due(self) -> bool:
        return time.perf_counter() - self._last >= self.every_s

    def out_of_time(self) -> bool:
        """This session has used its ``budget_s`` (a guard on a lent machine's time, never the run's length:
        the run stops with a checkpoint and its card waits for ``--resume``)."""
        return self.budget_s is not None and time.perf_counter() - self._start >= self.budget_s

    def save(self, state: dict, steps: int) -> None:
        """Write ``state`` after ``steps`` steps in total, atomically."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        torch.save({"recipe": self.recipe, "device_type": self.device.type, "seconds": self.elapsed(),
                    "sessions": self.sessions_until(steps), "state": state}, tmp)
        os.replace(tmp, self.path)
        self._last = time.perf_counter()

    def sessions_until(self, steps: int) -> list[dict]:
        """The earlier sessions and this one: device, threads, steps from / to, training seconds."""
        first = self.sessions[-1]["to_step"] if self.sessions else 0
        name = torch.cuda.get_device_name(self.device) if self.device.type == "cuda" else self.device.type
        return [*self.sessions, {"device": name, "threads": torch.get_num_threads(), "from_step": first,
                                 "to_step": steps, "seconds": round(time.perf_counter() - self._start, 1)}]

    def finish(self) -> None:
        """The run is complete and its card written: the checkpoint is no longer needed."""
        self.path.unlink(missing_ok=True)
        if self.path.parent.is_dir() and not any(self.path.parent.iterdir()):
            self.path.parent.rmdir()


class RunLength:
    """A frozen-dataclass recipe whose run length is one of its fields (``length_field``): ``length`` reads it,
    ``with_epochs`` (the CLI's ``--epochs N``) replaces it."""

    length_field: ClassVar[str]

    @property
    def length(self) -> int:
        return getattr(self, self.length_field)

    def with_epochs(self: Any, epochs: int) -> Any:
        return replace(self, **{self.length_field: epochs})

class Resumable(RunLength):
    """A recipe whose run checkpoints and resumes: ``key`` is what a checkpoint must match to be resumed (every field
    that changes the arithmetic, so every field but ``threads``); ``prepare`` sets torch's threads (``DGM_THREADS``
    overrides the recipe's: one by default, so two runs share a two-core machine) and picks the device."""

    resumable: ClassVar[bool] = True

    def key(self) -> dict[str, Any]:
        return json.loads(json.dumps({k: v for k, v in asdict(self).items() if k != "threads"}))

    def prepare(self) -> torch.device:
        torch.set_num_threads(int(os.environ.get("DGM_THREADS", "0")) or self.threads)
        return default_device()

