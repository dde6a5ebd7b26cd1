"""The critics page: squared Hellinger (f-GAN, Nowozin et al., arXiv 1606.00709) vs Wasserstein-1 (Arjovsky et al.,
arXiv 1701.07875; one-sided penalty, Petzka et al., arXiv 1709.08894) on the parallel lines, against theta.
The sweep is dgm_core.results.critics; figures and live retrain ui.critics_view: the retrain runs in the visitor's
browser (static/js/workers/toy_train.worker.js), or on the server where the browser cannot. DGM_CRITICS_STEPS sets the
live retrain's steps per critic (default dgm_core.demos.critics.BROWSER, LIVE on the server), for a quick check of the
page.
"""
import os

import streamlit as st

from dgm_core import results
from dgm_core.demos import critics as demo
from ui import critics_view as v
from ui import plots
from ui.controls import widget
from ui.pages import setup_page
from ui.run import kept
from ui.state import sync_url, url_state
from ui.trainer import fallback_reason

setup_page()

P = v.PAGE.prefix
SPEC = demo.CONTROLS
s = st.session_state
url_state(SPEC, P)

st.title("Critics: squared Hellinger vs Wasserstein")
st.markdown(
    "A GAN's critic estimates a divergence between the data P and the generator's distribution Q_θ by "
    "maximising a variational objective over functions T. Here P lies on the vertical segment x₁ = 0 and Q_θ "
    "on the same segment shifted right by θ (the *parallel lines* of the WGAN paper, Arjovsky et al.), so "
    "for θ ≠ 0 the two do not overlap at all. At each θ a fresh critic (a small MLP) is trained for each of "
    "two divergences: the f-GAN bound of the **squared Hellinger** distance (Nowozin et al.) and the dual of "
    "the **Wasserstein-1** distance with a one-sided Lipschitz penalty (Petzka et al.).")

try:
    sw: results.CriticsSweep | None = results.critics()
except results.ResultsError as e:
    st.error(str(e))
    sw = None

theta = widget(SPEC, P, "theta")
reason = fallback_reason(v.BROWSER_RETRAIN)  # None: the visitor's browser retrains
live = v.browser_result() if reason is None else (kept(v.RETRAIN).value if kept(v.RETRAIN) else None)
c_sweep, c_samples = st.columns([3, 2], gap="medium")
with c_sweep:
    if sw is not None:
        plots.show(st, v.sweep_figure(sw, theta, live if live and live["theta"] == theta else None),
                        key=P + "sweep_fig")
        cfg = sw.config
        st.caption(
            f"Each marker: a fresh critic ({int(cfg['depth'])} hidden layers of {int(cfg['hidden'])}, LeakyReLU) "
            f"trained {int(cfg['steps'])} Adam steps (batch {int(cfg['batch'])}, learning rate {cfg['lr']:g}; "
            f"penalty weight {cfg['penalty_weight']:g} for Wasserstein) at one θ, then evaluated on "
            f"{int(cfg['eval_n'])} fresh points of each distribution; seed {sw.seed}. Dashed: the true values. "
            f"The whole sweep took {sw.seconds:.0f} s on one CPU thread: `{sw.command}` writes "
            f"`{results.source('critics')}`. The dotted line is the θ of the slider.")
with c_samples:
    plots.show(st, v.samples_figure(theta), key=P + "samples_fig")
    st.caption("P is the data; Q_θ is what a generator with a single parameter θ makes. Both put x₂ uniform "
               "on [0, 1]; only the horizontal position differs.")

st.subheader("Why that difference made WGANs trainable")
st.markdown(
    "For every θ ≠ 0 the squared Hellinger distance sits at its maximum, the same whether Q_θ is a hair's "
    "breadth or far from P, so its gradient with respect to θ is zero and a generator trained on it gets no "
    "signal which way to move. The Wasserstein distance grows like |θ|, and its critic's slope across the gap "
    "points the generator towards the data at every distance, even when the two supports do not overlap: "
    "that usable gradient is what made WGANs trainable.")

st.subheader("Retrain both critics at θ")
if reason is None:
    v.browser_retrain_panel(theta, sw, int(os.environ.get("DGM_CRITICS_STEPS", demo.BROWSER.steps)))
else:
    st.info(f"This browser cannot retrain here ({reason}): the server retrains instead, taking turns with the other "
            "visitors' runs.", icon=":material/dns:")
    v.retrain_panel(theta, sw, int(os.environ.get("DGM_CRITICS_STEPS", demo.LIVE.steps)))

if sw is not None:
    st.download_button("Download the sweep (CSV)", sw.csv(), "critics_sweep.csv", "text/csv", key=P + "dl_sweep",
                       on_click="ignore", icon=":material/download:")
    st.caption("The figures' own toolbar (camera icon, top right of each) saves them as PNG.")

sync_url(SPEC, P)
if reason:  # the server retrains: its optimiser's slow import, last (the page is drawn before it competes for the CPU)
    v.preload_optimiser()
