"""Slides: what present mode draws for a lecture deck's step. A step names a **view**, one picture of a lesson drawn by
one function from its data and the stage's size (the room left under the note, in CSS pixels), so present mode shows
the note, the view and the controls the note names, and nothing else. Every view shows the shared, cached result the
server computed at its start (``ui.warmup``), so the numbers a note quotes are those on the slide: a note's ``{name}``
is filled from the facts the view returns. A view that asks a question first (``Step.question``) draws the question
until the lecturer's next → reveals the answer.

The explore pages draw the same pictures with the same figure and image functions (``ui.*_view``); a view here only
chooses which and sizes them to the stage.
"""
from __future__ import annotations

import math
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import streamlit as st

NOTE_LINES = 2  # a note is read from the back of the room: at most two lines at 1280×720
NOTE_CHARS = 190  # about two lines of the note's type across a 1280-px projector (a test holds shipped notes to it)


@dataclass(frozen=True)
class Stage:
    """The room a view has, in CSS pixels (the browser's window less the note's band)."""

    width: int = 1240
    height: int = 560

    @property
    def phone(self) -> bool:
        return self.width < 640

    def share(self, width: float = 1.0, height: float = 1.0) -> Stage:
        return Stage(int(self.width * width), int(self.height * height))


@dataclass(frozen=True)
class View:
    page: str  # the page whose lesson it draws (its url path)
    # (the step's link as {key: text}, the stage, whether its question was revealed) -> the facts a note may quote
    draw: Callable[[Mapping[str, str], Stage, bool], dict[str, str]] | None = None
    controls: tuple[str, ...] = ()  # the widget keys this view can draw beside itself when a note names them
    blurb: str = ""  # what it shows, for the Decks page


Facts = dict[str, str]


def _filled(note: str, facts: Facts) -> str:
    """The note with its ``{name}``s replaced by the view's facts; one it lacks stays visible as ``{name}``."""
    out = []
    for text, name, spec, _ in string.Formatter().parse(note):
        out.append(text)
        if name is not None:
            out.append(facts.get(name, "{" + name + (":" + spec if spec else "") + "}"))
    return "".join(out)


def placeholders(note: str) -> list[str]:
    """The ``{name}``s a note asks its view for."""
    return [name for _, name, _, _ in string.Formatter().parse(note) if name]


# ---------------------------------------------------------------- shared helpers of the views


TITLE_PX = 68  # a picture's title (two lines at most) and its caption line, above it


def _side(stage: Stage, n: int, rows: int, title_px: int = TITLE_PX, gap: int = 16) -> int:
    """The side of a square picture when ``n`` of them fill the stage in ``rows`` rows, each under its title."""
    across = math.ceil(n / rows)
    return max(32, int(min((stage.width - gap * (across - 1)) / across, (stage.height - gap * (rows - 1)) / rows
                           - title_px)))


def _grid(pictures: list[tuple[str, Any]], stage: Stage, key: str, captions: list[str] | None = None,
          title_px: int = TITLE_PX) -> int:
    """Square pictures (PIL images or (C, H, W) tensors), each under its title and caption, in as many rows as make
    them largest on the stage; returns their side in pixels."""
    n = len(pictures)
    rows = max(range(1, n + 1), key=lambda r: (_side(stage, n, r, title_px), -r))
    side = _side(stage, n, rows, title_px)
    across = math.ceil(n / rows)
    for r in range(rows):
        part = slice(r * across, (r + 1) * across)
        _row(pictures[part], side, f"{key}_{r}", (captions or [""] * n)[part], title_px)
    return side


def _row(pictures: list[tuple[str, Any]], side: int, key: str, captions: list[str] | None = None,
         title_px: int = TITLE_PX) -> None:
    """Pictures side by side at ``side`` px each, each under its title (and caption), titles of one height."""
    import html

    from ui.imaging import to_pil

    with st.container(horizontal=True, gap="small", key=key):
        for i, (title, pic) in enumerate(pictures):
            with st.container(width=side, gap=None):
                if title_px:
                    note = captions[i] if captions else ""
                    st.html(f'<div class="slide-title" style="height:{title_px - 6}px"><b>{html.escape(title)}</b>'
                            + (f'<br><span>{html.escape(note)}</span>' if note else "") + "</div>")
                img = pic if not hasattr(pic, "shape") else to_pil(pic, max(1, math.ceil(side / pic.shape[-1])))
                st.image(img, width=side)


def _link_values(spec: Mapping, link: Mapping[str, str], prefix: str) -> dict[str, Any]:
    """A page's control values as the step's link sets them (its defaults elsewhere), read as the page reads them."""
    from ui.state import read_link

    return read_link(spec, {k[len(prefix):]: v for k, v in link.items() if k.startswith(prefix)})[0]


