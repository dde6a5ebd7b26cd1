"""The critics page's loader, figures and live-retrain panel: squared Hellinger (f-GAN, arXiv 1606.00709) against
Wasserstein (arXiv 1701.07875, one-sided penalty arXiv 1709.08894); computing in dgm_core.demos.critics.

Its descriptor ``PAGE`` (collected by ui.catalog) lists its slide views (``*_slide``), drawn in present mode.
"""
from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

import plotly.graph_objects as go
import streamlit as st

from dgm_core import results
from dgm_core.demos import critics as demo
from dgm_core.demos.critics import LABELS
from dgm_core.methods import CRITICS, palette
from dgm_core.models.critics import KINDS, true_value
from server import Job, jobs
from ui import loaders, panels, plots, serving
from ui import slides
from ui.descriptor import Page
from ui.slides import Facts, Stage, View
from ui.run import run_button
from ui.trainer import trainer_loads, trainer_runtime

COLOURS = {kind: palette(name) for kind, name in CRITICS.items()}
P_COLOUR, Q_COLOUR = palette("black"), palette("orange")  # the data P and the generator's Q_theta
SHORT = {"hellinger": "Hellinger²", "wasserstein": "Wasserstein"}


@st.cache_resource(show_spinner=False)
def preload_optimiser() -> threading.Thread:
    """Import torch._dynamo (slow; the first optimiser needs it) in the background once per server, so a retrain need
    not wait."""
    t = threading.Thread(target=importlib.import_module, args=("torch._dynamo",), name="critics-preload", daemon=True)
    t.start()
    return t


def _layout(fig: go.Figure, height: int, **kw) -> go.Figure:
    fig.update_layout(height=height, margin={"l": 10, "r": 10, "t": 40, "b": 10}, hovermode="closest",
                      legend={"orientation": "h", "y": -0.22, "x": 0}, **kw)
    return fig


def sweep_figure(sw: results.CriticsSweep, theta: float, live: dict | None, upto: float | None = None) -> go.Figure:
    """Estimates against theta, true values dashed (Hellinger's jump at 0 as filled/open dots), live finals as stars;
    ``upto``: only the thetas up to it (a lecture reveals the curves as its θ grows), on the whole sweep's axes."""
    fig = go.Figure()
    full = sw
    if upto is not None:
        keep = [i for i, t in enumerate(sw.thetas) if t <= upto + 1e-9]
        sw = replace(sw, thetas=[sw.thetas[i] for i in keep],
                     estimates={k: [v[i] for i in keep] for k, v in sw.estimates.items()},
                     truth={k: [v[i] for i in keep] for k, v in sw.truth.items()})
    th = sw.thetas
    lo, hi = min(th), max(th)
    for kind in KINDS:
        col = COLOURS[kind]
        if kind == "hellinger":
            at0, above = true_value(kind, lo), true_value(kind, hi)
            fig.add_trace(go.Scatter(x=[lo, hi], y=[above, above], mode="lines", name=f"{SHORT[kind]}: true",
                                     legendgroup=kind, line={"color": col, "dash": "dash", "width": 2},
                                     hovertemplate="θ ≠ 0: true %{y:g}<extra></extra>"))
            fig.add_trace(go.Scatter(x=[lo, lo], y=[at0, above], mode="markers", legendgroup=kind, showlegend=False,
                                     marker={"color": [col, "white"], "size": 10, "line": {"color": col, "width": 2}},
                                     hovertemplate="θ = %{x:g}: true %{y:g}<extra></extra>"))
        else:
            fig.add_trace(go.Scatter(x=th, y=sw.truth[kind], mode="lines", name=f"{SHORT[kind]}: true |θ|",
                                     legendgroup=kind, line={"color": col, "dash": "dash", "width": 2},
                                     hovertemplate="θ = %{x:.1f}: true %{y:.2f}<extra></extra>"))
        fig.add_trace(go.Scatter(x=th, y=sw.estimates[kind], mode="markers", legendgroup=kind,  # no line: one
                                 name=f"{SHORT[kind]}: critic's estimate",  # critic per theta, nothing between
                                 marker={"color": col, "size": 9, "line": {"color": "white", "width": 1}},
                                 hovertemplate="θ = %{x:.1f}<br>estimate %{y:.3f}<extra>" + SHORT[kind] + "</extra>"))
        if live is not None and kind in live["final"]:
            fig.add_trace(go.Scatter(x=[live["theta"]], y=[live["final"][kind]], mode="markers", legendgroup=kind,
                                     name=f"{SHORT[kind]}: your retrain", hovertemplate="θ = %{x:.1f}<br>retrained "
                                     "%{y:.3f}<extra>" + SHORT[kind] + "</extra>",
                                     marker={"color": col, "size": 16, "symbol": "star",
                                             "line": {"color": "black", "width": 1}}))
    fig.add_vline(x=theta, line={"color": "grey", "dash": "dot", "width": 1})
    ys = [y for k in KINDS for y in (*full.estimates[k], *full.truth[k], true_value(k, full.thetas[0]))]
    pad = 0.05 * (max(full.thetas) - min(full.thetas))
    return _layout(fig, 420, title={"text": "Estimated divergence, against θ", "x": 0},
                   xaxis={"title": "θ (how far Q_θ is shifted from P)", "dtick": 0.2,
                          "range": [min(full.thetas) - pad, max(full.thetas) + pad]},
                   yaxis={"title": "divergence (estimate and true value)",
                          "range": [min(ys) - 0.1, max(ys) + 0.15]})


