"""The only reader of the measured figures: one loader per ``benchmarks/results/<name>.json`` (written by
``python -m dgm_core bench <name>``) and ``benchmarks/published.json``.

Loaders are typed as deep as callers index, cached by the file's (mtime, size), and raise ``ResultsError`` (one
sentence a page can show) for an absent, unreadable or outdated file. ``root``: the checkout to read; None = ``ROOT``.
"""
from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from .models.critics import KINDS

ROOT = Path(__file__).resolve().parents[1]
RESULTS = "benchmarks/results"
PUBLISHED = "benchmarks/published.json"

# file name -> (what it holds, for the sentence; the bench that writes it)
FILES: dict[str, tuple[str, str]] = {
    "critics": ("The critics sweep", "critics"),
    "wgan": ("The generators' sample quality", "wgan"),
    "wgan_progress": ("The wgan-mnist run's checkpoints", "wgan_progress"),
    "vae_bounds": ("The VAEs' bound curves per digit class", "vae_bounds"),
    "vae_gmm": ("VAE + GMM mutual learning over seeds", "vae_gmm"),
    "inpainting": ("The samplers' inpainting scores", "inpainting"),
    "inpainting_blur": ("The single draws against the averaged imputation", "inpainting_blur"),
    "inpainting_page": ("The inpainting page's default run time", "inpainting_page"),
    "inpainting_default": ("The inpainting page's default test image", "inpainting_default"),
    "inpainting_fills": ("The face fills against the neighbour fill", "inpainting_fills"),
    "inpainting_flow": ("The flow inpainter against the exact sampler", "inpainting_flow"),
    "flow_steps": ("The flow's digits against its Heun steps", "flow_steps"),
    "notmiwae": ("The not-MIWAE Table 1 reproduction", "notmiwae"),
    "notmiwae_images": ("The not-MIWAE clipped-image reproduction", "notmiwae_images"),
    "notmiwae_cutoff": ("The not-MIWAE cut-off sweep", "notmiwae_cutoff"),
    "dmfa": ("The DMFA hole densities", "dmfa"),
    "own_table": ("Overimputation against the truth on the UCI tables", "own_table"),
    "class_experiment": ("A phone's chain for the class's own experiment", "class_experiment"),
}
# a file rewritten within the file system's clock tick keeps its mtime: one younger than this is read again
RACY_NS = 2_000_000_000

T = TypeVar("T")


class ResultsError(Exception):
    """A results file is absent, unreadable or in an older format; the message is one sentence."""


def source(name: str) -> str:
    """The file of ``name`` as the pages cite it: ``benchmarks/results/<name>.json``."""
    return f"{RESULTS}/{name}.json"


def _known(name: str) -> tuple[str, str]:
    """(what, bench) of a file, or of the family it belongs to (``vae_gmm_depth1_h256_kmeans``: ``vae_gmm``)."""
    family = max((n for n in FILES if name == n or name.startswith(n + "_")), key=len, default=None)
    return FILES[family] if family else (f"`{source(name)}`", name)


_cache: dict[tuple[Path, Callable], tuple[tuple[int, int], Any]] = {}
_lock = threading.Lock()


def _load(path: Path, parse: Callable[[Any], T], missing: str, stale: str) -> T:
    """``parse`` of the file's JSON, cached by (path, parse) and (mtime, size). ``missing`` / ``stale``: the
    sentences for an absent file and one that does not parse (``{err}``)."""
    try:
        st = path.stat()
    except OSError:
        raise ResultsError(missing) from None
    stamp, key = (st.st_mtime_ns, st.st_size), (path, parse)
    with _lock:
        hit = _cache.get(key)
    if hit is not None and hit[0] == stamp and time.time_ns() - st.st_mtime_ns > RACY_NS:
        return hit[1]
    try:
        value = parse(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, IndexError, TypeError, AttributeError) as err:
        raise ResultsError(stale.format(err=repr(err))) from err
    with _lock:
        _cache[key] = (stamp, value)
    return value


