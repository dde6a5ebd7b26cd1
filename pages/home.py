"""Home: what each demo shows, the shipped models with their cards, the device and the data in use."""
import json

import pandas as pd
import streamlit as st

from dgm_core import data
from dgm_core.device import describe
from ui import loaders
from ui.pages import PAGES, page_link, setup_page

setup_page()


def _key_metrics(metrics: dict) -> str:
    """The first three held-out figures of a card (training losses and counts left out)."""
    shown = [(k, v) for k, v in metrics.items() if isinstance(v, float) and not k.startswith("train")][:3]
    return ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in shown)


st.title("DGM Lab")
st.markdown(
    "An interactive lab for **deep generative models and missing data**: how a variational "
    "autoencoder, an importance-weighted bound or a mixture of factor analysers fills in what is "
    "missing, and how the way data goes missing changes the answer. Every model here was trained on "
    "this project's CPU with its own training command; every number can be re-measured."
)

st.header("Demos")
for page in PAGES:
    if page.url_path == "home":
        continue
    page_link(page)
    st.caption(page.summary)

st.header("Shipped models")
cards = loaders.cards()
if not cards:
    st.warning("No pretrained model is installed: `pretrained/` has no model cards. "
               "Train one with `python -m dgm_core train vae-mnist`.")
else:
    rows = [{
        "model": c["name"], "family": c["family"], "trained on": c["data"],
        "key metrics": _key_metrics(c["metrics"]),
        "training time": f"{c['training_time_s'] / 60:.1f} min", "seed": c["seed"],
        "sha256": c["sha256"][:12] + "…",
    } for c in cards]
    st.table(pd.DataFrame(rows).set_index("model"))
    for c in cards:
        with st.expander(f"Model card: {c['name']}"):
            st.markdown(f"**Rebuild:** `{c['command']}`  \n{c['notes']}")
            st.code(json.dumps(c, indent=2), language="json")

st.header("This machine")
col1, col2 = st.columns(2)
col1.metric("Device in use", describe(loaders.device()).split(" · ")[0])
col1.caption(describe(loaders.device()))
root = data.data_dir()
with col2:
    if root is None:
        st.warning(
            "No data directory is set, so galleries of real images and the UCI tables (except breast "
            "cancer, bundled with scikit-learn) are unavailable; the pretrained models, uploads and "
            "drawing still work. Point the app at the datasets with "
            "`DGM_DATA_DIR=/path/to/data make run` (torchvision layout: `MNIST/raw/…`, plus the "
            "`omniglot/`, `celeba/` and `uci/` files described in the README)."
        )
    else:
        status = {name: data.available(name) for name in (*data.IMAGE_DATASETS, *data.TABLES)}
        st.markdown(f"**Data directory:** `{root}`")
        st.table(pd.DataFrame({"dataset": list(status), "found": ["yes" if v else "no" for v in status.values()]})
                 .set_index("dataset"))
