"""Present mode draws slides (ui/slides.py): every step of the shipped deck draws its view and nothing of its page,
the numbers its note quotes are filled from its view's result, a note names no control, tab or button its slide does
not show, a question is asked before its answer is drawn, and a deck that names a view its page does not draw is
refused in one sentence."""
from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from urllib.parse import parse_qsl

import pytest

from tests.app import open_page
from dgm_core.demos import critics
from ui import catalog, critics_view, deck, slides
from ui.catalog import PAGES, SPECS

ROOT = Path(__file__).resolve().parents[2]
PAGE_FILES = {p.url_path: p.file for p in PAGES}
LECTURE = deck.shipped(PAGE_FILES)["lecture"]
STEPS = list(enumerate(LECTURE.steps, 1))
NOTE_CHARS = 190  # about two lines of a slide's note across a 1280-px projector (chromium measures the lines)


def _literals(call_names: set[str], arg: int = 0) -> set[str]:
    """The string literals the app's pages and ui modules pass to these Streamlit calls (tab and button labels)."""
    out: set[str] = set()
    for path in [*(ROOT / "pages").glob("*.py"), *(ROOT / "ui").glob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) in call_names:
                if len(node.args) > arg:
                    a = node.args[arg]
                    items = a.elts if isinstance(a, (ast.List, ast.Tuple)) else [a]
                    out |= {e.value for e in items if isinstance(e, ast.Constant) and isinstance(e.value, str)}
    return out


# everything a note could ask a lecturer to touch: every control's label (and its tab names), every tab and button
CONTROLS = {c.label for spec in SPECS.values() for c in spec.values()}
TABS = {str(v) for spec in SPECS.values() for k, c in spec.items() if k == "tab" for v in (c.choices or [])}
TOUCHABLE = {x.lower() for x in CONTROLS | TABS | _literals({"tabs"}) | _literals({"button", "run_button"})
             | {o for v in catalog.VIEWS.values() for o in v.offers}}


def _shown(step) -> set[str]:
    """What the step's slide lets the lecturer touch: its named controls and its view's own buttons and sliders."""
    view = catalog.view_of(step)
    named = {found[0][found[2]].label for key in step.controls if (found := catalog.control_of(key))}
    return {x.lower() for x in named | set(view.offers if view else ())}


def asked_but_not_shown(step) -> list[str]:
    """The bold phrases of a step's note that name something to touch which its slide does not show."""
    bold = [b.strip().lower() for b in re.findall(r"\*\*(.+?)\*\*", step.note)]
    return [b for b in bold if b in TOUCHABLE and b not in _shown(step)]


@pytest.mark.parametrize("k,step", STEPS, ids=[f"step{k}" for k, _ in STEPS])
def test_a_note_names_no_control_tab_or_button_its_slide_does_not_show(k, step):
    assert catalog.view_of(step) is not None, f"step {k} has no view to present"
    assert not asked_but_not_shown(step), f"step {k}'s note asks for {asked_but_not_shown(step)}"


def test_the_check_catches_the_notes_that_asked_for_hidden_controls():
    """The notes of the deck before slides: "press **Run**" on a slide without Run, "Open **Bound against K**" on a
    step that lands on another tab, a **Threshold b** the slide does not offer."""
    step = LECTURE.steps[0]
    for note in ("press **Run** to compare", "Open **Bound against K**: the bound rises", "A lower **Threshold b**"):
        assert asked_but_not_shown(deck.Step(step.page, "", note, (), "home.lessons")), note
    ok = deck.Step("mnar_images", "", "A lower **Threshold b**", ("mi_clip_b",), "mnar_images.faces")
    assert not asked_but_not_shown(ok)


@pytest.mark.parametrize("k,step", STEPS, ids=[f"step{k}" for k, _ in STEPS])
def test_a_shipped_note_fits_two_lines_of_the_projector(k, step):
    filled = slides.fill_note(step.note, {name: "0.000" for name in slides.placeholders(step.note)})
    assert len(filled.replace("**", "")) <= NOTE_CHARS, f"step {k}: {len(filled)} characters"


def _note(at) -> str:
    return " ".join(m.value for m in at.markdown)


@pytest.mark.parametrize("k,step", STEPS, ids=[f"step{k}" for k, _ in STEPS])
def test_each_shipped_step_presents_its_view_with_the_numbers_of_its_result(k, step):
    at = open_page(step.page, "", timeout=300, deck="lecture", step=k, present=1)
    assert not at.exception, f"step {k}: {at.exception}"
    assert not at.title, f"step {k}: the page's own body was drawn under the slide"
    text = _note(at)
    missing = [name for name in slides.placeholders(step.note) if "{" + name + "}" in text or "…" in text]
    assert not missing, f"step {k}: its view gave no {missing}"
    facts = at.session_state[slides.FACTS][f"lecture:{k - 1}"]
    if step.question:  # asked first: the question in the note's place; → then shows the note
        assert step.question in text and slides.fill_note(step.note, facts) not in text
        at.button(key="_deck_next").click().run()
        assert not at.exception and at.query_params["shown"] == "1"
        text = _note(at)
    assert slides.fill_note(step.note, facts) in text  # the note shown is the note filled from the view's result
    for key in step.controls:
        assert any(w.key.endswith("_" + key) for w in [*at.slider, *at.select_slider, *at.radio]), key


