"""Predict, then reveal: the presenter's side of a class poll, drawn by present mode beside a deck step's question.

``poll_panel(question, step_key=...)`` draws, in the current container: the join panel (the room's code, a QR code
of the join link, the link, and a live count of the answers: a components-v2 panel, static/js/panels/poll_live.js, that
long-polls the room's state route, so the projector shows an answer within a fraction of a second without a Streamlit
rerun), the buttons Open, Lock (after an optional countdown), Reveal, Second round and Reset, and once revealed the
class's answers per round beside the model's answer, which the caller passes in. Where between 35 % and 70 % of the
class agreed with the reference it suggests a second round ("discuss with your neighbour and answer again").

The room is the lecture's (ui/lecture.py): opened by the lecturer's Present, its key known only to the browser that
holds the lecturer's pass (never in the code or the page). Without the pass the panel draws no control, only where
the class follows. The phones talk to the server's poll routes (server/poll_routes.py); this panel calls the same store
in process. Once the step's answer is shown, ``results`` keeps the class's answers beside it. The question dict:

    prompt: str                      the question, as the phones show it
    kind: "choice" | "number"
    options: list[str]               choice: 2 to 10 options
    lo, hi: float; unit: str = ""    number: the bounds the phones accept, and a unit
    model_answer                     choice: the model's option (its index or its text) or a probability per option
                                     (a list in the options' order, or a dict option -> probability);
                                     number: the model's value. Optional: without it nothing is marked.
    correct = None                   the reference for "right" (an option's index or text, or a number); by default
                                     the model's answer (its most probable option)
    tolerance = 5 % of hi - lo       number: an answer within it of the reference is right
    countdown: int = 10              the Lock countdown's default, in seconds (0: lock at once)
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import re
from urllib.parse import urlparse

import plotly.graph_objects as go
import segno
import streamlit as st

from dgm_core.methods import PALETTE
from server.poll_spec import PollError
from server.poll_routes import store
from ui import lecture, panels, plots
from ui.lecture import join_url

ERROR = "_poll_error"  # session state: the last refusal, shown once
DISCUSS = (0.35, 0.70)  # share right between these: discuss with your neighbour and answer again
HTML = '<div class="pl"></div>'

_live = panels.component("dgm_poll_live", "poll_live", HTML)


def question_id(question: dict, step_key: str) -> str:
    """The store's id for a step's question: the step's key (shortened to the id's alphabet) and a hash of the key and
    the question, so an edited question is a new one."""
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", step_key).strip("-")[:30] or "q"
    digest = hashlib.sha256(json.dumps([step_key, question], sort_keys=True, default=str).encode()).hexdigest()
    return f"{slug}-{digest[:8]}"


def _option(value: object, options: list[str]) -> int:
    return options.index(value) if isinstance(value, str) and value in options else value


def to_spec(question: dict, qid: str) -> dict:
    """The caller's question dict -> the store's question (``poll_spec.check_spec`` checks it)."""
    spec = {"id": qid, "prompt": question.get("prompt"), "kind": question.get("kind")}
    model, correct = question.get("model_answer"), question.get("correct")
    if spec["kind"] == "choice":
        opts = list(question.get("options") or [])
        spec["options"] = opts
        if isinstance(model, dict):
            model = [float(model.get(o, 0.0)) for o in opts]
        spec["model"] = ([float(p) for p in model] if isinstance(model, (list, tuple)) else
                         _option(model, opts) if model is not None else None)
        spec["correct"] = _option(correct, opts) if correct is not None else None
    else:
        spec.update(lo=question.get("lo"), hi=question.get("hi"), unit=question.get("unit", ""),
                    model=model, correct=correct, tolerance=question.get("tolerance"))
    return {k: v for k, v in spec.items() if v is not None}


def _act(code: str, key: str, qid: str, action: str, seconds_key: str | None = None) -> None:
    """A button's callback: the action on the store; a refusal is shown once, above the buttons."""
    seconds = st.session_state.get(seconds_key) if seconds_key else None
    try:
        store().act(code, key, qid, action, seconds=float(seconds) if seconds else None)
    except PollError as e:
        st.session_state[ERROR] = str(e)


