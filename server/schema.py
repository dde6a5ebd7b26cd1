"""A declared schema for what a visitor's browser sends back, checked before the server decodes or keeps any of it.

A message is a record of fields, each declared once: an ``Array`` (a typed array as the panels send them, {dtype:
base64 of its little-endian bytes} (static/js/kit/typed_json.js), or a plain list of numbers), a list of arrays
(``Arrays``), a
``Number``, a short ``Text`` or a small ``Record`` of those. An array's length and a value's bounds are functions of
the job the server sent (any object with the ``Job`` attributes) and the method answered, so no fact is typed twice.
``field`` checks an array's length before a byte of it is decoded, then that every value is finite and in range, whole
where it counts, and that observed pixels are the image's; whatever fails raises ``Refused``: one clause that quotes
nothing it was sent. ``size`` measures a whole message without decoding anything, to hold it to ``chars``, the most a
genuine one takes. server.border declares the inpainting panel's answer with these.
"""
from __future__ import annotations

import base64
import binascii
import itertools
import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, Union

import numpy as np

from . import budgets


class Refused(ValueError):
    """What a browser sent, not accepted: one clause saying why (the page wraps it in its own sentence)."""


class Job(Protocol):
    """What a field's checks read of the job the server sent."""

    size: int  # D = C*H*W values of one image
    image: np.ndarray  # (D,) float32, as sent
    observed: np.ndarray  # (D,) bool, True = observed


Count = Callable[[Any, str], int]  # (job, method) -> how many values
Bound = Union[float, Callable[[Any, str], float]]


@dataclass(frozen=True)
class Array:
    """An array: {dtype: base64}, as the panels send typed arrays, or a plain list of numbers (``dtype`` None: a list
    only, as they send a JavaScript array)."""

    dtype: str | None
    count: Count
    lo: Bound = -math.inf
    hi: Bound = math.inf
    observed: str | None = None  # "image": its observed pixels are the image's; "zero": they are 0 (planes of D)
    integer: bool = False
    increasing: bool = False
    at_most: bool = False  # ``count`` bounds the length instead of fixing it
    optional: bool = False  # may be missing or null
    total: float | None = None  # its values sum to this, within TOTAL_TOLERANCE (probabilities: 1)


@dataclass(frozen=True)
class Arrays:
    """A list of arrays, one per entry of the list field ``like`` (the chain player's snapshots)."""

    item: Array
    like: str
    optional: bool = False


@dataclass(frozen=True)
class Number:
    lo: Bound = -math.inf
    hi: Bound = math.inf
    integer: bool = False
    optional: bool = False


@dataclass(frozen=True)
class Text:
    choices: Callable[[Any, str], tuple[str, ...]] | None = None  # None: any short printable text
    optional: bool = False


@dataclass(frozen=True)
class Record:
    """A few scalars: the keys in ``required`` must be there (and not null), the others may be missing."""

    fields: Mapping[str, Number | Text]
    optional: bool = False
    required: tuple[str, ...] = ()


Spec = Union[Array, Arrays, Number, Text, Record]
# how far a float32 sum of probabilities may stray from their total: K float32 roundings of at most 6e-8 each, for the
# few hundred values such an array holds, with room to spare
TOTAL_TOLERANCE = 1e-4
DTYPE = {"f32": "<f4", "f64": "<f8", "u8": "u1"}  # the typed arrays' names (static/js/kit/typed_json.js)
ITEMSIZE = {k: np.dtype(v).itemsize for k, v in DTYPE.items()}


def typed(a: np.ndarray, kind: str) -> dict[str, str]:
    """An array as typed JSON carries it, both ways (static/js/kit/typed_json.js): its little-endian bytes in base64
    under its type's name (``{"f32": …}``), a decode for the browser and a few bytes of JSON, not a list of numbers;
    ``array`` reads it back."""
    return {kind: base64.b64encode(np.ascontiguousarray(a, dtype=DTYPE[kind]).tobytes()).decode()}


def equal(value: Callable[[Any, str], float]) -> dict[str, Bound]:
    """A Number's bounds when it must be exactly ``value``."""
    return {"lo": value, "hi": value}


# ---- sizes -----------------------------------------------------------------------------------------------------------

