"""Home: a lesson map. What each demo teaches, a picture of each, and a short glossary.

Provenance (model cards, hashes, the device, the data directory) lives on the About page.
"""
import io
from pathlib import Path

import streamlit as st

from dgm_core.device import describe
from ui import catalog, loaders
from ui.catalog import PAGES
from ui.pages import setup_page

setup_page()
ASSETS = Path(__file__).resolve().parents[1] / "assets"


@st.cache_resource(show_spinner=False, max_entries=32)
def screenshot_jpeg(path: str, mtime: float) -> bytes:
    """A page's screenshot as the JPEG Streamlit sends for it (a PNG without alpha, quality 90), encoded once per
    server: given the PNG's path, ``st.image`` decodes and re-encodes it on every run of this page, for every
    visitor."""
    from PIL import Image

    buf = io.BytesIO()
    with Image.open(path) as img:
        (img if img.mode == "RGB" else img.convert("RGB")).save(buf, format="JPEG", quality=90)
    return buf.getvalue()


st.title("DGM Lab")
st.markdown(
    "An interactive lab for **deep generative models and missing data**: how a variational autoencoder, an "
    "importance-weighted bound or a mixture of factor analysers fills in what is missing, and how the way data "
    "goes missing changes the answer. Every model here was trained by this project's own training command; "
    "every number can be re-measured (see **About**). Teaching with it? **Decks** presents a lecture as live views, "
    "step by step with ← and →, and makes your own.")
# one click from here: at a projector's 1280 px the top bar folds Decks under "more"
catalog.page("decks").link(label="Decks: present a lecture, or make your own")

st.header("What each demo teaches")
for page in PAGES:
    if not page.lesson:
        continue
    pic, text = st.columns([1, 1.6], gap="medium", vertical_alignment="center")
    shot = ASSETS / f"{page.url_path}.png"
    if shot.exists():
        pic.image(screenshot_jpeg(str(shot), shot.stat().st_mtime), output_format="JPEG", width="stretch")
    with text:
        page.link()
        st.markdown(page.lesson)
        st.caption(page.summary)

st.header("Glossary")
st.markdown("""
- **DLVM** (deep latent variable model): data x made from a hidden code z by a neural network, \
p(x) = ∫ p(x | z) p(z) dz.
  A **VAE** is one, with an **encoder** q(z | x) that guesses the code of a given x.
- **ELBO**: the evidence lower bound, log p(x) ≥ E_q[log p(x, z) − log q(z | x)]; what a VAE maximises. The gap is
  the KL divergence from the encoder to the true posterior p(z | x).
- **Importance sampling / IWAE bound L_K**: average K weights p(x, z_k) / q(z_k | x) before taking the log; the bound
  tightens as K grows. **MIWAE** trains on it with missing pixels left out of p(x | z).
- **Effective sample size (ESS)**: how many independent draws a sample is worth. For K weighted draws, (Σw)² / Σw²:
  near 1, one draw decides. For a Markov chain, its length shrunk by the correlation between successive states.
- **MCAR / MAR / MNAR**: missing completely at random (a coin decides), at random (the observed values decide), not at
  random (the missing value itself decides, as when a sensor saturates).
- **Metropolis–Hastings acceptance**: a proposed move is kept with a probability that makes the chain sample the exact
  target; a chain that accepts almost nothing barely moves. **Pseudo-Gibbs** keeps every move and samples \
something else.
- **MWG (Metropolis-within-Gibbs)**: the exact sampler of a VAE's p(x_missing | x_observed): it alternates a z-move
  that is accepted or rejected (HMC, following the decoder's gradient, or the encoder's proposal) with a fresh draw
  of the missing pixels given z.
- **Flow matching**: a network learns a velocity that carries noise (t = 0) to data (t = 1) along straight paths; a
  sample integrates it. Filling a hole by pinning the observed pixels along that path (as RePaint does for diffusion)
  needs no training, but samples no model's conditional.
- **Split-R̂**: compares several chains; near 1 when they agree, above 1.1 when they have not mixed.
- **F1 on missing pixels**: how well the ink of the hidden part is recovered (the fill thresholded at 0.5).
- **Clustering accuracy / ARI**: clusters have no names, so each is matched to one digit by the assignment that agrees
  most (the Hungarian algorithm) before counting; the adjusted Rand index compares the two groupings without matching,
  0 for chance and 1 for identical.
- **t-SNE**: a 2-D picture that keeps each point's neighbours near it; cluster sizes and the gaps between them \
mean little.
""")

st.caption(f"Computing on: {describe(loaders.device())}. Models, their cards and the data directory: see **About**.")
