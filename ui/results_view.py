"""The results page's tables, plots and small rerun, every number from a ``dgm_core.demos.results.Row``; tables keep
numbers unformatted, indexed by row id, so a test can read each back against its file.
"""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots
import streamlit as st

from dgm_core import data
from dgm_core.data import DatasetNotFoundError
from dgm_core.demos import results as demo
from dgm_core.methods import CRITICS, CYCLE, palette
from dgm_core.serving import Job, jobs
from ui import loaders, plots, serving
from ui.run import run_button

P = "res_"  # session-state prefix of this page


def table(rows: list[demo.Row], ours: str = "ours", published: str = "published") -> pd.DataFrame:
    """One row per figure: ours ± spread, the published figure ± its spread, and the file each is read from."""
    return pd.DataFrame({
        ours: [r.ours for r in rows], "± " + ours: [r.spread for r in rows],
        published: [r.published for r in rows], "± " + published: [r.published_spread for r in rows],
        "source": [r.source for r in rows], published + " source": [r.published_source for r in rows],
    }, index=pd.Index([r.id for r in rows], name="figure"))


def show_table(rows: list[demo.Row], ours: str = "ours", published: str = "published") -> None:
    df = table(rows, ours, published).dropna(axis=1, how="all")
    st.dataframe(df, width="stretch", column_config={
        c: st.column_config.NumberColumn(format="%.6g") for c in df.columns if "source" not in c})


def _layout(fig: go.Figure, title: str, y: str | None = None) -> go.Figure:
    fig.update_layout(title=title, height=420, margin=dict(l=10, r=10, t=70, b=10),
                      legend=dict(orientation="h", y=-0.2), template="plotly_white")
    if y:
        fig.update_yaxes(title_text=y, col=1)
    return fig


