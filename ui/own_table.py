"""The MNAR lab's "Your table's own holes" mode: an upload's empty cells are the holes. What the holes say about their
mechanism (patterns, Little's test), every imputer's completed table (with its filled mask and provenance), how good
the fills are without the truth (overimputation), and how far a conclusion may move (δ tipping point). The computing
is dgm_core.own_table, dgm_core.overimpute and dgm_core.missingness.diagnostics; here the widgets and figures.
"""
from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

from dgm_core import overimpute as overimputation
from dgm_core import own_table
from dgm_core import own_table_delta as in_chain
from dgm_core import own_table_pool as pool
from dgm_core.data import typed
from dgm_core.demos.mnar import CONTROLS as SPEC, PREFIX as P
from dgm_core.methods import MNAR, palette
from dgm_core.missingness import diagnostics as dg
from server import Job, Stopped, TimeLimit, jobs, key_of, schema
from server import own_table_job as browser
from ui import panels, plots, serving
from ui.controls import widget
from ui.trainer import TABLE_WORKER_URL, fallback_reason, trainer_loads, trainer_runtime
from ui.run import Kept, kept, run_button

KEYS = ("own", "ofam", "odir", "obud", "ohow", "oshare", "odelta")  # its URL keys, after the page's own
MAX_PATTERNS = 15


def patterns_figure(p: dg.Patterns) -> go.Figure:
    """naniar-style: one row per missingness pattern (most frequent on top), a cell per column (vermillion: missing),
    and the rows that have it as a bar."""
    top = min(len(p.counts), MAX_PATTERNS)
    names = [str(c)[:16] for c in p.columns]
    labels = [f"pattern {i + 1}" for i in range(top)]
    fig = make_subplots(1, 2, shared_yaxes=True, column_widths=[0.72, 0.28], horizontal_spacing=0.03)
    fig.add_trace(go.Heatmap(z=p.missing[:top].astype(int), x=names, y=labels, zmin=0, zmax=1, showscale=False,
                             colorscale=[[0, "#dddddd"], [1, palette("vermillion")]], xgap=2, ygap=2,
                             hovertemplate="%{y}, %{x}: %{z}<extra>1 = missing</extra>"), 1, 1)
    fig.add_trace(go.Bar(x=p.counts[:top], y=labels, orientation="h", marker_color=palette("dark_grey"),
                         text=p.counts[:top], textposition="outside", cliponaxis=False, showlegend=False,
                         hovertemplate="%{x} rows<extra></extra>"), 1, 2)
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(tickangle=-40, row=1, col=1)
    fig.update_xaxes(title_text="rows", nticks=3, row=1, col=2)
    more = f" (the {top} most frequent of {len(p.counts)})" if len(p.counts) > top else ""
    fig.update_layout(height=120 + 26 * top, margin=dict(t=40, b=10, l=10, r=30),
                      title=dict(text=f"Missingness patterns{more}: red = empty", font=dict(size=14)))
    return fig


def check_figure(check, j: int, name: str) -> go.Figure:
    """Overimputation: the hidden observed values of column j against each method's fill, with 90 % intervals where a
    method gives them; the diagonal is a perfect fill."""
    pts = check.points
    here = pts["column"] == j
    fig = go.Figure()
    for method in dict.fromkeys(pts["method"][here]):
        sel = here & (pts["method"] == method)
        lo, hi, y = pts["lo"][sel], pts["hi"][sel], pts["fill"][sel]
        bars = dict(type="data", symmetric=False, array=hi - y, arrayminus=y - lo, thickness=1, width=0) \
            if np.isfinite(lo).all() else None
        fig.add_scatter(x=pts["truth"][sel], y=y, mode="markers", name=MNAR.label(method), error_y=bars,
                        marker=dict(size=7, opacity=0.8, color=MNAR.colour(method)))
    truth = pts["truth"][here]
    if len(truth):
        lo, hi = float(truth.min()), float(truth.max())
        fig.add_scatter(x=[lo, hi], y=[lo, hi], mode="lines", name="perfect", line=dict(color="black", dash="dash"))
    fig.update_layout(height=380, margin=dict(t=60, b=50, l=60, r=20), xaxis_title=f"observed {name} (hidden)",
                      yaxis_title=f"filled {name}", legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0))
    return fig


