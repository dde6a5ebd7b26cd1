"""The inpainting page's calls: one image, one mask, several imputation methods (the exact sampler of Mattei &
Frellsen, arXiv 1802.04826, MIWAE, DMFA, baselines), scored on the missing pixels; each method's model family and
runner are in ``dgm_core.methods``. ``run_page`` is the page's Run button.
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any
from dataclasses import dataclass, field, replace

import torch

from .. import masks, metrics, pretrained, results
from ..controls import Control, check
from ..device import generator
from ..imputation import ChainDiagnostics, FactorDiagnostics, Imputation
from ..methods import INPAINTING, KERNEL_LABELS, inpainting_label
from ..samplers import conditional_log_lik, importance_impute, run_gibbs, simple
from ..samplers.base import ChainState

DATASETS = {"mnist": "MNIST", "omniglot": "Omniglot", "celeba": "CelebA"}
BINARY = {"mnist": True, "omniglot": True, "celeba": False}


DEFAULT_METHODS = ("mwg", "pseudo_gibbs", "miwae", "dmfa", "mfa", "neighbour_fill")


def available_methods(dataset: str, shipped: set[str] | frozenset[str]) -> list[str]:
    """Simple fills, and the methods whose model ``f"{family}-{dataset}"`` is in ``shipped``."""
    return [m for m, info in INPAINTING.items() if info.family is None or f"{info.family}-{dataset}" in shipped]


SIZE = {"mnist": 28, "omniglot": 28, "celeba": 32}  # the side of the images the page shows and the models take


def default_index(dataset: str = "mnist") -> int:
    """The data set's recorded default test image (bench inpainting_default), 0 where none is recorded."""
    try:
        r = results.inpainting_default().get(dataset)
    except results.ResultsError:
        r = None
    return r.default_index if r else 0


# a colour face's chain step costs several digits': fewer, shorter chains keep the page's time budget
DATASET_SETTINGS: dict[str, dict[str, int]] = {"celeba": {"chains": 4, "steps": 120, "burn_in": 30}}
_CHAIN = {"steps": 300, "chains": 6, "burn_in": 75}  # sized for the page's time budget (bench inpainting_page)


def _chain_default(field_: str) -> Callable[[dict], int]:
    """A chain setting's default for the data set chosen (``got["ds"]``; MNIST's without one)."""
    return lambda got: DATASET_SETTINGS.get(got.get("ds", "mnist"), {}).get(field_, _CHAIN[field_])


def _offered(got: dict) -> list[str]:
    """The methods offered on the data set chosen: those whose model was trained on it, and the simple fills."""
    return available_methods(got.get("ds", "mnist"), {c.name for c in pretrained.list_cards()})


