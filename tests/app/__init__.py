"""AppTest of every page. ``open_page`` runs a page file as a link would open it."""
from pathlib import Path

from streamlit.testing.v1 import AppTest

PAGES = Path(__file__).resolve().parents[2] / "pages"


def open_page(name: str, prefix: str, timeout: int = 120, **params) -> AppTest:
    """Run ``pages/<name>.py`` with the link's parameters ``prefix + key = value``."""
    at = AppTest.from_file(str(PAGES / f"{name}.py"), default_timeout=timeout)
    for k, v in params.items():
        at.query_params[prefix + k] = str(v)
    return at.run()