def samples_figure(theta: float, n: int = 200) -> go.Figure:
    """``n`` points of P and of Q_theta: two vertical lines, theta apart."""
    p, q = demo.samples(theta, n)
    fig = go.Figure()
    for pts, name, col in ((p, "P = (0, U[0,1]): the data", P_COLOUR), (q, f"Q_θ = ({theta:g}, U[0,1])", Q_COLOUR)):
        fig.add_trace(go.Scatter(x=pts[:, 0], y=pts[:, 1], mode="markers", name=name,
                                 marker={"color": col, "size": 5, "opacity": 0.6},
                                 hovertemplate="(%{x:.2f}, %{y:.2f})<extra></extra>"))
    return _layout(fig, 300, title={"text": f"{n} samples of P and of Q_θ at θ = {theta:g}", "x": 0},
                   xaxis={"title": "x₁", "range": [-0.3, 2.3], "zeroline": False},
                   yaxis={"title": "x₂", "range": [-0.05, 1.05]})


def live_figure(theta: float, curves: dict[str, list[float]], total: int) -> go.Figure:
    """Each critic's objective on its training batch against the step, with its true value (dashed)."""
    fig = go.Figure()
    for kind in KINDS:
        ys = curves.get(kind, [])
        fig.add_trace(go.Scatter(x=list(range(1, len(ys) + 1)), y=ys, mode="lines", name=SHORT[kind],
                                 line={"color": COLOURS[kind], "width": 2},
                                 hovertemplate="step %{x}<br>estimate %{y:.3f}<extra>" + SHORT[kind] + "</extra>"))
        truth = true_value(kind, theta)
        fig.add_trace(go.Scatter(x=[1, total], y=[truth, truth], mode="lines", name=f"{SHORT[kind]}: true",
                                 line={"color": COLOURS[kind], "dash": "dash", "width": 1},
                                 hovertemplate=f"true {truth:g}<extra></extra>"))
    return _layout(fig, 320, title={"text": f"Retraining at θ = {theta:g}: estimate on each training batch", "x": 0},
                   xaxis={"title": "training step", "range": [0, total]}, yaxis={"title": "estimate"})


def live_csv(live: dict) -> str:
    rows = ["kind,step,estimate"] + [f"{k},{i + 1},{v:.6g}" for k in KINDS for i, v in enumerate(live["curves"][k])]
    return "\n".join(rows) + "\n"


def retrain(theta: float, steps: int) -> Job:
    """Both critics retrained at ``theta`` as a shared job: identical retrains from any session run once, queued,
    within the server's time limit."""
    loaders.device()  # torch on DGM_THREADS threads (default one), as everywhere in the app
    return jobs.critics_retrain(theta, replace(demo.LIVE, steps=steps), time_limit=serving.time_limit())


def live_retrain(theta: float, steps: int) -> Callable[[Job, Any], None]:
    """``run_button``'s live chart: each critic's estimates the running retrain reported so far."""
    drawn = 0

    def draw(job: Job, slot) -> None:
        nonlocal drawn
        reported = jobs.points(job)
        if len(reported) > drawn:  # the chart's key changes with its points: one key per script run
            drawn = len(reported)
            curves: dict[str, list[float]] = {k: [] for k in KINDS}
            for kind, estimate in reported:
                curves[kind].append(estimate)
            plots.show(slot, live_figure(theta, curves, steps), key=f"critics_live_{drawn}")

    return draw