def delta_figure(tips: dict[str, dict], share: float, sd: float, threshold: float, delta: float,
                 name: str) -> go.Figure:
    """Column mean against δ for every imputer (a line: the mean moves by δ sd × the share filled), the threshold,
    the δ chosen."""
    ds = np.linspace(-2, 2, 41)
    fig = go.Figure()
    for m, t in tips.items():
        fig.add_scatter(x=ds, y=t["mean"] + ds * sd * share, mode="lines", name=MNAR.label(m),
                        line=dict(color=MNAR.colour(m), width=3 if m in own_table.FAMILIES else 2))
    fig.add_hline(y=threshold, line=dict(color="black", dash="dot"), annotation_text="threshold",
                  annotation_position="top left")
    fig.add_vline(x=delta, line=dict(color=palette("grey"), width=1))
    fig.update_layout(height=340, margin=dict(t=40, b=50, l=60, r=20), xaxis_title="δ (sd of the observed values)",
                      yaxis_title=f"mean of {name}", legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0))
    return fig


def _mechanism(x: np.ndarray, columns: tuple[str, ...], kinds: tuple[str, ...]) -> dict[str, dg.ColumnCheck]:
    """The patterns, Little's test and, per continuous column with holes, whether they depend on the other columns
    (``diagnostics.column_checks``) -> those checks by column."""
    st.markdown("#### Which mechanism made the holes?")
    c1, c2 = st.columns([3, 2])
    plots.show(c1, patterns_figure(dg.patterns(np.isfinite(x), columns)), width="stretch")
    try:
        c2.markdown(dg.little_mcar(x).sentence())
    except (ValueError, np.linalg.LinAlgError) as e:
        c2.info(f"Little's test cannot run on this table ({e}).")
    holes = np.isnan(x)
    checks = {c.column: c for c in dg.column_checks(x, columns)}
    rows = [{"column": c, "empty": int(holes[:, j].sum()), "share": holes[:, j].mean(),
             "holes depend on the others (p)": _text(checks[c].p_depends, "{:.2g}") if c in checks else "–",
             "holed rows predicted (sd)": _text(checks[c].shift, "{:+.2f}") if c in checks else "–",
             "suggests": checks[c].default if c in checks and kinds[j] == "continuous" else "–"}
            for j, c in enumerate(columns)]
    c2.dataframe(pd.DataFrame(rows).style.format({"share": "{:.1%}"}), hide_index=True,
                 height=min(35 * (len(columns) + 1) + 3, 260), key=P + "own_column_checks")
    c2.caption("Per column: a logistic regression of its holes on the other columns (a likelihood-ratio test), and "
               "its value as predicted from them in the holed rows against the observed rows (a Welch t-test); a "
               "significant shift (at 0.05 over the holed columns) suggests the direction of self-masking, none "
               "suggests no missing model.")
    return checks


def _directions(columns: tuple[str, ...], kinds: tuple[str, ...], checks: dict[str, dg.ColumnCheck]
                ) -> tuple[str, ...]:
    """Each column's missing model for the known-direction not-MIWAE, proposed from its check, as the user sets it."""
    rows = pd.DataFrame([{"column": c, "missing model": checks[c].default, "because": checks[c].reason()}
                         for j, c in enumerate(columns) if c in checks and kinds[j] == "continuous"])
    if rows.empty:
        return ("mcar",) * len(columns)
    edited = st.data_editor(rows, hide_index=True, key=P + "own_directions", disabled=["column", "because"],
                            column_config={"missing model": st.column_config.SelectboxColumn(
                                "missing model", options=list(own_table.DIRECTIONS), required=True,
                                help="mcar: no missing model (the value does not decide); high / low: high / low "
                                     "values go missing")})
    chosen = dict(zip(edited["column"], edited["missing model"], strict=True))
    return tuple(chosen.get(c, "mcar") for c in columns)


