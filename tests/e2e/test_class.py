"""A lecture in chromium, with its room owned by the lecturer (ui/lecture.py, server/rooms.py) and a phone following
it on the class page (static/class/): the lecturer presents a three-step deck (1280x720), ten phone pages (390x844)
follow: one answers the poll inline, one reloads mid-question, one is a student who opens the presenter's link, and
every other follows every step; a second tab of the lecturer's lands on the room's step, a reload keeps the
room, a student who opens the presenter's link without the lecturer's pass sees no control (and the routes answer
403), the phone looks back and rejoins with one tap, and the server killed (-9) and restarted on its port finds the
room on its step, the phone following without a reload. Screenshots in /tmp/class_e2e (look at them)."""
from __future__ import annotations

import json
import os
import re
import signal
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect

from ui.deck import encode, page_files, parse

from .conftest import LOG, deck_key, streamlit_server, wait_for_app

SHOTS = Path("/tmp/class_e2e")
WAIT = 120_000
PHONE = {"width": 390, "height": 844}
PROJECTOR = {"width": 1280, "height": 720}
DECK = {"title": "A lecture of three steps", "steps": [
    {"page": "home", "note": "Step one: the app's {lessons} lessons."},
    {"page": "home", "note": "Step two: the answer is shown.", "question": "How many lessons does the app show?",
     "poll": {"kind": "number", "lo": 0, "hi": 20, "answer": "lessons"}},
    {"page": "home", "note": "Step three: the last."}]}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    env = {**os.environ, "DGM_WARMUP": "0", "DGM_POLL_DIR": str(tmp_path_factory.mktemp("poll")),
           "DGM_CLASS_DIR": str(tmp_path_factory.mktemp("class"))}
    with streamlit_server(env, log=LOG) as (url, proc):
        yield {"url": url, "proc": proc, "env": env}


