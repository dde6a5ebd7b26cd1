"""Predict, then reveal, in chromium: a projector (1280x720) presents a question with ui.poll.poll_panel (the test
app tests/poll_demo/app.py, which mounts the poll routes as app.py does) and three phones (390x844) join, one by the
link, one by typing the code, one by the link in lower case; they answer, one changes its answer, the projector
counts them live, the lecturer locks (a countdown the phones show), reveals, runs a second round and reveals it.
Screenshots of every stage are written to /tmp/poll_e2e (look at them)."""
from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from ui.slides import stage_of

from .conftest import LOG, ROOT, streamlit_server, wait_for_app

SHOTS = Path("/tmp/poll_e2e")
WAIT = 120_000  # generous, for a loaded machine: each wait ends on its event, the benchmark times them
PHONE = {"width": 390, "height": 844}
PROJECTOR = {"width": 1280, "height": 720}


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory):
    """The demo app, served beside a link to the app's static/ (the panel's module, static/js/panels/poll_live.js:
    Streamlit serves the static/ beside the script it runs)."""
    env = {**os.environ, "DGM_WARMUP": "0", "DGM_POLL_DIR": str(tmp_path_factory.mktemp("poll"))}
    folder = tmp_path_factory.mktemp("poll_demo")
    (folder / "static").symlink_to(ROOT / "static")
    (folder / "app.py").symlink_to(ROOT / "tests" / "poll_demo" / "app.py")
    with streamlit_server(env, log=LOG, script=folder / "app.py") as (url, _):
        yield url


def shot(page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def click(projector, name: str) -> None:
    button = projector.get_by_role("button", name=name, exact=True)
    expect(button).to_be_enabled(timeout=WAIT)
    button.click()
    wait_for_app(projector)


def count_shown(projector, n: int) -> float:
    """Waits until the projector's live count reads ``n`` answers -> when (time.monotonic)."""
    expect(projector.locator(".pl .count")).to_have_text(re.compile(rf"^{n} answers? from \d+ phones?$"), timeout=WAIT)
    return time.monotonic()


def answer(phone, option: str) -> float:
    """Taps an option -> when the phone showed its receipt."""
    phone.locator("#answer .option", has_text=option).click()
    expect(phone.locator("#status")).to_contain_text("Answer received", timeout=WAIT)
    expect(phone.locator("#answer .option.chosen")).to_contain_text(option)
    return time.monotonic()


def join(phone, url: str, code: str, i: int) -> None:
    """The ``i``-th phone joins: by the link (the 1st), by typing the code in lower case (the 2nd), by the link in
    lower case (the others)."""
    if i == 1:
        phone.goto(f"{url}/poll/")
        phone.locator("#code").fill(code.lower())
        phone.get_by_role("button", name="Join").click()
    else:
        phone.goto(f"{url}/poll/{code if i == 0 else code.lower()}")


def test_a_class_predicts_then_the_model_is_revealed(browser, demo_url):
    projector = browser.new_page(viewport=PROJECTOR)
    projector.goto(demo_url)
    wait_for_app(projector)
    code = projector.locator(".pl .code").inner_text().strip()
    assert len(code) == 5
    expect(projector.locator(".pl .qr svg")).to_be_visible()
    expect(projector.locator(".pl .url")).to_have_text(f"{demo_url}/class/{code}")
    # the server listens on 127.0.0.1 only: no phone reaches it, and the panel names the setting that fixes that
    expect(projector.get_by_text("Phones cannot open a localhost link")).to_contain_text("DGM_POLL_URL")
    qr = projector.locator(".pl .qr").bounding_box()  # scanned from the back of the room
    assert qr["height"] >= stage_of({"w": PROJECTOR["width"], "h": PROJECTOR["height"]}).height / 4
    shot(projector, "projector-1-waiting")

    contexts = [browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True) for _ in range(3)]
    phones = [c.new_page() for c in contexts]
    for i, phone in enumerate(phones):
        join(phone, demo_url, code, i)
        expect(phone.locator("#prompt")).to_contain_text("Waiting for the lecturer", timeout=WAIT)
        expect(phone.locator("#room")).to_have_text(code)
    shot(phones[1], "phone-1-waiting")  # how fast a phone opens it: bench class_poll, not a timed test

    click(projector, "Open")
    for phone in phones:  # the long poll brings the question without a reload
        expect(phone.locator("#answer .option")).to_have_count(4, timeout=WAIT)
    answer(phones[0], "an 8")
    answer(phones[1], "an 8")
    answer(phones[2], "a 3")
    answer(phones[2], "a 9")  # changed its mind: still one answer
    count_shown(projector, 3)  # how soon: bench class_poll's show_s, not a timed test
    shot(phones[2], "phone-2-answered")
    shot(projector, "projector-2-answers")

    countdown = projector.get_by_label("after (s)", exact=True)
    countdown.fill("2")
    countdown.press("Enter")
    wait_for_app(projector)
    click(projector, "Lock")
    expect(phones[0].locator("#timer")).to_contain_text("Locks in", timeout=WAIT)
    shot(phones[0], "phone-3-countdown")
    for phone in phones:
        expect(phone.locator("#status")).to_contain_text("Answers are locked", timeout=WAIT)
        expect(phone.locator("#answer .option").first).to_be_disabled()
    # the countdown's end reruns the projector's page once (the panel's trigger): Reveal is offered
    expect(projector.get_by_role("button", name="Reveal", exact=True)).to_be_enabled(timeout=WAIT)
    wait_for_app(projector)
    expect(projector.get_by_text("discuss with your neighbour")).to_be_visible()  # 2 of 3 agree with the model

    click(projector, "Reveal")
    expect(projector.locator(".js-plotly-plot")).to_have_count(1, timeout=WAIT)
    for phone in phones:
        expect(phone.locator("#results .card")).to_have_count(1, timeout=WAIT)
        expect(phone.locator(".model-says")).to_contain_text("The model: B: an 8 (60 %), C: a 9 (20 %), A: a 3 (15 %)")
    expect(phones[0].locator(".bar.right .tag.you")).to_have_count(1)  # its answer is the model's
    expect(phones[2].locator(".bar.right .tag.you")).to_have_count(0)
    shot(projector, "projector-3-revealed")
    shot(phones[2], "phone-4-revealed")

    click(projector, "Second round")
    for phone in phones:
        expect(phone.locator("#round")).to_contain_text("discuss with your neighbour", timeout=WAIT)
        expect(phone.locator("#results")).to_be_hidden()  # the first round's results hidden while they answer
        answer(phone, "an 8")
    count_shown(projector, 3)
    countdown.fill("0")
    countdown.press("Enter")
    wait_for_app(projector)
    click(projector, "Lock")
    click(projector, "Reveal")
    expect(projector.locator(".js-plotly-plot .legendtext")).to_have_count(3, timeout=WAIT)  # 2 rounds, model
    for phone in phones:
        expect(phone.locator("#results .card")).to_have_count(2, timeout=WAIT)
    expect(phones[2].locator("#results .card").nth(1)).to_contain_text("100 % of the class agreed with the model")
    shot(projector, "projector-4-second-round")
    shot(phones[2], "phone-5-second-round")
    assert not projector.get_by_test_id("stException").count()
    for c in contexts:
        c.close()


