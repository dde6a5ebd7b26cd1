"""The class's own experiment, pooled, on the projector: on a presented step whose deck step runs one (server.class_deck
``experiment``), beside the step's view, the runs the class's phones sent (server/class_runs.py), read again every
``RUN_EVERY_S`` seconds by a fragment (no rerun of the slide): "N runs from the class", the paired difference between
the experiment's first method and its second over the class's masks (mean ± SE, and on how many masks the first did
better), a strip of the per-run differences, and a wall of the latest masks (one PNG: white seen, black hidden).
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st
from PIL import Image

from dgm_core.methods import PALETTE
from server import class_deck, class_runs
from server.poll_routes import store
from server.poll_spec import PollError
from ui import lecture, plots
from ui.imaging import png_bytes

RUN_EVERY_S = 1.0  # how often the projector reads the runs again
EMPTY = "No runs yet: the class hides part of the digit on their phones and runs both samplers."
PREPARING = "The class's experiment is being prepared: the phones get it in a moment."
WALL_COLUMNS = 10


def step_of(name: str, k: int, asked: bool = False) -> tuple[str, int] | None:
    """(the room, the step) where this browser holds the lecture of the deck ``name`` and its step ``k`` runs the
    class's pooled experiment (the deck step asks for one, ``asked``, or its inpainting experiment is kept); None
    otherwise (no pooled view: a latent experiment stays on the phones)."""
    lec = lecture.held(name)
    if lec is None:
        return None
    kept = class_deck.experiment(lec.deck_hash, k)
    return (lec.code, k) if (asked and kept is None) or (kept or {}).get("kind") == "inpaint" else None


def headline(p: dict) -> tuple[str, str]:
    """The pooled runs in words: "N runs from the class", and the paired difference with its SE and the wins."""
    n, (a, b) = p["n"], p["methods"]
    la, lb = p["labels"][a], p["labels"][b]
    se = f" ± {p['diff_se']:.2f}" if p["diff_se"] is not None else ""
    return (f"{n} run{'s' * (n != 1)} from the class",
            f"{la} − {lb}: {p['diff_mean']:+.2f}{se} {p['metric']}{' (SE)' * bool(se)}; the {la} better on "
            f"{p['wins']} of {n} mask{'s' * (n != 1)}")


def strip(p: dict) -> go.Figure:
    """Each run's difference (first method − second) as a dot, its mean as a line; right of 0: the first did better
    (F1; MSE the other way)."""
    a, b = (p["labels"][m] for m in p["methods"])
    d = np.asarray(p["diffs"])
    jitter = np.random.default_rng(0).uniform(-0.3, 0.3, len(d))  # the same for the same runs: no dance on refresh
    fig = go.Figure(go.Scatter(x=p["diffs"], y=jitter.tolist(), mode="markers",
                               hovertemplate="%{x:+.3f}<extra></extra>",
                               marker=dict(color=PALETTE["blue"], size=9, opacity=0.6)))
    fig.add_vline(x=0, line_color=PALETTE["dark_grey"], line_width=1)
    fig.add_vline(x=float(d.mean()), line_color=PALETTE["vermillion"], line_width=3)
    top = max(0.05, float(np.abs(d).max()) * 1.1)
    fig.update_layout(height=170, margin=dict(l=10, r=10, t=10, b=40), showlegend=False,
                      xaxis=dict(range=[-top, top], title=f"{p['metric']}: {a} − {b}", zeroline=False),
                      yaxis=dict(visible=False, range=[-0.5, 0.5]))
    return fig


def wall(masks: list[str], shape: list[int], columns: int = WALL_COLUMNS, scale: int = 2) -> bytes:
    """The masks as one PNG, ``columns`` a row, a grey gap between them: white where the model saw the pixel, black
    where it was hidden."""
    h, w = shape[-2:]
    columns = max(1, min(columns, len(masks)))  # a few masks: each drawn large
    rows = -(-len(masks) // columns)
    out = np.full((rows * (h + 2), columns * (w + 2)), 160, np.uint8)
    for i, m in enumerate(masks):
        r, c = divmod(i, columns)
        seen = np.frombuffer(m.encode(), np.uint8).reshape(h, w) == ord("1")
        out[r * (h + 2) + 1:r * (h + 2) + 1 + h, c * (w + 2) + 1:c * (w + 2) + 1 + w] = np.where(seen, 255, 0)
    img = Image.fromarray(out)
    return png_bytes(img.resize((img.width * scale, img.height * scale), Image.NEAREST))


@st.fragment(run_every=RUN_EVERY_S)
def panel(code: str, step: int) -> None:
    """The class's runs on ``step`` of room ``code``, pooled, read again every ``RUN_EVERY_S`` seconds."""
    try:
        p = class_runs.pooled(store(), code, step)
    except PollError as e:  # 409: the deck's drawing has not written the step's experiment yet
        st.caption(PREPARING if e.status == 409 else str(e))
        return
    if not p["n"]:
        st.info(EMPTY)
        return
    count, diff = headline(p)
    st.markdown(f'<div class="class-runs"><b class="count">{count}</b><br><span class="diff">{diff}</span></div>',
                unsafe_allow_html=True)
    plots.show(st, strip(p), key=f"class_runs_{code}_{step}", width="stretch", config={"displayModeBar": False})
    st.image(wall(p["masks"], p["shape"]), caption=f"The class's latest {len(p['masks'])} masks: white seen, black "
                                                    "hidden", width="stretch")
