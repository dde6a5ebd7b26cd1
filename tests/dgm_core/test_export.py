"""The browser's models: each shipped ONNX export (a generator; an inpainting model's encoder and decoder) is the
file its card names, computes what the torch model computes (onnxruntime in Python, max |diff| <= 1e-4 on the same
inputs), and was exported from the shipped weights; an export writes its card; the vendored browser runtime matches
its hashes."""
import shutil

import numpy as np
import pytest
import torch

from dgm_core import export, latent, pretrained
from dgm_core.demos.latent import MODELS
from tools import vendor_ort

ROOT = pretrained.PRETRAINED_DIR.parent


@pytest.mark.parametrize("name", export.generators())
def test_the_shipped_export_renders_what_the_torch_model_renders(name):
    card = pretrained.load_card(name)
    assert card.browser, f"{name} has no ONNX export in its card: python -m dgm_core export {name}"
    path = ROOT / card.browser["onnx"]
    assert pretrained.sha256_file(path) == card.browser["sha256"]
    assert card.browser["weights_sha256"] == card.sha256, f"{name}: retrained since its export; run export {name}"
    model, _ = pretrained.load(name)
    gen = latent.as_generator(model)
    wide = 3 * torch.randn(4, gen.latent, generator=torch.manual_seed(1))
    z = torch.cat([latent.seed_latent(7, gen.latent, 8), wide])
    with torch.no_grad():
        want = gen.generate(z).numpy()
    got = export.run_onnx(path, z.numpy())
    assert got.shape == want.shape
    assert np.abs(got - want).max() <= export.TOLERANCE


def test_every_generator_the_explorer_offers_is_exported():
    assert set(export.generators()) == {c.name for c in pretrained.list_cards() if c.name in MODELS}
    assert all(pretrained.load_card(n).browser for n in export.generators())


@pytest.mark.parametrize("name", export.INPAINTERS)
def test_the_shipped_inpainting_graphs_compute_the_models_encoder_and_decoder(name):
    card = pretrained.load_card(name)
    entry = card.browser.get("inpaint")
    assert entry, f"{name} has no inpainting export in its card: python -m dgm_core export {name}"
    assert entry["weights_sha256"] == card.sha256, f"{name}: retrained since its export; run export {name}"
    parts = export.PARTS[card.family]
    files = {part: ROOT / entry[part].get("onnx", entry[part].get("file")) for part in parts}
    for part, path in files.items():
        assert pretrained.sha256_file(path) == entry[part]["sha256"], part
    model, _ = pretrained.load(name)
    diff = export.inpaint_max_difference(model, files,
                                         n=24, seed=7)  # other inputs than the export's own check
    assert set(diff) == set(parts) and max(diff.values()) <= export.TOLERANCE, diff


@pytest.mark.parametrize("name", [n for n in export.INPAINTERS if n.split("-")[0] in export.HALF_FAMILIES])
def test_the_class_pages_half_precision_graphs_stay_within_their_bound(name):
    """A class's phones fetch a VAE's graphs with half-precision weights: half the bytes, and outputs within
    HALF_TOLERANCE of torch on other inputs than the export's own check (a decoder's logits; the gradient relative to
    its largest entry), while not the very same numbers as the full graphs."""
    entry = pretrained.load_card(name).browser["inpaint"]
    half = entry.get("half")
    assert half, f"{name} has no half-precision graphs in its card: python -m dgm_core export {name}"
    files = {part: ROOT / half[part]["onnx"] for part in export.PARTS["vae"]}
    for part, path in files.items():
        assert pretrained.sha256_file(path) == half[part]["sha256"], part
        assert half[part]["bytes"] < 0.55 * entry[part]["bytes"], part
    model, _ = pretrained.load(name)
    diff = export.inpaint_max_difference(model, files, n=24, seed=7)
    assert max(diff.values()) <= export.HALF_TOLERANCE, diff
    assert max(diff.values()) > export.TOLERANCE  # rounded weights: these are not the full graphs


