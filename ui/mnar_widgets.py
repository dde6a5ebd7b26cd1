"""Streamlit helpers of the MNAR lab page: its URL-state spec, cached data and fits, mechanism widgets,
figures. The computing is in dgm_core.demos.mnar; here only what the page needs around it.
"""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dgm_core import data
from dgm_core.demos import mnar as mnar_lab
from ui.state import Param
from dgm_core.missingness.tabular import missing_curve

MECHANISMS = {
    "notmiwae_uci": "not-MIWAE protocol (above-mean values of the first half of the features)",
    "self_masked": "self-masked logistic (each value hides itself)",
    "quantile": "quantile censoring",
    "mnar_logistic": "MNAR logistic (driven by values that may be missing)",
    "mar_logistic": "MAR logistic (driven by always-observed columns)",
    "mcar": "MCAR (completely at random)",
}
FORMULAS = {
    "notmiwae_uci": r"P(m_{ij}=1 \mid x) = \mathbb{1}\left[x_{ij} > \bar x_j + \delta\, s_j\right],\ j < \lfloor D/2 \rfloor",
    "self_masked": r"P(m_{ij}=1 \mid x) = \sigma\!\left(c_j\, k\, \frac{x_{ij}-\bar x_j}{s_j} + b_j\right),"
                   r"\ c_j = \pm 1,\ b_j: \tfrac1N\textstyle\sum_i P(m_{ij}=1) = p",
    "quantile": r"P(m_{ij}=1 \mid x) = p\ \mathbb{1}\left[x_{ij} \ge Q_j(1-q)\right]\ \text{(upper; lower: } x_{ij} \le Q_j(q))",
    "mnar_logistic": r"P(m_{ij}=1 \mid x) = \sigma\!\left(x_{i,\mathrm{in}}^\top w_j + b_j\right),"
                     r"\ \text{inputs then masked MCAR}(p)",
    "mar_logistic": r"P(m_{ij}=1 \mid x) = \sigma\!\left(x_{i,\mathrm{obs}}^\top w_j + b_j\right)",
    "mcar": r"P(m_{ij}=1 \mid x) = p",
}


P = "mnar_"  # the page's session-state and URL prefix
SPEC = {
    "table": Param("breast", choices=[*data.TABLES, "upload CSV"]), "seed": Param(0, lo=0, hi=10_000),
    "preset": Param("small", choices=list(mnar_lab.PRESETS)), "mech": Param("notmiwae_uci", choices=list(MECHANISMS)),
    # the mechanisms' parameters; only the chosen mechanism's are kept in the URL
    "offset": Param(0.0, lo=-1.0, hi=1.0), "nf": Param(0, lo=0, hi=10_000),  # nf 0: half of the features
    "p": Param(0.3, lo=0.05, hi=0.9), "dir": Param("high", choices=["high", "low"]), "k": Param(3.0, lo=0.5, hi=10.0),
    "q": Param(0.25, lo=0.05, hi=0.45), "cut": Param("upper", choices=["upper", "lower", "both"]),
    "pin": Param(0.3, lo=0.1, hi=0.9),
}
BASE_KEYS = ("table", "seed", "preset", "mech")
MECHANISM_KEYS = {"notmiwae_uci": ("offset", "nf"), "self_masked": ("p", "dir", "k"), "quantile": ("p", "q", "cut"),
                  "mnar_logistic": ("p", "pin"), "mar_logistic": ("p", "pin"), "mcar": ("p",)}


@st.cache_data(show_spinner=False, max_entries=8)
def load_source(name: str, csv_bytes: bytes | None) -> tuple[np.ndarray, tuple[str, ...], np.ndarray | None, str | None, int]:
    """(complete rows x, columns, y, task, rows dropped). Raises ValueError / DatasetNotFoundError."""
    table = data.table_from_csv(csv_bytes) if csv_bytes is not None else data.load_table(name)
    complete = np.isfinite(table.x).all(1)
    if complete.sum() < 10:
        raise ValueError(f"The table has only {int(complete.sum())} rows without missing values; at least 10 "
                         "are needed to simulate missingness and score imputations.")
    y = None if table.y is None else table.y[complete]
    return table.x[complete], table.columns, y, table.task, int((~complete).sum())


