"""Presenting the shipped lecture deck in chromium at 1280x720, from the first step to the last with the →
key and one step back with ←: no step raises, none is empty, each opens its page on its own link, with the
controls it names. A lecturer's own deck: made from two pages' views, downloaded, uploaded, shared as a link
and presented from that link in another session."""
from __future__ import annotations

import re

from urllib.parse import parse_qsl, urlparse

from playwright.sync_api import expect
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from ui import deck
from ui.catalog import PAGES

from .conftest import ROOT, wait_for_app

PAGE_FILES = {p.url_path: p.file for p in PAGES}
STEPS = list(enumerate(deck.shipped(PAGE_FILES)["lecture"].steps, 1))
LATENT = next(k for k, s in STEPS if s.page == "latent")  # the latent explorer's first step: its sliders
HALF = next(k for k, s in STEPS if s.page == "critics" and "theta=0.5" in s.link)  # the critics at θ = 0.5


def _place(page):
    return page.locator('[data-testid="stCaptionContainer"]', has_text=" · step ").first


def _press(page, key: str, k: int, n: int) -> None:
    """Press ``key`` on the page (not on a widget) and wait until step ``k`` is drawn."""
    page.mouse.click(5, 700)
    page.keyboard.press(key)
    expect(_place(page)).to_contain_text(f"step {k} of {n}", timeout=180_000)
    wait_for_app(page, timeout=180_000)


def test_the_shipped_deck_presents_from_first_to_last_with_the_keyboard(page, app_url):
    lecture = deck.shipped(PAGE_FILES)["lecture"]
    n = len(lecture.steps)
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(f"{app_url}/?deck=lecture&step=1&present=1")  # presented: the top bar and unused controls hidden
    wait_for_app(page, timeout=180_000)
    shots = ROOT / ".screens"
    shots.mkdir(exist_ok=True)
    for k, step in enumerate(lecture.steps, 1):
        assert not page.get_by_test_id("stException").count(), f"step {k}: an exception"
        expect(_place(page)).to_contain_text(f"step {k} of {n}")
        note = page.locator(".st-key-deck_note").inner_text().strip()
        assert note and note[:30] in step.note.replace("**", ""), f"step {k}: the note shown is {note[:60]!r}"
        assert page.locator("h1").first.inner_text().strip(), f"step {k}: an empty page"
        url = urlparse(page.url)
        assert url.path.strip("/") in ("", step.page) if step.page == PAGES[0].url_path else \
            url.path.strip("/") == step.page, f"step {k} opened {url.path}"
        params = dict(parse_qsl(url.query))
        assert all(params.get(key) == value for key, value in parse_qsl(step.link)), f"step {k}: {url.query}"
        assert params.get("present") == "1" and page.get_by_test_id("stHeader").is_hidden(), f"step {k}"
        for key in step.controls:  # the step's own controls stay
            expect(page.locator(f".st-key-{key}"), f"step {k}: {key}").to_be_visible(timeout=60_000)
        shown = page.locator('[data-testid="stMain"]').inner_text()  # what the class reads under the note
        for number in _numbers(step.note):
            assert re.search(rf"(?<![\d.]){re.escape(number)}(?![\d]|\.\d)", shown.replace(note, "")), \
                f"step {k}: the note says {number}, which its page does not show"
        if k in (1, n // 2, n):
            page.screenshot(path=str(shots / f"deck-step-{k:02d}.png"))
        if k < n:
            _press(page, "ArrowRight", k + 1, n)
    _press(page, "ArrowLeft", n - 1, n)
    page.goto(f"{app_url}/?deck=lecture&step={n // 2}")  # a hand-made link opens the step's own page
    wait_for_app(page, timeout=180_000)
    middle = lecture.steps[n // 2 - 1]
    expect(page).to_have_url(re.compile(f"/{middle.page}\\?"), timeout=60_000)


def _numbers(note: str) -> list[str]:
    """The numbers a note gives (of its prose, not its formulas' subscripts such as x_1)."""
    return re.findall(r"(?<![\w.])\d+(?:\.\d+)?(?![\w])", note.replace("**", ""))


def _at_step(page, k: int) -> None:
    expect(_place(page)).to_contain_text(f"step {k} of ", timeout=180_000)
    wait_for_app(page, timeout=180_000)


def _top(page) -> float:
    return page.evaluate("() => Math.max(document.scrollingElement.scrollTop, "
                         "document.querySelector('[data-testid=\"stMain\"]').scrollTop)")


def test_a_clicker_steps_the_deck_whatever_has_the_focus(page, app_url):
    """Presented, with the focus and the pointer on the latent explorer's slider (as a note's "drag it" leaves
    them), → steps the deck and the slider keeps its value; PageDown and PageUp step it too. The note stays pinned
    on screen while the page scrolls, and each step arrives at the top of its page."""
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(f"{app_url}/latent?deck=lecture&step={LATENT}&present=1")
    _at_step(page, LATENT)
    slider = page.locator('.st-key-lat_sliders input[type="range"], input[type="range"]').first
    expect(slider).to_be_visible(timeout=60_000)
    slider.hover()
    slider.focus()
    before = slider.input_value()
    page.keyboard.press("ArrowRight")
    _at_step(page, LATENT + 1)
    page.mouse.wheel(0, 2000)  # the page scrolls under the note
    page.wait_for_timeout(300)
    box = page.locator(".st-key-deck_bar").bounding_box()
    assert box is not None and 0 <= box["y"] < 100, box
    page.keyboard.press("PageDown")
    _at_step(page, LATENT + 2)
    assert _top(page) == 0  # the new step opens at its top
    page.keyboard.press("PageUp")
    _at_step(page, LATENT + 1)
    page.keyboard.press("ArrowLeft")
    _at_step(page, LATENT)
    assert page.locator('input[type="range"]').first.input_value() == before  # the key was the deck's


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
    page.keyboard.press("ArrowRight")
    _at_step(page, HALF + 1)



def _finished(messages: list) -> bool:
    """Whether the server's ``messages`` include the end of a run that was not cut short."""
    return any(m.WhichOneof("type") == "script_finished" and m.script_finished == ForwardMsg.FINISHED_SUCCESSFULLY
               for m in map(ForwardMsg.FromString, messages))


def _until(page, done, tries: int = 2400) -> None:
    """Let playwright's events flow (the websocket route's handlers run then) until ``done()``."""
    for _ in range(tries):
        if done():
            return
        page.wait_for_timeout(50)
    raise AssertionError("the server did not answer")


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
    link = page.get_by_test_id("stCode").first.inner_text().replace("\n", "")
    made = deck.decode(dict(parse_qsl(urlparse(link).query))["deck"], PAGE_FILES)
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
    student.goto(link)
    wait_for_app(student, timeout=180_000)
    expect(_place(student)).to_contain_text("step 1 of 2")
    assert "is already at 2" in student.locator(".st-key-deck_note").inner_text()
    slider = student.locator('[data-testid="stMain"] .stSlider').first
    expect(slider).to_be_visible()
    student.get_by_role("button", name="Present").click()
    wait_for_app(student, timeout=180_000)
    expect(slider).to_be_hidden()  # a control the step does not name
    expect(student.get_by_test_id("stHeader")).to_be_hidden()
    expect(student.locator(".st-key-critics_browser")).to_be_visible()  # the page's main action: the retrain panel
    _press(student, "ArrowRight", 2, 2)
    assert dict(parse_qsl(urlparse(student.url).query)).get("present") == "1"
    assert urlparse(student.url).path.strip("/") == "vae"
    assert not student.get_by_test_id("stException").count()