def test_a_question_is_asked_before_its_answer_and_the_next_press_reveals_it():
    k, step = next((k, s) for k, s in STEPS if s.question and catalog.view_of(s).asks)
    at = open_page(step.page, "", timeout=300, deck="lecture", step=k, present=1)
    assert not at.exception
    assert any(step.question in m.value for m in at.markdown)
    assert at.button(key="_deck_next").label == "Answer"
    asked = len(at.get("image"))
    assert asked == 1, f"{asked} pictures under the question: only the observed half belongs there"
    at.button(key="_deck_next").click().run()
    assert not at.exception
    assert at.query_params["step"] == str(k) and at.query_params["shown"] == "1"
    assert at.button(key="_deck_next").label != "Answer"
    assert len(at.get("image")) > asked  # the answer: each method's draws
    at.button(key="_deck_back").click().run()  # ← asks it again
    assert "shown" not in at.query_params and at.button(key="_deck_next").label == "Answer"


@pytest.mark.parametrize("change, words", [
    ({"view": "critics.theta"}, "does not draw"),  # a view of another page
    ({"view": "inpainting.nothing"}, "does not draw"),
    ({"question": "?" * 301}, "at most 300"),
    ({"view": ["inpainting.fills"]}, "short texts"),
])
def test_a_step_naming_a_view_its_page_does_not_draw_is_one_sentence(change, words):
    text = '{"title": "t", "steps": [%s]}' % __import__("json").dumps({"page": "inpainting", "note": "n", **change})
    with pytest.raises(deck.DeckError, match=words):
        deck.parse(text, PAGE_FILES)


def test_a_deck_keeps_its_views_and_questions_through_its_file_and_its_link():
    assert deck.parse(deck.to_json(LECTURE), PAGE_FILES) == LECTURE
    assert deck.decode(deck.encode(LECTURE), PAGE_FILES) == LECTURE


def test_the_stage_is_the_window_less_the_notes_band():
    projector, phone = slides.stage_of({"w": 1280, "h": 720}), slides.stage_of({"w": 390, "h": 844})
    assert projector == slides.stage_of(None) and not projector.phone and phone.phone
    assert projector.height < 720 and phone.width < 390
    assert slides.stage_of({"w": 10**9, "h": -5}).width <= 4000  # a forged size is clamped
    for w, h, s in ((1920, 1080, 1.5), (3840, 2160, 3)):  # a larger projector: the same slide, s times larger
        big = slides.stage_of({"w": w, "h": h})
        assert (big.width, big.height) == (projector.width * s, projector.height * s)


POLLED = [(k, s) for k, s in STEPS if s.poll]


def poll_question_id(step, k: int) -> str:
    """The store's id of a shipped step's poll, as present mode makes it (ui.poll.question_id)."""
    from ui.poll import question_id

    facts = catalog.view_of(step).facts(dict(parse_qsl(step.link)))
    slide = slides.Slide(step.note, catalog.view_of(step), {}, {}, step.question, False, step.poll)
    return question_id(slides.poll_question(slide, facts), f"lecture:{k - 1}")


def test_the_shipped_deck_has_five_predict_steps_each_answered_by_its_model():
    assert len(POLLED) >= 5
    for k, step in POLLED:
        assert catalog.view_of(step).facts is not None, f"step {k}: no result to answer its poll"


