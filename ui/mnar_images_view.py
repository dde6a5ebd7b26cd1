"""The MNAR images page's widgets and figures (Ipsen, Mattei & Frellsen, "not-MIWAE", arXiv 2006.12871, §4.3): bright
pixels clipped with P(s = 1 | x) = sigmoid(-W (x - b)), MIWAE vs not-MIWAE on grey CelebA; computing in
dgm_core.demos.mnar_images.

Its descriptor ``PAGE`` (collected by ui.catalog) lists its slide views (``*_slide``), drawn in present mode.
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st
import torch

from dgm_core import data, pretrained
from dgm_core.data.convert import ImageError, image_from_bytes
from dgm_core.demos import mnar_images
from dgm_core.device import generator
from dgm_core.masks import overlay
from dgm_core.methods import MNAR, palette
from dgm_core.missingness import clipping
from server import Job, jobs
from ui import loaders, plots, serving
from ui import slides
from ui.descriptor import Page
from ui.slides import Facts, Stage, View
from ui.controls import widget
from ui.imaging import colour_bar, colour_map, grid_png, to_pil
from ui.mnar_view import TOP_LEGEND
from ui.run import run_button
from ui.state import sync_url, url_state

MODELS = {"miwae": "miwae-celeba-clip", "notmiwae": "notmiwae-celeba-clip"}  # method id -> shipped model
MIWAE, NOTMIWAE = MNAR.label("miwae"), MNAR.label("notmiwae")  # dgm_core.demos.mnar_images keys its results by these
P = mnar_images.PREFIX  # session-state and URL prefix of the images page
SPEC = mnar_images.CONTROLS
N_GENERATED = 64
N_EVAL = 100


def _faces() -> tuple[torch.Tensor, bool]:
    """Grey 32x32 CelebA test faces, or without a data directory N_GENERATED faces of the shipped not-MIWAE's
    decoder; and whether they were generated."""
    def generate(model: torch.nn.Module, dev: torch.device) -> torch.Tensor:
        return model.sample(N_GENERATED, generator(0, dev), device=dev).cpu().clamp(0, 1)

    return loaders.test_or_generated("celeba", lambda: data.load_grey_faces("test"), MODELS["notmiwae"], generate,
                                     "mnar_images")


@st.cache_data(show_spinner="Imputing with MIWAE and not-MIWAE…", max_entries=16)
def _compare(x: np.ndarray, w: float, b: float, seed: int, k: int) -> mnar_images.Comparison:
    models = {MNAR.label(m): loaders.model(name)[0] for m, name in MODELS.items()}
    return mnar_images.compare(models, torch.from_numpy(x).to(loaders.device()), (w, b), seed=seed, k=k)


def _image(col_src, col_img) -> tuple[torch.Tensor | None, str]:
    s = st.session_state
    source = widget(SPEC, P, "clip_src", col_src, horizontal=True)
    if source == "Upload":
        file = col_img.file_uploader("A photo (PNG, JPEG, …; converted to grey 32×32)", key=P + "clip_file")
        if file is not None and s.get(P + "clip_file_id") != file.file_id:
            try:
                s[P + "clip_upload"] = data.to_grey(image_from_bytes(file.getvalue(), "celeba", size=32)[None])[0]
                s[P + "clip_file_id"] = file.file_id
            except ImageError as e:
                st.error(str(e))
        return s.get(P + "clip_upload"), "your image"
    with loaders.server_files():  # a damaged CelebA file or a missing model: one sentence
        images, generated = _faces()
    what = "generated face" if generated else "CelebA test image"  # the page says so under the controls
    n = images.shape[0]
    s[P + "clip_img"] = min(int(s[P + "clip_img"]), n - 1)
    col_img.number_input(f"Image (0–{n - 1})", 0, n - 1, key=P + "clip_img")
    return images[s[P + "clip_img"]].clone(), f"{what} #{s[P + 'clip_img']}"  # a copy: the gallery is shared


def _mechanism_figure(x: torch.Tensor, w: float, b: float) -> go.Figure:
    v = torch.linspace(0, 1, 201)
    fig = go.Figure()
    fig.add_histogram(x=x.flatten().numpy(), nbinsx=40, histnorm="probability", name="pixels of this image",
                      marker_color=palette("blue_grey"), yaxis="y2", opacity=0.6)
    fig.add_scatter(x=v.numpy(), y=clipping.p_missing(v, (w, b)).numpy(), name="P(lost | brightness)",
                    line=dict(color=MNAR.colour("notmiwae"), width=3))
    fig.update_layout(height=280, margin=dict(l=60, r=60, t=40, b=50), xaxis_title="pixel brightness x",
                      yaxis=dict(title="P(lost | brightness)", range=[0, 1.02]),
                      yaxis2=dict(title="share of this image's pixels", overlaying="y", side="right", showgrid=False),
                      legend=TOP_LEGEND)
    return fig


def render() -> None:
    missing = [m for m in MODELS.values() if not (pretrained.PRETRAINED_DIR / f"{m}.json").exists()]
    if missing:
        st.info("The CelebA clipping models are not shipped yet: build them with "
                + " and ".join(f"`python -m dgm_core train {m}`" for m in missing)
                + " (needs the CelebA subset in `DGM_DATA_DIR`, see docs/GUIDE.md, Data).")
        return
    url_state(SPEC, P)
    try:
        cards = {MNAR.label(m): loaders.model(name)[1] for m, name in MODELS.items()}
    except pretrained.PretrainedError as e:
        st.error(str(e))
        return
    c1, c2, c3, c4, c5, c6 = st.columns([2, 2, 2, 2, 2, 1])
    x, what = _image(c1, c2)
    w, b, k = widget(SPEC, P, "clip_w", c3), widget(SPEC, P, "clip_b", c4), widget(SPEC, P, "clip_k", c5)
    seed = int(widget(SPEC, P, "clip_seed", c6))
    sync_url(SPEC, P)
    if what.startswith("generated"):
        st.caption("No CelebA data found (set DGM_DATA_DIR, see docs/GUIDE.md, Data): these faces were generated by "
                   "the shipped not-MIWAE decoder.")
    if x is None:
        st.caption("Upload a photo to clip it.")
        return
    try:
        res = _compare(x[None].numpy(), w, b, seed, k)
    except ValueError as e:
        st.error(str(e))
        return
    _show(x, res, what, w, b)
    trained = ", ".join(f"{n} ({c.name}, {c.metrics.get('epochs')} epochs)" for n, c in cards.items())
    st.caption(f"Models: {trained}. Trained on clipped grey CelebA 32×32 with W = 50, b = 0.75; not-MIWAE's weights "
               "use the W and b set here.")
    _evaluate(w, b, seed, k)


ESS_HELP = ("Effective samples: each imputation averages K draws of the face, weighted by how well each explains "
            "the pixels that survived (and, for not-MIWAE, how likely each draw was to lose exactly these pixels). "
            "(Σw)² / Σw² counts how many draws really carry the weight: about 1 means one draw decides the picture.")


SD_MAX = 0.1  # the spread picture's colour scale


def face_row(x: torch.Tensor, res: mnar_images.Comparison) -> tuple[list[tuple[str, torch.Tensor]], list[str]]:
    """The page's and the lecture slide's row: the face, what survived, each method's fill and not-MIWAE's spread
    -> (title, picture) each, and a caption each (the share lost, each fill's RMSE on the lost pixels)."""
    shown = [("original", x), ("observed (red = lost)", overlay(x, res.mask[0])),
             ("constant b", res.imputed["constant b"][0]), (MIWAE, res.imputed[MIWAE][0]),
             (NOTMIWAE, res.imputed[NOTMIWAE][0]),
             (f"{NOTMIWAE} uncertainty (sd)", colour_map(res.sd[NOTMIWAE][0], vmax=SD_MAX))]
    captions = ["", f"{res.missing_rate:.0%} of pixels lost"] + [f"RMSE {res.rmse[n]:.3f}" if n in res.rmse else ""
                                                               for n, _ in shown[2:5]] + [f"0 to {SD_MAX:g}"]
    return shown, captions


def _show(x: torch.Tensor, res: mnar_images.Comparison, what: str, w: float, b: float) -> None:
    vmax = SD_MAX
    shown, _ = face_row(x, res)
    cols = st.columns(len(shown))
    for col, (label, img) in zip(cols, shown):
        col.image(to_pil(img, 6), caption=label, width="stretch")
    cols[-1].image(colour_bar(vmax, width=160, height=12), width="stretch")
    t1, t2, t3 = st.columns([4, 4, 4])
    t1.metric("Pixels lost", f"{res.missing_rate:.1%}", help=f"of this {what}, drawn with the seed")
    table = pd.DataFrame({"method": list(res.rmse), "RMSE on lost pixels": list(res.rmse.values()),
                          "effective samples": [f"{res.ess[n]:.1f}" if n in res.ess else "–" for n in res.rmse]}
                         ).set_index("method")
    t1.dataframe(table.style.format({"RMSE on lost pixels": "{:.4f}"}),
                 column_config={"effective samples": st.column_config.TextColumn(help=ESS_HELP),
                                "RMSE on lost pixels": st.column_config.NumberColumn(
                                    help="root mean squared error on the lost pixels, brightness in [0, 1]")})
    t1.caption(ESS_HELP)
    low = [n for n, v in res.ess.items() if v < 2]
    if low:
        t1.markdown(f"**What to notice:** {' and '.join(low)} rest on under 2 effective samples: one draw of the "
                    "face decides each fill, so another seed can give a visibly different one. A larger K raises "
                    "this only slowly: with 1024 pixels the weights are very uneven, so a fill is close to one "
                    "plausible face, not an average over many.")
    miss = ~res.mask[0].flatten()
    fig = go.Figure()
    for m in MODELS:
        name = MNAR.label(m)
        fig.add_scatter(x=x.flatten()[miss].numpy(), y=res.imputed[name][0].flatten()[miss].numpy(), mode="markers",
                        name=name, marker=dict(color=MNAR.colour(m), size=6, opacity=0.7))
    fig.add_scatter(x=[0, 1], y=[0, 1], mode="lines", name="perfect", line=dict(color="black", dash="dot"))
    fig.update_layout(height=280, margin=dict(l=60, r=20, t=40, b=50), xaxis_title="true brightness of a lost pixel",
                      yaxis_title="imputed brightness", xaxis_range=[0, 1.02], yaxis_range=[0, 1.02], legend=TOP_LEGEND)
    plots.show(t2, fig, width="stretch")
    plots.show(t3, _mechanism_figure(x, w, b), width="stretch")
    d1, d2 = st.columns(2)
    d1.download_button("RMSE table (CSV)", table.to_csv(), "clipping_rmse.csv", "text/csv",
                       key=P + "dl_csv", on_click="ignore")
    d2.download_button("Images (PNG)", grid_png([(label, [img]) for label, img in shown], scale=4),
                       "clipping.png", "image/png", key=P + "dl_png", on_click="ignore")


def _evaluate(w: float, b: float, seed: int, k: int) -> None:
    if not data.available("celeba"):
        return
    st.subheader(f"On {N_EVAL} test faces")

    def compare() -> Job:  # shared by every session asking for these settings, queued with other heavy runs
        models = {MNAR.label(m): loaders.model(name)[0] for m, name in MODELS.items()}
        return jobs.mnar_images_compare(models, _faces()[0][:N_EVAL].to(loaders.device()), (w, b), seed=seed,
                                        k=k, time_limit=serving.time_limit())

    try:
        done = run_button(f"Compare on {N_EVAL} CelebA test images", key=P + "eval", inputs=(w, b, seed, k),
                          compute=compare)
    except ValueError as e:
        st.error(str(e))
        return
    if done is None or done.inputs != (w, b, seed, k):
        typical = serving.shared().queue.typical(f"mnar_images compare {N_EVAL}")
        st.caption("One face is a noisy judge: this scores every method on the lost pixels of 100 test faces"
                   + (f" (recent runs took {typical:.0f} s on this server)." if typical else
                      "; it takes a while, with a progress bar."))
        return
    if done.ran:
        st.caption(serving.caption(done.ran))
    res = done.value
    st.dataframe(pd.DataFrame({"method": list(res.rmse), "RMSE on lost pixels": list(res.rmse.values())})
                 .set_index("method").style.format("{:.4f}"))
    st.caption(f"{res.missing_rate:.1%} of the pixels lost; RMSE over all of them.")


# ---------------------------------------------------------------- the slide views


def faces_slide(link: Mapping[str, str], stage: Stage, shown: bool) -> Facts:
    """A face with its bright pixels lost, then each method's fill and not-MIWAE's spread, one row, with the share
    lost and each method's error on the lost pixels."""
    if any(not (pretrained.PRETRAINED_DIR / f"{m}.json").exists() for m in MODELS.values()):
        st.info("The CelebA clipping models are not installed, so this step has nothing to show.")
        return {}
    got = _clipped(link)
    if isinstance(got, str):  # every pixel lost at this threshold: one sentence, the slide stays
        st.warning(got)
        return {}
    x, res, values = got
    if not shown:  # the question: the whole face, nothing of what the threshold takes
        slides.grid([("this face", x)], stage, "slide_question", title_px=30)
        return _clipped_facts(res, values)
    pictures, captions = face_row(x, res)
    slides.grid(pictures, stage, "slide_faces", captions)
    return _clipped_facts(res, values)


def _clipped(link: Mapping[str, str]):
    """(the step's face, the methods' comparison on it, the control values), or why not in one sentence."""
    values = slides.link_values(mnar_images, link)
    faces, _ = _faces()
    x = faces[values["clip_img"] % faces.shape[0]]
    try:
        return x, _compare(x[None].numpy(), values["clip_w"], values["clip_b"], values["clip_seed"],
                             values["clip_k"]), values
    except ValueError as e:
        return str(e)


def faces_facts(link: Mapping[str, str]) -> Facts:
    """The share of the face lost (``lost``, and ``lost_pct`` as a number of percent), the threshold, each
    method's RMSE on the lost pixels."""
    if any(not (pretrained.PRETRAINED_DIR / f"{m}.json").exists() for m in MODELS.values()):
        return {}
    got = _clipped(link)
    return {} if isinstance(got, str) else _clipped_facts(*got[1:])


def _clipped_facts(res, values: dict) -> Facts:
    return {"lost": f"{res.missing_rate:.0%}", "lost_pct": f"{100 * res.missing_rate:.0f}",
            "b": f"{values['clip_b']:.2f}", **{f"rmse_{m}": f"{res.rmse[MNAR.label(m)]:.3f}" for m in MODELS}}


PAGE = Page("pages/mnar_images.py", "MNAR images", ":material/face:",
            "Clip the bright pixels of a face (missing not at random) and see whether MIWAE or not-MIWAE "
            "fills them back, with the uncertainty of each pixel.",
            "**MNAR on images.** Bright pixels that saturate are missing because they are bright: a model that "
            "knows the mechanism fills them brighter than one that does not.",
            demo=mnar_images, views={"faces": View(draw=faces_slide, blurb="a clipped face and each method's fill",
                                                   facts=faces_facts, asks=True)})
