"""The flow-matching model's own digits for the flow page: computed once per server and step count
(dgm_core.demos.flow_samples), and what more steps buy (benchmarks/results/flow_steps.json, ``bench flow_steps``)."""
from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from dgm_core import results
from dgm_core.demos import flow_samples as fs
from dgm_core.models.flow import SETTLED_STEPS
from ui.imaging import grid_png
from ui.loaders import model
from ui.plots import frozen

COLUMNS = 10  # the path strip shows t = 0 and about this many later times, whatever the steps


def _every(n_steps: int) -> int:
    """The path strip's stride: one column every this many steps."""
    return max(1, n_steps // COLUMNS)


@st.cache_data(show_spinner="Drawing the flow's digits…", max_entries=len(fs.STEP_CHOICES))
def pictures(n_steps: int = SETTLED_STEPS, seed: int = 0) -> tuple[bytes, bytes, dict]:
    """(8 x 8 grid PNG; path PNG: a row per sample, columns from t = 0 to 1 every ``n_steps // COLUMNS`` steps; the
    flow-mnist card's metrics)."""
    flow, card = model("flow-mnist")
    paths = fs.paths(flow, n=fs.GRID, n_steps=n_steps, seed=seed)  # (64, n_steps + 1, 1, 28, 28)
    every = _every(n_steps)
    grid = grid_png([("", list(paths[i:i + 8, -1])) for i in range(0, fs.GRID, 8)], scale=3, label_width=0)
    strip = grid_png([(f"digit {i + 1}", list(paths[i, ::every])) for i in range(fs.PATH_ROWS)], scale=2,
                     label_width=60)
    return grid, strip, dict(card.metrics)


def path_times(n_steps: int) -> str:
    """The times the path strip's columns show, as its caption says them."""
    dt = _every(n_steps) / n_steps
    return f"t = 0, {dt:g}, {2 * dt:g}, …, 1"


@st.cache_resource(max_entries=1)
def _steps_figure(stamp: str) -> go.Figure:
    d = results.document("flow_steps")
    rows = d["records"]
    x = [r["steps"] for r in rows]
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=x, y=[r["solver_gap_grey_levels"] for r in rows], mode="lines+markers",
                             name="change at twice the steps (grey levels)"))
    fig.add_trace(go.Scatter(x=x, y=[r["background_ratio"] for r in rows], mode="lines+markers",
                             name="background ink, × real digits'"))
    fig.add_hline(y=1, line_dash="dot", line_color="grey")
    fig.update_layout(title="More steps: a cleaner background, the same digits", height=330,
                      margin=dict(l=10, r=10, t=50, b=10), legend=dict(orientation="h", y=-0.3),
                      xaxis=dict(title="Heun steps", type="log", tickvals=x), yaxis=dict(title="", rangemode="tozero"))
    return frozen(fig)


def steps_figure() -> tuple[go.Figure, dict]:
    """The figure of ``bench flow_steps`` and its document; ResultsError (one sentence) when it is not there."""
    d = results.document("flow_steps")
    return _steps_figure(f"{d['machine']['date']} {d['seconds']}"), d