@pytest.mark.parametrize("k,step", POLLED, ids=[f"step{k}" for k, _ in POLLED])
def test_a_polled_step_asks_the_phones_first_with_the_models_answer_computed(k, step):
    from server.poll_routes import store

    from streamlit.testing.v1 import AppTest

    from server import rooms
    from tests.app import PAGES as PAGE_DIR
    from ui import lecture

    lec = rooms.open_lecture(store(), "lecture", deck.as_dict(deck.find("lecture", deck.page_files())))
    at = AppTest.from_file(str(PAGE_DIR / f"{step.page}.py"), default_timeout=300)
    at.query_params.update(deck="lecture", step=str(k), present="1")
    at.session_state[lecture.PASS] = lec.pass_  # the lecturer's browser: it pressed Present on step 1 ...
    at.session_state[lecture.SYNCED] = lec.code  # ... and stepped on from there
    at.run()
    assert not at.exception, at.exception
    assert step.question in _note(at)
    assert rooms.resume(store(), lec.pass_).step == k - 1  # the room follows the lecturer's step
    q = store().state(lec.code, key=lec.key, question=poll_question_id(step, k))["question"]
    assert q["prompt"] == step.question
    facts = catalog.view_of(step).facts(dict(parse_qsl(step.link)))
    answer, model = facts[step.poll["answer"]], q["results"]["model"]
    if isinstance(answer, dict):  # a posterior over the options
        assert model["probs"] == pytest.approx([answer[o] for o in q["options"]]), f"step {k}"
    elif step.poll["kind"] == "choice":
        assert model and q["options"][model["option"]] == answer, f"step {k}: the model's answer is not {answer!r}"
        assert answer in slides.fill_note(step.note, facts), f"step {k}: the note does not name {answer!r}"
    else:
        assert model["value"] == pytest.approx(float(answer)), f"step {k}"
    assert not any("slide_" in (w.key or "") for w in at.get("image")), "the answer drawn before the question"


@pytest.mark.parametrize("theta, moves", [(0.5, "Wasserstein"), (2, "Wasserstein")])
def test_the_critic_that_tells_the_generator_where_to_move_is_read_from_the_sweep(theta, moves):
    """Closed form: away from θ = 0 the squared Hellinger distance is flat at 2 and the Wasserstein distance is |θ|,
    slope 1; the shipped sweep's estimates must say so."""
    assert critics_view.theta_facts({critics.PREFIX + "theta": str(theta)})["moves"] == moves


@pytest.mark.parametrize("present", [0, 1])
def test_a_note_with_stray_braces_shows_as_the_lecturer_wrote_it(present):
    """A lone brace or LaTeX's x^{2}} in a note is text, as is a placeholder no view fills; the page runs."""
    note = "Lone } and { braces, x^{2}} and {no_such_fact}."
    mine = deck.Deck("braces", (deck.Step("home", "", note, (), "home.lessons"),))
    assert slides.fill_note(note, {}) == note
    at = open_page("home", "", deck=deck.encode(mine), step=1, present=present)
    assert not at.exception, at.exception
    # presented, a fact its view lacks shows as written; in explore mode, as "…" until the slide is presented
    shown = note if present else note.replace("{no_such_fact}", "…")
    assert any(shown in m.value for m in at.markdown), _note(at)[:300]


CRITICS_STEPS = [(k, s) for k, s in STEPS if s.view == "critics.theta"]


@pytest.mark.parametrize("k,step", CRITICS_STEPS, ids=[f"step{k}" for k, _ in CRITICS_STEPS])
def test_a_critics_slide_draws_no_estimate_beyond_its_own_theta(k, step):
    """The sweep is revealed as the lecture's θ grows: no step draws an estimate or true value at a θ a later question
    asks about (step 16's chart must not answer steps 17 and 18)."""
    theta = slides.link_values(critics, dict(parse_qsl(step.link)))["theta"]
    at = open_page(step.page, "", timeout=300, deck="lecture", step=k, present=1)
    if step.question:
        at.button(key="_deck_next").click().run()
    assert not at.exception, at.exception
    traces = [t for c in at.get("plotly_chart") for t in json.loads(c.proto.spec)["data"]
              if "estimate" in t.get("name", "") or "true" in t.get("name", "")]
    assert traces, f"step {k}: no sweep drawn"
    assert max(x for t in traces for x in t["x"]) <= theta + 1e-9, f"step {k} draws the sweep beyond θ = {theta}"


QUESTIONS = [(k, s) for k, s in STEPS if s.question]