def base64_chars(n_bytes: int) -> int:
    return 4 * ((n_bytes + 2) // 3)


def chars(spec: Spec, job: Job, m: str, fields: Mapping[str, Spec]) -> int:
    """The most characters a genuine value of ``spec`` takes as the panel sends it, counted as ``size`` counts (texts
    and records: none, the caller's slack)."""
    if isinstance(spec, Array):
        n = spec.count(job, m)
        if spec.dtype:  # {"f32": "<base64>"}
            return base64_chars(n * ITEMSIZE[spec.dtype]) + budgets.TYPED_ARRAY_CHARS
        return 2 + n * (budgets.JSON_NUMBER_CHARS + 1)
    if isinstance(spec, Arrays):
        return 2 + fields[spec.like].count(job, m) * (chars(spec.item, job, m, fields) + 1)
    return budgets.JSON_NUMBER_CHARS if isinstance(spec, Number) else 0


def size(value: Any, limit: int) -> int:
    """The characters ``value`` takes as JSON (a string its length and quotes, a list or a record its brackets and a
    comma or colon per entry), counting every number, true, false or null as budgets.JSON_NUMBER_CHARS (an upper
    bound); it stops as soon as the count passes ``limit``, and walks with one iterator per level open, so a huge or
    deep value costs no more to measure than a legal one."""
    total, stack, end = 0, [iter((value,))], object()
    while stack and total <= limit:
        v = next(stack[-1], end)
        if v is end:
            stack.pop()
        elif isinstance(v, str):
            total += len(v) + 2
        elif isinstance(v, Mapping):
            total += 2 + 2 * len(v)
            stack.append(itertools.chain.from_iterable(v.items()))  # its keys and values in turn
        elif isinstance(v, (list, tuple)):
            total += 2 + len(v)
            stack.append(iter(v))
        else:
            total += budgets.JSON_NUMBER_CHARS
    return total


def levels(spec: Spec) -> int:
    """How deeply a genuine value of ``spec`` nests as JSON: an array or a record one level, a list of arrays two."""
    return {Array: 1, Record: 1, Arrays: 2}.get(type(spec), 0)


# ---- text, before it is decoded -----------------------------------------------------------------------------------

_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)  # a JSON string, its escapes included (unrolled)
_NOT_BRACKET = bytes(b for b in range(128) if chr(b) not in "[]{}")


def depth(text: str) -> int:
    """How deeply a JSON text nests (its lists and records), measured without decoding it: its strings blanked, the
    brackets left counted open and shut, in one pass of C loops (no recursion, a few bytes of memory per bracket)."""
    brackets = _STRING.sub("", text).encode("ascii", "replace").translate(None, _NOT_BRACKET)
    if not brackets:
        return 0
    steps = np.frombuffer(brackets, np.uint8)
    return int(np.cumsum(np.where((steps == ord("[")) | (steps == ord("{")), 1, -1), dtype=np.int64).max())


def parse(text: Any, limit: int, max_depth: int, what: str = "its answer") -> Any:
    """A JSON text a browser sent -> its value, decoded only once its length is within ``limit`` characters and its
    nesting within ``max_depth``: a huge or deep text is refused (one clause) before any of it is decoded."""
    if not isinstance(text, str):
        raise Refused(f"{what} is not one JSON text")
    if len(text) > limit:
        raise Refused(f"{what} is larger than the {budgets.megabytes(limit)} this job's results can take")
    if depth(text) > max_depth:
        raise Refused(f"{what} is nested deeper than any genuine one ({max_depth} levels)")
    try:
        return json.loads(text)
    except ValueError:  # JSONDecodeError, and a number too long to convert
        raise Refused(f"{what} is not valid JSON") from None


# ---- the checks ------------------------------------------------------------------------------------------------------

def _bound(b: Bound, job: Job, m: str) -> float:
    return b(job, m) if callable(b) else b


def _finite(v: int | float) -> bool:
    """A finite float, or a whole number a float holds exactly (JSON's may be of any length; JavaScript's are not)."""
    return abs(v) <= 2**53 if type(v) is int else math.isfinite(v)


