"""The flow-matching page: a small velocity network (``models.flow2d``; Lipman et al., arXiv 2210.02747, on the straight
path of Liu et al., arXiv 2209.03003) learns to carry Gaussian noise (t = 0) onto a 2-D toy or onto the points a
student drew (t = 1); the page scrubs t and shows the points moving along their paths over the learned field.

The visitor's browser trains it (static/js/workers/flow_train.worker.js, from ``browser_job``: the config, the training
pool, the display noise and the field's grid); where it cannot, the server does (``train_server``, the fallback, with
torch's random numbers instead of the browser's). Drawn points travel in links as ``encode_points``' text.
"""
from __future__ import annotations

import base64
import re
import time

import numpy as np
import torch

from ..controls import Control, check
from ..models.flow import SETTLED_STEPS
from ..models.flow2d import FlowConfig, field, integrate, train
from ..models.toy_gan import DRAWN, DRAWN_BOX, DRAWN_JITTER, sample_toy
from ..tabular import single_thread
from .flow_samples import STEP_CHOICES

# toy_gan.TOYS, then a drawing
DATA = {"ring": "a ring of 8 Gaussians", "moons": "two moons", "lines": "a line segment", DRAWN: "your drawing"}
STEPS = (300, 800, 2000)
# The page's controls, each declared once (dgm_core.controls); "pts" is the drawing, ``encode_points``' text
PREFIX = "flow_"  # the page's keys in a link: ?flow_<control>=… (its widgets, its URL state, the deck)
CONTROLS: dict[str, Control] = {
    "data": Control("ring", "Data", "select", choices=list(DATA), names=DATA),
    "steps": Control(800, "Training steps", "select_slider", choices=STEPS),
    "seed": Control(0, "Seed", "number", lo=0, hi=9999, help="Seeds the network's weights and every training draw."),
    "pts": Control("", "Your points"),
    # the MNIST flow's digits further down the page: the integrator's steps, opening on the recorded rule's choice
    "msteps": Control(SETTLED_STEPS, "Heun steps for the digits", "select_slider", choices=STEP_CHOICES,
                      help="Steps of Heun's method from noise (t = 0) to digit (t = 1); each costs two evaluations "
                           "of the network."),
}
# The picture's box (x0, x1, y0, y1), per data choice: the same square for all, not toy_gan.BOX's tight boxes, since
# the noise at t = 0 fills about (-3, 3)^2 whatever the data (and every toy fits in it)
BOX = {data: DRAWN_BOX for data in DATA}
MAX_POINTS, MIN_POINTS = 400, 10  # a drawing's size: a link's text stays under 2000 characters; enough to learn from
POOL_N, POOL_SEED = 2000, 0  # a toy's training pool, the same for every session
DISPLAY_N, GRID_N, FRAMES, REPORT_EVERY = 300, 15, 40, 100  # points followed, field grid side, frames, report period
LEVELS = 4096  # a coordinate in a link: one of 4096 codes (12 bits) over the box; a point packs into 4 characters
_B64URL = re.compile(r"[A-Za-z0-9_-]*", re.ASCII)