def _downloads(done: own_table.Completed, enc: typed.Encoded) -> None:
    st.markdown("**Every imputer's completed table** (CSV: the provenance in `#` lines, the columns, then one "
                "`<column>_filled` flag per column, 1 where the file's cell was empty):")
    methods = list(done.fills)
    for i, method in enumerate(methods):
        if i % 3 == 0:  # a row of three at a time: on a phone they stack in the fills' order
            cols = st.columns(3)
        cols[i % 3].download_button(f"{MNAR.label(method)} (CSV)", lambda m=method: own_table.to_csv(done, m, enc),
                                    f"own_{method}.csv", "text/csv", key=f"{P}own_dl_{method}",
                                    on_click="ignore")


def _check(done: own_table.Completed) -> None:
    st.markdown("#### How good are the fills, without the truth?")
    st.caption("Overimputation: a share of the OBSERVED cells is hidden, every imputer fills the table again (the "
               "models retrained), and the fills are compared with what was there; for the methods that draw "
               "multiple imputations, also how often their 90 % interval holds the hidden value (nominal 0.90). "
               "Under MNAR the observed cells are not like the real holes: hiding them *by the learnt mechanism* "
               "tries them where the holes are believed to be, as far as that model is right.")
    c1, c2 = st.columns(2)
    how, share = widget(SPEC, P, "ohow", c1, horizontal=True), widget(SPEC, P, "oshare", c2)
    key = (done.source, done.settings, how, share)
    ran = run_button("Check by overimputation", key=P + "own_check", inputs=key,
                     compute=lambda: jobs.own_check(done, how, share, time_limit=serving.time_limit()))
    if not ran or ran.inputs != key:
        return
    check = ran.value
    rows = pd.DataFrame(check.rows)
    rows["method"] = rows["method"].map(MNAR.label)
    rows["coverage"] = [_text(v, "{:.2f}") for v in rows["coverage"]]  # no interval: "–"
    st.caption(f"{int(check.hidden.sum())} observed cells hidden {'at random' if how == 'mcar' else 'by the mechanism'}"
               f". {serving.caption(ran.ran)} RMSE in the column's units; 'all columns': in sd of each column.")
    st.markdown(overimputation.recommend(check, done.settings.family, MNAR.label)[1])
    t1, t2 = st.columns([5, 6])
    t1.dataframe(rows.style.format({"rmse": "{:.3g}", "rmse_sd": "{:.2f}", "bias": "{:+.3g}",
                                    }),
                 hide_index=True, height=320, key=P + "own_check_table")
    t1.caption(overimputation.calibration_sentence(check, MNAR.label) + " Intervals miss when they are centred off "
               "the hidden values (hiding by the mechanism picks cells by their own value) or too narrow (few "
               "importance samples carry the weight).")
    j = t2.selectbox("Column", range(len(done.columns)), format_func=lambda j: done.columns[j], key=P + "own_check_col",
                     index=int(np.argmax(done.filled.sum(0) * check.hidden.any(0))))  # the most holed column
    plots.show(t2, check_figure(check, j, done.columns[j]), width="stretch")


