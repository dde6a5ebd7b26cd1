"""GAN training, live: the same small generator trained on a 2-D toy against a squared-Hellinger critic (f-GAN) and a
Wasserstein critic with a gradient penalty, side by side, trained in the visitor's browser (a Web Worker,
static/js/workers/toy_train.worker.js; ``ui.gan_view``, static/js/panels/gan_panel.js) or, where the browser cannot, a
few steps a server run (``dgm_core.demos.gan``). The critics page's lesson, animated: when the generator starts away
from the data the Hellinger critic saturates and gives no direction, the Wasserstein critic keeps a slope.
"""
import streamlit as st

from dgm_core.demos import critics as critics_demo
from dgm_core.demos import gan as demo
from server.gan_player import Player
from ui import gan_view as v
from ui.controls import widget
from ui.pages import setup_page
from ui.serving import shared
from ui.state import sync_url, url_state

setup_page()

P = v.PAGE.prefix
SPEC = demo.CONTROLS
s = st.session_state
url_state(SPEC, P)
PLAYING, SHOTS, RACE_ID, PLAYER = P + "playing", P + "shots", P + "race_id", P + "player"  # SHOTS: kept over a rerun

st.title("GAN training: Hellinger against Wasserstein, live")
st.markdown("One generator, two critics. Both generators start as the same small blob **away from the data**; "
            "press **Play** and watch which one the critic leads to the data. The shading is the critic's "
            "function T (light: high); each generator moves its points up that slope.")

PANEL = P + "panel"  # the browser trainer's panel: its state holds the last step it reported, or why it cannot train
reason = v.fallback_reason(PANEL)
cols = st.columns([1.3, 1, 1, 1.6] if reason else [1.3, 1, 1], vertical_alignment="bottom")  # the server's buttons: 4th
c_toy, c_lr, c_k = cols[:3]
toy, lr, k = widget(SPEC, P, "toy", c_toy), widget(SPEC, P, "lr", c_lr), widget(SPEC, P, "k", c_k)
points = v.drawn_points(toy, P + "pts")  # DRAWN: the 2-D flow page's drawing, from the link; else ()
KEYS = [key for key in SPEC if key != "pts" or points]  # the link carries a drawing only while it is used
if points is None:  # DRAWN without a usable drawing: said, with the way to make one
    sync_url(KEYS, P)
    st.stop()
setting = (toy, lr, int(k), points)
cfg = demo.ToyConfig()
CAPTION = (f"Each generator: 2-{cfg.hidden}-{cfg.hidden}-2 (ReLU) from z ~ N(0, I₂); each critic 3 hidden layers, Adam "
           f"(0.5, 0.9), batch {cfg.batch}, {int(k)} critic steps per generator step. Hellinger: the f-GAN bound "
           "E_P[1 − e^(−T)] + E_Q[1 − e^T]; Wasserstein: E_P[T] − E_Q[T] with a one-sided gradient penalty (weight "
           f"{cfg.penalty_weight:g}). ")

if reason is None:  # the visitor's browser trains: nothing here but the verdict on what it reports
    v.browser_panel(toy, lr, int(k), key=PANEL, on_frame=lambda: None, on_fallback=lambda: None, points=points)
    last = v.reported(PANEL, *setting)
    st.markdown(demo.verdict_of(*last, critics_demo.LABELS) if last else demo.verdict_of(0, {}, critics_demo.LABELS))
    if last and last[0] >= demo.MAX_STEPS:
        st.info(f"Both generators ran the {demo.MAX_STEPS} steps a film has here; Reset starts again.")
    st.caption(CAPTION + "Same seed, same film: your browser draws its own random numbers (seed 0), so its film is "
               "the same on every visit (another processor may round differently and drift a little), though not "
               "the server's (torch draws other numbers). The distance plot: the mean distance from each generated "
               "point to the nearest data point.")
    sync_url(KEYS, P)
    st.stop()

st.info(f"This browser cannot train here ({reason}): the server trains both generators instead, taking turns with "
        "the other visitors' runs.", icon=":material/dns:")


def _new_race() -> None:
    if s.get(PLAYER) is not None:
        s[PLAYER].pause()
    s[P + "race"], s[P + "setting"] = demo.Race(toy, lr, int(k), points=points), setting
    s[PLAYING], s[SHOTS] = False, []
    s[PLAYER] = Player(s[P + "race"], shared().queue)  # a Play takes its turn with the server's heavy runs
    s[RACE_ID] = s.get(RACE_ID, 0) + 1  # the browser's film starts again


if s.get(P + "race") is None or s[P + "setting"] != setting:  # a new setting starts both generators again
    _new_race()
race: demo.Race = s[P + "race"]
player: Player = s[PLAYER]

play, step, reset = cols[3].columns(3)
playing = s[PLAYING] is not False  # while playing: the step to pause at


def _toggle() -> None:
    p = s[PLAYER]
    if s[PLAYING] is not False:
        p.pause()
        s[PLAYING] = False
    else:
        s[PLAYING] = min(p.race.steps + demo.PLAY_STEPS, demo.MAX_STEPS)
        p.play(s[PLAYING])


play.button("Pause" if playing else "Play", icon=":material/pause:" if playing else ":material/play_arrow:",
            key=P + "play", type="primary", disabled=race.done, on_click=_toggle, width="stretch",
            help=f"{demo.PLAY_STEPS} generator steps of each, every step drawn, then a pause")
if step.button("Step", key=P + "step", disabled=playing or race.done, width="stretch",
               help="One generator step of each, with its critic steps"):
    player.step()
if reset.button("Reset", key=P + "reset", width="stretch", help="Both generators back to the start"):
    _new_race()
    race, player = s[P + "race"], s[PLAYER]


@st.fragment(run_every=demo.RUN_SECONDS if playing else None)
def training() -> None:
    """While playing, the player trains in its own thread; each run sends the pictures of the steps trained since
    the last one (the browser plays them a step a frame) and says what the last step shows."""
    p: Player = s[PLAYER]
    shots = s[SHOTS] + p.take()
    if s[PLAYING] is not False and not p.playing:  # the player reached its step: Play comes back
        s[PLAYING], s[SHOTS] = False, shots
        st.rerun()  # the whole page; these pictures go with it
    s[SHOTS] = []
    if place := p.place:
        st.info(f"Queued: place {place} for one of {shared().queue.slots} slot(s) on this server; Play starts when "
                "the runs ahead of it finish.", icon=":material/hourglass_top:")
    r = p.race
    with p.lock:
        v.panel(r, f"{r.toy}|{r.lr}|{r.critic_steps}|{s[RACE_ID]}", shots, key=P + "server_panel")
        st.markdown(demo.verdict(r, critics_demo.LABELS))
        done = r.done
    if done:
        st.info(f"Both generators ran the {demo.MAX_STEPS} steps a session may run here; Reset starts again.")


training()
st.caption(CAPTION + "Same seed, same film. The distance plot: the mean distance from each generated point to the "
           "nearest data point.")
sync_url(KEYS, P)
