"""The VAE page's cached computations and figures; the latent map is cached per model, the bound curve per
(model, digit), so a control redraws quickly.
"""
from __future__ import annotations


import numpy as np
import plotly.graph_objects as go
import streamlit as st
import torch

from dgm_core import data, results
from dgm_core.demos import vae as demo
from dgm_core.device import generator
from dgm_core.methods import DIGITS, palette
from ui import loaders

# the shipped binary VAEs the page offers (model name -> data set); the page lists those with a card
MODELS = {"vae-mnist": "mnist", "iwae-mnist": "mnist", "vae-omniglot": "omniglot"}
LABELS = {"vae-mnist": "VAE (ELBO), MNIST", "iwae-mnist": "IWAE (K = 5), MNIST", "vae-omniglot": "VAE (ELBO), Omniglot"}
COLOURS = {"vae-mnist": palette("blue"), "iwae-mnist": palette("vermillion"), "vae-omniglot": palette("bluish_green")}
N_MAP = 2000  # test images on the latent map


@st.cache_data(show_spinner="Loading test digits…", max_entries=2)
def digits(dataset: str) -> tuple[torch.Tensor, np.ndarray | None, str]:
    """Binarised test images and labels, or without data the VAE's own digits (no labels); and what they are."""
    if data.available(dataset):
        ds = data.load_images(dataset, "test", binarize=True)
        return ds.x, (None if ds.y is None else ds.y.numpy()), "test image"
    model, _ = loaders.model(f"vae-{dataset}")
    x = demo.prior_samples(model, N_MAP, generator(0, loaders.device())).cpu()
    return torch.bernoulli(x, generator=generator(1)), None, "generated image"


@st.cache_resource(show_spinner="Mapping the latent space…", max_entries=4)
def latent_map(model_name: str) -> demo.LatentMap:
    model, _ = loaders.model(model_name)
    x, _, _ = digits(MODELS[model_name])
    return demo.latent_map(model, x[:N_MAP].to(loaders.device()))


@st.cache_data(show_spinner=False, max_entries=64)
def curve(model_name: str, digit_key: str, _x: torch.Tensor, ks: tuple[int, ...]) -> demo.BoundCurve:
    """L_K on one digit, cached per model and ``digit_key`` (names _x), seeded so a rerun shows the same curve."""
    model, _ = loaders.model(model_name)
    return demo.bound_curve(model, _x.unsqueeze(0).to(loaders.device()), ks,
                            generator=generator(0, loaders.device()))


def class_curves() -> dict:
    """Per-class averages from `python -m dgm_core bench vae_bounds` (model -> label -> curve), if run."""
    try:
        return results.vae_bounds()
    except results.ResultsError:
        return {}


def bound_figure(curves: dict[str, demo.BoundCurve], averages: dict[str, dict], label: str | None) -> go.Figure:
    """L_K against log K per model, ±1 sd band, gap to the tightest shaded; dotted: the class average."""
    fig = go.Figure()
    for name, c in curves.items():
        col = COLOURS[name]
        fig.add_trace(go.Scatter(x=c.ks, y=[c.best] * len(c.ks), mode="lines", showlegend=False,
                                 line={"color": col, "width": 1, "dash": "dash"}, hoverinfo="skip"))
        fig.add_trace(go.Scatter(x=c.ks, y=c.mean, mode="lines+markers", name=f"{LABELS[name]}: this digit",
                                 line={"color": col, "width": 3}, fill="tonexty",
                                 fillcolor=_rgba(col, 0.12),
                                 error_y={"type": "data", "array": c.sd, "visible": True, "thickness": 1},
                                 hovertemplate="K = %{x}<br>L_K = %{y:.2f} nats<extra></extra>"))
        avg = averages.get(name, {}).get(label) if label is not None else None
        if avg:
            fig.add_trace(go.Scatter(x=avg["ks"], y=avg["mean"], mode="lines", line={"color": col, "dash": "dot"},
                                     name=f"{LABELS[name]}: mean over test {label}s ({avg['n_images']})"))
    fig.update_layout(xaxis={"type": "log", "title": "K (importance samples, log scale)"},
                      yaxis={"title": "bound L_K (nats)"}, height=420, margin={"l": 10, "r": 10, "t": 30, "b": 10},
                      legend={"orientation": "h", "y": -0.25, "x": 0})
    return fig


def _rgba(hex_colour: str, alpha: float) -> str:
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def map_figure(lm: demo.LatentMap, labels: np.ndarray | None, chosen: int | None,
               extra: np.ndarray | None) -> go.Figure:
    """Encodings on the PCA plane, chosen digit as a ring, the user's as a star; customdata = image index."""
    fig = go.Figure()
    idx = np.arange(lm.xy.shape[0])
    if labels is not None and len(np.unique(labels[: len(idx)])) <= 10:
        lab = labels[: len(idx)]
        for k in np.unique(lab):
            sel = lab == k
            fig.add_trace(go.Scattergl(x=lm.xy[sel, 0], y=lm.xy[sel, 1], mode="markers", name=str(k),
                                       customdata=idx[sel], marker={"size": 5, "opacity": 0.75,
                                                                    "color": DIGITS[int(k) % len(DIGITS)]},
                                       hovertemplate=f"label {k}<br>image #%{{customdata}}<extra></extra>"))
    else:
        fig.add_trace(go.Scattergl(x=lm.xy[:, 0], y=lm.xy[:, 1], mode="markers", name="images",
                                   customdata=idx, marker={"size": 5, "opacity": 0.6, "color": "#666"},
                                   hovertemplate="image #%{customdata}<extra></extra>"))
    if chosen is not None and chosen < len(idx):
        fig.add_trace(go.Scatter(x=lm.xy[chosen:chosen + 1, 0], y=lm.xy[chosen:chosen + 1, 1], mode="markers",
                                 name=f"image #{chosen}", hoverinfo="skip",
                                 marker={"size": 16, "symbol": "circle-open", "color": "black", "line": {"width": 3}}))
    if extra is not None:
        fig.add_trace(go.Scatter(x=extra[:, 0], y=extra[:, 1], mode="markers", name="your digit", hoverinfo="skip",
                                 marker={"size": 20, "symbol": "star", "color": palette("orange"),
                                         "line": {"width": 1.5, "color": "black"}}))
    fig.update_layout(height=480, dragmode="select", margin={"l": 10, "r": 10, "t": 30, "b": 10},
                      xaxis={"title": f"PC 1 ({lm.explained[0]:.0%} of the variance)"},
                      yaxis={"title": f"PC 2 ({lm.explained[1]:.0%})"},
                      legend={"title": {"text": "label"}, "orientation": "v"})
    return fig


def selected_indices(event) -> list[int]:
    """Image indices of the points selected on the map (box, lasso or click)."""
    try:
        points = event.selection.points
    except AttributeError:
        return []
    out = []
    for p in points:
        cd = p.get("customdata")
        if cd is not None:
            out.append(int(cd[0] if isinstance(cd, (list, tuple)) else cd))
    return out
