"""Streamlit helpers of the MNAR lab page: its URL-state spec, cached data and fits, mechanism widgets,
figures. The computing is in dgm_core.demos.mnar; here only what the page needs around it.

Its descriptor ``PAGE`` (collected by ui.catalog) lists its slide views (``*_slide``), drawn in present mode.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple
from collections.abc import Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dgm_core import budgets, data, own_table, pretrained, results
from dgm_core.data import typed
from dgm_core.demos import mnar as mnar_lab
from dgm_core.demos.mnar import CONTROLS
from dgm_core.demos import mnar_grid
from dgm_core.methods import MNAR, palette
from dgm_core.missingness import diagnostics
from dgm_core.missingness.tabular import missing_curve
from server import Job, jobs
from ui import loaders, plots, serving
from ui.controls import widget
from ui import slides
from ui.descriptor import Page
from ui.slides import Facts, Stage, View


@dataclass(frozen=True)
class Mechanism:
    """One simulated mechanism, everything the page says of it: its formula (LaTeX), its parameters in the order
    drawn as (the name dgm_core.missingness.tabular takes, the widget key under P), parameters the page holds fixed,
    what a self-masking model needs many iterations to learn of it (``cut``), and why not-MIWAE's self-masking model
    is the wrong story for it (``why_not``)."""

    formula: str
    params: tuple[tuple[str, str], ...]
    fixed: tuple[tuple[str, float], ...] = ()
    cut: str | None = None
    why_not: str | None = None


MECHANISMS = {
    "notmiwae_uci": Mechanism(
        r"P(m_{ij}=1 \mid x) = \mathbb{1}\left[x_{ij} > \bar x_j + \delta\, s_j\right],\ j < \lfloor D/2 \rfloor",
        (("offset", "offset"), ("n_features", "nf")), cut="a hard cut at a threshold"),
    "self_masked": Mechanism(
        r"P(m_{ij}=1 \mid x) = \sigma\!\left(c_j\, k\, \frac{x_{ij}-\bar x_j}{s_j} + b_j\right),"
        r"\ c_j = \pm 1,\ b_j: \tfrac1N\textstyle\sum_i P(m_{ij}=1) = p",
        (("p", "p"), ("direction", "dir"), ("steepness", "k")),
        cut="how steeply the chance of hiding grows with the value"),
    "quantile": Mechanism(
        r"P(m_{ij}=1 \mid x) = p\ \mathbb{1}\left[x_{ij} \ge Q_j(1-q)\right]"
        r"\ \text{(upper; lower: } x_{ij} \le Q_j(q))",
        (("p", "p"), ("q", "q"), ("cut", "cut")), fixed=(("p_params", 0.5),), cut="a cut at a quantile"),
    "mnar_logistic": Mechanism(
        r"P(m_{ij}=1 \mid x) = \sigma\!\left(x_{i,\mathrm{in}}^\top w_j + b_j\right),"
        r"\ \text{inputs then masked MCAR}(p)",
        (("p", "p"), ("p_params", "pin")),
        why_not="Here a value's missingness depends on *other* columns that may be missing too; not-MIWAE's "
                "self-masking model (each value hides itself) does not describe that."),
    "mar_logistic": Mechanism(
        r"P(m_{ij}=1 \mid x) = \sigma\!\left(x_{i,\mathrm{obs}}^\top w_j + b_j\right)", (("p", "p"), ("p_obs", "pin")),
        why_not="Here missingness depends on *other, observed* columns (MAR), which every method can use; "
                "not-MIWAE's self-masking model (a value hides itself) is the wrong story."),
    "mcar": Mechanism(
        r"P(m_{ij}=1 \mid x) = p", (("p", "p"),),
        why_not="Here values go missing at random, so there is nothing for the missingness model to learn and its "
                "extra parameters only add noise."),
}
# views of MECHANISMS that the page and the grid read
FORMULAS = {k: m.formula for k, m in MECHANISMS.items()}
MECHANISM_KEYS = {k: tuple(key for _, key in m.params) for k, m in MECHANISMS.items()}
PARAM_KEYS = {name: key for m in MECHANISMS.values() for name, key in m.params}  # a parameter -> its widget key


P = mnar_lab.PREFIX  # the page's session-state and URL prefix
BASE_KEYS = ("table", "seed", "preset", "mech", "agn")


CSV_HELP = (f"Up to {budgets.megabytes(budgets.TABLE_MAX_BYTES)}, {budgets.TABLE_MAX_COLUMNS} columns and cells of "
            f"{budgets.TABLE_MAX_CELL_CHARS} characters; comma, semicolon, tab or | separated. At least "
            f"{budgets.TABLE_MIN_ROWS} complete rows; beyond {budgets.TABLE_MAX_ROWS:,} rows a random "
            f"{budgets.TABLE_MAX_ROWS:,} (seed {budgets.TABLE_SUBSAMPLE_SEED}) are used.")


Source = tuple[np.ndarray, tuple[str, ...], np.ndarray | None, str | None, int, str]


def _complete(table: data.Table) -> Source:
    """(complete rows x, columns, y, task, rows dropped, a note on a subsampled upload). Raises ValueError."""
    complete = np.isfinite(table.x).all(1)
    if complete.sum() < budgets.TABLE_MIN_ROWS:
        raise ValueError(f"The table has only {int(complete.sum())} rows without missing values; at least "
                         f"{budgets.TABLE_MIN_ROWS} are needed to simulate missingness and score imputations.")
    y = None if table.y is None else table.y[complete]
    return table.x[complete], table.columns, y, table.task, int((~complete).sum()), table.note


@st.cache_data(show_spinner=False, max_entries=8)
def load_source(name: str) -> Source:
    """A named table's ``_complete`` rows. Raises ValueError / DatasetNotFoundError."""
    return _complete(data.load_table(name))