def done_text(live: dict) -> str:
    return f"Done: both critics retrained at θ = {live['theta']:g}, {live['steps']} steps each."


RETRAIN = "critics_retrain"  # the retrain button's key; ui.run keeps the last retrain under it


@st.fragment
def retrain_panel(theta: float, sw: results.CriticsSweep | None, steps: int) -> None:
    """The server's retrain (where the browser cannot): button, live progress and chart, then the finals next to the
    shipped estimates and the truth (kept while theta stays)."""
    live_steps = int(sw.live_config["steps"]) if sw else demo.LIVE.steps
    how = (f"Each critic trains {steps} steps here (the sweep: {sw.config['steps']}) and is evaluated on "
           f"{sw.live_config['eval_n']} fresh points (the sweep: {sw.config['eval_n']}), so a retrain is short"
           + (f": the training takes about {sum(sw.live_seconds.values()):.0f} s for both (the benchmark's "
              f"measurement at θ = {sw.live_theta:g}, one thread); drawing the live chart adds a little."
              if steps == live_steps else ".")) if sw \
        else f"Each critic trains {steps} steps here, a few seconds for both."
    st.caption(how + " The chart shows the objective on each training batch, without the Lipschitz penalty.")
    # the whole page reruns after a retrain: the sweep figure shows the new estimates as stars
    done = run_button(f"Retrain both critics at θ = {theta:g}", key=RETRAIN, inputs=theta, rerun=True,
                      compute=lambda: retrain(theta, steps), live=live_retrain(theta, steps), type="primary",
                      icon=":material/model_training:")
    bar_slot, chart_slot = st.empty(), st.empty()
    if done is None:
        return
    live = done.value
    if live["theta"] != theta:
        st.info(f"Your last retrain was at θ = {live['theta']:g}: move the slider back to see it, or retrain here.")
        return
    bar_slot.progress(1.0, text=done_text(live))
    if done.ran:
        st.caption(serving.caption(done.ran))
    show_retrain(live, theta, sw, chart_slot)


def show_retrain(live: dict, theta: float, sw: results.CriticsSweep | None, chart_slot=st) -> None:
    """A finished retrain (the server's or the browser's): its chart, each critic's final estimate beside the shipped
    sweep's and the truth, its CSV."""
    plots.show(chart_slot, live_figure(theta, live["curves"], live["steps"]), key="critics_live_fig")
    for col, kind in zip(st.columns(len(KINDS)), KINDS, strict=True):
        col.metric(f"{demo.LABELS[kind]}: your retrain", f"{live['final'][kind]:.3f}")
        shipped = f"shipped sweep {sw.at(kind, theta):.3f}, " if sw else ""
        col.caption(f"At θ = {theta:g}: {shipped}true value {true_value(kind, theta):g}.")
    st.download_button("Download this retrain (CSV)", live_csv(live), f"critics_retrain_theta{theta:g}.csv",
                       "text/csv", key="critics_dl_live", on_click="ignore", icon=":material/download:")


BROWSER_RETRAIN = "critics_browser"  # the browser retrain's panel: its state holds the last retrain, or why it cannot


def browser_result() -> dict | None:
    """The browser's last retrain (None: none yet)."""
    got = st.session_state.get(BROWSER_RETRAIN)
    return (got or {}).get("result") if hasattr(got, "get") else None


def browser_retrain_panel(theta: float, sw: results.CriticsSweep | None, steps: int) -> None:
    """The retrain in the visitor's browser (static/js/panels/critics_retrain.js): the panel's button and live chart,
    then, once it reports, the retrain next to the shipped sweep and the truth (kept while theta stays)."""
    cfg = replace(demo.BROWSER, steps=steps)
    sweep = (f" (the sweep: {sw.config['steps']} steps, {int(sw.config['hidden'])} units, batch "
             f"{int(sw.config['batch'])})") if sw else ""
    st.caption(f"Each critic trains {steps} steps in your browser, in a Web Worker (TensorFlow.js; the first retrain "
               f"downloads {trainer_loads()}, once), a narrower critic on smaller batches than the sweep's{sweep}: 3 "
               f"hidden layers of {cfg.hidden}, batch {cfg.batch}, evaluated on {cfg.eval_n} fresh points. Its random "
               "numbers are the browser's own (seed 0): the same retrain on every visit, not the server's. The chart "
               "shows the objective on each training batch, without the Lipschitz penalty.")
    _retrain_panel(key=BROWSER_RETRAIN, data={
        "theta": theta, "cfg": demo.config_dict(cfg), "seed": 0, "runtime": trainer_runtime(), "loads": trainer_loads(),
        "kinds": [{"kind": k, "label": SHORT[k], "colour": COLOURS[k], "truth": true_value(k, theta)} for k in KINDS]},
        default={"result": None, "fallback": None}, on_result_change=lambda: None, on_fallback_change=lambda: None)
    live = browser_result()
    if live is None:
        return
    if live["theta"] != theta:
        st.info(f"Your last retrain was at θ = {live['theta']:g}: move the slider back to see it, or retrain here.")
        return
    show_retrain(live, theta, sw)


