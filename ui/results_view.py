"""The results page's tables, plots and small rerun, every number from a ``dgm_core.demos.results.Row``; tables keep
numbers unformatted, indexed by row id, so a test can read each back against its file.

Its descriptor ``PAGE`` (collected by ui.catalog) lists its slide views (``*_slide``), drawn in present mode.
"""
from __future__ import annotations

import html
import re
from collections.abc import Mapping

from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots
import streamlit as st

from dgm_core import data
from dgm_core.data import DatasetNotFoundError
from dgm_core.demos import results as demo
from dgm_core.methods import CRITICS, CYCLE, palette
from server import Job, jobs
from ui import loaders, plots, serving
from ui.run import run_button
from ui.descriptor import Page
from ui.slides import Facts, Stage, View

ROOT = Path(__file__).resolve().parents[1]

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
                      legend=dict(orientation="h", y=-0.2), template="plotly_white",
                      hoverlabel_font_size=plots.MIN_PX)  # a hover names a published figure's source: readable too
    if y:
        fig.update_yaxes(title_text=y, col=1)
    return fig


def _panels(titles: list[str], rows: int = 1, shared_y: bool = False, vertical_spacing: float = 0.12) -> go.Figure:
    cols = -(-len(titles) // rows)
    return make_subplots(rows=rows, cols=cols, subplot_titles=titles, shared_yaxes=shared_y,
                         horizontal_spacing=0.04 if shared_y else 0.08, vertical_spacing=vertical_spacing)


def _published_marker(fig: go.Figure, sec: demo.Section, x: list, y: list, name: str, colour: str,
                      error: list | None = None, horizontal: bool = False, size: int = 14, **at) -> None:
    """The published figures as a hollow marker beside ours; its hover names the source."""
    err = dict(type="data", array=[e or 0 for e in error], color=colour) if error and any(error) else None
    fig.add_scatter(x=x, y=y, mode="markers", name=name, legendgroup=name, **at,
                    marker=dict(color=colour, size=size, symbol="diamond-open", line_width=2),
                    hovertext=[sec.cite] * len(x), hovertemplate=f"{name}: %{{{'x' if horizontal else 'y'}}}"
                    "<br>%{hovertext}<extra></extra>", **({"error_x" if horizontal else "error_y": err} if err else {}))


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
    """not-MIWAE Table 1, a panel per table: our RMSE ± sd per method (at the shortest common run), the paper's ± sd
    beside it."""
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
        _published_marker(fig, sec, [r.published for r in pts], [r.method for r in pts], "paper", CYCLE[1],
                          [r.published_spread for r in pts], horizontal=True, size=11, showlegend=k == 0, **at)
    fig.update_yaxes(categoryorder="array", categoryarray=methods)
    fig.update_xaxes(title_text="RMSE", row=2)
    fig = _layout(fig, f"RMSE on the missing entries ({iterations} for the models; ours ± sd next to the paper's "
                  "Table 1 ± sd)")
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
            _published_marker(fig, sec, [r.setting for r in pts], [r.published for r in pts],
                              f"{model}, authors' repository", colour, showlegend=col == 1,
                              offsetgroup=model + " published", row=1, col=col)
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


def miwae_rmse_and_cards(sec: demo.Section) -> go.Figure | None:
    """MIWAE on the UCI tables (RMSE ± sd, the paper's Table 1 beside it), then each image model's card figure."""
    tables = [r for r in sec.rows if r.metric == "RMSE"]
    cards = [r for r in sec.rows if r.metric != "RMSE"]
    if not tables and not cards:
        return None
    titles = (["UCI tables: RMSE, missing entries"] if tables else []) + [r.dataset for r in cards]
    widths = ([0.5] if tables else []) + [(0.5 if tables else 1.0) / len(cards)] * len(cards) if cards else [1.0]
    fig = make_subplots(rows=1, cols=len(titles), subplot_titles=titles, column_widths=widths,
                        horizontal_spacing=0.06)
    if tables:
        fig.add_scatter(x=[r.ours for r in tables], y=[r.dataset for r in tables], mode="markers", name="ours ± sd",
                        marker=dict(color=CYCLE[0], size=10), row=1, col=1,
                        error_x=dict(type="data", array=[r.spread or 0 for r in tables]))
        pub = [r for r in tables if r.published is not None]
        _published_marker(fig, sec, [r.published for r in pub], [r.dataset for r in pub], "paper", CYCLE[1],
                          [r.published_spread for r in pub], horizontal=True, size=12, row=1, col=1)
        fig.update_xaxes(title_text="RMSE", row=1, col=1)
    for col, r in enumerate(cards, start=1 + bool(tables)):  # each on its own scale: CelebA's density is continuous
        fig.add_bar(x=["ours"], y=[r.ours], name=r.metric, legendgroup="card", showlegend=False,
                    marker_color=CYCLE[2], text=[r.ours], textposition="inside", row=1, col=col,
                    hovertemplate=f"{r.method}: %{{y}}<extra>{r.source}</extra>")
    if cards:
        fig.update_yaxes(title_text=f"{cards[0].metric} (nats)", col=1 + bool(tables))
    return _layout(fig, "MIWAE: RMSE on the tables next to the paper; the image models' test log-likelihood "
                   "(ours only)")


def vae_bounds(sec: demo.Section) -> go.Figure | None:
    """Each VAE's test log-likelihood and ELBO (the reference's figure beside VAE MNIST), then the ELBO's gap."""
    scores = [r for r in sec.rows if r.metric in ("test log lik", "test elbo")]
    gaps = [r for r in sec.rows if r.metric.startswith("gap")]
    if not scores:
        return None
    fig = make_subplots(rows=1, cols=2 if gaps else 1, column_widths=[0.65, 0.35] if gaps else None,
                        horizontal_spacing=0.1, subplot_titles=["Test log-likelihood and ELBO (nats)"]
                        + ([f"ELBO below the K = {gaps[0].metric.rsplit('L_', 1)[-1]} bound (nats)"] if gaps else []))
    names = {"test log lik": "log-likelihood", "test elbo": "ELBO"}
    for i, (metric, name) in enumerate(names.items()):  # each reference figure in the slot beside ours
        pts = [r for r in scores if r.metric == metric]
        fig.add_scatter(x=[r.method for r in pts], y=[r.ours for r in pts], mode="markers", name=f"ours, {name}",
                        offsetgroup=name, marker=dict(color=CYCLE[2 * i], size=12, symbol=("circle", "square")[i]),
                        row=1, col=1)
        pub = [r for r in pts if r.published is not None]
        if pub:
            _published_marker(fig, sec, [r.method for r in pub], [r.published for r in pub], f"reference, {name}",
                              CYCLE[1], offsetgroup=name + " reference", row=1, col=1)
    if gaps:
        fig.add_bar(x=[r.method for r in gaps], y=[r.ours for r in gaps], name="ours, gap", marker_color=CYCLE[3],
                    text=[r.ours for r in gaps], textposition="inside", row=1, col=2)
    fig.update_layout(scattermode="group")
    shown = [v for r in scores for v in (r.ours, r.published) if v is not None]
    pad = 0.1 * (max(shown) - min(shown) or 1)  # grouped scatter would otherwise stretch the axis to zero
    fig.update_yaxes(range=[min(shown) - pad, max(shown) + pad], row=1, col=1)
    return _layout(fig, "VAE and IWAE: ours next to the reference notebook's test log-likelihood")


SHORT_PARTS = {"Gibbs from k-means (round 0)": "k-means start",
               "Gibbs from k-means on a t-SNE map (round 0)": "t-SNE start",
               "k-means on a t-SNE map kept (round 0)": "t-SNE start kept",
               "then the previous round's clusters": "previous clusters", "then k-means": "k-means restart",
               "then k-means on a t-SNE map": "t-SNE each round", "full-covariance priors": "full covariance",
               "then k-means on a t-SNE map (kept)": "then t-SNE, kept"}
MAX_PANELS_IN_A_ROW = 6  # a panel a sixth of the width carries its title; more go to a second row


def _panel_title(label: str) -> str:
    """A variant's label as a panel title a sixth of the width carries: a line per part, the long parts shortened."""
    shipped = label.endswith(" (shipped)")
    parts = label.removesuffix(" (shipped)").split(", ") + (["shipped"] if shipped else [])
    return "<br>".join(SHORT_PARTS.get(part, part) for part in parts)


def accuracy_per_round(sec: demo.Section) -> go.Figure | None:
    """VAE + GMM: every seed's test accuracy per round (thin lines), the mean over seeds at the first and last
    round, and scikit-learn's mixture at the last; a panel per variant (network, Gibbs start)."""
    rows = [r for r in sec.rows if r.x is not None]
    if not rows:
        return None
    files = [f for f in sec.panels if any(r.source == f for r in rows)] or list(dict.fromkeys(r.source for r in rows))
    n_rows = -(-len(files) // MAX_PANELS_IN_A_ROW)  # more variants: more rows, each title still legible
    height = 450 * n_rows if n_rows > 1 else None
    # a lower row's titles (up to four lines) sit under the row above's round axis: about 220 px for both
    titles = [_panel_title(sec.panels.get(f, f)) for f in files]
    fig = _panels(titles, rows=n_rows, shared_y=True,
                  vertical_spacing=min(0.3, 220 / (height - 150)) if height else 0.3)
    per_row = -(-len(files) // n_rows)
    for i, f in enumerate(files):
        row, col = divmod(i, per_row)
        row, col = row + 1, col + 1
        mine = [r for r in rows if r.source == f]
        per_seed = [r for r in mine if r.where[0] == "runs"]  # ("runs", i, "rounds", j, ...): seed i's rounds
        for k, run in enumerate(dict.fromkeys(r.where[1] for r in per_seed)):
            pts = sorted((r for r in per_seed if r.where[1] == run), key=lambda r: r.x)
            fig.add_scatter(x=[r.x for r in pts], y=[r.ours for r in pts], mode="lines+markers", name="each seed",
                            legendgroup="seed", showlegend=i == 0 and k == 0, opacity=0.6,
                            line=dict(color=CYCLE[0], width=1), marker=dict(size=5), row=row, col=col,
                            hovertext=[r.setting for r in pts], hovertemplate="%{hovertext}: %{y}<extra></extra>")
        means = [r for r in mine if r.where[0] == "summary" and r.where[1].endswith("_mean")]
        for method, name, colour, symbol in (("VAE + GMM", "VAE + GMM, mean over seeds", CYCLE[0], "circle"),
                                             ("scikit-learn", "scikit-learn Bayesian GMM, mean", CYCLE[2], "square")):
            pts = sorted((r for r in means if r.method.startswith(method)), key=lambda r: r.x)
            fig.add_scatter(x=[r.x for r in pts], y=[r.ours for r in pts], mode="markers", name=name,
                            legendgroup=name, showlegend=i == 0, row=row, col=col,
                            marker=dict(color=colour, size=14, symbol=symbol, line=dict(color="white", width=1)))
    fig.update_xaxes(title_text="round", dtick=1)
    fig = _layout(fig, "VAE + GMM: test accuracy per round, each seed and the mean", "test accuracy")
    # the figure's title above the first row's titles, a line each (up to five: network, starts, tag, shipped)
    lines = max(t.count("<br>") + 1 for t in titles[:MAX_PANELS_IN_A_ROW])
    fig.update_layout(margin=dict(t=80 + 24 * lines), **({"height": height} if height else {}))
    return fig


PLOTS = {"dlvm": f1_against_missing, "flow": f1_against_missing, "miwae": miwae_rmse_and_cards, "dmfa": nll_per_hole,
         "notmiwae": rmse_dots, "vae": vae_bounds, "vae_gmm": accuracy_per_round, "wgan": critic_curves}


def _stamp(files: list[str]) -> tuple:
    """The files' paths and modification times, the published figures' included: a rerun benchmark makes a new
    figure."""
    return tuple((f, (ROOT / f).stat().st_mtime_ns if (ROOT / f).exists() else None)
                 for f in [*files, "benchmarks/published.json"])


@st.cache_resource(show_spinner=False, max_entries=32)
def _figure(key: str, stamp: tuple, _sec: demo.Section) -> go.Figure:
    """A section's figure, built once per server for the files it reads (``stamp``) and shared by every view:
    building and styling it was most of the page's cost with a class on the server."""
    fig = PLOTS[key](_sec)
    if fig is not None:
        fig.update_layout(meta=key)  # which section a chart belongs to, for a test or a browser
        plots.frozen(fig)
    return fig


def section(sec: demo.Section) -> None:
    """One paper as a slide: citation, its figure, one sentence on where we differ, one line on the published
    marker (or that none exists), the command; the published figures' full story, protocol, differences and the
    table folded below."""
    st.header(sec.title, anchor=sec.key)
    st.caption(sec.paper)
    if not sec.measured:
        st.info(f"Not measured yet: `{'`, `'.join(sec.files)}` is not in this copy of the app. "
                f"`{sec.command}` writes it.")
        return
    for path in sec.missing:
        st.info(f"Not measured yet: `{path}`.")
    # the figure first, as on a slide; how it was measured goes behind an expander
    fig = _figure(sec.key, _stamp(sec.files), sec) if sec.key in PLOTS and sec.rows else None
    if fig is not None:
        # a slide's figure, panels side by side: on a phone it keeps a readable width and swipes sideways (app.css)
        plots.show(st.container(key=f"results_fig_{sec.key}"), fig, width="stretch", config={"displaylogo": False})
    if sec.gist:
        st.markdown(f"**Where we differ:** {sec.gist}")
    st.markdown(sec.published_short)
    st.markdown(f"**Rebuild:** `{sec.command}` · **files:** {', '.join(f'`{f}`' for f in sec.files)}"
                + (f" · **±:** {sec.spread}" if sec.spread else ""))
    with st.expander("How it was measured, and where we differ from the paper"):
        st.markdown(f"**Published figures.** {sec.published}")
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
                "`MNIST/raw/` (see docs/GUIDE.md, Data).")

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


# ---------------------------------------------------------------- the slide views


def number(value: float, digits: int = 4) -> str:
    """``value`` to ``digits`` significant figures with a true minus sign; one that rounds to zero reads "0", never
    "−0" (a critic's estimate stored as -0.0)."""
    text = f"{value:.{digits}g}"
    return "0" if float(text) == 0 else re.sub(r"^-", "−", text)


def _cell(value: float, spread: float | None) -> str:
    return number(value) + (f' <span class="res-sd">± {number(spread)}</span>' if spread else "")


SLIDE_FILL = 0.8  # the share of the stage's height the table's text is sized to fill
SLIDE_EM = 1.9, 3.0  # the table's height in ems (measured in chromium): its header, then each paper's two lines
SLIDE_WIDTH_EM = 48  # the stage's width in ems at most: a paper's name and figure stay on one line
SLIDE_CSS = """<style>
.res-slide { width: 100%; border-collapse: collapse; line-height: 1.3; }
.res-slide th { text-align: left; font-weight: 600; opacity: .7; padding: 0 .4em .3em; font-size: .8em;
  border-bottom: 2px solid rgba(128,128,128,.4); }
.res-slide td { padding: .35em .4em 0; vertical-align: baseline; }
.res-slide td.num, .res-slide th.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
.res-slide .res-figure { font-size: .75em; opacity: .8; }
.res-slide .res-sd { font-size: .7em; opacity: .7; }
.res-slide tr.res-gap td { padding: .15em .4em .5em 1.2em; font-size: .72em; opacity: .85;
  border-bottom: 1px solid rgba(128,128,128,.25); }
</style>"""


def slide_px(stage: Stage, rows: int) -> float:
    """The slide table's font size in CSS px: its ``rows`` fill ``SLIDE_FILL`` of the stage's height, as wide as the
    stage allows."""
    return max(14.0, min(SLIDE_FILL * stage.height / (SLIDE_EM[0] + SLIDE_EM[1] * rows), stage.width / SLIDE_WIDTH_EM))


def table_slide(link: Mapping[str, str], stage: Stage, shown: bool) -> Facts:
    """Each paper's headline figure beside the published one (the critics: the true value), each ± its spread, and
    under it the one line on why the two differ (the section's ``gap``), in text sized to fill the stage."""
    secs = [s for s in demo.sections() if s.headline is not None]
    if not secs:
        st.info("No benchmark results are installed, so there is nothing to compare yet.")
        return {}
    px = slide_px(stage, len(secs))
    lines = []
    for sec in secs:
        r = sec.headline
        other = "" if sec.reference == "published" else f' <span class="res-sd">({html.escape(sec.reference)})</span>'
        lines.append(f'<tr class="res-pair"><td><b>{html.escape(re.split(r":| [(]", sec.title)[0])}</b> '
                     f'<span class="res-figure">{html.escape(r.id)}</span></td>'
                     f'<td class="num">{_cell(r.ours, r.spread)}</td>'
                     f'<td class="num">{_cell(r.published, r.published_spread)}{other}</td></tr>'
                     f'<tr class="res-gap"><td colspan="3">{html.escape(sec.gap)}</td></tr>')
    st.html(f'{SLIDE_CSS}<table class="res-slide" style="font-size:{px:.0f}px"><thead><tr><th>paper, figure</th>'
            f'<th class="num">ours</th><th class="num">published</th></tr></thead><tbody>{"".join(lines)}'
            "</tbody></table>")
    return {"papers": str(len(secs))}


PAGE = Page("pages/results.py", "Results", ":material/table_chart:",
            "The papers' tables next to ours: each paper's figure with its spread, the protocol, the command "
            "that rebuilds it and where we differ; plots of F1 against the missing fraction, the not-MIWAE "
            "RMSE table and DMFA's NLL per hole; a small rerun of the inpainting benchmark in seconds.",
            "**Does it reproduce?** A published number holds for one protocol: a different binarisation, column "
            "set or budget changes it. Compare like with like, and read the spread before the difference.",
            views={"table": View(draw=table_slide, blurb="each paper's headline figure beside ours")})
