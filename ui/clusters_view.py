"""Figures and cached loaders of the clusters page (pages/clusters.py); the computing is
dgm_core.demos.clusters, the model dgm_core.models.vae_gmm.

Its descriptor ``PAGE`` (collected by ui.catalog) lists its slide views (``*_slide``), drawn in present mode.
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st
import torch

from dgm_core import data, results
from dgm_core.demos import clusters
from dgm_core.methods import DIGITS, palette
from dgm_core.models.vae_gmm import GIBBS_STARTS, Config, start_words
from ui import loaders, slides
from ui.descriptor import Page
from ui.slides import Facts, Stage, View
from ui.vae_view import selected_indices as selected_rows  # noqa: F401 - the page's selection reader

MODEL = clusters.MODEL
PALETTE = DIGITS  # one colour per digit; a cluster takes its matched digit's
SPLITS = clusters.SPLITS


def round_of(model, index: int) -> int:
    """Round number of a shown-points index (0: round 0, 1: the last round)."""
    return 0 if index == 0 else model.cfg.rounds - 1


def tsne_figure(model, index: int, split: int, perp_index: int, colour: str,
                highlight: np.ndarray | None = None) -> go.Figure:
    """One round's t-SNE, coloured by digit or by cluster (in its matched digit's colour); customdata = row, for
    selections. ``highlight``: rows drawn selected (the others dimmed, as plotly draws its own box selection), the
    same rows on both rounds' maps. SVG, not WebGL: software-GL chromium drew only the on-screen part of a
    Scattergl canvas."""
    xy = model.shown_tsne[index, perp_index, split].numpy()
    clusters_ = model.shown_cluster[index, split].numpy()
    labels = model.shown_label[split].numpy()
    mapping = clusters.match_clusters(labels, clusters_, model.cfg.k)
    groups = clusters_ if colour == "cluster" else labels
    fig = go.Figure()
    for g in np.unique(groups):
        rows = np.flatnonzero(groups == g)
        name = (f"cluster {g} (→ {mapping[int(g)]})" if mapping[int(g)] >= 0 else f"cluster {g}") \
            if colour == "cluster" else f"digit {g}"
        fig.add_trace(go.Scatter(
            x=xy[rows, 0], y=xy[rows, 1], mode="markers", name=name,
            marker=dict(size=4, opacity=0.75, color=PALETTE[int(g)] if colour == "label" else
                        (PALETTE[mapping[int(g)]] if mapping[int(g)] >= 0 else palette("pale_grey"))),
            customdata=rows, text=[f"digit {lab}, cluster {c}" for lab, c in zip(labels[rows], clusters_[rows])],
            hovertemplate="row %{customdata}<br>%{text}<extra></extra>",
            selectedpoints=None if highlight is None else np.flatnonzero(np.isin(rows, highlight)).tolist(),
            selected=dict(marker=dict(opacity=1)), unselected=dict(marker=dict(opacity=0.12))))
    rnd = round_of(model, index)
    fig.update_layout(height=430, dragmode="select", margin=dict(l=10, r=10, t=40, b=10),
                      title=dict(text=f"round {rnd}"
                                 + (" (no mutual learning)" if rnd == 0 else " (after mutual learning)"),
                                 font=dict(size=15)),
                      xaxis=dict(showticklabels=False, title=None), yaxis=dict(showticklabels=False, title=None),
                      legend=dict(itemsizing="constant", font=dict(size=10)))
    return fig


def link_rows(rows: list[int], most: int) -> list[int]:
    """At most ``most`` of the selected rows for the link, sorted and spread over the whole selection (the first
    ``most`` in the chart's order would be its first clusters only)."""
    rows = sorted(set(rows))
    if len(rows) <= most:
        return rows
    return [rows[i] for i in np.linspace(0, len(rows) - 1, most).round().astype(int)]


def confusion_figure(table: np.ndarray, order: list[int], mapping: dict[int, int]) -> go.Figure:
    names = [f"c{c}→{mapping[c]}" if mapping[c] >= 0 else f"c{c}" for c in order]
    fig = go.Figure(go.Heatmap(z=table, x=names, y=[str(d) for d in range(10)], colorscale="Blues",
                               text=table, texttemplate="%{text}", showscale=False,
                               hovertemplate="digit %{y}, %{x}: %{z}<extra></extra>"))
    fig.update_layout(height=420, margin=dict(l=10, r=10, t=10, b=10), xaxis_title="cluster → matched digit",
                      yaxis=dict(title="true digit", autorange="reversed", type="category", dtick=1))
    return fig


def rounds_figure(rounds: list[dict]) -> go.Figure:
    """Test accuracy and ARI per round (left axis) and the training ELBO (right axis)."""
    r = [d["round"] for d in rounds]
    fig = go.Figure()
    fig.add_scatter(x=r, y=[d["test_accuracy"] for d in rounds], name="test accuracy (Gibbs GMM)", mode="lines+markers",
                    line=dict(color=PALETTE[0], width=3))
    fig.add_scatter(x=r, y=[d["test_ari"] for d in rounds], name="test ARI (Gibbs GMM)", mode="lines+markers",
                    line=dict(color=PALETTE[0], dash="dot"))
    fig.add_scatter(x=r, y=[d["sklearn_test_accuracy"] for d in rounds], name="test accuracy (scikit-learn BGM)",
                    mode="lines+markers", line=dict(color=PALETTE[2]))
    fig.add_scatter(x=r, y=[d["train_elbo"] for d in rounds], name="train ELBO (nats, right)", yaxis="y2",
                    mode="lines+markers", line=dict(color=PALETTE[1], dash="dash"))
    fig.update_layout(height=360, margin=dict(l=10, r=10, t=40, b=10), xaxis=dict(title="round", dtick=1),
                      yaxis=dict(title="accuracy / ARI"), legend=dict(orientation="h", y=1.12, x=0),
                      yaxis2=dict(title="ELBO per digit (nats)", overlaying="y", side="right", showgrid=False,
                                  **_ticks([d["train_elbo"] for d in rounds])))
    return fig


def _ticks(values: list[float], most: int = 6) -> dict:
    """A round step (1, 2 or 5 × 10^k) giving at most ``most`` ticks over the values, and labels with only the
    decimals that step needs: plotly's own choice on a few-nats range reads −101.38."""
    span = max(max(values) - min(values), 1e-9)
    step = next(m * 10.0 ** e for e in range(-3, 7) for m in (1, 2, 5) if span / (m * 10.0 ** e) <= most - 1)
    decimals = max(0, -int(np.floor(np.log10(step))))
    return {"dtick": step, "tick0": 0, "tickformat": f".{decimals}f"}


@st.cache_resource(show_spinner=False, max_entries=2)
def real_digits(split: str, n: int) -> np.ndarray | None:
    """The first n MNIST digits of a split from DGM_DATA_DIR (never shipped), or None when absent. One array for
    every session (a resource: not unpickled on each rerun): never change it."""
    if not data.available("mnist"):
        return None
    return data.load_images("mnist", split, limit=n).x[:, 0].numpy()


def benchmark() -> results.VaeGmm | None:
    """benchmarks/results/vae_gmm.json (bench vae_gmm), or None before it has run."""
    try:
        return results.vae_gmm()
    except results.ResultsError:
        return None


def bar_sentence(bench: results.VaeGmm) -> str:
    """Whether the shipped recipe's seeds reach the bar, by how much they miss it, and the best variant tried."""
    sm = bench.summary
    # named, not "that": the caption gives the reruns on other seeds between the shipped run's figures and this
    who = f"On seeds {', '.join(str(r['seed']) for r in bench.runs)} the shipped recipe"
    if bench.bar_worst is None:  # a file written before the bar had a worst-seed part
        return (f"{who} reaches {bench.bar:.2f}, the accuracy we set out to reach." if sm["bar_met"]
                else f"{who} is **below the {bench.bar:.2f} we aimed for**.")
    if sm["bar_met"]:
        out = f"{who} reaches the bar: {bench.bar:.2f} on average, {bench.bar_worst:.2f} on the worst seed"
        if bench.goal is not None and not sm["goal_met"]:
            out += (f"; not the goal of {bench.goal:.2f} on average (short by "
                    f"{max(0.0, bench.goal - sm['last_mean']):.3f})")
        out += "."
        ran_on = {d.processor for name, d in results.vae_gmm_variants()
                  if name == "vae_gmm" or is_rerun(name, d)} | {bench.processor}
        if len(ran_on) == 1:
            out += (f" It has run on one processor only ({bench.processor or 'not named in its file'}): whether "
                    "another gives the same clusters is not measured.")
        return out
    out = (f"{who} is **below the bar** of {bench.bar:.2f} on average (short by {sm['short_of_bar']:.3f}) and "
           f"{bench.bar_worst:.2f} on the worst seed (short by {sm['worst_short_of_bar']:.3f}).")
    variants = results.vae_gmm_variants()
    tried = [(d.summary["last_mean"], describe(d), d) for name, d in variants
             if name != "vae_gmm" and not is_rerun(name, d)]
    if not tried:
        return out + why_sentence(variants)
    best, name, d = max(tried, key=lambda t: t[0])
    reached = [n for _, n, t in tried
               if t.summary["last_mean"] >= bench.bar and t.summary["last_min"] >= bench.bar_worst]
    if reached:
        return out + f" Of the variants tried (the table under Per round), {'; '.join(reached)} reached it."
    return out + (f" None of the {len(tried)} variants tried (the table under Per round) reached it either: the "
                  f"best ({name}) averages {best:.3f} over {len(d.runs)} seed(s).") + why_sentence(variants)


def why_sentence(variants: list[tuple[str, results.VaeGmm]]) -> str:
    """Why the bar is missed, from the files: the run with the best round 0 of all tried and on how many of its seeds
    mutual learning lowered the accuracy, then what watching the chains showed (in words)."""
    tried = [(d.summary["round0_mean"], d) for _, d in variants]
    if not tried:
        return ""
    r0, d = max(tried, key=lambda t: t[0])
    lowered = sum(g < 0 for g in d.seed_gains.values())
    return (f" Why: even from the best round 0 tried ({describe(d)}: {r0:.3f} over {len(d.seed_gains)} seeds), "
            f"mutual learning lowered the accuracy on {lowered} of them. Watched, the Gibbs chain in the latent space "
            "raises the GMM's likelihood while its clusters drift from the digits: one Gaussian takes in its "
            "neighbour (on one seed, eights into threes and fives), and a cluster once emptied never refills.")


def recipe_sentence(cfg: Config) -> str:
    """Where each round's clusters come from, in words: a Gibbs chain from a start, or the start kept (no chain)."""
    first, later = GIBBS_STARTS[cfg.first_start], GIBBS_STARTS[cfg.gibbs_start]
    if cfg.first_chain == cfg.later_chain == "start" and first == later:
        return (f"Every round keeps the clusters of {later} of its own latents (no Gibbs chain: the mixture's "
                "parameters are drawn once given them).")
    r0 = (f"Round 0's Gibbs chain starts from {first}" if cfg.first_chain == "gibbs"
          else f"Round 0 keeps the clusters of {first} (no chain)")
    rest = (f"each later round's Gibbs chain starts from {later}" if cfg.later_chain == "gibbs"
            else f"each later round keeps the clusters of {later} (no chain)")
    return f"{r0}; {rest}."


def is_rerun(name: str, d: results.VaeGmm) -> bool:
    """Whether a bench file is the shipped recipe on other seeds or another machine (``--tag T``), not a variant."""
    return bool(d.tag) and name == f"vae_gmm_{d.tag}"


def describe(d: results.VaeGmm) -> str:
    """A bench file's recipe in words: network, where round 0's and later rounds' Gibbs chains start, and the rest."""
    first, start = start_words(d.first_start, d.first_chain), start_words(d.gibbs_start, d.later_chain)
    out = f"{d.network}, round 0 from {first}, later rounds from {start}"
    out += ", full-covariance priors" if d.prior == "full" else ""
    out += f", {d.n_train:,} training digits" if d.n_train != 10_000 else ""
    return out + (f" ({d.tag})" if d.tag else "")


def reruns_sentence() -> str:
    """The shipped recipe on other seeds (``bench vae_gmm --seeds ... --tag T``): each such file's figures."""
    out = []
    for name, d in results.vae_gmm_variants():
        if is_rerun(name, d):
            sm, seeds = d.summary, [r["seed"] for r in d.runs]
            out.append(f" The same recipe on seeds {', '.join(map(str, seeds))} ({d.tag}): round 0 "
                       f"{sm['round0_mean']:.3f}, last round {sm['last_mean']:.3f} (worst seed {sm['last_min']:.3f}).")
    return "".join(out)


def machine_note(bench: results.VaeGmm, metrics: dict, seed: int) -> str:
    """Where the bench's run of the shipped model's seed ends elsewhere than the card (another processor's float
    arithmetic moves the clusters): both figures, so the headline and the seeds line do not seem to disagree."""
    run = next((r for r in bench.runs if r["seed"] == seed), None)
    if run is None:
        return ""
    here = (run["rounds"][0]["test_accuracy"], run["rounds"][-1]["test_accuracy"])
    card = (metrics["test_accuracy_round0"], metrics["test_accuracy_last"])
    if max(abs(a - b) for a, b in zip(here, card)) < 0.005:
        return ""
    return (f" The shipped model is seed {seed} as its card measured it ({card[0]:.3f} → {card[1]:.3f}, the headline); "
            f"the same seed gives {here[0]:.3f} → {here[1]:.3f} in this run ({bench.measured or 'another machine'}): "
            "the clusters of a 12-dimensional latent space move with the last bits of the float arithmetic, which "
            "differ between processors.")


def variants() -> tuple[pd.DataFrame, str] | None:
    """``bench vae_gmm``'s variants (shipped recipe first) as a table and one sentence; None before any ran."""
    rows, said, lowered = [], "", 0
    for name, d in results.vae_gmm_variants():
        sm, gains = d.summary, list(d.seed_gains.values())
        start, first = start_words(d.gibbs_start, d.later_chain), start_words(d.first_start, d.first_chain)
        shipped = name == "vae_gmm"
        prior = "full covariance" if d.prior == "full" else "diagonal"
        run = "shipped" if shipped else f"shipped recipe, {d.tag}" if is_rerun(name, d) else d.tag or "variant"
        rows.append({"run": run, "measured": d.measured[:10],
                     "VAE": d.network, "round 0 from": first, "Gibbs start (rounds ≥ 1)": start,
                     "prior (rounds ≥ 1)": prior,
                     "training digits": d.n_train, "seeds": len(gains), "round 0": sm["round0_mean"],
                     "last round": sm["last_mean"],
                     "worst seed, last round": sm["last_min"], "gain per seed": ", ".join(f"{g:+.3f}" for g in gains),
                     "scikit-learn BGM, last round": sm["sklearn_last_mean"], "command": d.command})
        if shipped:
            said = (f"Shipped: {describe(d)}: round 0 {sm['round0_mean']:.3f}, last round {sm['last_mean']:.3f} over "
                    f"{len(gains)} seeds.")
        lowered += any(g < 0 for g in gains)
    if not rows:
        return None
    return pd.DataFrame(rows), (f"{said} Mutual learning lowered the accuracy on at least one seed in {lowered} of "
                                f"{len(rows)} rows (the gain per seed column). Compare round 0 across rows for what "
                                "the network and the start do, and the gains within a row for what mutual learning "
                                "adds; rows measured on different machines (the measured column: the date; the files "
                                "name the processor) differ by their float arithmetic alone.")


def strip(images: np.ndarray) -> torch.Tensor:
    """(n, 28, 28) -> one (1, 28, 28 n) strip for ui.imaging.to_pil."""
    return torch.as_tensor(np.concatenate(list(images), 1))[None]


# ---------------------------------------------------------------- the slide views


def maps_slide(link: Mapping[str, str], stage: Stage, shown: bool) -> Facts:
    """Round 0's and the last round's t-SNE maps side by side, coloured by cluster or by the true digit."""
    values = slides.link_values(clusters, link)
    model, card = loaders.model(MODEL)
    sp = SPLITS[values["split"]]
    m = card.metrics
    facts = {"round0": f"{m['test_accuracy_round0']:.2f}", "last": f"{m['test_accuracy_last']:.2f}",
             "clusters": str(model.cfg.k), "rounds": str(model.cfg.rounds)}
    cols = [st.container(), st.container()] if stage.phone else st.columns(2)
    for col, idx in zip(cols, (0, 1)):
        with col:
            slides.fig(tsne_figure(model, idx, sp, values["perp"], values["colour"]),
                 Stage(stage.width, (stage.height - 30) // (2 if stage.phone else 1)), f"slide_tsne_{idx}")
    st.caption(f"{facts['clusters']} clusters; their agreement with the test digits (accuracy of the best matching): "
               f"{facts['round0']} in round 0, {facts['last']} in round {model.cfg.rounds - 1}.")
    return facts


PAGE = Page("pages/clusters.py", "Clusters", ":material/bubble_chart:",
            "A VAE and a Bayesian Gaussian mixture teaching each other on MNIST: t-SNE maps before and after "
            "mutual learning, cluster cards with samples from each cluster, the confusion matrix and the "
            "accuracy per round on held-out digits.",
            "**Unsupervised clustering in a latent space.** A mixture fitted to a VAE's codes finds digit classes "
            "without labels; feeding each cluster back as a prior pulls a cluster's codes together, yet on most "
            "seeds not closer to the digits. The labels only score the result, and t-SNE pictures can flatter it.",
            demo=clusters, views={"maps": View(draw=maps_slide, blurb="round 0's and the last round's t-SNE maps")})
