"""The 2-D flow page's panel (a components-v2 component: static/js/panels/flow_panel.js, ui/flow_panel.css): the
data, the points of noise the learned flow carries to time t, their paths, and the velocity field at t as arrows,
scrubbed or played in the browser. ``panel``: the visitor's browser trains (static/js/workers/flow_train.worker.js)
or, where it cannot, the server does (``dgm_core.demos.flow2d.train_server``) and the panel plays what it sends. A
drawing travels as integer codes on a LEVELS x LEVELS grid over the box: the panel's state while a stroke ends, the
link's text after.

Its descriptor ``PAGE`` (collected by ui.catalog) lists its slide views (``*_slide``), drawn in present mode.
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import streamlit as st

from dgm_core.demos import flow2d as demo
from server import Job, key_of
from server.schema import typed
from ui import panels, serving
from ui import slides
from ui.trainer import FLOW_WORKER_URL, fallback_reason, trainer_loads, trainer_runtime
from ui.descriptor import Page
from ui.slides import Facts, Stage, View

LEVELS = demo.LEVELS
_panel = panels.component("dgm_flow_panel", "flow_panel", '<div class="fp"></div>')


def codes_of(points: np.ndarray, box: tuple[float, float, float, float]) -> list[int]:
    """(n, 2) points on the LEVELS grid over ``box`` -> their integer codes, flat (x, y, x, y, ...)."""
    x0, x1, y0, y1 = box
    lo, span = np.array([x0, y0]), np.array([x1 - x0, y1 - y0])
    return np.rint((np.asarray(points, dtype=np.float64) - lo) / span * (LEVELS - 1)).astype(int).ravel().tolist()


def points_of(codes: list, box: tuple[float, float, float, float]) -> np.ndarray:
    """Integer codes, flat, as the panel sends them -> (n, 2) points. Raises ValueError, a sentence, on anything
    else (a modified browser can send anything)."""
    try:
        c = np.asarray(codes, dtype=np.int64).reshape(-1, 2)
    except (TypeError, ValueError, OverflowError):
        raise ValueError("The drawing sent by the browser is not a list of points; draw again.") from None
    if len(c) > demo.MAX_POINTS or ((c < 0) | (c >= LEVELS)).any():
        raise ValueError(f"The drawing sent by the browser has points outside the picture or more than "
                         f"{demo.MAX_POINTS}; draw again.")
    x0, x1, y0, y1 = box
    return (np.array([x0, y0]) + c / (LEVELS - 1) * np.array([x1 - x0, y1 - y0])).astype(np.float32)


def drawn(panel_key: str, text_key: str) -> np.ndarray:
    """The visitor's drawn points: the panel's last stroke when it sent one (then stored as the link's text under
    ``text_key``), else the link's text. A bad link or drawing: a warning, and no points."""
    s = st.session_state
    got = s.get(panel_key)
    sent = got.get("codes") if hasattr(got, "get") else None
    if sent is not None and sent != s.get(panel_key + "_codes"):
        s[panel_key + "_codes"] = sent
        try:
            pts = points_of(sent, demo.DRAWN_BOX)
        except ValueError as e:
            st.warning(str(e))
            pts = np.zeros((0, 2), np.float32)
        s[text_key] = demo.encode_points(pts)
        return pts
    try:
        return demo.decode_points(s.get(text_key) or "")
    except ValueError as e:
        st.warning(f"{e} The drawing starts empty.")
        s[text_key] = ""
        return np.zeros((0, 2), np.float32)


