"""A deck's steps drawn once as static pictures for the class page (static/class/, server/class_deck.py): each step's
view is drawn headless by the deck's own view function (``ui.catalog.VIEWS``), at a phone's width, under Streamlit's
own test runner (``AppTest``: the script runs as in a session, with no browser), and every image it shows is kept as
a file, with its title, under ``<class_deck.pictures_dir()>/<deck hash>/<step>/``, beside ``step.json``: the note filled
with the view's numbers, the pictures, and ``missing``, what the view draws that is not an image here (a Plotly chart
is drawn by the browser's plotting library, which a phone following a lecture does not load: its step says so).

A lecturer's Present starts ``python -m ui.class_pictures -`` (the deck's JSON on stdin) in a process of its own
(``ui.lecture.draw_later``; Streamlit's test runner replaces the running server's runtime while it runs, so it never
runs inside the server), niced, once per deck: the class page shows each step's pictures as soon as they are drawn,
its note before. A lesson pack draws its deck here too (ui/class_pack.py).
"""
from __future__ import annotations

import html
import json
import re
import sys
from collections.abc import Iterator
from urllib.parse import parse_qsl

from server import class_deck

PHONE = (360, 640)  # the stage a view is drawn for: a phone's width (390 CSS px less the page's margins)
TIMEOUT_S = 600  # one step's view, computed where the server has not cached it yet
TAG = re.compile(r"<[^>]+>")
KINDS = {"image/png": "png", "image/jpeg": "jpg"}


def _script(view_name: str, link: dict, width: int, height: int, holder: list) -> None:  # runs inside AppTest
    from streamlit.runtime import Runtime

    from ui import catalog, slides

    holder.append(catalog.VIEWS[view_name].draw(link, slides.Stage(width, height), True) or {})
    holder.append(Runtime.instance().media_file_mgr)


def _walk(node) -> Iterator:
    yield node
    for child in getattr(node, "children", {}).values():
        yield from _walk(child)


def draw_step(deck: dict, k: int, deck_hash: str) -> dict:
    """Draws step ``k`` of ``deck`` (its dict form) into its folder -> what ``step.json`` holds."""
    from streamlit.testing.v1 import AppTest
    from streamlit.testing.v1.element_tree import Html, Image

    from ui import catalog, slides

    step = deck["steps"][k]
    folder = class_deck.step_dir(deck_hash, k)
    folder.mkdir(parents=True, exist_ok=True)
    name = step.get("view") or catalog.MAIN.get(step.get("page", ""), "")
    out = {"note": step.get("note", ""), "pictures": [], "missing": ""}
    if name not in catalog.VIEWS or catalog.VIEWS[name].draw is None:
        out["missing"] = "This step shows a page of the app, not a picture: open it on a computer to explore it."
    else:
        holder: list = []
        at = AppTest.from_function(_script, args=(name, dict(parse_qsl(step.get("link", ""))), *PHONE,
                                                  holder), default_timeout=TIMEOUT_S).run()
        if at.exception or len(holder) < 2:
            out["missing"] = "This step's view could not be drawn here; the projector shows it."
        else:
            facts, media = holder
            out["note"] = slides.fill_note(step.get("note", ""), facts)
            title, charts = "", 0
            for node in _walk(at.main):
                if isinstance(node, Html):
                    title = ": ".join(" ".join(html.unescape(TAG.sub(" ", part)).split())
                                      for part in node.proto.body.split("<br>") if TAG.sub("", part).strip())
                elif isinstance(node, Image):
                    for img in node.proto.imgs:
                        f = media.read_file(img.url.rsplit("/", 1)[-1].split(".")[0])
                        if f is None or f.mimetype not in KINDS:
                            continue
                        file = f"{len(out['pictures'])}.{KINDS[f.mimetype]}"
                        (folder / file).write_bytes(f.content)
                        out["pictures"].append({"file": file, "title": " ".join(img.caption.split()) or title})
                    title = ""
                elif getattr(node, "type", "") in ("plotly_chart", "arrow_vega_lite_chart", "deck_gl_json_chart"):
                    charts += 1
            if charts:
                out["missing"] = (f"{'A chart' if charts == 1 else f'{charts} charts'} of this step "
                                  f"{'is' if charts == 1 else 'are'} drawn on the projector only.")
            elif not out["pictures"]:  # a panel that plays or is moved in the browser, a table
                out["missing"] = "This step's view (a live panel or a table) is shown on the projector only."
    (folder / "step.json").write_text(json.dumps(out, ensure_ascii=False, indent=1))
    return out


# the class's own inpainting: the exact sampler against pseudo-Gibbs, named as the lecture names them
EXPERIMENT_METHODS = {"mwg": "exact sampler", "pseudo_gibbs": "pseudo-Gibbs"}