# The page's controls, each declared once (dgm_core.controls): the widgets, links, deck, warm-up and Settings read them
PREFIX = "inp_"  # the page's keys in a link: ?inp_<control>=… (its widgets, its URL state, the deck)
CONTROLS: dict[str, Control] = {
    "ds": Control("mnist", "Data set", "select", choices=list(DATASETS), names=DATASETS),
    "src": Control("Gallery", "Image from", "radio", choices=["Gallery", "Upload", "Draw"]),
    # drawn by the page's gallery, whose size bounds it further (ui.image_source)
    "idx": Control(lambda got: default_index(got["ds"]), "Index", lo=0, hi=10**6),
    "msrc": Control("Preset", "Mask from", "radio", choices=["Preset", "Draw", "Upload"]),
    "preset": Control("bottom", "Preset", "select", choices=list(masks.PRESETS), names=masks.PRESETS),
    "miss": Control(50, "Missing %", "slider", lo=5, hi=95, step=5),
    "size": Control(14, "Square size (pixels)", "slider", lo=2, hi=lambda got: SIZE[got["ds"]] - 1),  # fits the image
    "nrect": Control(1, "Number of squares", "number", lo=1, hi=10),
    "mseed": Control(0, "Mask seed", "number", lo=0, hi=10**6),
    "methods": Control(lambda got: [m for m in DEFAULT_METHODS if m in _offered(got)], "Methods", "multiselect",
                       choices=_offered, names=INPAINTING.label, max_items=len(INPAINTING)),
    "steps": Control(_chain_default("steps"), "Chain iterations", "number", lo=10, hi=5000, step=50),
    "chains": Control(_chain_default("chains"), "Chains", "number", lo=1, hi=64),
    "burn": Control(_chain_default("burn_in"), "Burn-in iterations", "number", lo=0, hi=4999, step=10),
    "ns": Control(1000, "Importance samples (MIWAE)", "number", lo=10, hi=20000, step=100),
    "init": Control("noise", "Initial fill of missing pixels", "select", choices=["noise", "zeros", "half"],
                    help="What the missing pixels hold before the first step: the encoder reads this image once."),
    "warm": Control(0, "Pseudo-Gibbs warm start", "number", lo=0, hi=500,
                    help="Pseudo-Gibbs steps run before either chain starts. With none, a chain does not start from "
                         "pure noise: it starts from one encoder draw of z at the image with its missing pixels filled "
                         "as set (noise by default), and those pixels redrawn from the decoder at that z."),
    "seed": Control(0, "Seed", "number", lo=0, hi=10**6),
    "where": Control("browser", "Compute your own runs", "radio", choices=["browser", "server"],
                     names={"browser": "in this browser", "server": "on the server"},
                     help="In this browser, every method of your own Run computes on your machine and never waits "
                          "for the class; views the class shares come from the server. On the server, everything "
                          "queues with the class's other runs."),
    "fsteps": Control(10, "Flow ODE steps", "number", lo=1, hi=200,
                      help="Heun steps of the flow's ODE from noise (t = 0) to the image (t = 1); the observed pixels "
                           "are replaced before each. Two network evaluations a step."),
    "parts": Control(32, "Flow particle filters: particles", "number", lo=1, hi=256,
                     help="Particles of the flow's particle filters, plain and twisted (40 steps of its path, one "
                          "network evaluation per particle and step; the twisted one adds a backward pass). More "
                          "particles: nearer the flow model's own conditional, slower."),
    "lmoves": Control(0, "Twisted filter: Langevin moves", "number", lo=0, hi=10,
                      help="Langevin moves of every particle of the twisted filter after each step's resampling, "
                           "on the twisted target: they spread the copies resampling makes, at one more network "
                           "evaluation and backward pass each."),
    "kernel": Control("hmc", "Exact sampler's z-move", "select", choices=list(KERNEL_LABELS), names=KERNEL_LABELS,
                      help="How Metropolis-within-Gibbs proposes a new latent z. HMC follows the decoder's gradient "
                           "(its step size is tuned during burn-in, then fixed); the encoder proposal is the paper's "
                           "and is rarely accepted on images; pCN is a small random walk; the mix picks encoder or "
                           "HMC at random each step."),
}
# Settings' fields that are the page's controls: field -> the control's key
FIELD_KEYS = {"steps": "steps", "chains": "chains", "burn_in": "burn", "n_samples": "ns", "init": "init",
              "warm_start": "warm", "seed": "seed", "kernel": "kernel", "flow_steps": "fsteps",
              "particles": "parts", "langevin": "lmoves"}


