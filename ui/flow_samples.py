"""The flow-matching model's own digits for the flow page: computed once per server (dgm_core.demos.flow_samples)."""
from __future__ import annotations

import streamlit as st

from dgm_core.demos import flow_samples as fs
from ui.imaging import grid_png
from ui.loaders import model


@st.cache_data(show_spinner="Drawing the flow's digits…", max_entries=4)
def pictures(n_steps: int = 10, seed: int = 0) -> tuple[bytes, bytes, dict]:
    """(8 x 8 grid PNG; path PNG: a row per sample, a column per step from t = 0 to 1; the flow-mnist card's
    metrics)."""
    flow, card = model("flow-mnist")
    paths = fs.paths(flow, n=fs.GRID, n_steps=n_steps, seed=seed)  # (64, n_steps + 1, 1, 28, 28)
    grid = grid_png([("", list(paths[i:i + 8, -1])) for i in range(0, fs.GRID, 8)], scale=3, label_width=0)
    strip = grid_png([(f"digit {i + 1}", list(paths[i])) for i in range(fs.PATH_ROWS)], scale=2, label_width=60)
    return grid, strip, dict(card.metrics)
