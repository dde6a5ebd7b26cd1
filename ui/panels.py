"""The panels drawn in the browser (Streamlit components v2): each is ``ui/<stem>.js`` after the helpers they share
(``ui/panel_kit.js``), and ``ui/<stem>.css``."""
from __future__ import annotations

from pathlib import Path

import streamlit as st

HERE = Path(__file__).resolve().parent


def component(name: str, stem: str, html: str):
    """The components-v2 mount function of the panel ``stem``, registered as ``name``."""
    js = (HERE / "panel_kit.js").read_text() + "\n" + (HERE / f"{stem}.js").read_text()
    return st.components.v2.component(name, html=html, css=(HERE / f"{stem}.css").read_text(), js=js)
