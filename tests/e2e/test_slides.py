"""The shipped lecture deck presented as slides in chromium, with the keyboard, as a lecturer would: at 1280×720 and
1920×1080 every step's view lies wholly inside the window on arrival, its note takes two lines at most, the numbers
the note quotes are on the slide, a question comes before its answer; the deck's keys step it whatever widget has
the focus; a phone opening the presenter's link gets the slide without sideways scrolling."""
from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlparse

import pytest
from playwright.sync_api import expect

from ui import deck
from ui.catalog import PAGES

from .conftest import ROOT, deck_key, wait_for_app
from .test_poll import join

PAGE_FILES = {p.url_path: p.file for p in PAGES}
LECTURE = deck.shipped(PAGE_FILES)["lecture"]
N = len(LECTURE.steps)
NOTE_LINES = 2  # a note is read from the back of the room: two lines at most
WAIT = 300_000  # generous: a step may compute its view on arrival on a loaded machine; events, not this, end a wait


def _arrived(page, k: int) -> None:
    """Wait until step ``k``'s slide is drawn and the server has finished its run."""
    expect(page.locator(".st-key-deck_nav"), f"step {k} of {N}").to_contain_text(f"step {k} of {N}", timeout=WAIT)
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(timeout=WAIT)
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=WAIT)
    expect(page.locator(".st-key-slide_view")).to_be_visible(timeout=WAIT)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stSkeleton\"]')", timeout=WAIT)


def _press(page, key: str, k: int) -> None:
    page.mouse.click(3, 3)  # the window, not a widget
    deck_key(page, key, WAIT)
    _arrived(page, k)


def _numbers(text: str) -> list[str]:
    return re.findall(r"(?<![\w.])\d+(?:\.\d+)?(?![\w])", text.replace("**", ""))


@pytest.mark.parametrize("width,height", [(1280, 720), (1920, 1080)])
def test_every_step_of_the_shipped_deck_is_a_slide_inside_the_window(page, app_url, width, height):
    page.set_viewport_size({"width": width, "height": height})
    page.goto(f"{app_url}/?deck=lecture&step=1&present=1")
    _arrived(page, 1)
    shots = ROOT / ".screens"
    shots.mkdir(exist_ok=True)
    for k, step in enumerate(LECTURE.steps, 1):
        url = urlparse(page.url)  # each step opens its own page on its own link
        assert url.path.strip("/") in ("", step.page), f"step {k} opened {url.path}"
        assert set(parse_qsl(step.link)) <= set(parse_qsl(url.query)), f"step {k}: {url.query}"
        for phase in ("question", "answer") if step.question else ("answer",):
            assert not page.get_by_test_id("stException").count(), f"step {k}: an exception"
            page.wait_for_timeout(300)  # a component panel sizes itself a moment after the run
            view = page.locator(".st-key-slide_view").bounding_box()
            assert view and view["x"] >= 0 and view["y"] >= 0 and view["x"] + view["width"] <= width + 1 and \
                view["y"] + view["height"] <= height + 1, f"step {k} ({phase}): the view's box {view} leaves the window"
            assert page.evaluate("document.scrollingElement.scrollHeight") <= height + 1, f"step {k}: scrolls"
            note = page.locator(".st-key-deck_note p").first
            lines = page.evaluate("p => p.getBoundingClientRect().height / parseFloat(getComputedStyle(p).lineHeight)",
                                  note.element_handle())
            assert lines <= NOTE_LINES + 0.2, f"step {k}: the note takes {lines:.1f} lines"
            said = note.inner_text()
            shown = page.locator('[data-testid="stMain"]').inner_text().replace(said, "")  # the view and controls
            for number in _numbers(said):
                assert re.search(rf"(?<![\d.]){re.escape(number)}(?![\d]|\.\d)", shown), \
                    f"step {k}: the note says {number}, which its slide does not show"
            if phase == "question":
                assert said.strip() == step.question and not page.locator('[class*="st-key-slide_draws"]').count(), \
                    f"step {k}: the answer is drawn before its question"
            page.screenshot(path=str(shots / f"slide-{width}x{height}-{k:02d}{'q' if phase == 'question' else ''}.png"))
            if phase == "question":
                page.mouse.click(3, 3)
                page.keyboard.press("ArrowRight")  # reveals, on the same step
                expect(page.locator(".st-key-deck_note p").first).not_to_have_text(step.question, timeout=WAIT)
                _arrived(page, k)
        if k < N:
            _press(page, "ArrowRight", k + 1)
    _press(page, "Home", 1)
    _press(page, "End", N)


