"""The browser's generators: each shipped ONNX export is the file its card names, renders what the torch model
renders (onnxruntime in Python, max |diff| <= 1e-4 on the same z), and was exported from the shipped weights;
an export writes its card; the vendored browser runtime matches its hashes."""
import shutil

import numpy as np
import pytest
import torch

from dgm_core import export, latent, pretrained
from dgm_core.demos.latent import MODELS
from tools import vendor_ort

ROOT = pretrained.PRETRAINED_DIR.parent


@pytest.mark.parametrize("name", export.exportable())
def test_the_shipped_export_renders_what_the_torch_model_renders(name):
    card = pretrained.load_card(name)
    assert card.browser, f"{name} has no ONNX export in its card: python -m dgm_core export {name}"
    path = ROOT / card.browser["onnx"]
    assert pretrained.sha256_file(path) == card.browser["sha256"]
    assert card.browser["weights_sha256"] == card.sha256, f"{name}: retrained since its export; run export {name}"
    model, _ = pretrained.load(name)
    gen = latent.as_generator(model)
    z = torch.cat([latent.seed_latent(7, gen.latent, 8), 3 * torch.randn(4, gen.latent, generator=torch.manual_seed(1))])
    with torch.no_grad():
        want = gen.generate(z).numpy()
    got = export.run_onnx(path, z.numpy())
    assert got.shape == want.shape
    assert np.abs(got - want).max() <= export.TOLERANCE


def test_every_generator_the_explorer_offers_is_exported():
    assert set(export.exportable()) == {c.name for c in pretrained.list_cards() if c.name in MODELS}
    assert all(pretrained.load_card(n).browser for n in export.exportable())


def test_an_export_writes_the_file_and_its_card(tmp_path):
    for suffix in (".json", ".safetensors"):
        shutil.copy(pretrained.PRETRAINED_DIR / f"vae-mnist{suffix}", tmp_path)
    entry = export.export("vae-mnist", directory=tmp_path, out_dir=tmp_path / "models")
    card = pretrained.load_card("vae-mnist", tmp_path)
    assert card.browser == entry and entry["max_abs_diff_vs_torch"] <= export.TOLERANCE
    assert pretrained.sha256_file(tmp_path / "models" / "vae-mnist.onnx") == entry["sha256"]
    assert entry["output"] == ["image", ["batch", 1, 28, 28]]


def test_a_model_the_explorer_does_not_offer_is_one_sentence():
    with pytest.raises(export.ExportError, match="not a generator the latent explorer offers"):
        export.export("miwae-mnist")


def test_the_vendored_runtime_matches_its_hashes_and_a_changed_byte_is_caught(tmp_path):
    assert vendor_ort.check() == []
    copy = tmp_path / "ort"
    shutil.copytree(vendor_ort.DEST, copy)
    wasm = copy / "ort-wasm-simd-threaded.wasm"
    data = bytearray(wasm.read_bytes())
    data[1000] ^= 1
    wasm.write_bytes(bytes(data))
    assert vendor_ort.check(copy) == ["ort-wasm-simd-threaded.wasm does not match its sha256 in VENDOR.json"]