def _shared(job, key: str, label: str):
    """A shared job's value: at once when the server computed it already (its start, another session), else computed
    now with its progress shown, then kept for every session."""
    from ui import serving

    if (hit := serving.cached(job, key)) is not None:
        return hit[0]
    return serving.run(job, key=key, label=label, cancellable=False)[0]


def _fig(fig, stage: Stage, key: str) -> None:
    from ui import plots

    fig.update_layout(height=max(220, stage.height), margin=dict(l=50, r=20, t=50, b=45))
    plots.show(st, fig, key=key, width="stretch")


# ---------------------------------------------------------------- the views


def home_lessons(link: Mapping[str, str], stage: Stage, shown: bool) -> Facts:
    """The lessons of the day, a picture each (the app's own screenshots)."""
    from pathlib import Path

    from ui.catalog import PAGES

    assets = Path(__file__).resolve().parents[1] / "assets"
    shots = [(p.title, assets / f"{p.url_path}.png") for p in PAGES if p.url_path in LESSON_PAGES]
    shots = [(t, f) for t, f in shots if f.exists()]
    across = 1 if stage.phone else 2
    rows = math.ceil(len(shots) / across)
    width = int(min((stage.width - 16 * (across - 1)) / across, (stage.height / rows - 40) * 16 / 9))
    with st.container(horizontal=True, gap="small", key="slide_lessons"):
        for title, path in shots:
            with st.container(width=width, gap=None):
                st.markdown(f"**{title}**")
                st.image(str(path), width=width)
    return {"lessons": str(len(shots))}


LESSON_PAGES = ("inpainting", "mnar", "latent", "critics")


def _inpainting_run(link: Mapping[str, str]):
    from ui import warmup

    job = warmup.inpainting_job({k[len("inp_"):]: v for k, v in link.items() if k.startswith("inp_")})
    if job is None:
        st.info("This step's image or mask is not a gallery image and a preset, so it cannot be shown as a slide.")
        return None
    return _shared(job, "slide_inp", "This step's fills, computed once for every session")


def _inpainting_facts(run) -> Facts:
    from ui.inpaint_results import method_label

    facts: Facts = {"missing": f"{(~run.mask).float().mean().item():.0%}"}
    for res, metrics, _ in run.rows:
        if "F1" in metrics:
            facts[f"f1_{res.method}"] = f"{metrics['F1']:.2f}"
        if "MSE" in metrics:
            facts[f"mse_{res.method}"] = f"{metrics['MSE']:.4f}"
        facts[f"label_{res.method}"] = method_label(res)
    return facts


def _inpainting_cells(run, spread: bool) -> tuple[list[tuple[str, Any]], list[str]]:
    from dgm_core import masks
    from ui.imaging import colour_map
    from ui.inpaint_results import key_figure, method_label

    vmax = max([float(res.std.max()) for res, _, _ in run.rows] + [1e-6])
    cells = [("the input", masks.overlay(run.image, run.mask))]
    notes = [f"{(~run.mask).float().mean().item():.0%} hidden (red)"]
    for res, metrics, _ in run.rows:
        std = res.std[0]
        cells.append((method_label(res), colour_map(std, vmax) if spread else res.mean[0]))
        notes.append(key_figure(metrics) if not spread or float(std.max()) > 0 else "a point fill: no spread")
    return cells, notes


def inpainting_fills(link: Mapping[str, str], stage: Stage, shown: bool) -> Facts:
    """The input and each method's fill (its conditional mean), one row, each with its score."""
    run = _inpainting_run(link)
    if run is None:
        return {}
    cells, notes = _inpainting_cells(run, spread=False)
    _grid(cells, stage, "slide_fills", notes)
    return _inpainting_facts(run)


def inpainting_spread(link: Mapping[str, str], stage: Stage, shown: bool) -> Facts:
    """Each method's spread (the sd of every missing pixel) on one colour scale, dark = sure."""
    from ui.imaging import colour_bar

    run = _inpainting_run(link)
    if run is None:
        return {}
    cells, notes = _inpainting_cells(run, spread=True)
    vmax = max([float(res.std.max()) for res, _, _ in run.rows] + [1e-6])
    _grid(cells, Stage(stage.width, stage.height - 70), "slide_spread", notes)
    st.image(colour_bar(vmax), width=min(420, stage.width), caption="spread: dark = sure, bright = unsure")
    return _inpainting_facts(run)


