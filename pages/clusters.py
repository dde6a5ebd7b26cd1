"""Clusters: a VAE and a Bayesian Gaussian mixture teaching each other (after Neuro-SERKET, Taniguchi et al.,
arXiv 1910.08918), seen through t-SNE. Algorithm: dgm_core.models.vae_gmm_mutual and vae_gmm; views:
dgm_core.demos.clusters and ui.clusters_view; all drawn from pretrained/vae-gmm-mnist and bench vae_gmm's results.
"""
import io

import numpy as np
import pandas as pd
import streamlit as st
import torch

from dgm_core import pretrained, results
from dgm_core.demos import clusters
from ui import clusters_view as v
from ui import loaders, plots
from ui.controls import widget
from ui.imaging import grid_png, to_pil
from ui.pages import setup_page
from ui.state import sync_url, url_state

setup_page()

P = v.PAGE.prefix
SPEC = clusters.CONTROLS
TABS = ["Cluster cards", "Confusion matrix", "Per round", "About t-SNE"]
s = st.session_state
url_state(SPEC, P)

st.title("Clusters: VAE + Gaussian mixture")
st.markdown("A VAE compresses each digit to 12 numbers; the codes are grouped into 10 clusters, each a "
            "Gaussian of a **Bayesian Gaussian mixture**, and each digit gets **its cluster's Gaussian as its prior** "
            "for the next VAE, which pulls a cluster together. Round 0 is a plain VAE. No labels are used; they "
            "only score the clusters.")
try:
    model, card = loaders.model(v.MODEL)
except pretrained.PretrainedError as e:
    st.error(f"{e} Train it with `python -m dgm_core train {v.MODEL}` (a few minutes on a CPU, needs MNIST).")
    st.stop()

m = card.metrics
last = model.cfg.rounds - 1
bench = v.benchmark()
# the headline on the page; the seeds and the published figures behind an expander, so that the maps, the
# lesson, start on a 1280x720 projector's first screen
st.markdown(f"**Held-out test digits** ({m['test_digits']}): accuracy **{m['test_accuracy_round0']:.3f} → "
            f"{m['test_accuracy_last']:.3f}** from round 0 to round {last}, ARI {m['test_ari_round0']:.3f} → "
            f"{m['test_ari_last']:.3f}. " + v.recipe_sentence(model.cfg))
table_test, order_test = clusters.confusion(model, 1, 1)
worst = clusters.confusions(table_test, order_test, clusters.match_clusters(
    model.shown_label[1].numpy(), model.shown_cluster[1, 1].numpy(), model.cfg.k))
if worst:
    st.caption("Where it goes wrong (test digits shown below): " + "; ".join(
        f"{n} {d}s sit in the cluster matched to {mm}" for d, mm, n in worst) + ".")
more = st.expander((f"Over {len(bench.runs)} seeds, and " if bench else "") + "published figures for scale")
more.caption("Scored: each digit in its most probable cluster of the round's mixture, clusters matched to digits "
             "by the Hungarian algorithm.")
if bench:
    sm = bench.summary
    verdict = ("above round 0 on every seed" if sm["above_round0_every_seed"]
               else "**not** above round 0 on every seed")
    small = {seed: g for seed, g in bench.seed_gains.items() if 0 <= g < 0.005}
    if sm["above_round0_every_seed"] and small:
        verdict += (" (on seed " + ", ".join(f"{seed} by only {g:+.4f}" for seed, g in small.items())
                    + ": next to nothing)")
    more.caption(f"Over {len(bench.runs)} seeds (`{bench.command}`): round 0 {sm['round0_mean']:.3f}, round "
                 f"{len(bench.runs[0]['rounds']) - 1} {sm['last_mean']:.3f} (worst seed {sm['last_min']:.3f}), "
                 f"{verdict}; scikit-learn's variational Bayesian GMM on the same latents "
                 f"{sm['sklearn_last_mean']:.3f}."
                 + v.machine_note(bench, m, card.seed) + v.reruns_sentence() + " " + v.bar_sentence(bench))
