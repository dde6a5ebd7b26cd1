"""The GAN training page's pictures, drawn in the browser (a components-v2 component; its JS and CSS are
static/js/panels/gan_panel.js, ui/gan_panel.css): per objective the critic as shading under the data and the generated
points, and both objectives' bounds and distances against the steps. ``browser_panel``: the visitor's browser trains (a
Web Worker, static/js/workers/toy_train.worker.js) and the panel's own Play, Step and Reset drive it; ``panel`` (the
fallback): the server sends each step's picture once (the steps a run trained, ``dgm_core.demos.gan.Snapshot``) and the
browser plays them a step a frame. Computing in ``dgm_core.demos.gan``.

Its descriptor ``PAGE`` (collected by ui.catalog) lists its slide views (``*_slide``), drawn in present mode.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from functools import lru_cache

import numpy as np
import streamlit as st
import torch

from dgm_core.demos import flow2d as flow_demo
from dgm_core.demos import critics as critics_demo
from dgm_core.demos import gan as demo
from dgm_core.demos.gan import MAP_N, Frame, Race, Snapshot
from dgm_core.models.critics import KINDS, true_value
from dgm_core.models.toy_gan import BOX, DRAWN, TOYS, sample_toy
from ui import panels, slides
from ui.descriptor import Page
from ui.slides import Facts, Stage, View
from ui import flow2d_view
from ui.critics_view import COLOURS, SHORT
from ui.trainer import fallback_reason, trainer_loads, trainer_runtime  # noqa: F401 (the page asks here)

DATA_N = 300  # data points drawn under each panel
CEILING = 2.0  # the squared Hellinger distance's largest value, drawn on the bounds' plot

_panel = panels.component("dgm_gan_panel", "gan_panel", '<div class="gp"></div>')


@lru_cache(maxsize=2 * len(TOYS))
def _data(toy: str, points: tuple[float, ...] = ()) -> tuple[float, ...]:
    """The data points a panel draws under the generated ones, flat (x, y, x, y, ...): the same every frame
    (``points``: DRAWN's)."""
    pts = sample_toy(toy, DATA_N, torch.Generator().manual_seed(7), points or None).numpy()
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
        "id": race_id, "box": list(BOX[race.toy]), "data": list(_data(race.toy, race.points)), "n": MAP_N,
        "ceiling": CEILING,
        "kinds": [{"kind": k, "label": SHORT[k], "colour": COLOURS[k]} for k in KINDS],
        "frames": [s.wire() for s in shots], "now": race.snapshot().wire(),
        "history": history(race, shots[0].step if shots else 0)})


@lru_cache(maxsize=4 * len(TOYS))
def _race(toy: str, lr: float, critic_steps: int, points: tuple[float, ...] = ()) -> dict:
    return demo.browser_race(toy, lr, critic_steps, points=points)


def race_id(toy: str, lr: float, critic_steps: int, points: tuple[float, ...] = ()) -> str:
    """A race's name for the browser (a new one starts its film again); a drawing's points by a digest."""
    drawn = f"|{hashlib.sha256(np.asarray(points, np.float32).tobytes()).hexdigest()[:12]}" if points else ""
    return f"{toy}|{lr}|{critic_steps}{drawn}"


def browser_panel(toy: str, lr: float, critic_steps: int, *, key: str, on_frame: Callable[[], None],
                  on_fallback: Callable[[], None], points: tuple[float, ...] = (), keep: str | None = None) -> None:
    """Both generators trained in the visitor's browser from ``demo.browser_race``; the panel reports the last step's
    numbers (``frame``) when a Play ends and after a Step or a Reset, or ``fallback`` if it cannot train. ``keep``: the
    name the browser keeps the panel under while its tab lives (a deck's step: opened again, the race is where it
    was left, and the panel reports its step to the new page)."""
    _panel(key=key, data={
        "mode": "browser", "id": race_id(toy, lr, critic_steps, points), "race": _race(toy, lr, critic_steps, points),
        "runtime": trainer_runtime(), "loads": trainer_loads(), "box": list(BOX[toy]),
        "data": list(_data(toy, points)),
        "n": MAP_N, "ceiling": CEILING, "kinds": [{"kind": k, "label": SHORT[k], "colour": COLOURS[k]} for k in KINDS],
        "play_steps": demo.PLAY_STEPS, "max_steps": demo.MAX_STEPS, "keep": keep},
        default={"frame": None, "fallback": None}, on_frame_change=on_frame, on_fallback_change=on_fallback)


