"""The shipped lecture deck's notes say what their steps show: every method a note names is offered on its step, a
count of methods is the step's count, "the same methods" are the previous step's, the critics' numbers are the
closed-form divergences at the step's θ, the GAN note's claims hold for the first Play of the step's setting (the
reference trainer the browser's is tested against), and the docs give the deck's number of steps."""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qsl

import pytest

from dgm_core.controls import resolve
from dgm_core.demos import gan, inpainting
from dgm_core.methods import INPAINTING
from dgm_core.models.critics import true_value
from ui import deck
from ui.catalog import PAGES

ROOT = Path(__file__).resolve().parents[1]
LECTURE = deck.shipped({p.url_path: p.file for p in PAGES})["lecture"]
STEPS = list(enumerate(LECTURE.steps, 1))
COUNTS = {w: i for i, w in enumerate("two three four five six seven eight nine ten".split(), 2)}


def _link(step) -> dict[str, str]:
    return dict(parse_qsl(step.link))


def _methods(step) -> list[str]:
    """The methods an Inpainting step opens with: the page's default for the step's data set."""
    got = {"ds": _link(step).get("inp_ds", inpainting.CONTROLS["ds"].default)}
    return resolve(inpainting.CONTROLS["methods"].default, got)


def _named(note: str) -> set[str]:
    """The inpainting methods a note names, by their label or short name (whole words)."""
    text = note.replace("**", "")
    return {m for m, info in INPAINTING.items()
            if any(re.search(rf"(?<![\w-]){re.escape(n)}(?![\w-])", text, re.I) for n in {info.label, info.short} if n)}


INPAINT = [(k, s) for k, s in STEPS if s.page == "inpainting"]


@pytest.mark.parametrize("k,step", INPAINT, ids=[f"step{k}" for k, _ in INPAINT])
def test_each_method_a_note_names_is_on_its_step_and_so_is_its_count(k, step):
    shown = _methods(step)
    named = _named(step.note)
    assert named <= set(shown), f"step {k} names {sorted(named - set(shown))}, which its page does not run"
    for word in re.findall(r"\b(\w+) (?:ways|methods)\b", step.note):
        if word.lower() in COUNTS:
            assert COUNTS[word.lower()] == len(shown), f"step {k} says {word} where its page runs {len(shown)}"
    if "same methods" in step.note:
        before = next(s for j, s in reversed(STEPS[:k - 1]) if s.page == "inpainting")
        assert shown == _methods(before), f"step {k} says 'the same methods': {shown} after {_methods(before)}"


def test_the_notes_name_no_method_of_a_data_set_without_it():
    """The helper above reads what it should: a note naming DMFA on Omniglot (where no DMFA was trained) is caught."""
    omniglot = next(s for _, s in INPAINT if _link(s).get("inp_ds") == "omniglot")
    assert "dmfa" not in _methods(omniglot) and _named("compare **DMFA** and MWG") == {"dmfa", "mwg"}


CRITICS = [(k, s) for k, s in STEPS if s.page == "critics"]


@pytest.mark.parametrize("k,step", CRITICS, ids=[f"step{k}" for k, _ in CRITICS])
def test_the_critics_notes_give_the_closed_form_at_their_theta(k, step):
    theta = float(_link(step)["critics_theta"])
    note = step.note.replace("**", "")
    assert re.match(rf"θ = {theta:g}\b", note), f"step {k}'s note starts at another θ than its link's {theta:g}"
    h, w = true_value("hellinger", theta), true_value("wasserstein", theta)
    if theta == 0:
        assert h == w == 0 and "Both divergences are zero" in note
    else:
        assert h == 2 and re.search(r"Hellinger[^.;]*\b2\b", note), f"step {k}: squared Hellinger is {h}"
        assert w == pytest.approx(theta) and re.search(r"Wasserstein (?:distance )?is θ|Wasserstein grows", note)


def test_the_gan_note_holds_for_the_first_play_of_its_setting():
    k, step = next((k, s) for k, s in STEPS if s.page == "gan")
    link = {key.removeprefix("gan_"): v for key, v in _link(step).items()}
    race = gan.Race(link.get("toy", gan.CONTROLS["toy"].default), float(link.get("lr", gan.CONTROLS["lr"].default)),
                    int(link.get("k", gan.CONTROLS["k"].default)))
    race.advance(100)
    note = step.note.replace("**", "")
    assert "first hundred steps" in note and "ceiling, 2" in note and "creeps" in note, note
    h, w = race.frames["hellinger"], race.frames["wasserstein"]
    saturated = [f.step for f in h if f.estimate > gan.SATURATED]
    # the Hellinger bound reaches its ceiling early and stays there over most of the first hundred steps
    assert saturated and saturated[0] <= 30 and len(saturated) >= 60, saturated
    # its generator creeps: still more than half its start away; the Wasserstein one is onto the line
    assert h[100].off > h[0].off / 2 and w[100].off < h[0].off / 5 and w[100].off < h[100].off / 3


def test_the_docs_give_the_decks_number_of_steps():
    said = [(f, int(n)) for f in ("README.md", "docs/GUIDE.md")
            for n in re.findall(r"lecture\.json`?,?\s*\(?(\d+) steps", (ROOT / f).read_text())]
    assert said, "the docs no longer give the lecture deck's length"
    assert all(n == len(LECTURE.steps) for _, n in said), f"{said} against {len(LECTURE.steps)} steps"