def array(spec: Array, v: Any, job: Job, m: str, what: str) -> np.ndarray:
    """An array field checked (its length before a byte is decoded), then decoded and its values checked."""
    n = spec.count(job, m)
    if isinstance(v, Mapping) and spec.dtype is not None:
        if len(v) != 1 or not isinstance(v.get(spec.dtype), str):
            raise Refused(f"{what} is not a {spec.dtype} array")
        text, width = v[spec.dtype], ITEMSIZE[spec.dtype]
        if len(text) != base64_chars(n * width):
            raise Refused(f"{what} holds {len(text) * 3 // 4 // width} values, not {n}")
        try:
            raw = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise Refused(f"{what} is not base64") from None
        if len(raw) != n * width:
            raise Refused(f"{what} holds {len(raw) // width} values, not {n}")
        a = np.frombuffer(raw, dtype=DTYPE[spec.dtype])
    elif isinstance(v, list):
        if len(v) > n or (len(v) < n and not spec.at_most):
            raise Refused(f"{what} holds {len(v)} values, not {n}")
        if not all(type(x) is int or (type(x) is float and not spec.integer) for x in v):
            raise Refused(f"{what} holds {'something other than whole numbers' if spec.integer else 'non-numbers'}")
        if not all(map(_finite, v)):
            raise Refused(f"{what} holds values that are not finite")
        a = np.array(v, dtype=np.float64)
    else:
        raise Refused(f"{what} is not an array")
    lo, hi = _bound(spec.lo, job, m), _bound(spec.hi, job, m)
    if not np.isfinite(a).all():
        raise Refused(f"{what} holds values that are not finite")
    if a.size and (a.min() < lo or a.max() > hi):
        raise Refused(f"{what} holds values outside [{lo:g}, {hi:g}]")
    if spec.integer and not np.array_equal(a, np.round(a)):
        raise Refused(f"{what} holds something other than whole numbers")
    if spec.total is not None and not abs(float(a.sum(dtype=np.float64)) - spec.total) <= TOTAL_TOLERANCE:
        raise Refused(f"{what} does not sum to {spec.total:g}")
    if spec.increasing and (np.diff(a) <= 0).any():
        raise Refused(f"{what} is not increasing")
    if spec.observed:
        planes = a.reshape(-1, job.size)[:, job.observed]
        if not (planes == (job.image[job.observed] if spec.observed == "image" else 0.0)).all():
            raise Refused(f"{what} changes observed pixels")
    return a


def number(spec: Number, v: Any, job: Job, m: str, what: str) -> float | int:
    if type(v) not in ((int,) if spec.integer else (int, float)):
        raise Refused(f"{what} is not a {'whole number' if spec.integer else 'number'}")
    lo, hi = _bound(spec.lo, job, m), _bound(spec.hi, job, m)
    if not _finite(v):
        raise Refused(f"{what} is not a finite number")
    if not lo <= v <= hi:
        raise Refused(f"{what} is {f'not {lo:g}' if lo == hi else f'outside [{lo:g}, {hi:g}]'}")
    return v


def text(spec: Text, v: Any, job: Job, m: str, what: str) -> str:
    if not isinstance(v, str) or len(v) > budgets.ECHO_CHARS or not v.isprintable():
        raise Refused(f"{what} is not a short text")
    if spec.choices is not None and v not in spec.choices(job, m):
        raise Refused(f"{what} is not one this job runs")
    return v


def field(spec: Spec, v: Any, job: Job, m: str, what: str, got: Mapping[str, Any]) -> Any:
    """One field's value checked against ``spec`` -> its value decoded; ``got``: the record's fields checked so far."""
    if isinstance(spec, Array):
        return array(spec, v, job, m, what)
    if isinstance(spec, Arrays):
        n = len(got[spec.like]) if spec.like in got else 0
        if not isinstance(v, list) or len(v) != n:
            raise Refused(f"{what} is not a list of {n} arrays")
        return [array(spec.item, x, job, m, what) for x in v]
    if isinstance(spec, Number):
        return number(spec, v, job, m, what)
    if isinstance(spec, Text):
        return text(spec, v, job, m, what)
    if not isinstance(v, Mapping) or not all(isinstance(k, str) and k in spec.fields for k in v):
        raise Refused(f"{what} is not a record of known fields")
    if missing := [k for k in spec.required if v.get(k) is None]:
        raise Refused(f"{what} has no {missing[0]}")
    return {k: field(spec.fields[k], x, job, m, f"{what} {k}", v) for k, x in v.items() if x is not None}


def record(r: Mapping[str, Any], fields: Mapping[str, Spec], job: Job, m: str, name: str) -> dict[str, Any]:
    """Method ``m``'s result (``name``: the method in words): a record of exactly ``fields`` (the optional ones may be
    missing or null), each checked in their order (a list's length before the arrays that follow it) -> the fields
    decoded."""
    if any(k not in fields for k in r):
        raise Refused(f"{name}'s result holds a field no result has")
    out: dict[str, Any] = {}
    for key, spec in fields.items():
        v = r.get(key)
        if v is None:
            if not spec.optional:
                raise Refused(f"{name}'s result has no {key}")
            continue
        out[key] = field(spec, v, job, m, f"{name}'s {key}", out)
    return out
