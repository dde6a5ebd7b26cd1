"""The images tab of the MNAR lab: bright pixels clipped, MIWAE vs not-MIWAE on CelebA (not-MIWAE §4.3).

Ipsen, Mattei & Frellsen, "not-MIWAE", ICLR 2021, arXiv 2006.12871: every pixel is observed with
P(s = 1 | x) = sigmoid(-W (x - b)), so bright pixels tend to be lost. Shows the shipped models when
they exist; otherwise explains how to build them.
"""
from __future__ import annotations

import streamlit as st

from dgm_core import pretrained

MODELS = ("miwae-celeba-clip", "notmiwae-celeba-clip")


def render(seed: int) -> None:
    st.markdown("Bright pixels are likely lost: P(observed | x) = σ(−W (x − b)) per pixel, the clipping "
                "experiment of the not-MIWAE paper (Table 2: MIWAE 0.173 vs not-MIWAE 0.073 RMSE on SVHN).")
    missing = [m for m in MODELS if not (pretrained.PRETRAINED_DIR / f"{m}.json").exists()]
    if missing:
        st.info("The CelebA clipping models are not shipped yet: build them with "
                + " and ".join(f"`python -m dgm_core train {m}`" for m in missing)
                + " (needs the CelebA subset in `DGM_DATA_DIR`, see shared/data/MANIFEST.md).")
        return
