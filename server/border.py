"""The border: what a visitor's browser sends back is checked here before the server decodes or keeps any of it.

The inpainting page's own Run computes in the visitor's browser (static/js/workers/inpaint.worker.js) and its panel
sends the results back over the websocket: {"job", "seconds", "results": [one record per method]}, arrays as {dtype:
base64 of their bytes} (static/js/kit/typed_json.js), or {"job", "message"} when it could not run. Anything may arrive
instead: a modified browser, another job's answer, a hand-written frame. ``check_message`` holds an answer to the job
the server sent (``Expected``, built from the values the panel was given) and to ``SCHEMA`` (declared in server.schema's
terms): its id, every method asked for once and no other, each field of its type and, for arrays, of the dtype and
length the job implies, the whole within the job's own size (``budget``) before a byte is decoded; then every value
finite and in its range, and the observed pixels as they were sent. A refused answer is one clause (``Refused``); an
accepted one comes back decoded. Scores are not taken from the browser: dgm_core computes them from the fill
(``inpainting.score``); the per-step scores, the NLL and the traced pixels' ESS, which it cannot recompute cheaply, are
held to their ranges. The chains' snapshots (the film) and the traced pixels stay in the browser (``sent``): a record
that carries them is refused like any field no genuine answer has.

Images are (C, H, W) flat, C*H*W = D values; the mask True = observed, over every channel.
"""
from __future__ import annotations

import dataclasses
import functools
import inspect
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from . import budgets
from .manifest import KEPT_IN_BROWSER
from dgm_core.demos import inpainting
from dgm_core.imputation import Diagnostics, FillDiagnostics
from dgm_core.methods import INPAINTING
from dgm_core.samplers.diagnostics import tracked_pixels
from dgm_core.samplers.flow_inpaint import FlowDiagnostics, flow_inpaint
from dgm_core.samplers.flow_twisted import TwistedDiagnostics, flow_twisted_inpaint
from dgm_core.samplers.kernels import PseudoGibbsKernel
from .schema import (DTYPE, Array, Number, Record, Refused, Spec, Text, chars, equal, levels, number, parse, record,
                     size)

__all__ = ["DTYPE", "SCHEMA", "Answer", "Expected", "Refused", "budget", "check_error", "check_message",
           "check_result", "check_results", "check_text", "kind", "read", "sent"]


@dataclass(frozen=True, eq=False)
class Expected:
    """The job the server sent a browser, as the border holds the answer to it (and the panel is sent)."""

    job: str | None  # the id sent (None: a caller with results only, no envelope)
    image: np.ndarray  # (D,) float32, as sent
    mask: np.ndarray  # (H*W,) bool, True = observed
    shape: tuple[int, int, int]  # (C, H, W)
    methods: tuple[str, ...]
    settings: inpainting.Settings
    binary: bool  # the data set's pixels are 0/1 (its NLL is a probability's)
    track: np.ndarray  # (P,) int64: flat indices of the missing pixels whose E[x | z_t] the chains trace
    models: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # family -> the model spec the panel got

    @classmethod
    def of(cls, image: torch.Tensor, mask: torch.Tensor, methods: list[str], settings: inpainting.Settings, *,
           dataset: str, models: Mapping[str, Mapping[str, Any]], job: str | None = None) -> Expected:
        """image: (C, H, W) in [0, 1]; mask: (H, W) bool, True = observed."""
        c, h, w = image.shape
        track = tracked_pixels(mask.view(1, 1, h, w), (c, h, w))[0]
        return cls(job=job, image=image.float().reshape(-1).numpy().copy(), mask=mask.bool().reshape(-1).numpy().copy(),
                   shape=(c, h, w), methods=tuple(methods), settings=settings, binary=inpainting.BINARY[dataset],
                   track=track.numpy().copy(), models=models)

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    @functools.cached_property
    def observed(self) -> np.ndarray:
        """(D,) bool: the mask over every channel."""
        return np.tile(self.mask, self.shape[0])


# ---- the schema ------------------------------------------------------------------------------------------------------

def kind(method: str) -> str:
    """The layout of a method's answer, by its model family (dgm_core.methods)."""
    if method == "flow_twisted":  # the flow family's particle filter: its own answer
        return "twisted"
    return {"vae": "chain", "miwae": "importance", "dmfa": "factor", "mfa": "factor", "flow": "flow",
            None: "fill"}[INPAINTING[method].family]


def _pixels(e: Expected, m: str) -> int:
    return e.size


def _n_draws(e: Expected, m: str) -> int:
    """The completions a method keeps: the chains' last states (at most one per chain), one for a fill."""
    s = e.settings
    return {"chain": min(s.n_draws, s.chains), "fill": 1}.get(kind(m), s.n_draws)


def _per_step(e: Expected, m: str) -> int:
    return e.settings.steps * e.settings.chains


