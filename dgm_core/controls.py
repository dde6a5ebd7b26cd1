"""A page's controls, each declared once: its widget kind, label, default, bounds or choices, URL key and help.

A page's spec is a dict ``{url key: Control}`` kept beside the page's core calls (``dgm_core.demos.<page>.CONTROLS``).
Everything that needs a control reads that one declaration: the page's widget (``ui.controls.widget``), the link
reader (``ui.state.read_link``), the lecture deck's check of its steps, the server's warm-up, and the core's own
validation (``check``), so their bounds agree by construction. A bound, a choice list or a default may depend on
the values of the spec's earlier keys (a square must fit the chosen data set's images): it is then a function of
those values, ``got`` (url key -> value).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

Bound = float | Callable[[dict], float] | None

# How a control is drawn (ui.controls.widget); "hidden": kept in the URL and session state, drawn by the page itself
# (a selection on a plot, a player's frame, the slider values of a custom component)
KINDS = ("number", "slider", "select", "select_slider", "multiselect", "radio", "hidden")


@dataclass(frozen=True)
class Control:
    default: Any  # or a function of the earlier keys' values
    label: str = ""  # the widget's label; what a warning about a bad link value calls it
    kind: str = "hidden"
    choices: Sequence[Any] | Callable[[dict], Sequence[Any]] | None = None  # for lists: the allowed items
    lo: Bound = None
    hi: Bound = None
    step: float | None = None  # number inputs and sliders
    names: Mapping[Any, str] | Callable[[Any], str] | None = None  # how a value reads on the page
    help: str | None = None
    item: type | None = None  # lists: the type of an item (else the default's first item's, else str)
    max_items: int | None = None  # lists: at most this many
    fill: Any = None  # lists whose positions matter: a bad item becomes this (else it is dropped)
    unique: bool = True  # lists: each item at most once

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"A control's kind is one of {', '.join(KINDS)}, not {self.kind!r}.")


def resolve(x: Any, got: Mapping[str, Any]) -> Any:
    """A bound, choice list or default that may be a function of the earlier keys' values, for these values."""
    return x(got) if callable(x) else x


def name(c: Control, v: Any) -> str:
    """How the value ``v`` reads on the page."""
    if c.names is not None:
        try:
            return str(c.names(v) if callable(c.names) else c.names.get(v, v))
        except (KeyError, TypeError, ValueError):
            pass
    if isinstance(v, bool):
        return "on" if v else "off"
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def defaults(spec: Mapping[str, Control], **given: Any) -> dict[str, Any]:
    """Every control's default, in the spec's order (a default may read the earlier ones), but for the values
    ``given`` (url key -> value): the page's opening view for those choices."""
    got: dict[str, Any] = {}
    for key, c in spec.items():
        d = given[key] if key in given else resolve(c.default, got)
        got[key] = list(d) if isinstance(d, (list, tuple)) else d
    return got


def check(c: Control, v: Any, got: Mapping[str, Any] | None = None) -> None:
    """Raises ValueError, one sentence naming the control by its label, unless ``v`` is a value the control allows."""
    got = got or {}
    choices = resolve(c.choices, got)
    if choices is not None:
        items = v if isinstance(v, (list, tuple)) else [v]
        if isinstance(c.default, (list, tuple)) is not isinstance(v, (list, tuple)) or any(i not in choices
                                                                                         for i in items):
            raise ValueError(f"{c.label} must be one of {', '.join(name(c, x) for x in choices)}, not {v!r}.")
        return
    lo, hi = resolve(c.lo, got), resolve(c.hi, got)
    whole = all(isinstance(b, int) and not isinstance(b, bool) for b in (lo, hi))  # integer bounds: a count, a seed
    if whole and (not isinstance(v, int) or isinstance(v, bool)):
        raise ValueError(f"{c.label} must be a whole number between {lo} and {hi}, not {v!r}.")
    if (lo is not None and v < lo) or (hi is not None and v > hi):
        raise ValueError(f"{c.label} must be {'a whole number ' if whole else ''}between {lo} and {hi}, not {v!r}.")
