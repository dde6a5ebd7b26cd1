"""The class page's routes on the app's own server (app.py mounts them beside the poll's): ``/class/<code>`` is the
page a phone follows the lecture on (static/class/index.html, its ES modules and style at /class/static/), with no
Streamlit session; its JSON comes from the poll's routes (/poll/api/<code>/join, state, deck, answer); the steps'
pictures, drawn once per deck step (server.class_deck), are served at /class/pictures/<deck hash>/<step>/<n>.jpg
(or .png) under a URL that names the deck's content, so a phone keeps them (immutable), and all of a step's pictures
in one file (pictures.json, server.class_deck.bundle: what the class page fetches); beside them a step's own
experiment for the class (experiment.json, server.class_deck.experiment).
"""
from __future__ import annotations

import functools
import re
import stat
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from server import class_deck
from server.poll_routes import page_routes

FILES = Path(__file__).resolve().parents[1] / "static" / "class"
# what /class/static/ serves, and nothing else
ASSETS = {"class.js": "text/javascript", "experiment.js": "text/javascript", "latent.js": "text/javascript",
          "class.css": "text/css"}
HASH = re.compile(r"[0-9a-f]{16}")
IMMUTABLE = {"Cache-Control": "public, max-age=31536000, immutable"}


@functools.lru_cache(maxsize=1024)
def _bytes(path: Path, stamp: tuple[int, int]) -> bytes:
    """A picture's bytes, read once per version of its file (``stamp``: its mtime and size): three hundred phones
    fetching a step's pictures at once cost the server no file reads and no worker threads."""
    return path.read_bytes()


@functools.lru_cache(maxsize=256)
def _bundle(h: str, step: int, stamp: tuple[int, int]) -> bytes | None:
    """A step's pictures in one file, made once per version of its ``step.json`` (``stamp``: written after them)."""
    return class_deck.bundle(h, step)


async def picture(request: Request) -> Response:
    h, step, name = (request.path_params[k] for k in ("deck", "step", "name"))
    known = class_deck.PICTURE.fullmatch(name) or name in (class_deck.EXPERIMENT, class_deck.BUNDLE)
    path = class_deck.step_dir(h, int(step)) / name if HASH.fullmatch(h) and step.isdigit() and len(step) < 4 and \
        known else None
    if path is not None and name == class_deck.BUNDLE:  # made from the step's pictures, named by its step.json
        path = path.with_name("step.json")
    try:
        st = path.stat() if path is not None else None
    except OSError:
        st = None
    st = st if st is not None and stat.S_ISREG(st.st_mode) else None
    if st is None:
        return JSONResponse({"error": "There is no such picture."}, status_code=404)
    if name == class_deck.BUNDLE:
        data = _bundle(h, int(step), (st.st_mtime_ns, st.st_size))
        if data is None:
            return JSONResponse({"error": "This step has no picture."}, status_code=404)
        return Response(data, media_type="application/json", headers=IMMUTABLE)
    if name == class_deck.EXPERIMENT:  # it names the models' and the worker's current URLs: read again each time
        return FileResponse(path, media_type="application/json", headers={"Cache-Control": "no-cache"})
    return Response(_bytes(path, (st.st_mtime_ns, st.st_size)), media_type=class_deck.TYPES[path.suffix],
                    headers=IMMUTABLE)


_page, _code = page_routes("class", FILES, ASSETS, "class page")
ROUTES = [*_page, Route("/class/pictures/{deck}/{step}/{name}", picture, methods=["GET"]), _code]
