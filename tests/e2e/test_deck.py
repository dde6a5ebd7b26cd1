"""Decks in chromium outside the slides (tests/e2e/test_slides.py presents the shipped deck): a slider under the
pointer keeps its arrows out of present mode; a late rerun of the step being left does not hold the deck back; a
lecturer's own deck made from two pages' views, downloaded, uploaded, shared as a short link and presented from it
in another session."""
from __future__ import annotations

import re

from urllib.parse import parse_qsl, urlparse

from playwright.sync_api import expect
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from ui import deck
from ui.catalog import PAGES

from .conftest import deck_key, wait_for_app

PAGE_FILES = {p.url_path: p.file for p in PAGES}
STEPS = list(enumerate(deck.shipped(PAGE_FILES)["lecture"].steps, 1))
HALF = next(k for k, s in STEPS if s.page == "critics" and "theta=0.5" in s.link)  # the critics at θ = 0.5


def _place(page):
    """The deck's "step k of n": in the page's bar, or on a slide."""
    return page.locator('[data-testid="stCaptionContainer"]', has_text=re.compile(r"step \d+ of \d+")).first


def _press(page, key: str, k: int, n: int) -> None:
    """Press ``key`` on the page (not on a widget) and wait until step ``k`` is drawn (a slide has no heading)."""
    page.mouse.click(5, 700)
    deck_key(page, key, 180_000)
    expect(_place(page)).to_contain_text(f"step {k} of {n}", timeout=180_000)
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(timeout=180_000)


def _at_step(page, k: int) -> None:
    expect(_place(page)).to_contain_text(f"step {k} of ", timeout=180_000)
    wait_for_app(page, timeout=180_000)


def test_out_of_present_mode_a_slider_under_the_pointer_keeps_its_arrows(page, app_url):
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(f"{app_url}/critics?critics_theta=0.5&deck=lecture&step={HALF}")
    _at_step(page, HALF)
    theta = page.get_by_test_id("stSlider").first
    before = theta.locator('input[type="range"]').get_attribute("aria-valuetext")
    theta.hover()
    theta.locator('input[type="range"]').focus()
    page.keyboard.press("ArrowRight")  # the lecturer is dragging it: the slider moves, the deck stays
    expect(theta.locator('input[type="range"]')).not_to_have_attribute("aria-valuetext", before, timeout=60_000)
    expect(_place(page)).to_contain_text(f"step {HALF} of ")
    wait_for_app(page, timeout=180_000)
    page.get_by_test_id("stSlider").first.locator('input[type="range"]').focus()
    page.mouse.move(640, 700)  # the pointer leaves the slider, the focus stays on it: → is the deck's again
    deck_key(page, "ArrowRight", 180_000)
    _at_step(page, HALF + 1)



def _finished(messages: list) -> bool:
    """Whether the server's ``messages`` include the end of a run that was not cut short."""
    return any(m.WhichOneof("type") == "script_finished" and m.script_finished == ForwardMsg.FINISHED_SUCCESSFULLY
               for m in map(ForwardMsg.FromString, messages))


def _until(page, done, tries: int = 12_000) -> None:
    """Let playwright's events flow (the websocket route's handlers run then) until ``done()``: the server's message
    awaited, however loaded the machine; 10 minutes at most, then a failure that says what was awaited."""
    for _ in range(tries):
        if done():
            return
        page.wait_for_timeout(50)
    raise AssertionError(f"the server's 'script finished' for the held step never came ({tries * 50 / 1000:.0f} s)")


def test_a_rerun_from_the_step_being_left_does_not_hold_the_deck_back(page, app_url):
    """→ pressed, and before the browser hears of the next step it sends a rerun of the one it is leaving (here θ
    moved; in a lecture, a page's component reporting just then): Streamlit runs that rerun instead of the next
    step. The server's messages are held back from the browser meanwhile, so the race is run, not waited for. The
    deck must still open the next step: its page, its link and its place, together."""
    two = deck.Deck("Two", (deck.Step("critics", "critics_theta=0.5", "θ = 0.5."), deck.Step("home", "", "Home.")))
    browser, hold, held, sent = [], [False], [], []  # the page's socket; whether the server's messages wait; those
    # waiting; for each rerun the browser asked for while they wait, how many were waiting then

    def route(ws) -> None:
        server = ws.connect_to_server()
        browser.append(ws)

        def to_browser(message) -> None:
            (held.append if hold[0] else ws.send)(message)

        def to_server(message) -> None:
            if hold[0] and BackMsg.FromString(message).WhichOneof("type") == "rerun_script":
                sent.append(len(held))
            server.send(message)
        server.on_message(to_browser)
        ws.on_message(to_server)
    page.set_viewport_size({"width": 1280, "height": 720})
    page.route_web_socket(re.compile(r"/_stcore/stream$"), route)
    page.goto(f"{app_url}/critics?critics_theta=0.5&deck={deck.encode(two)}&step=1")
    _at_step(page, 1)
    hold[0] = True
    page.get_by_role("button", name="Next", exact=True).click()
    _until(page, lambda: bool(sent) and _finished(held[sent[0]:]))  # the server has opened step 2...
    theta = page.get_by_test_id("stSlider").first
    theta.hover()  # ... and the browser, still on step 1, moves θ: a rerun of step 1
    theta.locator('input[type="range"]').focus()
    page.keyboard.press("ArrowRight")
    _until(page, lambda: len(sent) > 1 and _finished(held[sent[1]:]))
    while held:  # let the browser hear it all, in order (what arrives meanwhile queues behind)
        browser[0].send(held.pop(0))
    hold[0] = False
    wait_for_app(page, timeout=180_000)
    expect(_place(page)).to_contain_text("step 2 of 2")
    assert urlparse(page.url).path.strip("/") in ("", "home")
    assert dict(parse_qsl(urlparse(page.url).query)).get("step") == "2"
    assert not page.get_by_test_id("stException").count()


