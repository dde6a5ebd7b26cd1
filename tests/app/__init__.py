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


def occupy_every_slot(hold: float = 1.5, give_up: float = 300.0) -> list:
    """Other students' heavy runs in every slot of the server's queue -> their flights. They finish ``hold`` seconds
    after another job joins the queue behind them: an explicit queue state, never a race with the clock, so a loaded
    host only makes the test slower. ``give_up``: they finish anyway after that many seconds (a test that never
    queues fails on its own assertions instead of hanging)."""
    import threading
    import time

    from server import Job, key_of
    from ui import serving

    release, shared = threading.Event(), serving.shared()

    def block(progress):
        while not release.wait(0.05):
            progress(0.5, "another student's run")
        return "done"

    blockers = [shared.submit(Job(key_of("blocker", i, id(release)), block, "blocker"), f"other:{i}")
                for i in range(shared.queue.slots)]

    def watch() -> None:
        end = time.monotonic() + give_up
        running = lambda: all(b.ticket is not None and b.ticket.started is not None for b in blockers)  # noqa: E731
        while time.monotonic() < end and not (running() and len(shared.queue) > 0):
            time.sleep(0.02)
        release.wait(hold)
        release.set()

    threading.Thread(target=watch, daemon=True).start()
    return blockers
