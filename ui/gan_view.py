"""The GAN training page's pictures, drawn in the browser (a components-v2 component; its JS and CSS are
ui/gan_panel.js and .css): per objective the critic as shading under the data and the generated points, and both
objectives' bounds and distances against the steps. ``browser_panel``: the visitor's browser trains (a Web Worker,
ui/toy_train.worker.js) and the panel's own Play, Step and Reset drive it; ``panel`` (the fallback): the server sends
each step's picture once (the steps a run trained, ``dgm_core.demos.gan.Snapshot``) and the browser plays them a
step a frame. Computing in ``dgm_core.demos.gan``."""
from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import numpy as np
import streamlit as st
import torch

from dgm_core.demos import gan as demo
from dgm_core.demos.gan import MAP_N, Frame, Race, Snapshot
from dgm_core.models.critics import KINDS
from dgm_core.models.toy_gan import BOX, TOYS, sample_toy
from ui.critics_view import COLOURS, SHORT, fallback_reason, trainer_component, trainer_loads, trainer_runtime  # noqa: F401 (the page asks here)

DATA_N = 300  # data points drawn under each panel
CEILING = 2.0  # the squared Hellinger distance's largest value, drawn on the bounds' plot

_panel = trainer_component("dgm_gan_panel", "gan_panel", '<div class="gp"></div>')


@lru_cache(maxsize=len(TOYS))
def _data(toy: str) -> tuple[float, ...]:
    """The data points a panel draws under the generated ones, flat (x, y, x, y, ...): the same every frame."""
    pts = sample_toy(toy, DATA_N, torch.Generator().manual_seed(7)).numpy()
    return tuple(np.round(pts, 2).ravel().tolist())


def history(race: Race, start: int = 0) -> dict:
    """Each objective's steps from ``start`` on, bounds (NaN before the first step: null) and distances to the data;
    ``from``: ``start`` (the browser keeps what came before it)."""
    def num(v: float) -> float | None:
        return None if np.isnan(v) else round(v, 4)
    out: dict = {"from": start}
    for k in KINDS:
        fr = race.frames[k][start:]  # frame i is step i
        out[k] = {"step": [f.step for f in fr], "est": [num(f.estimate) for f in fr],
                  "off": [round(f.off, 4) for f in fr]}
    return out


def panel(race: Race, race_id: str, shots: list[Snapshot], key: str) -> None:
    """Both fields and the curves; ``shots``: the pictures of the steps trained since the last call (played in
    the browser one a frame), ``race_id``: a new one (a new setting, Reset) clears the browser's film."""
    _panel(key=key, data={
        "id": race_id, "box": list(BOX[race.toy]), "data": list(_data(race.toy)), "n": MAP_N, "ceiling": CEILING,
        "kinds": [{"kind": k, "label": SHORT[k], "colour": COLOURS[k]} for k in KINDS],
        "frames": [s.wire() for s in shots], "now": race.snapshot().wire(),
        "history": history(race, shots[0].step if shots else 0)})


@lru_cache(maxsize=4 * len(TOYS))
def _race(toy: str, lr: float, critic_steps: int) -> dict:
    return demo.browser_race(toy, lr, critic_steps)


def race_id(toy: str, lr: float, critic_steps: int) -> str:
    return f"{toy}|{lr}|{critic_steps}"


def browser_panel(toy: str, lr: float, critic_steps: int, *, key: str, on_frame: Callable[[], None],
                  on_fallback: Callable[[], None]) -> None:
    """Both generators trained in the visitor's browser from ``demo.browser_race``; the panel reports the last step's
    numbers (``frame``) when a Play ends and after a Step or a Reset, or ``fallback`` if it cannot train."""
    _panel(key=key, data={
        "mode": "browser", "id": race_id(toy, lr, critic_steps), "race": _race(toy, lr, critic_steps),
        "runtime": trainer_runtime(), "loads": trainer_loads(), "box": list(BOX[toy]), "data": list(_data(toy)),
        "n": MAP_N, "ceiling": CEILING, "kinds": [{"kind": k, "label": SHORT[k], "colour": COLOURS[k]} for k in KINDS],
        "play_steps": demo.PLAY_STEPS, "max_steps": demo.MAX_STEPS},
        default={"frame": None, "fallback": None}, on_frame_change=on_frame, on_fallback_change=on_fallback)


def reported(key: str, toy: str, lr: float, critic_steps: int) -> tuple[int, dict[str, Frame]] | None:
    """The browser's last reported step and each objective's numbers for this setting (None: none yet)."""
    got = st.session_state.get(key)
    frame = (got or {}).get("frame") if hasattr(got, "get") else None
    if not frame or frame.get("id") != race_id(toy, lr, critic_steps):
        return None
    nan = float("nan")
    return int(frame["step"]), {k: Frame(int(frame["step"]), nan if frame[k]["est"] is None else float(frame[k]["est"]),
                                         float(frame[k]["off"]), float(frame[k]["missed"])) for k in KINDS}
