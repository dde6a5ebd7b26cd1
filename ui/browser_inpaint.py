"""The inpainting page's samplers in the visitor's browser: pseudo-Gibbs and MIWAE importance sampling for their own
image and mask run in a Web Worker (ui/inpaint.worker.js) on the models' ONNX encoders and decoders
(``python -m dgm_core export NAME``, static/models, served by the app), with the vendored onnxruntime-web
(static/ort). dgm_core's samplers stay the reference and the server's path.
"""
from __future__ import annotations

from pathlib import Path

from dgm_core import pretrained

HERE = Path(__file__).resolve().parent
WORKER_JS = (HERE / "seeded_rng.js").read_text() + "\n" + (HERE / "inpaint.worker.js").read_text()
RUNTIME = "app/static/ort/"  # relative to the page's URL, so a base path (a proxy's prefix) is kept
FAMILY = {"pseudo_gibbs": "vae", "miwae": "miwae"}  # the methods the browser runs -> their model's family


def _url(path: str, sha256: str) -> str:
    """A static file's URL relative to the page; the sha256 in the query makes a new export a new URL."""
    return f"app/{path}?v={sha256[:12]}"


def model_spec(name: str) -> dict | None:
    """What the worker needs of a model (its graphs' URLs and its decoder's law), None without an export."""
    try:
        card = pretrained.load_card(name)
    except pretrained.PretrainedError:
        return None
    entry = card.browser.get("inpaint")
    if not entry or entry.get("weights_sha256") != card.sha256:  # no export, or retrained since
        return None
    return {"encoder": _url(entry["encoder"]["onnx"], entry["encoder"]["sha256"]),
            "decoder": _url(entry["decoder"]["onnx"], entry["decoder"]["sha256"]),
            "latent": int(card.config["latent"]), "maskInput": bool(card.config.get("mask_input", False)),
            "likelihood": entry["likelihood"], "minScale": float(entry["min_scale"])}


def model_specs(dataset: str) -> dict[str, dict]:
    """family -> ``model_spec`` of ``f"{family}-{dataset}"``, for the families the browser has an export of."""
    specs = {f: model_spec(f"{f}-{dataset}") for f in dict.fromkeys(FAMILY.values())}
    return {f: s for f, s in specs.items() if s is not None}


def browser_methods(dataset: str) -> list[str]:
    """The methods the visitor's browser can run on ``dataset`` (their model is exported)."""
    have = model_specs(dataset)
    return [m for m, f in FAMILY.items() if f in have]