@dataclass(frozen=True)
class Settings:
    """The samplers' settings; those the page sets are checked against its CONTROLS (``FIELD_KEYS``)."""

    steps: int = _CHAIN["steps"]  # chain iterations
    chains: int = _CHAIN["chains"]
    burn_in: int = _CHAIN["burn_in"]  # the first quarter, as in bench inpainting; HMC tunes its step size there
    n_samples: int = CONTROLS["ns"].default  # importance samples (MIWAE)
    n_draws: int = 8  # multiple imputations kept for display
    init: str = CONTROLS["init"].default  # initial fill of the missing pixels for the chains
    # pseudo-Gibbs steps before the chains proper; with none, each chain starts from one encoder draw of z at the
    # image with its missing pixels filled by ``init``, and those pixels redrawn from the decoder at that z
    warm_start: int = CONTROLS["warm"].default
    seed: int = CONTROLS["seed"].default
    snapshots: int = 50  # states kept for the step slider
    # the exact sampler's z-move (KERNEL_LABELS); bench inpainting compares them
    kernel: str = CONTROLS["kernel"].default
    flow_steps: int = CONTROLS["fsteps"].default  # the flow inpainter's ODE steps
    particles: int = CONTROLS["parts"].default  # the flow particle filters' particles
    langevin: int = CONTROLS["lmoves"].default  # the twisted flow filter's Langevin moves a step

    LIMITS = {"n_draws": (1, 32), "snapshots": (2, 200)}  # the fields no control sets

    def __post_init__(self) -> None:
        for name, key in FIELD_KEYS.items():
            check(CONTROLS[key], getattr(self, name))
        for name, (lo, hi) in self.LIMITS.items():
            check(Control(lo, name.replace("_", " ").capitalize(), lo=lo, hi=hi), getattr(self, name))
        if self.burn_in >= self.steps:
            raise ValueError(f"Burn-in ({self.burn_in}) must be shorter than the chain ({self.steps} steps).")


def default_settings(dataset: str) -> Settings:
    return replace(Settings(), **DATASET_SETTINGS.get(dataset, {}))


def settings_from(values: dict[str, Any]) -> Settings:
    """The page's control values (url key -> value) as the samplers' Settings; ValueError: one sentence."""
    return Settings(**{name: values[key] for name, key in FIELD_KEYS.items()})


def preset_mask(values: dict[str, Any], shape: tuple[int, int]) -> torch.Tensor:
    """The preset mask the page's controls describe, for an image of ``shape``: (H, W) bool, True = observed."""
    return masks.preset(values["preset"], shape, missing=values["miss"] / 100, size=min(values["size"], min(shape) - 1),
                        n=values["nrect"], seed=values["mseed"])


@dataclass
class ChainTrace:
    """Per-step diagnostics of one chain run on one image (S chains)."""

    log_joint: torch.Tensor  # (T, S)
    accepted: torch.Tensor  # (T, S) bool
    score: torch.Tensor  # (T,) F1 (binary) or MSE of the chains' mean decoder output, missing pixels only
    snapshot_steps: list[int] = field(default_factory=list)
    snapshot_mean: list[torch.Tensor] = field(default_factory=list)  # (C, H, W) each
    snapshot_sample: list[torch.Tensor] = field(default_factory=list)  # (C, H, W) each, chain 0
    cond_log_lik: float | None = None  # log p(x_m_true | x_o) estimated by the chain's z samples
    label: str = ""  # the sampler's display name (dgm_core.methods.inpainting_label)


def _log_lik_missing(state: ChainState, truth: torch.Tensor, missing: torch.Tensor, binary: bool,
                     i: int = 0) -> torch.Tensor:
    """log p(x_m_true | z_t) for every chain of image ``i`` -> (S,). truth: (C, H, W); missing: (C, H, W) bool."""
    p, t = state.probs[i], truth.expand_as(state.probs[i])
    if binary:
        p = p.clamp(1e-6, 1 - 1e-6)
        lp = t * torch.log(p) + (1 - t) * torch.log1p(-p)
    else:
        lp = -0.5 * ((t - p) ** 2 / state.var[i] + torch.log(2 * math.pi * state.var[i]))
    return (lp * missing).flatten(1).sum(1)


# Runners share one signature, for dispatch through RUNNERS (below): (method id, model, x (1, C, H, W),
# mask (1, 1, H, W), truth (C, H, W) or None, settings, binary, on_progress) -> (Imputation, ChainTrace | None).


