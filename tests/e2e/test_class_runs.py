"""The class's own experiment pooled on the projector (ui/class_runs_view.py) in chromium at 1280x720: the lecturer
presents a deck whose second step runs the experiment, the pooled view says no run yet, then twelve phones' runs
(sent over HTTP as the class page sends them) appear beside the step's view without a reload: the count, the paired
difference, the strip and the wall of masks, all on the first screen. Screenshot in /tmp/class_e2e (look at it)."""
from __future__ import annotations

import json
import os
import re
import urllib.error
import urllib.request

import numpy as np
import pytest
from playwright.sync_api import expect

from server import class_deck
from tests.server.test_class_runs import SPEC, TRUTH
from ui.class_runs_view import EMPTY
from ui.deck import encode, page_files, parse

from .conftest import LOG, deck_key, streamlit_server, wait_for_app
from .test_class import PROJECTOR, WAIT, press, shot, state

DECK = {"title": "The class's experiment", "steps": [
    {"page": "home", "note": "Step one: follow on your phone."},
    {"page": "home", "note": "Step two: hide any part of the digit you like, and Run."}]}


def post(url: str, body: dict) -> tuple[int, dict]:
    r = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                               headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(r, timeout=30) as f:
        return f.status, json.loads(f.read())


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    env = {**os.environ, "DGM_WARMUP": "0", "DGM_POLL_DIR": str(tmp_path_factory.mktemp("poll")),
           "DGM_CLASS_DIR": str(tmp_path_factory.mktemp("class"))}
    with streamlit_server(env, log=LOG) as (url, proc):
        yield {"url": url, "env": env}


def present(browser, url: str, deck: dict):
    """The lecturer presents ``deck`` at 1280x720 -> (the projector's page, the room's code)."""
    projector = browser.new_context(viewport=PROJECTOR).new_page()
    projector.goto(f"{url}/?deck={encode(parse(json.dumps(deck), page_files()))}&step=1")
    wait_for_app(projector)
    press(projector, "Present")
    badge = projector.locator(".lecture-badge .lecture-code")
    expect(badge).to_have_text(re.compile(r"^[A-Z0-9]{5}$"), timeout=WAIT)
    return projector, badge.inner_text()


def drawn_experiment(projector, url: str, code: str) -> str:
    """The room's deck hash, once Present's drawing of the deck wrote its second step's experiment (it does so
    first)."""
    h = state(url, code)["lecture"]["deck"]
    for _ in range(600):
        if class_deck.experiment(h, 1) is not None:
            break
        projector.wait_for_timeout(200)
    return h


def test_the_projector_pools_the_class_runs_as_they_arrive(browser, server, monkeypatch):
    url = server["url"]
    monkeypatch.setenv("DGM_CLASS_DIR", server["env"]["DGM_CLASS_DIR"])
    projector, code = present(browser, url, DECK)
    class_deck.write_experiment(state(url, code)["lecture"]["deck"], 1, SPEC)  # as the deck's drawing writes it
    deck_key(projector, "ArrowRight", WAIT)
    expect(projector.get_by_text(EMPTY)).to_be_visible(timeout=WAIT)
    api = f"{url}/poll/api/{code}"
    rng = np.random.default_rng(0)
    for _ in range(12):
        token = post(f"{api}/join", {})[1]["token"]
        mask = "".join(np.where(rng.random(784) < 0.4, "0", "1"))
        fills = {m: np.clip(TRUTH + rng.normal(0, s, 784), 0, 1).round(3).tolist() for m, s in
                 (("mwg", 0.3), ("pseudo_gibbs", 0.4))}
        assert post(f"{api}/run", {"token": token, "step": 1, "mask": mask, "fills": fills})[0] == 200
    count = projector.locator(".class-runs .count")
    expect(count).to_have_text("12 runs from the class", timeout=WAIT)  # the fragment's next read, no reload
    expect(projector.locator(".class-runs .diff")).to_contain_text("exact sampler − pseudo-Gibbs: ")
    wall = projector.get_by_role("img").last
    for element in (count, wall, projector.locator(".js-plotly-plot").last):
        box = element.bounding_box()
        assert box and box["y"] + box["height"] <= PROJECTOR["height"] + 1, box  # on the first screen
    shot(projector, "pooled-projector")


PHONE_DECK = {"title": "The class's own experiment", "steps": [
    {"page": "home", "note": "Step one: follow on your phone."},
    {"page": "inpainting", "link": "inp_ds=mnist&inp_preset=bottom&inp_methods=mwg,pseudo_gibbs",
     "note": "Hide any part of the digit you like, and Run.", "view": "inpainting.fills", "experiment": "inpaint"}]}


