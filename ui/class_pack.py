"""A lesson pack: a deck's class page as a folder of static files that any static host serves (``python -m
http.server`` in the folder, then /class/), for any class size and offline. Without a server it follows no lecturer
and shows no poll, and says so: a student steps through the notes, the questions (each answered by a tap) and the
steps' pictures, drawn once by ui/class_pictures.py.

    python -m dgm_core pack DECK DIR     DECK: a shipped deck's name (assets/decks/) or a deck's JSON file

The folder: ``index.html`` (leads to class/), ``class/index.html`` with ``class/static/`` (the page's module and
style), ``class/deck.json`` (server.class_deck's form of the deck), ``class/pictures/<deck hash>/<step>/``, and
``poll/static/`` (the modules and style the class page shares with the poll's page), at the same relative places as
on the app's server, so the page's relative links need no change.
"""
from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

from server import class_deck, class_routes, poll_routes, rooms
from ui import class_pictures
from ui import deck as decks

REDIRECT = ('<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="0; url=class/">'
            '<title>Lesson pack</title><a href="class/">The lesson</a>\n')


def read_deck(what: str) -> tuple[str, dict]:
    """A shipped deck's name, or a deck's JSON file -> (its name, its dict). Raises DeckError."""
    path = Path(what)
    if path.suffix == ".json" and path.is_file():
        return path.stem, decks.as_dict(decks.parse(path.read_bytes(), decks.page_files()))
    return what, decks.as_dict(decks.find(what, decks.page_files()))


NO_EXPERIMENT = "The class's own experiment on this step runs on a lecture's class page, not in a lesson pack."


def pack(deck: dict, folder: Path) -> dict:
    """Writes the deck's lesson pack into ``folder`` (its steps drawn first where not yet) -> the pack's deck.json."""
    h = rooms.deck_hash(deck)
    class_pictures.draw_deck(deck, h)
    page, shared = folder / "class", folder / "poll" / "static"
    for d in (page / "static", shared):
        d.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(class_routes.FILES / "index.html", page / "index.html")
    for name in class_routes.ASSETS:
        shutil.copyfile(class_routes.FILES / name, page / "static" / name)
    for name in ("poll_view.js", "poll.css"):
        shutil.copyfile(poll_routes.FILES / name, shared / name)
    public = class_deck.public(h, deck)
    for k, step in enumerate(public["steps"]):
        if step["experiment"]:  # it runs the app's samplers and graphs, which a pack does not carry
            step["experiment"] = ""
            step["missing"] = " ".join(filter(None, (step["missing"], NO_EXPERIMENT)))
        if step["pictures"]:
            (page / "pictures" / h / str(k)).mkdir(parents=True, exist_ok=True)
        for p in step["pictures"]:
            shutil.copyfile(class_deck.step_dir(h, k) / Path(p["src"]).name, page / p["src"])
    (page / "deck.json").write_text(json.dumps(public, ensure_ascii=False))
    (folder / "index.html").write_text(REDIRECT)
    return public


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m dgm_core pack DECK DIR  (DECK: a shipped deck's name or a deck's JSON file)",
              file=sys.stderr)
        return 2
    try:
        _, deck = read_deck(argv[0])
    except decks.DeckError as err:
        print(err, file=sys.stderr)
        return 2
    folder = Path(argv[1])
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        print(f"{folder} is not an empty folder: a pack is written into a new one.", file=sys.stderr)
        return 2
    public = pack(deck, folder)
    n = sum(len(s["pictures"]) for s in public["steps"])
    print(f"wrote {folder}: {len(public['steps'])} steps, {n} pictures; serve it with `python -m http.server` in "
          "that folder and open /class/")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