def run_chain(method: str, model, x, mask, truth, s: Settings, binary: bool,
              on_progress: Callable[[float], None] | None) -> tuple[Imputation, ChainTrace]:
    """Metropolis-within-Gibbs ("mwg") or pseudo-Gibbs on one image, with its per-step trace."""
    return run_chains(method, model, x, mask, None if truth is None else truth.unsqueeze(0), s, binary,
                      on_progress)[0]


def _one(d: ChainDiagnostics, i: int, chains: int) -> ChainDiagnostics:
    """Image ``i``'s share of a batch's chain diagnostics (its chains are ``i * chains`` on, as the sampler lays
    them out)."""
    per_image = {f: getattr(d, f)[i:i + 1] for f in ("acceptance_per_chain", "acceptance", "accepted_moves",
                                                     "ess_log_joint", "rhat", "ess_pixels", "rhat_pixels")
                 if getattr(d, f) is not None}
    return replace(d, log_joint=d.log_joint[:, i:i + 1], accepted=d.accepted[:, i:i + 1],
                   pixel_trace=None if d.pixel_trace is None else d.pixel_trace[:, i:i + 1], verdict=[d.verdict[i]],
                   step_size=None if d.step_size is None else d.step_size[i * chains:(i + 1) * chains],
                   **per_image)


