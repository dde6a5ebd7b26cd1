"""ONNX exports of the latent explorer's generators, so that the browser renders z itself (onnxruntime-web), of
flow-matching velocity networks, which the browser integrates itself, and of the inpainting page's VAE and MIWAE
encoders and decoders, which the browser's samplers call (static/js/workers/inpaint.worker.js).

    python -m dgm_core export wgan-mnist     # or: export all
    python -m dgm_core export flow-mnist     # (x_t, t) -> velocity
    python -m dgm_core export miwae-mnist    # encoder (x, mask) -> (mu, log_sigma), decoder z -> params

The graph maps z (B, latent) to the image in [0, 1] (B, C, H, W), exactly what the page's Python side renders:
a WGAN's ``generate``, a VAE's decoder mean clamped to [0, 1]. The file goes to ``static/models/<name>.onnx``
(Streamlit serves only the app's ``static/`` folder to the browser); its sha256, opset and the largest
difference from torch on a batch of z are written into the model's card (``browser``). ``train`` re-exports
a model the explorer offers after training it, so the two never disagree. A flow model's graph maps
x_t (B, C, H, W) on [-1, 1] and t (B,) to the velocity (B, C, H, W) (dgm_core.models.flow), checked the same way on
a batch of noise and times; beside it, ``<name>-twist.onnx``, the twisted particle filter's terms with their gradient
(``twist_onnx_bytes``), checked against torch's autograd.

An inpainting model's graphs are the model's own ``encode`` (x, and for MIWAE the mask as 0/1 floats ->
mu, log_sigma, clamped as in torch) and ``decode`` (z -> the decoder's parameters, logits for a Bernoulli decoder:
(B, P, C, H, W)), and for a VAE, whose exact sampler moves z by HMC, ``gradient`` ((z, x) -> the gradient in z of
log p(x | z) + log p(z), and the parameters); the samplers' arithmetic (draws,
likelihoods, weights, the leapfrog) is the worker's. They go to ``static/models/<name>-<graph>.onnx``, recorded under
the card's ``browser["inpaint"]``.
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
# the inpainting page's models whose samplers the browser runs (the exact sampler and pseudo-Gibbs on the VAE,
# importance sampling on MIWAE, on every data set the page offers; DMFA's and MFA's Gaussian conditionals where
# they are trained)
INPAINTERS = (*(f"{family}-{ds}" for ds in ("mnist", "omniglot", "celeba") for family in ("vae", "miwae")),
              *(f"{family}-{ds}" for ds in ("mnist", "celeba") for family in ("dmfa", "mfa")))
# each family's browser files: ONNX graphs, or for MFA, whose conditional needs Cholesky factors that ONNX lacks,
# its fitted parameters (safetensors, float32), from which the worker computes the conditional in float64 as torch does
# a class's phones fetch a VAE's graphs with their weights stored in half precision (``half_weights``): half the
# bytes, the arithmetic still float32; each such graph may differ from torch by this much (the measure of
# ``inpaint_max_difference``; measured on the shipped VAEs: at most 0.006 on a decoder's logits, whose pixels'
# probabilities then move by at most 0.0015)
HALF_TOLERANCE = 1e-2
HALF_FAMILIES = ("vae",)
PARTS = {"vae": ("encoder", "decoder", "gradient"), "miwae": ("encoder", "decoder"), "dmfa": ("conditional",),
         "mfa": ("params",)}


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


def _graph(module: nn.Module, args: tuple[torch.Tensor, ...], inputs: list[str], output: str | list[str]) -> bytes:
    """``module`` as an ONNX graph with a dynamic batch axis on every input and output (the legacy TorchScript
    exporter)."""
    outputs = [output] if isinstance(output, str) else output
    buf = io.BytesIO()
    with torch.no_grad():
        torch.onnx.export(module, args, buf, input_names=inputs, output_names=outputs, opset_version=OPSET,
                          dynamic_axes={n: {0: "batch"} for n in [*inputs, *outputs]}, dynamo=False)
    return buf.getvalue()


def half_weights(data: bytes, min_size: int = 1024) -> bytes:
    """An ONNX graph with each float32 weight of at least ``min_size`` entries stored in float16 and cast back to
    float32 where the graph begins: the file is about half as large and every operation still runs in float32
    (onnxruntime-web's wasm kernels have no float16 arithmetic); the weights are rounded to 11 significant bits."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    graph_model = onnx.load_from_string(data)
    graph = graph_model.graph
    weights, casts = [], []
    for w in graph.initializer:
        a = numpy_helper.to_array(w)
        if a.dtype == np.float32 and a.size >= min_size:
            stored = numpy_helper.from_array(a.astype(np.float16), f"{w.name}.float16")
            casts.append(helper.make_node("Cast", [stored.name], [w.name], to=TensorProto.FLOAT,
                                          name=f"{w.name}.cast"))
            w = stored
        weights.append(w)
    nodes = [*casts, *graph.node]
    del graph.initializer[:], graph.node[:]
    graph.initializer.extend(weights)
    graph.node.extend(nodes)
    onnx.checker.check_model(graph_model)
    return graph_model.SerializeToString()


def onnx_bytes(model: nn.Module) -> bytes:
    """The model's render z -> image as an ONNX graph."""
    wrapped = _Render(model.cpu().eval())
    return _graph(wrapped, (torch.zeros(2, wrapped.gen.latent),), ["z"], "image")


def velocity_onnx_bytes(model: nn.Module) -> bytes:
    """A flow model's v(x_t, t) as an ONNX graph."""
    model = model.cpu().eval()
    return _graph(model, (torch.zeros(2, *model.cfg.shape), torch.full((2,), 0.5)), ["x", "t"], "velocity")


def velocity_max_difference(model: nn.Module, data: bytes | str | Path, n: int = 16, seed: int = 0) -> float:
    """Largest |onnx - torch| of the velocity at n noise images x ~ N(0, I) and times t ~ U(0, 1) drawn from
    ``seed``."""
    import onnxruntime as ort
    model = model.cpu().eval()
    g = torch.Generator().manual_seed(seed)
    x, t = torch.randn(n, *model.cfg.shape, generator=g), torch.rand(n, generator=g)
    with torch.no_grad():
        want = model(x, t).numpy()
    sess = ort.InferenceSession(str(data) if isinstance(data, (str, Path)) else data,
                                providers=["CPUExecutionProvider"])
    return float(np.abs(sess.run(["velocity"], {"x": x.numpy(), "t": t.numpy()})[0] - want).max())


TWIST_INPUTS, TWIST_OUTPUTS = ["x", "t", "y", "obs", "var"], ["x1_hat", "log_g", "grad"]


def _transposed_conv_backward(grad_out, inp, weight, bias_sizes, stride, padding, dilation, transposed,
                              output_padding, groups, output_mask):
    """A convolution's backward pass in its input alone: the transposed convolution with the same weight (the
    convolution's adjoint), its output padding restoring the input's size (a stride-2 convolution's rounding); the
    dynamo exporter has no ONNX function for the backward op itself."""
    if transposed or output_mask[1] or output_mask[2]:
        raise ExportError("The twisting graph differentiates only in a (not transposed) convolution's input.")
    pad = [n - ((g - 1) * st - 2 * p + d * (k - 1) + 1) for n, g, st, p, d, k in
           zip(inp.shape[2:], grad_out.shape[2:], stride, padding, dilation, weight.shape[2:])]
    grad_in = torch.ops.aten.convolution(grad_out, weight, None, stride, padding, dilation, True, pad, groups)
    return grad_in, None, None


def twist_onnx_bytes(model: nn.Module) -> bytes:
    """A flow model's twisting terms (``dgm_core.samplers.flow_twisted.twist_terms``: x̂_1, log p̃_t(y | x) and its
    gradient in x, one forward and one backward pass) as an ONNX graph with a dynamic batch axis, for the browser's
    twisted particle filter. ONNX has no automatic differentiation, so torch.func's backward pass is traced into
    plain operations (make_fx, torch's core decompositions, a convolution's backward as its transposed convolution)
    and that graph is exported (the dynamo exporter); ``twist_max_difference`` holds it to torch's autograd."""
    from torch._decomp import core_aten_decompositions
    from torch.fx.experimental.proxy_tensor import make_fx

    from .samplers.flow_twisted import twist_terms, twist_variance
    model = model.cpu().eval()
    for p in model.parameters():
        p.requires_grad_(False)
    decompositions = core_aten_decompositions()
    decompositions[torch.ops.aten.convolution_backward.default] = _transposed_conv_backward
    # a fresh buffer in a given memory layout (a backward pass's, then written over): ONNX has neither uninitialised
    # tensors nor layouts, so a buffer of zeros stands for it
    decompositions[torch.ops.aten.empty_permuted.default] = lambda size, perm, **kw: torch.zeros(
        size, dtype=kw.get("dtype"), device=kw.get("device"))
    args = _twist_inputs(model, 2, 0, twist_variance)
    fn = torch.func.functionalize(lambda *a: twist_terms(model, *a), remove="mutations")
    traced = make_fx(fn, decomposition_table=decompositions, tracing_mode="symbolic",
                     _allow_non_fake_inputs=True)(*args)
    batch = torch.export.Dim("batch")
    program = torch.onnx.export(traced, args, dynamo=True, input_names=TWIST_INPUTS, output_names=TWIST_OUTPUTS,
                                dynamic_shapes=tuple({0: batch} for _ in args), opset_version=OPSET, verbose=False)
    return program.model_proto.SerializeToString()


def _twist_inputs(model: nn.Module, n: int, seed: int, variance) -> tuple[torch.Tensor, ...]:
    """n particles x ~ N(0, I) at times t ~ U(0, 1), an observed image y in [-1, 1] with about half its pixels
    observed (0/1 floats), and the potential's variance at t (τ = 0.3)."""
    g = torch.Generator().manual_seed(seed)
    shape = (n, *model.cfg.shape)
    x, t = torch.randn(shape, generator=g), torch.rand(n, generator=g)
    y, obs = torch.rand(shape, generator=g) * 2 - 1, (torch.rand(shape, generator=g) < 0.5).float()
    var = torch.tensor([variance(float(u), 0.3) for u in t])
    return x, t, y, obs, var


def twist_max_difference(model: nn.Module, data: bytes | str | Path, n: int = 16, seed: int = 0) -> dict[str, float]:
    """Largest |onnx - torch| of each twisting output against ``twist_terms`` in torch (its autograd), relative to
    that output's largest entry (the log potential is a sum over hundreds of pixels), on ``_twist_inputs``."""
    import onnxruntime as ort

    from .samplers.flow_twisted import twist_terms, twist_variance
    model = model.cpu().eval()
    args = _twist_inputs(model, n, seed, twist_variance)
    want = twist_terms(model, *args)
    sess = ort.InferenceSession(str(data) if isinstance(data, (str, Path)) else data,
                                providers=["CPUExecutionProvider"])
    got = sess.run(TWIST_OUTPUTS, {k: a.numpy() for k, a in zip(TWIST_INPUTS, args)})
    return {k: float(np.abs(a - w.detach().numpy()).max() / max(float(w.abs().max()), 1e-12))
            for k, a, w in zip(TWIST_OUTPUTS, got, want)}


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


class _Encoder(nn.Module):
    """(x, mask as 0/1 floats) -> (mu, log_sigma): the model's own ``encode``; a plain VAE takes x only."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        return self.model.encode(x, None if mask is None else mask > 0.5)


class _Decoder(nn.Module):
    """z -> the decoder's parameters (B, P, C, H, W)."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.model.decode(z)


class _Gradient(nn.Module):
    """(z, x) -> (grad, params): the gradient in z of the HMC z-move's target log p(x | z) + log p(z) over every
    pixel of the completion x (dgm_core.samplers.kernels.HMCKernel._grad), and the decoder's parameters, from which
    the worker computes the target itself (onnxruntime-web's wasm kernels give NaN for the exported BCE). The
    gradient is the decoder's chain rule written out layer by layer (Linear, Tanh, ReLU, the conv decoder's reshape
    and ConvTranspose2d, whose adjoint is a Conv2d with the same weight), because the exporter traces no autograd;
    the parity check compares it with torch's autograd."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model
        dec = model.decoder
        if isinstance(dec, nn.Sequential):
            layers = list(dec)
        elif hasattr(dec, "fc") and hasattr(dec, "net"):  # the conv decoder: fc, ReLU, (c0, 4, 4), the transposes
            layers = [dec.fc, nn.ReLU(), nn.Unflatten(1, (dec.c0, 4, 4)), *dec.net]
        else:
            raise ExportError(f"No gradient graph for a {type(dec).__name__} decoder.")
        for layer in layers:
            if isinstance(layer, nn.ConvTranspose2d) and (layer.output_padding != (0, 0) or layer.groups != 1
                                                          or layer.dilation != (1, 1)):
                raise ExportError("No gradient graph for a transposed convolution with output padding, groups or "
                                  "dilation.")
            if not isinstance(layer, (nn.Linear, nn.Tanh, nn.ReLU, nn.Unflatten, nn.ConvTranspose2d)):
                raise ExportError(f"No gradient graph through a {type(layer).__name__} layer.")
        self.layers = nn.ModuleList(layers)

    def forward(self, z: torch.Tensor, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        cfg = self.model.cfg
        outs = [z]
        for layer in self.layers:
            outs.append(layer(outs[-1]))
        params = outs[-1].reshape(-1, _n_params(cfg), *cfg.shape)
        if cfg.likelihood == "bernoulli":
            g = x - torch.sigmoid(params[:, 0])
        else:  # mean m = sigmoid(l0), scale s = softplus(l1) + floor; log N(x; m, s)
            m, s = torch.sigmoid(params[:, 0]), nn.functional.softplus(params[:, 1]) + cfg.min_scale
            r = (x - m) / s
            g = torch.stack([r / s * m * (1 - m), (r * r - 1) / s * torch.sigmoid(params[:, 1])], 1)
        g = g.reshape(-1, *outs[-1].shape[1:])
        for layer, out in zip(reversed(self.layers), reversed(outs[1:]), strict=True):
            if isinstance(layer, nn.Linear):
                g = g @ layer.weight
            elif isinstance(layer, nn.Tanh):
                g = g * (1 - out * out)
            elif isinstance(layer, nn.ReLU):
                g = g * (out > 0).to(g.dtype)
            elif isinstance(layer, nn.Unflatten):
                g = g.flatten(1)
            else:
                g = nn.functional.conv2d(g, layer.weight, stride=layer.stride, padding=layer.padding)
        return g - z, params


class _Conditional(nn.Module):
    """DMFA: (x, mask as 0/1 floats (B, 1, H, W)) -> (logits, mean, A, d) of p(x_m | x_o) (dmfa.Output)."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, ...]:
        out = self.model(x, mask > 0.5)
        return out.logits, out.mean, out.A, out.d


def _factor_inputs(model: nn.Module, n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """What DMFA's parity check feeds: n images in [0, 1] and masks with a hole of random size and place."""
    from .models.dmfa import random_holes
    g = torch.Generator().manual_seed(seed)
    c, h, w = model.cfg.shape
    x = torch.rand(n, c, h, w, generator=g)
    return x, random_holes(n, (h, w), (h // 2, w // 2), (h // 4, w // 4), g).float()


def _inpaint_inputs(model: nn.Module, n: int, seed: int) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
    """What the parity check feeds: n images (binary for a Bernoulli decoder), their masks (~half observed) and
    z ~ N(0, 4 I) (wider than the prior: the samplers visit such z)."""
    g = torch.Generator().manual_seed(seed)
    shape = (n, *model.cfg.shape)
    x = torch.rand(shape, generator=g)
    if model.cfg.likelihood == "bernoulli":
        x = (x > 0.5).float()
    enc = {"x": x}
    if model.cfg.mask_input:
        enc["mask"] = (torch.rand(shape, generator=g) < 0.5).float()
    return enc, 2 * torch.randn(n, model.cfg.latent, generator=g)


def inpaint_onnx_bytes(model: nn.Module, *, gradient: bool = False) -> dict[str, bytes]:
    """The model's encoder and decoder as ONNX graphs; with ``gradient``, the HMC move's graph (``_Gradient``) too;
    for DMFA, its network (``_Conditional``); for MFA, its parameters as safetensors."""
    from .models.dmfa import DMFA
    from .models.mfa import MFA
    model = model.cpu().eval()
    if isinstance(model, MFA):
        from safetensors.torch import save
        return {"params": save({k: v.float().contiguous() for k, v in model.state_dict().items()})}
    if isinstance(model, DMFA):
        x, mask = _factor_inputs(model, 2, 0)
        return {"conditional": _graph(_Conditional(model), (x, mask), ["x", "mask"], ["logits", "mean", "A", "d"])}
    enc, z = _inpaint_inputs(model, 2, 0)
    graphs = {"encoder": _graph(_Encoder(model), tuple(enc.values()), list(enc), ["mu", "log_sigma"]),
              "decoder": _graph(_Decoder(model), (z,), ["z"], "params")}
    if gradient:
        graphs["gradient"] = _graph(_Gradient(model), (z, enc["x"]), ["z", "x"],
                                    ["grad", "params"])
    return graphs


def inpaint_max_difference(model: nn.Module, graphs: dict[str, bytes | str | Path], n: int = 16,
                           seed: int = 0) -> dict[str, float]:
    """Largest |onnx - torch| of each graph's outputs on ``_inpaint_inputs`` (mu and log_sigma; the decoder's
    parameters; the gradient and parameters against torch's autograd, relative to each output's largest entry,
    since the gradients of log-likelihoods of thousands of pixels run to 10⁴)."""
    import onnxruntime as ort

    from .models.dmfa import DMFA
    from .models.mfa import MFA
    from .samplers.kernels import HMCKernel
    model = model.cpu().eval()
    run = lambda data, feed: ort.InferenceSession(  # noqa: E731
        str(data) if isinstance(data, (str, Path)) else data, providers=["CPUExecutionProvider"]).run(None, feed)
    if isinstance(model, MFA):  # the file holds the fitted parameters themselves
        from safetensors.torch import load
        data = graphs["params"]
        got = load(data if isinstance(data, bytes) else Path(data).read_bytes())
        return {"params": max(float((got[k] - v.float()).abs().max()) for k, v in model.state_dict().items())}
    if isinstance(model, DMFA):
        x, mask = _factor_inputs(model, n, seed)
        with torch.no_grad():
            want = _Conditional(model)(x, mask)
        got = run(graphs["conditional"], {"x": x.numpy(), "mask": mask.numpy()})
        return {"conditional": float(max(np.abs(g - w.numpy()).max() for g, w in zip(got, want, strict=True)))}
    enc, z = _inpaint_inputs(model, n, seed)
    with torch.no_grad():
        mu, log_sigma = _Encoder(model)(*enc.values())
        params = model.decode(z)
    got_mu, got_ls = run(graphs["encoder"], {k: v.numpy() for k, v in enc.items()})
    (got_params,) = run(graphs["decoder"], {"z": z.numpy()})
    out = {"encoder": float(max(np.abs(got_mu - mu.numpy()).max(), np.abs(got_ls - log_sigma.numpy()).max())),
           "decoder": float(np.abs(got_params - params.numpy()).max())}
    if "gradient" in graphs:
        _, grad, params, _ = HMCKernel()._grad(model, enc["x"], z)
        got = run(graphs["gradient"], {"z": z.numpy(), "x": enc["x"].numpy()})
        out["gradient"] = float(max(np.abs(g - w.numpy()).max() / max(np.abs(w.numpy()).max(), 1.0)
                                    for g, w in zip(got, (grad, params), strict=True)))
    return out


def export_inpaint(name: str, directory: str | Path | None = None, out_dir: str | Path | None = None) -> dict:
    """Export an inpainting model's graphs (``INPAINTERS``) to ``out_dir``, check them against torch,
    and record them in the card's ``browser["inpaint"]`` (the rest of ``browser`` is kept). Returns that entry."""
    if name not in INPAINTERS:
        raise ExportError(f"'{name}' is not an inpainting model the browser runs ({', '.join(INPAINTERS)}).")
    directory = Path(directory or pretrained.PRETRAINED_DIR)
    out_dir = Path(out_dir or STATIC_DIR)
    model, card = pretrained.load(name, directory)
    t0 = time.perf_counter()
    graphs = inpaint_onnx_bytes(model, gradient=card.family == "vae")  # the VAE's exact sampler moves z by HMC
    diff = inpaint_max_difference(model, graphs)
    for part, d in diff.items():
        if not d <= TOLERANCE:
            raise ExportError(f"The ONNX export of '{name}' ({part}) differs from torch by {d:.2g} (> {TOLERANCE:g}).")
    half = {}
    if card.family in HALF_FAMILIES:
        half = {part: half_weights(data) for part, data in graphs.items()}
        half_diff = inpaint_max_difference(model, half)
        for part, d in half_diff.items():
            if not d <= HALF_TOLERANCE:
                raise ExportError(f"The half-precision export of '{name}' ({part}) differs from torch by {d:.2g} "
                                  f"(> {HALF_TOLERANCE:g}).")
    out_dir.mkdir(parents=True, exist_ok=True)
    cfg = model.cfg
    io_ = _inpaint_io(card.family, cfg)
    files = {}
    for part, data in graphs.items():
        path = out_dir / f"{name}-{part}{'.safetensors' if part == 'params' else '.onnx'}"
        path.write_bytes(data)
        files[part] = {"file" if part == "params" else "onnx": _relative(path),
                       "sha256": pretrained.sha256_file(path), "bytes": len(data),
                       "input": io_[part][0], "output": io_[part][1], "max_abs_diff_vs_torch": diff[part]}
    halves = {}  # the class page's copies (``half_weights``)
    for part, data in half.items():
        path = out_dir / f"{name}-{part}.half.onnx"
        path.write_bytes(data)
        halves[part] = {"onnx": _relative(path), "sha256": pretrained.sha256_file(path), "bytes": len(data),
                        "max_abs_diff_vs_torch": half_diff[part]}
    law = ({"likelihood": cfg.likelihood, "min_scale": cfg.min_scale} if card.family in ("vae", "miwae")
           else {"n_mixes": cfg.n_mixes, "n_factors": cfg.n_factors})
    entry = {"onnx": [f["onnx"] for f in files.values() if "onnx" in f],
             "bytes": sum(f["bytes"] for f in files.values()),
             "max_abs_diff_vs_torch": max(diff.values()), **files, "opset": OPSET, "family": card.family, **law,
             "weights_sha256": card.sha256, "command": f"python -m dgm_core export {name}",
             "torch_version": torch.__version__, "export_time_s": round(time.perf_counter() - t0, 2)}
    if halves:
        entry["half"] = {**halves, "bytes": sum(f["bytes"] for f in halves.values())}
    new = dataclasses.replace(card, browser={**card.browser, "inpaint": entry})
    (directory / f"{name}.json").write_text(new.to_json())
    return entry


def _inpaint_io(family: str, cfg) -> dict[str, tuple[list, list]]:
    """Each browser file's inputs and outputs, with their shapes, as the card lists them."""
    shape = ["batch", *cfg.shape]
    if family == "mfa":
        k, l, dim = cfg.n_mixes, cfg.n_factors, cfg.shape[0] * cfg.shape[1] * cfg.shape[2]
        return {"params": ([], [["logits", [k]], ["mu", [k, dim]], ["A", [k, l, dim]], ["d", [k, dim]]])}
    if family == "dmfa":
        k, l, dim = cfg.n_mixes, cfg.n_factors, cfg.shape[0] * cfg.shape[1] * cfg.shape[2]
        return {"conditional": ([["x", shape], ["mask", ["batch", 1, *cfg.shape[1:]]]],
                                [["logits", ["batch", k]], ["mean", ["batch", k, dim]], ["A", ["batch", k, l, dim]],
                                 ["d", ["batch", k, dim]]])}
    latent, params = ["batch", cfg.latent], ["batch", _n_params(cfg), *cfg.shape]
    return {"encoder": ([["x", shape], *([["mask", shape]] if cfg.mask_input else [])],
                        [["mu", latent], ["log_sigma", latent]]),
            "decoder": ([["z", latent]], [["params", params]]),
            "gradient": ([["z", latent], ["x", shape]], [["grad", latent], ["params", params]])}


def _n_params(cfg) -> int:
    return 2 if cfg.likelihood == "gaussian" else 1


def _relative(path: Path) -> str:
    root = pretrained.PRETRAINED_DIR.parent
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)


def export(name: str, directory: str | Path | None = None, out_dir: str | Path | None = None) -> dict:
    """Export model ``name`` (card and weights in ``directory``) to ``out_dir/<name>.onnx``, check it against
    torch, and record it in the card; an inpainting model's encoder and decoder too (``export_inpaint``). Returns
    the card's new ``browser`` entry, or for a model the browser only inpaints with, its ``inpaint`` entry."""
    if name not in MODELS and name not in FLOWS:
        if name in INPAINTERS:
            return export_inpaint(name, directory, out_dir)
        raise ExportError(f"'{name}' is not a generator the latent explorer offers ({', '.join(MODELS)}), "
                          f"a flow model ({', '.join(FLOWS)}) nor an inpainting model ({', '.join(INPAINTERS)}).")
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
    entry = {"onnx": _relative(path),
             "sha256": pretrained.sha256_file(path), "bytes": len(data), "opset": OPSET,
             **(_velocity_io(model) if flow else {"input": ["z", ["batch", card.config.get("latent")]],
                                                  "output": ["image", ["batch", *_shape(model)]]}),
             "max_abs_diff_vs_torch": diff, "weights_sha256": card.sha256,
             "command": f"python -m dgm_core export {name}", "torch_version": torch.__version__,
             "export_time_s": round(time.perf_counter() - t0, 2)}
    if flow:  # the twisted filter's graph beside the velocity's
        twist = twist_onnx_bytes(model)
        diffs = twist_max_difference(model, twist)
        if not max(diffs.values()) <= TOLERANCE:
            raise ExportError(f"The twisting graph of '{name}' differs from torch's autograd by {diffs}.")
        tpath = out_dir / f"{name}-twist.onnx"
        tpath.write_bytes(twist)
        entry["twist"] = {"onnx": _relative(tpath), "sha256": pretrained.sha256_file(tpath), "bytes": len(twist),
                          "input": TWIST_INPUTS, "output": TWIST_OUTPUTS, "max_rel_diff_vs_torch": diffs}
    new = dataclasses.replace(card, browser=entry)
    (directory / f"{name}.json").write_text(new.to_json())
    if name in INPAINTERS:
        entry = {**entry, "inpaint": export_inpaint(name, directory, out_dir)}
    return entry


def _velocity_io(model: nn.Module) -> dict:
    shape = ["batch", *model.cfg.shape]
    return {"input": [["x", shape], ["t", ["batch"]]], "output": ["velocity", shape]}


def _shape(model: nn.Module) -> list[int]:
    gen = lt.as_generator(model)
    with torch.no_grad():
        return list(gen.generate(torch.zeros(1, gen.latent)).shape[1:])


def exportable(directory: str | Path | None = None) -> list[str]:
    """The explorer's generators and the browser's inpainting models that have a card in ``directory``."""
    have = {c.name for c in pretrained.list_cards(directory)}
    return [m for m in dict.fromkeys([*MODELS, *INPAINTERS]) if m in have]


def generators(directory: str | Path | None = None) -> list[str]:
    """The explorer's generators that have a card in ``directory``."""
    have = {c.name for c in pretrained.list_cards(directory)}
    return [m for m in MODELS if m in have]
