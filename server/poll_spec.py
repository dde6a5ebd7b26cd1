"""What a class poll accepts, checked before anything is stored, and what it shows: a room code, a question as a
presenter sends it, a phone's token; a round's tally. Every refusal is a ``PollError``: an HTTP status and one
sentence that says what was wrong (a user's value quoted shortened, ``budgets.shorten``). Used by
``server.poll`` (the store) and ``poll_api`` (the HTTP side).
"""
from __future__ import annotations

import math
import re

from server import budgets as B
from server.budgets import shorten

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # 31 symbols: no 0/O, 1/I/L to confuse on a projector
CODE_LEN = 5
HIST_BINS = 10  # a number question's histogram: equal bins over its bounds
HTML = re.compile(r"<\s*[A-Za-z/!?]|&#?\w+;")  # a tag, a comment or an entity; "p < 0.5" is text


class PollError(ValueError):
    """A refused request: ``status`` (an HTTP code) and one sentence for the person who sent it."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def _text(value: object, what: str, n: int, *, empty: bool = False) -> str:
    if not isinstance(value, str):
        raise PollError(400, f"The {what} must be text.")
    if not value.strip() and not empty:
        raise PollError(400, f"The {what} is empty.")
    if len(value) > n:
        raise PollError(400, f"The {what} has {len(value)} characters; at most {n} are allowed.")
    if any(not c.isprintable() for c in value):
        raise PollError(400, f"The {what} contains an unprintable character: '{shorten(value)}'.")
    if HTML.search(value):
        raise PollError(400, f"The {what} may not contain HTML (a tag or an entity): '{shorten(value)}'.")
    return value.strip()


def number(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise PollError(400, f"The {what} must be a finite number, not '{shorten(value)}'.")
    return float(value)


def ident(value: object, what: str, n: int = 40) -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= n or not all(c.isalnum() and c.isascii() or c in "_.-"
                                                                         for c in value):
        raise PollError(400, f"The {what} must be 1 to {n} letters, digits, '_', '.' or '-', not '{shorten(value)}'.")
    return value


class NoRoom(PollError):
    """A room code that names no room: an address that sends too many is refused a while (server.poll_api)."""


def check_code(code: object) -> str:
    """A room code as typed (any case, spaces around) -> its canonical form, or a 404 PollError."""
    c = code.strip().upper() if isinstance(code, str) else ""
    if len(c) != CODE_LEN or any(ch not in CODE_ALPHABET for ch in c):
        raise NoRoom(404, f"There is no room '{shorten(code, 12)}': a room code is {CODE_LEN} letters and digits.")
    return c


def check_spec(spec: object) -> dict:
    """A question as a presenter sends it -> the stored form. Fields: ``id``, ``prompt``, ``kind`` ("choice":
    ``options``, 2 to 10 texts; "number": ``lo`` < ``hi``, optional ``unit``), optional ``model`` (choice: the right
    option's index or a probability per option; number: a value), optional ``correct`` (the reference for "right":
    an option index or a number; by default the model's answer) and ``tolerance`` (a number answer within it of the
    reference is right; by default 5 % of the range)."""
    if not isinstance(spec, dict):
        raise PollError(400, "A question must be a JSON object.")
    allowed = {"id", "prompt", "kind", "options", "lo", "hi", "unit", "model", "correct", "tolerance"}
    if extra := sorted(set(spec) - allowed):
        raise PollError(400, f"A question has no field '{shorten(extra[0], 20)}'.")
    out = {"id": ident(spec.get("id"), "question id"), "prompt": _text(spec.get("prompt"), "prompt",
                                                                          B.POLL_TEXT_MAX_CHARS)}
    kind = spec.get("kind")
    if kind == "choice":
        opts = spec.get("options")
        if not isinstance(opts, list) or not 2 <= len(opts) <= B.POLL_MAX_OPTIONS:
            raise PollError(400, f"A choice question needs a list of 2 to {B.POLL_MAX_OPTIONS} options.")
        out["options"] = [_text(o, "option", B.POLL_OPTION_MAX_CHARS) for o in opts]
        if len(set(out["options"])) < len(opts):
            raise PollError(400, "Two options of the question are the same.")
        n = len(opts)
        model = spec.get("model")
        if isinstance(model, list):
            probs = [number(p, "model's probability") for p in model]
            if len(probs) != n or min(probs) < 0 or abs(sum(probs) - 1) > 1e-3:
                raise PollError(400, f"The model's probabilities must be {n} numbers >= 0 that sum to 1.")
            out["model"] = {"probs": probs}
        elif model is not None:
            out["model"] = {"option": _option(model, n)}
        model = out.get("model", {})
        out["correct"] = (_option(spec["correct"], n) if spec.get("correct") is not None else model.get("option")
                          if "probs" not in model else max(range(n), key=model["probs"].__getitem__))
    elif kind == "number":
        lo, hi = number(spec.get("lo"), "lower bound"), number(spec.get("hi"), "upper bound")
        if not lo < hi:
            raise PollError(400, f"The lower bound ({lo:g}) must be below the upper bound ({hi:g}).")
        out.update(lo=lo, hi=hi, unit=_text(spec.get("unit", ""), "unit", B.POLL_OPTION_MAX_CHARS, empty=True))
        if spec.get("model") is not None:
            out["model"] = {"value": in_bounds(number(spec["model"], "model's answer"), lo, hi, "model's answer")}
        correct = spec.get("correct")
        out["correct"] = (in_bounds(number(correct, "correct answer"), lo, hi, "correct answer")
                          if correct is not None else out.get("model", {}).get("value"))
        tol = spec.get("tolerance")
        out["tolerance"] = 0.05 * (hi - lo) if tol is None else number(tol, "tolerance")
        if out["tolerance"] < 0:
            raise PollError(400, "The tolerance must not be negative.")
    else:
        raise PollError(400, f"A question's kind is 'choice' or 'number', not '{shorten(kind, 20)}'.")
    out["kind"] = kind
    return out


def _option(value: object, n: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < n:
        raise PollError(400, f"An option is a number from 0 to {n - 1}, not '{shorten(value)}'.")
    return value


def in_bounds(x: float, lo: float, hi: float, what: str) -> float:
    if not lo <= x <= hi:
        raise PollError(400, f"The {what} ({x:g}) must lie between {lo:g} and {hi:g}.")
    return x


def check_token(token: object) -> str:
    """A phone's anonymous token: 16 to 64 letters, digits, '_' or '-' (the join page makes 22 random ones)."""
    if not isinstance(token, str) or not 16 <= len(token) <= 64 or not all(c.isascii() and (c.isalnum() or c in "_-")
                                                                           for c in token):
        raise PollError(400, "This phone's token is not 16 to 64 letters, digits, '_' or '-'.")
    return token


