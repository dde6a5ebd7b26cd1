"""The VAE page: what a binarised-MNIST VAE learned, and how tight its bound is.

Kingma & Welling, arXiv 1312.6114; Burda, Grosse & Salakhutdinov, arXiv 1509.00519. The computing is
dgm_core.demos.vae; cached loaders and figures are ui.vae_view.
"""
import hashlib
import io

import pandas as pd
import streamlit as st
import torch

from dgm_core import results
from dgm_core.data.convert import ImageError, image_from_bytes, image_from_canvas
from dgm_core.demos import vae as demo
from dgm_core.device import generator
from ui import image_source, loaders, plots
from ui.controls import widget
from ui import vae_view as v
from ui.imaging import grid_png, to_pil
from ui.pages import setup_page
from ui.state import sync_url, url_state

setup_page()

P = v.PAGE.prefix
MODELS = loaders.shipped(v.MODELS)
SPEC = demo.CONTROLS
s = st.session_state
url_state(SPEC, P)

st.title("VAE: what it learned, and how tight its bound is")
st.markdown(
    "A variational autoencoder is trained on a **lower bound** of log p(x), the ELBO; importance sampling "
    "with K draws from its encoder gives tighter bounds L_K that rise to log p(x) as K grows (Burda et al. "
    "2016). See its reconstructions and samples, how far its ELBO is from the truth for one digit, and "
    "where digits land in its latent space.")
if not MODELS:
    st.error("No binary VAE is installed in `pretrained/`; train one with `python -m dgm_core train vae-mnist`.")
    st.stop()

c_model, c_src, c_digit = st.columns([1.2, 1, 1.4], gap="medium")
name = widget(SPEC, P, "model", c_model)
dataset = v.MODELS[name]
with loaders.server_files():  # a corrupted or missing model, a damaged data folder: one sentence
    model, card = loaders.model(name)
    x_all, labels, what = v.digits(dataset)
src = widget(SPEC, P, "src", c_src, horizontal=True)
thing = "digit" if dataset == "mnist" else "character"  # what one image shows, in the page's words


def provenance() -> None:
    """Where the card's numbers come from, under the pictures: the pictures are what a visitor came for."""
    with st.expander("Where these numbers come from"):
        st.caption(f"Test log p(x) {card.metrics['test_log_lik']} nats, ELBO {card.metrics['test_elbo']} "
                   f"(card of `{name}`, K = {card.metrics['eval_k']}, {card.metrics['test_images']} test images).")
        if dataset == "mnist":
            try:  # the published figure and its source, as the results page shows them
                ref = results.published()["sections"]["vae"]
                said = (f"The published figure is on other data: {ref['reference']['test_log_lik']} nats, "
                        f"{ref['published']} {ref['differences']} ")
            except (results.ResultsError, KeyError):
                said = "The published figure could not be read from this checkout. "
            st.caption(said + "Ours: torchvision MNIST, 60 000 images, "
                       + ("trained on images binarised afresh in every batch (dynamic binarisation, 100 epochs), "
                          "tested on one fixed binarisation." if "dynamic" in card.data else "one fixed binarisation."))


# ---------------------------------------------------------------- the digit
x, label, key, extra_point = None, None, "", None
with c_digit:
    if src == "Test image":
        n = x_all.shape[0]
        s[P + "idx"] = min(int(s[P + "idx"]), n - 1)
        st.number_input(f"{what.capitalize()} (0–{n - 1})", 0, n - 1, key=P + "idx")
        idx = s[P + "idx"]
        x, key = x_all[idx].clone(), f"{what}:{idx}"  # a copy: the digits are shared
        label = None if labels is None else int(labels[idx])
    elif src == "Draw":
        from streamlit_drawable_canvas import st_canvas
        result = st_canvas(stroke_width=22, stroke_color="#ffffff", background_color="#000000", height=224,
                           width=224, drawing_mode="freedraw", initial_drawing=s.get(P + "sketch_json"),
                           return_image_data=True, key=P + "canvas")
        if isinstance(result.json_data, dict):
            s[P + "sketch_json"] = result.json_data
        if not image_source.drawn(result):
            st.info("Draw a digit with the mouse: the canvas is empty.")
        else:
            try:  # the picture is checked as an upload is, from its header, before it is decoded
                x = (image_from_canvas(image_source.canvas_picture(result), dataset) > 0.5).float()
                key = "drawn:" + hashlib.sha1(x.numpy().tobytes()).hexdigest()
            except ImageError as e:
                st.error(str(e))
    else:
        up = st.file_uploader("An image of a digit (PNG, JPEG, …)", key=P + "upload")
        if up is not None:
            try:
                x = (image_from_bytes(up.getvalue(), dataset) > 0.5).float()
                key = "upload:" + hashlib.sha1(up.getvalue()).hexdigest()
            except ImageError as e:
                st.error(str(e))
    if x is not None and src != "Test image":
        ink = float(x.mean())
        if not 0.03 <= ink <= 0.5:
            st.warning(f"This does not look like a {dataset.upper() if dataset == 'mnist' else 'character'} "
                       f"image: {ink:.0%} of its pixels are ink. The views below still show what the model makes "
                       "of it.")

if x is None:
    provenance()
    sync_url(SPEC, P)
    st.stop()

# ---------------------------------------------------------------- the views (only the open tab computes)
t_rec, t_bound, t_map = st.tabs(["Reconstructions and samples", "Bound against K", "Latent map"],
                                key=P + "tab", on_change="rerun")