def inpainting_draws(link: Mapping[str, str], stage: Stage, shown: bool) -> Facts:
    """The question: the observed part alone. The answer: each method's draws of the hidden part, a row each."""
    from dgm_core import masks
    from ui.inpaint_results import method_label

    run = _inpainting_run(link)
    if run is None:
        return {}
    if not shown:
        _grid([("what the class sees", masks.overlay(run.image, run.mask))], stage, "slide_question", title_px=30)
        return _inpainting_facts(run)
    rows = [(method_label(res), res.samples[0, : min(res.samples.shape[1], 6)]) for res, _, _ in run.rows
            if res.samples.shape[1] > 1][:3]
    line = 30  # a row's title, one line
    side = max(32, min(int((stage.height - 16 * (len(rows) - 1)) / max(1, len(rows))) - line,
                       int((stage.width - 16 * 6) / 7)))
    for i, (label, draws) in enumerate(rows):
        st.html(f'<div class="slide-title"><b>{label}</b>: {draws.shape[0]} draws of the hidden half</div>')
        _row([("", masks.overlay(run.image, run.mask))] + [("", d.clamp(0, 1)) for d in draws], side,
             f"slide_draws_{i}", title_px=0)
    return _inpainting_facts(run)


def critics_theta(link: Mapping[str, str], stage: Stage, shown: bool) -> Facts:
    """Both divergences against θ with the slider's θ marked, beside the two distributions at that θ."""
    from dgm_core import results
    from dgm_core.demos import critics as demo
    from ui import critics_view as v

    theta = _link_values(demo.CONTROLS, link, "critics_")["theta"]
    try:
        sw = results.critics()
    except results.ResultsError as e:
        st.error(str(e))
        return {}
    left, right = (st.container(), st.container()) if stage.phone else st.columns([3, 2], gap="medium")
    height = stage.height if not stage.phone else int(stage.height * 0.6)
    with left:
        _fig(v.sweep_figure(sw, theta, None), Stage(stage.width, height), "slide_critics_sweep")
    with right:
        _fig(v.samples_figure(theta), Stage(stage.width, height), "slide_critics_samples")
    return {"theta": f"{theta:g}", **{k: f"{sw.at(k, theta):.2f}" for k in results.KINDS}}


def vae_reconstructions(link: Mapping[str, str], stage: Stage, shown: bool) -> Facts:
    """A test digit, its reconstruction and four reconstructions at draws of z, then samples from the prior."""
    from dgm_core.demos import vae as demo
    from dgm_core.device import generator
    from ui import loaders
    from ui import vae_view as v

    values = _link_values(demo.CONTROLS, link, "vae_")
    name = values["model"]
    model, _ = loaders.model(name)
    x_all, _, _ = v.digits(v.MODELS[name])
    x = x_all[values["idx"] % x_all.shape[0]]
    dev = loaders.device()
    mean, draws = demo.reconstruct(model, x.unsqueeze(0).to(dev), 4, generator(values["seed"], dev))
    pics = [("the digit", x), ("reconstruction", mean[0].cpu())] + [(f"draw {i + 1}", d.cpu())
                                                                    for i, d in enumerate(draws[0])]
    samples = demo.prior_samples(model, 8, generator(values["seed"], dev)).cpu()
    _grid(pics + [(f"prior sample {i + 1}", s) for i, s in enumerate(samples[:6])], stage, "slide_vae")
    return {}


def vae_bound(link: Mapping[str, str], stage: Stage, shown: bool) -> Facts:
    """L_K against K for one digit, with the per-class averages: the bound rises towards log p(x)."""
    from dgm_core.demos import vae as demo
    from ui import vae_view as v

    values = _link_values(demo.CONTROLS, link, "vae_")
    name = values["model"]
    x_all, labels, _ = v.digits(v.MODELS[name])
    idx = values["idx"] % x_all.shape[0]
    ks = tuple(k for k in demo.KS if k <= values["kmax"])
    _, _, what = v.digits(v.MODELS[name])
    curves = {m: v.curve(m, f"{what}:{idx}", x_all[idx], ks) for m in v.MODELS if v.MODELS[m] == v.MODELS[name]}
    label = None if labels is None else str(int(labels[idx]))
    _fig(v.bound_figure(curves, v.class_curves(), label), stage, "slide_vae_bound")
    c = curves[name]
    return {"elbo": f"{c.mean[0]:.1f}", "bound": f"{c.best:.1f}", "kmax": f"{ks[-1]:,}", "gap": f"{c.gap[0]:.1f}"}


