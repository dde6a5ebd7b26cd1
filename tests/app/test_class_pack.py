"""A lesson pack (ui/class_pack.py) carries a step's own experiment: its experiment.json and every file a phone loads
to run it, at the URL it names (relative to the app's root), and nothing the experiment does not need."""
from __future__ import annotations

import json
import posixpath
from urllib.parse import urlparse

import pytest

from server import manifest
from ui import class_pack

DECK = {"title": "The class's own experiment", "steps": [
    {"page": "inpainting", "link": "inp_ds=mnist&inp_preset=bottom", "note": "Hide part of the digit, and Run.",
     "experiment": "inpaint"}]}


@pytest.fixture(scope="module")
def packed(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pack")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DGM_CLASS_DIR", str(tmp_path_factory.mktemp("drawn")))
        public = class_pack.pack(DECK, folder)
    if not public["steps"][0]["experiment"]:
        pytest.skip("the browser has no export of MNIST's VAE (python -m dgm_core export vae-mnist)")
    return folder, public


def test_every_file_an_experiment_names_is_in_the_pack(packed):
    folder, public = packed
    spec = json.loads((folder / "class" / public["steps"][0]["experiment"]).read_text())
    named = [spec["worker"], *(u for u in spec["models"]["vae"].values()
                               if isinstance(u, str) and u.startswith(manifest.STATIC_URL))]
    assert len(named) == 4  # the worker, and the VAE's encoder, decoder and gradient
    for url in named:  # a query (the content's hash) is none of the file's name: a static host ignores it
        assert (folder / urlparse(url).path).is_file(), url
    runtime = folder / urlparse(spec["runtime"]).path
    assert {"ort.wasm.bundle.min.mjs", "ort-wasm-simd-threaded.wasm"} <= {p.name for p in runtime.iterdir()}
    modules = list(folder.rglob("*.js"))
    assert {"class.js", "experiment.js", "inpaint.worker.js", "inpaint.js", "pictures.js"} <= {p.name for p in modules}
    for module in modules:  # every module's relative imports, followed in the pack itself
        for spec_ in manifest.specifiers(module.read_text()):
            url = posixpath.normpath(posixpath.join(module.parent.relative_to(folder).as_posix(), spec_))
            assert (folder / url).is_file(), f"{module.relative_to(folder)} imports {spec_}"


def test_the_pack_carries_only_what_the_experiment_needs(packed):
    folder, _ = packed
    models = sorted(p.name for p in (folder / "app" / "static" / "models").iterdir())
    # the phones' copies, their weights in half precision (dgm_core.export.half_weights)
    assert models == ["vae-mnist-decoder.half.onnx", "vae-mnist-encoder.half.onnx", "vae-mnist-gradient.half.onnx"]
    assert not (folder / "app" / "static" / "js" / "panels").exists()  # the app's own panels stay behind
    # measured: 16.5 MB, 14.3 of them the runtime, 2.1 MNIST's VAE; the shipped lecture's, with two experiments, 19.3
    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    assert 15e6 < size < 20e6, size