def _snapshots(e: Expected, m: str) -> int:
    """At most one a step, and at most twice as many as asked for (every max(1, steps // snapshots) steps)."""
    return min(e.settings.steps, 2 * e.settings.snapshots)


def _ess_max(e: Expected) -> float:
    """The largest effective sample size ArviZ reports for the draws chain_diagnostics keeps: n draws are worth at
    most n·log10(n) (its autocorrelation time is at least 1 / log10(n)), and a still pixel one draw a chain."""
    s = e.settings
    n = s.chains * (s.steps - s.burn_in if s.steps - s.burn_in >= 4 else s.steps)
    return max(n * math.log10(max(n, 10)), s.chains) * (1 + 1e-6)


def _spec(e: Expected, m: str) -> Mapping[str, Any]:
    return e.models.get(INPAINTING[m].family) or {}


def _flow_default(name: str) -> Any:
    """What the server's flow path runs with (dgm_core.demos.inpainting.run_flow sets only steps, draws, seed)."""
    return inspect.signature(flow_inpaint).parameters[name].default


def _twisted_default(name: str) -> Any:
    """What the server's twisted filter runs with (dgm_core.demos.inpainting.run_flow_twisted sets its particles,
    Langevin moves, draws and seed)."""
    return inspect.signature(flow_twisted_inpaint).parameters[name].default


def _twisted_steps(e: Expected, m: str) -> int:
    return _twisted_default("n_steps")


def _ess_hi(e: Expected, m: str) -> float:
    """An effective sample size of P particles is at most P (a float32 sum may round it up by 1e-6)."""
    return e.settings.particles * (1 + 1e-6)


UNIT = (0.0, 1.0)  # pixels, probabilities, F1, the MSE of [0, 1] pixels
# DMFA's and MFA's means and draws are Gaussian, not clipped, as on the server. Measured with the server's path on 24
# test images x every preset mask of MNIST and CelebA: within [-1.73, 2.47], spreads at most 0.62. A value further
# than 10 from the pixels' range (16 of those spreads) is no draw of theirs.
GAUSSIAN = (-10.0, 11.0)
# the worker's own scores: checked, never read (the server computes its own from the fill)
SCORE_KEYS = ("F1", "accuracy", "MSE", "NLL (nats)", "NLL density (nats)")
# A log density the models report (log p(x, z) per step, MIWAE's log weights and log p(x_o), log p(x_m | x_o)) is a sum
# over the image's D values and the latent's: genuine ones (dgm_core's runs on MNIST and CelebA, every method the
# browser runs, benchmarks/browser_answers.py) lie within 0.6 nats per value of 0. A hundred nats a value (a pixel's
# probability of e**-100) is past any model's; further is no answer of one.
LOG_DENSITY_PER_VALUE = 100.0


def _log_bound(e: Expected, m: str) -> float:
    return LOG_DENSITY_PER_VALUE * (e.size + int(_spec(e, m).get("latent", 0)))


def _nll_hi(e: Expected, m: str) -> float:
    """log p(x_m | x_o) of 0/1 pixels is a log probability (<= 0); a density's (faces, DMFA, MFA) is bounded above."""
    return 0.0 if e.binary and kind(m) != "factor" else _log_bound(e, m)


def _log_lo(e: Expected, m: str) -> float:
    return -_log_bound(e, m)


def _common(pixels: tuple[float, float]) -> dict[str, Spec]:
    lo, hi = pixels
    return {
        "method": Text(lambda e, m: (m,)),
        "mean": Array("f32", _pixels, *pixels, observed="image"),
        "std": Array("f32", _pixels, 0.0, hi - lo, observed="zero"),  # no spread of values in [lo, hi] is wider
        "samples": Array("f32", lambda e, m: _n_draws(e, m) * e.size, *pixels, observed="image"),
        "n_draws": Number(integer=True, **equal(_n_draws)),
        "seconds": Number(0.0, budgets.BROWSER_RUN_MAX_S),
        "cond_log_lik": Number(_log_lo, _nll_hi, optional=True),
        "scores": Record({k: Number(_log_lo, _log_bound) for k in SCORE_KEYS}, optional=True),
    }


def diagnostics(cls: type[Diagnostics], fields: Mapping[str, Number | Text], beside: tuple[str, ...] = ()) -> Record:
    """The record the server builds ``cls`` from (ui/browser_inpaint.py: ``cls(**record)``): exactly its own fields
    (not ``Diagnostics``' shared ones, nor the arrays ``beside``, sent beside it), those without a default required."""
    shared = {f.name for f in dataclasses.fields(Diagnostics)} | set(beside)
    own = [f for f in dataclasses.fields(cls) if f.name not in shared]
    assert [f.name for f in own] == list(fields), f"{cls.__name__}: {[f.name for f in own]} != {list(fields)}"
    return Record(fields, required=tuple(f.name for f in own if f.default is dataclasses.MISSING
                                         and f.default_factory is dataclasses.MISSING))


