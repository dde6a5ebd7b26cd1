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
from dataclasses import dataclass
from typing import Any

import streamlit as st



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
    offers: tuple[str, ...] = ()  # the buttons and sliders its own panel draws (a note may name them)
    blurb: str = ""  # what it shows, for the Decks page
    facts: Callable[[Mapping[str, str]], Facts] | None = None  # its numbers without drawing (a poll's model answer)
    asks: bool = False  # whether ``draw(..., shown=False)`` draws a question of its own (else: nothing before reveal)


Facts = dict[str, Any]  # a note's {name} -> its text; a poll's model answer may be a dict


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
GAP = 16  # Streamlit's "small" gap between the pictures of a row, and between rows (1rem)


def _side(stage: Stage, n: int, rows: int, title_px: int = TITLE_PX, gap: int = GAP) -> int:
    """The side of a square picture when ``n`` of them fill the stage in ``rows`` rows, each under its title."""
    across = math.ceil(n / rows)
    return max(32, int(min((stage.width - gap * (across - 1)) / across - 1, (stage.height - gap * (rows - 1)) / rows
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

    if (hit := serving.cached(job, key, lesson=True)) is not None:
        return hit[0]
    return serving.run(job, key=key, label=label, cancellable=False, lesson=True)[0]


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
    from ui import jobs

    job = jobs.lesson_inpainting({k[len("inp_"):]: v for k, v in link.items() if k.startswith("inp_")})
    if job is None:
        st.info("This step's image or mask is not a gallery image and a preset, so it cannot be shown as a slide.")
        return None
    return _shared(job, "slide_inp", "This step's fills, computed once for every session")


def _inpainting_facts(run) -> Facts:
    """Each method's score and label; ``methods``: the labels, |-joined; ``best``: the best score's label (F1 on
    binary images, else the lowest MSE)."""
    from ui.inpaint_results import method_label

    facts: Facts = {"missing": f"{(~run.mask).float().mean().item():.0%}"}
    for res, metrics, _ in run.rows:
        if "F1" in metrics:
            facts[f"f1_{res.method}"] = f"{metrics['F1']:.2f}"
        if "MSE" in metrics:
            facts[f"mse_{res.method}"] = f"{metrics['MSE']:.4f}"
        facts[f"label_{res.method}"] = method_label(res)
    scored = [(m["F1"] if "F1" in m else -m["MSE"], method_label(res)) for res, m, _ in run.rows if m]
    facts["methods"] = "|".join(label for _, label in scored)
    if scored:
        facts["best"] = max(scored)[1]
    return {**facts, **_digit_facts(run)}


DIGITS = [str(d) for d in range(10)]


def _digit_facts(run) -> Facts:
    """On a digit: the exact sampler's draws read by the shipped digit classifier (``digits-mnist``). ``digits``: the
    ten options; ``digit_probs``: digit -> the share of the draws read as it (the sampler's posterior over the
    classes); ``mwg_draws``: how many draws. Nothing without the classifier or
    off MNIST."""
    from dgm_core.models.digits import read_digits

    exact = next((res for res, _, _ in run.rows if res.method == "mwg"), None)
    net = _digit_reader() if exact is not None and tuple(run.image.shape) == (1, 28, 28) else None
    if net is None:
        return {}
    shares = read_digits(net, exact.samples[0])
    return {"digits": "|".join(DIGITS), "digit_probs": dict(zip(DIGITS, shares)),
            "mwg_draws": str(exact.samples.shape[1])}


def inpainting_facts(link: Mapping[str, str]) -> Facts:
    run = _inpainting_run(link)
    return {} if run is None else _inpainting_facts(run)


def _digit_reader():
    """The shipped digit classifier, None without it."""
    from dgm_core import pretrained
    from ui.loaders import model

    try:
        return model("digits-mnist")[0]
    except pretrained.PretrainedError:
        return None


def _inpainting_cells(run, spread: bool) -> tuple[list[tuple[str, Any]], list[str]]:
    """The page's own pictures of the run (``inpaint_results.fill_cells``): the input, then each method's fill, or
    (``spread``) each fill's spread; and a caption each."""
    from ui.inpaint_results import fill_cells

    (_, _, masked, _), *methods = fill_cells(run.rows, run.image, run.mask)
    cells = [("the input", masked)] + [(title, sd if spread else fill) for title, fill, sd, _ in methods
                                       if not spread or sd is not None]
    notes = [f"{(~run.mask).float().mean().item():.0%} hidden (red)"] + [note for _, _, s, note in methods
                                                                         if not spread or s is not None]
    return cells, notes


def inpainting_fills(link: Mapping[str, str], stage: Stage, shown: bool) -> Facts:
    """The input and each method's fill (its conditional mean), one row, each with its score."""
    run = _inpainting_run(link)
    if run is None:
        return {}
    cells, notes = _inpainting_cells(run, spread=False)
    if not shown:  # the question: the input alone
        _grid(cells[:1], stage, "slide_question", notes[:1])
        return _inpainting_facts(run)
    _grid(cells, stage, "slide_fills", notes)
    return _inpainting_facts(run)


def inpainting_spread(link: Mapping[str, str], stage: Stage, shown: bool) -> Facts:
    """Each method's spread (the sd of every missing pixel) on one colour scale, dark = sure."""
    from ui.imaging import colour_bar
    from ui.inpaint_results import spread_max

    run = _inpainting_run(link)
    if run is None:
        return {}
    cells, notes = _inpainting_cells(run, spread=True)
    vmax = spread_max(run.rows)
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
    rows = [(res.method, method_label(res), res.samples[0, : min(res.samples.shape[1], 6)]) for res, _, _ in run.rows
            if res.samples.shape[1] > 1][:3]
    net = _digit_reader() if tuple(run.image.shape) == (1, 28, 28) else None
    read_px = 24 if net is not None else 0  # the exact sampler's draws, each titled with the digit read in it
    line = 30  # a row's title, one line
    side = max(32, min(int((stage.height - read_px - GAP * (len(rows) - 1)) / max(1, len(rows))) - line,
                       int((stage.width - GAP * 6) / 7) - 1))
    for i, (method, label, draws) in enumerate(rows):
        st.html(f'<div class="slide-title"><b>{label}</b>: {draws.shape[0]} draws of the hidden half</div>')
        if method == "mwg" and net is not None:
            from dgm_core.models.digits import read_each

            titles = ["the input"] + [f"reads {d}" for d in read_each(net, draws)]
            _row(list(zip(titles, [masks.overlay(run.image, run.mask), *draws.clamp(0, 1)])), side,
                 f"slide_draws_{i}", title_px=read_px)
            continue
        _row([("", masks.overlay(run.image, run.mask))] + [("", d.clamp(0, 1)) for d in draws], side,
             f"slide_draws_{i}", title_px=0)
    return _inpainting_facts(run)


def critics_theta(link: Mapping[str, str], stage: Stage, shown: bool) -> Facts:
    """Both divergences against θ with the slider's θ marked, beside the two distributions at that θ."""
    from dgm_core import results
    from dgm_core.demos import critics as demo
    from dgm_core.demos.critics import LABELS
    from dgm_core.models.critics import true_value
    from ui import critics_view as v

    theta = _link_values(demo.CONTROLS, link, "critics_")["theta"]
    try:
        sw = results.critics()
    except results.ResultsError as e:
        st.error(str(e))
        return {}
    facts = critics_facts(link)
    if not shown:  # the question: the two distributions at θ, not yet the divergences
        _fig(v.samples_figure(theta), Stage(stage.width, stage.height - 30), "slide_critics_samples")
        st.caption(f"P and Q_θ at θ = {theta:g}.")
        return facts
    left, right = (st.container(), st.container()) if stage.phone else st.columns([3, 2], gap="medium")
    height = stage.height if not stage.phone else int(stage.height * 0.6)
    with left:
        _fig(v.sweep_figure(sw, theta, None), Stage(stage.width, height - 30), "slide_critics_sweep")
        st.caption(f"At θ = {theta:g} the critics estimate " + " and ".join(
            f"{LABELS[k]} {facts[k]} (true {true_value(k, theta):g})" for k in results.KINDS) + ".")
    with right:
        _fig(v.samples_figure(theta), Stage(stage.width, height - 30), "slide_critics_samples")
    return facts


MOVES = 0.5  # a critic tells the generator which way to move where its estimate's slope in θ is at least this
CRITICS_NAMES = {"hellinger": "squared Hellinger", "wasserstein": "Wasserstein"}


def critics_facts(link: Mapping[str, str]) -> Facts:
    """Each critic's shipped estimate at the step's θ, and ``moves``: which critic's estimate changes with θ there
    (its slope between the sweep's neighbouring θs at least MOVES), one of ``critics`` (|-joined): each critic's
    name, "both" or "neither"."""
    from dgm_core import results
    from dgm_core.demos import critics as demo

    theta = _link_values(demo.CONTROLS, link, "critics_")["theta"]
    try:
        sw = results.critics()
    except results.ResultsError:
        return {"theta": f"{theta:g}"}
    i = min(range(len(sw.thetas)), key=lambda j: abs(sw.thetas[j] - theta))
    a, b = max(i - 1, 0), min(i + 1, len(sw.thetas) - 1)
    moving = [k for k in results.KINDS
              if abs(sw.estimates[k][b] - sw.estimates[k][a]) >= MOVES * (sw.thetas[b] - sw.thetas[a])]
    return {"theta": f"{theta:g}", "critics": "|".join([*CRITICS_NAMES.values(), "both", "neither"]),
            "moves": {0: "neither", 2: "both"}.get(len(moving), CRITICS_NAMES[moving[0]] if moving else "neither"),
            **{k: f"{sw.at(k, theta) + 0.0:.2f}".replace("-0.00", "0.00") for k in results.KINDS}}


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
    _fig(v.bound_figure(curves, v.class_curves(), label), Stage(stage.width, stage.height - 30), "slide_vae_bound")
    c = curves[name]
    facts = {"elbo": f"{c.mean[0]:.1f}", "bound": f"{c.best:.1f}", "kmax": f"{ks[-1]}", "gap": f"{c.gap[0]:.1f}"}
    st.caption(f"{v.LABELS[name]} on this digit: ELBO (K = 1) {facts['elbo']} nats; L_K at K = {facts['kmax']} "
               f"{facts['bound']} nats, {facts['gap']} nats above it.")
    return facts


def clusters_maps(link: Mapping[str, str], stage: Stage, shown: bool) -> Facts:
    """Round 0's and the last round's t-SNE maps side by side, coloured by cluster or by the true digit."""
    from dgm_core.demos import clusters as demo
    from ui import clusters_view as v
    from ui import loaders

    values = _link_values(demo.CONTROLS, link, "cl_")
    model, card = loaders.model(v.MODEL)
    sp = v.SPLITS[values["split"]]
    m = card.metrics
    facts = {"round0": f"{m['test_accuracy_round0']:.2f}", "last": f"{m['test_accuracy_last']:.2f}",
             "clusters": str(model.cfg.k), "rounds": str(model.cfg.rounds)}
    cols = [st.container(), st.container()] if stage.phone else st.columns(2)
    for col, idx in zip(cols, (0, 1)):
        with col:
            _fig(v.tsne_figure(model, idx, sp, values["perp"], values["colour"]),
                 Stage(stage.width, (stage.height - 30) // (2 if stage.phone else 1)), f"slide_tsne_{idx}")
    st.caption(f"{facts['clusters']} clusters; their agreement with the test digits (accuracy of the best matching): "
               f"{facts['round0']} in round 0, {facts['last']} in round {model.cfg.rounds - 1}.")
    return facts


def mnar_images_faces(link: Mapping[str, str], stage: Stage, shown: bool) -> Facts:
    """A face with its bright pixels lost, then each method's fill and not-MIWAE's spread, one row, with the share
    lost and each method's error on the lost pixels."""
    from dgm_core import pretrained
    from ui import mnar_images as v

    if any(not (pretrained.PRETRAINED_DIR / f"{m}.json").exists() for m in v.MODELS.values()):
        st.info("The CelebA clipping models are not installed, so this step has nothing to show.")
        return {}
    got = _clipped(link)
    if isinstance(got, str):  # every pixel lost at this threshold: one sentence, the slide stays
        st.warning(got)
        return {}
    x, res, values = got
    pictures, captions = v.face_row(x, res)
    _grid(pictures, stage, "slide_faces", captions)
    return _clipped_facts(res, values)


def _clipped(link: Mapping[str, str]):
    """(the step's face, the methods' comparison on it, the control values), or why not in one sentence."""
    from dgm_core.demos import mnar_images as demo
    from ui import mnar_images as v

    values = _link_values(demo.CONTROLS, link, "mi_")
    faces, _ = v._faces()
    x = faces[values["clip_img"] % faces.shape[0]]
    try:
        return x, v._compare(x[None].numpy(), values["clip_w"], values["clip_b"], values["clip_seed"],
                             values["clip_k"]), values
    except ValueError as e:
        return str(e)


def mnar_images_facts(link: Mapping[str, str]) -> Facts:
    """The share of the face lost (``lost``, and ``lost_pct`` as a number of percent), the threshold, each
    method's RMSE on the lost pixels."""
    from dgm_core import pretrained
    from ui import mnar_images as v

    if any(not (pretrained.PRETRAINED_DIR / f"{m}.json").exists() for m in v.MODELS.values()):
        return {}
    got = _clipped(link)
    return {} if isinstance(got, str) else _clipped_facts(*got[1:])


def _clipped_facts(res, values: dict) -> Facts:
    from ui import mnar_images as v

    return {"lost": f"{res.missing_rate:.0%}", "lost_pct": f"{100 * res.missing_rate:.0f}",
            "b": f"{values['clip_b']:.2f}", **{f"rmse_{m}": f"{res.rmse[v.MNAR.label(m)]:.3f}" for m in v.MODELS}}


def latent_face(link: Mapping[str, str], stage: Stage, shown: bool) -> Facts:
    """A generated face and the sliders that move z along GANSpace directions, drawn by the visitor's browser."""
    from dgm_core.demos import latent as demo
    from ui import latent_slider, loaders
    from ui import latent_view as v

    values = _link_values(demo.CONTROLS, link, "lat_")
    name, seed = values["model"], values["seed"]
    ex = v.explorer(name)
    directions = ex.directions(values["kind"], values["dirs"])
    key = "slide_lat_panel"
    held = (st.session_state.get(key) or {}).get("values") if hasattr(st.session_state.get(key), "get") else None
    vals = [float(x) for x in (held or values["vals"])][: len(values["dirs"])]
    browser = loaders.card(name).get("browser") or {}
    with st.container(width=min(stage.width, 900)):
        if browser and latent_slider.fallback_reason(key) is None:
            latent_slider.browser_sliders(
                model=latent_slider.model_url(browser), z0=demo.base_latent(ex, seed), dirs=directions.vectors,
                shape=ex.shape, caption=f"{v.LABELS[name]}, seed {seed}", names=directions.names, values=vals,
                eps=demo.SLIDER_EPS, key=key, url_key="lat_vals", on_change=lambda: None, on_fallback=lambda: None)
        else:
            img, strips = demo.slider_view(ex, seed, directions, vals)
            latent_slider.server_sliders(main=img, caption=f"{v.LABELS[name]}, seed {seed}", names=directions.names,
                                         values=vals, strips=strips, eps=demo.SLIDER_EPS, key=key,
                                         on_change=lambda: None, on_fallback=lambda: None,
                                         note="Frames from the server: this browser cannot run the generator.")
    return {"directions": str(len(values["dirs"]))}


def latent_paths(link: Mapping[str, str], stage: Stage, shown: bool) -> Facts:
    """From one z to another: lerp and slerp decode every frame; the pixel blend cross-fades the two pictures."""
    from dgm_core.demos import latent as demo
    from ui import latent_view as v

    values = _link_values(demo.CONTROLS, link, "lat_")
    ex = v.explorer(values["model"])
    critic, _ = v.critic_for(values["model"])
    interp = demo.interpolation(ex, values["seed"], values["seed_b"], critic)
    paths = list(interp.frames.items())
    n = max(f.shape[0] for _, f in paths)
    line = 30
    side = max(24, min(int((stage.height - GAP * (len(paths) - 1)) / len(paths)) - line,
                       int((stage.width - GAP * (n - 1)) / n) - 1))
    for i, (path, frames) in enumerate(paths):
        st.html(f'<div class="slide-title"><b>{path}</b>: α from 0 to 1</div>')
        _row([("", f) for f in frames], side, f"slide_path_{i}", title_px=0)
    return {"frames": str(n)}


def gan_race(link: Mapping[str, str], stage: Stage, shown: bool) -> Facts:
    """The two generators, each against its critic, trained live in the visitor's browser, with the verdict."""
    from dgm_core.demos import critics as critics_demo
    from dgm_core.demos import gan as demo
    from dgm_core.models.critics import true_value
    from ui import gan_view as v

    values = _link_values(demo.CONTROLS, link, "gan_")
    key = "slide_gan_panel"
    if (reason := v.fallback_reason(key)) is not None:
        st.info(f"This browser cannot train here ({reason}): press **Explore** to train on the server.")
        return {}
    setting = (values["toy"], values["lr"], int(values["k"]))
    verdict = st.empty()
    # the panel: its buttons and note, two square fields side by side, their curves: about 0.45 w + 130 px tall
    with st.container(width=max(320, min(stage.width, int((stage.height - 160) / 0.45)))):
        v.browser_panel(*setting, key=key, on_frame=lambda: None, on_fallback=lambda: None, points=())
    last = v.reported(key, *setting)
    verdict.markdown(demo.verdict_of(*last, critics_demo.LABELS) if last else
                     demo.verdict_of(0, {}, critics_demo.LABELS))
    ceiling = true_value("hellinger", 1.0)  # any two distributions that do not overlap
    st.caption(f"The Hellinger bound's ceiling is {ceiling:g}: the squared Hellinger distance between two "
               "distributions that do not overlap, however far apart.")
    return {"steps": str(demo.MAX_STEPS), "ceiling": f"{ceiling:g}"}


def flow2d_path(link: Mapping[str, str], stage: Stage, shown: bool) -> Facts:
    """Noise carried to the data by the learned velocity field, scrubbed in time; trained in the visitor's browser."""
    from dgm_core.demos import flow2d as demo
    from ui import flow2d_view as v
    from ui.critics_view import fallback_reason

    values = _link_values(demo.CONTROLS, link, "flow_")
    key = "slide_flow_panel"
    reason = fallback_reason(key)
    try:
        points = demo.decode_points(values["pts"]) if values["data"] == demo.DRAWN else demo.decode_points("")
    except ValueError as e:
        st.warning(f"{e} The drawing starts empty.")
        points = demo.decode_points("")
    with st.container(width=max(280, min(stage.width, stage.height - 70))):  # a square canvas under its time bar
        v.panel(values["data"], points, int(values["steps"]), int(values["seed"]), key=key, server=reason is not None)
    return {"steps": str(values["steps"])}


def results_table(link: Mapping[str, str], stage: Stage, shown: bool) -> Facts:
    """Each paper's headline figure beside ours, with the file each comes from."""
    import pandas as pd

    from dgm_core.demos import results as demo

    rows = []
    for sec in demo.sections():
        pair = next((r for r in sec.rows if r.published is not None), None)
        if pair is not None:
            rows.append({"paper": sec.title, "figure": pair.id, "ours": pair.ours, "published": pair.published})
    if not rows:
        st.info("No benchmark results are installed, so there is nothing to compare yet.")
        return {}
    st.table(pd.DataFrame(rows).set_index("paper").style.format({c: "{:.4g}" for c in ("ours", "published")}))
    return {"papers": str(len(rows))}


def _mnar_result(link: Mapping[str, str]):
    """(the fits, the simulation they were fitted on, the columns) for the step's table and mechanism: the shipped
    models for the opening case, the precomputed grid else; or why not, in one sentence."""
    from dgm_core import data, pretrained
    from dgm_core.demos import mnar as lab
    from ui import mnar_widgets as w

    values = _link_values(lab.CONTROLS, link, "mnar_")
    source, mechanism, seed = values["table"], values["mech"], int(values["seed"])
    if source == "upload CSV" or not data.available(source):
        return f"The '{source}' table is not on this server, so this step has nothing to show."
    x, columns, *_ = w.load_source(source)
    d = lab.DEFAULT
    if mechanism == d["mechanism"]:
        params = dict(d["params"], offset=values["offset"])
    elif mechanism == "mcar":
        params = {"p": values["p"]}
    else:
        return "This step's mechanism is set on its page: press Explore."
    sim = lab.simulate(x, mechanism, params, seed)
    if w.is_default(source, mechanism, params, seed):
        try:
            return w.shipped(sim)[0], sim, columns
        except pretrained.PretrainedError as e:
            return str(e)
    _, point, why = w.grid_point(source, x, mechanism, params, seed)
    if point is None:
        return why
    fits, shown, why = w.grid_fits(point, x, sim, params, seed)
    return why if fits is None else (fits, shown, columns)


def mnar_facts(link: Mapping[str, str]) -> Facts:
    """Each imputer's RMSE on the hidden entries (``rmse_<id>``), ``methods`` (|-joined), the ``best``, the share
    ``hidden``."""
    got = _mnar_result(link)
    return {} if isinstance(got, str) else _mnar_facts(*got[:2])


def _mnar_facts(fits: dict, sim) -> Facts:
    from dgm_core.demos import mnar as lab
    from ui import mnar_widgets as w

    best = min(fits, key=lambda k: fits[k].rmse)
    return {"best": lab.label(best), "methods": "|".join(lab.label(m) for m in fits),
            "hidden": f"{sim.missing.rate:.0%}", **{f"rmse_{m}": w.error(f.rmse) for m, f in fits.items()}}


def mnar_fits(link: Mapping[str, str], stage: Stage, shown: bool) -> Facts:
    """The MNAR lab's answer: each imputer's error on the hidden entries, beside the scatter of their fills against
    the truth for the feature that lost most."""
    import numpy as np

    from dgm_core.demos import mnar as lab
    from ui import mnar_widgets as w

    got = _mnar_result(link)
    if isinstance(got, str):
        st.info(got)
        return {}
    fits, shown_sim, columns = got
    facts = _mnar_facts(fits, shown_sim)
    j = int(np.argmax(shown_sim.missing.rate_per_feature))
    left, right = (st.container(), st.container()) if stage.phone else st.columns([5, 6], gap="medium")
    best = min(fits, key=lambda k: fits[k].rmse)
    left.markdown(f"Lowest error: **{lab.label(best)}** ({w.error(fits[best].rmse)} sd), {facts['hidden']} of the "
                  "entries hidden.")
    left.table(w.rmse_table(fits).style.format({"RMSE (missing, sd)": w.error}))  # text, read from the room
    scatter = {k: fits[k] for k in ("MICE", "miwae", "notmiwae") if k in fits}
    with right:
        _fig(w.scatter_figure(shown_sim, scatter, j, columns[j]), Stage(stage.width, stage.height), "slide_mnar")
    return facts


VIEWS: dict[str, View] = {
    "home.lessons": View("home", home_lessons, blurb="the lessons of the day, a picture each"),
    "inpainting.fills": View("inpainting", inpainting_fills, blurb="the input and each method's fill, with its score",
                             facts=inpainting_facts, asks=True),
    "inpainting.spread": View("inpainting", inpainting_spread, blurb="each method's spread on one colour scale",
                              facts=inpainting_facts),
    "inpainting.draws": View("inpainting", inpainting_draws, blurb="the observed part, then each method's draws",
                             facts=inpainting_facts, asks=True),
    "critics.theta": View("critics", critics_theta, blurb="both divergences against θ, and P and Q_θ at θ",
                          facts=critics_facts, asks=True),
    "vae.reconstructions": View("vae", vae_reconstructions, blurb="a digit, its reconstructions, prior samples"),
    "vae.bound": View("vae", vae_bound, blurb="the bound L_K against K for one digit"),
    "clusters.maps": View("clusters", clusters_maps, blurb="round 0's and the last round's t-SNE maps"),
    "mnar_images.faces": View("mnar_images", mnar_images_faces, blurb="a clipped face and each method's fill",
                              facts=mnar_images_facts),
    "latent.face": View("latent", latent_face, ("slider",), "a generated face and its GANSpace sliders"),
    "latent.paths": View("latent", latent_paths, blurb="lerp, slerp and the pixel blend from one z to another"),
    "gan.race": View("gan", gan_race, ("Play", "Step", "Reset"), "two generators, each against its critic, trained "
                                                                 "live"),
    "flow2d.path": View("flow2d", flow2d_path, ("Play", "Pause", "t"), "noise carried to the data by the learned "
                                                                       "field"),
    "results.table": View("results", results_table, blurb="each paper's headline figure beside ours"),
    "mnar.fits": View("mnar", mnar_fits, blurb="each imputer's error on the hidden entries, and their fills",
                      facts=mnar_facts),
}
MAIN: dict[str, str] = {  # each page's main view: the one a lecturer's own step of that page presents
    "home": "home.lessons", "inpainting": "inpainting.fills", "critics": "critics.theta",
    "vae": "vae.reconstructions", "clusters": "clusters.maps", "mnar_images": "mnar_images.faces",
    "latent": "latent.face", "gan": "gan.race", "flow2d": "flow2d.path", "results": "results.table",
    "mnar": "mnar.fits"}


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
    poll: dict | None = None  # the class answers the question on its phones (ui.poll), the view's facts answer it


def stage_of(window: Mapping[str, Any] | None) -> Stage:
    """The view's room in a browser window of ``window`` = {"w", "h"} CSS pixels (a 1280×720 projector until the
    browser says): the window less the note's band and the page's margins."""
    w = int((window or {}).get("w") or 1280)
    h = int((window or {}).get("h") or 720)
    w, h = min(max(w, 320), 4000), min(max(h, 320), 3000)
    band = 150 if w >= 640 else 210  # the note (two lines; more on a phone) and the step's buttons
    return Stage(w - (48 if w >= 640 else 24), h - band)


FACTS = "_slide_facts"  # session state: {deck:step -> the facts its slide showed}, for the same note in explore mode


def note_for(step_key: str, note: str) -> str:
    """A step's note outside its slide (explore mode): filled with the facts its slide showed this session, a fact
    not yet shown as "…" (the view computes it when presented)."""
    facts = st.session_state.get(FACTS, {}).get(step_key, {})
    return _filled(note, {name: facts.get(name, "…") for name in placeholders(note)})


def draw(slide: Slide, stage: Stage, note_slot, step_key: str = "") -> Facts:
    """Draws the slide's view (its named controls beside it) on the stage, then its note filled with the view's
    facts; a step with a question shows the question in the note's place, and nothing of the answer, until →."""
    asking = bool(slide.question) and not slide.shown
    if slide.controls and not stage.phone:
        left, right = st.columns([4, 1], gap="medium")
        view_stage = stage.share(width=0.78)
    else:
        left = right = st.container()
        view_stage = stage
    with right:
        link = controls(slide, step_key)
    with left, st.container(key="slide_view"):
        if asking and slide.poll:  # the class predicts first: the poll, and the view's question if it asks one
            facts = ask(slide, link, view_stage, step_key)
        elif asking and not slide.view.asks:  # nothing of the answer before the reveal
            facts = slide.view.facts(link) if slide.view.facts else {}
            st.caption("→ reveals the answer.")
        elif slide.poll and slide.shown and not stage.phone:  # the answer, the class's answers beside it
            from ui.poll import results
            view_col, class_col = st.columns([3, 1], gap="small")
            with view_col:
                facts = slide.view.draw(link, view_stage.share(width=0.74), True) if slide.view.draw else {}
            with class_col:  # the question as ``ask`` put it (its model's answer from the view's facts)
                asked = slide.view.facts(link) if slide.view.facts else {}
                results(poll_question(slide, asked), step_key=step_key or "slide")
        else:
            facts = slide.view.draw(link, view_stage, slide.shown) if slide.view.draw else {}
    note_slot.markdown(f"**{slide.question}**" if asking else _filled(slide.note, facts))
    if step_key:
        st.session_state.setdefault(FACTS, {})[step_key] = facts
    return facts


def poll_question(slide: Slide, facts: Facts) -> dict:
    """The question a step's poll asks the phones, with the model's answer read from the view's facts."""
    p = slide.poll or {}
    answer = facts.get(p.get("answer", ""))
    q = {"prompt": slide.question, "kind": p.get("kind")}
    if q["kind"] == "choice":
        opts = p["options"] if isinstance(p["options"], list) else facts.get(p["options"], "").split("|")
        opts = [o for o in opts if o]
        q.update(options=opts, model_answer=answer if isinstance(answer, dict) or answer in opts else None)
    else:
        q.update(lo=p["lo"], hi=p["hi"], unit=p.get("unit", ""),
                 model_answer=float(answer) if answer not in (None, "") else None)
    return q


def ask(slide: Slide, link: Mapping[str, str], stage: Stage, step_key: str) -> Facts:
    """Before the reveal of a polled step: the view's question (where it draws one) beside the class poll; the
    model's answer is computed now, from the result the view will show, and revealed with the class's."""
    from ui.poll import poll_panel

    facts = slide.view.facts(link) if slide.view.facts else {}
    if slide.view.asks:
        left, right = (st.container(), st.container()) if stage.phone else st.columns([1, 2.2], gap="medium")
        with left:
            slide.view.draw(link, Stage(stage.width // (1 if stage.phone else 3), stage.height), False)
    else:
        right = st.container()
    with right:
        poll_panel(poll_question(slide, facts), step_key=step_key or "slide", prompt=False)  # the note asks
    return facts


ARRIVED = "_slide_at"  # session state: (the step whose slide was drawn last, how many arrivals so far)


def controls(slide: Slide, step_key: str = "") -> dict[str, str]:
    """The widgets a step's note names, from their page's declaration (the same key as on the page), set to the
    step's link on arrival -> the link the view draws: the step's, with the controls' values as moved since."""
    from ui.controls import widget
    from ui.state import read_link, url_text

    s, link = st.session_state, dict(slide.link)
    if s.get(ARRIVED, ("", 0))[0] != step_key:  # a new arrival: the controls open on the step's link again
        s[ARRIVED] = (step_key, s.get(ARRIVED, ("", 0))[1] + 1)
    arrival = s[ARRIVED][1]
    for key in slide.controls:
        if (found := control_of(key)) is None:
            continue
        spec, prefix, name = found
        start = read_link({name: spec[name]}, {name: link[key]} if key in link else {})[0][name]
        with st.container(key=key):  # named as on the page (its CSS class); the widget is this arrival's own
            link[key] = url_text(widget(spec, prefix, name, start=start, as_key=f"_slide_{arrival}_{key}"))
    return link


def control_of(key: str) -> tuple[Mapping, str, str] | None:
    """A widget key's page spec, prefix and name in the spec (``"mi_clip_b"`` -> the MNAR images spec, "mi_",
    "clip_b"); None for a key no page declares."""
    from ui.links import SPECS

    return next(((spec, p, key[len(p):]) for p, spec in SPECS.items() if key.startswith(p) and key[len(p):] in spec),
                None)