scale = results.published()["sections"]["vae_gmm"]["for_scale"]
more.caption("Published, for scale: the reference VAE+GMM code this page builds on "
             f"{scale['seed_project']['round0']} → "
             f"{scale['seed_project']['last']} (training digits, best Gibbs iteration picked with the labels, which "
             f"inflates it); GMVAE (Dilokthanakul et al. 2016) {scale['gmvae']['accuracy']}; VaDE (Jiang et al. 2017) "
             f"{scale['vade']['accuracy']}, both trained end to end as one model (`{results.PUBLISHED}`).")

k1, k2, k3, k4 = st.columns(4)
colour = widget(SPEC, P, "colour", k1, horizontal=True)
split = widget(SPEC, P, "split", k2, horizontal=True)
perp_i = widget(SPEC, P, "perp", k3, horizontal=True, format_func=lambda i: str(model.cfg.perplexities[i]))
k4.caption("A cluster takes the colour of its matched digit (grey: none). Box or lasso either map: the same "
           "digits light up on both and are shown below.")

sp = v.SPLITS[split]
most = SPEC["sel"].max_items
# The selection is linked: a box or lasso on either map sets the page's selection (a callback, before the page
# draws), and the other map is drawn with those rows selected. The map it was drawn on is sent exactly as before:
# a changed figure is a new chart, which would lose plotly's box (and its double click, which clears).
s.setdefault("_cl_maps", 0)
view = (split, perp_i, colour, s["_cl_maps"])  # what a map's figure depends on, besides the selection
if s.get("_cl_boxed", (None, None))[1] != view:  # the maps were redrawn since: no map holds a box now
    s["_cl_boxed"] = (None, view)


def _map_key(idx: int) -> str:
    # Clear gives the maps new keys: new charts, with an empty selection and no box
    return f"{P}map{idx}_{split}_{s['_cl_maps']}"


def _clear() -> None:
    s.update({P + "sel": [], "_cl_rows": [], "_cl_boxed": (None, None), "_cl_maps": s["_cl_maps"] + 1})


def _selected(idx: int) -> None:
    rows = v.selected_rows(s[_map_key(idx)])
    if not rows:  # a double click on the map with the box: plotly's deselect
        _clear()
        return
    s.update({P + "sel": v.link_rows(rows, most), "_cl_rows": rows, "_cl_from": idx, "_cl_boxed": (idx, view)})


sel = [r for r in s[P + "sel"] if 0 <= r < model.cfg.n_shown]  # the link's were checked against the model
rows = s.get("_cl_rows", [])
if v.link_rows(rows, most) != sel:  # the selection came from the link (or was cleared): the link's rows
    rows, s["_cl_from"] = sel, 1
from_index, drawn = s.get("_cl_from", 1), s.get("_cl_drawn", {})
t0, t1 = st.columns(2)
for col, idx in ((t0, 0), (t1, 1)):
    if s["_cl_boxed"][0] != idx or idx not in drawn:
        drawn[idx] = tuple(rows)
    with col:
        plots.show(st, v.tsne_figure(model, idx, sp, perp_i, colour, np.asarray(drawn[idx]) if drawn[idx] else None),
                   key=_map_key(idx), on_select=lambda idx=idx: _selected(idx),
                   selection_mode=("points", "box", "lasso"))
s["_cl_drawn"] = drawn
sel = rows

if sel:
    order = np.sort(np.asarray(sel))
    shown = order[np.linspace(0, len(order) - 1, min(24, len(order))).round().astype(int)]  # spread over the selection
    real = v.real_digits(split, model.cfg.n_shown)
    dec = clusters.decoded(model, from_index, sp, shown)
    labels = model.shown_label[sp].numpy()[shown]
    st.markdown(f"**{len(sel)} selected** ({len(shown)} of them shown, spread over the selection), "
                f"digits {', '.join(map(str, labels))}: "
                + ("the digits, and under them what round "
                   f"{v.round_of(model, from_index)}'s VAE decodes from their codes."
                   if real is not None else "what the VAE decodes from their codes (the MNIST files are not in "
                   "`DGM_DATA_DIR` here, so the digits themselves cannot be shown)."))
    strips = ([v.strip(real[shown])] if real is not None else []) + [v.strip(dec)]
    st.image(to_pil(torch.cat(strips, 1), 3), width="content")
    st.button("Clear the selection", key=P + "clear", on_click=_clear)