# a lecturer's own deck whose steps show each kind of widget a slide can hold
KINDS = deck.Deck("keys", (
    deck.Step("critics", "critics_theta=0.5", "θ", ("critics_theta",), "critics.theta"),  # a select slider
    deck.Step("clusters", "", "colours", ("cl_colour",), "clusters.maps"),  # a radio
    deck.Step("mnar_images", "", "b", ("mi_clip_b", "mi_clip_seed"), "mnar_images.faces"),  # a slider, a number box
    deck.Step("latent", "", "drag", (), "latent.face"),  # the browser panel's own range inputs
    deck.Step("flow2d", "", "t", (), "flow2d.path"),  # the panel's time slider and buttons
))


@pytest.mark.parametrize("k,target", [
    (1, '.st-key-critics_theta input[type="range"]'),
    (2, '.st-key-cl_colour input[type="radio"]'),
    (3, '.st-key-mi_clip_b input[type="range"]'),
    (3, '.st-key-mi_clip_seed input'),
    (4, '.st-key-slide_lat_panel input[type="range"]'),
    (5, '.st-key-slide_flow_panel input[type="range"]'),
])
def test_the_deck_owns_its_keys_whatever_widget_has_the_focus(page, app_url, k, target):
    """Each widget kind touched with the pointer first (as a lecturer drags it), then → and ← step the deck, and the
    widget keeps its value."""
    page.set_viewport_size({"width": 1280, "height": 720})
    n = len(KINDS.steps)
    page.goto(f"{app_url}/{KINDS.steps[k - 1].page}?deck={deck.encode(KINDS)}&step={k}&present=1")
    expect(page.locator(".st-key-deck_nav")).to_contain_text(f"step {k} of {n}", timeout=WAIT)
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(timeout=WAIT)
    widget = page.locator(target).first
    expect(widget).to_be_visible(timeout=WAIT)
    page.locator(target.split(" ")[0]).first.hover()  # the pointer on the widget as drawn (its input may be hidden)
    widget.focus()
    value = widget.evaluate("e => e.value ?? e.getAttribute('aria-valuenow') ?? e.checked")
    ahead = "ArrowLeft" if k == n else "ArrowRight"
    deck_key(page, ahead, WAIT)  # once the deck's key listener is mounted
    expect(page.locator(".st-key-deck_nav")).to_contain_text(f"step {k - 1 if k == n else k + 1} of {n}",
                                                             timeout=WAIT)
    page.keyboard.press("ArrowRight" if k == n else "ArrowLeft")
    expect(page.locator(".st-key-deck_nav")).to_contain_text(f"step {k} of {n}", timeout=WAIT)
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(timeout=WAIT)
    again = page.locator(target).first
    expect(again).to_be_visible(timeout=WAIT)
    assert again.evaluate("e => e.value ?? e.getAttribute('aria-valuenow') ?? e.checked") == value, \
        f"{target}: the key moved the widget"


def test_a_phone_opening_the_presenters_link_gets_the_slide_without_sideways_scrolling(page, app_url):
    page.set_viewport_size({"width": 390, "height": 844})
    for k in (2, 8, 16, 21):
        page.goto(f"{app_url}/{LECTURE.steps[k - 1].page}?deck=lecture&step={k}&present=1")
        _arrived(page, k)
        assert page.evaluate("document.scrollingElement.scrollWidth") <= 390, f"step {k} scrolls sideways"
        note = page.locator(".st-key-deck_note").bounding_box()
        assert note and note["y"] < 200, f"step {k}: the note is not at the top"
        page.screenshot(path=str(ROOT / ".screens" / f"slide-phone-{k:02d}.png"))