def experiment_spec(link: dict[str, str]) -> dict | None:
    """The class's own experiment on an inpainting step (``class_deck.experiment``'s form): the step's image, the two
    samplers with the page's settings for that link, and what a phone's browser needs to run them (the worker's job,
    as the inpainting page's panel sends it: server.inpaint_job); None where the link opens no gallery image or the
    browser has no export of the data set's VAE."""
    from dataclasses import asdict

    from dgm_core import masks, results
    from dgm_core.demos import inpainting as inpainting_demo
    from server import inpaint_job
    from ui.jobs import lesson_image

    got = lesson_image({k[len(inpainting_demo.PREFIX):]: v for k, v in link.items()
                        if k.startswith(inpainting_demo.PREFIX)})
    if got is None:
        return None
    values, image, what = got
    models = inpaint_job.model_specs(values["ds"])
    if "vae" not in models:
        return None
    half = inpaint_job.model_spec(f"vae-{values['ds']}", half=True)  # half the bytes (dgm_core.export.half_weights)
    settings = asdict(inpainting_demo.settings_from(values))
    try:  # a phone's chain, by the rule of bench class_experiment (at most the page's)
        steps = min(results.phone_steps()[values["ds"]], settings["steps"])
    except (results.ResultsError, KeyError):
        steps = settings["steps"]
    chain = (f"{steps} chain steps, a slow phone's share of the page's {settings['steps']}"
             if steps < settings["steps"] else f"the page's {steps} chain steps")
    page_steps = settings["steps"]
    settings.update(steps=steps, burn_in=min(settings["burn_in"], steps // 4))
    return {"kind": "inpaint", "dataset": values["ds"], "what": what, "chain": chain, "page_steps": page_steps,
            "shape": list(image.shape), "binary": bool(inpainting_demo.BINARY[values["ds"]]),
            "hole": list(masks.HOLE_GREY),  # a hidden pixel's colour on the phone, as the slides draw one
            "image": [round(float(v), 4) for v in image.flatten()],
            "methods": list(EXPERIMENT_METHODS), "labels": EXPERIMENT_METHODS,
            "settings": {f: settings[f] for f in inpaint_job.SETTINGS}, "models": {"vae": half},
            "runtime": inpaint_job.RUNTIME, "worker": inpaint_job.WORKER_URL}


def latent_spec(link: dict[str, str]) -> dict | None:
    """The class's own experiment on a latent explorer step (``"experiment": "latent"``): the step's generator (its
    ONNX export, as the latent explorer's browser mode runs it), the seed's z, the step's directions, their names and
    values, and the sliders' range; None where the browser has no export of the model. Nothing comes back from it:
    each student explores on their own phone."""
    from dgm_core.demos import latent as demo
    from ui import latent_slider, loaders, slides
    from ui.latent_view import explorer

    values = slides.link_values(demo, link)
    name, seed = values["model"], values["seed"]
    browser = loaders.card(name).get("browser") or {}
    if not browser.get("onnx"):
        return None
    ex = explorer(name)
    directions = ex.directions(values["kind"], values["dirs"])
    return {"kind": "latent", "what": f"{demo.LABELS[name]}, seed {seed}", "shape": list(ex.shape),
            "model": latent_slider.model_url(browser), "runtime": latent_slider.RUNTIME,
            "z0": [round(float(v), 6) for v in demo.base_latent(ex, seed)],
            "dirs": [[round(float(v), 6) for v in d] for d in directions.vectors], "names": list(directions.names),
            "values": [float(v) for v in values["vals"][: len(values["dirs"])]],
            "lo": latent_slider.LO, "hi": latent_slider.HI, "step": latent_slider.STEP}


SPECS = {"inpaint": experiment_spec, "latent": latent_spec}  # a deck step's "experiment" -> its spec


def draw_deck(deck: dict, deck_hash: str, *, again: bool = False) -> list[dict]:
    """Every step of ``deck`` not drawn yet (all of them with ``again``) -> each step's ``step.json``; a step that
    asks the class for its own experiment gets its ``experiment.json`` first (the phones need it before any picture),
    written again wherever it changed (it names the models' current exports and the phone's chain)."""
    for k, step in enumerate(deck["steps"]):
        if step.get("experiment"):
            spec = SPECS[step["experiment"]](dict(parse_qsl(step.get("link", ""))))
            if spec is not None and (again or spec != class_deck.experiment(deck_hash, k)):
                class_deck.write_experiment(deck_hash, k, spec)
    return [class_deck.drawn(deck_hash, k) if not again and class_deck.drawn(deck_hash, k) is not None
            else draw_step(deck, k, deck_hash) for k in range(len(deck["steps"]))]


def main(argv: list[str]) -> int:
    """``python -m ui.class_pictures -``: draws the deck whose JSON (its dict form, as ``ui.lecture.draw_later``
    writes it) comes on stdin."""
    from server import rooms

    if argv != ["-"]:
        print("usage: python -m ui.class_pictures -  (a deck's JSON on stdin; a shipped deck: python -m dgm_core pack)",
              file=sys.stderr)
        return 2
    d = json.loads(sys.stdin.read())
    h = rooms.deck_hash(d)
    try:
        draw_deck(d, h)
    finally:
        (class_deck.pictures_dir() / h / ".drawing").unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