def _pool(done: own_table.Completed, enc: typed.Encoded, digest: str) -> None:
    """Every seeded imputer fit m times (one seed each): each fill's spread across the fits, a column's mean pooled
    by Rubin's rules, the m completed tables to download."""
    st.markdown("#### Across fits: the imputations as a distribution")
    kinds = enc.kinds
    holed = [j for j in range(len(done.columns)) if done.filled[:, j].any() and kinds[j] == "continuous"]
    if not holed:
        return
    c1, c2, c3 = st.columns([1, 2, 2])
    m = int(c1.number_input("fits m", 2, 20, pool.M, key=P + "own_m", help="one seed each: seed, seed + 1, …"))
    j = c2.selectbox("Pool the mean of", holed, format_func=lambda j: done.columns[j], key=P + "own_pool_col",
                     index=int(np.argmax(done.filled[:, holed].sum(0))))
    sd = float(dg.observed_sd(done.x)[j])
    obs = done.x[done.mask[:, j], j]
    threshold = c3.number_input(f"Threshold for the mean of {done.columns[j]}", value=float(np.round(
        obs.mean() + 0.5 * sd, 3)), key=P + f"own_pool_threshold_{j}", format="%.4g")
    x, columns, s = done.x, done.columns, done.settings
    limit = serving.time_limit()

    def fits(progress):
        try:
            return pool.multiple(x, columns, s, m, source=digest, on_progress=progress)
        except TimeLimit as e:
            raise TimeLimit(f"The fits stopped at the time limit of {limit:g} s per run on this server; choose fewer "
                            "fits or a smaller budget.") from e

    key = (digest, s, m)
    ran = run_button(f"Fit every seeded imputer {m} times", key=P + "own_pool", inputs=key,
                     compute=lambda: Job(key_of("own_table_pool.multiple", x, columns, s, digest, m), fits,
                                         f"own table pool {s.preset}", limit),
                     help="MICE, missForest, MIWAE and the not-MIWAE, each fitted again with every seed (queued)")
    if not ran or ran.inputs != key:
        return
    mult, cell = ran.value, done.filled[:, j]
    rows = []
    for method in mult.fits[0].fills:
        p = pool.pool_mean(mult, method, j)
        tip = pool.tipping(mult, method, j, threshold, sd)
        rows.append({"imputer": MNAR.label(method), "pooled mean": p.estimate, "95 % interval": f"{p.lo:.4g} – "
                     f"{p.hi:.4g}", "within Ū": p.within, "between B": p.between, "total T": p.total, "df ν": p.df,
                     "fill's sd across fits": float(mult.spread(method)[cell, j].mean()),
                     "δ: mean reaches threshold": _text(tip["estimate"]),
                     "δ: interval holds it": _text(tip["interval"])})
    st.dataframe(pd.DataFrame(rows).style.format(precision=4), hide_index=True, key=P + "own_pool_table")
    st.caption(f"Rubin's rules over the m = {m} completed tables (a fit's table is its first multiple imputation "
               "where it draws them, missForest's fill otherwise): Q̄ = mean of the m means; Ū = mean of their "
               "variances (s²/n); B = the m means' variance; T = Ū + (1 + 1/m) B; ν by Barnard & Rubin (1999); the "
               "interval Q̄ ± t(ν) √T. 'fill's sd': each filled cell's sd across the fits, averaged. The δ columns: "
               "every fit's drawn fills moved by δ sd, pooled again: where the pooled mean reaches the threshold, and "
               "where its interval first holds it (the difference no longer significant); '–': not within ±50 sd.")
    cols = st.columns(4)
    for i, method in enumerate(mult.fits[0].fills):
        cols[i % 4].download_button(f"{MNAR.label(method)}: {m} tables (CSV)",
                                    lambda mm=method: pool.long_csv(mult, mm, enc), f"own_{method}_m{m}.csv",
                                    "text/csv", key=f"{P}own_pool_dl_{method}", on_click="ignore")


def beyond_slider(tips: dict[str, float | None], reach: float) -> str:
    """One sentence: which imputers' tipping δ the slider's ±``reach`` cannot reach, and where they lie."""
    far = {k: v for k, v in tips.items() if v is not None and np.isfinite(v) and abs(v) > reach}
    if not far:
        return f"Every tipping δ lies within the slider's ±{reach:g} sd." if any(
            v is not None and np.isfinite(v) for v in tips.values()) else "No imputer's mean reaches the threshold."
    return (f"Beyond the slider's ±{reach:g} sd: " + ", ".join(f"{k} tips at δ = {v:+.3g}" for k, v in far.items())
            + " (the holes are too few, or the threshold too far, for any plausible shift to change the conclusion).")


def _text(v: float | None, fmt: str = "{:.3f}") -> str:
    """A figure a table shows, "–" where there is none (st.dataframe draws a missing number as "None")."""
    return "–" if v is None or not np.isfinite(v) else fmt.format(v)


