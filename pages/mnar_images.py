"""MNAR images: clip the bright pixels of a face and compare how MIWAE and not-MIWAE fill them back.

Ipsen, Mattei & Frellsen, "not-MIWAE: Deep Generative Modelling with Missing not at Random Data",
ICLR 2021, arXiv 2006.12871, §4.3 (SVHN there, grey CelebA 32x32 here). The computing is
dgm_core.demos.mnar_images; widgets and figures are ui.mnar_images_view.
"""
import streamlit as st

from ui import mnar_images_view as v
from ui.pages import setup_page

setup_page()

st.title("MNAR images: clipped faces")
st.markdown("Bright pixels are likely lost: each pixel is observed with **P(s = 1 | x) = σ(−W (x − b))** (the "
            "not-MIWAE paper's clipping experiment). MIWAE learns from the surviving, darker pixels; not-MIWAE is told "
            "the mechanism and weighs each imputation by how likely it was to lose exactly these pixels.")
v.render()
