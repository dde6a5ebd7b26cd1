"""The home page's descriptor and its slide view: the lessons of the day, a picture each (pages/home.py)."""
from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

import streamlit as st

from ui import critics_view, inpainting_view, latent_view, mnar_view
from ui.descriptor import Page
from ui.slides import Facts, Stage, View

ASSETS = Path(__file__).resolve().parents[1] / "assets"  # each page's screenshot, assets/<url path>.png
LESSONS = (inpainting_view, mnar_view, latent_view, critics_view)  # the pages the slide pictures


def lessons(link: Mapping[str, str], stage: Stage, shown: bool) -> Facts:
    """The lessons of the day, a picture each (the app's own screenshots)."""
    shots = [(m.PAGE.title, ASSETS / f"{m.PAGE.url_path}.png") for m in LESSONS]
    shots = [(t, f) for t, f in shots if f.exists()]
    across = 1 if stage.phone else 2
    rows = math.ceil(len(shots) / across)
    width = int(min((stage.width - 16 * (across - 1)) / across, (stage.height / rows - 40) * 16 / 9))
    with st.container(horizontal=True, gap="small", key="slide_lessons"):
        for title, path in shots:
            with st.container(width=width, gap=None):
                st.markdown(f"**{title}**")
                st.image(str(path), width=width)
    return {"lessons": str(len(shots))}


PAGE = Page("pages/home.py", "Home", ":material/home:",
            "What each demo teaches, a picture of each, and a glossary.",
            views={"lessons": View(draw=lessons, blurb="the lessons of the day, a picture each")})