def _tipping(done: own_table.Completed) -> None:
    st.markdown("#### How far may the conclusion move? δ-adjustment")
    kinds = done.settings.kinds or ("continuous",) * len(done.columns)
    holed = [j for j in range(len(done.columns)) if done.filled[:, j].any() and kinds[j] == "continuous"]
    if not holed:
        return
    c1, c2, c3 = st.columns(3)
    j = c1.selectbox("Column", holed, format_func=lambda j: done.columns[j], key=P + "own_delta_col",
                     index=int(np.argmax(done.filled[:, holed].sum(0))))
    obs = done.x[done.mask[:, j], j]
    sd = dg.observed_sd(done.x)
    threshold = c2.number_input(f"Threshold for the mean of {done.columns[j]}", value=float(np.round(
        obs.mean() + 0.5 * sd[j], 3)), key=P + f"own_threshold_{j}", format="%.4g")
    delta = widget(SPEC, P, "odelta", c3)
    tables = {m: f.table for m, f in done.fills.items()}
    tips = dg.tipping_points(tables, done.filled, sd, j, threshold, reference=done.settings.family)
    share = float(done.filled[:, j].mean())
    chain = _in_chain(done.x, j, kinds, done.settings.seed, float(threshold),
                      tips["MICE"]["delta_to_threshold"] if "MICE" in tips else None)
    rows = [{"imputer": MNAR.label(m), f"mean at δ = {delta:+.1f}": t["mean"] + delta * sd[j] * share,
             "δ to reach the threshold": _text(t["delta_to_threshold"]),
             "δ inside the chain": _text(chain["inside"] if m == "MICE" else None),
             f"δ to meet {MNAR.label(done.settings.family)}": _text(t.get("delta_to_reference"))}
            for m, t in tips.items()]
    # the table at the page's width (in half of it, its five columns scrolled sideways), the figure below it
    d1 = d2 = st.container()
    d1.dataframe(pd.DataFrame(rows).style.format(precision=3), hide_index=True, key=P + "own_delta_table")
    d1.caption(f"Every filled value of {done.columns[j]} moved by δ × {sd[j]:.3g} (the sd of its observed values): "
               f"its mean moves by δ × {sd[j]:.3g} × {share:.1%} (the share filled). The tipping δ is where an "
               "imputer's mean reaches the threshold, its completed table shifted after the fact; 'inside the "
               f"chain': MICE's {in_chain.M} pooled draws (seeds {done.settings.seed}…) with the shift made in every "
               "round of the chained equations (R mice's post), so the other columns' fills follow it "
               f"(the same draws shifted after the fact tip at δ = {_text(chain['after'])}). 'δ to meet' is where a "
               "missing-at-random imputer, pushed, reaches the not-MIWAE's mean: the MNAR shift the not-MIWAE "
               "assumes, in its units.")
    d1.markdown(beyond_slider({**{MNAR.label(m): t["delta_to_threshold"] for m, t in tips.items()},
                               "MICE inside the chain": chain["inside"]}, SPEC["odelta"].hi))
    plots.show(d2, delta_figure(tips, share, sd[j], threshold, delta, done.columns[j]), width="stretch")


@st.cache_data(show_spinner="MICE with δ inside the chained equations…", max_entries=8)
def _in_chain(x: np.ndarray, j: int, kinds: tuple[str, ...], seed: int, threshold: float, guess: float | None
              ) -> dict[str, float | None]:
    """MICE's pooled tipping δ of column j, inside the chain and (the same draws) after the fact: a bracket and at
    most in_chain.STEPS false-position steps, each in_chain.M chained fits; kept for this table and threshold."""
    chain = in_chain.InChain.of(x, j, kinds, seed=seed)
    inside = pool.tipping_by(chain.pooled, threshold, guess=guess, wanted=("estimate",))["estimate"]
    after = pool.tipping_by(chain.after, threshold, guess=guess, steps=60, tol=1e-6,
                                wanted=("estimate",))["estimate"]
    return {"inside": inside, "after": after}