COUNTDOWNS = "_poll_countdowns"  # session state: {a step's poll: the countdown typed}, while the lecture lasts


def _chart(q: dict) -> go.Figure:
    """The class's answers per round (shares of the class) beside the model's answer."""
    res, colours = q["results"], [PALETTE["light_grey"], PALETTE["blue"]]
    fig = go.Figure()
    if q["kind"] == "choice":
        x = [f"{chr(65 + i)}: {o}" for i, o in enumerate(q["options"])]
        for rnd, colour in zip(res["rounds"], colours):
            share = [c / rnd["n"] if rnd["n"] else 0 for c in rnd["counts"]]
            fig.add_bar(x=x, y=share, name=f"class, round {rnd['round']} ({rnd['n']})", marker_color=colour,
                        text=[f"{s:.0%}" if s else "" for s in share], textposition="outside")
        model = res.get("model") or {}
        if "probs" in model:
            fig.add_bar(x=x, y=model["probs"], name="the model", marker_color=PALETTE["vermillion"],
                        text=[f"{p:.0%}" if p >= 0.005 else "" for p in model["probs"]], textposition="outside")
        elif "option" in model:
            fig.add_bar(x=x, y=[1.0 if i == model["option"] else 0 for i in range(len(x))], name="the model's answer",
                        marker_color=PALETTE["vermillion"])
        fig.update_layout(barmode="group", yaxis_tickformat=".0%", yaxis_range=[0, 1.15])
    else:
        for rnd, colour in zip(res["rounds"], colours):
            e = rnd["edges"]
            fig.add_bar(x=[(a + b) / 2 for a, b in zip(e, e[1:])], y=rnd["counts"], width=(e[1] - e[0]) * 0.9,
                        name=f"class, round {rnd['round']} ({rnd['n']})", marker_color=colour, opacity=0.85)
        if (res.get("model") or {}).get("value") is not None:
            v = res["model"]["value"]
            fig.add_vline(x=v, line_color=PALETTE["vermillion"], line_width=4,  # its label inside the plot,
                          annotation_text=f"the model: {v:g}", annotation_position="top right")  # clear of the legend
        top = max(max(r["counts"]) for r in res["rounds"])
        fig.update_layout(barmode="group", xaxis_title=q.get("unit") or None, xaxis_range=[q["lo"], q["hi"]],
                          yaxis_title="answers", yaxis_dtick=max(1, math.ceil(top / 5)), yaxis_range=[0, top + 0.5])
    fig.update_layout(height=330, margin=dict(l=10, r=10, t=40, b=10), legend_orientation="h", legend_y=1.15,
                      showlegend=True, uniformtext_minsize=14, uniformtext_mode="show")  # no percentage shrunk
    return fig


def join_note(url: str) -> None:
    """Under the QR code: where the join link leads, when it is not the address the lecturer set."""
    if lecture.is_local(urlparse(url).hostname):
        st.warning("Phones cannot open a localhost link: set `DGM_POLL_URL` to the app's public address, or "
                   "start the app without `--server.address` on the room's network.")
    elif not os.environ.get("DGM_POLL_URL", "").strip() and lecture.is_local(urlparse(st.context.url or "").hostname):
        st.caption("Phones on this computer's network (the room's wifi) join at its address above. A public "
                   "address: set `DGM_POLL_URL`.")


