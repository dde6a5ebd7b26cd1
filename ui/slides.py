"""Slides: what present mode draws for a lecture deck's step. A step names a **view**, one picture of a lesson drawn by
one function from its data and the stage's size (the room left under the note, in CSS pixels), so present mode shows
the note, the view and the controls the note names, and nothing else. Every view shows the shared, cached result the
server computed at its start (``ui.warmup``), so the numbers a note quotes are those on the slide: a note's ``{name}``
is filled from the facts the view returns. A view that asks a question first (``Step.question``) draws the question
until the lecturer's next → reveals the answer.

Each page's views live in its view module (``ui.<page>_view``, listed by its descriptor and collected by
``ui.catalog``), drawn with the explore page's own figure and image functions; here are the stage, the slide, and the
drawing they share (``grid``, ``row``, ``fig``: pictures sized to the stage).
"""
from __future__ import annotations

import html
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import streamlit as st

from ui import plots, serving
from ui.controls import widget
from ui.imaging import to_pil
from ui.poll import poll_panel
from ui.state import read_link, url_text

@dataclass(frozen=True)
class Stage:
    """The room a view has, in CSS pixels (the browser's window less the note's band)."""

    width: int = 1240
    height: int = 560

    @property
    def phone(self) -> bool:
        return self.width < 640

    def share(self, width: float = 1.0, height: float = 1.0) -> Stage:
        return Stage(int(self.width * width), int(self.height * height))


@dataclass(frozen=True)
class View:
    page: str = ""  # the page whose lesson it draws (its url path; the catalog sets it)
    # (the step's link as {key: text}, the stage, whether its question was revealed) -> the facts a note may quote
    draw: Callable[[Mapping[str, str], Stage, bool], dict[str, str]] | None = None
    offers: tuple[str, ...] = ()  # the buttons and sliders its own panel draws (a note may name them)
    blurb: str = ""  # what it shows, for the Decks page
    facts: Callable[[Mapping[str, str]], Facts] | None = None  # its numbers without drawing (a poll's model answer)
    asks: bool = False  # whether ``draw(..., shown=False)`` draws a question of its own (else: nothing before reveal)


Facts = dict[str, Any]  # a note's {name} -> its text; a poll's model answer may be a dict


PLACEHOLDER = re.compile(r"\{([A-Za-z_]\w*)\}")  # a note's {name}; any other brace (LaTeX's x^{2}, a lone }) is text


def fill_note(note: str, facts: Facts) -> str:
    """The note with its ``{name}``s replaced by the view's facts; one it lacks stays visible as ``{name}``, and every
    other brace is the lecturer's text."""
    return PLACEHOLDER.sub(lambda m: str(facts.get(m.group(1), m.group(0))), note)


def placeholders(note: str) -> list[str]:
    """The ``{name}``s a note asks its view for."""
    return PLACEHOLDER.findall(note)


def duel(a: tuple[str, float], b: tuple[str, float], margin: float, higher: bool = True) -> Facts:
    """A two-way question whose model answer is unique: ``duel_options`` (|-joined: a's name, b's, a tie) and
    ``duel``, the option the scores pick: the better of ``a`` and ``b`` (name, score) where it is better by at least
    ``margin``, else the tie. The rule a choice poll's answer follows: never a tie broken silently."""
    tie = f"a tie (within {margin:g})"
    gap = (a[1] - b[1]) if higher else (b[1] - a[1])
    return {"duel_options": "|".join((a[0], b[0], tie)),
            "duel": a[0] if gap >= margin else b[0] if -gap >= margin else tie}


# ---------------------------------------------------------------- the drawing the views share


TITLE_PX = 68  # a picture's title (two lines at most) and its caption line, above it
GAP = 16  # Streamlit's "small" gap between the pictures of a row, and between rows (1rem)


def side_of(stage: Stage, n: int, rows: int, title_px: int = TITLE_PX, gap: int = GAP) -> int:
    """The side of a square picture when ``n`` of them fill the stage in ``rows`` rows, each under its title."""
    across = math.ceil(n / rows)
    return max(32, int(min((stage.width - gap * (across - 1)) / across - 1, (stage.height - gap * (rows - 1)) / rows
                           - title_px)))


def grid(pictures: list[tuple[str, Any]], stage: Stage, key: str, captions: list[str] | None = None,
         title_px: int = TITLE_PX) -> int:
    """Square pictures (PIL images or (C, H, W) tensors), each under its title and caption, in as many rows as make
    them largest on the stage; returns their side in pixels."""
    n = len(pictures)
    title_px, gap = round(title_px * text_of(stage)), round(GAP * text_of(stage))  # both grow with the text (rem)
    rows = max(range(1, n + 1), key=lambda r: (side_of(stage, n, r, title_px, gap), -r))
    side = side_of(stage, n, rows, title_px, gap)
    across = math.ceil(n / rows)
    for r in range(rows):
        part = slice(r * across, (r + 1) * across)
        row(pictures[part], side, f"{key}_{r}", (captions or [""] * n)[part], title_px)
    return side


