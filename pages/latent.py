"""Latent explorer: what a generator's latent space means, for the shipped WGANs (arXiv 1701.07875, penalties arXiv
1704.00028 / 1709.08894) and VAEs: GANSpace directions (arXiv 2004.02546), slerp (arXiv 1609.04468). Computing:
dgm_core.demos.latent; cached explorers ui.latent_view; drag-following sliders ui.latent_slider.
"""
import streamlit as st

from dgm_core.demos import latent as demo
from ui import latent_view as v
from ui import latent_slider, loaders, plots
from ui.controls import widget
from ui.imaging import png_bytes
from ui.pages import setup_page
from ui.player import player
from ui.state import sync_url, url_state

setup_page()

P = v.PAGE.prefix
MODELS = loaders.shipped(demo.MODELS)
SPEC = demo.CONTROLS
s = st.session_state
url_state(SPEC, P)

st.title("Latent explorer: what a generator's latent space means")
st.markdown(
    "A generator turns a vector z of random numbers into an image. Move z along a direction and watch what "
    "changes; compare walking between two seeds in latent space with cross-fading their pictures. The WGANs "
    "and the VAEs share the tools, so you can compare how a GAN and a VAE arrange the same data.")
if not MODELS:
    st.error("No generator is installed in `pretrained/`; train one with `python -m dgm_core train wgan-mnist`.")
    st.stop()



def _opening_seed() -> None:
    """Another generator opens on its own seed, the one bench wgan chose by its recorded rule (0 where it chose
    none)."""
    s[P + "seed"] = demo.measured(s[P + "model"]).get("opening_seed", 0)


c_model, c_seed, c_kind, c_dirs = st.columns([1.3, 0.7, 1.0, 2.0], gap="medium")  # the chips need the room
name = widget(SPEC, P, "model", c_model, on_change=_opening_seed)
widget(SPEC, P, "seed", c_seed)
kind = widget(SPEC, P, "kind", c_kind, horizontal=True)
with loaders.server_files():  # a corrupted or missing model: one sentence
    ex = v.explorer(name)
n_avail = demo.N_DIRS if kind == "pca" else ex.latent
dirs = [d for d in s[P + "dirs"] if 0 <= d < n_avail] or list(range(5))  # the link's, checked for the first kind
vals = (list(s[P + "vals"]) + [0.0] * len(dirs))[:len(dirs)]
picked = c_dirs.multiselect("Directions to move (up to 6)", list(range(n_avail)), default=dirs,
                            max_selections=demo.MAX_DIRS, format_func=lambda i: v.chip_name(ex, kind, i),
                            key=f"{P}pick_{name}_{kind}",
                            help="PC k (x%): the k-th GANSpace direction, which carries x% of the variance of the "
                                 "generator's first-layer features. z[i]: the i-th coordinate of z.")
if picked != dirs:  # keep a direction's value when others are added or removed
    vals = [vals[dirs.index(d)] if d in dirs else 0.0 for d in picked]
    dirs = picked
s[P + "dirs"], s[P + "vals"] = dirs, vals
try:
    directions = ex.directions(kind, dirs)
except demo.LatentError as e:
    st.error(str(e))
    st.stop()
critic, critic_name = v.critic_for(name)
big = 4 if demo.MODELS[name][0] == "celeba" else 3  # magnification: 32-px faces, 28-px digits

st.image(png_bytes(v.pil_row(demo.samples(ex, s[P + "seed"], 16), 2, highlight=0)), width="content",
         caption=f"Samples from seeds {s[P + 'seed']} to {s[P + 'seed'] + 15}: the framed one is explored below.")
facts = demo.measured(name)
if "quality" in facts:
    q = facts["quality"]
    st.caption(f"Sample quality (`python -m dgm_core bench wgan`): Fréchet distance {q['frechet_distance']} in the "
               f"features of {q['features']}, {q['n']} samples against {q['reference']}; real test images score "
               f"{q['floor']} (the floor). Our own features, so not comparable with published FIDs."
               + (v.recognisable_note(q["recognisable"], loaders.card(name), facts.get("progress"))
                  if "recognisable" in q else ""))

t_slide, t_grid, t_interp = st.tabs(SPEC["tab"].choices, key=P + "tab",
                                    on_change="rerun")


