"""The class's own experiment, pooled: on a lecture step that asks for one (server.class_deck ``experiment``), every
phone hides part of the step's digit as it likes, runs the experiment's two samplers in its browser and sends back
their mean fills; the server scores each fill itself against the step's image on the hidden pixels, with dgm_core's
own metric (``f1_missing`` for binary data, ``mse_missing`` otherwise), keeps one run per phone and step (a phone's
second run replaces its first) and pools them for the projector (``pooled``): the paired difference between the first
method and the second over the class's masks, mean ± SE, and how often the first wins.

A run, as a phone sends it (POST /poll/api/<code>/run, server.poll_api), is exactly::

    {"token": a joined phone's token, "step": the lecturer's current step (0-based), "mask": H*W characters, '1' an
     observed pixel, '0' a hidden one (at least one of each), "fills": {method: C*H*W numbers in [0, 1]}}

with exactly the experiment's methods. Anything else is refused with one sentence naming the field (400); a forged
token 403; a step that is not the lecturer's, or has no experiment, 409; a step full (``budgets.RUNS_MAX_PER_STEP``)
409. Runs are rate-limited per address and per phone as answers are. They live in the poll's SQLite file (table
``runs``, server.poll's schema) and go with their room.
"""
from __future__ import annotations

import functools
import json
import math

import numpy as np
import torch

from dgm_core.metrics import f1_missing, mse_missing
from server import budgets as B
from server import class_deck, tokens
from server.budgets import shorten
from server.poll import PollStore
from server.poll_spec import PollError

FIELDS = ("token", "step", "mask", "fills")
MASKS_SHOWN = 60  # the latest masks the projector's wall shows


def lecture_of(store: PollStore, code: str) -> tuple[str, str, int]:
    """Room ``code``'s lecture -> (its code, its deck's hash, the lecturer's step); a PollError where there is none."""
    with store._tx(write=False) as db:
        code = store._room(db, code)[0]
        row = db.execute("SELECT deck_hash, step FROM lectures WHERE code=?", (code,)).fetchone()
    if row is None:
        raise PollError(404, f"Room {code} is a poll, not a lecture: it has no steps.")
    return code, *row


@functools.lru_cache(maxsize=64)
def _experiment(deck_hash: str, step: int, _version: tuple[int, int]) -> dict | None:
    """A step's experiment as read from its file once (per version of the file), its image as float32 ``truth``."""
    spec = class_deck.experiment(deck_hash, step)
    if spec is None or spec["kind"] != "inpaint":  # a latent experiment has no image to score against
        return spec
    return {**spec, "truth": torch.tensor(np.asarray(spec["image"], np.float32))}


def spec_of(deck_hash: str, step: object) -> dict:
    """Step ``step``'s experiment, or a PollError (400: no step; 409: the step runs no experiment)."""
    if isinstance(step, bool) or not isinstance(step, int):
        raise PollError(400, f"The run's step must be a whole number, not '{shorten(step)}'.")
    try:  # a step beyond the deck has no folder, so no file
        st = (class_deck.step_dir(deck_hash, step) / class_deck.EXPERIMENT).stat() if step >= 0 else None
    except OSError:
        st = None
    spec = _experiment(deck_hash, step, (st.st_mtime_ns, st.st_size)) if st else None
    if spec is None:
        raise PollError(409, f"Step {step + 1} of this lecture runs no experiment of the class.")
    if spec["kind"] != "inpaint":  # a latent experiment stays on each phone
        raise PollError(409, f"Step {step + 1}'s experiment stays on each phone: it sends no run.")
    return spec


def _fill(v: object, n: int, name: str) -> np.ndarray:
    """One method's mean fill: ``n`` numbers in [0, 1], as server.schema checks a browser's plain arrays (its
    sentences), in a few C loops (a phone's run is held to a few milliseconds of the server's CPU)."""
    what = f"The run's {name}'s fill"
    if not isinstance(v, list):
        raise PollError(400, f"{what} is not an array.")
    if len(v) != n:
        raise PollError(400, f"{what} holds {len(v)} values, not {n}.")
    if not set(map(type, v)) <= {int, float}:
        raise PollError(400, f"{what} holds non-numbers.")
    try:
        a = np.array(v, dtype=np.float64)
    except OverflowError:  # a whole number beyond any float
        a = np.array([np.inf])
    if not np.isfinite(a).all():
        raise PollError(400, f"{what} holds values that are not finite.")
    if a.min() < 0 or a.max() > 1:
        raise PollError(400, f"{what} holds values outside [0, 1].")
    return a


def check(spec: dict, data: dict) -> tuple[str, dict[str, np.ndarray]]:
    """A run's mask and fills, checked against the experiment ``spec`` -> (the mask, {method: its fill})."""
    c, h, w = spec["shape"]
    mask = data["mask"]
    if not isinstance(mask, str) or len(mask) != h * w or mask.strip("01"):
        raise PollError(400, f"The run's mask must be {h * w} characters '0' (hidden) or '1' (observed).")
    if "0" not in mask or "1" not in mask:
        raise PollError(400, "The run's mask must hide at least one pixel and show at least one.")
    fills, methods = data["fills"], spec["methods"]
    if not isinstance(fills, dict):
        raise PollError(400, "The run's fills must be an object: a fill per method.")
    if extra := sorted(set(fills) - set(methods)):
        raise PollError(400, f"The run's fills name a method this experiment does not run: "
                             f"'{shorten(extra[0], 20)}'.")
    if missing := [m for m in methods if m not in fills]:
        raise PollError(400, f"The run's fills lack the method '{missing[0]}'.")
    return mask, {m: _fill(fills[m], c * h * w, spec.get("labels", {}).get(m, m)) for m in methods}