def text_of(stage: Stage) -> float:
    """How much larger a slide's text is on this stage than on a 1280×720 projector's (its height there, 570 px)."""
    return max(1.0, stage.height / 570)


def row(pictures: list[tuple[str, Any]], side: int, key: str, captions: list[str] | None = None,
        title_px: int = TITLE_PX) -> None:
    """Pictures side by side at ``side`` px each, each under its title (and caption), titles of one height."""
    with st.container(horizontal=True, gap="small", key=key):
        for i, (title, pic) in enumerate(pictures):
            with st.container(width=side, gap=None):
                if title_px:
                    note = captions[i] if captions else ""
                    st.html(f'<div class="slide-title" style="height:{title_px - 6}px"><b>{html.escape(title)}</b>'
                            + (f'<br><span>{html.escape(note)}</span>' if note else "") + "</div>")
                img = pic if not hasattr(pic, "shape") else to_pil(pic, max(1, math.ceil(side / pic.shape[-1])))
                st.image(img, width=side)


def link_values(demo, link: Mapping[str, str]) -> dict[str, Any]:
    """A page's control values as the step's link sets them (its defaults elsewhere), read as the page reads them;
    ``demo``: the page's ``dgm_core.demos`` module (its spec ``CONTROLS`` and its ``PREFIX``)."""
    p = demo.PREFIX
    return read_link(demo.CONTROLS, {k[len(p):]: v for k, v in link.items() if k.startswith(p)})[0]


def shared(job, key: str, label: str):
    """A shared job's value: at once when the server computed it already (its start, another session), else computed
    now with its progress shown, then kept for every session."""
    if (hit := serving.cached(job, key, lesson=True)) is not None:
        return hit[0]
    return serving.run(job, key=key, label=label, cancellable=False, lesson=True)[0]


def fig(figure, stage: Stage, key: str) -> None:
    """A plotly figure as tall as the stage."""
    s = text_of(stage)
    figure.update_layout(height=max(220, stage.height), margin=dict(l=round(50 * s), r=20, t=round(50 * s),
                                                                    b=round(45 * s)))
    plots.show(st, figure, scale=s, key=key, width="stretch", config={"displayModeBar": False})  # over its title


# ---------------------------------------------------------------- the slide


@dataclass
class Slide:
    """What present mode needs of a step, besides the deck bar: its note, its view, its named controls."""

    note: str
    view: View
    link: Mapping[str, str]
    # the widgets its note names: key -> (their page's spec, its prefix, their name in it) (``catalog.control_of``)
    controls: Mapping[str, tuple[Mapping, str, str]] = field(default_factory=dict)
    question: str = ""
    shown: bool = True
    poll: dict | None = None  # the class answers the question on its phones (ui.poll), the view's facts answer it
    runs: tuple[str, int] | None = None  # (room, step): the class's runs pooled beside the view (ui.class_runs_view)


def stage_of(window: Mapping[str, Any] | None) -> Stage:
    """The view's room in a browser window of ``window`` = {"w", "h"} CSS pixels (a 1280×720 projector until the
    browser says): the window less the note's band and the page's margins."""
    w = int((window or {}).get("w") or 1280)
    h = int((window or {}).get("h") or 720)
    w, h = min(max(w, 320), 4000), min(max(h, 320), 3000)
    if w < 640:  # a phone: the note takes more lines
        return Stage(w - 24, h - 210)
    s = text_scale(w, h)  # the note (two lines) and the step's buttons grow with the text (ui/deck.py's SLIDE_CSS)
    return Stage(w - round(48 * s), h - round(150 * s))


def text_scale(w: int, h: int) -> float:
    """How much larger a slide's text is than at 1280×720 in a w×h window: the root font size's rule in
    ui/deck.py's SLIDE_CSS (16 px there, clamp(16px, min(h / 45, w / 80), 48px))."""
    return min(max(min(h / 45, w / 80), 16), 48) / 16


FACTS = "_slide_facts"  # session state: {deck:step -> the facts its slide showed}, for the same note in explore mode


def note_for(step_key: str, note: str) -> str:
    """A step's note outside its slide (explore mode): filled with the facts its slide showed this session, a fact
    not yet shown as "…" (the view computes it when presented)."""
    facts = st.session_state.get(FACTS, {}).get(step_key, {})
    return fill_note(note, {name: facts.get(name, "…") for name in placeholders(note)})


