"""DGM Lab: deep generative models and missing data, in the browser. `streamlit run app.py`."""
import streamlit as st

from ui.pages import PAGES

st.navigation([st.Page(p.file, title=p.title, icon=p.icon, url_path=p.url_path, default=(i == 0))
               for i, p in enumerate(PAGES)],
              position="top").run()  # the whole width for pictures: a projector has 1280 px
