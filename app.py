"""DGM Lab: deep generative models and missing data, in the browser. `streamlit run app.py`."""
import streamlit as st

from ui.pages import PAGES
from ui.state import keep_registered

st.set_page_config(page_title="DGM Lab", page_icon=":material/blur_on:", layout="wide")
keep_registered()  # choices made on a page survive a visit to another page
st.navigation([st.Page(p.file, title=p.title, icon=p.icon, url_path=p.url_path, default=(i == 0))
               for i, p in enumerate(PAGES)]).run()