def reported(key: str, toy: str, lr: float, critic_steps: int, points: tuple[float, ...] = ()
             ) -> tuple[int, dict[str, Frame]] | None:
    """The browser's last reported step and each objective's numbers for this setting (None: none yet)."""
    got = st.session_state.get(key)
    frame = (got or {}).get("frame") if hasattr(got, "get") else None
    if not frame or frame.get("id") != race_id(toy, lr, critic_steps, points):
        return None
    nan = float("nan")
    return int(frame["step"]), {k: Frame(int(frame["step"]), nan if frame[k]["est"] is None else float(frame[k]["est"]),
                                         float(frame[k]["off"]), float(frame[k]["missed"])) for k in KINDS}


def drawn_points(toy: str, key: str) -> tuple[float, ...] | None:
    """For DRAWN, the 2-D flow page's drawing from the link's text under ``key``, flat (x, y, x, y, ...); () for a
    toy. None, with a sentence and a link to the flow page, when there is no usable drawing (too few points, or a
    link's text that is not one)."""
    if toy != DRAWN:
        return ()
    try:
        pts = flow_demo.decode_points(st.session_state.get(key) or "")
    except ValueError as e:
        st.warning(str(e))
        pts = np.zeros((0, 2), np.float32)
    if len(pts) < flow_demo.MIN_POINTS:
        st.info(f"Your drawing has {len(pts)} points; a GAN needs at least {flow_demo.MIN_POINTS}. Draw them on the "
                "2-D flow page, then follow its link **Train a GAN on your drawing**.", icon=":material/draw:")
        flow2d_view.PAGE.link()
        return None
    return tuple(np.round(pts.astype(np.float64).ravel(), 5).tolist())


# ---------------------------------------------------------------- the slide views


def race_slide(link: Mapping[str, str], stage: Stage, shown: bool) -> Facts:
    """The two generators, each against its critic, trained live in the visitor's browser, with the verdict; the race
    waits at step 0 for the lecturer's Play, and is where it was left when the deck comes back to it."""
    values = slides.link_values(demo, link)
    key = "slide_gan_panel"
    if (reason := fallback_reason(key)) is not None:
        st.info(f"This browser cannot train here ({reason}): press **Explore** to train on the server.")
        return {}
    setting = (values["toy"], values["lr"], int(values["k"]))
    verdict = st.empty()
    # the panel: its buttons and note, two square fields side by side, their curves: about 0.45 w + 130 px tall
    with st.container(width=max(320, min(stage.width, int((stage.height - 160) / 0.45)))):
        browser_panel(*setting, key=key, on_frame=lambda: None, on_fallback=lambda: None, points=(),
                      keep=panels.deck_step())
    last = reported(key, *setting)
    verdict.markdown(demo.verdict_of(*last, critics_demo.LABELS) if last else
                     demo.verdict_of(0, {}, critics_demo.LABELS))
    ceiling = true_value("hellinger", 1.0)  # any two distributions that do not overlap
    st.caption(f"The Hellinger bound's ceiling is {ceiling:g}: the squared Hellinger distance between two "
               "distributions that do not overlap, however far apart.")
    return {"steps": str(demo.MAX_STEPS), "ceiling": f"{ceiling:g}"}


PAGE = Page("pages/gan.py", "GAN training", ":material/animation:",
            "The same small generator trained on a 2-D toy (a ring of Gaussians, two moons, the critics page's "
            "line) against a squared-Hellinger and a Wasserstein critic side by side, a step per frame: the "
            "critics as heat maps, the generated points moving, both bounds against the steps.",
            "**Why the critic's slope matters.** Started away from the data, the Hellinger critic saturates at its "
            "ceiling and the generator it trains barely moves or collapses; the Wasserstein critic keeps a slope "
            "all the way to the data.",
            demo=demo, views={"race": View(draw=race_slide, offers=("Play", "Step", "Reset"),
                                           blurb="two generators, each against its critic, trained live")})
