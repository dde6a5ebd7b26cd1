"""The latent explorer's cached explorers, pictures and figures (the computing is dgm_core.demos.latent).

Its descriptor ``PAGE`` (collected by ui.catalog) lists its slide views (``*_slide``), drawn in present mode.
"""
from __future__ import annotations

from collections.abc import Mapping

import plotly.graph_objects as go
import streamlit as st
import torch
from PIL import Image, ImageDraw, ImageFont

from dgm_core import pretrained
from dgm_core.demos import latent as demo
from dgm_core.methods import palette
from ui import loaders
from ui import latent_slider, slides
from ui.descriptor import Page
from ui.slides import GAP, Facts, Stage, View
from ui.imaging import png_bytes, to_pil

LABELS = demo.LABELS
COLOURS = {"latent lerp": palette("blue"), "latent slerp": palette("bluish_green"),
           "pixel blend": palette("vermillion")}
HIGHLIGHT = (213, 94, 0)  # Okabe-Ito vermillion: the eps = 0 column


@st.cache_resource(show_spinner="Finding the directions of this model's latent space (PCA of its features)…")
def explorer(name: str) -> demo.Explorer:
    model, _ = loaders.model(name)
    return demo.build(name, model)


def critic_for(name: str) -> tuple[torch.nn.Module | None, str]:
    """The critic that scores this model's frames, and a phrase naming it ("" when none is installed)."""
    dataset, kind = demo.MODELS[name]
    critic_name = demo.CRITIC_OF[dataset]
    try:
        model, _ = loaders.model(critic_name)
    except pretrained.PretrainedError:
        return None, ""
    return model, ("its own critic" if critic_name == name else f"the critic of {LABELS[critic_name]}")


def recognisable_note(r: dict, card: dict, progress: list[dict] | None = None) -> str:
    """The caption's sentence on how many samples our classifier recognises, and by how much that misses
    our bar, and why where it does: the share along the run that made this card (``bench wgan_progress``'s
    checkpoints, of the document among ``progress`` whose recipe is the card's), else what the card says of the
    generator's size."""
    note = (f" Recognisable: {r['share']:.0%} of the samples are digits our classifier labels with confidence of at "
            f"least {r['confidence']:g} (real test digits: {r['real']:.0%}).")
    if r.get("bar") is None or r["share"] >= r["bar"]:
        return note
    note += (f" That is {100 * (r['bar'] - r['share']):.1f} points below the {r['bar']:.0%} we aim for, so expect "
             f"some malformed digits")
    steps = card.get("metrics", {}).get("generator_iterations")
    along = run_shares(progress, card)
    if along:
        shares = [s for _, s in along] + [r["share"]]
        points = ", ".join(f"{s:.0%} at step {n:,}" for n, s in along) + f", {r['share']:.0%} at the end"
        how = "still rising" if all(a < b for a, b in zip(shares, shares[1:])) else "not rising throughout"
        return note + (f": the generator ({_width(card['config'])}) had {steps:,} steps, and its "
                       f"share was {how} along the run ({points}).")
    why = [_width(card["config"]) if "hidden" in card.get("config", {}) else "",
           f"trained for {steps:,} steps" if steps else ""]
    why = [w for w in why if w]
    return note + (f": the generator is small ({', '.join(why)})." if why else ".")


def _width(config: dict) -> str:
    extra = config.get("extra_layers", 0)
    return f"{config['hidden']} channels wide" + (f", with {extra} extra 3×3 layer{'s' * (extra > 1)}" if extra else "")


def run_shares(progress: list[dict] | None, card: dict) -> list[tuple[int, float]]:
    """(step, recognised share) of each checkpoint ``bench wgan_progress`` measured on the run that made this card
    (the first of the ``progress`` documents with the card's recipe), at the card's run length; [] if none."""
    steps = card.get("metrics", {}).get("generator_iterations")
    for doc in (progress or []) if steps else []:
        if all(card.get("config", {}).get(k) == v for k, v in doc["config"].items()):
            rows = sorted((row["steps"], row["confident_share"]) for row in doc["rows"]
                          if row["of"] == steps and row["steps"] < steps)
            if rows:
                return rows
    return []