_panel = panels.component("dgm_own_table_browser", "own_table_browser", '<div class="otb"></div>')


def _job(x: np.ndarray, settings: own_table.Settings, digest: str) -> tuple[browser.Job, dict]:
    """The browser's training job and its wire form, built once a session per table and settings."""
    cache = st.session_state.setdefault(P + "own_jobs", {})
    if (digest, settings) not in cache:
        cache.clear()  # one table and setting at a time: the wire holds the table
        j = browser.job(x, settings)
        cache[(digest, settings)] = (j, j.wire())
    return cache[(digest, settings)]


def _browser_fill(x: np.ndarray, columns: tuple[str, ...], settings: own_table.Settings, digest: str,
                  key: tuple) -> Kept | None:
    """The visitor's browser trains MIWAE and the not-MIWAE (static/js/tabular, the panel's button); once it answers,
    the answer is checked against its job and the server adds the baselines (queued, shared) -> the kept completion,
    as the server's button keeps it."""
    j, wire = _job(x, settings, digest)
    _panel(key=P + "own_browser", data={
        "job": wire, "runtime": trainer_runtime(TABLE_WORKER_URL), "label": "Fill my table's holes",
        "help": "MIWAE and the not-MIWAE above train here, in your browser; mean, kNN, MICE and missForest on the "
                "server",
        "note": f"MIWAE and {MNAR.label(settings.family)} train in your browser (TensorFlow.js, "
                f"{trainer_loads()} once, then cached); the other imputers on the server."},
        default={"result": None, "fallback": None}, on_result_change=lambda: None, on_fallback_change=lambda: None)
    got = st.session_state.get(P + "own_browser")
    answer = got.get("result") if hasattr(got, "get") else None
    before = kept(P + "own_fill")
    if before is not None and before.inputs == key or not answer or answer.get("id") != j.id:
        return before
    try:
        learnt = browser.learnt(j, answer)
    except schema.Refused as e:
        st.error(f"Your browser's training could not be used ({e}); press the button again.")
        return None
    digest_answer = hashlib.sha256(json.dumps(answer, sort_keys=True).encode()).hexdigest()
    where = f"your browser ({answer.get('backend', '?')}, {float(answer.get('seconds', 0)):.1f} s)"
    try:
        value, ran = serving.run(jobs.own_complete(x, columns, settings, source=digest, learnt=learnt,
                                                   answer=digest_answer, trained_in=where,
                                                   time_limit=serving.time_limit()),
                                 key=P + "own_fill", label="The other imputers")
    except Stopped as e:
        st.warning(str(e))
        return None
    st.session_state[P + "own_fill_result"] = Kept(key, None, ran)
    return Kept(key, value, ran)


def has_holes(cells: typed.Typed) -> bool:
    """Whether a column proposed for use has a missing cell (the own-table mode has something to fill)."""
    return bool(cells.missing[:, [r == "use" for r in cells.roles]].any())


def _columns(cells: typed.Typed) -> typed.Encoded | None:
    """The column table the user corrects (kind, role), and the table it encodes; None after a refusal (said)."""
    st.markdown("#### Your columns")
    summary = cells.summary()
    edited = st.data_editor(summary, hide_index=True, key=P + "own_columns", disabled=[
        c for c in summary.columns if c not in ("kind", "role")], column_config={
        "kind": st.column_config.SelectboxColumn("kind", options=list(typed.KINDS), required=True,
                                                 help="continuous: numbers; binary: two values (its fills stay one "
                                                      "of them); categorical: levels (text); identifier, date: "
                                                      "kept as they are"),
        "role": st.column_config.SelectboxColumn("role", options=list(typed.ROLES), required=True,
                                                 help="use: its holes filled, it informs the others; keep: written "
                                                      "back untouched; ignore: left out of the download")})
    markers = ", ".join(f"'{m}'" for m in (*typed.MARKERS, *cells.markers))
    st.caption(f"Guessed from the cells ({cells.frame.how}); correct a kind or a role in the table. Missing: "
               f"{markers}. Binary and categorical holes: the baselines fill them by classifiers (the most frequent "
               "level; kNN's, a logistic regression's draw, a random forest's vote); MIWAE and not-MIWAE read a "
               "level as one-hot inputs and fill the level whose indicator they impute highest.")
    try:
        return typed.encode(cells, tuple(edited["kind"]), tuple(edited["role"]))
    except ValueError as e:
        st.error(str(e))
        return None