# kind -> field -> its spec: every field a genuine answer has, and no other
SCHEMA: dict[str, dict[str, Spec]] = {
    "chain": {
        **_common(UNIT),
        "kernel": Text(lambda e, m: (e.settings.kernel if m == "mwg" else PseudoGibbsKernel.name,)),
        "chains": Number(integer=True, **equal(lambda e, m: e.settings.chains)),
        "log_joint": Array("f64", _per_step, _log_lo, _nll_hi),  # log p(x_t, z_t) per step and chain
        "accepted": Array("u8", _per_step, *UNIT, integer=True),
        # the median over the traced pixels of their ESS (dgm_core.samplers.diagnostics, computed in the browser from
        # E[x | z_t] at those pixels, which stay there); none where no pixel has one
        "ess_pixels": Number(0.0, lambda e, m: _ess_max(e), optional=True),
        "trace": Array(None, lambda e, m: e.settings.steps, *UNIT),  # the chains' mean's F1 (0/1 pixels) or MSE
        "snapshot_steps": Array(None, _snapshots, 1, lambda e, m: e.settings.steps, integer=True, increasing=True,
                                at_most=True),
        "step_size": Array(None, lambda e, m: e.settings.chains, 0.0, optional=True),  # what HMC tuned, per chain
    },
    "importance": {
        **_common(UNIT),
        # 1 / sum of the squared normalised weights: between 1 and L (a float32 sum may round either end by 1e-6)
        "ess": Number(1 - 1e-6, lambda e, m: e.settings.n_samples * (1 + 1e-6)),
        "log_px_obs": Number(_log_lo, _log_bound),
        "log_weights": Array("f64", lambda e, m: e.settings.n_samples, _log_lo, _log_bound),
    },
    "factor": {
        **_common(GAUSSIAN),
        "weights": Array("f32", lambda e, m: int(_spec(e, m).get("nMixes", 0)), *UNIT, total=1.0),  # p(k | x_o)
        "component": Number(0, lambda e, m: int(_spec(e, m).get("nMixes", 0)) - 1, integer=True),
        "n_factors": Number(integer=True, **equal(lambda e, m: int(_spec(e, m).get("nFactors", -1)))),
        "factors": Array("f32", lambda e, m: int(_spec(e, m).get("nFactors", 0)) * e.size, *GAUSSIAN,
                         observed="zero"),
    },
    "flow": {
        **_common(UNIT),
        "diagnostics": diagnostics(FlowDiagnostics, {
            "n_steps": Number(integer=True, **equal(lambda e, m: e.settings.flow_steps)),
            "resample": Number(integer=True, **equal(lambda e, m: _flow_default("resample"))),
            "method": Text(lambda e, m: (_flow_default("method"),)),
            "evaluations": Number(0, lambda e, m: 2 * e.settings.flow_steps * (_flow_default("resample") + 1),
                                  integer=True)}),
    },
    "twisted": {
        **_common(UNIT),
        "ess": Array(None, _twisted_steps, 1 - 1e-6, _ess_hi),  # after each step's weighting, before resampling
        "diagnostics": diagnostics(TwistedDiagnostics, {
            "particles": Number(integer=True, **equal(lambda e, m: e.settings.particles)),
            "n_steps": Number(integer=True, **equal(_twisted_steps)),
            "tau": Number(**equal(lambda e, m: _twisted_default("tau"))),
            "ess_final": Number(1 - 1e-6, _ess_hi),
            "resamples": Number(0, _twisted_steps, integer=True),
            "log_evidence": Number(_log_lo, _log_bound),  # log p(y) of the chain: a density of the observed values
            "evaluations": Number(integer=True, **equal(lambda e, m: _twisted_steps(e, m)
                                                        + e.settings.langevin * (_twisted_steps(e, m) - 1))),
            "langevin": Number(integer=True, **equal(lambda e, m: e.settings.langevin))}, beside=("ess",)),
    },
    "fill": {
        **_common(UNIT),
        "diagnostics": diagnostics(FillDiagnostics, {
            "fill": Text(), "sweeps": Number(0, _pixels, integer=True),
            "max_change": Number(*UNIT),  # a sweep's largest change of a [0, 1] pixel
            "unreached": Number(0, _pixels, integer=True)}),
    },
}
ENVELOPE = ("job", "seconds", "results")
# the deepest a genuine answer nests as JSON: the envelope, its list of results, a result, and its deepest field
MAX_DEPTH = 3 + max(levels(spec) for fields in SCHEMA.values() for spec in fields.values())
# the snapshots at snapshot_steps (each chain 1's state and the mean over the chains) stay in the browser that computed
# them, which draws the film; they are never sent (server.manifest.KEPT_IN_BROWSER)
assert not set(KEPT_IN_BROWSER) & {f for fields in SCHEMA.values() for f in fields}