def pil_row(images: torch.Tensor, scale: int, pad: int = 2, highlight: int | None = None) -> Image.Image:
    """(N, C, H, W) -> one row of magnified images; ``highlight``: the index framed in vermillion."""
    cells = [to_pil(im if im.shape[0] == 3 else im.expand(3, *im.shape[1:]), scale) for im in images]
    w, h = cells[0].size
    row = Image.new("RGB", (len(cells) * (w + pad) + pad, h + 2 * pad), "white")
    for i, c in enumerate(cells):
        row.paste(c, (pad + i * (w + pad), pad))
    if highlight is not None:
        x0 = highlight * (w + pad)
        ImageDraw.Draw(row).rectangle([x0, 0, x0 + w + 2 * pad - 1, h + 2 * pad - 1], outline=HIGHLIGHT, width=pad)
    return row


def stack_rows(rows: list[Image.Image]) -> Image.Image:
    w = max(r.width for r in rows)
    out = Image.new("RGB", (w, sum(r.height for r in rows)), "white")
    y = 0
    for r in rows:
        out.paste(r, (0, y))
        y += r.height
    return out


def grid_picture(grid: torch.Tensor, scale: int, names: list[str] | None = None, pad: int = 2) -> bytes:
    """(k, E, C, H, W) -> a PNG of the perturbation grid, the eps = 0 column framed, each column headed by its
    ε and each row led by its direction's name (``names``)."""
    eps = list(demo.lt.EPSILONS)
    rows = [pil_row(row, scale, pad, highlight=eps.index(0)) for row in grid]
    font = ImageFont.load_default(size=16)  # legible on a projector; its glyphs are Latin only, so no "ε" here
    left = max((int(font.getlength(n)) for n in names or []), default=-8) + 8
    cell = grid.shape[-1] * scale + pad
    out = Image.new("RGB", (left + rows[0].width, 24 + sum(r.height for r in rows)), "white")
    draw = ImageDraw.Draw(out)
    for j, e in enumerate(eps):
        draw.text((left + pad + j * cell + cell / 2, 12), f"{e:+d}" if e else "0", fill="black", font=font, anchor="mm")
    y = 24
    for i, r in enumerate(rows):
        out.paste(r, (left, y))
        if names:
            draw.text((0, y + r.height / 2), names[i], fill="black", font=font, anchor="lm")
        y += r.height
    return png_bytes(out)


def score_figure(interp: demo.Interpolation, alpha: float, critic_name: str) -> go.Figure:
    fig = go.Figure()
    for path, scores in (interp.scores or {}).items():
        fig.add_scatter(x=interp.alphas, y=scores, name=path, mode="lines+markers",
                        line=dict(color=COLOURS[path], width=2.5))
    fig.add_vline(x=alpha, line=dict(color="#555", dash="dot"))
    fig.update_layout(height=300, margin=dict(l=10, r=10, t=60, b=10), legend=dict(orientation="h", y=1.18),
                      title=dict(text=f"Score of each frame by {critic_name} (higher = more like the data)",
                                 font=dict(size=14)),
                      xaxis_title="α (0 = seed A, 1 = seed B)", yaxis_title="critic score ([−1, 1] pixels)")
    return fig


def chip_name(ex: demo.Explorer, kind: str, i: int) -> str:
    """A chosen direction as its multiselect chip names it: "PC 1 (5%)" or "z[3]", short enough that six chips
    fit on two lines of the page's widest column at 1280 px (the slider over each one gives the long name)."""
    return f"{ex.pcs.names[i]} ({ex.pcs.explained[i]:.0%})" if kind == "pca" else f"z[{i}]"


