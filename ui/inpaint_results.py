"""Results of the inpainting page: one row per method, the samplers' insides, and downloads."""
from __future__ import annotations

import io
import time

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
import torch

from dgm_core import masks
from dgm_core.demos.inpainting import BINARY, METHODS, ChainTrace
from dgm_core.imputation import Imputation
from ui.imaging import colour_map, grid_png, png_bytes, to_pil

SCALE = {28: 4, 32: 4, 64: 2}
COLOURS = {"mwg": "#d62728", "pseudo_gibbs": "#1f77b4"}  # method id -> trace colour


def _fmt(v: float) -> str:
    return f"{v:.3f}" if abs(v) < 1000 else f"{v:.0f}"


def method_row(res: Imputation, metrics: dict[str, float], image: torch.Tensor, mask: torch.Tensor) -> None:
    """One method: imputation, samples strip, uncertainty map, metrics on the missing pixels."""
    scale = SCALE.get(image.shape[-1], 2)
    c0, c1, c2, c3 = st.columns([1.1, 2.6, 1.1, 1.6])
    c0.image(to_pil(res.mean[0], scale), caption="imputation (mean)")
    n = min(res.samples.shape[1], 6)
    strip = torch.cat([res.samples[0, i].clamp(0, 1) for i in range(n)], dim=-1)
    c1.image(to_pil(strip, scale), caption=f"{n} samples" if res.samples.shape[1] > 1 else "single fill")
    std = res.std[0]
    vmax = float(std.max())
    c2.image(to_pil(colour_map(std, vmax if vmax > 0 else 1.0), scale),
             caption=f"uncertainty (std, max {vmax:.2f})" if vmax > 0 else "no uncertainty (point fill)")
    factors = res.diagnostics.get("factors")
    if factors is not None:  # DMFA / MFA: the low-rank directions along which the fill may vary
        f = factors[0]
        f = 0.5 + f / (2 * f.abs().max().clamp_min(1e-8))
        c1.image(to_pil(torch.cat(list(f), dim=-1), scale), caption="directions of uncertainty (factor columns)")
    c3.markdown(f"**{METHODS[res.method].label}**")
    c3.table(pd.DataFrame({"metric": list(metrics), "value": [_fmt(v) for v in metrics.values()]})
             .set_index("metric"))


def _trace_figure(traces: dict[str, ChainTrace], what: str, title: str, y: str) -> go.Figure:
    fig = go.Figure()
    for method, tr in traces.items():
        values = tr.log_joint.mean(1) if what == "log_joint" else tr.score
        fig.add_trace(go.Scatter(y=values.numpy(), x=list(range(1, len(values) + 1)), mode="lines",
                                 name=METHODS[method].label, line={"color": COLOURS.get(method)}))
    fig.update_layout(title=title, xaxis_title="iteration", yaxis_title=y, height=300,
                      margin={"l": 10, "r": 10, "t": 40, "b": 10}, legend={"orientation": "h", "y": -0.3})
    return fig


def sampler_insides(traces: dict[str, ChainTrace], dataset: str, image: torch.Tensor, p: str) -> None:
    """Acceptance, log-joint and score traces, and a slider through the chains' iterations."""
    if not traces:
        return
    st.subheader("Inside the samplers")
    mwg = traces.get("mwg")
    cols = st.columns(3)
    if mwg is not None:
        acc = mwg.accepted.float().mean().item()
        cols[0].metric("MWG acceptance rate", f"{acc:.1%}",
                       help="Fraction of encoder proposals the Metropolis-Hastings step accepted.")
    cols[1].metric("chains", traces[next(iter(traces))].log_joint.shape[1])
    cols[2].metric("iterations", traces[next(iter(traces))].log_joint.shape[0])
    c1, c2 = st.columns(2)
    c1.plotly_chart(_trace_figure(traces, "log_joint", "log p(x, z) along the chains (mean over chains)",
                                  "log-joint (nats)"), key=p + "fig_lj")
    if all(len(t.score) for t in traces.values()):
        name = "F1 of the missing pixels" if BINARY[dataset] else "MSE of the missing pixels"
        c2.plotly_chart(_trace_figure(traces, "score", f"{name} against iteration", name), key=p + "fig_score")
    steps = traces[next(iter(traces))].snapshot_steps
    if len(steps) > 1:
        c1, c2 = st.columns([5, 1], vertical_alignment="bottom")
        k = c1.select_slider("Step through the chains", options=list(range(len(steps))),
                             format_func=lambda i: f"iteration {steps[i]}", key=p + "step")
        play = c2.button("▶ Play", key=p + "play", help="Animate the chains from the first iteration.")
        scale = SCALE.get(image.shape[-1], 2)
        slots = [col.empty() for col in st.columns(len(traces) * 2)]

        def show(k: int) -> None:
            for i, (method, tr) in enumerate(traces.items()):
                label, j = METHODS[method].label, min(k, len(tr.snapshot_steps) - 1)
                slots[2 * i].image(to_pil(tr.snapshot_sample[j], scale), caption=f"{label}: chain 1, it. {steps[j]}")
                slots[2 * i + 1].image(to_pil(tr.snapshot_mean[j], scale), caption=f"{label}: mean over chains")

        if play:  # an animation inside this run; the slider keeps its own position
            for j in range(len(steps)):
                show(j)
                time.sleep(0.08)
        show(k)


def downloads(rows: list, image: torch.Tensor, mask: torch.Tensor, p: str) -> None:
    """PNG grid of every method, metrics CSV, and the mask."""
    masked = masks.overlay(image, mask)
    grid = [("original", [image]), ("masked", [masked])]
    for res, _, _ in rows:
        strip = [res.mean[0]] + [res.samples[0, i].clamp(0, 1) for i in range(min(res.samples.shape[1], 6))]
        grid.append((METHODS[res.method].label, strip + [colour_map(res.std[0])]))
    table = pd.DataFrame([{"method": METHODS[res.method].label, **m} for res, m, _ in rows])
    csv = io.StringIO()
    table.to_csv(csv, index=False)
    c1, c2, c3 = st.columns(3)
    c1.download_button("Download results (PNG grid)", grid_png(grid), "inpainting.png", "image/png", key=p + "dl_png")
    c2.download_button("Download metrics (CSV)", csv.getvalue(), "inpainting_metrics.csv", "text/csv",
                       key=p + "dl_csv")
    c3.download_button("Download mask (PNG, white = missing)", png_bytes(to_pil((~mask).float())),
                       "mask.png", "image/png", key=p + "dl_mask")