_retrain_panel = panels.component("dgm_critics_retrain", "critics_retrain", '<div class="cr"></div>')


# ---------------------------------------------------------------- the slide views


def theta_slide(link: Mapping[str, str], stage: Stage, shown: bool) -> Facts:
    """Both divergences against θ with the slider's θ marked, beside the two distributions at that θ."""
    theta = slides.link_values(demo, link)["theta"]
    try:
        sw = results.critics()
    except results.ResultsError as e:
        st.error(str(e))
        return {}
    facts = theta_facts(link)
    if not shown:  # the question: the two distributions at θ, not yet the divergences
        slides.fig(samples_figure(theta), Stage(stage.width, stage.height - 30), "slide_critics_samples")
        st.caption(f"P and Q_θ at θ = {theta:g}.")
        return facts
    left, right = (st.container(), st.container()) if stage.phone else st.columns([3, 2], gap="medium")
    height = stage.height if not stage.phone else int(stage.height * 0.6)
    height -= round(60 * slides.text_of(stage))  # the caption under the chart, its text growing with the projector's
    with left:
        slides.fig(sweep_figure(sw, theta, None, upto=theta), Stage(stage.width, height), "slide_critics_sweep")
        st.caption(f"At θ = {theta:g} the critics estimate " + " and ".join(
            f"{LABELS[k]} {facts[k]} (true {true_value(k, theta):g})" for k in results.KINDS) + ".")
    with right:
        slides.fig(samples_figure(theta), Stage(stage.width, height), "slide_critics_samples")
    return facts


MOVES = 0.5  # a critic tells the generator which way to move where its estimate's slope in θ is at least this
CRITICS_NAMES = {"hellinger": "squared Hellinger", "wasserstein": "Wasserstein"}


def theta_facts(link: Mapping[str, str]) -> Facts:
    """Each critic's shipped estimate at the step's θ, and ``moves``: which critic's estimate changes with θ there
    (its slope between the sweep's neighbouring θs at least MOVES), one of ``critics`` (|-joined): each critic's
    name, "both" or "neither"."""
    theta = slides.link_values(demo, link)["theta"]
    try:
        sw = results.critics()
    except results.ResultsError:
        return {"theta": f"{theta:g}"}
    i = min(range(len(sw.thetas)), key=lambda j: abs(sw.thetas[j] - theta))
    a, b = max(i - 1, 0), min(i + 1, len(sw.thetas) - 1)
    moving = [k for k in results.KINDS
              if abs(sw.estimates[k][b] - sw.estimates[k][a]) >= MOVES * (sw.thetas[b] - sw.thetas[a])]
    return {"theta": f"{theta:g}", "critics": "|".join([*CRITICS_NAMES.values(), "both", "neither"]),
            "moves": {0: "neither", 2: "both"}.get(len(moving), CRITICS_NAMES[moving[0]] if moving else "neither"),
            **{k: f"{sw.at(k, theta) + 0.0:.2f}".replace("-0.00", "0.00") for k in results.KINDS}}


PAGE = Page("pages/critics.py", "Critics", ":material/straighten:",
            "Squared Hellinger (f-GAN) and Wasserstein critics on two parallel lines, estimated over a range of "
            "shifts θ against the true values, with both critics retrained live at the θ you choose.",
            "**Why WGANs train.** When the data and the generator do not overlap, the Hellinger distance is "
            "stuck at its maximum and gives no gradient, while the Wasserstein distance grows with the gap and "
            "tells the generator which way to move.",
            demo=demo, views={"theta": View(draw=theta_slide, blurb="both divergences against θ, and P and Q_θ at θ",
                                            facts=theta_facts, asks=True)})