tabs = st.tabs(TABS, key=P + "tab", on_change="rerun")
rnd_i = 0 if s[P + "round"] == "0" else 1
if tabs[0].open:
    with tabs[0]:
        widget(SPEC, P, "round", horizontal=True,
               format_func=lambda r: f"round {last} (mutual learning)" if r == "last" else "round 0 (plain VAE)")
        cards = clusters.cluster_cards(model, v.round_of(model, rnd_i))
        st.caption("Each cluster: its decoded mean (left) and six codes drawn from the cluster's full Gaussian "
                   "N(μ_k, Λ_k⁻¹), decoded; its size and majority digit among the shown training digits.")
        rows_png = []
        for cols, group in zip([st.columns(2) for _ in range(5)], [cards[i:i + 2] for i in range(0, len(cards), 2)]):
            for col, c in zip(cols, group):
                col.image(to_pil(torch.as_tensor(np.concatenate([c.mean_image, *c.samples], 1))[None], 2),
                          caption=f"cluster {c.cluster}: {c.size} digits, majority {c.majority} ({c.purity:.0%}), "
                                  f"matched to {c.matched}")
                rows_png.append((f"cluster {c.cluster}",
                                 [torch.as_tensor(img)[None] for img in (c.mean_image, *c.samples)]))
        st.download_button("Cluster cards (PNG)", grid_png(rows_png, scale=3), "clusters.png", "image/png",
                           key=P + "dl_png", on_click="ignore")
if tabs[1].open:
    with tabs[1]:
        table, order = clusters.confusion(model, rnd_i, sp)
        mapping = clusters.match_clusters(model.shown_label[sp].numpy(), model.shown_cluster[rnd_i, sp].numpy(),
                                          model.cfg.k)
        widget(SPEC, P, "round", horizontal=True, format_func=lambda r: f"round {last}" if r == "last" else "round 0")
        plots.show(st, v.confusion_figure(table, order, mapping), width="stretch")
        st.caption(f"The first {model.cfg.n_shown} {split} digits; columns are clusters ordered by the digit the "
                   "Hungarian algorithm matched them to, so a perfect clustering is a diagonal.")
if tabs[2].open:
    with tabs[2]:
        plots.show(st, v.rounds_figure(m["rounds"]), width="stretch")
        st.caption("ELBOs of different rounds compare: every round's KL has the same scale (summed, averaged over "
                   "the batch), against the prior that round trained with. The reference code's rounds did not.")
        st.download_button("Per-round figures (CSV)", pd.DataFrame(m["rounds"]).to_csv(index=False), "rounds.csv",
                           "text/csv", key=P + "dl_rounds", on_click="ignore")
        if (tried := v.variants()) is not None:
            st.markdown("**What made the difference** (`python -m dgm_core bench vae_gmm`, held-out test accuracy)")
            st.dataframe(tried[0], hide_index=True, width="stretch",
                         column_config={"command": st.column_config.TextColumn(width="small"),
                                        "round 0 from": st.column_config.TextColumn(width="medium")})
            st.caption(tried[1])
if tabs[3].open:
    with tabs[3]:
        st.markdown("**Reading t-SNE.** It keeps neighbours together, not distances: the size of a cluster and the "
                    "gaps between clusters mean little, and perplexity (how many neighbours each point listens to) "
                    "changes the picture; compare the two shipped perplexities above. Judge the clustering by the "
                    "accuracy and the confusion matrix, not by how tidy the map looks.")

buf = io.StringIO()
xy = model.shown_tsne[1, perp_i, sp].numpy()
pd.DataFrame({"row": np.arange(model.cfg.n_shown), "digit": model.shown_label[sp].numpy(),
              "cluster_round0": model.shown_cluster[0, sp].numpy(),
              f"cluster_round{last}": model.shown_cluster[1, sp].numpy(),
              "tsne_x": xy[:, 0], "tsne_y": xy[:, 1]}).to_csv(buf, index=False)
st.download_button("t-SNE points and clusters (CSV)", buf.getvalue(), f"tsne_{split}.csv", "text/csv",
                   key=P + "dl_csv", on_click="ignore")
sync_url(SPEC, P)