@pytest.mark.parametrize("k,step", QUESTIONS, ids=[f"step{k}" for k, _ in QUESTIONS])
def test_a_question_stage_draws_nothing_of_its_answer(k, step, monkeypatch):
    """Every picture under a question is the input as the class may see it: a hole is one flat grey (none of the
    hidden truth shows through), a face to be clipped is the whole face, and no chart of the answer is drawn."""
    import numpy as np
    import streamlit

    from dgm_core import masks
    from dgm_core.demos import inpainting, mnar_images
    from ui import mnar_images_view

    drawn, image = [], streamlit.image
    monkeypatch.setattr(streamlit, "image", lambda img, *a, **kw: (drawn.append(img), image(img, *a, **kw))[1])
    at = open_page(step.page, "", timeout=300, deck="lecture", step=k, present=1)
    assert not at.exception, at.exception
    assert step.question in _note(at)
    link = dict(parse_qsl(step.link))
    charts = [t.get("name", "") for c in at.get("plotly_chart") for t in json.loads(c.proto.spec)["data"]]
    assert not [n for n in charts if "estimate" in n or "true" in n], f"step {k}: the answer's chart is drawn"
    pictures = [np.asarray(p.convert("RGB")) for p in drawn if hasattr(p, "convert")]
    if step.page == "inpainting":
        values = slides.link_values(inpainting, link)
        hidden = ~inpainting.preset_mask(values, (28, 28)).numpy()
        assert pictures, f"step {k}: the question shows no input"
        for a in pictures:
            cells = a[:: a.shape[0] // 28, :: a.shape[1] // 28][:28, :28]  # one pixel per image pixel
            assert (np.abs(cells[hidden].astype(int) - round(255 * masks.HOLE_GREY[0])) <= 1).all(), \
                f"step {k}: a hidden pixel shows through its hole"
    elif step.page == "mnar_images":
        face = mnar_images_view._clipped(link)[0]
        truth = (face.permute(1, 2, 0).numpy() * 255).round()
        assert len(pictures) == 1, f"step {k}: {len(pictures)} pictures under the question; the face alone belongs"
        a = pictures[0]
        assert np.abs(a[:: a.shape[0] // 32, :: a.shape[1] // 32][:32, :32] - truth).max() <= 1, \
            f"step {k}: the face under the question is not the whole face"
    else:
        assert not pictures, f"step {k}: pictures drawn before the answer"
    del mnar_images


@pytest.mark.parametrize("a, b, margin, higher, answer", [
    (0.79, 0.789, 0.01, True, "a tie (within 0.01)"),  # step 2's MWG and DMFA before: a tie, never broken silently
    (0.79, 0.65, 0.01, True, "A"),
    (0.60, 0.70, 0.01, True, "B"),
    (0.847, 1.285, 0.01, False, "A"),  # errors: the lower wins
    (0.847, 0.853, 0.01, False, "a tie (within 0.01)"),
])
def test_a_duel_names_the_better_by_its_margin_or_a_tie(a, b, margin, higher, answer):
    got = slides.duel(("A", a), ("B", b), margin, higher)
    assert got["duel"] == answer and got["duel_options"].split("|") == ["A", "B", "a tie (within 0.01)"]


def test_no_shipped_choice_poll_answers_by_a_bare_argmax():
    """A choice poll's answer is a rule's unique option (a duel with its tie, the critic that moves, a posterior),
    never the best of many scores, where two within the slide's precision would tie silently."""
    for k, step in POLLED:
        assert step.poll.get("answer") != "best", f"step {k} answers with the best of many scores"


def test_a_steps_widget_keeps_its_value_across_the_next_and_back_keys():
    """The lecturer drags θ, presses → then ←: θ is where it was left (a new arrival no longer resets it)."""
    mine = deck.Deck("keep", (deck.Step("critics", "critics_theta=0.5", "θ", ("critics_theta",), "critics.theta"),
                              deck.Step("critics", "critics_theta=0", "θ = 0", (), "critics.theta")))
    at = open_page("critics", "", deck=deck.encode(mine), step=1, present=1)
    theta = next(w for w in at.select_slider if w.key.endswith("_critics_theta"))
    assert theta.value == 0.5
    theta.set_value(1.2).run()
    for k in (2, 1):  # the deck's → and ← as the link carries them (this test runs one page file, no navigation)
        at.query_params["step"] = str(k)
        at.run()
        assert not at.exception, at.exception
        assert at.session_state[slides.ARRIVED][0].endswith(f":{k - 1}"), at.session_state[slides.ARRIVED]
    assert not at.exception, at.exception
    again = next(w for w in at.select_slider if w.key.endswith("_critics_theta"))
    assert again.value == 1.2 and again.key != theta.key  # this arrival's own widget, at the value left


def test_the_digit_question_shows_the_image_its_recorded_rule_chose():
    """Step 4's "which digit is it?" shows the test digit whose exact draws the classifier reads as the most different
    digits (bench question_digit, its rule in the script), not one every draw reads alike."""
    rec = json.loads((ROOT / "benchmarks" / "results" / "question_digit.json").read_text())
    k, step = next((k, s) for k, s in POLLED if s.poll.get("answer") == "digit_probs")
    assert dict(parse_qsl(step.link)).get("inp_idx") == str(rec["index"]), f"step {k} shows another image"
    candidates = [r for r in rec["images"] if r["index"] != rec["left_out"]]
    assert rec["doubt"] == max(r["doubt"] for r in candidates) > 0 and rec["digits_read"] > 1
    from dgm_core.demos.inpainting import default_index
    assert rec["left_out"] == default_index("mnist")  # steps 2 and 3 show that image's top half


def test_a_digits_doubt_is_the_entropy_of_its_reads():
    import math

    from benchmarks.question_digit import doubt
    assert doubt([1.0] + [0.0] * 9) == 0 and doubt([0.5, 0.5] + [0.0] * 8) == pytest.approx(math.log(2))
    assert doubt([0.1] * 10) == pytest.approx(math.log(10))