def explained_text(ex: demo.Explorer, idx: list[int]) -> str:
    shares = ", ".join(f"PC {i + 1} {ex.pcs.explained[i]:.1%}" for i in idx)
    return (f"Share of the variance of the generator's first-layer features that each direction carries: {shares} "
            f"(of {len(ex.pcs.names)} components computed from 2000 random z).")


# ---------------------------------------------------------------- the slide views


def face_slide(link: Mapping[str, str], stage: Stage, shown: bool) -> Facts:
    """A generated face and the sliders that move z along GANSpace directions, drawn by the visitor's browser."""
    values = slides.link_values(demo, link)
    name, seed = values["model"], values["seed"]
    ex = explorer(name)
    directions = ex.directions(values["kind"], values["dirs"])
    key = "slide_lat_panel"
    held = (st.session_state.get(key) or {}).get("values") if hasattr(st.session_state.get(key), "get") else None
    vals = [float(x) for x in (held or values["vals"])][: len(values["dirs"])]
    browser = loaders.card(name).get("browser") or {}
    side = None if stage.phone else max(256, min(stage.height - 90, int(stage.width * 0.45)))  # the stage's
    with st.container(width=stage.width):
        if browser and latent_slider.fallback_reason(key) is None:
            latent_slider.browser_sliders(
                model=latent_slider.model_url(browser), z0=demo.base_latent(ex, seed), dirs=directions.vectors,
                shape=ex.shape, caption=f"{LABELS[name]}, seed {seed}", names=directions.names, values=vals,
                eps=demo.SLIDER_EPS, key=key, url_key=demo.PREFIX + "vals", on_change=lambda: None,
                on_fallback=lambda: None, side=side)
        else:
            img, strips = demo.slider_view(ex, seed, directions, vals)
            latent_slider.server_sliders(main=img, caption=f"{LABELS[name]}, seed {seed}", names=directions.names,
                                         values=vals, strips=strips, eps=demo.SLIDER_EPS, key=key,
                                         on_change=lambda: None, on_fallback=lambda: None,
                                         note="Frames from the server: this browser cannot run the generator.",
                                         side=side)
    return {"directions": str(len(values["dirs"]))}


def paths_slide(link: Mapping[str, str], stage: Stage, shown: bool) -> Facts:
    """From one z to another: lerp and slerp decode every frame; the pixel blend cross-fades the two pictures."""
    values = slides.link_values(demo, link)
    ex = explorer(values["model"])
    critic, _ = critic_for(values["model"])
    interp = demo.interpolation(ex, values["seed"], values["seed_b"], critic)
    paths = list(interp.frames.items())
    n = max(f.shape[0] for _, f in paths)
    line, gap = round(30 * slides.text_of(stage)), round(GAP * slides.text_of(stage))  # both grow with the text
    side = max(24, min(int((stage.height - gap * (len(paths) - 1)) / len(paths)) - line,
                       int((stage.width - gap * (n - 1)) / n) - 1))
    for i, (path, frames) in enumerate(paths):
        st.html(f'<div class="slide-title"><b>{path}</b>: α from 0 to 1</div>')
        slides.row([("", f) for f in frames], side, f"slide_path_{i}", title_px=0)
    return {"frames": str(n)}


PAGE = Page("pages/latent.py", "Latent explorer", ":material/tune:",
            "Move a WGAN's or a VAE's latent vector along directions found without labels (GANSpace) or raw "
            "coordinates, with sliders the picture follows while you drag; the perturbation grid; latent against "
            "pixel interpolation, each frame scored by a WGAN critic.",
            "**What a latent space means.** A generator maps random numbers to images; some directions in those "
            "numbers change one visible thing. Walking between two points in latent space gives images all the "
            "way, where cross-fading two pictures gives a double exposure.",
            demo=demo,
            views={"face": View(draw=face_slide, offers=("slider",), blurb="a generated face and its GANSpace sliders"),
                   "paths": View(draw=paths_slide, blurb="lerp, slerp and the pixel blend from one z to another")})
