"""The one mini-batch epoch loop and the one optimiser step every training recipe shares.

Randomness: one ``torch.randperm`` per epoch from the recipe's generator, then whatever the step
draws from the same generator, in that order, so a recipe's seed fixes the whole run. There is no
wall-clock cap: a run's length is its epochs (and, in a dry run, ``max_steps``) alone, so a rebuild
does the same arithmetic on a busy machine as on an idle one.
"""
from __future__ import annotations

import math
from collections.abc import Callable

import torch

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
