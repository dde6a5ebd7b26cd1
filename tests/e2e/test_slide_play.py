"""The shipped lecture deck's animated slides in chromium, as a lecturer drives them at 1280×720: the GAN race and the
2-D flow wait at their start (step 0, t = 0) for Play; a step left and opened again shows what it showed (the race's
step, the flow's time, not 0); and outside present mode a clicked tab leaves → to the deck."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from ui import deck
from ui.catalog import PAGES

from .conftest import ROOT, deck_key
from .test_slides import WAIT, _arrived, _press

LECTURE = deck.shipped({p.url_path: p.file for p in PAGES})["lecture"]
N = len(LECTURE.steps)
STILL_S = 4  # a film that played on its own would have moved within this (a flow's pass takes 2.5 s)


def _step_of(view: str) -> int:
    return next(k for k, s in enumerate(LECTURE.steps, 1) if s.view == view)


def _open(page, app_url: str, k: int) -> None:
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(f"{app_url}/?deck=lecture&step={k}&present=1")
    _arrived(page, k)


def _shot(page, name: str) -> None:
    shots = ROOT / ".screens"
    shots.mkdir(exist_ok=True)
    page.screenshot(path=str(shots / f"anim-{name}.png"))


def _still(read, expected: str, what: str, page) -> None:
    """``read()`` stays ``expected`` for STILL_S seconds, looked at twice a second."""
    for i in range(2 * STILL_S):
        assert read() == expected, f"{what} moved without Play: {read()!r} after {i / 2:.1f} s"
        page.wait_for_timeout(500)


def test_the_flow_slide_waits_at_the_noise_for_play(page, app_url):
    k = _step_of("flow2d.path")
    _open(page, app_url, k)
    play = page.locator(".fp .bar button").first
    expect(play).to_be_enabled(timeout=WAIT)  # the flow has learned something: Play could start the film
    label = page.locator(".fp .tlabel")
    _still(label.inner_text, "t = 0.00", "the flow's time", page)
    assert page.locator(".fp").get_attribute("data-t") == "0.000"
    expect(play).to_have_text("Play")
    _shot(page, f"{k:02d}-arrival")
    play.click()
    expect(label).not_to_have_text("t = 0.00", timeout=10_000)
    expect(page.locator(".fp button", has_text="Pause")).to_be_visible()
    page.locator(".fp[data-trained]:not([data-trained=''])").wait_for(timeout=WAIT)
    page.wait_for_function("el => parseFloat(el.textContent.slice(4)) >= 0.9", arg=label.element_handle(),
                           timeout=WAIT, polling=10)  # a pass near its end: the noise carried to the moons
    page.locator(".fp button", has_text="Pause").click()
    _shot(page, f"{k:02d}-play")
    expect(page.locator(".fp")).not_to_have_attribute("data-t", "0.000")  # paused near the data
    t, shown = page.locator(".fp").get_attribute("data-t"), label.inner_text()
    _press(page, "ArrowLeft", k - 1)
    _press(page, "ArrowRight", k)  # the step opened again: the flow at the time it was left at, not at 0
    expect(page.locator(".fp")).to_have_attribute("data-t", t, timeout=WAIT)
    expect(label).to_have_text(shown)


def test_the_gan_race_waits_for_play_and_keeps_its_step_when_the_deck_comes_back(page, app_url):
    k = _step_of("gan.race")
    _open(page, app_url, k)
    panel = page.locator(".gp")
    play = panel.get_by_role("button", name="Play", exact=True)
    expect(play).to_be_enabled(timeout=WAIT)
    expect(panel).to_have_attribute("data-step", "0", timeout=WAIT)
    _still(lambda: panel.get_attribute("data-step"), "0", "the race", page)
    _shot(page, f"{k:02d}-arrival")
    play.click()
    page.wait_for_function("el => Number(el.dataset.step) >= 40", arg=panel.element_handle(), timeout=WAIT)
    _shot(page, f"{k:02d}-play")
    _press(page, "ArrowRight", k + 1)  # while it plays: the race pauses where it is
    _press(page, "ArrowLeft", k)
    expect(panel).to_have_attribute("data-step", re.compile(r"^\d+$"), timeout=WAIT)  # a panel built anew: "0"
    step = int(panel.get_attribute("data-step"))
    assert step >= 40, f"the race came back at step {step}"
    # the slide's verdict is the race's own step's (the panel told the new page where it is)
    expect(page.locator(".st-key-slide_view")).to_contain_text(f"After {step} steps", timeout=WAIT)
    page.wait_for_timeout(1000)
    assert int(panel.get_attribute("data-step")) == step, "the race went on by itself after the deck came back"
    _shot(page, f"{k:02d}-back")


def test_out_of_present_mode_a_clicked_tab_leaves_the_arrows_to_the_deck(page, app_url):
    k = next(k for k, s in enumerate(LECTURE.steps, 1) if s.page == "mnar" and not s.link)
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(f"{app_url}/mnar?deck=lecture&step={k}")
    place = page.locator('[data-testid="stCaptionContainer"]', has_text=re.compile(r"step \d+ of \d+")).first
    expect(place).to_contain_text(f"step {k} of {N}", timeout=WAIT)
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(timeout=WAIT)
    tab = page.get_by_role("tab").first
    expect(tab).to_have_attribute("aria-selected", "true", timeout=WAIT)
    focused = page.locator('[role="tab"]:focus')
    # the open tab clicked: the focus and the pointer stay on it. A rerun still under way when the click lands may
    # draw the tabs anew and drop the focus to the page (CI saw it once): the tab is clicked again once the page
    # is idle, at most three times in all, so the keys below do start from a focused tab
    for _ in range(3):
        tab.click()
        page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(timeout=WAIT)
        try:
            expect(focused).to_have_count(1, timeout=5_000)
            break
        except AssertionError:
            continue
    else:
        raise AssertionError("three clicks on the open tab left no tab focused once the page was idle")
    deck_key(page, "ArrowRight", WAIT)
    expect(place).to_contain_text(f"step {k + 1} of {N}", timeout=WAIT)