def test_half_weights_round_only_the_weights():
    """A graph y = W x with W of 2 x 1024 entries: stored in float16, cast back, y is W's rounding times x."""
    import io

    import onnxruntime as ort
    layer = torch.nn.Linear(1024, 2, bias=False)
    torch.nn.init.normal_(layer.weight, generator=torch.manual_seed(0))
    buf = io.BytesIO()
    torch.onnx.export(layer, (torch.zeros(3, 1024),), buf, input_names=["x"], output_names=["y"], dynamo=False)
    x = np.random.default_rng(0).standard_normal((3, 1024)).astype(np.float32)
    (got,) = ort.InferenceSession(export.half_weights(buf.getvalue())).run(None, {"x": x})
    w16 = layer.weight.detach().numpy().astype(np.float16).astype(np.float64)
    np.testing.assert_allclose(got, x.astype(np.float64) @ w16.T, rtol=1e-5, atol=1e-4)
    assert np.abs(got - x @ layer.weight.detach().numpy().T).max() > 1e-4  # the rounding shows
    assert len(export.half_weights(buf.getvalue())) < 0.6 * len(buf.getvalue())


def test_an_export_writes_the_file_and_its_card(tmp_path):
    for suffix in (".json", ".safetensors"):
        shutil.copy(pretrained.PRETRAINED_DIR / f"vae-mnist{suffix}", tmp_path)
    entry = export.export("vae-mnist", directory=tmp_path, out_dir=tmp_path / "models")
    card = pretrained.load_card("vae-mnist", tmp_path)
    assert card.browser == entry and entry["max_abs_diff_vs_torch"] <= export.TOLERANCE
    assert pretrained.sha256_file(tmp_path / "models" / "vae-mnist.onnx") == entry["sha256"]
    assert entry["output"] == ["image", ["batch", 1, 28, 28]]
    inpaint = entry["inpaint"]  # vae-mnist is also the browser's pseudo-Gibbs model
    assert inpaint["decoder"]["output"] == [["params", ["batch", 1, 1, 28, 28]]]
    for part in ("encoder", "decoder"):
        assert pretrained.sha256_file(tmp_path / "models" / f"vae-mnist-{part}.onnx") == inpaint[part]["sha256"]


def test_an_inpainting_export_keeps_the_cards_generator_entry(tmp_path):
    for name in ("vae-mnist", "miwae-mnist"):
        for suffix in (".json", ".safetensors"):
            shutil.copy(pretrained.PRETRAINED_DIR / f"{name}{suffix}", tmp_path)
    generator = pretrained.load_card("vae-mnist").browser
    export.export_inpaint("vae-mnist", directory=tmp_path, out_dir=tmp_path / "models")
    card = pretrained.load_card("vae-mnist", tmp_path)
    without = lambda browser: {k: v for k, v in browser.items() if k != "inpaint"}  # noqa: E731
    assert without(card.browser) == without(generator)
    entry = export.export("miwae-mnist", directory=tmp_path, out_dir=tmp_path / "models")
    assert pretrained.load_card("miwae-mnist", tmp_path).browser == {"inpaint": entry}
    assert entry["encoder"]["input"] == [["x", ["batch", 1, 28, 28]], ["mask", ["batch", 1, 28, 28]]]
    assert entry["max_abs_diff_vs_torch"] <= export.TOLERANCE


def test_a_model_the_browser_does_not_run_is_one_sentence():
    with pytest.raises(export.ExportError, match="not a generator the latent explorer offers.*nor an inpainting"):
        export.export("vae-gmm-mnist")


def test_the_vendored_runtime_matches_its_hashes_and_a_changed_byte_is_caught(tmp_path):
    assert vendor_ort.check() == []
    copy = tmp_path / "ort"
    shutil.copytree(vendor_ort.DEST, copy)
    wasm = copy / "ort-wasm-simd-threaded.wasm"
    data = bytearray(wasm.read_bytes())
    data[1000] ^= 1
    wasm.write_bytes(bytes(data))
    assert vendor_ort.check(copy) == ["ort-wasm-simd-threaded.wasm does not match its sha256 in VENDOR.json"]