BROWSER = loaders.card(name).get("browser") or {}  # the generator's ONNX export, which the visitor's browser runs


def server_draws(*keys: str) -> str | None:
    """Why the server must draw (None: the browser draws): no export, or a panel's browser said it cannot, which
    holds for the session's other panels too (a closed tab's panel forgets its state)."""
    if not BROWSER:
        return "no ONNX export of this generator is installed"
    reason = s.get(P + "no_browser") or next((r for k in keys if (r := latent_slider.fallback_reason(k))), None)
    if reason:
        s[P + "no_browser"] = reason
    return reason


@st.fragment
def sliders() -> None:
    """The slider panel reruns alone on a release, so the page's other parts are not redrawn. The generator runs
    in the visitor's browser unless the browser said it cannot (then the server sends frames)."""
    values = (list(s[P + "vals"]) + [0.0] * len(dirs))[:len(dirs)]
    try:
        demo.check_values(values)
    except demo.LatentError as e:
        st.error(f"{e} Press Reset to start again from z.")
        values = [0.0] * len(dirs)

    def released() -> None:
        new = list(s[P + "panel"].get("values") or [])  # the component's state: a mapping
        if len(new) == len(dirs):
            s[P + "vals"] = [float(x) for x in new]

    caption = f"{v.LABELS[name]}, seed {s[P + 'seed']}"
    reason = server_draws(P + "panel")
    if reason is None:
        latent_slider.browser_sliders(
            model=latent_slider.model_url(BROWSER), z0=demo.base_latent(ex, s[P + "seed"]), dirs=directions.vectors,
            shape=ex.shape, caption=caption, names=directions.names, values=values, eps=demo.SLIDER_EPS,
            key=P + "panel", url_key=P + "vals", on_change=released, on_fallback=lambda: None)
    else:
        img, strips = demo.slider_view(ex, s[P + "seed"], directions, values)
        latent_slider.server_sliders(
            main=img, caption=caption, names=directions.names, values=values, strips=strips, eps=demo.SLIDER_EPS,
            key=P + "panel", on_change=released, on_fallback=lambda: None,
            note=f"Frames from the server: {reason}. A drag shows the dragged slider's frames; a release redraws.")
    c1, c2 = st.columns([1, 4], vertical_alignment="center")
    c1.button("Reset sliders to 0", key=P + "reset", on_click=lambda: s.update({P + "vals": [0.0] * len(dirs)}))
    c2.caption(("Drag any slider: your browser runs the generator and redraws the picture as it moves (every "
                "slider counts); on release the strips under the sliders are redrawn from the new point. "
                if reason is None else "Drag a slider: the picture follows it frame by frame; on release the other "
                "strips are redrawn from the new point. ")
               + (v.explained_text(ex, dirs) if kind == "pca" else "Raw coordinates are rarely meaningful "
                  "alone: each mixes many features, which is why GANSpace looks for directions."))

    def picture() -> bytes:  # made on click, from the final z: it costs more than the panel
        img, strips = demo.slider_view(ex, s[P + "seed"], directions, values)
        return png_bytes(v.stack_rows([v.pil_row(img[None], big)] + [v.pil_row(x, 2) for x in strips]))

    st.download_button("Download the image and strips (PNG)", picture, f"{name}_sliders.png", "image/png",
                       key=P + "dl_sl", on_click="ignore")
    sync_url(SPEC, P)


if t_slide.open:
    with t_slide:
        if dirs:
            sliders()
        else:
            st.info("Pick at least one direction above.")