def draw(slide: Slide, stage: Stage, note_slot, step_key: str = "") -> Facts:
    """Draws the slide's view (its named controls beside it) on the stage, then its note filled with the view's
    facts; a step with a question shows the question in the note's place, and nothing of the answer, until →."""
    asking = bool(slide.question) and not slide.shown
    if slide.controls and not stage.phone:
        left, right = st.columns([4, 1], gap="medium")
        view_stage = stage.share(width=0.78)
    else:
        left = right = st.container()
        view_stage = stage
    with right:
        link = controls(slide, step_key)
    with left, st.container(key="slide_view"):
        if asking and slide.poll:  # the class predicts first: the poll, and the view's question if it asks one
            facts = ask(slide, link, view_stage, step_key)
        elif asking and not slide.view.asks:  # nothing of the answer before the reveal
            facts = slide.view.facts(link) if slide.view.facts else {}
            st.caption("→ reveals the answer.")
        elif slide.poll and slide.shown and not stage.phone:  # the answer, the class's answers beside it
            from ui.poll import results
            view_col, class_col = st.columns([3, 1], gap="small")
            with view_col:
                facts = slide.view.draw(link, view_stage.share(width=0.74), True) if slide.view.draw else {}
            with class_col:  # the question as ``ask`` put it (its model's answer from the view's facts)
                asked = slide.view.facts(link) if slide.view.facts else {}
                results(poll_question(slide, asked), step_key=step_key or "slide")
        elif slide.runs and not stage.phone:  # the class's own experiment: its runs pooled beside the view
            from ui.class_runs_view import panel
            view_col, class_col = st.columns([3, 1], gap="small")
            with view_col:
                facts = slide.view.draw(link, view_stage.share(width=0.74), slide.shown) if slide.view.draw else {}
            with class_col:
                panel(*slide.runs)
        else:
            facts = slide.view.draw(link, view_stage, slide.shown) if slide.view.draw else {}
    note_slot.markdown(f"**{slide.question}**" if asking else fill_note(slide.note, facts))
    if step_key:
        st.session_state.setdefault(FACTS, {})[step_key] = facts
    return facts


def poll_question(slide: Slide, facts: Facts) -> dict:
    """The question a step's poll asks the phones, with the model's answer read from the view's facts."""
    p = slide.poll or {}
    answer = facts.get(p.get("answer", ""))
    q = {"prompt": slide.question, "kind": p.get("kind")}
    if q["kind"] == "choice":
        opts = p["options"] if isinstance(p["options"], list) else facts.get(p["options"], "").split("|")
        opts = [o for o in opts if o]
        q.update(options=opts, model_answer=answer if isinstance(answer, dict) or answer in opts else None)
    else:
        q.update(lo=p["lo"], hi=p["hi"], unit=p.get("unit", ""),
                 model_answer=float(answer) if answer not in (None, "") else None)
    return q


def ask(slide: Slide, link: Mapping[str, str], stage: Stage, step_key: str) -> Facts:
    """Before the reveal of a polled step: the view's question (where it draws one) beside the class poll; the
    model's answer is computed now, from the result the view will show, and revealed with the class's."""
    facts = slide.view.facts(link) if slide.view.facts else {}
    if slide.view.asks:
        # the question's picture as tall as the stage (its side is the height at 1280x720), the poll beside it
        left, right = (st.container(), st.container()) if stage.phone else st.columns([1, 1.2], gap="medium")
        with left:
            slide.view.draw(link, stage if stage.phone else stage.share(width=0.45), False)
    else:
        right = st.container()
    with right:
        poll_panel(poll_question(slide, facts), step_key=step_key or "slide", prompt=False)  # the note asks
    return facts


ARRIVED = "_slide_at"  # session state: (the step whose slide was drawn last, how many arrivals so far)
KEPT = "_slide_kept"  # session state: {step key: {widget key: its value as a link writes it}}, while the lecture lasts


def controls(slide: Slide, step_key: str = "") -> dict[str, str]:
    """The widgets a step's note names, from their page's declaration (the same key as on the page), set on arrival
    to what they showed when the lecture last left this step (else the step's link) -> the link the view draws: the
    step's, with the controls' values as moved since."""
    s, link = st.session_state, dict(slide.link)
    if s.get(ARRIVED, ("", 0))[0] != step_key:  # a new arrival: the widgets are made anew, at the kept values
        s[ARRIVED] = (step_key, s.get(ARRIVED, ("", 0))[1] + 1)
    arrival, kept = s[ARRIVED][1], s.setdefault(KEPT, {}).setdefault(step_key, {})
    for key, (spec, prefix, name) in slide.controls.items():
        given = kept.get(key, link.get(key))
        start = read_link({name: spec[name]}, {name: given} if given is not None else {})[0][name]
        with st.container(key=key):  # named as on the page (its CSS class); the widget is this arrival's own
            link[key] = kept[key] = url_text(widget(spec, prefix, name, start=start,
                                                    as_key=f"_slide_{arrival}_{key}"))
    return link