def run_chains(method: str, model, x, mask, truth, s: Settings, binary: bool,
               on_progress: Callable[[float], None] | None) -> list[tuple[Imputation, ChainTrace]]:
    """Metropolis-within-Gibbs ("mwg") or pseudo-Gibbs on N images at once, one sampler run whose chains are each
    image's own (independent chains, a step size tuned per chain): x (N, C, H, W); mask (N, 1, H, W); truth
    (N, C, H, W) or None -> a (result, trace) per image, as ``run_chain`` gives for one. Several images in one run
    cost little more than one (the server batches the Runs of students waiting for the same model); an image's
    draws then depend on what else ran beside it, but their law does not."""
    metropolis = method == "mwg"
    n = x.shape[0]
    missing = (~mask).expand_as(x)  # (N, C, H, W)
    every = max(1, s.steps // s.snapshots)
    scores, lls = [[] for _ in range(n)], [[] for _ in range(n)]
    snap_steps, snap_mean, snap_sample = [], [[] for _ in range(n)], [[] for _ in range(n)]

    def on_state(state: ChainState) -> None:
        snap = state.step % every == 0 or state.step == 1
        if snap:
            snap_steps.append(state.step)
        for i in range(n):
            mean = state.probs[i].mean(0, keepdim=True)
            if truth is not None:
                t, m = truth[i:i + 1], mask[i:i + 1]
                scores[i].append((metrics.f1_missing(mean, t, m) if binary else metrics.mse_missing(mean, t, m)).item())
                if state.step > s.burn_in:
                    lls[i].append(_log_lik_missing(state, truth[i], missing[i], binary, i))
            if snap:
                snap_mean[i].append(torch.where(missing[i], mean[0], x[i]))
                # chain 1's completion; for a Gaussian decoder its decoder mean (a face, not per-pixel noise)
                snap_sample[i].append((state.x[i, 0] if binary else torch.where(missing[i], state.probs[i, 0], x[i]))
                                      .clone())
        if on_progress and state.step % 10 == 0:
            on_progress(state.step / s.steps)

    res = run_gibbs(model, x, mask, metropolis=metropolis, n_steps=s.steps, chains=s.chains, burn_in=s.burn_in,
                    seed=s.seed, init=s.init, warm_start=s.warm_start, kernel=s.kernel if metropolis else None,
                    on_state=on_state)
    res.diagnostics.pixel_trace = None  # summarised in ess_pixels and rhat_pixels; the page keeps its results
    out = []
    for i in range(n):
        d = _one(res.diagnostics, i, s.chains)
        one = Imputation(method=res.method, mean=res.mean[i:i + 1], samples=res.samples[i:i + 1, : s.n_draws],
                         std=res.std[i:i + 1], diagnostics=d, seconds=res.seconds)
        trace = ChainTrace(log_joint=d.log_joint[:, 0], accepted=d.accepted[:, 0], score=torch.tensor(scores[i]),
                           snapshot_steps=list(snap_steps), snapshot_mean=snap_mean[i],
                           snapshot_sample=snap_sample[i], label=inpainting_label(method, d.kernel))
        if lls[i]:  # log mean over (post-burn-in steps x chains) of p(x_m | z_t): the z_t sample p(z | x_o)
            all_ll = torch.cat(lls[i])
            trace.cond_log_lik = d.cond_log_lik = (torch.logsumexp(all_ll, 0) - math.log(all_ll.numel())).item()
        out.append((one, trace))
    return out


def run_importance(method: str, model, x, mask, truth, s: Settings, binary: bool,
                   on_progress) -> tuple[Imputation, None]:
    """MIWAE importance sampling on one image."""
    res = importance_impute(model, x, mask, n_samples=s.n_samples, n_draws=s.n_draws, generator=generator(s.seed))
    if truth is not None:
        res.diagnostics.cond_log_lik = conditional_log_lik(
            model, truth.unsqueeze(0), mask, n_samples=s.n_samples, generator=generator(s.seed + 1)).item()
    return res, None


def _factors(impl, model, x, mask, truth, s: Settings) -> tuple[Imputation, None]:
    res = impl.impute(model, x, mask, n_samples=s.n_draws, generator=generator(s.seed),
                      truth=None if truth is None else truth.unsqueeze(0))
    if res.diagnostics.nll is not None:
        res.diagnostics.cond_log_lik = -res.diagnostics.nll.item()
    return res, None


def run_dmfa(method: str, model, x, mask, truth, s: Settings, binary: bool, on_progress) -> tuple[Imputation, None]:
    from ..models import dmfa
    return _factors(dmfa, model, x, mask, truth, s)


def run_mfa(method: str, model, x, mask, truth, s: Settings, binary: bool, on_progress) -> tuple[Imputation, None]:
    from ..models import mfa
    return _factors(mfa, model, x, mask, truth, s)


def run_flow(method: str, model, x, mask, truth, s: Settings, binary: bool, on_progress) -> tuple[Imputation, None]:
    """The flow-matching model's replacement path (dgm_core.samplers.flow_inpaint): ``n_draws`` completions."""
    from ..samplers.flow_inpaint import flow_inpaint
    res = flow_inpaint(model, x, mask, n_steps=s.flow_steps, n_draws=s.n_draws, generator=generator(s.seed))
    res.method = method
    return res, None


def run_flow_smc(method: str, model, x, mask, truth, s: Settings, binary: bool,
                 on_progress) -> tuple[Imputation, None]:
    """The flow model's particle filter (dgm_core.samplers.flow_smc): ``particles`` particles, ``n_draws`` draws."""
    from ..samplers.flow_smc import flow_smc_inpaint
    res = flow_smc_inpaint(model, x, mask, particles=s.particles, n_draws=s.n_draws, generator=generator(s.seed))
    res.method = method
    return res, None


def run_flow_twisted(method: str, model, x, mask, truth, s: Settings, binary: bool,
                     on_progress) -> tuple[Imputation, None]:
    """The flow model's twisted particle filter (dgm_core.samplers.flow_twisted): ``particles`` particles,
    ``langevin`` Langevin moves a step, ``n_draws`` draws."""
    from ..samplers.flow_twisted import flow_twisted_inpaint
    res = flow_twisted_inpaint(model, x, mask, particles=s.particles, langevin=s.langevin, n_draws=s.n_draws,
                               generator=generator(s.seed))
    return res, None


def run_mean_fill(method: str, model, x, mask, truth, s: Settings, binary: bool,
                  on_progress) -> tuple[Imputation, None]:
    return simple.mean_fill(x, mask), None


def run_neighbour_fill(method: str, model, x, mask, truth, s: Settings, binary: bool,
                       on_progress) -> tuple[Imputation, None]:
    return simple.neighbour_fill(x, mask), None


RUNNERS: dict[str, Callable[..., tuple[Imputation, ChainTrace | None]]] = {  # INPAINTING id -> what runs it
    "mwg": run_chain, "pseudo_gibbs": run_chain, "miwae": run_importance, "dmfa": run_dmfa, "mfa": run_mfa,
    "flow": run_flow, "flow_smc": run_flow_smc, "flow_twisted": run_flow_twisted, "mean_fill": run_mean_fill,
    "neighbour_fill": run_neighbour_fill}


def run_method(method: str, model, x: torch.Tensor, mask: torch.Tensor, *, dataset: str, settings: Settings,
               truth: torch.Tensor | None = None,
               on_progress: Callable[[float], None] | None = None) -> tuple[Imputation, ChainTrace | None]:
    """One method (an ``INPAINTING`` id) on one image. x: (C, H, W) in [0, 1]; mask: (H, W) bool, True = observed;
    truth: (C, H, W) if known (scores, traces); model: the method's shipped model, None for simple fills."""
    if method not in INPAINTING:
        raise ValueError(f"Unknown method {method!r}.")
    t0 = time.perf_counter()
    xb, mb = x.unsqueeze(0), mask.view(1, 1, *mask.shape)
    res, trace = RUNNERS[method](method, model, xb, mb, truth, settings, BINARY[dataset], on_progress)
    res.method = method
    res.seconds = time.perf_counter() - t0
    if on_progress:
        on_progress(1.0)
    return res, trace


def score(res: Imputation, truth: torch.Tensor, mask: torch.Tensor, *, dataset: str) -> dict[str, float]:
    """Metrics on the missing pixels only. truth: (C, H, W); mask: (H, W) bool, True = observed."""
    pred, t, m = res.mean, truth.unsqueeze(0), mask.view(1, 1, *mask.shape)
    out: dict[str, float] = {}
    if BINARY[dataset]:
        out["F1"] = metrics.f1_missing(pred, t, m).item()
        out["accuracy"] = metrics.accuracy_missing(pred, t, m).item()
    out["MSE"] = metrics.mse_missing(pred, t, m).item()
    if not BINARY[dataset]:
        out["PSNR (dB)"] = metrics.psnr_missing(pred, t, m).item()
        out["SSIM"] = metrics.ssim(pred.clamp(0, 1), t).item()
    if res.diagnostics.cond_log_lik is not None:
        # a Gaussian density on pixels (DMFA, MFA) is not comparable with a Bernoulli probability
        gaussian = not BINARY[dataset] or isinstance(res.diagnostics, FactorDiagnostics)
        out["NLL density (nats)" if gaussian else "NLL (nats)"] = -float(res.diagnostics.cond_log_lik)
    if hasattr(res.diagnostics, "particles"):  # the flow's particle filter: how many particles its weights rest on
        out["particle ESS, smallest over steps"] = float(res.diagnostics.ess[:, 0].min())
    out["time (s)"] = res.seconds
    return out


Row = tuple[Imputation, dict[str, float], "ChainTrace | None"]  # a method's result, its scores, its trace


@dataclass
class PageRun:
    """What the page's Run button computes: its inputs, a row per method that ran, the chains' traces."""

    dataset: str
    image: torch.Tensor  # (C, H, W)
    mask: torch.Tensor  # (H, W) bool, True = observed
    methods: list[str]  # as asked for, including any that could not run
    settings: Settings
    what: str = ""  # the image and mask in words
    rows: list[Row] = field(default_factory=list)
    traces: dict[str, ChainTrace] = field(default_factory=dict)  # method id -> trace, the chains only
    problems: list[str] = field(default_factory=list)  # one sentence per method that could not run
    seconds: dict[str, float] = field(default_factory=dict)  # method id -> wall time of its run and score
    # method id -> where it ran: "browser" (the visitor's, static/js/workers/inpaint.worker.js) or "server"; empty: all
    # on the server
    computed_in: dict[str, str] = field(default_factory=dict)
    # the id of the visitor's browser's job that computed the "browser" rows: that page keeps their chains' snapshots
    # and draws their pictures itself (ui/browser_inpaint.py); "" where the server computed every row
    browser_job: str = ""
    batched: int = 1  # the images whose chains ran in one sampler run with this one's (run_pages), itself included


def run_page(methods: list[str], image: torch.Tensor, mask: torch.Tensor, *, dataset: str, settings: Settings,
             load_model: Callable[[str], Any], device: torch.device | None = None, what: str = "",
             on_progress: Callable[[float, str], None] | None = None) -> PageRun:
    """Every chosen method on one image (C, H, W), results on the CPU. load_model: name -> model on ``device``;
    its PretrainedError puts the method in ``problems``. on_progress: (fraction done, what runs)."""
    return run_pages(methods, [(image, mask, what)], dataset=dataset, settings=settings, load_model=load_model,
                     device=device, on_progress=on_progress)[0]


BATCHED = {"mwg", "pseudo_gibbs"}  # the methods run_pages runs for all its images at once (run_chains)


def run_pages(methods: list[str], pages: list[tuple[torch.Tensor, torch.Tensor, str]], *, dataset: str,
              settings: Settings, load_model: Callable[[str], Any], device: torch.device | None = None,
              on_progress: Callable[[float, str], None] | None = None) -> list[PageRun]:
    """``run_page`` for several pages' Runs with the same methods and settings, each (image (C, H, W), mask (H, W),
    what): the chains of all of them in one sampler run per method (``BATCHED``), the other methods image by image.
    One PageRun per page, in order."""
    n = len(pages)
    outs = [PageRun(dataset, image, mask, list(methods), settings, what, batched=n) for image, mask, what in pages]
    dev = pages[0][0].device if device is None else device
    xs = torch.stack([image for image, _, _ in pages]).to(dev)
    ms = torch.stack([mask for _, mask, _ in pages]).view(n, 1, *pages[0][1].shape).to(dev)
    for i, method in enumerate(methods):
        info = INPAINTING[method]
        model = None
        if info.family:
            try:
                model = load_model(f"{info.family}-{dataset}")
            except pretrained.PretrainedError as e:
                for out in outs:
                    out.problems.append(f"{info.label} is not available for {DATASETS[dataset]}: {e}")
                continue

        def step(frac: float, i: int = i, label: str = info.label) -> None:
            on_progress((i + frac) / len(methods), f"{label}…")

        t0 = time.perf_counter()
        if method in BATCHED:
            done = run_chains(method, model, xs, ms, xs, settings, BINARY[dataset], step if on_progress else None)
            for res, _ in done:
                res.method, res.seconds = method, time.perf_counter() - t0
            if on_progress:
                step(1.0)
        else:
            done = [run_method(method, model, xs[j], ms[j, 0], dataset=dataset, settings=settings, truth=xs[j],
                               on_progress=(lambda f, j=j: step((j + f) / n)) if on_progress else None)
                    for j in range(n)]
        for out, (res, trace) in zip(outs, done):
            res.mean, res.samples, res.std = res.mean.cpu(), res.samples.cpu(), res.std.cpu()
            out.rows.append((res, score(res, out.image, out.mask, dataset=dataset), trace))
            out.seconds[method] = time.perf_counter() - t0
            if trace is not None:
                out.traces[method] = trace
    return outs