if t_grid.open:
    with t_grid:
        st.markdown("**One z, each direction moved by ε = −5 … 4** (one row per direction, ε over each column; the "
                    "framed column is ε = 0, the original).")
        reason = server_draws(P + "grid", P + "panel")
        if reason is None:
            latent_slider.browser_grid(model=latent_slider.model_url(BROWSER), z0=demo.base_latent(ex, s[P + "seed"]),
                                       dirs=directions.vectors, shape=ex.shape, names=directions.names,
                                       eps=demo.lt.EPSILONS, cell=ex.shape[-1] * (big - 1), key=P + "grid",
                                       on_fallback=lambda: None)
        else:
            st.image(v.grid_picture(demo.perturbation_grid(ex, s[P + "seed"], directions), big - 1, directions.names),
                     width="content", caption=f"Drawn by the server: {reason}.")
        st.caption("In a WGAN trained on house-number digits (SVHN), single latent coordinates have been seen to turn "
                   "a 9 into an 8 or thicken strokes; here compare raw coordinates with GANSpace directions, which "
                   "usually change "
                   "one visible thing (pose, light, stroke width) more cleanly.")
        st.download_button("Download the grid (PNG)",  # made on click
                           lambda: v.grid_picture(demo.perturbation_grid(ex, s[P + "seed"], directions), big - 1,
                                                  directions.names), f"{name}_grid.png", "image/png",
                           key=P + "dl_grid", on_click="ignore")

if t_interp.open:
    with t_interp:
        widget(SPEC, P, "seed_b", width=280)
        interp = demo.interpolation(ex, s[P + "seed"], s[P + "seed_b"], critic)
        rows = [(path, v.pil_row(f, 2)) for path, f in interp.frames.items()]
        left, right = st.columns([1, 1], gap="large")
        for path, row in rows:
            left.image(png_bytes(row), caption=path, width="stretch")
        left.caption("Latent paths decode every point of the way, so each frame is an image the generator can make; "
                     "the pixel blend is a double exposure halfway. Slerp keeps |z| near the typical norm √d; lerp's "
                     "midpoint is shorter, often a blander image.")
        left.download_button("Download the strips (PNG)", lambda: png_bytes(v.stack_rows([r for _, r in rows])),
                             f"{name}_interpolation.png", "image/png", key=P + "dl_int", on_click="ignore")

        def scores(alpha: float) -> None:
            if interp.scores is None:
                st.caption("No WGAN critic for this data set is installed, so the frames are not scored.")
                return
            plots.show(st, v.score_figure(interp, alpha, critic_name), key=P + "scores")
            st.caption("The critic works on pixels in [−1, 1], as it was trained: a difference of its scores "
                       "estimates a Wasserstein distance twice the one on [0, 1] pixels.")
            if "midpoints" in facts:
                m = facts["midpoints"]
                st.caption(f"Over {m['pairs']} seed pairs (0, 1), (2, 3), … the critic scored the pixel blend's "
                           f"midpoint below slerp's in {m['pixel_mid_below_slerp_mid']} and below the mean of its "
                           f"own two ends in {m['pixel_mid_below_both_ends']} (`python -m dgm_core bench wgan`).")

        @st.fragment
        def interpolation_player() -> None:
            """In the browser: α moves and plays there (back and forth, 5 s a pass, until Pause), the release (or
            Pause) brings α here for the URL and the critic's marker. Server frames otherwise: a player that reruns
            this fragment a frame at a time."""
            reason = server_draws(P + "interp", P + "panel")
            if reason is None:
                def moved() -> None:
                    a = (s[P + "interp"] or {}).get("alpha")
                    if a is not None:
                        s[P + "alpha"] = min(demo.ALPHAS, key=lambda x: abs(x - float(a)))

                latent_slider.browser_interpolation(
                    model=latent_slider.model_url(BROWSER), z0=demo.base_latent(ex, s[P + "seed"]),
                    z1=demo.base_latent(ex, s[P + "seed_b"]), shape=ex.shape, alpha=s[P + "alpha"],
                    paths=list(interp.frames), cell=ex.shape[-1] * big, seconds=5.0, key=P + "interp",
                    on_alpha=moved, on_fallback=lambda: None)
                sync_url(SPEC, P)
                scores(s[P + "alpha"])
                return
            with player(demo.ALPHAS, key=P + "alpha", button_key=P + "play", label="α",
                        format_func=lambda a: f"{a:.1f}") as alpha:
                i = int(round(alpha * (len(interp.alphas) - 1)))
                cols = st.columns(len(interp.frames))
                for col, (path, f) in zip(cols, interp.frames.items()):
                    col.image(png_bytes(v.pil_row(f[i:i + 1], big)), caption=f"{path}, α = {alpha:.1f}",
                              width="stretch")
                sync_url(SPEC, P)  # a playing player reruns only this fragment: α must reach the URL here
                scores(alpha)

        with right:
            interpolation_player()

sync_url(SPEC, P)