def _points(points: object, *, counted: bool) -> np.ndarray:
    """``points`` as (n, 2) float64 if they are a drawing the page can use, else ValueError in one sentence; with
    ``counted`` it must also hold MIN_POINTS points or more."""
    try:
        p = np.asarray([] if points is None else points, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        p = np.zeros(())
    if p.ndim == 0:
        raise ValueError("Your drawing must be a list of (x, y) pairs of numbers.")
    if p.ndim != 2 or p.shape[1] != 2:
        if p.size == 0:
            p = p.reshape(0, 2)
        else:
            raise ValueError(f"Your drawing must be a list of (x, y) pairs, not an array of shape {p.shape}.")
    n = p.shape[0]
    if n > MAX_POINTS:
        raise ValueError(f"A drawing holds at most {MAX_POINTS} points; this one has {n}.")
    if counted and n < MIN_POINTS:
        raise ValueError(f"Draw at least {MIN_POINTS} points to train on; this drawing has {n}.")
    if not np.isfinite(p).all():
        raise ValueError("Every point of your drawing must be a finite number.")
    x0, x1, y0, y1 = DRAWN_BOX
    if ((p[:, 0] < x0) | (p[:, 0] > x1) | (p[:, 1] < y0) | (p[:, 1] > y1)).any():
        raise ValueError(f"Every point of your drawing must lie in the box from {x0:g} to {x1:g} in x and "
                         f"{y0:g} to {y1:g} in y.")
    return p


def pool(data: str, points: object = None) -> np.ndarray:
    """The training pool (N, 2) float32: for a toy, POOL_N points of ``sample_toy`` (a fixed seed, so every session
    trains on the same pool); for DRAWN, the drawn ``points`` (n, 2) themselves, checked (ValueError, one sentence)."""
    check(CONTROLS["data"], data)
    if data == DRAWN:
        return _points(points, counted=True).astype(np.float32)
    return sample_toy(data, POOL_N, torch.Generator().manual_seed(POOL_SEED)).numpy()


def jitter(data: str) -> float:
    """The sd of the noise added to each training point drawn from the pool: none for the toys (2000 points already
    fill their shapes), DRAWN_JITTER for a drawing."""
    return DRAWN_JITTER if data == DRAWN else 0.0


def encode_points(points: object) -> str:
    """A drawing (n, 2), n <= MAX_POINTS, inside DRAWN_BOX -> URL-safe text, 4 characters per point: each coordinate
    rounded to the nearest of LEVELS codes evenly over the box (6 / 4095, under 0.0015, apart), 12 bits each, the
    point's 3 bytes in base64url."""
    p = _points(points, counted=False)
    x0, x1, y0, y1 = DRAWN_BOX
    q = np.rint((p - [x0, y0]) / [x1 - x0, y1 - y0] * (LEVELS - 1)).astype(np.int64).clip(0, LEVELS - 1)
    packed = np.stack([q[:, 0] >> 4, (q[:, 0] & 15) << 4 | q[:, 1] >> 8, q[:, 1] & 255], 1).astype(np.uint8)
    return base64.urlsafe_b64encode(packed.tobytes()).decode("ascii")


def decode_points(text: object) -> np.ndarray:
    """``encode_points``' text -> the drawing (n, 2) float32 ("" gives no points); ValueError, one sentence, for any
    other text."""
    if not isinstance(text, str):
        raise ValueError("A drawing's points must be given as text.")
    if len(text) > 4 * MAX_POINTS:  # refused before any work: a link may be long and hostile
        raise ValueError(f"A drawing holds at most {MAX_POINTS} points ({4 * MAX_POINTS} characters of a link); this "
                         f"one has {len(text)} characters.")
    if not _B64URL.fullmatch(text):
        raise ValueError("A drawing's text may hold only letters, digits, '-' and '_'.")
    if len(text) % 4:
        raise ValueError("A drawing's text is cut short: each point takes 4 characters.")
    b = np.frombuffer(base64.urlsafe_b64decode(text), dtype=np.uint8).reshape(-1, 3).astype(np.int64)
    q = np.stack([b[:, 0] << 4 | b[:, 1] >> 4, (b[:, 1] & 15) << 8 | b[:, 2]], 1)
    x0, x1, y0, y1 = DRAWN_BOX
    return (q / (LEVELS - 1) * [x1 - x0, y1 - y0] + [x0, y0]).astype(np.float32)


def config(data: str, steps: int, seed: int) -> FlowConfig:
    """The page's training config for these control values (each checked against CONTROLS: ValueError)."""
    for key, value in (("data", data), ("steps", steps), ("seed", seed)):
        check(CONTROLS[key], value)
    return FlowConfig(steps=steps, jitter=jitter(data), seed=seed)


def grid(n: int = GRID_N) -> torch.Tensor:
    """n x n points over DRAWN_BOX (every data choice's box): (n * n, 2), row i of the grid (points i * n ..
    i * n + n - 1) at the i-th y."""
    x0, x1, y0, y1 = DRAWN_BOX
    xs, ys = torch.linspace(x0, x1, n), torch.linspace(y0, y1, n)
    return torch.stack(torch.meshgrid(xs, ys, indexing="xy"), -1).reshape(-1, 2)


def display_z(seed: int, n: int = DISPLAY_N) -> torch.Tensor:
    """The noise points (n, 2) whose paths the page follows, drawn by torch from ``seed``."""
    return torch.randn(n, 2, generator=torch.Generator().manual_seed(seed))


def browser_job(data: str, points: object, steps: int, seed: int) -> dict:
    """What the browser's trainer needs (``{cmd: 'flow', job}``), flat lists for the wire: ``cfg`` (the network,
    optimiser and schedule, batch, steps, jitter, seed, frames, report_every), ``pool`` (N * 2; rounded to 1e-4,
    far below the data's own spread), ``z`` (DISPLAY_N * 2), ``grid`` (GRID_N^2 * 2, rows along y), ``grid_n`` and
    ``box`` (x0, x1, y0, y1). For DRAWN with ``points`` None the pool is empty: the panel puts the drawing in."""
    cfg = config(data, steps, seed)
    train_pool = np.zeros((0, 2)) if data == DRAWN and points is None else pool(data, points)
    return {"cfg": {"hidden": cfg.hidden, "depth": cfg.depth, "lr": cfg.lr, "lr_floor": cfg.lr_floor,
                    "batch": cfg.batch, "steps": cfg.steps, "jitter": cfg.jitter, "seed": cfg.seed, "frames": FRAMES,
                    "report_every": REPORT_EVERY},
            "pool": np.round(train_pool.astype(np.float64), 4).reshape(-1).tolist(),
            "z": display_z(seed).reshape(-1).tolist(), "grid": grid().reshape(-1).tolist(), "grid_n": GRID_N,
            "box": list(BOX[data])}


def train_server(data: str, points: object, steps: int, seed: int) -> dict:
    """What the browser's trainer gives at the end, computed here (the fallback; torch's random numbers, so not the
    browser's film): ``paths`` (FRAMES + 1, DISPLAY_N, 2) float32, the display noise carried from t = 0 to 1;
    ``field`` (FRAMES + 1, GRID_N^2, 2) float32, the velocity on the grid at t = k / FRAMES; ``losses``, each step's
    batch loss; ``reports``, [step, mean batch loss since the previous report] every REPORT_EVERY steps and at the
    end (the browser's 'flow_progress' and 'flow_done' losses); ``step``, ``loss`` (the last report's) and
    ``seconds``."""
    cfg = config(data, steps, seed)
    train_pool = torch.from_numpy(pool(data, points))
    start = time.perf_counter()
    reports: list[list[float]] = []
    since: list[float] = []

    def report(step: int, loss: float) -> None:
        since.append(loss)
        if step % REPORT_EVERY == 0 or step == cfg.steps:
            reports.append([step, float(np.mean(since))])
            since.clear()

    with single_thread():  # a 64-unit network: a second thread only waits on a shared CPU
        net, losses = train(cfg, train_pool, report)
        g = grid()
        paths = integrate(net, display_z(seed), FRAMES)
        fields = torch.stack([field(net, g, k / FRAMES) for k in range(FRAMES + 1)])
    return {"paths": paths.numpy(), "field": fields.numpy(), "losses": losses, "reports": reports, "step": cfg.steps,
            "loss": reports[-1][1], "seconds": time.perf_counter() - start}