def poll_panel(question: dict, *, step_key: str, prompt: bool = True) -> None:
    """The class poll of one deck step's ``question`` (the fields in this module's docstring), in the current
    container; ``step_key`` names the step (a deck's name and step number), so each step has its own question.
    ``prompt=False``: the question is not written above the buttons (a slide's note already shows it)."""
    lec = lecture.held()
    if lec is None:  # a presenter's link without the lecturer's pass: the slide, no control
        st.info("The class answers this question on its phones. Only the lecturer's browser (the one that pressed "
                "Present) opens, locks and reveals it.")
        return
    code, key = lec.code, lec.key
    try:
        qid = question_id(question, step_key)
        store().add_question(code, key, to_spec(question, qid))
        q = store().state(code, key=key, question=qid)["question"]
    except PollError as e:
        st.error(str(e))
        return
    url = join_url(code)
    left, right = st.columns([1, 2], gap="medium")
    with left:
        _live(key=f"poll_live_{qid}", data={
            "code": code, "url": url, "qr": segno.make(url, error="m").svg_inline(scale=4, border=2, omitsize=True),
            "api": f"poll/api/{code}/state", "question": qid, "state": q["state"], "round": q["round"],
            "deadline": q.get("deadline"), "now": store().clock()}, on_changed_change=lambda: None)
        join_note(url)
        with st.popover("Lecturer's link", icon=":material/key:"):
            st.caption("This link opens the lecture's room with its lecturer controls on any computer: keep it to "
                       "yourself (the class follows at the link above).")
            st.code(lecture.presenter_link(lec), language=None, wrap_lines=True)
    with right:
        if prompt:
            st.markdown(f"**{q['prompt']}**")
        if err := st.session_state.pop(ERROR, None):
            st.error(err)
        state, rnd = q["state"], q["round"]
        cols = st.columns([1, 1, 1.1, 1, 1.5, 1], vertical_alignment="bottom")
        k = f"poll_{qid}"
        cols[0].button("Open", key=f"{k}_open", disabled=state not in ("waiting", "locked"), type="primary",
                       on_click=_act, args=(code, key, qid, "open"), width="stretch")
        cols[1].button("Lock", key=f"{k}_lock", disabled=state != "open", on_click=_act,
                       args=(code, key, qid, "lock", f"{k}_secs"), width="stretch")
        kept = st.session_state.setdefault(COUNTDOWNS, {})  # the widget's own state ends when its step is left
        cols[2].number_input("after (s)", 0, 600, kept.get(k, int(question.get("countdown", 10))), step=5,
                             key=f"{k}_secs", on_change=lambda: kept.__setitem__(k, st.session_state[f"{k}_secs"]),
                             help="Lock after this many seconds (0: at once); the phones show the countdown.")
        cols[3].button("Reveal", key=f"{k}_reveal", disabled=state != "locked", type="primary", on_click=_act,
                       args=(code, key, qid, "reveal"), width="stretch")
        right_share = q["results"]["rounds"][-1]["right"] if q.get("results") else None
        discuss = rnd == 1 and state in ("locked", "revealed") and right_share is not None and \
            DISCUSS[0] <= right_share <= DISCUSS[1]
        cols[4].button("Second round", key=f"{k}_round", disabled=rnd > 1 or state not in ("locked", "revealed"),
                       type="primary" if discuss else "secondary", on_click=_act, args=(code, key, qid, "round"),
                       width="stretch")
        cols[5].button("Reset", key=f"{k}_reset", on_click=_act, args=(code, key, qid, "reset"),
                       width="stretch")
        if discuss:
            st.info(f"{right_share:.0%} of the class agree with the model: discuss with your neighbour and answer "
                    "again (Second round).")
        if state == "revealed":
            plots.show(st, _chart(q), width="stretch", key=f"{k}_chart_{rnd}")


def results(question: dict, *, step_key: str) -> None:
    """On the step's answer: the class's answers per round beside the model's, where the class answered."""
    lec = lecture.held()
    if lec is None:
        return
    try:
        q = store().state(lec.code, key=lec.key, question=question_id(question, step_key))["question"]
    except PollError:  # the question was never asked in this room
        return
    n = sum(r["n"] for r in q["results"]["rounds"])
    if not n:
        st.caption("The class did not answer this question.")
        return
    st.caption(f"The class: {n} answer{'s' * (n != 1)}")
    plots.show(st, _chart(q), width="stretch", key=f"poll_{q['id']}_answered")
