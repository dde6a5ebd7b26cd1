"""The pages' heavy calls as keyed jobs: the key names every input the result depends on, so a page and a warm-up
that build the same inputs separately share one computation. Models are passed in (loaded once per server by the
caller) and the device is part of the key. A training's points for a live chart travel with its ``run`` (``Live``),
so every session waiting for the run can draw them; a time limit stops a training with a sentence about its budget.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from . import budgets
from dgm_core import overimpute as overimputation, own_table
from dgm_core.demos import (critics as critics_demo, inpainting as inp, mnar as mnar_lab, mnar_images,
                            results as results_demo)
from dgm_core.mnar_experiment import Simulated
from dgm_core.models.critics import KINDS, CriticConfig
from .admission import TimeLimit
from .keys import key_of
from .runner import Batch, Job


def inpainting(methods: list[str], image: torch.Tensor, mask: torch.Tensor, *, dataset: str,
               settings: inp.Settings, load_model: Callable[[str], Any], device: torch.device | None = None,
               what: str = "", time_limit: float | None = None) -> Job:
    """The inpainting page's Run (``run_page``). image: (C, H, W); mask: (H, W) bool, True = observed. ``what``
    (the inputs in words) is not part of the key: equal inputs reached another way share the result."""
    methods = list(methods)
    key = key_of("inpainting.run_page", methods, image, mask, dataset, settings, str(device))

    def run(progress):
        return inp.run_page(methods, image, mask, dataset=dataset, settings=settings, load_model=load_model,
                            device=device, what=what, on_progress=progress)

    def run_many(pages, progress):  # other students' Runs of the same methods and settings, waiting with this one
        return inp.run_pages(methods, pages, dataset=dataset, settings=settings, load_model=load_model,
                             device=device, on_progress=progress)

    batch = Batch(key_of("inpainting.run_pages", methods, dataset, settings, str(device)), (image, mask, what),
                  run_many, budgets.INPAINT_BATCH) if inp.BATCHED & set(methods) else None
    return Job(key, run, f"inpainting {dataset}", time_limit, batch)


def mnar_shipped(sim: Simulated, models: dict[str, torch.nn.Module], seed: int,
                 time_limit: float | None = None) -> Job:
    """The MNAR lab's opening view: the shipped models (method id -> model) re-impute ``sim``."""
    key = key_of("mnar.shipped_fits", sim.x, sim.mask, sim.missing.mechanism, sorted(models), seed)
    return Job(key, lambda progress: mnar_lab.shipped_fits(sim, models, seed, on_progress=progress), "mnar shipped",
               time_limit)


def mnar_images_compare(models: dict[str, torch.nn.Module], x: torch.Tensor, mechanism: tuple[float, float], *,
                        seed: int, k: int, time_limit: float | None = None) -> Job:
    """MIWAE against not-MIWAE on clipped faces x: (N, 1, H, W); the models keyed by their display names."""
    key = key_of("mnar_images.compare", sorted(models), x, tuple(float(v) for v in mechanism), seed, k, str(x.device))
    return Job(key, lambda progress: mnar_images.compare(models, x, mechanism, seed=seed, k=k, on_progress=progress),
               f"mnar_images compare {x.shape[0]}", time_limit)


class Live:
    """A job's ``run`` that also keeps the points it reports for a page's live chart, readable from any session while
    the job runs (``points(job)``). ``fn(progress, point)`` calls ``point(p)`` to record p."""

    def __init__(self, fn: Callable[[Callable[[float, str], None], Callable[[Any], None]], Any]):
        self.fn, self.points = fn, []

    def __call__(self, progress: Callable[[float, str], None]) -> Any:
        self.points = []  # a job submitted again after a cancel starts a fresh chart
        return self.fn(progress, self.points.append)


def points(job: Job) -> list:
    """The points ``job`` reported so far (a copy; empty for a job that keeps none)."""
    return list(getattr(job.run, "points", ()))


def _stopped_training(time_limit: float | None, what: str) -> TimeLimit:
    return TimeLimit(f"The training stopped at the time limit of {time_limit:g} s per run on this server; "
                     f"choose {what}.")


def mnar_fit(sim: Simulated, preset: str, seed: int, extras: tuple[str, ...] = (), *, table: str | bytes,
             time_limit: float | None = None) -> Job:
    """The MNAR lab's live training (``mnar_lab.fit_all``); its points are (method, iteration, loss, RMSE). ``table``:
    the table's name, or an uploaded table's bytes, so that two students' different files never share a run."""
    extras = tuple(extras)
    key = key_of("mnar.fit_all", table, sim, preset, seed, extras)
    methods = mnar_lab.models_for(sim, extras)
    n = len(methods) + 1  # the baselines together count as one model

    def run(progress, point):
        def on_train(method: str, it: int, total: int, loss: float, rmse: float) -> None:
            point((method, it, loss, rmse))
            progress((methods.index(method) + it / total) / n, f"{mnar_lab.label(method)}: iteration {it}/{total}")

        try:
            return mnar_lab.fit_all(sim, preset, seed, progress=on_train, extras=extras,
                                    on_baseline=lambda name: progress((n - 1) / n, f"{name} imputation…"))
        except TimeLimit as e:
            raise _stopped_training(time_limit, "a smaller training budget, fewer models or a smaller table") from e

    return Job(key, Live(run), f"mnar fit {preset}", time_limit)


