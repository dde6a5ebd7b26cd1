"""Streamlit helpers of the MNAR lab page: URL state, cached data and fits, mechanism widgets, figures.

The computing is in dgm_core.mnar_lab; here only what a page needs around it. Settings live in
st.query_params so a view (table, mechanism, parameters, preset, seed) can be shared as a link.
"""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dgm_core import data, mnar_lab
from dgm_core.missingness import missing_curve

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


def qp(key: str, default, cast=str):
    """A setting from the URL, falling back to the default when absent or malformed."""
    try:
        return cast(st.query_params[key]) if key in st.query_params else default
    except (ValueError, TypeError):
        return default


def set_qp(values: dict) -> None:
    for k, v in values.items():
        if st.query_params.get(k) != str(v):
            st.query_params[k] = str(v)


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
    """Widgets for the chosen mechanism's parameters, initialised from (and written back to) the URL."""
    c1, c2, c3 = st.columns(3)
    if mechanism == "notmiwae_uci":
        return {"offset": c1.slider("threshold offset δ (sd)", -1.0, 1.0, qp("offset", 0.0, float), 0.25, key="offset"),
                "n_features": c2.slider("censored features (first n)", 1, n_features,
                                        min(qp("nf", max(n_features // 2, 1), int), n_features), key="nf")}
    p = c1.slider("missing rate p", 0.05, 0.9, qp("p", 0.3, float), 0.05, key="p")
    if mechanism == "self_masked":
        return {"p": p, "direction": c2.radio("values that go missing", ["high", "low"],
                                              index=["high", "low"].index(qp("dir", "high")), key="dir",
                                              horizontal=True),
                "steepness": c3.slider("steepness k", 0.5, 10.0, qp("k", 3.0, float), 0.5, key="k")}
    if mechanism == "quantile":
        return {"p": p, "q": c2.slider("quantile q", 0.05, 0.45, qp("q", 0.25, float), 0.05, key="q"),
                "cut": c3.radio("cut", ["upper", "lower", "both"], index=["upper", "lower", "both"].index(
                    qp("cut", "upper")), key="cut", horizontal=True), "p_params": 0.5}
    if mechanism in ("mnar_logistic", "mar_logistic"):
        key = "p_params" if mechanism == "mnar_logistic" else "p_obs"
        return {"p": p, key: c2.slider("fraction of input columns", 0.1, 0.9, qp("pin", 0.3, float), 0.1, key="pin")}
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
    for label, fit in fits.items():
        fig.add_scatter(x=truth, y=fit.imputed[miss, j], mode="markers", name=label, marker=dict(size=5, opacity=0.6))
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
                short = "SM-known" if "known" in fit.name else "SM"
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
    """MIWAE, not-MIWAE (self-masking, and known direction when the mechanism gives one) and the
    baselines, cached by ``key`` (the settings, data included); ``_sim`` is not hashed."""
    known = _sim.missing.mechanism in ("self_masked", "notmiwae_uci")
    bar, progress = _live_progress(3 if known else 2)
    fits = {"MIWAE": mnar_lab.fit_model(_sim, "none", preset, seed, progress=progress)}
    fits["not-MIWAE"] = mnar_lab.fit_model(_sim, "selfmasking", preset, seed, progress=progress)
    if known:
        signs = _sim.missing.params.get("signs")
        fits["not-MIWAE known"] = mnar_lab.fit_model(_sim, "selfmasking_known", preset, seed, progress=progress,
                                                     signs=tuple(signs) if signs is not None else None)
    bar.progress(1.0, text="Baselines…")
    fits.update(mnar_lab.run_baselines(_sim, seed, mnar_lab.PRESETS[preset]["baselines"]))
    bar.progress(1.0, text=f"Trained with the '{preset}' preset (cached for these settings).")
    return fits


@st.cache_data(show_spinner=False, max_entries=8)
def supervised_all(key: str, _sim: mnar_lab.Simulated, _y: np.ndarray, task: str, preset: str, seed: int) -> dict:
    bar, progress = _live_progress(2)
    out = mnar_lab.supervised(_sim, _y, task, preset, seed, progress=progress)
    bar.progress(1.0, text=f"Trained with the '{preset}' preset (cached for these settings).")
    return out