def show(cells: typed.Typed, digest: str, seed: int) -> None:
    """The whole mode for an uploaded table (digest: its sha256); refusals are one sentence each."""
    enc = _columns(cells)
    if enc is None:
        return
    x, columns = enc.x, enc.columns
    holes = np.isnan(x)
    st.markdown(f"The file's **{int(holes.sum())} empty cells**, in {int(holes.any(1).sum())} of its {len(x)} "
                "rows, are the holes: every row is kept and nothing is simulated.")
    complete = [c for j, c in enumerate(columns) if not holes[:, j].any()]
    target = st.selectbox("Target column (optional: it must be complete, it is a predictor, never filled)",
                          [None, *columns], format_func=lambda c: "none" if c is None else c, key=P + "own_target")
    try:
        own_table.validate(x, columns, target, cells.frame.rows_in_file)
    except ValueError as e:
        st.error(str(e))
        return
    checks = _mechanism(x, columns, enc.kinds)
    st.markdown("#### Fill the holes")
    f1, f2, f3 = st.columns([3, 2, 2])
    family = widget(SPEC, P, "ofam", f1)
    direction = widget(SPEC, P, "odir", f2, horizontal=True) if family == "notmiwae_known" else "high"
    preset = widget(SPEC, P, "obud", f3)
    directions = None
    if family == "notmiwae_known" and direction == "per column":
        direction, directions = "high", _directions(columns, enc.kinds, checks)
    settings = own_table.Settings(family, direction, preset, seed, target=target, kinds=enc.kinds,
                                  directions=directions)
    key = (digest, settings, enc.order)
    why = browser.where(len(x), preset, kinds=enc.kinds) or fallback_reason(P + "own_browser")
    if why is None and st.radio("Train MIWAE and not-MIWAE in", ("your browser", "the server"), horizontal=True,
                                key=P + "own_where", help=f"Your browser: tables up to {browser.MAX_ROWS:,} rows, "
                                "the 'tiny' and 'small' budgets, nothing queued. The server: any table, queued "
                                "behind the class's other trainings.") == "the server":
        why = "you chose the server"
    ran = _browser_fill(x, columns, settings, digest, key) if why is None else None
    if why is not None:
        st.caption("MIWAE and not-MIWAE train on this server, queued" + ("." if why == "you chose the server" else
                   f": {why}. In a browser with WebAssembly, tables up to {browser.MAX_ROWS:,} rows with the "
                   f"{' or '.join(map(repr, browser.PRESETS_IN_BROWSER))} budget train in the visitor's own browser."))
        ran = run_button("Fill my table's holes", type="primary", key=P + "own_fill", inputs=key,
                         compute=lambda: jobs.own_complete(x, columns, settings, source=digest,
                                                           time_limit=serving.time_limit()),
                         help="mean, kNN, MICE, missForest, MIWAE and the not-MIWAE above, trained here (queued, "
                              "shared)")
    if not ran or ran.inputs != key:
        st.caption("Complete columns: " + (", ".join(complete) if complete else "none") + ".")
        return
    done = ran.value
    st.caption(f"Trained with the '{preset}' budget in {done.trained_in}. {serving.caption(ran.ran)}")
    cont = [k == "continuous" for k in enc.kinds]
    shifts = {m: dg.fill_shift(f.table[:, cont], done.mask[:, cont]) for m, f in done.fills.items()}
    st.markdown(dg.shift_sentence(shifts, MNAR.label) + " The truth of the holes is unknown: which is right is a "
                "question of the mechanism, checked below as far as the data allow.")
    _downloads(done, enc)
    _pool(done, enc, digest)
    _check(done)
    _tipping(done)
