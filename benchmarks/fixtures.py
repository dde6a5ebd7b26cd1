"""What the tests and the benchmarks share: waiting for a Streamlit page in a real browser (``wait_for_app``, with
the patience a loaded machine needs), and a researcher's weather table with holes of a known mechanism. The tests
import these from here; the benchmarks import nothing from ``tests``."""
from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np

# ---------------------------------------------------------------- waiting for a page (playwright, sync API)

# the most wait_for_app waits while what the tests started keeps working (s): a hung test fails inside CI's 90 minutes
PATIENCE = 10 * 60
WORKING = 0.1  # the share of one core that counts as working, in wait_for_app


def started_cpu_seconds() -> float:
    """The CPU time (user and system, every thread) used so far by the processes this one started and theirs: its
    Streamlit servers, playwright's driver and chromium; from Linux's /proc, 0 elsewhere."""
    children: dict[int, list[int]] = {}
    used: dict[int, float] = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            fields = (d / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        children.setdefault(int(fields[1]), []).append(int(d.name))
        used[int(d.name)] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    total, todo = 0.0, list(children.get(os.getpid(), []))
    while todo:
        pid = todo.pop()
        total += used.get(pid, 0.0)
        todo += children.get(pid, [])
    return total


class Watch:
    """A wait on a loaded machine, which goes on while what this test process started (its Streamlit servers, its
    browser) works at it: ``check`` fails once a window of ``window`` seconds passed with them using under WORKING of
    a core (idle, they use 0.5 % to 4 %: measured), or once PATIENCE is spent."""

    def __init__(self, window: float):
        self.window, self.start = window, time.monotonic()
        self.mark, self.used = self.start, started_cpu_seconds()

    def check(self, what: str) -> None:
        """Call it as often as you like while awaiting ``what``; it raises AssertionError naming it when time is up."""
        now = time.monotonic()
        if now - self.mark < self.window:
            return
        worked = started_cpu_seconds() - self.used
        if worked < WORKING * (now - self.mark) or now - self.start > PATIENCE:
            raise AssertionError(f"awaited {what} for {now - self.start:.0f} s; the servers and browser this test "
                                 f"started worked {worked:.1f} CPU s in the last {now - self.mark:.0f} s")
        self.mark, self.used = now, started_cpu_seconds()


def patiently(wait, what: str, window: float = 60) -> None:
    """``wait(ms)``, a playwright wait or ``expect`` given its timeout, tried again each time it times out while what
    this test process started keeps working (``Watch``), so a loaded machine's slow run is waited for; once a window
    of ``window`` seconds passes with them idle, an AssertionError says what was awaited."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    watch = Watch(window)
    while True:
        try:
            return wait(window * 1000)
        except (PlaywrightTimeout, AssertionError) as e:  # expect's timeouts are AssertionErrors
            watch.check(f"{what} ({str(e).strip().splitlines()[0]})")


# true once no element was added or removed for `ms` milliseconds (the observer lives until the next load)
QUIET_JS = """ms => {
    if (window.__quietSince === undefined) {
        window.__quietSince = Date.now();
        new MutationObserver(() => { window.__quietSince = Date.now(); })
            .observe(document.body, {childList: true, subtree: true});
    }
    return Date.now() - window.__quietSince > ms;
}"""


def wait_for_app(page, timeout: float = 60_000) -> None:
    """Wait until the page has rendered and Streamlit is not running anything.

    The status widget shows only after a run has lasted a moment, so its absence alone can be read
    in the gap between a click and the rerun it starts; the app root's script state cannot. A short
    pause first lets a click's rerun request reach the server.

    ``timeout`` (ms) is a window, not a budget (``patiently``)."""
    patiently(lambda ms: _wait_for_run(page, ms), f"{page.url} rendered, its script finished and the page still",
              timeout / 1000)


def deck_key(page, key: str, timeout: float = 120_000) -> None:
    """Press ``key`` as a clicker does, once the deck's key listener is on the page (a fresh tab mounts it a moment
    after its first run; a key pressed before it is lost)."""
    page.wait_for_function("window.__dgmDeckKeys === true", timeout=timeout)
    page.keyboard.press(key)


def _wait_for_run(page, timeout: float) -> None:
    page.wait_for_timeout(150)
    page.locator('[data-testid="stApp"][data-test-connection-state="CONNECTED"]').wait_for(timeout=timeout)
    # the heading first: before a fresh page's first run the script state also reads notRunning
    page.locator("h1").first.wait_for(timeout=timeout)
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(timeout=timeout)
    page.wait_for_function(
        "() => document.querySelectorAll('[data-testid=\"stStatusWidget\"]').length === 0", timeout=timeout)
    # and the page has stopped changing: some widgets (sliders) are drawn a moment after the run ends
    page.wait_for_function(QUIET_JS, arg=400, timeout=timeout)


# ---------------------------------------------------------------- the weather table
# A researcher's weather table with holes of a known mechanism, for the own-table tests: 150 days x 5 columns,
# humidity hidden mostly above 68 % (self-masking, high values go missing) plus 8 blanks at random elsewhere.

COLUMNS = ("temperature", "humidity", "pressure", "wind", "rain")


def complete_weather(n: int = 150, seed: int = 0) -> np.ndarray:
    """(n, 5) complete: humidity falls with temperature and pressure, rain grows with humidity."""
    rng = np.random.default_rng(seed)
    temp = rng.normal(18, 6, n)
    pressure = rng.normal(1013, 8, n)
    humidity = np.clip(95 - 1.4 * (temp - 18) - 0.8 * (pressure - 1013) + rng.normal(-30, 9, n), 15, 100)
    wind = np.abs(rng.normal(12, 5, n)) + 0.05 * (1013 - pressure)
    rain = np.maximum(0.0, 0.12 * (humidity - 55) + rng.normal(0, 1.5, n))
    return np.column_stack([temp, humidity, pressure, wind, rain])


def holed_weather(n: int = 150, seed: int = 0, cut: float = 68.0, blanks: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """(complete, holed): humidity missing with P = 0.9 above ``cut`` and 0.03 below; ``blanks`` more cells of the
    other columns emptied at random."""
    x = complete_weather(n, seed)
    rng = np.random.default_rng(seed + 1)
    holed = x.copy()
    p = np.where(x[:, 1] > cut, 0.9, 0.03)
    holed[rng.random(n) < p, 1] = np.nan
    cells = rng.choice([(i, j) for i in range(n) for j in (0, 2, 3, 4)], blanks, replace=False)
    for i, j in cells:
        holed[i, j] = np.nan
    return x, holed


def csv_bytes(holed: np.ndarray, columns=COLUMNS) -> bytes:
    lines = [",".join(columns)]
    lines += [",".join("" if np.isnan(v) else f"{v:.6g}" for v in row) for row in holed]
    return ("\n".join(lines) + "\n").encode()