def _file(name: str, parse: Callable[[Any], T], root: Path | None) -> T:
    (what, bench), cite = _known(name), source(name)
    return _load(Path(root or ROOT) / cite, parse,
                 f"{what} has not been measured yet ({cite} is missing): run `python -m dgm_core bench {bench}`.",
                 f"{what} cannot be read from {cite}, malformed or in an older format ({{err}}): rerun "
                 f"`python -m dgm_core bench {bench}`.")


def _same(data: Any) -> Any:
    return data


def document(name: str, root: Path | None = None) -> Any:
    """The parsed ``benchmarks/results/<name>.json`` (the cached copy: do not modify)."""
    return _file(name, _same, root)


def published(root: Path | None = None) -> dict:
    """``benchmarks/published.json``: each paper's figures per results-page section, with sources."""
    return _load(Path(root or ROOT) / PUBLISHED, _same, f"The published figures ({PUBLISHED}) are missing from this "
                 "checkout.", f"The published figures cannot be read from {PUBLISHED} ({{err}}).")


def names(pattern: str, root: Path | None = None) -> list[str]:
    """The results files matching ``pattern`` (a glob under ``benchmarks/results``), as names for ``document``."""
    return sorted(p.stem for p in (Path(root or ROOT) / RESULTS).glob(pattern + ".json"))


# ---------------------------------------------------------------- critics (bench critics)


@dataclass(frozen=True)
class CriticsSweep:
    """Each kind's estimate and true value at ``thetas[i]``; ``live_seconds[kind]``: one live retrain at
    ``live_theta``."""

    thetas: list[float]
    estimates: dict[str, list[float]]
    truth: dict[str, list[float]]
    config: dict[str, float]
    seed: int
    seconds: float
    command: str
    live_config: dict[str, float]
    live_theta: float
    live_seconds: dict[str, float]

    def at(self, kind: str, theta: float) -> float:
        """The shipped estimate at the sweep's theta nearest to ``theta``."""
        i = min(range(len(self.thetas)), key=lambda j: abs(self.thetas[j] - theta))
        return self.estimates[kind][i]

    def csv(self) -> str:
        """theta, then each kind's estimate and true value: one row per theta."""
        head = ["theta"] + [f"{k}_{c}" for k in KINDS for c in ("estimate", "true")]
        rows = [",".join(head)]
        for i, th in enumerate(self.thetas):
            rows.append(",".join([f"{th:g}"] + [f"{v:.6g}" for k in KINDS
                                               for v in (self.estimates[k][i], self.truth[k][i])]))
        return "\n".join(rows) + "\n"


def _critics(rec: dict) -> CriticsSweep:
    kinds = KINDS
    live = rec["live_retrain"]
    sweep = CriticsSweep([float(t) for t in rec["thetas"]], {k: [float(v) for v in rec["estimates"][k]] for k in kinds},
                         {k: [float(v) for v in rec["true_values"][k]] for k in kinds}, dict(rec["config"]),
                         int(rec["seed"]), float(rec["seconds"]), str(rec["command"]), dict(live["config"]),
                         float(live["theta"]), {k: float(live["seconds"][k]) for k in kinds})
    n, values = len(sweep.thetas), sweep.thetas + [v for k in kinds for v in sweep.estimates[k] + sweep.truth[k]]
    if not n or any(len(sweep.estimates[k]) != n or len(sweep.truth[k]) != n for k in kinds) or \
            not all(math.isfinite(v) for v in values):
        raise ValueError("lengths or values")
    return sweep


def critics(root: Path | None = None) -> CriticsSweep:
    return _file("critics", _critics, root)


# ---------------------------------------------------------------- generators (bench wgan)


@dataclass(frozen=True)
class GeneratorFigures:
    """Per generator: ``quality`` {frechet_distance, floor, n, reference, features, and for digits recognisable:
    {share, real, confidence, bar}}; ``midpoints``: interpolation
    record; ``opening_seeds``: the seed the latent explorer opens on, chosen by the bench's recorded rule."""

    quality: dict[str, dict]
    midpoints: dict[str, dict]
    opening_seeds: dict[str, int]