def load_upload(up: Any) -> tuple[str, data.Table]:
    """An upload's digest (what its runs are keyed by: two files never share one) and its table, holes kept, read
    once per upload (a rerun with the file in place copies, hashes and parses nothing). ``up``: Streamlit's uploaded
    file. Raises ValueError, its sentence."""
    digest, table, refused = _read_upload(up.file_id, up)
    if refused is not None:
        raise ValueError(refused)
    return digest, table


def load_typed(up: Any, markers: tuple[str, ...] = ()) -> tuple[str, typed.Typed | None, str | None]:
    """An upload's digest and its cells typed column by column (``dgm_core.data.typed``: text categories,
    identifiers, dates and missing markers taken as they come), or the sentence saying why not; read once per
    upload and markers."""
    return _read_typed(up.file_id, markers, up)


@st.cache_data(show_spinner=False, max_entries=8)
def _read_typed(file_id: str, markers: tuple[str, ...], _up: Any) -> tuple[str, typed.Typed | None, str | None]:
    raw = _up.getvalue()
    digest = hashlib.sha256(raw).hexdigest()
    try:
        return digest, typed.read(raw, markers=markers), None
    except ValueError as e:
        return digest, None, str(e)


def complete_rows(table: data.Table) -> Source:
    """The simulation path's rows of an upload: its complete ones (``_complete``). Raises ValueError."""
    return _complete(table)


@st.cache_data(show_spinner=False, max_entries=8)
def _read_upload(file_id: str, _up: Any) -> tuple[str, data.Table | None, str | None]:
    """Keyed by Streamlit's id of the uploaded file (new for every upload), so its 20 MB are never hashed for the
    cache; a refusal is kept too (an exception would not be), so a rerun does not read the file again."""
    raw = _up.getvalue()
    digest = hashlib.sha256(raw).hexdigest()
    try:
        return digest, data.table_from_csv(raw), None
    except ValueError as e:
        return digest, None, str(e)


def error(v: float) -> str:
    """An error for a reader: 3 decimals, or 3 significant digits where those would read 0.000."""
    return f"{v:.3f}" if v == 0 or not np.isfinite(v) or abs(v) >= 5e-4 else f"{v:.2e}"


