"""About and reproducibility: the shipped models with their cards, the device, the data directory."""
import json

import pandas as pd
import streamlit as st

from dgm_core import data
from dgm_core.device import describe
from ui import loaders
from ui.pages import setup_page

setup_page()


def _key_metrics(metrics: dict) -> str:
    """The first three held-out figures of a card (training losses and counts left out)."""
    shown = [(k, v) for k, v in metrics.items() if isinstance(v, float) and not k.startswith("train")][:3]
    return ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in shown)


st.title("About and reproducibility")
st.markdown(
    "Every model the app uses ships in `pretrained/` with a card: its configuration, the data, the seed, the "
    "training time and device, its test metrics, the sha256 of its weights (checked at every load) and the "
    "command that rebuilds it. Every figure on the pages and in the README comes from a card or from a file "
    "under `benchmarks/results/` written by a command you can rerun.")

st.header("Shipped models")
cards = loaders.cards()
if not cards:
    st.warning("No pretrained model is installed: `pretrained/` has no model cards. "
               "Train one with `python -m dgm_core train vae-mnist`.")
else:
    rows = [{"model": c["name"], "family": c["family"], "trained on": c["data"],
             "key metrics": _key_metrics(c["metrics"]),
             "training time": f"{c['training_time_s'] / 60:.1f} min", "seed": c["seed"], "sha256": c["sha256"]}
            for c in cards]
    st.dataframe(pd.DataFrame(rows).set_index("model"), width="stretch")
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
            "`omniglot/`, `celeba/` and `uci/` files described in docs/GUIDE.md, Data)."
        )
    else:
        status = {name: data.available(name) for name in (*data.IMAGE_DATASETS, *data.TABLES)}
        st.markdown(f"**Data directory:** `{root}`")
        st.table(pd.DataFrame({"dataset": list(status), "found": ["yes" if v else "no" for v in status.values()]})
                 .set_index("dataset"))
