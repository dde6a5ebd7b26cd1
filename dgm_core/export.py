"""ONNX exports of the latent explorer's generators, so that the browser renders z itself (onnxruntime-web), and
of flow-matching velocity networks, which the browser integrates itself.

    python -m dgm_core export wgan-mnist     # or: export all
    python -m dgm_core export flow-mnist     # (x_t, t) -> velocity

The graph maps z (B, latent) to the image in [0, 1] (B, C, H, W), exactly what the page's Python side renders:
a WGAN's ``generate``, a VAE's decoder mean clamped to [0, 1]. The file goes to ``static/models/<name>.onnx``
(Streamlit serves only the app's ``static/`` folder to the browser); its sha256, opset and the largest
difference from torch on a batch of z are written into the model's card (``browser``). ``train`` re-exports
a model the explorer offers after training it, so the two never disagree. A flow model's graph maps
x_t (B, C, H, W) on [-1, 1] and t (B,) to the velocity (B, C, H, W) (dgm_core.models.flow), checked the same way on
a batch of noise and times.
"""
from __future__ import annotations

import dataclasses
import io
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

from . import latent as lt
from . import pretrained
from .demos.latent import MODELS

STATIC_DIR = pretrained.PRETRAINED_DIR.parent / "static" / "models"
OPSET = 17  # onnxruntime-web 1.30 runs opsets up to 21; 17 has every op these generators use
TOLERANCE = 1e-4  # max |onnx - torch| over [0, 1] pixels (or velocity entries) that a shipped export may have
FLOWS = ("flow-mnist",)  # velocity networks the browser integrates with its own steps


class ExportError(ValueError):
    pass


class _Render(nn.Module):
    """z -> image in [0, 1], as the page renders it."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model
        self.gen = lt.as_generator(model)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.gen.generate(z)


def _graph(module: nn.Module, args: tuple[torch.Tensor, ...], inputs: list[str], output: str) -> bytes:
    """``module`` as an ONNX graph with a dynamic batch axis on every input and the output (the legacy
    TorchScript exporter)."""
    buf = io.BytesIO()
    with torch.no_grad():
        torch.onnx.export(module, args, buf, input_names=inputs, output_names=[output], opset_version=OPSET,
                          dynamic_axes={n: {0: "batch"} for n in [*inputs, output]}, dynamo=False)
    return buf.getvalue()


def onnx_bytes(model: nn.Module) -> bytes:
    """The model's render z -> image as an ONNX graph."""
    wrapped = _Render(model.cpu().eval())
    return _graph(wrapped, (torch.zeros(2, wrapped.gen.latent),), ["z"], "image")


def velocity_onnx_bytes(model: nn.Module) -> bytes:
    """A flow model's v(x_t, t) as an ONNX graph."""
    model = model.cpu().eval()
    return _graph(model, (torch.zeros(2, *model.cfg.shape), torch.full((2,), 0.5)), ["x", "t"], "velocity")


def velocity_max_difference(model: nn.Module, data: bytes | str | Path, n: int = 16, seed: int = 0) -> float:
    """Largest |onnx - torch| of the velocity at n noise images x ~ N(0, I) and times t ~ U(0, 1) drawn from ``seed``."""
    import onnxruntime as ort
    model = model.cpu().eval()
    g = torch.Generator().manual_seed(seed)
    x, t = torch.randn(n, *model.cfg.shape, generator=g), torch.rand(n, generator=g)
    with torch.no_grad():
        want = model(x, t).numpy()
    sess = ort.InferenceSession(str(data) if isinstance(data, (str, Path)) else data,
                                providers=["CPUExecutionProvider"])
    return float(np.abs(sess.run(["velocity"], {"x": x.numpy(), "t": t.numpy()})[0] - want).max())


def run_onnx(data: bytes | str | Path, z: np.ndarray) -> np.ndarray:
    """Render z (B, latent) float32 with onnxruntime (Python): (B, C, H, W)."""
    import onnxruntime as ort
    src = str(data) if isinstance(data, (str, Path)) else data
    sess = ort.InferenceSession(src, providers=["CPUExecutionProvider"])
    return sess.run(["image"], {"z": z.astype(np.float32)})[0]


def max_difference(model: nn.Module, data: bytes | str | Path, n: int = 16, seed: int = 0) -> float:
    """Largest |onnx - torch| over the images of n z ~ N(0, I) drawn from ``seed``."""
    gen = lt.as_generator(model.cpu().eval())
    z = lt.seed_latent(seed, gen.latent, n)
    with torch.no_grad():
        want = gen.generate(z).numpy()
    return float(np.abs(run_onnx(data, z.numpy()) - want).max())


def export(name: str, directory: str | Path | None = None, out_dir: str | Path | None = None) -> dict:
    """Export model ``name`` (card and weights in ``directory``) to ``out_dir/<name>.onnx``, check it against
    torch, and record it in the card. Returns the card's new ``browser`` entry."""
    if name not in MODELS and name not in FLOWS:
        raise ExportError(f"'{name}' is not a generator the latent explorer offers ({', '.join(MODELS)}) "
                          f"nor a flow model ({', '.join(FLOWS)}).")
    directory = Path(directory or pretrained.PRETRAINED_DIR)
    out_dir = Path(out_dir or STATIC_DIR)
    model, card = pretrained.load(name, directory)
    t0 = time.perf_counter()
    flow = name in FLOWS
    data = velocity_onnx_bytes(model) if flow else onnx_bytes(model)
    diff = velocity_max_difference(model, data) if flow else max_difference(model, data)
    if not diff <= TOLERANCE:
        raise ExportError(f"The ONNX export of '{name}' differs from torch by {diff:.2g} (> {TOLERANCE:g}).")
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{name}.onnx"
    path.write_bytes(data)
    root = pretrained.PRETRAINED_DIR.parent
    entry = {"onnx": str(path.relative_to(root)) if path.is_relative_to(root) else str(path),
             "sha256": pretrained.sha256_file(path), "bytes": len(data), "opset": OPSET,
             **(_velocity_io(model) if flow else {"input": ["z", ["batch", card.config.get("latent")]],
                                                  "output": ["image", ["batch", *_shape(model)]]}),
             "max_abs_diff_vs_torch": diff, "weights_sha256": card.sha256,
             "command": f"python -m dgm_core export {name}", "torch_version": torch.__version__,
             "export_time_s": round(time.perf_counter() - t0, 2)}
    new = dataclasses.replace(card, browser=entry)
    (directory / f"{name}.json").write_text(new.to_json())
    return entry


def _velocity_io(model: nn.Module) -> dict:
    shape = ["batch", *model.cfg.shape]
    return {"input": [["x", shape], ["t", ["batch"]]], "output": ["velocity", shape]}


def _shape(model: nn.Module) -> list[int]:
    gen = lt.as_generator(model)
    with torch.no_grad():
        return list(gen.generate(torch.zeros(1, gen.latent)).shape[1:])


def exportable(directory: str | Path | None = None) -> list[str]:
    """The explorer's generators that have a card in ``directory``."""
    have = {c.name for c in pretrained.list_cards(directory)}
    return [m for m in MODELS if m in have]
