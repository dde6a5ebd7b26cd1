"""The GAN training page in chromium: both generators train in the browser (a Web Worker, TensorFlow.js) while the
page's main thread stays free; Pause stops them and the page writes what the last step shows; Reset starts again;
the same seed gives the same film."""
import re

from playwright.sync_api import expect
from streamlit.proto.BackMsg_pb2 import BackMsg

from .conftest import wait_for_app

# the longest task on the page's main thread from now on (PerformanceObserver 'longtask': tasks over 50 ms)
LONGTASKS = """() => { window.__long = [];
  new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__long.push(e.duration); })
    .observe({type: 'longtask'}); }"""


def _step(page) -> int:
    return int(page.locator(".gp").first.get_attribute("data-step") or 0)


def _reruns(page) -> list:
    """The reruns this page asks its server for, from now on."""
    asked = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda f: asked.append(
        BackMsg.FromString(f).WhichOneof("type") == "rerun_script" or None)))
    return asked


def test_play_trains_in_the_browser_pause_reports_and_reset_starts_again(page, app_url):
    page.set_viewport_size({"width": 1280, "height": 720})
    asked = _reruns(page)
    page.goto(f"{app_url}/gan?gan_toy=lines&gan_k=2")
    wait_for_app(page)
    expect(page.locator(".gp[data-backend='wasm']")).to_have_count(1, timeout=120_000)
    expect(page.locator(".gp .title").first).to_contain_text("step 0", timeout=60_000)
    wait_for_app(page)
    assert asked.count(True) == 1  # the page's own run: a trainer at its start tells the server nothing new
    page.evaluate(LONGTASKS)
    page.get_by_role("button", name="Play", exact=True).click()
    expect(page.get_by_role("button", name="Pause", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Step", exact=True)).to_be_disabled()
    # a few steps in (a press of Play runs 200, so it still plays: a fixed wait raced a fast machine to the end)
    expect(page.locator(".gp").first).to_have_attribute("data-step", re.compile(r"^[1-9][0-9]+$"), timeout=60_000)
    assert page.get_by_test_id("stStatusWidget").count() == 0  # the server is not involved while it plays
    page.get_by_role("button", name="Pause", exact=True).click()
    expect(page.get_by_role("button", name="Play", exact=True)).to_be_visible(timeout=60_000)
    wait_for_app(page)
    shown = _step(page)
    assert shown > 0
    expect(page.get_by_text(f"After {shown} step", exact=False)).to_be_visible(timeout=30_000)
    assert max(page.evaluate("() => window.__long"), default=0) < 500  # nothing froze the page
    page.get_by_role("button", name="Step", exact=True).click()
    expect(page.get_by_text(f"After {shown + 1} steps", exact=False)).to_be_visible(timeout=60_000)
    page.get_by_role("button", name="Reset", exact=True).click()
    expect(page.locator(".gp .title").first).to_contain_text("step 0", timeout=60_000)
    expect(page.get_by_text("Press Play (or Step)", exact=False)).to_be_visible(timeout=30_000)
    assert page.get_by_test_id("stException").count() == 0


def test_the_same_seed_gives_the_same_film(page, app_url):
    films = []
    for _ in range(2):
        page.goto(f"{app_url}/gan?gan_toy=ring&gan_k=1")
        wait_for_app(page)
        expect(page.locator(".gp[data-backend]")).to_have_count(1, timeout=120_000)
        expect(page.locator(".gp .title").first).to_contain_text("step 0", timeout=60_000)
        for i in range(1, 4):  # each press waits for the step before it: a loaded machine's click is not lost
            page.get_by_role("button", name="Step", exact=True).click()
            expect(page.locator(".gp").first, f"step {i} taken").to_have_attribute("data-step", str(i), timeout=60_000)
        expect(page.get_by_text("After 3 steps", exact=False)).to_be_visible(timeout=60_000)
        films.append(page.get_by_text("After 3 steps", exact=False).inner_text())
    assert films[0] == films[1]