def clusters_maps(link: Mapping[str, str], stage: Stage, shown: bool) -> Facts:
    """Round 0's and the last round's t-SNE maps side by side, coloured by cluster or by the true digit."""
    from dgm_core.demos import clusters as demo
    from ui import clusters_view as v
    from ui import loaders

    values = _link_values(demo.CONTROLS, link, "cl_")
    model, card = loaders.model(v.MODEL)
    sp = v.SPLITS[values["split"]]
    cols = [st.container(), st.container()] if stage.phone else st.columns(2)
    for col, idx in zip(cols, (0, 1)):
        with col:
            _fig(v.tsne_figure(model, idx, sp, values["perp"], values["colour"]),
                 Stage(stage.width, stage.height if not stage.phone else stage.height // 2), f"slide_tsne_{idx}")
    m = card.metrics
    return {"round0": f"{m['test_accuracy_round0']:.2f}", "last": f"{m['test_accuracy_last']:.2f}",
            "rounds": str(model.cfg.rounds)}


VIEWS: dict[str, View] = {
    "home.lessons": View("home", home_lessons, blurb="the lessons of the day, a picture each"),
    "inpainting.fills": View("inpainting", inpainting_fills, blurb="the input and each method's fill, with its score"),
    "inpainting.spread": View("inpainting", inpainting_spread, blurb="each method's spread on one colour scale"),
    "inpainting.draws": View("inpainting", inpainting_draws, blurb="the observed part, then each method's draws"),
    "critics.theta": View("critics", critics_theta, blurb="both divergences against θ, and P and Q_θ at θ"),
    "vae.reconstructions": View("vae", vae_reconstructions, blurb="a digit, its reconstructions, prior samples"),
    "vae.bound": View("vae", vae_bound, blurb="the bound L_K against K for one digit"),
    "clusters.maps": View("clusters", clusters_maps, blurb="round 0's and the last round's t-SNE maps"),
}
MAIN: dict[str, str] = {  # each page's main view: the one a lecturer's own step of that page presents
    "home": "home.lessons", "inpainting": "inpainting.fills", "critics": "critics.theta",
    "vae": "vae.reconstructions", "clusters": "clusters.maps"}


def view_of(step) -> View | None:
    """The view a step presents: the one it names, else its page's main view; None where its page has none."""
    name = step.view or MAIN.get(step.page, "")
    return VIEWS.get(name)


# ---------------------------------------------------------------- the slide


@dataclass
class Slide:
    """What present mode needs of a step, besides the deck bar: its note, its view, its named controls."""

    note: str
    view: View
    link: Mapping[str, str]
    controls: tuple[str, ...] = ()
    question: str = ""
    shown: bool = True
    facts: Facts = field(default_factory=dict)


def stage_of(window: Mapping[str, Any] | None) -> Stage:
    """The view's room in a browser window of ``window`` = {"w", "h"} CSS pixels (a 1280×720 projector until the
    browser says): the window less the note's band and the page's margins."""
    w = int((window or {}).get("w") or 1280)
    h = int((window or {}).get("h") or 720)
    w, h = min(max(w, 320), 4000), min(max(h, 320), 3000)
    band = 150 if w >= 640 else 260  # the note (two lines; more on a phone) and the step's buttons
    return Stage(w - (48 if w >= 640 else 24), h - band)


FACTS = "_slide_facts"  # session state: {deck:step -> the facts its slide showed}, for the same note in explore mode


def note_for(step_key: str, note: str) -> str:
    """A step's note outside its slide (explore mode): filled with the facts its slide showed this session, a fact
    not yet shown as "…" (the view computes it when presented)."""
    facts = st.session_state.get(FACTS, {}).get(step_key, {})
    return _filled(note, {name: facts.get(name, "…") for name in placeholders(note)})


def draw(slide: Slide, stage: Stage, note_slot, step_key: str = "") -> Facts:
    """Draws the slide's view (its named controls beside it) on the stage, then fills its note with the view's facts."""
    if slide.controls and not stage.phone:
        left, right = st.columns([4, 1], gap="medium")
        view_stage = stage.share(width=0.78)
    else:
        left = right = st.container()
        view_stage = stage
    with right:
        controls(slide)
    with left, st.container(key="slide_view"):
        if slide.question and not slide.shown:
            st.markdown(f"### {slide.question}")
            view_stage = Stage(view_stage.width, view_stage.height - 60)
        facts = slide.view.draw(slide.link, view_stage, slide.shown) if slide.view.draw else {}
    note_slot.markdown(_filled(slide.note, facts))
    if step_key:
        st.session_state.setdefault(FACTS, {})[step_key] = facts
    return facts


def controls(slide: Slide) -> None:
    """The widgets a step's note names, from their page's declaration (the same key as on the page)."""
    from ui.controls import widget

    for key in slide.controls:
        if found := control_of(key):
            widget(*found)


def control_of(key: str) -> tuple[Mapping, str, str] | None:
    """A widget key's page spec, prefix and name in the spec (``"mi_clip_b"`` -> the MNAR images spec, "mi_",
    "clip_b"); None for a key no page declares."""
    from ui.links import SPECS

    return next(((spec, p, key[len(p):]) for p, spec in SPECS.items() if key.startswith(p) and key[len(p):] in spec),
                None)