def test_phones_run_their_own_experiment_and_the_projector_pools_them(browser, server, monkeypatch):
    """Two phones (390x844) on the class page hide part of the step's digit (one the bottom half, one a stroke of a
    finger) and run both samplers in their own browser; the server scores their fills as the phones did, and the
    projector counts both runs without a reload."""
    from urllib.parse import parse_qsl

    from ui.class_pictures import experiment_spec

    from .test_class import PHONE

    url = server["url"]
    monkeypatch.setenv("DGM_CLASS_DIR", server["env"]["DGM_CLASS_DIR"])
    projector, code = present(browser, url, PHONE_DECK)
    h = drawn_experiment(projector, url, code)
    assert class_deck.experiment(h, 1) == experiment_spec(dict(parse_qsl(PHONE_DECK["steps"][1]["link"])))
    spec = class_deck.experiment(h, 1)
    spec["settings"].update(steps=25, burn_in=6)  # a short chain: the test is of the page, not of the samplers
    spec["chain"] = "25 chain steps"
    class_deck.write_experiment(h, 1, spec)
    phones = []
    for _ in range(2):
        phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
        phone.goto(f"{url}/class/{code}")
        expect(phone.locator("#where")).to_have_text("Step 1 of 2", timeout=WAIT)
        phones.append(phone)
    deck_key(projector, "ArrowRight", WAIT)
    for i, phone in enumerate(phones):
        canvas = phone.locator(".exp-canvas")
        expect(canvas).to_be_visible(timeout=WAIT)
        expect(phone.locator(".exp-how")).to_contain_text("25 chain steps")
        if i == 0:
            phone.get_by_role("button", name="Hide the bottom half").click()
        else:
            box = canvas.bounding_box()
            phone.mouse.move(box["x"] + 10, box["y"] + box["height"] * 0.3)
            phone.mouse.down()
            phone.mouse.move(box["x"] + box["width"] - 10, box["y"] + box["height"] * 0.5, steps=15)
            phone.mouse.up()
        phone.get_by_role("button", name="Run both samplers").click()
    shown = []
    for i, phone in enumerate(phones):
        expect(phone.locator(".exp-sent")).to_contain_text("Sent: the projector pools", timeout=WAIT)
        captions = phone.locator(".exp-fills figcaption").all_inner_texts()
        shown.append([float(c.rsplit("F1 ", 1)[1]) for c in captions])
        shot(phone, f"experiment-phone-{i + 1}")
    expect(projector.locator(".class-runs .count")).to_have_text("2 runs from the class", timeout=WAIT)
    with urllib.request.urlopen(f"{url}/poll/api/{code}/runs?step=1", timeout=30) as f:
        pooled = json.loads(f.read())
    assert pooled["n"] == 2 and len(set(pooled["masks"])) == 2  # two masks of the students' own
    for j, m in enumerate(spec["methods"]):  # the server's scores are the phones' own (shown to 2 decimals)
        assert abs(pooled["mean"][m] - np.mean([s[j] for s in shown])) <= 0.0051, (m, pooled["mean"], shown)
    expect(projector.locator(".js-plotly-plot .scatterlayer .point")).to_have_count(2, timeout=WAIT)  # the strip
    expect(projector.locator(".class-runs .diff")).to_contain_text("exact sampler − pseudo-Gibbs: ")
    shot(projector, "experiment-projector")


LATENT_DECK = {"title": "The class's own latent space", "steps": [
    {"page": "home", "note": "Step one: follow on your phone."},
    {"page": "latent", "note": "Step two: move the sliders on your phone.", "experiment": "latent"}]}


def test_a_phone_moves_the_generators_z_with_its_own_sliders(browser, server, monkeypatch):
    """A latent step's experiment: the phone loads the step's generator (onnxruntime-web), draws the seed's picture,
    and a slider's move redraws it; the projector shows no pooled view (nothing is sent), and a run posted on that
    step is refused."""
    from .test_class import PHONE

    url = server["url"]
    monkeypatch.setenv("DGM_CLASS_DIR", server["env"]["DGM_CLASS_DIR"])
    projector, code = present(browser, url, LATENT_DECK)
    h = drawn_experiment(projector, url, code)
    spec = class_deck.experiment(h, 1)
    assert spec["kind"] == "latent" and len(spec["dirs"]) == len(spec["names"]) == len(spec["values"])
    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    phone.goto(f"{url}/class/{code}")
    expect(phone.locator("#where")).to_have_text("Step 1 of 2", timeout=WAIT)
    deck_key(projector, "ArrowRight", WAIT)
    expect(phone.locator(".exp-status")).to_have_text("Your exploration stays on this phone.", timeout=WAIT)
    sliders = phone.locator(".exp-slider input")
    expect(sliders).to_have_count(len(spec["names"]))
    pixels = "() => Array.from(document.querySelector('.exp-canvas').getContext('2d').getImageData(0, 0, " \
             f"{spec['shape'][2]}, {spec['shape'][1]}).data).join(',')"
    phone.wait_for_function(f"({pixels})().split(',').some((v, i) => i % 4 !== 3 && v !== '0')", timeout=WAIT)
    before = phone.evaluate(pixels)
    sliders.nth(0).fill(str(spec["hi"]))  # as a finger drags it to the end
    phone.wait_for_function(f"({pixels})() !== {json.dumps(before)}", timeout=WAIT)
    expect(phone.locator(".exp-slider span").nth(0)).to_contain_text(f"{spec['hi']:.1f}")
    shot(phone, "latent-phone")
    phone.get_by_role("button", name="Back to the start").click()
    phone.wait_for_function(f"({pixels})() === {json.dumps(before)}", timeout=WAIT)
    wait_for_app(projector)
    expect(projector.locator(".class-runs")).to_have_count(0)  # nothing pooled: it stays on the phones
    token = post(f"{url}/poll/api/{code}/join", {})[1]["token"]
    with pytest.raises(urllib.error.HTTPError) as refused:  # a run posted on that step anyway
        post(f"{url}/poll/api/{code}/run", {"token": token, "step": 1, "mask": "01", "fills": {}})
    assert refused.value.code == 409
    assert json.loads(refused.value.read())["error"] == "Step 2's experiment stays on each phone: it sends no run."
