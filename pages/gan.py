"""GAN training, live: the same small generator trained on a 2-D toy against a squared-Hellinger critic (f-GAN) and a
Wasserstein critic with a gradient penalty, side by side, a few steps a frame (``dgm_core.demos.gan``). The critics
page's lesson, animated: when the generator starts away from the data the Hellinger critic saturates and gives no
direction, the Wasserstein critic keeps a slope.
"""
import streamlit as st

from dgm_core.demos import critics as critics_demo
from dgm_core.demos import gan as demo
from dgm_core.models.critics import KINDS
from ui import gan_view as v
from ui import links, plots
from ui.pages import setup_page
from ui.state import sync_url, url_state

setup_page()

P = "gan_"
SPEC = links.gan()
s = st.session_state
url_state(SPEC, P)
PLAYING = P + "playing"

st.title("GAN training: Hellinger against Wasserstein, live")
st.markdown("One generator, two critics. Both generators start as the same small blob **away from the data**; "
            "press **Play** and watch which one the critic leads to the data. The shading is the critic's "
            "function T (light: high); each generator moves its points up that slope.")

c_toy, c_lr, c_k, c_buttons = st.columns([1.3, 1, 1, 1.6], vertical_alignment="bottom")
toy = c_toy.selectbox("Data", list(links.TOY_NAMES), format_func=links.TOY_NAMES.get, key=P + "toy")
lr = c_lr.select_slider("Learning rate", options=links.GAN_LRS, key=P + "lr", format_func=lambda x: f"{x:g}")
k = c_k.number_input("Critic steps per generator step", 1, 10, key=P + "k")
setting = (toy, lr, int(k))
if s.get(P + "race") is None or s[P + "setting"] != setting:  # a new setting starts both generators again
    s[P + "race"], s[P + "setting"], s[PLAYING] = demo.Race(toy, lr, int(k)), setting, False
race: demo.Race = s[P + "race"]

play, step, reset = c_buttons.columns(3)
playing = s[PLAYING] is not False  # while playing: the step to pause at


def _toggle() -> None:
    r = s[P + "race"]
    s[PLAYING] = False if s[PLAYING] is not False else min(r.steps + demo.PLAY_STEPS, demo.MAX_STEPS)


play.button("Pause" if playing else "Play", icon=":material/pause:" if playing else ":material/play_arrow:",
            key=P + "play", type="primary", disabled=race.done, on_click=_toggle, width="stretch",
            help=f"{demo.PLAY_STEPS} generator steps of each, {demo.STEPS_PER_FRAME} a frame, then a pause")
if step.button("Step", key=P + "step", disabled=playing or race.done, width="stretch",
               help="One generator step of each, with its critic steps"):
    race.advance()
if reset.button("Reset", key=P + "reset", width="stretch", help="Both generators back to the start"):
    s[P + "race"], s[PLAYING] = demo.Race(toy, lr, int(k)), False
    race = s[P + "race"]


@st.fragment(run_every=demo.FRAME_SECONDS if playing else None)
def training() -> None:
    """A frame: each generator a few steps further while playing, then both panels, the curves and the verdict."""
    r: demo.Race = s[P + "race"]
    if s[PLAYING] is not False:
        r.advance(min(demo.STEPS_PER_FRAME, s[PLAYING] - r.steps))
        if r.steps >= s[PLAYING]:
            s[PLAYING] = False
            st.rerun()  # the whole page: Play comes back
    left, right = st.columns(2, gap="medium")
    for kind, col in zip(KINDS, (left, right)):
        plots.show(col, v.field_figure(r, kind), key=f"{P}field_{kind}", config={"displayModeBar": False})
    st.markdown(demo.verdict(r, critics_demo.LABELS))
    plots.show(st, v.history_figure(r), key=P + "history", config={"displayModeBar": False})
    if r.done:
        st.info(f"Both generators ran the {demo.MAX_STEPS} steps a session may run here; Reset starts again.")


training()
st.caption(f"Each generator: 2-{race.gans[KINDS[0]].cfg.hidden}-{race.gans[KINDS[0]].cfg.hidden}-2 (ReLU) from "
           "z ~ N(0, I₂); each critic 3 hidden layers, Adam (0.5, 0.9), batch "
           f"{race.gans[KINDS[0]].cfg.batch}, {int(k)} critic steps per generator step. Hellinger: the f-GAN bound "
           "E_P[1 − e^(−T)] + E_Q[1 − e^T]; Wasserstein: E_P[T] − E_Q[T] with a one-sided gradient penalty (weight "
           f"{race.gans[KINDS[1]].cfg.penalty_weight:g}). Same seed, same film. The distance plot: the mean distance "
           "from each generated point to the nearest data point.")
sync_url(SPEC, P)
