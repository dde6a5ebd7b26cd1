"""Flow matching in 2-D: a student draws points (or picks a toy), their browser trains a small flow-matching model on
them in seconds (a Web Worker, static/js/workers/flow_train.worker.js; ``dgm_core.models.flow2d`` is the reference and
the server's fallback), and time is scrubbed: points of noise moving to the data along their paths, and the learned
velocity field as arrows. The drawing travels in the link, and the GAN training page can train on it too.
"""
import streamlit as st

from dgm_core import results
from dgm_core.demos import flow2d as demo
from dgm_core.pretrained import PretrainedError
from dgm_core.results import ResultsError
from ui import flow2d_view as v
from ui import gan_view
from ui.controls import widget
from ui.trainer import fallback_reason
from ui.flow_samples import path_times, steps_figure
from ui.flow_samples import pictures as flow_pictures
from ui.plots import show
from ui.pages import setup_page
from ui.state import sync_url, url_state

setup_page()

P = v.PAGE.prefix
SPEC = demo.CONTROLS
s = st.session_state
url_state(SPEC, P)
PANEL = P + "panel"

st.title("Flow matching in 2-D: from noise to your data")
left, right = st.columns([1.25, 1], gap="large")  # the picture first: on a phone it comes before the text
with right:
    st.markdown("A flow model learns a **velocity field**: push a cloud of Gaussian noise along it from t = 0 to "
                "t = 1 and the cloud becomes the data. Pick a shape or **draw your own**, then drag the time slider.")
    data = widget(SPEC, P, "data")
    c_steps, c_seed = st.columns(2)
    steps, seed = int(widget(SPEC, P, "steps", c_steps)), int(widget(SPEC, P, "seed", c_seed))
    points = v.drawn(PANEL, P + "pts")
    reason = fallback_reason(PANEL)
    if reason is not None:
        st.info(f"This browser cannot train here ({reason}): the server trains the flow instead.",
                icon=":material/dns:")
    st.markdown("It is trained by regression, with no critic and no bound: pick a noise point x₀ and a data point "
                "x₁; the straight line between them says which way to go at each point on it. **Why the paths "
                "curve** though each training line is straight: many lines cross at each point, and the field "
                "learns their average direction there.")
    if data == demo.DRAWN and len(points) >= demo.MIN_POINTS:  # the same points, against a critic
        gan = gan_view.PAGE.prefix
        gan_view.PAGE.link(label="Train a GAN on your drawing",
                           query={gan + "toy": demo.DRAWN, gan + "pts": s[P + "pts"]})
with left:
    v.panel(data, points, steps, seed, key=PANEL, server=reason is not None)

cfg = demo.config(data, steps, seed)
st.caption(f"Grey: the data. Blue: {demo.DISPLAY_N} points of noise, each carried by the learned field from t = 0 "
           f"to t (its path so far drawn faint). Arrows: the velocity at t on a {demo.GRID_N}×{demo.GRID_N} grid, "
           f"their lengths to one scale. The network: (x, y, t) → {cfg.depth} hidden layers of {cfg.hidden} (SiLU) → "
           f"a velocity; Adam, batch {cfg.batch}, {steps} steps, loss |v(x_t, t) − (x₁ − x₀)|² on x_t = (1 − t) x₀ + "
           "t x₁ (conditional flow matching on straight paths). Your browser draws its own random numbers from the "
           "seed: the same film on every visit, not the server's. The same idea in 28×28 fills holes on the "
           "Inpainting page; the GAN page learns the same shapes with a critic instead.")

st.subheader("The same idea on MNIST: the flow model's own digits")
msteps = int(widget(SPEC, P, "msteps"))
try:
    grid, strip, m = flow_pictures(msteps)
except PretrainedError as e:
    st.warning(f"The MNIST flow model is not available: {e}")
else:
    g_col, p_col = st.columns([1, 1.4], gap="large")
    measured = msteps == m["sample_steps"]
    g_col.image(grid, caption=f"64 digits of flow-mnist from fixed noise, {msteps} Heun steps each ({2 * msteps} "
                f"network evaluations){', as the model card measures them' if measured else ''}.")
    p_col.image(strip, caption=f"Six of them along their path: columns {path_times(msteps)} (t = 0 is the noise, "
                "t = 1 the digit). The shape is settled by mid-path; the last steps sharpen it.")
    st.caption(f"The card's measure of {m['samples']:,} digits at {m['sample_steps']} Heun steps: our MNIST "
               f"classifier recognises {m['confident_share']:.0%} of them with confidence ≥ 0.9 (real test digits: "
               f"{m['real_confident_share']:.0%}); Fréchet distance in its features {m['frechet_distance']:.1f} "
               f"(real digits: {m['frechet_floor']:.1f}).")
    try:
        fig, d = steps_figure()
    except ResultsError as e:
        st.info(str(e))
    else:
        few = next((r for r in d["records"] if r["steps"] == 10), d["records"][0])  # the default before the rule
        many = d["records"][-1]
        f_col, t_col = st.columns([1.4, 1], gap="large")
        show(f_col, fig, config={"displayModeBar": False})
        t_col.markdown(
            f"**Too few steps leave speckle; more do not make better digits.** With {few['steps']} steps the "
            f"integrator has not yet solved the model's own equation: twice the steps still move each pixel by "
            f"{few['solver_gap_grey_levels']:.1f} grey levels on average, and the background carries "
            f"{few['background_ratio']:.1f} × the ink of real digits. By {d['settled_steps']} steps the change is "
            f"under one grey level, the page's default (the rule: the fewest steps a screen cannot tell from twice as "
            f"many). Yet the share our classifier recognises moves little ({few['confident_share']:.0%} at "
            f"{few['steps']}, {many['confident_share']:.0%} at {many['steps']}): what the digits still lack is the "
            "network's, not the integrator's.")
        st.caption(f"{d['n']:,} digits per step count; source `{results.source('flow_steps')}`, rerun "
                   "`python -m dgm_core bench flow_steps`.")
    try:
        bars = results.document("generator_bars")["bars"]
    except ResultsError:
        bars = []
    short = [b for b in bars if b["what"].startswith("flow-mnist") and not b["meets_bar"]]
    if short:
        st.caption("Short of the bars a class needs: " + "; ".join(
            f"{b['what'].removeprefix('flow-mnist ')} {b['value']:g} against {b['bar']:g}" for b in short)
            + ". A wider network (`flow-mnist-w32`) waits for a GPU: see Results, "
            "\"The generators against the bars\" (`python -m dgm_core bench generator_bars`).")

sync_url([key for key in SPEC if key != "pts" or data == demo.DRAWN], P)  # a drawing only while shown