def shot(page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def state(url: str, code: str) -> dict:
    with urllib.request.urlopen(f"{url}/poll/api/{code}/state", timeout=30) as f:
        return json.loads(f.read())


def deck_of(url: str, code: str) -> dict:
    with urllib.request.urlopen(f"{url}/poll/api/{code}/deck", timeout=30) as f:
        return json.loads(f.read())


def press(projector, name: str) -> None:
    button = projector.get_by_role("button", name=name, exact=True)
    expect(button).to_be_enabled(timeout=WAIT)
    button.click()
    wait_for_app(projector)


def test_a_lecture_the_lecturer_owns_and_a_phone_follows(browser, server):
    url = server["url"]
    name = encode(parse(json.dumps(DECK), page_files()))
    lecturer = browser.new_context(viewport=PROJECTOR)
    projector = lecturer.new_page()
    projector.goto(f"{url}/?deck={name}&step=1")
    wait_for_app(projector)
    press(projector, "Present")  # the lecturer's Present opens the room
    badge = projector.locator(".lecture-badge .lecture-code")
    expect(badge).to_have_text(re.compile(r"^[A-Z0-9]{5}$"), timeout=WAIT)
    code = badge.inner_text()
    assert state(url, code)["lecture"]["step"] == 0
    # the pass reaches the lecturer's cookie (HttpOnly, set by the server)
    for _ in range(100):
        if any(c["name"] == "dgm_lecture" for c in lecturer.cookies()):
            break
        projector.wait_for_timeout(100)
    cookie = next(c for c in lecturer.cookies() if c["name"] == "dgm_lecture")
    assert cookie["httpOnly"] and cookie["value"].startswith(code + ".")

    phone_ctx = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    phone = phone_ctx.new_page()
    phone.goto(f"{url}/class/{code}")
    # eight more phones follow (ten phone pages with the student's below), each a browser of its own
    others = [browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page() for _ in range(8)]
    for other in others:
        other.goto(f"{url}/class/{code}")

    def every(text: str) -> None:
        for other in others:
            expect(other.locator("#text")).to_have_text(text, timeout=WAIT)
    # its number, as the view computed it once the server drew the step's pictures (in the background), "…" before
    expect(phone.locator("#text")).to_have_text(re.compile(r"^Step one: the app's (…|\d+) lessons\.$"), timeout=WAIT)
    expect(phone.locator("#where")).to_have_text("Step 1 of 3")
    shot(phone, "phone-1-step-one")

    deck_key(projector, "ArrowRight", WAIT)  # the clicker: step two, its question asked first
    wait_for_app(projector)
    expect(phone.locator("#text")).to_have_text("How many lessons does the app show?", timeout=WAIT)
    every("How many lessons does the app show?")
    press(projector, "Open")
    field = phone.locator("#value")
    expect(field).to_be_enabled(timeout=WAIT)
    field.fill("7")
    phone.get_by_role("button", name="Send").click()
    expect(phone.locator("#status")).to_contain_text("Answer received: 7", timeout=WAIT)
    expect(projector.locator(".pl .count")).to_have_text("1 answer from 9 phones", timeout=WAIT)
    shot(phone, "phone-2-question")
    shot(projector, "projector-2-question")

    # a second tab of the lecturer's, opened on step 1, lands on the room's step; a reload keeps the room
    second = lecturer.new_page()
    second.goto(f"{url}/?deck={name}&step=1&present=1")
    wait_for_app(second)
    expect(second.locator(".lecture-badge .lecture-code")).to_have_text(code, timeout=WAIT)
    assert "step=2" in second.url
    expect(second.get_by_role("button", name="Lock", exact=True)).to_be_visible()
    second.close()
    projector.reload()
    wait_for_app(projector)
    expect(projector.locator(".lecture-badge .lecture-code")).to_have_text(code, timeout=WAIT)
    expect(projector.locator(".pl .count")).to_have_text("1 answer from 9 phones", timeout=WAIT)
    others[0].reload()  # a phone reloaded mid-question: the same question, open, in the same room
    expect(others[0].locator("#text")).to_have_text("How many lessons does the app show?", timeout=WAIT)
    expect(others[0].locator("#value")).to_be_enabled(timeout=WAIT)
    expect(others[0].locator("#room")).to_have_text(code)
    expect(projector.locator(".pl .count")).to_have_text("1 answer from 9 phones", timeout=WAIT)  # the same phone

    # a student opens the presenter's link without the pass: the slide, no control; the routes refuse
    student_ctx = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    student = student_ctx.new_page()
    student.goto(projector.url)
    wait_for_app(student)
    expect(student.get_by_text("Only the lecturer's browser")).to_be_visible(timeout=WAIT)
    for control in ("Open", "Lock", "Reveal", "Reset", "Second round"):
        expect(student.get_by_role("button", name=control, exact=True)).to_have_count(0)
    expect(student.locator(".lecture-badge")).to_have_count(0)
    qid = state(url, code)["question"]["id"]
    for path, body in ((f"{code}/step", {"step": 2, "shown": False}), (f"{code}/questions/{qid}/reset", {})):
        r = student.request.post(f"{url}/poll/api/{path}", data=body)
        assert r.status == 403, path
    assert state(url, code)["lecture"]["step"] == 1 and state(url, code)["question"]["answers"] == 1
    shot(student, "student-presenter-link")
    student_ctx.close()

    deck_key(projector, "ArrowRight", WAIT)  # the answer: the phone shows the note, the projector the class's answers
    wait_for_app(projector)
    expect(phone.locator("#text")).to_have_text("Step two: the answer is shown.", timeout=WAIT)
    every("Step two: the answer is shown.")
    expect(projector.locator(".js-plotly-plot")).to_have_count(1, timeout=WAIT)
    shot(projector, "projector-3-answer")

    # the server killed mid-lecture and restarted on its port: the same room, step and answers
    port = int(url.rsplit(":", 1)[1])
    server["proc"].send_signal(signal.SIGKILL)
    server["proc"].wait(30)
    with streamlit_server(server["env"], log=LOG, port=port):
        projector.reload()
        wait_for_app(projector)
        expect(projector.locator(".lecture-badge .lecture-code")).to_have_text(code, timeout=WAIT)
        assert "step=2" in projector.url and "shown=1" in projector.url
        assert state(url, code)["question"]["answers"] == 1
        deck_key(projector, "ArrowRight", WAIT)  # step three: the phone follows without a reload
        wait_for_app(projector)
        for _ in range(300):  # the room took the step
            if state(url, code)["lecture"]["step"] == 2:
                break
            projector.wait_for_timeout(100)
        shot(projector, "projector-4-restarted-step-three")
        assert state(url, code)["lecture"]["step"] == 2, projector.url
        expect(phone.locator("#text")).to_have_text("Step three: the last.", timeout=WAIT)
        expect(phone.locator("#where")).to_have_text("Step 3 of 3")
        every("Step three: the last.")  # every phone, none reloaded, past the server's restart
        # the student looks back, then rejoins the lecturer with one tap
        phone.get_by_role("button", name="The step before").click()
        expect(phone.locator("#text")).to_have_text("Step two: the answer is shown.")
        expect(phone.locator("#follow")).to_contain_text("the lecturer is on step 3")
        shot(phone, "phone-4-looking-back")
        phone.get_by_role("button", name="Back to the lecturer").click()
        expect(phone.locator("#text")).to_have_text("Step three: the last.")
        expect(phone.get_by_role("button", name="Back to the lecturer")).to_be_hidden()
        shot(phone, "phone-5-rejoined")
        # step one's pictures, once drawn: all of them from the step's one file (data URLs), every one decoded
        for _ in range(1200):
            first = deck_of(url, code)["steps"][0]
            if first["drawn"]:
                break
            phone.wait_for_timeout(100)
        assert first["drawn"] and first["pictures"] and first["bundle"], first
        phone.reload()  # the deck read again, its pictures drawn
        expect(phone.locator("#where")).to_have_text("Step 3 of 3", timeout=WAIT)
        for _ in range(2):
            phone.get_by_role("button", name="The step before").click()
        expect(phone.locator("#pictures img")).to_have_count(len(first["pictures"]))
        phone.wait_for_function("[...document.querySelectorAll('#pictures img')].every((i) => "
                                "i.src.startsWith('data:image/') && i.complete && i.naturalWidth > 0)", timeout=WAIT)
        shot(phone, "phone-6-step-one-pictures")
        phone.get_by_role("button", name="Back to the lecturer").click()
        assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # nothing wider than a phone
    phone_ctx.close()
    for other in others:
        other.context.close()
    lecturer.close()


# the pack's deck: its third step the class's own experiment, as the shipped lecture's third
PACK_DECK = {**DECK, "steps": [*DECK["steps"][:2], {
    "page": "inpainting", "link": "inp_ds=mnist&inp_preset=bottom", "note": "Step three: the last.",
    "experiment": "inpaint"}]}


def test_a_lesson_pack_offline(browser, tmp_path, monkeypatch):
    """``python -m dgm_core pack``'s folder, served by ``python -m http.server``: every step draws from the folder
    alone (no request leaves it), the page says it follows no lecturer and shows no poll, a question is answered by a
    tap, and the third step's own experiment runs on the phone (the bottom half hidden by its one tap, both fills
    with their F1) and sends nothing (no POST), saying its run stays on the phone. Opened from disk, the page says to
    serve the folder."""
    import subprocess
    import sys
    import time

    from ui import class_pack

    monkeypatch.setenv("DGM_CLASS_DIR", str(tmp_path / "drawn"))
    deck_file = tmp_path / "three.json"
    deck_file.write_text(json.dumps(PACK_DECK))
    folder = tmp_path / "pack"
    assert subprocess.run([sys.executable, "-m", "dgm_core", "pack", str(deck_file), str(folder)],
                          env={**os.environ, "DGM_CLASS_DIR": str(tmp_path / "drawn")}).returncode == 0
    public = json.loads((folder / "class" / "deck.json").read_text())
    pictures = [p["src"] for s in public["steps"] for p in s["pictures"]]
    assert len(public["steps"]) == 3 and pictures and all((folder / "class" / p).is_file() for p in pictures)
    experiment = folder / "class" / public["steps"][2]["experiment"]
    spec = json.loads(experiment.read_text())
    spec["settings"].update(steps=25, burn_in=6)  # a short chain: the test is of the pack, not of the samplers
    spec["chain"] = "25 chain steps"
    experiment.write_text(json.dumps(spec))
    assert public["steps"][0]["note"] == f"Step one: the app's {len(public['steps'][0]['pictures'])} lessons."
    assert class_pack.main(["lecture", str(folder)]) == 2  # a pack goes into a new folder only
    http = subprocess.Popen([sys.executable, "-m", "http.server", "0", "--bind", "127.0.0.1"], cwd=folder,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        line = http.stdout.readline()  # "Serving HTTP on 127.0.0.1 port N (...)"
        base = f"http://127.0.0.1:{int(line.split(' port ')[1].split()[0])}"
        ctx = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
        asked: list[str] = []
        posted: list[str] = []
        ctx.on("request", lambda r: asked.append(r.url))
        ctx.on("request", lambda r: r.method == "GET" or posted.append(f"{r.method} {r.url}"))
        missing: list[str] = []  # every file the page asks for is in the folder (a step's pictures.json too)
        ctx.on("response", lambda r: r.status < 400 or missing.append(f"{r.status} {r.url}"))
        page = ctx.new_page()
        page.goto(base + "/")
        expect(page.locator("#follow")).to_contain_text("follows no lecturer and shows no poll", timeout=WAIT)
        expect(page.locator("#text")).to_have_text(public["steps"][0]["note"])
        expect(page.locator("#pictures img")).to_have_count(len(public["steps"][0]["pictures"]))
        page.wait_for_function("[...document.images].every((i) => i.complete && i.naturalWidth > 0)")
        shot(page, "pack-1-step-one")
        page.get_by_role("button", name="The step after").click()
        expect(page.locator("#text")).to_have_text("How many lessons does the app show?")
        expect(page.locator("#poll")).to_be_hidden()
        page.get_by_role("button", name="Show the answer").click()
        expect(page.locator("#text")).to_have_text("Step two: the answer is shown.")
        page.get_by_role("button", name="The step after").click()
        expect(page.locator("#text")).to_have_text("Step three: the last.")
        expect(page.get_by_role("button", name="The step after")).to_be_disabled()
        expect(page.locator(".exp-canvas")).to_be_visible(timeout=WAIT)
        page.get_by_role("button", name="Hide the bottom half").click()
        page.get_by_role("button", name="Run both samplers").click()
        expect(page.locator(".exp-sent")).to_have_text(
            "Your run stays on this phone: a lesson pack has no projector to pool it.", timeout=WAIT)
        captions = page.locator(".exp-fills figcaption").all_inner_texts()
        assert len(captions) == 2 and all(0 <= float(c.rsplit("F1 ", 1)[1]) <= 1 for c in captions), captions
        shot(page, "pack-3-experiment")
        time.sleep(0.5)
        assert asked and all(u.startswith(base + "/") for u in asked), [u for u in asked if not u.startswith(base)]
        assert not any("/poll/api/" in u for u in asked) and not posted, posted
        assert not missing, missing
        ctx.close()
        disk = browser.new_context(viewport=PHONE).new_page()
        disk.goto((folder / "index.html").as_uri())  # opened from disk: the pack leads to class/index.html
        expect(disk.locator("#text")).to_have_text(class_pack.FROM_DISK, timeout=WAIT)
        disk.context.close()
    finally:
        http.terminate()
        http.wait(10)