def score(spec: dict, mask: str, fills: dict[str, np.ndarray]) -> dict[str, float]:
    """Each fill's score on the hidden pixels against the experiment's image: F1 (binary data) or MSE."""
    shape = (1, *spec["shape"])
    truth = (spec["truth"] if "truth" in spec else torch.tensor(spec["image"], dtype=torch.float32)).reshape(shape)
    seen = torch.frombuffer(bytearray(mask.encode()), dtype=torch.uint8).eq(ord("1")).reshape(1, 1, *shape[2:])
    metric = f1_missing if spec.get("binary") else mse_missing
    return {m: float(metric(torch.from_numpy(f.astype(np.float32)).reshape(shape), truth, seen)[0])
            for m, f in fills.items()}


def submit(store: PollStore, code: str, data: dict, *, client: str = "") -> dict:
    """A phone's run (the module's docstring) -> {"scores": {method: score}, "runs": runs kept on the step}."""
    store._limit("address", client, "Too many requests from this address; wait a few seconds.")
    if extra := sorted(set(data) - set(FIELDS)):
        raise PollError(400, f"A run has no field '{shorten(extra[0], 20)}'.")
    if missing := [f for f in FIELDS if f not in data]:
        raise PollError(400, f"A run needs the field '{missing[0]}'.")
    code, deck_hash, now = lecture_of(store, code)
    token = store._phone(code, data["token"])
    store._limit("token", token, "Too many runs from this phone; wait a few seconds and send it again.")
    spec, step = spec_of(deck_hash, data["step"]), data["step"]
    if now != step:
        raise PollError(409, f"The lecture is on step {now + 1}, not step {step + 1}: a run counts on the step the "
                             "lecturer shows.")
    mask, fills = check(spec, data)
    scores = score(spec, mask, fills)
    name = token[:tokens.NAME_CHARS]  # the phone's name, as the room's phones are kept
    with store._tx() as db:
        store._room(db, code)
        n, mine = db.execute("SELECT COUNT(*), SUM(phone=?) FROM runs WHERE room=? AND step=?",
                             (name, code, step)).fetchone()
        if not mine and n >= B.RUNS_MAX_PER_STEP:
            raise PollError(409, f"This step holds {n} runs already, the most it takes.")
        db.execute("INSERT INTO runs (room, step, phone, mask, scores, at) VALUES (?, ?, ?, ?, ?, ?) "
                   "ON CONFLICT (room, step, phone) DO UPDATE SET mask=excluded.mask, scores=excluded.scores, "
                   "at=excluded.at", (code, step, name, mask, json.dumps(scores), store.clock()))
        n += 0 if mine else 1
    return {"scores": scores, "runs": n}


def pooled(store: PollStore, code: str, step: object) -> dict:
    """The class's runs on ``step`` pooled, for the projector (public: no token in it): {"n", "methods": [a, b],
    "labels", "metric" ("F1" or "MSE"), "mean": {method: mean score}, "diffs": per run a − b, "diff_mean",
    "diff_se" (their sd / sqrt(n); None below two runs), "wins" / "ties" / "losses": runs where a did better / as
    well / worse than b (F1 higher, MSE lower), "masks": the latest ``MASKS_SHOWN`` masks (oldest first),
    "hidden_share": per run the share of pixels hidden, "shape": [C, H, W]}."""
    code, deck_hash, _ = lecture_of(store, code)
    spec = spec_of(deck_hash, step)
    a, b = spec["methods"][:2]
    with store._tx(write=False) as db:
        rows = db.execute("SELECT mask, scores FROM runs WHERE room=? AND step=? ORDER BY at, rowid",
                          (code, step)).fetchall()
    scores = [json.loads(s) for _, s in rows]
    sa = np.array([s[a] for s in scores], dtype=np.float64)
    sb = np.array([s[b] for s in scores], dtype=np.float64)
    d, n = sa - sb, len(rows)
    better = d if spec.get("binary") else -d
    return {"n": n, "methods": [a, b], "labels": {m: spec.get("labels", {}).get(m, m) for m in (a, b)},
            "metric": "F1" if spec.get("binary") else "MSE",
            "mean": {a: float(sa.mean()) if n else None, b: float(sb.mean()) if n else None},
            "diffs": [round(float(x), 6) for x in d],
            "diff_mean": float(d.mean()) if n else None,
            "diff_se": float(d.std(ddof=1) / math.sqrt(n)) if n >= 2 else None,
            "wins": int((better > 0).sum()), "ties": int((better == 0).sum()), "losses": int((better < 0).sum()),
            "masks": [m for m, _ in rows[-MASKS_SHOWN:]],
            "hidden_share": [round(m.count("0") / len(m), 4) for m, _ in rows], "shape": list(spec["shape"])}