dev = loaders.device()
if t_rec.open:
    with t_rec:
        mean, draws = demo.reconstruct(model, x.unsqueeze(0).to(dev), 4, generator(s[P + "seed"], dev))
        pics = [("the digit", x), ("reconstruction", mean[0].cpu())] + \
               [(f"draw {i + 1}", d.cpu()) for i, d in enumerate(draws[0])]
        # fixed-width pictures in rows that wrap: the first screen holds the digits and the samples, and a phone
        # shows three pictures a row rather than one a screen
        with st.container(horizontal=True, gap="small", vertical_alignment="center"):
            for cap, img in pics:
                st.image(to_pil(img, 4), caption=cap, width=v.PIC_PX)
            st.caption("Pictures are decoder means (probabilities of ink), not 0/1 draws: the reconstruction at the "
                       "encoder's mean, then at four draws of z ~ q(z | x), which differ where the encoder is unsure.",
                       width=v.NOTE_PX)
        samples = demo.prior_samples(model, 16, generator(s[P + "seed"], dev)).cpu()
        with st.container(horizontal=True, gap="medium", vertical_alignment="center"):
            st.image(to_pil(torch.cat([torch.cat(list(samples[:8]), -1), torch.cat(list(samples[8:]), -1)], -2), 4),
                     width=8 * v.SAMPLE_PX)
            with st.container(width=v.NOTE_PX):
                st.markdown("**Samples from the prior**: decoder means at z ~ N(0, I), "
                            f"what the model thinks {thing}s look like.")
                widget(SPEC, P, "seed")
        st.download_button("Download these pictures (PNG)",
                           grid_png([("digit, reconstruction, draws", [p[1] for p in pics]),
                                     ("prior samples", list(samples[:8])), ("", list(samples[8:]))]),
                           f"{name}_reconstructions.png", "image/png", key=P + "dl_rec", on_click="ignore")

if t_bound.open:
    with t_bound:
        ks = tuple(k for k in demo.KS if k <= s[P + "kmax"])
        same_data = [m for m in MODELS if v.MODELS[m] == dataset]
        curves = {m: v.curve(m, key, x, ks) for m in same_data}
        c1, c2 = st.columns([3, 1.2], gap="medium")
        with c1:
            plots.show(st, v.bound_figure(curves, v.class_curves(), None if label is None else str(label)),
                            key=P + "bound_fig")
        with c2:
            widget(SPEC, P, "kmax")
            for m, c in curves.items():
                st.metric(f"{v.LABELS[m]}: L_{c.ks[-1]}", f"{c.best:.2f} nats",
                          help=f"The tightest estimate of log p(x) for this digit (K = {c.ks[-1]}).")
                st.caption(f"ELBO (K = 1) {c.mean[0]:.2f} nats: {c.gap[0]:.2f} nats below.")
        st.markdown(
            "**What the gap means.** log p(x) − ELBO is exactly the KL divergence from the encoder q(z | x) to "
            "the model's true posterior p(z | x): how badly the encoder's Gaussian fits the posterior of *this* "
            "digit. Importance sampling with K draws corrects for it, so L_K climbs towards log p(x); the "
            "shaded band is what the ELBO leaves on the table. A model trained on L_5 (IWAE) is scored by "
            "importance sampling while it learns, so its encoder need not match the posterior as closely as the "
            "ELBO demands; compare the two MNIST models' curves.")
        table = pd.DataFrame({"K": ks, **{f"{m} L_K (nats)": c.mean for m, c in curves.items()},
                              **{f"{m} sd of one estimate": c.sd for m, c in curves.items()}})
        st.download_button("Download the bounds (CSV)", table.to_csv(index=False), f"bounds_{key.split(':')[0]}.csv",
                           "text/csv", key=P + "dl_bounds", on_click="ignore")

if t_map.open:
    with t_map:
        lm = v.latent_map(name)
        own = lm.project(demo.encode_mean(model, x.unsqueeze(0).to(dev))) if src != "Test image" else None
        chosen = s[P + "idx"] if src == "Test image" else None
        c1, c2 = st.columns([3, 2], gap="medium")
        with c1:
            event = plots.show(st, v.map_figure(lm, labels, chosen, own), key=P + "map", on_select="rerun",
                               selection_mode=("points", "box", "lasso"))
            st.caption(v.map_caption(lm, what, thing, own is not None))
        with c2:
            st.image(to_pil(torch.cat([torch.cat(list(row), dim=-1) for row in lm.grid], dim=-2), 2),
                     width="stretch", caption=v.grid_caption(lm, thing))
        picked = v.selected_indices(event)[:24]
        if picked:
            sel = x_all[picked].to(dev)
            rec, _ = demo.reconstruct(model, sel, 1, generator(0, dev))
            st.markdown(f"**{len(v.selected_indices(event))} selected** (first {len(picked)} shown): {thing}s, and "
                        "under them their reconstructions.")
            st.image(to_pil(torch.cat([torch.cat(list(sel.cpu()), -1), torch.cat(list(rec.cpu()), -1)], -2), 3),
                     width="content")
            buf = io.StringIO()
            pd.DataFrame({"index": picked, **{a: lm.xy[picked, i] for i, a in enumerate(v.axis_names(lm))},
                          **({"label": labels[picked]} if labels is not None else {})}).to_csv(buf, index=False)
            st.download_button("Download the selection (CSV)", buf.getvalue(), "selection.csv", "text/csv",
                               key=P + "dl_sel", on_click="ignore")

provenance()
sync_url(SPEC, P)