def mechanism_params(mechanism: str, n_features: int) -> dict:
    """Widgets for the chosen mechanism's parameters (MECHANISMS; their values live in session state and the URL)."""
    s, m = st.session_state, MECHANISMS[mechanism]
    cols = st.columns(3)
    out = {}
    for col, (name, key) in zip(cols, m.params, strict=False):
        if key == "nf":  # its range is this table's features: 0 (a new table) or too many become half of them
            if not 1 <= s[P + "nf"] <= n_features:
                s[P + "nf"] = max(n_features // 2, 1)
            out[name] = col.slider(CONTROLS["nf"].label, 1, max(n_features, 2), key=P + "nf")
        else:
            out[name] = widget(CONTROLS, P, key, col, **({"horizontal": True} if CONTROLS[key].kind == "radio" else {}))
    return {**out, **dict(m.fixed)}


FAINT = "rgba(140, 140, 140, 0.35)"
SD_RANGE = 4.0  # mechanism curves are drawn over ±4 sd of the complete column
TOP_LEGEND = dict(orientation="h", yanchor="bottom", y=1.02, x=0, xanchor="left")  # above the plot, not on an axis


CUTOFF_PAGE = ("notmiwae_known", "notmiwae")  # the page's own not-MIWAE fits
CUTOFF_ORDER = ("notmiwae_known", "notmiwae_steep", "notmiwae_ppca", "notmiwae", "miwae", "MICE", "mean")


# how the sweep's sentence names a method where its label would not read: the variants as the known-direction model's
CUTOFF_PHRASES = {"notmiwae_steep": "its steep start", "notmiwae_ppca": "its linear decoder", "mean": "the mean"}


def _cutoff_name(method: str) -> str:
    return CUTOFF_PHRASES.get(method) or MNAR.label(method)


class CutoffNote(NamedTuple):
    """What ``bench notmiwae_cutoff`` measured at an offset: ``sweep``, its sentence with its own numbers (a run of its
    own, shown apart from the page's table so the two never read as one); ``warning``, a sentence without numbers
    when the page's own not-MIWAE fits lose there (else None); ``iterations``, the sweep's budget."""
    sweep: str
    warning: str | None
    iterations: int


def cutoff_note(table: str, offset: float) -> CutoffNote | None:
    """What ``bench notmiwae_cutoff`` measured on ``table`` at the swept offset nearest ``offset``, or None when the
    sweep has no such cell (an uploaded table, or no results file)."""
    try:
        res = results.notmiwae_cutoff()
    except results.ResultsError:
        return None
    cells = res.verdicts
    swept = sorted(o for d, o in cells if d == table)
    if not swept:
        return None
    near = min(swept, key=lambda o: abs(o - offset))
    v = cells[(table, near)]
    by = {MNAR.by_bench_key(r["method"]).id: r for r in res.rows if r["dataset"] == table and r["offset"] == near}
    rmse = ", ".join(f"{_cutoff_name(m)} {by[m]['rmse_mean']:.2f}" for m in CUTOFF_ORDER if m in by)
    where = "at this offset" if near == offset else f"at the nearest swept offset, δ = {near:+.1f}"
    runs = max(by[m]["runs"] for m in CUTOFF_PAGE if m in by) if any(m in by for m in CUTOFF_PAGE) else 0
    text = (f"Measured by `python -m dgm_core bench notmiwae_cutoff` on {table} {where} (first half of the features "
            f"censored, {v['missing_rate']:.0%} of all entries hidden, {res.iterations:,} iterations, "
            f"mean of {runs} seed{'s' if runs != 1 else ''}), RMSE in sd: {rmse}.")
    if v.get("columns_all_hidden"):
        text += (f" {v['columns_all_hidden']} of the censored features lose every value here, so nothing about them "
                 "can be learnt (this page refuses such settings).")
    page_best = min((by[m]["rmse_mean"] for m in CUTOFF_PAGE if m in by), default=None)
    if page_best is None or page_best < v["other_rmse"]:
        return CutoffNote(text, None, res.iterations)
    other = MNAR.by_bench_key(v["best_other"]).label
    warning = (f"Here the page's not-MIWAE cannot be trusted: in `bench notmiwae_cutoff` ({res.iterations:,} "
               f"iterations a model) it loses to {other} {where}.")
    if near < 0:
        warning += (" With most of a feature hidden above a sharp cut, the data say little about how far above it the "
                    "hidden values lie, and starting from a shallow W (about 0.7) the model pushes them far past the "
                    "cut before W is steep.")
    if v["not_miwae_wins"]:
        best = MNAR.by_bench_key(v["best_not_miwae"]).id
        warning += f" The {_cutoff_name(best).removeprefix('its ')} variant (under **Also fit**) does win there."
    else:
        warning += " No not-MIWAE variant wins there."
    return CutoffNote(text, warning, res.iterations)


def curve_figure(sim: mnar_lab.Simulated, columns, j: int) -> go.Figure:
    """P(missing | value) of every feature against its value in sd from the complete column's mean;
    feature ``j`` highlighted, the others faint (their names on hover), no legend."""
    x = sim.x
    sd = np.where(x.std(0) > 0, x.std(0), 1.0)
    curves = missing_curve((x - x.mean(0)) / sd, sim.missing)
    fig = go.Figure()
    for i, (centres, prob) in enumerate(curves):
        if i != j:
            fig.add_scatter(x=centres, y=prob, mode="lines", name=str(columns[i])[:24], line=dict(color=FAINT, width=1),
                            showlegend=False, hovertemplate="%{fullData.name}<extra></extra>")
    centres, prob = curves[j]
    fig.add_scatter(x=centres, y=prob, mode="lines+markers", name=str(columns[j]), showlegend=False,
                    line=dict(color=MNAR.colour("notmiwae"), width=3), marker=dict(size=5))
    fig.update_layout(height=300, margin=dict(t=40, b=50, l=60, r=20), title=f"P(missing | value): <b>{columns[j]}</b>"
                      " (grey: the other features)", xaxis_title="value (sd from the column's mean)",
                      yaxis_title="P(missing | value)", yaxis_range=[-0.02, 1.02], xaxis_range=[-SD_RANGE, SD_RANGE])
    return fig


def histogram_figure(sim: mnar_lab.Simulated, j: int, name: str) -> go.Figure:
    fig = go.Figure()
    miss = ~sim.mask[:, j]
    fig.add_histogram(x=sim.x[~miss, j], name="observed", opacity=0.65, nbinsx=40, marker_color=MNAR.colour("miwae"))
    fig.add_histogram(x=sim.x[miss, j], name="missing (hidden truth)", opacity=0.65, nbinsx=40,
                      marker_color=MNAR.colour("notmiwae"))
    fig.update_layout(barmode="overlay", height=300, margin=dict(t=40, b=50, l=60, r=20), xaxis_title=name,
                      yaxis_title="rows", legend=TOP_LEGEND)
    return fig


def training_figure(curves: dict[str, list]) -> go.Figure:
    """curves: method id -> [(iteration, loss, RMSE)]."""
    fig = go.Figure()
    for method, curve in curves.items():
        if curve:
            it, loss, rmse = zip(*curve)
            name, colour = MNAR.label(method), MNAR.colour(method)
            fig.add_scatter(x=it, y=rmse, name=f"{name}: RMSE", mode="lines+markers", line=dict(color=colour))
            fig.add_scatter(x=it, y=loss, name=f"{name}: loss", mode="lines", yaxis="y2",
                            line=dict(dash="dot", color=colour))
    fig.update_layout(height=320, margin=dict(t=60, b=50, l=60, r=60), xaxis_title="iteration", legend=TOP_LEGEND,
                      yaxis=dict(title=f"RMSE, {mnar_lab.LIVE_ROWS}-row subset"),
                      yaxis2=dict(title="loss (−bound)", overlaying="y", side="right", showgrid=False))
    return fig


def scatter_figure(sim: mnar_lab.Simulated, fits: dict, j: int, name: str) -> go.Figure:
    miss = ~sim.mask[:, j]
    truth = sim.x[miss, j]
    fig = go.Figure()
    for method, fit in fits.items():
        fig.add_scatter(x=truth, y=fit.imputed[miss, j], mode="markers", name=MNAR.label(method),
                        marker=dict(size=6, opacity=0.7, color=MNAR.colour(method)))
    lo, hi = (float(truth.min()), float(truth.max())) if miss.any() else (0.0, 1.0)
    fig.add_scatter(x=[lo, hi], y=[lo, hi], mode="lines", name="perfect", line=dict(color="black", dash="dash"))
    fig.add_hline(y=float(sim.x[~miss, j].mean()) if (~miss).any() else 0.0,
                  line=dict(color=palette("light_grey"), width=1),
                  annotation_text="mean of the observed values", annotation_position="bottom right")
    fig.update_layout(height=360, margin=dict(t=40, b=50, l=60, r=20), xaxis_title=f"true {name}",
                      yaxis_title=f"imputed {name}", legend=TOP_LEGEND)
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
                short = MNAR[fit.method].short
                row[f"{short} direction"] = fit.mechanism["direction"][j].replace(" values missing", "")
                row[f"{short} threshold"] = fit.mechanism["threshold"][j]
                row[f"{short} W"] = fit.mechanism["W"][j]
        rows.append(row)
    return pd.DataFrame(rows).set_index("feature") if rows else None


def settings_key(**settings) -> str:
    return json.dumps(settings, sort_keys=True, default=str)


LIVE_CAPTION = (f"The live RMSE is on a fixed subset of {mnar_lab.LIVE_ROWS} rows with 30 importance samples, "
                "measured during training; the table below scores every hidden entry of the finished model.")


def fit_job(sim: mnar_lab.Simulated, preset: str, seed: int, extras: tuple[str, ...], table: str | bytes) -> Job:
    """The live training as a shared job (identical settings from any session run once; queued, time-limited).
    ``table``: the table's name, or the uploaded file's bytes."""
    return jobs.mnar_fit(sim, preset, seed, extras, table=table, time_limit=serving.time_limit())


def supervised_job(sim: mnar_lab.Simulated, y: np.ndarray, task: str, preset: str, seed: int,
                   table: str | bytes) -> Job:
    return jobs.mnar_supervised(sim, y, task, preset, seed, table=table, time_limit=serving.time_limit())


def live_training() -> Callable[[Job, Any], None]:
    """``run_button``'s live chart: the training curves the running job reported so far, redrawn when they grew."""
    drawn = 0

    def draw(job: Job, slot) -> None:
        nonlocal drawn
        reported = jobs.points(job)
        if len(reported) > drawn:  # the chart's key must change with its points: one key per script run
            drawn = len(reported)
            with slot.container():
                plots.show(st, training_figure(curves(reported)), width="stretch", key=f"{P}live_{drawn}")
                st.caption(LIVE_CAPTION)

    return draw


def curves(reported: list[tuple[str, int, float, float]]) -> dict[str, list]:
    """(method, iteration, loss, RMSE) points -> method id -> [(iteration, loss, RMSE)], as ``training_figure``."""
    out: dict[str, list] = {}
    for method, *point in reported:
        out.setdefault(method, []).append(tuple(point))
    return out


def trained_curves(fits: dict) -> None:
    """The finished training's curves (kept with each fit), under its caption."""
    done = {m: f.curve for m, f in fits.items() if f.curve}
    if done:
        plots.show(st, training_figure(done), width="stretch", key=P + "trained_curves")
        st.caption(LIVE_CAPTION)


def is_default(source: str, mechanism: str, params: dict, seed: int) -> bool:
    """The settings of the shipped precomputed run (dgm_core.demos.mnar.DEFAULT)?"""
    d = mnar_lab.DEFAULT
    return (source, mechanism, seed) == (d["table"], d["mechanism"], d["seed"]) and \
        {k: float(v) for k, v in params.items()} == {k: float(v) for k, v in d["params"].items()}


def shipped_job(sim: mnar_lab.Simulated) -> tuple[Job, dict]:
    """The shipped models' re-imputation of ``sim`` as a shared job, and their cards by method id.
    Raises pretrained.PretrainedError."""
    loaded = {m: loaders.model(name) for m, name in mnar_lab.SHIPPED.items()}
    job = jobs.mnar_shipped(sim, {m: model for m, (model, _) in loaded.items()}, mnar_lab.DEFAULT["seed"],
                            time_limit=serving.time_limit())
    return job, {m: card for m, (_, card) in loaded.items()}


def shipped(sim: mnar_lab.Simulated) -> tuple[dict, dict]:
    """The precomputed default run: (fits keyed as fit_all, cards by method id), shared by every session (computed
    at server start by the warm-up); never mutated. Raises pretrained.PretrainedError."""
    job, cards = shipped_job(sim)
    fits, _ = serving.run(job, key=P + "shipped", cancellable=False,
                          label="Re-imputing the table with the shipped models")
    return fits, cards


# ---------------------------------------------------------------- the precomputed grid
def _grid_files() -> tuple[tuple[str, int, int], ...]:
    """What the grid's files are now (name, mtime, size): a rebuilt or deleted file is read again."""
    d = mnar_grid.GRID_DIR
    return tuple(sorted((f.name, f.stat().st_mtime_ns, f.stat().st_size) for f in d.glob("mnar-grid*")
                        if f.suffix in (".json", ".npz")))


@st.cache_resource(show_spinner=False, max_entries=2)
def _load_grid(directory: str, files: tuple) -> mnar_grid.Grid | str:
    try:
        return mnar_grid.load(directory)
    except mnar_grid.GridError as e:
        return str(e)


def grid_point(table: str | None, x: np.ndarray, mechanism: str, params: dict,
               seed: int) -> tuple[mnar_grid.Grid | None, mnar_grid.Point | None, str]:
    """(the grid, its point nearest to these settings, "") or (grid or None, None, why not, in one sentence);
    ``table``: None for an upload."""
    grid = _load_grid(str(mnar_grid.GRID_DIR), _grid_files())
    if isinstance(grid, str):
        return None, None, grid
    if table is None:
        return grid, None, "An uploaded table has no precomputed grid."
    point, why = mnar_grid.nearest(grid, table, x, mechanism, params, seed)
    return grid, point, why


def grid_fits(point: mnar_grid.Point, x: np.ndarray, sim: mnar_lab.Simulated, params: dict, seed: int
              ) -> tuple[dict | None, mnar_lab.Simulated, str]:
    """(the grid point's fits, its own simulation: ``sim`` itself when the page's settings are the point's, "")
    or (None, sim, why not in one sentence) when this simulation is not the one the grid was computed on."""
    rec = point.record
    same = all(k in params and mnar_grid.same(params[k], v) for k, v in rec["params"].items())
    psim = sim if same else mnar_lab.simulate(x, rec["mechanism"], rec["params"], seed)
    try:
        return mnar_grid.fits(point, psim), psim, ""
    except mnar_grid.GridError as e:
        return None, sim, str(e)


def grid_sentence(grid: mnar_grid.Grid, point: mnar_grid.Point, params: dict, trained: bool = False) -> str:
    """Which grid point is shown, how it was computed, in one sentence (``trained``: what replaced it); and, where
    plain not-MIWAE loses at this point, whether the grid's budget alone already changes the opening case's winner."""
    if trained:
        return (f"**Trained at exactly this setting** with the grid's '{grid.preset}' budget (its nearest point: "
                f"{mnar_grid.describe(point)}).")
    iters = grid.card["preset_config"]["iterations"]
    text = (f"**Precomputed at {mnar_grid.describe(point, params)}** with the '{grid.preset}' budget ({iters:,} "
            "iterations a model): shown at once, nothing trains.")
    scores = point.record["scores"]
    if "notmiwae" in scores and min(scores, key=lambda m: scores[m]["rmse"]) != "notmiwae":
        text += budget_sentence(grid)
    return text


def budget_sentence(grid: mnar_grid.Grid) -> str:
    """" ..." when the opening case's winner at the grid's budget (its own point there) is not its winner at the
    paper's budget (the shipped models' cards): the budget, not the setting, changed it; "" otherwise."""
    d = mnar_lab.DEFAULT
    opening = next((p for p in grid.points.get(d["table"], ()) if p.record["mechanism"] == d["mechanism"]
                    and all(mnar_grid.same(p.record["params"].get(k), v) for k, v in d["params"].items())), None)
    try:
        cards = {m: pretrained.load_card(name) for m, name in mnar_lab.SHIPPED.items()}
    except pretrained.PretrainedError:
        return ""
    if opening is None or grid.card["seed"] != d["seed"]:
        return ""
    small = {m: s["rmse"] for m, s in opening.record["scores"].items()}
    if any(abs(c.metrics["missing_rate"] - opening.record["missing_rate"]) > 5e-4 for c in cards.values()):
        return ""  # not the same simulation: nothing to compare
    paper = {**small, **{m: c.metrics["rmse_missing"] for m, c in cards.items()}}  # the baselines do not train
    won_small, won_paper = min(small, key=small.get), min(paper, key=paper.get)
    if won_small == won_paper:
        return ""
    label = mnar_lab.label
    return (f" At this budget even the opening case ({mnar_grid.describe(opening)}) is won by {label(won_small)} "
            f"({error(small[won_small])}; not-MIWAE {error(small['notmiwae'])}), where the paper's "
            f"{cards['notmiwae'].metrics['iterations']:,} iterations make {label(won_paper)} win it "
            f"({error(paper[won_paper])}): the training budget, not only the setting, changes the winner.")


@st.cache_resource(show_spinner=False, max_entries=512)
def _kept_figure(key: str, _build: Callable[[], go.Figure]) -> go.Figure:
    return plots.readable(_build())


def figure(key: str | None, build: Callable[[], go.Figure]) -> go.Figure:
    """``build()``; with a ``key`` (a precomputed grid point's figure, the same for every session: the key names the
    grid file, the point and the figure) built once per server and kept."""
    return build() if key is None else _kept_figure(key, build)


def grid_key(grid: mnar_grid.Grid, point: mnar_grid.Point) -> str:
    return f"{grid.card['tables'][point.table]['sha256']}|{point.record['id']}"


def grid_note(grid: mnar_grid.Grid) -> str:
    """Where the grid comes from, under its results."""
    n = sum(t["points"] for t in grid.card["tables"].values())
    return (f"The grid: `{mnar_grid.COMMAND}` trained MIWAE and not-MIWAE at each of {n} settings of this lab "
            f"(each mechanism's {', '.join(sorted({a.name for a in mnar_grid.AXES.values()}))} at a few values, the "
            f"other controls at their defaults, seed {grid.card['seed']}), with the '{grid.preset}' budget its card "
            f"(pretrained/{mnar_grid.CARD}) gives the rule for. **Train at exactly this setting** trains here, live.")


def held_off_grid(mechanism: str, params: dict, n_features: int) -> dict[str, Any]:
    """The parameters the grid holds fixed for ``mechanism`` that the page has elsewhere (one carried over from another
    mechanism, say), as {widget key: the grid's value}; {} when none or the grid does not cover the mechanism."""
    if mechanism not in mnar_grid.AXES:
        return {}
    held = mnar_grid.held_params(mechanism, n_features)
    return {PARAM_KEYS[k]: v for k, v in held.items() if k in params and not mnar_grid.same(params[k], v)}


def reset_to_default() -> None:
    """Callback of "Back to the opening case": the shipped run's settings."""
    d, s = mnar_lab.DEFAULT, st.session_state
    s.update({P + "table": d["table"], P + "mech": d["mechanism"], P + "seed": d["seed"], P + "preset": "paper",
              P + "offset": d["params"]["offset"], P + "nf": d["params"]["n_features"]})


def rmse_table(fits: dict) -> pd.DataFrame:
    ess = {mnar_lab.label(m): f.ess for m, f in fits.items()}
    return pd.DataFrame({"method": list(ess), "RMSE (missing, sd)": [f.rmse for f in fits.values()],
                         "effective samples": [f"{v:.1f}" if v is not None else "–" for v in ess.values()]}
                        ).set_index("method")


ESS_HELP = ("Effective samples: each imputation averages L draws weighted by how well they explain the row. "
            "(Σw)² / Σw² counts how many draws really carry the weight: near 1, a single draw decides the "
            "imputation; near L, all agree.")


def notice(fits: dict, mechanism: str, preset: str, sim: mnar_lab.Simulated | None = None) -> str:
    """'What to notice' under the RMSE table, in a student's words, from this run: it names only methods that ran,
    with their errors, and says why when a baseline wins; with ``sim``, where each method's fills sit, measured
    (``diagnostics.fill_shift``) against the hidden values' own shift, never assumed."""
    best = min(fits, key=lambda k: fits[k].rmse)
    lab = mnar_lab.label(best)
    err = lambda m: f"{mnar_lab.label(m)} {error(fits[m].rmse)}"  # noqa: E731
    if best.startswith("notmiwae"):
        text = (f"**What to notice:** {lab} has the lowest error ({error(fits[best].rmse)}). It models *why* values "
                "go missing (a value hides itself).")
        if "miwae" in fits:
            text += f" MIWAE ({error(fits['miwae'].rmse)}) learns only from the values that survived."
        if "MICE" in fits:
            text += (f" MICE ({error(fits['MICE'].rmse)}) predicts each column from the others, which helps when "
                     "columns are correlated, but it never learns which values tend to hide.")
    else:
        others = [m for m in fits if m.startswith("notmiwae")]
        text = (f"**What to notice:** {lab} wins here ({error(fits[best].rmse)}"
                + (f"; {', '.join(err(m) for m in others)}" if others else "") + "). "
                + (MECHANISMS[mechanism].why_not or ""))
        if preset in ("tiny", "small") and MECHANISMS[mechanism].cut and others:
            text += (f" The training budget is small ({preset}): the self-masking model needs many iterations to "
                     f"learn {MECHANISMS[mechanism].cut} (the shipped run uses the paper's 100 000).")
    if sim is not None:
        shifts = {m: diagnostics.fill_shift(f.imputed, sim.mask) for m, f in fits.items() if f.imputed is not None}
        text += " " + diagnostics.shift_sentence(shifts, mnar_lab.label, diagnostics.fill_shift(sim.x, sim.mask))
    low = [mnar_lab.label(m) for m, f in fits.items() if f.ess is not None and f.ess < 2]
    if low:
        text += (f" {', '.join(low)}: under 2 effective samples, so each imputation rests on about one draw and "
                 "is noisier than L suggests.")
    return text


# ---------------------------------------------------------------- which point: mean (W2) or median (W1)
def point_table(fits: dict) -> pd.DataFrame:
    """Each method's point imputations scored by both losses (sd units of the complete column); the
    baselines give one value per entry, shown as their 'mean' row."""
    rows = []
    for m, f in fits.items():
        for point in ("mean", "median"):
            if point in f.errors:
                rows.append({"method": mnar_lab.label(m), "point": "conditional " + point if "median" in f.errors
                             else "its fill", **f.errors[point]})  # a model's both points; a baseline's one fill
    return pd.DataFrame(rows)


def point_notice(fit, sim: mnar_lab.Simulated) -> str:
    """Does each point win its own loss for this model? Said plainly either way."""
    e = fit.errors
    if "median" not in e:
        return ""
    name = mnar_lab.label(fit.method)
    mean_wins_rmse = e["mean"]["RMSE"] <= e["median"]["RMSE"]
    median_wins_mae = e["median"]["MAE"] <= e["mean"]["MAE"]
    text = (f"For **{name}**, the conditional mean has RMSE {e['mean']['RMSE']:.3f} and the median "
            f"{e['median']['RMSE']:.3f}; by MAE the median scores {e['median']['MAE']:.3f} and the mean "
            f"{e['mean']['MAE']:.3f}. ")
    gap = float(np.mean((np.abs(fit.imputed - fit.median) / sim.complete_sd)[~sim.mask]))
    if gap < 0.02:
        text += (f"The two points nearly coincide (they differ by {gap:.3f} sd on average): this model's conditionals "
                 "are close to symmetric here, so the choice barely matters. ")
    if mean_wins_rmse and median_wins_mae:
        return text + "Each point wins the loss it is the projection for: report RMSE for means, MAE for medians."
    losers = [w for w, ok in (("the mean does not win RMSE", mean_wins_rmse), ("the median does not win MAE",
                                                                                median_wins_mae)) if not ok]
    return text + (f"Here {' and '.join(losers)}: the model's conditional is not the true one, so its projections "
                   "are only as good as the model (the theory holds for the true conditional).")


def default_entry(fit, sim: mnar_lab.Simulated, j: int) -> int:
    """The missing row of feature j where this model's mean and median differ most (a skewed conditional)."""
    rows = np.flatnonzero(~sim.mask[:, j])
    if fit.median is None:
        return int(rows[0])
    return int(rows[np.argmax(np.abs(fit.imputed[rows, j] - fit.median[rows, j]))])


def density_figure(c: mnar_lab.Conditional, name: str, label: str) -> go.Figure:
    """The importance-weighted conditional of one missing entry as a weighted histogram, with its mean
    (W2 projection), median (W1) and the hidden truth marked."""
    hist, edges = np.histogram(c.values, bins=60, weights=c.weights, density=True)
    fig = go.Figure(go.Bar(x=0.5 * (edges[1:] + edges[:-1]), y=hist, width=np.diff(edges), name="weighted draws",
                           marker_color="rgba(213, 94, 0, 0.45)", hovertemplate="%{x:.3g}: %{y:.3g}<extra></extra>"))
    for x, text, dash, colour in ((c.mean, "mean (W2)", "solid", palette("blue")),
                                  (c.median, "median (W1)", "dash", palette("bluish_green")),
                                  (c.truth, "hidden truth", "dot", "black")):
        fig.add_vline(x=x, line=dict(color=colour, dash=dash, width=2))
        fig.add_scatter(x=[x], y=[None], mode="lines", name=f"{text}: {x:.3g}", line=dict(color=colour, dash=dash))
    fig.update_layout(height=360, margin=dict(t=40, b=40, l=60, r=20), bargap=0, xaxis_title=name,
                      yaxis_title="density", legend=dict(orientation="h", yanchor="top", y=-0.25, x=0),
                      title=dict(text=f"{label}: p({name} | observed values, mask)", font=dict(size=14)))
    return fig


# ---------------------------------------------------------------- what a missing model learnt
SENSITIVITY_UNIT = "logit slope per sd"  # of logit P(missing), per sd of the complete column


def shared_limit(maps: list[np.ndarray]) -> float:
    """One colour scale for maps that are compared: ± the largest entry of any, within [1, 8] logits per sd: at
    least 1, so that slopes near 0 (nothing learnt, as under MCAR) stay pale, at most 8, as a near-deterministic
    cut learns a slope without bound that would wash out every other map."""
    top = max((float(np.abs(m).max()) for m in maps), default=0.0)
    return min(max(top, 1.0), 8.0)


def sensitivity_figure(m: np.ndarray, columns, title: str, colour_title: str = SENSITIVITY_UNIT,
                       lim: float | None = None) -> go.Figure:
    """A (D, D) map M[j, k] as a heat map: rows = the feature that goes missing, columns = the feature it
    depends on; diverging colours centred on 0 (red: missing when high), on ±``lim`` (share it between maps
    that are compared)."""
    names = [str(c)[:18] for c in columns]
    lim = lim or float(np.abs(m).max()) or 1.0
    fig = go.Figure(go.Heatmap(z=m, x=names, y=names, colorscale="RdBu_r", zmin=-lim, zmax=lim,
                               colorbar=dict(title=colour_title, thickness=12),
                               hovertemplate="logit P(%{y} missing) per sd of %{x}: %{z:.3g}<extra></extra>"))
    fig.update_layout(height=420, margin=dict(t=50, b=10, l=10, r=10), title=title,
                      xaxis=dict(title="depends on", side="bottom", tickangle=-60),
                      yaxis=dict(title="goes missing", autorange="reversed"))
    return fig


def provenance(sim: mnar_lab.Simulated, *, table: str, mechanism: str, params: dict, seed: int, preset: str,
               columns) -> dict:
    """Where the simulated path's downloads come from: the table (a name, or an upload's sha256), the mechanism and
    its parameters, the seed, the training budget, the package versions."""
    return {"made_by": "DGM Lab, MNAR lab: a simulated mechanism on the complete rows", "table": table,
            "rows": int(sim.x.shape[0]), "columns": [str(c) for c in columns], "mechanism": mechanism,
            "params": params, "cells_hidden": int((~sim.mask).sum()), "seed": seed, "preset": preset,
            "versions": own_table.versions()}


def rmse_csv(table: pd.DataFrame, record: dict) -> str:
    return own_table.csv_text(table, record)


def imputed_csv(fit, sim: mnar_lab.Simulated, record: dict, columns) -> str:
    """A method's completed table with its provenance and a ``<column>_filled`` flag where the lab hid a cell."""
    return own_table.csv_text(pd.DataFrame(fit.imputed, columns=[str(c) for c in columns]),
                              {**record, "imputer": mnar_lab.label(fit.method)}, ~sim.mask)


def with_fills(fits: dict, sim: mnar_lab.Simulated, seed: int) -> tuple[dict, list[str]]:
    """(fits, the methods still without fills): a precomputed grid point keeps the fills of a few methods only; the
    baselines' are recomputed here (the same scikit-learn runs, seconds), a model's cannot be without its weights."""
    lacking = [m for m, f in fits.items() if f.imputed is None]
    redo = tuple(m for m in lacking if m in mnar_lab.baselines.BASELINES)
    out = {**fits, **mnar_lab.run_baselines(sim, seed, redo)} if redo else dict(fits)
    return out, [m for m in lacking if m not in redo]


# ---------------------------------------------------------------- the slide views


def _slide_result(link: Mapping[str, str]):
    """(the fits, the simulation they were fitted on, the columns) for the step's table and mechanism: the shipped
    models for the opening case, the precomputed grid else; or why not, in one sentence."""
    values = slides.link_values(mnar_lab, link)
    source, mechanism, seed = values["table"], values["mech"], int(values["seed"])
    if source == "upload CSV" or not data.available(source):
        return f"The '{source}' table is not on this server, so this step has nothing to show."
    x, columns, *_ = load_source(source)
    d = mnar_lab.DEFAULT
    if mechanism == d["mechanism"]:
        params = dict(d["params"], offset=values["offset"])
    elif mechanism == "mcar":
        params = {"p": values["p"]}
    else:
        return "This step's mechanism is set on its page: press Explore."
    sim = mnar_lab.simulate(x, mechanism, params, seed)
    if is_default(source, mechanism, params, seed):
        try:
            return shipped(sim)[0], sim, columns
        except pretrained.PretrainedError as e:
            return str(e)
    _, point, why = grid_point(source, x, mechanism, params, seed)
    if point is None:
        return why
    fits, shown, why = grid_fits(point, x, sim, params, seed)
    return why if fits is None else (fits, shown, columns)


def fits_facts(link: Mapping[str, str]) -> Facts:
    """Each imputer's RMSE on the hidden entries (``rmse_<id>``), ``methods`` (|-joined), the ``best``, the share
    ``hidden``."""
    got = _slide_result(link)
    return {} if isinstance(got, str) else _fits_facts(*got[:2])


def _fits_facts(fits: dict, sim) -> Facts:
    best = min(fits, key=lambda k: fits[k].rmse)
    duel = slides.duel(("MIWAE", fits["miwae"].rmse), ("not-MIWAE", fits["notmiwae"].rmse), DUEL_RMSE, higher=False) \
        if {"miwae", "notmiwae"} <= fits.keys() else {}  # ignoring why values went missing, against modelling it
    return {"best": mnar_lab.label(best), "methods": "|".join(mnar_lab.label(m) for m in fits),
            "hidden": f"{sim.missing.rate:.0%}", **{f"rmse_{m}": error(f.rmse) for m, f in fits.items()}, **duel}


DUEL_RMSE = 0.01  # errors closer than this (standardised units, the slides show three decimals) tie


def fits_slide(link: Mapping[str, str], stage: Stage, shown: bool) -> Facts:
    """The MNAR lab's answer: each imputer's error on the hidden entries, beside the scatter of their fills against
    the truth for the feature that lost most."""
    got = _slide_result(link)
    if isinstance(got, str):
        st.info(got)
        return {}
    fits, shown_sim, columns = got
    facts = _fits_facts(fits, shown_sim)
    j = int(np.argmax(shown_sim.missing.rate_per_feature))
    left, right = (st.container(), st.container()) if stage.phone else st.columns([5, 6], gap="medium")
    best = min(fits, key=lambda k: fits[k].rmse)
    left.markdown(f"Lowest error: **{mnar_lab.label(best)}** ({error(fits[best].rmse)} sd), {facts['hidden']} of the "
                  "entries hidden.")
    left.table(rmse_table(fits).style.format({"RMSE (missing, sd)": error}))  # text, read from the room
    scatter = {k: fits[k] for k in ("MICE", "miwae", "notmiwae") if k in fits}
    with right:
        slides.fig(scatter_figure(shown_sim, scatter, j, columns[j]), Stage(stage.width, stage.height), "slide_mnar")
    return facts


def mnar_opening() -> Job | None:
    """The warm-up's job for the lab's opening view: the shipped models' re-imputation of the default simulation."""
    d = mnar_lab.DEFAULT
    if not data.available(d["table"]):
        return None
    x = load_source(d["table"])[0]
    return shipped_job(mnar_lab.simulate(x, d["mechanism"], d["params"], d["seed"]))[0]


PAGE = Page("pages/mnar.py", "MNAR lab", ":material/visibility_off:",
            "Hide values of a real table with a mechanism you choose (self-masking, censoring, MAR, MCAR), "
            "train MIWAE and not-MIWAE live, and compare their imputations and the recovered mechanism "
            "with scikit-learn baselines.",
            "**MCAR, MAR, MNAR.** When values go missing because of the value itself (MNAR), an imputer that "
            "ignores why they are missing fills in the wrong values; not-MIWAE models the mechanism and "
            "recovers them. Switch the mechanism and see when that matters.",
            demo=mnar_lab,
            views={"fits": View(draw=fits_slide, blurb="each imputer's error on the hidden entries, and their fills",
                                facts=fits_facts)},
            warm=(mnar_opening,))