def test_a_number_question_on_a_phone(browser, demo_url):
    projector = browser.new_page(viewport=PROJECTOR)
    projector.goto(f"{demo_url}/?q=number")
    wait_for_app(projector)
    code = projector.locator(".pl .code").inner_text().strip()
    click(projector, "Open")
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    phone = context.new_page()
    phone.goto(f"{demo_url}/poll/{code}")
    field = phone.locator("#value")
    expect(field).to_be_enabled(timeout=WAIT)
    field.fill("141")  # over the bound: the browser's own check keeps it from being sent
    phone.get_by_role("button", name="Send").click()
    expect(phone.locator("#status")).not_to_contain_text("Answer received")
    field.fill("41.5")
    phone.get_by_role("button", name="Send").click()
    expect(phone.locator("#status")).to_contain_text("Answer received: 41.5 values", timeout=WAIT)
    count_shown(projector, 1)
    shot(phone, "number-1-phone-answered")
    countdown = projector.get_by_label("after (s)", exact=True)
    countdown.fill("0")
    countdown.press("Enter")
    wait_for_app(projector)
    click(projector, "Lock")
    click(projector, "Reveal")
    expect(projector.locator(".js-plotly-plot")).to_have_count(1, timeout=WAIT)
    expect(phone.locator(".bar.right .tag.model")).to_have_text("model 38 ★", timeout=WAIT)
    expect(phone.locator(".bar", has_text="40–50").locator(".tag.you")).to_have_count(1)
    expect(phone.locator(".share")).to_contain_text("100 % of the class agreed with the model")  # within 10 of 38
    shot(projector, "number-2-projector-revealed")
    shot(phone, "number-3-phone-revealed")
    click(projector, "Reset")  # the phones' answers go too: reopened, the phone has none
    click(projector, "Open")
    expect(field).to_be_enabled(timeout=WAIT)
    expect(field).to_have_value("")
    expect(phone.locator("#status")).not_to_contain_text("Your answer")
    context.close()