def mnar_supervised(sim: Simulated, y: np.ndarray, task: str, preset: str, seed: int, *, table: str | bytes,
                    time_limit: float | None = None) -> Job:
    """The MNAR lab's supervised comparison (``mnar_lab.supervised``); ``table`` as ``mnar_fit``'s."""
    key = key_of("mnar.supervised", table, sim, y, task, preset, seed)
    order = ("sup_miwae", "sup_notmiwae")

    def run(progress):
        def on_train(method: str, it: int, total: int, loss: float, rmse: float) -> None:
            progress((order.index(method) + it / total) / 3, f"{mnar_lab.label(method)}: iteration {it}/{total}")

        try:
            return mnar_lab.supervised(sim, y, task, preset, seed, progress=on_train,
                                       on_baseline=lambda name: progress(2 / 3, f"{name} imputation…"))
        except TimeLimit as e:
            raise _stopped_training(time_limit, "a smaller training budget") from e

    return Job(key, run, f"mnar supervised {preset}", time_limit)


def critics_retrain(theta: float, cfg: CriticConfig, *, seed: int = 0, time_limit: float | None = None) -> Job:
    """Both critics retrained at ``theta`` (``critics_demo.live_retrain``) -> {"theta", "steps", "curves": kind ->
    the estimate per step, "final": kind -> the trained critic's estimate}; its points are (kind, estimate)."""
    theta = float(theta)
    key = key_of("critics.live_retrain", theta, cfg, seed)

    def run(progress, point):
        curves: dict[str, list[float]] = {k: [] for k in KINDS}
        final: dict[str, float] = {}
        done, total = 0, len(KINDS) * cfg.steps
        try:
            for out in critics_demo.live_retrain(theta, cfg, seed=seed):
                if out.final:
                    final[out.kind] = out.estimate
                    continue
                curves[out.kind].append(out.estimate)
                point((out.kind, out.estimate))
                done += 1
                progress(done / total, f"Retraining the {critics_demo.LABELS[out.kind]} critic: step {out.step} of "
                                       f"{cfg.steps}")
        except TimeLimit as e:
            raise _stopped_training(time_limit, "fewer steps") from e
        return {"theta": theta, "steps": cfg.steps, "curves": curves, "final": final}

    return Job(key, Live(run), "critics retrain", time_limit)


def results_small_rerun(vae: torch.nn.Module, miwae: torch.nn.Module, *, names: tuple[str, str],
                        device: torch.device | None = None, time_limit: float | None = None) -> Job:
    """The results page's small rerun of one inpainting cell (``results_demo.small_rerun``); the models keyed by
    their shipped ``names``."""
    key = key_of("results.small_rerun", names, results_demo.SMALL_IMAGES, results_demo.SMALL_SEED,
                 results_demo.SMALL_MASK, str(device))
    return Job(key, lambda progress: results_demo.small_rerun(vae, miwae, progress=lambda f, what: progress(
        f, f"{what}…")), "results small rerun", time_limit)


def own_complete(x: np.ndarray, columns: tuple[str, ...], settings: own_table.Settings, *, source: str,
                 time_limit: float | None = None, learnt: dict | None = None, answer: str = "",
                 trained_in: str = "") -> Job:
    """Own-table mode: every imputer fills an upload's empty cells (``own_table.complete``); ``source``: the file's
    sha256, so that two files never share a run. ``learnt``: MIWAE and not-MIWAE as a visitor's browser trained them
    (``answer``: a digest of its answer, ``trained_in``: where, in words)."""
    key = key_of("own_table.complete", x, tuple(columns), settings, source, answer)

    def run(progress):
        try:
            return own_table.complete(x, columns, settings, source=source, on_progress=progress, learnt=learnt,
                                      trained_in=trained_in or "the server (PyTorch)")
        except TimeLimit as e:
            raise _stopped_training(time_limit, "a smaller training budget or a smaller table") from e

    return Job(key, run, f"own table {settings.preset}", time_limit)


def own_check(done: own_table.Completed, how: str, share: float, *, time_limit: float | None = None) -> Job:
    """Own-table mode's overimputation of a completion (every model trained again on the table with more holes)."""
    key = key_of("overimpute", done.x, done.columns, done.settings, done.source, how, float(share))

    def run(progress):
        try:
            return overimputation.overimpute(done, how, share, on_progress=progress)
        except TimeLimit as e:
            raise _stopped_training(time_limit, "a smaller training budget or a smaller share") from e

    return Job(key, run, f"own table check {done.settings.preset}", time_limit)
