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


def occupy_every_slot(seconds: float) -> list:
    """Other students' heavy runs in every slot of the server's queue, for ``seconds`` -> their flights."""
    import threading

    from dgm_core.serving import Job, key_of
    from ui import serving

    release, shared = threading.Event(), serving.shared()

    def block(progress):
        while not release.wait(0.05):
            progress(0.5, "another student's run")
        return "done"

    blockers = [shared.submit(Job(key_of("blocker", i, id(release)), block, "blocker"), f"other:{i}")
                for i in range(shared.queue.slots)]
    threading.Timer(seconds, release.set).start()
    return blockers