def _sidebar(page):
    if not page.locator('[data-testid="stSidebar"][data-collapsed="false"]').count():
        page.get_by_test_id("stExpandSidebarButton").first.click()
    return page.get_by_test_id("stSidebar")


def _add_view(page, note: str) -> None:
    side = _sidebar(page)
    side.get_by_label("What to notice here").fill(note)
    side.get_by_role("button", name="Add this view as a step").click()
    expect(side.get_by_text("Added as step")).to_be_visible(timeout=60_000)
    wait_for_app(page)


def test_a_lecturer_makes_a_deck_shares_it_and_presents_it(page, app_url, tmp_path):
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(app_url)  # a server's first request runs the page alone, without the top bar
    wait_for_app(page, timeout=180_000)
    page.goto(f"{app_url}/critics?critics_theta=0.5")
    wait_for_app(page, timeout=180_000)
    _add_view(page, "At θ = 0.5 **Hellinger** is already at 2.")
    page.get_by_test_id("stTopNav").get_by_role("link", name="VAE").click()  # in the same session
    wait_for_app(page, timeout=180_000)
    _add_view(page, "A VAE's reconstructions are smoother.")
    _sidebar(page).get_by_role("link", name="Decks").click()
    wait_for_app(page, timeout=180_000)
    expect(page.get_by_test_id("stCode")).to_have_count(1)  # the long link only: a deck is kept when asked
    page.get_by_role("button", name="Save for a short link").click()
    wait_for_app(page)
    expect(page.get_by_test_id("stCode")).to_have_count(2, timeout=60_000)
    short = page.get_by_test_id("stCode").first.inner_text().replace("\n", "")
    link = page.get_by_test_id("stCode").nth(1).inner_text().replace("\n", "")
    made = deck.decode(dict(parse_qsl(urlparse(link).query))["deck"], PAGE_FILES)
    assert len(short) <= 100 and deck.find(dict(parse_qsl(urlparse(short).query))["deck"], PAGE_FILES) == made
    assert [(s.page, s.note) for s in made.steps] == [("critics", "At θ = 0.5 **Hellinger** is already at 2."),
                                                      ("vae", "A VAE's reconstructions are smoother.")]
    assert dict(parse_qsl(made.steps[0].link))["critics_theta"] == "0.5"
    with page.expect_download() as got:
        page.get_by_role("button", name="Download (JSON)").click()
    saved = tmp_path / "mine.json"
    got.value.save_as(saved)
    assert deck.parse(saved.read_bytes(), PAGE_FILES) == made
    # a bad file gets one sentence; the downloaded one opens again
    bad = tmp_path / "bad.json"
    bad.write_text("a shopping list")
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(bad))
    expect(page.get_by_text("This is not a deck")).to_be_visible(timeout=60_000)
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(saved))
    expect(page.get_by_role("button", name="Make it your deck (replaces your 2 steps)")).to_be_visible(timeout=60_000)

    student = page.context.new_page()  # the shared link, in another session: the deck travels in it
    student.set_viewport_size({"width": 1280, "height": 720})
    student.goto(short)  # the short link, as slides; the long one opens the same deck without the server keeping it
    expect(student.locator(".st-key-slide_view")).to_be_visible(timeout=180_000)  # the slide: no heading to wait for
    student.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(timeout=180_000)
    expect(_place(student)).to_contain_text("step 1 of 2")
    assert "is already at 2" in student.locator(".st-key-deck_note").inner_text()
    expect(student.locator('[data-testid="stMain"] .stSlider').first).to_be_hidden()  # a control the step does not name
    expect(student.get_by_test_id("stHeader")).to_be_hidden(timeout=60_000)  # a loaded machine once took over 5 s
    expect(student.locator(".st-key-slide_view")).to_be_visible()  # the slide: the critics' view
    _press(student, "ArrowRight", 2, 2)
    assert dict(parse_qsl(urlparse(student.url).query)).get("present") == "1"
    assert urlparse(student.url).path.strip("/") == "vae"
    assert not student.get_by_test_id("stException").count()