def sent(result: Mapping[str, Any]) -> dict[str, Any]:
    """A worker's record for one method as its panel sends it (static/js/kit/own_runs.js: sent): without the fields
    that stay in the browser."""
    return {k: v for k, v in result.items() if k not in KEPT_IN_BROWSER}


# ---- the checks ------------------------------------------------------------------------------------------------------

def budget(e: Expected) -> int:
    """The most characters a genuine answer to ``e`` takes (as schema.size counts): every array the job implies, as
    the panel encodes it, and budgets.RESULT_TEXT_CHARS per result for its keys, texts and short records."""
    return budgets.RESULT_TEXT_CHARS + sum(
        budgets.RESULT_TEXT_CHARS + sum(chars(spec, e, m, SCHEMA[kind(m)]) for spec in SCHEMA[kind(m)].values())
        for m in e.methods if m in INPAINTING)


def _name(m: str) -> str:
    return INPAINTING[m].short or INPAINTING[m].label


def check_result(r: Any, e: Expected) -> dict[str, Any]:
    """One method's record -> its fields decoded (arrays as flat numpy arrays); Refused if no genuine answer to ``e``
    could hold it."""
    if not isinstance(r, Mapping) or not isinstance(r.get("method"), str):
        raise Refused("a result is not a record that names its method")
    m = r["method"]
    if m not in e.methods:
        raise Refused("a result is for a method this job did not ask for")
    return record(r, SCHEMA[kind(m)], e, m, _name(m))


def check_results(results: Any, e: Expected) -> list[dict[str, Any]]:
    """The worker's records, one per method the job asked for, each checked (``check_result``), in the job's order."""
    if not isinstance(results, list) or len(results) != len(e.methods):
        raise Refused(f"it holds {len(results) if isinstance(results, list) else 'no list of'} results, "
                      f"not {len(e.methods)}")
    named = [r.get("method") if isinstance(r, Mapping) else None for r in results]
    if not all(isinstance(m, str) for m in named) or sorted(named) != sorted(e.methods):
        raise Refused("its results are not one for each method this job asked for")
    checked = {m: check_result(r, e) for m, r in zip(named, results)}
    return [checked[m] for m in e.methods]


@dataclass(frozen=True)
class Answer:
    seconds: float  # the browser's wall time for the whole job
    results: list[dict[str, Any]]  # per method, in the job's order, decoded (``check_result``)


def check_message(msg: Any, e: Expected) -> Answer:
    """A browser's whole answer to job ``e`` ({"job", "seconds", "results"}) -> Answer; Refused (one clause) if no
    genuine run of ``e`` could send it. Its size is measured first, without decoding anything."""
    if not isinstance(msg, Mapping) or len(msg) != len(ENVELOPE) or not all(k in msg for k in ENVELOPE):
        raise Refused(f"its answer is not a record of {', '.join(ENVELOPE)}")
    limit = budget(e)
    if size(msg, limit) > limit:
        raise Refused(f"its answer is larger than the {budgets.megabytes(limit)} this job's results can take")
    if not isinstance(msg["job"], str) or msg["job"] != e.job:
        raise Refused("it answers another job than the one this page sent")
    seconds = number(SCHEMA["fill"]["seconds"], msg["seconds"], e, "", "its time")
    return Answer(float(seconds), check_results(msg["results"], e))


def read(text: Any, e: Expected) -> Any:
    """The panel's answer to job ``e`` as it sends it, one JSON text (static/js/panels/browser_inpaint.js) -> its
    value, decoded only if it is within the job's budget and nested no deeper than a genuine answer (``MAX_DEPTH``):
    a 15 MB or a 100,000-deep text is refused (one clause) before a byte of it is decoded."""
    return parse(text, budget(e), MAX_DEPTH)


def check_text(text: Any, e: Expected) -> Answer:
    """``check_message`` of the panel's answer as it sends it (``read``)."""
    return check_message(read(text, e), e)


def check_error(msg: Any, e: Expected) -> str:
    """A browser's word that it could not run job ``e`` ({"job", "message"}) -> its reason, on one line and shortened
    (the page quotes it); Refused if it is not one."""
    if (not isinstance(msg, Mapping) or len(msg) != 2 or not isinstance(msg.get("message"), str)
            or not isinstance(msg.get("job"), str)):
        raise Refused("its word that it could not run is not a record of job, message")
    if msg["job"] != e.job:
        raise Refused("it answers another job than the one this page sent")
    n = budgets.MESSAGE_MAX_CHARS // 2
    return budgets.shorten(msg["message"][:n + 1], n)  # cut before it is read: it may be of any length
