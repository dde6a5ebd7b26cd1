"""A lecture's deck as the class page (static/class/) shows it on a phone: per step its note (its numbers filled in
as the slide shows them), its question, whether the class answers it, and the step's pictures, drawn once per deck
and step by ui/class_pictures.py into ``<pictures_dir()>/<deck hash>/<step>/`` (``step.json`` and its PNGs) and
served as static files (server.class_routes). A step not drawn yet shows its note, its numbers as "…".
"""
from __future__ import annotations

import base64
import json
import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HOLE = re.compile(r"\{[A-Za-z0-9_]+(:[^{}]*)?\}")  # a note's {name} (ui.slides fills them from the view's facts)
PICTURE = re.compile(r"[0-9]{1,2}\.(png|jpg)")  # a step's picture files: 0.png, 1.jpg, ... (as Streamlit kept them)
TYPES = {".png": "image/png", ".jpg": "image/jpeg"}


def pictures_dir() -> Path:
    """Where the steps' pictures are kept: ``DGM_CLASS_DIR``, else ``var/class`` in the checkout (ignored by git)."""
    return Path(os.environ.get("DGM_CLASS_DIR") or ROOT / "var" / "class")


def step_dir(deck_hash: str, step: int) -> Path:
    return pictures_dir() / deck_hash / str(step)


def drawn(deck_hash: str, step: int) -> dict | None:
    """What ui/class_pictures.py wrote for a step: {"note", "pictures": [{"file", "title"}], "missing"}; None yet."""
    try:
        return json.loads((step_dir(deck_hash, step) / "step.json").read_text())
    except (OSError, ValueError):
        return None


BUNDLE = "pictures.json"  # a step's pictures in one file (``bundle``)


def bundle(deck_hash: str, step: int) -> bytes | None:
    """Step ``step``'s pictures in one file, ``{"pictures": [data URL, ...]}`` in ``step.json``'s order, so that a
    phone fetches a step's pictures in one request (at a move, three hundred phones make three hundred requests, not
    fifteen hundred); None where the step has no picture (or is not drawn)."""
    got = drawn(deck_hash, step) or {}
    files = [p["file"] for p in got.get("pictures", []) if PICTURE.fullmatch(p.get("file", ""))]
    try:
        urls = [f"data:{TYPES[Path(f).suffix]};base64,"
                + base64.b64encode((step_dir(deck_hash, step) / f).read_bytes()).decode() for f in files]
    except OSError:
        return None
    return json.dumps({"pictures": urls}).encode() if urls else None


EXPERIMENT = "experiment.json"  # a step's own experiment, beside its step.json
# the class's own experiments -> the page a deck step asking for one must be on: "inpaint" (each phone hides part of
# the step's image and runs two samplers; pooled on the projector), "latent" (each phone moves the step's generator's
# z with sliders; nothing is sent)
KINDS = {"inpaint": "inpainting", "latent": "latent"}


def experiment(deck_hash: str, step: int) -> dict | None:
    """The class's own experiment on step ``step`` as ui/class_pictures.py wrote it (a deck step that names one,
    ``"experiment": "inpaint"``): {"kind": "inpaint", "dataset", "shape": [C, H, W], "binary", "image": the step's
    image, flat (C*H*W floats in [0, 1], the truth a phone's fills are scored against), "methods": two methods, the
    first compared against the second, "labels": {method: its name}, and what a phone's browser needs to run them
    (the worker's job: "settings", "models", "runtime", "worker")}; None where the step has none (or is not drawn)."""
    try:
        got = json.loads((step_dir(deck_hash, step) / EXPERIMENT).read_text())
    except (OSError, ValueError):
        return None
    return got if isinstance(got, dict) and got.get("kind") in KINDS else None


def write_experiment(deck_hash: str, step: int, spec: dict) -> None:
    """Keep ``spec`` (``experiment``'s form) as step ``step``'s experiment."""
    folder = step_dir(deck_hash, step)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / EXPERIMENT).write_text(json.dumps(spec))


def public(deck_hash: str, deck: dict, prefix: str = "pictures") -> dict:
    """The deck for the class page: its title and, per step, the note, the question, ``poll`` (whether the class
    answers on its phones), the pictures' URLs (under ``prefix``, relative to the page's folder, /class/) and titles,
    ``bundle``: the URL of all the step's pictures in one file (``bundle``; "" where it has none), ``missing``: why
    a view has no picture here (one the server cannot draw without a browser), ``experiment``: the
    URL of the step's own experiment for the class ("" where it has none), and ``drawn``: whether the server drew the
    step yet (the page reads the deck again until it did)."""
    steps = []
    for k, s in enumerate(deck["steps"]):
        got = drawn(deck_hash, k) or {}
        pics = [p for p in got.get("pictures", []) if PICTURE.fullmatch(p.get("file", ""))]
        steps.append({"note": got.get("note") or HOLE.sub("…", s.get("note", "")),
                      "question": s.get("question", ""), "poll": bool(s.get("poll")), "page": s.get("page", ""),
                      "pictures": [{"src": f"{prefix}/{deck_hash}/{k}/{p['file']}", "title": p.get("title", "")}
                                   for p in pics],
                      "bundle": f"{prefix}/{deck_hash}/{k}/{BUNDLE}" if pics else "",
                      "missing": got.get("missing", "" if got else "This step's pictures are not drawn yet."),
                      "experiment": (f"{prefix}/{deck_hash}/{k}/{EXPERIMENT}" if s.get("experiment")
                                     and experiment(deck_hash, k) is not None else ""),
                      "drawn": bool(got)})
    return {"deck": deck_hash, "title": deck.get("title", "Lecture"), "steps": steps}