def test_a_shipped_poll_step_with_a_projector_and_three_phones_and_the_decks_keys(browser, app_url):
    """The shipped deck's "which critic tells the generator which way to move?" presented at 1280×720: three phones
    (390×844) join by the link and by the code, answer, one changes its answer; the lecturer locks and reveals the
    class beside the model (the sweep's answer), runs a second round; → then shows the slide's answer and the next
    step, the deck's keys stepping throughout."""
    k, step = next((k, s) for k, s in enumerate(LECTURE.steps, 1) if s.poll and s.poll["kind"] == "choice"
                   and s.page == "critics")
    projector = browser.new_page(viewport={"width": 1280, "height": 720})
    projector.goto(f"{app_url}/{step.page}?deck=lecture&step={k}")
    wait_for_app(projector, timeout=180_000)
    present = projector.get_by_role("button", name="Present", exact=True)  # the lecturer's Present opens the room
    expect(present).to_be_enabled(timeout=120_000)
    present.click()
    _arrived(projector, k)
    code = projector.locator(".pl .code").inner_text().strip()
    phones = [browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True).new_page()
              for _ in range(3)]
    for i, phone in enumerate(phones):
        join(phone, app_url, code, i)
        expect(phone.locator("#room")).to_have_text(code, timeout=WAIT)

    def act(name: str) -> None:
        button = projector.locator(f'[class*="st-key-poll_"][class*="_{name}"] button')
        expect(button).to_be_enabled(timeout=WAIT)
        button.click()
        projector.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(timeout=WAIT)

    def answer(phone, option: str) -> None:
        phone.locator("#answer .option", has_text=option).click()
        expect(phone.locator("#status")).to_contain_text("Answer received", timeout=WAIT)

    act("open")
    for phone in phones:
        expect(phone.locator("#answer .option")).to_have_count(4, timeout=WAIT)
    answer(phones[0], "Wasserstein")
    answer(phones[1], "Wasserstein")
    answer(phones[2], "squared Hellinger")
    answer(phones[2], "neither")  # changed: still one answer
    expect(projector.locator(".pl .count")).to_have_text("3 answers from 3 phones", timeout=WAIT)
    countdown = projector.get_by_label("after (s)", exact=True)
    countdown.fill("0")
    countdown.press("Enter")  # a number box has the focus: Enter is the box's, the arrows would be the deck's
    act("lock")
    act("reveal")
    for phone in phones:
        expect(phone.locator(".model-says")).to_contain_text("The model's answer: B: Wasserstein", timeout=WAIT)
    expect(phones[0].locator(".bar.right .tag.you")).to_have_count(1)  # it agreed with the model
    expect(phones[2].locator(".bar.right .tag.you")).to_have_count(0)
    projector.screenshot(path=str(ROOT / ".screens" / "poll-projector-revealed.png"))
    phones[2].screenshot(path=str(ROOT / ".screens" / "poll-phone-revealed.png"))
    act("round")
    for phone in phones:
        expect(phone.locator("#round")).to_contain_text("discuss with your neighbour", timeout=WAIT)
        answer(phone, "Wasserstein")
    expect(projector.locator(".pl .count")).to_have_text("3 answers from 3 phones", timeout=WAIT)
    act("lock")
    act("reveal")
    for phone in phones:
        expect(phone.locator("#results .card")).to_have_count(2, timeout=WAIT)
    projector.get_by_label("after (s)", exact=True).focus()  # the focus in the poll's number box: → is the deck's
    deck_key(projector, "ArrowRight", WAIT)  # the slide's answer
    expect(projector.locator(".st-key-deck_note p").first).not_to_have_text(step.question, timeout=WAIT)
    _arrived(projector, k)
    _press(projector, "ArrowRight", k + 1)
    assert not projector.get_by_test_id("stException").count()