def public_question(q: dict) -> dict:
    """What a phone sees of a question before the reveal: no model answer, no reference."""
    keep = ("id", "kind", "prompt", "options") if q["kind"] == "choice" else ("id", "kind", "prompt", "lo", "hi",
                                                                               "unit")
    return {k: q[k] for k in keep}


def tally(q: dict, values: list[float]) -> dict:
    """A round's answers -> ``counts`` per option (choice) or per bin of ``edges`` (number: ``HIST_BINS`` equal bins
    over the bounds), and ``right``: the share right, where the question has a reference (None otherwise)."""
    if q["kind"] == "choice":
        counts = [0] * len(q["options"])
        for v in values:
            counts[int(v)] += 1
        right = None if q.get("correct") is None or not values else counts[q["correct"]] / len(values)
        return {"counts": counts, "right": right}
    lo, hi = q["lo"], q["hi"]
    counts = [0] * HIST_BINS
    for v in values:
        counts[min(HIST_BINS - 1, int((v - lo) / (hi - lo) * HIST_BINS))] += 1
    right = (None if q.get("correct") is None or not values else
             sum(abs(v - q["correct"]) <= q["tolerance"] + 1e-12 for v in values) / len(values))
    values = sorted(values)
    return {"counts": counts, "edges": [lo + (hi - lo) * i / HIST_BINS for i in range(HIST_BINS + 1)],
            "median": values[len(values) // 2] if values else None, "right": right}