def _panels(titles: list[str], rows: int = 1, shared_y: bool = False) -> go.Figure:
    cols = -(-len(titles) // rows)
    return make_subplots(rows=rows, cols=cols, subplot_titles=titles, shared_yaxes=shared_y,
                         horizontal_spacing=0.04 if shared_y else 0.08, vertical_spacing=0.12)


def f1_against_missing(sec: demo.Section) -> go.Figure | None:
    """F1 on the missing pixels against the missing fraction (the random masks), one panel per data set."""
    rows = [r for r in sec.rows if r.x is not None and r.metric == "F1"]
    if not rows:
        return None
    datasets = list(dict.fromkeys(r.dataset for r in rows))
    fig = _panels(datasets, shared_y=True)
    for i, method in enumerate(dict.fromkeys(r.method for r in rows)):
        for col, ds in enumerate(datasets, start=1):
            pts = sorted((r for r in rows if r.method == method and r.dataset == ds), key=lambda r: r.x)
            fig.add_scatter(x=[r.x for r in pts], y=[r.ours for r in pts], name=method, legendgroup=method,
                            showlegend=col == 1, error_y=dict(type="data", array=[r.spread for r in pts]),
                            mode="lines+markers", line=dict(color=CYCLE[i % len(CYCLE)]), row=1, col=col)
    fig.update_xaxes(tickformat=".0%", title_text="missing fraction")
    return _layout(fig, "F1 against the fraction of pixels missing (random masks; ± s.e. over images)",
                   "F1 on missing pixels")


def rmse_dots(sec: demo.Section) -> go.Figure | None:
    """not-MIWAE Table 1, a panel per table: our RMSE ± sd per method (at the shortest common run), the paper's as bars."""
    lengths = sorted({r.setting for r in sec.rows if r.setting.endswith("iterations")}, key=lambda s: int(s.split()[0]))
    if not lengths:
        return None
    iterations = lengths[0]
    rows = [r for r in [*sec.rows, *sec.related] if r.metric == "RMSE" and r.setting in (iterations, "")]
    if not rows:
        return None
    tables = list(dict.fromkeys(r.dataset for r in rows))
    methods = sorted(dict.fromkeys(r.method for r in rows), key=lambda m: ("not-MIWAE" in m, "PPCA" in m, m))
    fig = _panels(tables, rows=2, shared_y=True)  # three tables a row
    for k, ds in enumerate(tables):
        pts = sorted((r for r in rows if r.dataset == ds), key=lambda r: methods.index(r.method))
        at = dict(row=k // 3 + 1, col=k % 3 + 1)
        fig.add_scatter(x=[r.ours for r in pts], y=[r.method for r in pts], mode="markers", name="ours ± sd",
                        legendgroup="ours", showlegend=k == 0, marker=dict(color=CYCLE[0], size=8),
                        error_x=dict(type="data", array=[r.spread or 0 for r in pts]), **at)
        fig.add_scatter(x=[r.published for r in pts], y=[r.method for r in pts], mode="markers", name="paper",
                        legendgroup="paper", showlegend=k == 0, **at,
                        marker=dict(color=CYCLE[1], size=13, symbol="line-ns-open", line_width=3))
    fig.update_yaxes(categoryorder="array", categoryarray=methods)
    fig.update_xaxes(title_text="RMSE", row=2)
    fig = _layout(fig, f"RMSE on the missing entries ({iterations} for the models; blue ours ± sd, orange bars the "
                  "paper's Table 1)")
    fig.update_layout(height=720)
    return fig


def nll_per_hole(sec: demo.Section) -> go.Figure | None:
    """DMFA and MFA mean NLL of the hidden pixels per hole, ours ± sd and the published markers, per data set."""
    rows = [r for r in sec.rows if r.metric == "NLL"]
    if not rows:
        return None
    datasets = list(dict.fromkeys(r.dataset for r in rows))
    fig = _panels(datasets)
    for i, model in enumerate(dict.fromkeys(r.method for r in rows)):
        colour = CYCLE[i % len(CYCLE)]
        for col, ds in enumerate(datasets, start=1):
            pts = [r for r in rows if r.method == model and r.dataset == ds]
            fig.add_scatter(x=[r.setting for r in pts], y=[r.ours for r in pts], mode="markers",
                            name=f"{model}, ours ± sd", legendgroup=model, showlegend=col == 1, offsetgroup=model,
                            error_y=dict(type="data", array=[r.spread for r in pts]),
                            marker=dict(color=colour, size=10), row=1, col=col)
            fig.add_scatter(x=[r.setting for r in pts], y=[r.published for r in pts], mode="markers", row=1, col=col,
                            name=f"{model}, authors' repository", legendgroup=model + " published",
                            showlegend=col == 1, offsetgroup=model,
                            marker=dict(color=colour, size=13, symbol="diamond-open", line_width=2))
    fig.update_layout(scattermode="group")
    return _layout(fig, "Mean NLL of the hidden pixels per hole (lower is better)", "NLL (nats)")


def critic_curves(sec: demo.Section) -> go.Figure | None:
    """Each critic's estimate against the shift theta, its true value dashed."""
    rows = [r for r in sec.rows if r.metric == "estimate" and r.x is not None]
    if not rows:
        return None
    fig = make_subplots(rows=1, cols=1)
    for i, kind in enumerate(dict.fromkeys(r.method for r in rows)):
        pts = sorted((r for r in rows if r.method == kind), key=lambda r: r.x)
        colour = palette(CRITICS[kind]) if kind in CRITICS else CYCLE[i % len(CYCLE)]
        fig.add_scatter(x=[r.x for r in pts], y=[r.ours for r in pts], mode="lines+markers", name=f"{kind}, critic",
                        line=dict(color=colour))
        fig.add_scatter(x=[r.x for r in pts], y=[r.published for r in pts], mode="lines", name=f"{kind}, true value",
                        line=dict(color=colour, dash="dash"))
    fig.update_xaxes(title_text="shift theta between the two lines")
    return _layout(fig, "Critics' estimates against the true distances", "distance")


PLOTS = {"dlvm": f1_against_missing, "dmfa": nll_per_hole, "notmiwae": rmse_dots, "wgan": critic_curves}


def section(sec: demo.Section) -> None:
    """One paper: citation, plot, what the published column is, command; protocol, differences and table folded."""
    st.header(sec.title)
    st.caption(sec.paper)
    if not sec.measured:
        st.info(f"Not measured yet: `{'`, `'.join(sec.files)}` is not in this copy of the app. "
                f"`{sec.command}` writes it.")
        return
    for path in sec.missing:
        st.info(f"Not measured yet: `{path}`.")
    # the figure first, as on a slide; how it was measured goes behind an expander
    fig = PLOTS[sec.key](sec) if sec.key in PLOTS else None
    if fig is not None:
        plots.show(st, fig, width="stretch", config={"displaylogo": False})
    st.markdown(f"**Published figures:** {sec.published}")
    st.markdown(f"**Rebuild:** `{sec.command}` · **files:** {', '.join(f'`{f}`' for f in sec.files)}"
                + (f" · **±:** {sec.spread}" if sec.spread else ""))
    with st.expander("How it was measured, and where we differ from the paper"):
        st.markdown(f"**Protocol.** {sec.protocol}")
        if sec.differences:
            st.markdown(f"**Where we differ, and why.** {sec.differences}")
    with st.expander(f"Every figure of this section ({len(sec.rows)} rows)", expanded=fig is None):
        show_table(sec.rows, published=sec.reference)


@st.fragment
def small_rerun() -> None:
    """Rerun one cell of the inpainting benchmark here, with a progress bar, next to the shipped figure."""
    st.subheader("Rerun a small version here")
    have = data.available("mnist")
    st.markdown(f"The MNIST {demo.SMALL_MASK} cell of the inpainting benchmark on its first {demo.SMALL_IMAGES} "
                f"test images and one seed (the shipped figure: more images and seeds, see the protocol above), with "
                "the benchmark's samplers, step counts and models; a run takes seconds to half a minute.")
    if not have:
        st.info("This needs the MNIST test images: start the app with `DGM_DATA_DIR` pointing at a folder with "
                "`MNIST/raw/` (see the README's Data section).")

    def rerun() -> Job:  # shared: identical reruns from any session run once, queued, within the time limit
        names = ("vae-mnist", "miwae-mnist")
        return jobs.results_small_rerun(*(loaders.model(n)[0] for n in names), names=names, device=loaders.device(),
                                        time_limit=serving.time_limit())

    try:
        done = run_button("Rerun a small version here", disabled=not have, key=P + "rerun", type="primary",
                          inputs=None, compute=rerun)
    except DatasetNotFoundError as err:  # the test images went missing after the page checked for them
        st.error(str(err))
        done = None
    run = done.value if done else None
    if run is not None:
        st.caption(serving.caption(done.ran))
        show_table(run.rows, ours="this run", published="shipped")
