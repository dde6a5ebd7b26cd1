"""A lesson pack: a deck's class page as a folder of static files that any static host serves (``python -m
http.server`` in the folder, then /class/), for any class size and offline. Without a server it follows no lecturer
and shows no poll, and says so: a student steps through the notes, the questions (each answered by a tap) and the
steps' pictures, drawn once by ui/class_pictures.py.

    python -m dgm_core pack DECK DIR     DECK: a shipped deck's name (assets/decks/) or a deck's JSON file

The folder: ``index.html`` (leads to class/index.html), ``class/index.html`` with ``class/static/`` (the page's
module and style), ``class/deck.json`` (server.class_deck's form of the deck), ``class/pictures/<deck hash>/<step>/``
(each picture, and all of them in one file, ``pictures.json``), and ``poll/static/`` (the modules and style the
class page shares with the poll's page), at the same relative places as on the app's server, so the page's relative
links need no change.

A step with the class's own experiment (``"experiment": "inpaint"``) keeps it: the pack carries the step's
``experiment.json`` beside its pictures and every file it has a phone load, at the URL it names (relative to the
app's root, a query ignored): the inpainting worker and every module it and class/static/experiment.js import
(``app/static/js/``), the step's ONNX graphs (``app/static/models/``) and the vendored onnxruntime-web
(``app/static/ort/``, with its licence). A phone runs both samplers as on a lecture's page and sends nothing: the
page says its run stays on the phone. Measured (``du -sb`` of ``python -m dgm_core pack lecture DIR``): the shipped
lecture's pack is 20.4 MB, 14.3 of them the runtime, 5.4 its three experiments' graphs (MNIST's and Omniglot's VAE,
their weights in half precision, and the latent step's WGAN), 0.6 the page and its pictures (each, and each step's
in one file); tests/app/test_class_pack.py bounds a one-experiment pack, and ``python -m dgm_core bench class_pack``
walks the lecture's pack offline in chromium. A module script, a module worker and fetch all need a
server: opened from disk (file://) the page says to serve the folder.
"""
from __future__ import annotations

import json
import posixpath
import shutil
import sys
from pathlib import Path
from urllib.parse import urlparse

from server import class_deck, class_routes, manifest, poll_routes, rooms
from ui import class_pictures
from ui import deck as decks

# class/index.html by name: opened from disk, class/ would be the folder's listing
REDIRECT = ('<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="0; url=class/index.html">'
            '<title>Lesson pack</title><a href="class/index.html">The lesson</a>\n')
# opened from disk (file://) a browser loads neither the page's module nor its deck, and runs no module worker: the
# page's one sentence, from a classic script (which a file:// page runs), where the step's text would be
FROM_DISK = ("Opened from disk, this page cannot run its steps or its experiment: serve the folder, e.g. python -m "
             "http.server, to run it, and open /class/.")
DISK_SCRIPT = ("<script>if (location.protocol === 'file:') addEventListener('DOMContentLoaded', () => {\n"
               f"  document.getElementById('text').textContent = {json.dumps(FROM_DISK)};\n}});</script>\n")


def read_deck(what: str) -> tuple[str, dict]:
    """A shipped deck's name, or a deck's JSON file -> (its name, its dict). Raises DeckError."""
    path = Path(what)
    if path.suffix == ".json" and path.is_file():
        return path.stem, decks.as_dict(decks.parse(path.read_bytes(), decks.page_files()))
    return what, decks.as_dict(decks.find(what, decks.page_files()))


# the app's server's files by the first folders of their URL (relative to its root): app/static/ is Streamlit's
# static/ (server.manifest), the class page's and the poll's own are their routes' (server.class_routes, poll_routes)
SERVED = {manifest.STATIC_URL: manifest.STATIC, "class/static/": class_routes.FILES, "poll/static/": poll_routes.FILES}
# what class.js imports on an experiment's step, by its kind
EXPERIMENT_MODULES = {"inpaint": "class/static/experiment.js", "latent": "class/static/latent.js"}


def served(url: str) -> Path:
    """The file the app's server sends for ``url`` (relative to its root; a query ignored)."""
    path = urlparse(url).path
    for prefix, folder in SERVED.items():
        if path.startswith(prefix):
            return folder / path[len(prefix):]
    raise ValueError(f"{url} is none of the app's static files")


def experiment_files(spec: dict) -> list[str]:
    """Every file a step's experiment (``class_deck.experiment``'s form) has a phone load, as paths relative to the
    app's root: the experiment's module (experiment.js, latent.js) and its worker where it has one, with every module
    they import (followed through their relative imports), the models' files, and the runtime's (those its
    VENDOR.json vouches for: the runtime and its licence)."""
    urls, todo = [], [EXPERIMENT_MODULES[spec["kind"]], *([urlparse(spec["worker"]).path] if "worker" in spec else [])]
    while todo:
        url = todo.pop()
        if url not in urls:
            urls.append(url)
            if url.endswith(".js"):
                todo += [posixpath.normpath(posixpath.join(posixpath.dirname(url), s))
                         for s in manifest.specifiers(served(url).read_text())]
    models = [v for files in spec.get("models", {}).values() for v in files.values()] + [spec.get("model")]
    urls += [urlparse(v).path for v in models if isinstance(v, str) and v.startswith(manifest.STATIC_URL)]
    runtime = urlparse(spec["runtime"]).path
    return urls + [runtime + name for name in json.loads((served(runtime) / "VENDOR.json").read_text())["sha256"]]


def pack(deck: dict, folder: Path) -> dict:
    """Writes the deck's lesson pack into ``folder`` (its steps drawn first where not yet) -> the pack's deck.json."""
    h = rooms.deck_hash(deck)
    class_pictures.draw_deck(deck, h)
    page, shared = folder / "class", folder / "poll" / "static"
    for d in (page / "static", shared):
        d.mkdir(parents=True, exist_ok=True)
    html = (class_routes.FILES / "index.html").read_text()
    (page / "index.html").write_text(html.replace("</head>", DISK_SCRIPT + "</head>", 1))
    for name in class_routes.ASSETS:
        shutil.copyfile(class_routes.FILES / name, page / "static" / name)
    for name in ("poll_view.js", "poll.css"):
        shutil.copyfile(poll_routes.FILES / name, shared / name)
    public = class_deck.public(h, deck)
    for k, step in enumerate(public["steps"]):
        if step["pictures"] or step["experiment"]:
            (page / "pictures" / h / str(k)).mkdir(parents=True, exist_ok=True)
        for p in step["pictures"]:
            shutil.copyfile(class_deck.step_dir(h, k) / Path(p["src"]).name, page / p["src"])
        if step["bundle"]:  # the step's pictures in one file, as the page fetches them (server.class_deck.bundle)
            (page / step["bundle"]).write_bytes(class_deck.bundle(h, k))
        if step["experiment"]:
            shutil.copyfile(class_deck.step_dir(h, k) / class_deck.EXPERIMENT, page / step["experiment"])
            for url in experiment_files(class_deck.experiment(h, k)):
                (folder / url).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(served(url), folder / url)
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