def _wgan(rec: dict) -> GeneratorFigures:
    quality, seeds = {}, {}
    for part in ("digits", "faces"):
        sec = rec.get(part, {})
        for name, m in sec.items():
            if isinstance(m, dict) and "frechet_distance" in m:
                quality[name] = {"frechet_distance": m["frechet_distance"], "floor": sec["floor_test_vs_train"],
                                 "n": sec["n"], "reference": sec["reference"],
                                 "features": sec.get("features", "our MNIST classifier's 128 penultimate units")}
                if "confident_share" in m:  # digits our classifier labels with confidence >= the threshold
                    target = rec.get("targets", {}).get(f"{name} digits labelled with confidence >= "
                                                        f"{sec['confidence']}", {})
                    quality[name]["recognisable"] = {"share": m["confident_share"], "real": sec["test_confident_share"],
                                                     "confidence": sec["confidence"], "bar": target.get("bar")}
                if m.get("opening_seed"):
                    seeds[name] = int(m["opening_seed"]["seed"])
    return GeneratorFigures(quality, dict(rec.get("interpolation", {})), seeds)


def wgan(root: Path | None = None) -> GeneratorFigures:
    return _file("wgan", _wgan, root)


# ---------------------------------------------------------------- VAE bounds (bench vae_bounds)


def _vae_bounds(rec: dict) -> dict[str, dict]:
    return {name: r["curves"] for name, r in rec["models"].items()}


def vae_bounds(root: Path | None = None) -> dict[str, dict]:
    """Model -> digit class -> its average bound curve."""
    return _file("vae_bounds", _vae_bounds, root)


# ---------------------------------------------------------------- VAE + GMM (bench vae_gmm)


@dataclass(frozen=True)
class VaeGmm:
    """One ``bench vae_gmm`` file: the recipe it ran, its summary and each seed's rounds."""

    command: str
    network: str
    gibbs_start: str
    bar: float | None
    summary: dict[str, Any]
    runs: list[dict]
    seed_gains: dict[int, float]  # seed -> last round's test accuracy minus round 0's
    prior: str = "diag"  # a digit's prior in rounds >= 1: its cluster's "diag"onal or "full" covariance
    measured: str = ""  # when, and on which processor ("" where the file does not say)
    tag: str = ""  # the run's --tag (a rerun kept beside the last one)
    bar_worst: float | None = None  # the bar on the worst seed's last round (files before it had none)
    n_train: int = 10_000  # training digits
    first_start: str = "kmeans"  # round 0's Gibbs start: "kmeans" on the latents or on their "tsne" map
    first_chain: str = "gibbs"  # round 0 from its start: a Gibbs chain, or the start kept ("start")
    later_chain: str = "gibbs"  # the same for rounds >= 1
    goal: float | None = None  # the goal on the last round's mean (files before it had none)
    processor: str = ""  # the processor (and any kernels forced on it) it ran on ("" where the file does not say)


def _vae_gmm(d: dict) -> VaeGmm:
    gains = {r["seed"]: r["rounds"][-1]["test_accuracy"] - r["rounds"][0]["test_accuracy"] for r in d["runs"]}
    m = d.get("machine", {})
    cpu = m.get("cpu", "") + (f" with {m['kernels']}" if "=" in m.get("kernels", "") else "")  # another's arithmetic
    measured = " on ".join(x for x in (m.get("date", ""), cpu) if x)
    return VaeGmm(d["command"], d.get("network", "784-256-12"), d.get("gibbs_start", "kmeans"), d.get("bar"),
                  dict(d["summary"]), list(d["runs"]), gains, d.get("prior", "diag"), measured,
                  d.get("tag", ""), d.get("bar_worst"), int(d.get("n_train", 10_000)), d.get("first_start", "kmeans"),
                  d.get("first_chain", "gibbs"), d.get("later_chain", "gibbs"), d.get("goal"), cpu)


def vae_gmm(root: Path | None = None, name: str = "vae_gmm") -> VaeGmm:
    """The shipped recipe's file, or with ``name`` one of the variants ``bench vae_gmm`` also measured."""
    return _file(name, _vae_gmm, root)