def panel(data: str, points: np.ndarray, steps: int, seed: int, *, key: str, server: bool, wait: bool = False,
          keep: str | None = None) -> None:
    """The picture for this setting: trained in the browser, or (``server``) by the server. ``wait``: the film waits
    at t = 0 for Play (else it plays as it trains); ``keep``: the name the browser keeps the panel under while its tab
    lives (a deck's step: opened again, it shows the time it was left at)."""
    drawable = data == demo.DRAWN
    box = demo.DRAWN_BOX if drawable else demo.BOX[data]
    job = demo.browser_job(data, points if len(points) >= demo.MIN_POINTS else None, steps, seed)
    out = {"mode": "server" if server else "browser", "data": data, "steps": steps, "seed": seed, "box": list(box),
           "drawable": drawable, "codes": codes_of(points, box) if drawable else [], "levels": LEVELS,
           "min_points": demo.MIN_POINTS, "max_points": demo.MAX_POINTS, "grid": job["grid"], "grid_n": job["grid_n"],
           "points": [] if drawable else _shown_data(data), "wait": wait, "keep": keep}
    if server:
        out["result"] = _server_result(data, points, steps, seed, key)
    else:
        out.update(job=job, runtime=trainer_runtime(FLOW_WORKER_URL), loads=trainer_loads())
    _panel(key=key, data=out, default={"codes": None, "fallback": None}, on_codes_change=lambda: None,
           on_fallback_change=lambda: None)


@st.cache_data(show_spinner=False, max_entries=8)
def _shown_data(data: str) -> list[float]:
    """What the picture draws of a toy: 600 of its training points, rounded (a few kB of JSON)."""
    pool = demo.pool(data, None)
    return np.round(pool[:600], 3).ravel().tolist()


def _server_result(data: str, points: np.ndarray, steps: int, seed: int, key: str) -> dict | None:
    """The server's training (where the browser cannot train), through the shared cache and queue: one run per
    setting and drawing, whoever asks."""
    if data == demo.DRAWN and len(points) < demo.MIN_POINTS:
        return None
    text = demo.encode_points(points) if data == demo.DRAWN else ""
    job = Job(key_of("flow2d.train_server", data, text, steps, seed), lambda progress: _train(data, text, steps, seed),
              "2-D flow training")
    return serving.run(job, key=key + "_server", cancellable=False, label="Training the flow")[0]


def _train(data: str, text: str, steps: int, seed: int) -> dict:
    r = demo.train_server(data, demo.decode_points(text) if text else None, steps, seed)
    return {"paths": typed(r["paths"], "f32"), "field": typed(r["field"], "f32"),
            "frames": int(r["paths"].shape[0] - 1), "m": int(r["paths"].shape[1]), "g": int(r["field"].shape[1]),
            "note": f"Trained on the server in {r['seconds']:.1f} s: {steps} steps, last loss {r['loss']:.3f}."}


# ---------------------------------------------------------------- the slide views


def path_slide(link: Mapping[str, str], stage: Stage, shown: bool) -> Facts:
    """Noise carried to the data by the learned velocity field, scrubbed in time; trained in the visitor's browser.
    It waits at t = 0, the noise, for the lecturer's Play, and keeps its time when the deck comes back to it."""
    values = slides.link_values(demo, link)
    key = "slide_flow_panel"
    reason = fallback_reason(key)
    try:
        points = demo.decode_points(values["pts"]) if values["data"] == demo.DRAWN else demo.decode_points("")
    except ValueError as e:
        st.warning(f"{e} The drawing starts empty.")
        points = demo.decode_points("")
    with st.container(width=max(280, min(stage.width, stage.height - 70))):  # a square canvas under its time bar
        panel(values["data"], points, int(values["steps"]), int(values["seed"]), key=key, server=reason is not None,
              wait=True, keep=panels.deck_step())
    return {"steps": str(values["steps"])}


PAGE = Page("pages/flow2d.py", "Flow in 2-D", ":material/air:",
            "Draw points or pick a toy; your browser trains a small flow-matching model on them in seconds, and "
            "the time slider carries a cloud of noise to your shape along the learned velocity field, drawn as "
            "arrows. Your drawing goes in the link, and to the GAN page.",
            "**How flow and diffusion models generate.** A flow model learns a velocity field by regression on "
            "straight lines from noise points to data points; following the field turns noise into data. No "
            "critic, no bound: the same idea, in 28×28, fills holes on the Inpainting page.",
            demo=demo, views={"path": View(draw=path_slide, offers=("Play", "Pause", "t"),
                                           blurb="noise carried to the data by the learned field")})
