"""DGM Lab: deep generative models and missing data, in the browser. `streamlit run app.py`.

Streamlit reads this file twice over. Each session runs it as its script (``__main__``): the navigation over the
pages. The server imports it as a module and serves ``app``, an ``st.App`` whose start-up (``ui.warmup.lifespan``)
imports what the pages import and computes the lesson's opening defaults before it answers anyone, so the first
student to follow a link waits neither for torch and scikit-learn to load nor for the default Run. Its routes are the
class poll's (``server.poll_routes``: /poll/, the phones' join page, and /poll/api/) and the class page's
(``server.class_routes``: /class/<code>, where the phones follow a lecture), served beside the pages; its
middleware sends the static files without compressing them per request, the browser runtime gzipped once
(``server.static_assets``), has the browser revalidate the ES modules under static/js on every load
(``server.module_cache``), and refuses a widget state nested too deep before Streamlit decodes it
(``server.widget_states``).
"""
import streamlit as st

if __name__ == "__main__":
    from ui.catalog import PAGES

    st.navigation([st.Page(p.file, title=p.title, icon=p.icon, url_path=p.url_path, default=(i == 0))
                   for i, p in enumerate(PAGES)],
                  position="top").run()  # the whole width for pictures: a projector has 1280 px
else:
    from starlette.middleware import Middleware

    from server.module_cache import RevalidateModules
    from server import class_routes, poll_routes
    from server.static_assets import StaticAssets
    from server.widget_states import BoundedWidgetStates
    from ui.warmup import lifespan

    app = st.App(__file__, lifespan=lifespan, routes=poll_routes.ROUTES + class_routes.ROUTES,
                 middleware=[Middleware(StaticAssets), Middleware(RevalidateModules), Middleware(BoundedWidgetStates)])
