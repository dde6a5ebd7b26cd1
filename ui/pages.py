"""``setup_page()``, which every page calls first: Streamlit runs a cold deep link (``/mnar`` as a server's first
request) as the page file alone, before ``st.navigation``, so a page must set itself up without app.py. The pages
themselves are listed in ``ui.catalog``.
"""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from ui import deck, warmup
from ui.state import keep_registered

CSS = Path(__file__).with_name("app.css")
# the tab's icon, a file of ours (a Material icon name is fetched from fonts.gstatic.com: no icon, and a console
# error on every page, where a classroom's network is closed)
ICON = (Path(__file__).resolve().parent.parent / "assets" / "icon.svg").read_text()


def setup_page() -> None:
    """Page config and shared session state; the first call of every page file, on every run."""
    # navigation is a top bar (app.py); the sidebar stays closed, so a cold deep link, which shows
    # Streamlit's automatic list of page files there, opens with the whole width for the page too
    st.set_page_config(page_title="DGM Lab", page_icon=ICON, layout="wide",
                       initial_sidebar_state="collapsed")
    st.html(CSS)  # style only: Streamlit adds it to the page without taking room
    keep_registered()  # choices made on a page survive a visit to another page
    warmup.start_warmup()  # once per server process: each page's default view, computed before its first visitor
    deck.bar()  # while a lecture deck is presented: its step's note, with ← and → (a slide stops the page here)
    deck.add_view()  # the sidebar: add this view to the lecturer's own deck
