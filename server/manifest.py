"""The facts the browser's modules share with the Python side, written by dgm_core into ``static/js/manifest.json``
(``python -m dgm_core manifest``; a test holds the committed file to what this module computes).

The browser half of the lab is ES modules under ``static/js/`` (served by the app at ``app/static/js/``): the panels,
their workers and one module per ``dgm_core`` twin. What both halves must agree on is written here once, from
``dgm_core``'s own registries, and read by the JavaScript from the manifest:

- ``methods``: each inpainting method's model family and label (``dgm_core.methods.INPAINTING``), and ``browser``:
  the methods the browser's worker runs (static/js/inpaint.js, ``RUNS`` and the fills);
- ``kept``: the fields of a method's result that stay in the browser that computed it (the chains' snapshots, which
  its panels draw there, and the traced pixels, sent as their ESS) and never reach the server (``KEPT_IN_BROWSER``);
- ``prefixes``: each page's prefix of its keys in a link, declared beside its spec (``dgm_core.demos.<page>.PREFIX``);
- ``budgets``: the caps the browser's code keeps to (``server.budgets``);
- ``samplers``: the settings of a browser sampler the page does not offer, the server's defaults (the twisted flow
  filter's steps, pixel noise, Langevin step and resampling threshold);
- ``models``: the exported files under ``static/models`` and their sha256;
- ``modules``: every module's content hash, over its own text and everything it imports (the manifest's facts
  included), so that a panel's or a worker's URL (``module_url``) changes whenever any code it runs changes. The
  modules it imports are fetched by plain relative URLs, which cannot carry a hash: the app's server has the browser
  revalidate every file under static/js on each load (``Cache-Control: no-cache``, 304 while unchanged:
  server/module_cache.py), so a browser never runs a stale copy from its cache.
"""
from __future__ import annotations

import functools
import hashlib
import inspect
import json
import re
from collections.abc import Callable
from pathlib import Path

from . import budgets
from dgm_core.demos import prefixes
from dgm_core.methods import INPAINTING
from dgm_core.samplers.flow_twisted import flow_twisted_inpaint

ROOT = Path(__file__).resolve().parent.parent
STATIC = ROOT / "static"
JS = STATIC / "js"
PATH = JS / "manifest.json"
STATIC_URL = "app/static/"  # static/ as the app serves it, relative to the page's URL (a proxy's prefix kept)
URL = STATIC_URL + "js/"  # the modules' folder

# the inpainting methods the browser's worker runs (static/js/inpaint.js: RUNS, and samplers/simple.js: FILLS)
BROWSER_INPAINTING = ("mwg", "pseudo_gibbs", "miwae", "dmfa", "mfa", "flow", "flow_twisted", "mean_fill",
                      "neighbour_fill")
# the fields of an inpainting method's result that stay in the visitor's browser: the chains' snapshots, drawn there
# (the chain player's film), and the traced pixels, summarised there in their ESS (static/js/kit/mcmc.js); its panel
# sends the server the rest (static/js/kit/own_runs.js: sent)
KEPT_IN_BROWSER = ("snapshot_mean", "snapshot_sample", "pixel_trace")
# the caps of server.budgets that the browser's code keeps to
BROWSER_BUDGETS = ("BROWSER_ANSWER_MAX_CHARS",)
_IMPORT = re.compile(r"""(?:\bfrom\s*|\bimport\s*\(?\s*|new\s+URL\(\s*)['"](\.{1,2}/[^'"?#]+)['"]""")


# the twisted flow filter's settings the page does not offer: the server's defaults, which the worker runs with too
TWISTED_FIXED = ("n_steps", "tau", "langevin_step", "ess_fraction")


def _defaults(fn: Callable, names: tuple[str, ...]) -> dict:
    params = inspect.signature(fn).parameters
    return {n: params[n].default for n in names}


def facts() -> dict:
    """What the browser reads: methods and families, the browser's methods, page prefixes, budgets, model files."""
    models = STATIC / "models"
    return {
        "methods": {"inpainting": {m: {"family": r.family, "label": r.label} for m, r in INPAINTING.items()}},
        "browser": {"inpainting": list(BROWSER_INPAINTING)},
        "kept": {"inpainting": list(KEPT_IN_BROWSER)},
        "prefixes": prefixes(),
        "budgets": {name: getattr(budgets, name) for name in BROWSER_BUDGETS},
        "samplers": {"flow_twisted": _defaults(flow_twisted_inpaint, TWISTED_FIXED)},
        "models": {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
                   for p in sorted(models.iterdir()) if p.is_file()} if models.is_dir() else {},
    }


def specifiers(text: str) -> list[str]:
    """The relative specifiers a module's text imports (static and dynamic imports, ``new URL(…)``)."""
    return _IMPORT.findall(text)


def imports(path: Path) -> list[Path]:
    """The files a module imports by a relative specifier."""
    return [(path.parent / spec).resolve() for spec in specifiers(path.read_text())]


def module_hashes(root: Path = JS, facts_json: str | None = None) -> dict[str, str]:
    """{module's path under ``root``: sha256 (16 hex digits) of its text and of what it imports, transitively}. The
    manifest itself counts by its facts (``facts_json``), not by these hashes, so that it can list them."""
    facts_json = json.dumps(facts(), sort_keys=True) if facts_json is None else facts_json
    manifest = (root / "manifest.json").resolve()
    done: dict[Path, str] = {}

    def digest(path: Path, seen: tuple[Path, ...]) -> str:
        if path == manifest:
            return hashlib.sha256(facts_json.encode()).hexdigest()[:16]
        if path in seen:
            raise ValueError(f"{path.relative_to(root)} imports itself (through {seen[-1].relative_to(root)})")
        if path not in done:
            if not path.is_file():
                raise ValueError(f"{seen[-1].relative_to(root)} imports {path}, which does not exist")
            h = hashlib.sha256(path.read_bytes())
            for dep in imports(path):
                h.update(digest(dep, (*seen, path)).encode())
            done[path] = h.hexdigest()[:16]
        return done[path]

    return {p.relative_to(root).as_posix(): digest(p.resolve(), ()) for p in sorted(root.rglob("*.js"))}


def build() -> dict:
    """The manifest as ``write`` writes it."""
    f = facts()
    return {**f, "modules": module_hashes(facts_json=json.dumps(f, sort_keys=True))}


def text() -> str:
    return json.dumps(build(), indent=1, sort_keys=True) + "\n"


def write() -> Path:
    PATH.write_text(text())
    return PATH


@functools.lru_cache(maxsize=1)
def _committed() -> dict:
    return json.loads(PATH.read_text())


def static_url(folder: str) -> str:
    """The URL of a folder of static/ (a vendored runtime: ``ort``, ``tfjs``) relative to the page's."""
    return f"{STATIC_URL}{folder}/"


def module_url(module: str) -> str:
    """The URL of the module ``module`` (a path under static/js) relative to the page's, with its content hash from
    the committed manifest."""
    try:
        version = _committed()["modules"][module]
    except KeyError:
        raise KeyError(f"static/js/{module} is not in the manifest: run python -m dgm_core manifest") from None
    return f"{URL}{module}?v={version}"