def mechanism_params(mechanism: str, n_features: int) -> dict:
    """Widgets for the chosen mechanism's parameters (their values live in session state and the URL)."""
    s = st.session_state
    c1, c2, c3 = st.columns(3)
    if mechanism == "notmiwae_uci":
        if not 1 <= s[P + "nf"] <= n_features:  # 0 (a new table) or more features than this table has
            s[P + "nf"] = max(n_features // 2, 1)
        return {"offset": c1.slider("threshold offset δ (sd)", -1.0, 1.0, step=0.25, key=P + "offset"),
                "n_features": c2.slider("censored features (first n)", 1, max(n_features, 2), key=P + "nf")}
    p = c1.slider("missing rate p", 0.05, 0.9, step=0.05, key=P + "p")
    if mechanism == "self_masked":
        return {"p": p, "direction": c2.radio("values that go missing", ["high", "low"], key=P + "dir", horizontal=True),
                "steepness": c3.slider("steepness k", 0.5, 10.0, step=0.5, key=P + "k")}
    if mechanism == "quantile":
        return {"p": p, "q": c2.slider("quantile q", 0.05, 0.45, step=0.05, key=P + "q"),
                "cut": c3.radio("cut", ["upper", "lower", "both"], key=P + "cut", horizontal=True), "p_params": 0.5}
    if mechanism in ("mnar_logistic", "mar_logistic"):
        key = "p_params" if mechanism == "mnar_logistic" else "p_obs"
        return {"p": p, key: c2.slider("fraction of input columns", 0.1, 0.9, step=0.1, key=P + "pin")}
    return {"p": p}


def curve_figure(sim: mnar_lab.Simulated, columns) -> go.Figure:
    fig = go.Figure()
    for j, (centres, prob) in enumerate(missing_curve(sim.z, sim.missing)):
        fig.add_scatter(x=centres, y=prob, mode="lines", name=str(columns[j])[:24])
    fig.update_layout(height=320, margin=dict(t=30, b=40), xaxis_title="value (standardised: (x - mean) / sd)",
                      yaxis_title="P(missing | value)", yaxis_range=[-0.02, 1.02], title="Mechanism per feature")
    return fig


def histogram_figure(sim: mnar_lab.Simulated, j: int, name: str) -> go.Figure:
    fig = go.Figure()
    fig.add_histogram(x=sim.x[sim.mask[:, j], j], name="observed", opacity=0.6, nbinsx=40)
    fig.add_histogram(x=sim.x[~sim.mask[:, j], j], name="missing (hidden truth)", opacity=0.6, nbinsx=40)
    fig.update_layout(barmode="overlay", height=300, margin=dict(t=30, b=40), xaxis_title=name, title=name)
    return fig


def training_figure(curves: dict[str, list]) -> go.Figure:
    fig = go.Figure()
    for name, curve in curves.items():
        if curve:
            it, loss, rmse = zip(*curve)
            fig.add_scatter(x=it, y=rmse, name=f"{name}: RMSE", mode="lines+markers")
            fig.add_scatter(x=it, y=loss, name=f"{name}: -bound", mode="lines", yaxis="y2", line=dict(dash="dot"))
    fig.update_layout(height=320, margin=dict(t=30, b=40), xaxis_title="iteration",
                      yaxis=dict(title="RMSE on missing (live, 200 rows)"),
                      yaxis2=dict(title="loss (-bound)", overlaying="y", side="right"), title="Training")
    return fig


def scatter_figure(sim: mnar_lab.Simulated, fits: dict, j: int, name: str) -> go.Figure:
    miss = ~sim.mask[:, j]
    truth = sim.x[miss, j]
    fig = go.Figure()
    for method, fit in fits.items():
        fig.add_scatter(x=truth, y=fit.imputed[miss, j], mode="markers", name=mnar_lab.label(method),
                        marker=dict(size=5, opacity=0.6))
    lo, hi = (float(truth.min()), float(truth.max())) if miss.any() else (0.0, 1.0)
    fig.add_scatter(x=[lo, hi], y=[lo, hi], mode="lines", name="perfect", line=dict(color="grey", dash="dash"))
    fig.update_layout(height=380, margin=dict(t=30, b=40), xaxis_title=f"true {name}",
                      yaxis_title=f"imputed {name}", title="True vs imputed (missing entries)")
    return fig


def mechanism_table(sim: mnar_lab.Simulated, fits: dict, columns) -> pd.DataFrame | None:
    truth = mnar_lab.true_mechanism(sim)
    rows = []
    for j, col in enumerate(columns):
        row = {"feature": col}
        if truth is not None:
            row.update({"true direction": truth[j]["direction"], "true threshold": truth[j]["threshold"]})
        for fit in fits.values():
            if fit.mechanism is not None:
                short = "SM-known" if fit.method == "notmiwae_known" else "SM"
                row[f"{short} direction"] = fit.mechanism["direction"][j].replace(" values missing", "")
                row[f"{short} threshold"] = fit.mechanism["threshold"][j]
                row[f"{short} W"] = fit.mechanism["W"][j]
        rows.append(row)
    return pd.DataFrame(rows).set_index("feature") if rows else None


def settings_key(**settings) -> str:
    return json.dumps(settings, sort_keys=True, default=str)


def _live_progress(total_models: int):
    """A progress bar and a live training chart, created INSIDE the cached functions below so that
    Streamlit can replay them on a cache hit (it cannot replay into blocks created outside)."""
    bar, chart = st.progress(0.0, text="Training…"), st.empty()
    curves: dict[str, list] = {}

    def progress(name, it, total, loss, rmse):
        curves.setdefault(name, []).append((it, loss, rmse))
        done = (len(curves) - 1 + it / total) / total_models
        bar.progress(min(done, 1.0), text=f"{name}: iteration {it}/{total}")
        if rmse == rmse:  # not NaN: the supervised fits have no live RMSE
            chart.plotly_chart(training_figure(curves), width="stretch")

    return bar, progress


@st.cache_data(show_spinner=False, max_entries=16)
def fit_all(key: str, _sim: mnar_lab.Simulated, preset: str, seed: int) -> dict:
    """dgm_core.demos.mnar.fit_all with a live progress bar and training chart, cached by ``key`` (the
    settings, data included); ``_sim`` is not hashed."""
    bar, progress = _live_progress(len(mnar_lab.models_for(_sim)))
    fits = mnar_lab.fit_all(_sim, preset, seed, progress=progress)
    bar.progress(1.0, text=f"Trained with the '{preset}' preset (cached for these settings).")
    return fits


@st.cache_data(show_spinner=False, max_entries=8)
def supervised_all(key: str, _sim: mnar_lab.Simulated, _y: np.ndarray, task: str, preset: str, seed: int) -> dict:
    bar, progress = _live_progress(2)
    out = mnar_lab.supervised(_sim, _y, task, preset, seed, progress=progress)
    bar.progress(1.0, text=f"Trained with the '{preset}' preset (cached for these settings).")
    return out