def vae_gmm_variants(root: Path | None = None) -> list[tuple[str, VaeGmm]]:
    """(name, file) of every ``vae_gmm*.json`` that reads, the shipped recipe's first; others are left out."""
    out = []
    for name in sorted(names("vae_gmm*", root), key=lambda n: (n != "vae_gmm", n)):
        try:
            out.append((name, vae_gmm(root, name)))
        except ResultsError:
            continue
    return out


# ---------------------------------------------------------------- inpainting (bench inpainting*, page default)


@dataclass(frozen=True)
class Inpainting:
    """``bench inpainting``: its summary per z-kernel and one record per (dataset, mask, method, warm start)."""

    summary: dict[str, dict]
    records: list[dict]


def _inpainting(rec: dict) -> Inpainting:
    return Inpainting(dict(rec["summary"]), list(rec["records"]))


def inpainting(root: Path | None = None) -> Inpainting:
    return _file("inpainting", _inpainting, root)


def _inpainting_blur(rec: dict) -> dict[tuple[str, str, str], dict]:
    return {(r["dataset"], r["mask"], r["kernel"]): r for r in rec["rows"]}


def inpainting_blur(root: Path | None = None) -> dict[tuple[str, str, str], dict]:
    """(dataset, mask, kernel) -> {f1_single_draw, ink_ratio, ...}."""
    return _file("inpainting_blur", _inpainting_blur, root)


def _inpainting_page(rec: dict) -> dict[str, float]:
    return {ds: float(r["page_total_s"]) for ds, r in rec["datasets"].items()}


def inpainting_page(root: Path | None = None) -> dict[str, float]:
    """Dataset -> seconds the page's default run (every method, one image) took."""
    return _file("inpainting_page", _inpainting_page, root)


@dataclass(frozen=True)
class DefaultImage:
    """The page's default test image of a data set: the median case of the exact sampler's gain."""

    default_index: int
    default_gain: float
    n_images: int
    exact_wins: int
    metric: str


def _inpainting_default(rec: dict) -> dict[str, DefaultImage]:
    return {ds: DefaultImage(int(r["default_index"]), float(r["default_gain"]), int(r["n_images"]),
                             int(r["exact_wins"]), str(r["metric"])) for ds, r in rec["datasets"].items()}


def inpainting_default(root: Path | None = None) -> dict[str, DefaultImage]:
    return _file("inpainting_default", _inpainting_default, root)


def _inpainting_fills(rec: dict) -> dict[tuple[str, str], dict]:
    return {(r["mask"], r["method"]): r for r in rec["records"]}


def inpainting_fills(root: Path | None = None) -> dict[tuple[str, str], dict]:
    """(mask, method label) -> {score_mean, score_se, n_images, rhat_median for the chains} on CelebA's faces."""
    return _file("inpainting_fills", _inpainting_fills, root)


def _phone_steps(rec: dict) -> dict[str, int]:
    return {ds: int(r["phone_steps"]) for ds, r in rec["datasets"].items()}


def phone_steps(root: Path | None = None) -> dict[str, int]:
    """Data set -> the chain a phone runs in the class's own experiment (its rule: benchmarks/class_experiment.py)."""
    return _file("class_experiment", _phone_steps, root)


# ---------------------------------------------------------------- not-MIWAE cut-off (bench notmiwae_cutoff)


@dataclass(frozen=True)
class Cutoff:
    """``bench notmiwae_cutoff``: a verdict per (table, offset) and the RMSE rows per method."""

    iterations: int
    verdicts: dict[tuple[str, float], dict]
    rows: list[dict]


def _cutoff(rec: dict) -> Cutoff:
    return Cutoff(int(rec["iterations"]), {(r["dataset"], r["offset"]): r for r in rec["verdicts"]}, list(rec["rows"]))


def notmiwae_cutoff(root: Path | None = None) -> Cutoff:
    return _file("notmiwae_cutoff", _cutoff, root)


def _own_table(rec: dict) -> dict[str, dict]:
    return {k: dict(v) for k, v in rec["verdicts"].items()}


def own_table(root: Path | None = None) -> dict[str, dict]:
    """``bench own_table``'s verdicts, by "<table>/<mcar|mechanism>": the winner by overimputation and on the real
    holes, the interval methods' coverage."""
    return _file("own_table", _own_table, root)
