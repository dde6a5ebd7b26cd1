"""The mini-batch epoch loop every training recipe shares: shuffle, step, report, stop.

Randomness: one ``torch.randperm`` per epoch from the recipe's generator, then whatever the step
draws from the same generator, in that order, so a recipe's seed fixes the whole run.
"""
from __future__ import annotations

import time
from collections.abc import Callable

import torch

Progress = Callable[[int, int, float], None]  # (epoch, step, running loss per example)
Step = Callable[[torch.Tensor, int, int], float]  # (batch indices, epoch, steps done) -> mean loss of the batch


def epoch_loop(n: int, step: Step, *, epochs: int, batch: int, generator: torch.Generator,
               progress: Progress | None = None, every: int = 50, max_steps: int | None = None,
               max_seconds: float | None = None) -> list[float]:
    """Run ``epochs`` shuffled passes over ``n`` examples in batches; stop early after ``max_steps``
    steps or ``max_seconds`` of wall clock. Returns the mean loss per example of each epoch run."""
    history: list[float] = []
    steps, t0 = 0, time.perf_counter()

    def done() -> bool:
        return bool((max_steps and steps >= max_steps) or (max_seconds and time.perf_counter() - t0 > max_seconds))

    for epoch in range(epochs):
        perm = torch.randperm(n, generator=generator)
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
