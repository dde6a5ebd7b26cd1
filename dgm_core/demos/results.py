"""The results page's calls: each paper's table (arXiv 1802.04826, 1812.02633, 2010.02183, 2006.12871, 1312.6114,
1509.00519, 1910.08918, 1701.07875) next to ours, every row citing the file and place its number is read from
(``benchmarks/results/*.json``, ``pretrained/*.json``, ``benchmarks/published.json``); no figure is typed here.
``small_rerun`` repeats one inpainting cell at a size of seconds, so a reader sees a shipped figure come back.
"""
from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from .. import metrics, pretrained, results
from ..data import load_images
from ..device import generator
from ..masks import half
from ..models.vae_gmm import GIBBS_STARTS, start_words
from ..results import PUBLISHED, ROOT, ResultsError
from ..samplers import importance_impute, run_gibbs

Where = tuple[Any, ...]  # a path into a JSON file: keys, list indices, or {field: value} filters of a list

SMALL_IMAGES, SMALL_SEED, SMALL_MASK = 20, 0, "bottom half"  # small enough to rerun on the page
SMALL_MIWAE_SAMPLES = 1000  # L of MIWAE-IS, as in benchmarks/inpainting.py
DATASET_NAMES = {"mnist": "MNIST", "omniglot": "Omniglot", "celeba": "CelebA"}


@dataclass(frozen=True)
class Row:
    """Our figure and the published one (None: none shown); ``source`` / ``where`` (and ``published_*``) locate
    them. ``x``: a numeric setting for plots (missing fraction)."""

    section: str
    dataset: str
    setting: str
    method: str
    metric: str
    ours: float
    source: str
    where: Where
    spread: float | None = None
    published: float | None = None
    published_spread: float | None = None
    published_source: str | None = None
    published_where: Where | None = None
    x: float | None = None

    @property
    def id(self) -> str:
        """Unique on the page: the row's label in the page's tables."""
        return " · ".join(p for p in (self.dataset, self.setting, self.method, self.metric) if p)


@dataclass
class Section:
    key: str
    title: str
    paper: str
    published: str  # what the published column holds, or why it is empty (the full text, folded on the page)
    protocol: str
    differences: str
    command: str
    files: list[str]
    measured: bool  # False: no results file yet ("not measured yet" on the page)
    spread: str = ""  # what the ± of our figures is
    rows: list[Row] = field(default_factory=list)
    related: list[Row] = field(default_factory=list)  # rows of another section that this one's plot compares
    reference: str = "published"  # what the second column holds (the critics: the closed-form true value)
    missing: list[str] = field(default_factory=list)  # results files of this section not written yet
    published_short: str = ""  # the slide's one line on the published marker, or that no verified one exists
    gist: str = ""  # the slide's one sentence on where we differ and why
    gap: str = ""  # the lecture slide's one line on why ``headline``'s two figures differ (theirs: how; ours: how)
    cite: str = ""  # the source a published marker's hover names
    panels: dict[str, str] = field(default_factory=dict)  # results file -> its label, where a plot has a panel each

    @property
    def has_published(self) -> bool:
        """Whether a row carries a published figure (the critics' second column is a true value, not one)."""
        return self.reference == "published" and any(r.published is not None for r in self.rows)

    @property
    def headline(self) -> Row | None:
        """The first row with a second figure (published, or the critics' true value): the lecture slide's row."""
        return next((r for r in self.rows if r.published is not None), None)


# ---------------------------------------------------------------- reading files


def lookup(data: Any, where: Where) -> Any:
    """The value at ``where`` in parsed JSON; a dict step picks the one list item whose fields match."""
    for step in where:
        if isinstance(step, dict):
            found = [d for d in data if all(d.get(k) == v for k, v in step.items())]
            if len(found) != 1:
                raise ResultsError(f"{len(found)} records match {step}; expected exactly one.")
            data = found[0]
        else:
            data = data[step]
    return data


def _section(key: str, published: dict, root: Path, facts: dict[str, Any] | None = None,
             measured: bool = True, spread: str = "") -> Section:
    s, facts = published["sections"][key], facts or {}

    def fill(template: str) -> str:  # without a results file there is nothing to fill a template from
        return template.format(**facts) if measured else ("" if "{" in template else template)

    return Section(key, s["title"], s["paper"], s["published"], fill(s["protocol"]), fill(s["differences"]),
                   facts.get("command", s["command"]), list(s["files"]), measured, spread,
                   published_short=s["published_short"], gist=fill(s["gist"]), gap=fill(s.get("gap", "")),
                   cite=s.get("cite") or s.get("reference", {}).get("source", ""))


def verified(entry: dict) -> bool:
    """A published figure's ``status`` says it was read in the paper or the reference code's own output."""
    return str(entry.get("status", "")).startswith("verified")


def _one(values: set) -> Any:
    """The value all records share; several values are listed ("10000 or 30000")."""
    return " or ".join(str(v) for v in sorted(values)) if len(values) > 1 else next(iter(values))


# ---------------------------------------------------------------- one reader per paper


def _dlvm(published: dict, root: Path) -> Section:
    src, d = results.source("inpainting"), results.document("inpainting", root)
    binary = [r for r in d["records"] if r["dataset"] != "celeba"]
    facts = {"n_images": _one({r["n_images"] for r in binary}), "steps": d["steps"], "burn_in": d["burn_in"],
             "n_seeds": len(d["seeds"]), "command": d["command"]}
    sec = _section("dlvm", published, root, facts, spread="standard error over images")
    default = f"MWG {d['default_kernel']}"
    for r in d["records"]:
        if r["warm_start"] not in (None, 0) or r["method"] not in ("pseudo-Gibbs", default, "MWG encoder", "MIWAE-IS"):
            continue
        m = re.match(r"random (\d+) %", r["mask"])
        where = ("records", {k: r[k] for k in ("dataset", "mask", "method", "warm_start")}, "score_mean")
        sec.rows.append(Row("dlvm", DATASET_NAMES[r["dataset"]], r["mask"], r["method"],
                            "F1" if r["dataset"] != "celeba" else "MSE", r["score_mean"], src, where,
                            spread=r["score_se"], x=int(m.group(1)) / 100 if m else None))
    return sec


def _flow(published: dict, root: Path) -> Section:
    src, d = results.source("inpainting_flow"), results.document("inpainting_flow", root)
    card = pretrained.load_card("flow-mnist", root / "pretrained")
    facts = {"n_images": d["n_images"], "steps": d["steps"], "flow_steps": d["flow_steps"], "n_seeds": len(d["seeds"]),
             "recognised": f"{card.metrics['confident_share']:.0%}", "command": d["command"]}
    sec = _section("flow", published, root, facts, spread="standard error over images")
    for r in d["records"]:
        m = re.match(r"random (\d+) %", r["mask"])
        where = ("records", {k: r[k] for k in ("mask", "method")}, "score_mean")
        # the setting names the digits: the exact sampler's rows are not bench inpainting's (another image count)
        sec.rows.append(Row("flow", DATASET_NAMES[r["dataset"]], f"{r['mask']}, {r['n_images']} digits", r["method"],
                            "F1", r["score_mean"], src, where, spread=r["score_se"],
                            x=int(m.group(1)) / 100 if m else None))
    return sec


def _card_row(section: str, name: str, metric: str, root: Path, label: str | None = None, **published) -> Row:
    card = pretrained.load_card(name, root / "pretrained")
    return Row(section, card.data.split()[0], "", label or name, metric.replace("_", " "),
               card.metrics[metric], f"pretrained/{name}.json", ("metrics", metric), **published)


def _miwae(published: dict, root: Path) -> Section:
    src = results.source("notmiwae")
    recs = [r for r in results.document("notmiwae", root) if r["method"] == "MIWAE"]
    facts = {"iterations": _one({r["iterations"] for r in recs}), "n_samples": _one({r["n_samples"] for r in recs}),
             "runs": _one({r["runs"] for r in recs})}
    sec = _section("miwae", published, root, facts, spread="sd over runs (tables); none for a card")
    for name in ("miwae-mnist", "miwae-omniglot", "miwae-celeba"):
        sec.rows.append(_card_row("miwae", name, "test_log_lik_observed", root))
    for r in recs:
        sec.rows.append(_notmiwae_row("miwae", r, src))
    return sec


def _notmiwae_row(section: str, r: dict, src: str) -> Row:
    key = {k: r[k] for k in ("dataset", "method", "iterations")}
    return Row(section, r["dataset"], f"{r['iterations']} iterations" if r["iterations"] else "", r["method"],
               "RMSE", r["rmse_mean"], src, (key, "rmse_mean"), spread=r["rmse_std"], published=r["published"],
               published_spread=r["published_std"], published_source=src, published_where=(key, "published"))


def _dmfa(published: dict, root: Path) -> Section:
    src, recs = results.source("dmfa"), results.document("dmfa", root)
    floor = pretrained.load_card("dmfa-mnist", root / "pretrained").config["d_floor"]  # the gap line's floor
    sec = _section("dmfa", published, root, {"n_images": _one({r["n_images"] for r in recs}), "d_floor": floor},
                   spread="sd over images")
    for metric, ours, sd, pub, pub_sd in (("NLL", "nll_mean", "nll_std", "published_nll", "published_nll_std"),
                                          ("SSE", "sse_mean", "sse_std", "published_sse", None)):
        for r in recs:
            key = {k: r[k] for k in ("dataset", "hole", "model")}
            sec.rows.append(Row("dmfa", f"{DATASET_NAMES[r['dataset']]} {r['resolution']}", f"hole {r['hole']}",
                                r["model"].upper(), metric, r[ours], src, (key, ours), spread=r[sd],
                                published=r[pub], published_spread=r.get(pub_sd), published_source=src,
                                published_where=(key, pub)))
    return sec


def _notmiwae(published: dict, root: Path) -> Section:
    src, img_src = results.source("notmiwae"), results.source("notmiwae_images")
    recs, imgs = results.document("notmiwae", root), results.document("notmiwae_images", root)
    model_recs = [r for r in recs if r["iterations"]]
    head = [r for r in imgs if r["published_svhn"] is not None]  # the training mechanism, the paper's
    facts = {"iterations": min(r["iterations"] for r in model_recs),
             "n_samples": _one({r["n_samples"] for r in model_recs}), "runs": max(r["runs"] for r in model_recs),
             "w": _one({r["mechanism_w"] for r in head}), "b": _one({r["mechanism_b"] for r in head})}
    sec = _section("notmiwae", published, root, facts, spread="sd over runs")
    sec.rows += [_notmiwae_row("notmiwae", r, src) for r in recs if r["method"] != "MIWAE"]
    for r in head:
        key = {k: r[k] for k in ("mechanism_w", "mechanism_b", "method")}
        sec.rows.append(Row("notmiwae", r["dataset"], "clipped bright pixels", r["method"], "RMSE", r["rmse_mean"],
                            img_src, (key, "rmse_mean"), spread=r["rmse_std"], published=r["published_svhn"],
                            published_source=img_src, published_where=(key, "published_svhn")))
    return sec


def _vae(published: dict, root: Path) -> Section:
    card = pretrained.load_card("vae-mnist", root / "pretrained")  # the reference figure's counterpart
    sec = _section("vae", published, root, {"latent": card.config["latent"], "eval_k": card.metrics["eval_k"]},
                   spread="none (one run each)")
    ref = ("sections", "vae", "reference", "test_log_lik")
    shown = verified(published["sections"]["vae"].get("reference", {}))
    for name in ("vae-mnist", "iwae-mnist", "vae-omniglot"):
        extra = {} if name != "vae-mnist" or not shown else dict(
            published=lookup(published, ref), published_source=PUBLISHED, published_where=ref)
        sec.rows.append(_card_row("vae", name, "test_log_lik", root, **extra))
        sec.rows.append(_card_row("vae", name, "test_elbo", root))
    src = results.source("vae_bounds")
    for name, m in results.document("vae_bounds", root)["models"].items():
        k = max(max(c["ks"]) for c in m["curves"].values())  # the tightest bound the gap is measured to
        sec.rows.append(Row("vae", name, "first test images of each digit", name, f"gap ELBO to L_{k}",
                            m["mean_gap_of_elbo"], src, ("models", name, "mean_gap_of_elbo")))
    return sec


def _vae_gmm(published: dict, root: Path) -> Section:
    """The shipped recipe's summary, then each variant's (a file each): the means over seeds, the worst seed, and
    every seed's test accuracy per round (``x``: the round). The outside figures are unverified: none is a row."""
    d = results.document("vae_gmm", root)
    facts = {"n_train": d["n_train"], "n_test": d["n_test"], "seeds": len(d["runs"]), "command": d["command"],
             "network": d.get("network", "784-256-12"),
             "start": GIBBS_STARTS.get(d.get("gibbs_start"), "k-means"),
             "first": start_words(d.get("first_start", "kmeans"), d.get("first_chain", "gibbs"))}
    sec = _section("vae_gmm", published, root, facts, spread="each seed drawn; the worst seed is its own row")
    for name, v in results.vae_gmm_variants(root):
        vsrc, shipped = results.source(name), name == "vae_gmm"
        first = GIBBS_STARTS.get(v.first_start, v.first_start)
        label = (f"{v.network} VAE, " + (f"Gibbs from {first} (round 0)" if v.first_chain == "gibbs" else
                                         f"{first} kept (round 0)") + ", then "
                 + start_words(v.gibbs_start, v.later_chain)
                 + (", full-covariance priors" if v.prior == "full" else "") + (f", {v.tag}" if v.tag else ""))
        sec.panels[vsrc] = label + (" (shipped)" if shipped else "")
        if vsrc not in sec.files:
            sec.files.append(vsrc)
        at = "" if shipped else label + ", "  # the shipped recipe's rows keep their short ids
        for key, setting, method in (("round0_mean", "round 0, mean over seeds", "VAE + GMM"),
                                     ("last_mean", "last round, mean over seeds", "VAE + GMM"),
                                     ("last_min", "last round, worst seed", "VAE + GMM"),
                                     ("sklearn_last_mean", "last round, mean over seeds", "scikit-learn Bayesian GMM")):
            sec.rows.append(Row("vae_gmm", "MNIST", at + setting, method, "test accuracy", v.summary[key], vsrc,
                                ("summary", key), x=0 if key == "round0_mean" else v.runs[0]["rounds"][-1]["round"]))
        for i, run in enumerate(v.runs):
            for j, rnd in enumerate(run["rounds"]):
                sec.rows.append(Row("vae_gmm", "MNIST", f"{at}seed {run['seed']}, round {rnd['round']}", "VAE + GMM",
                                    "test accuracy", rnd["test_accuracy"], vsrc,
                                    ("runs", i, "rounds", j, "test_accuracy"), x=rnd["round"]))
    return sec


def _scalars(data: Any, path: Where = ()) -> list[tuple[Where, float]]:
    """Every number in a JSON tree with its path (booleans and the machine block left out)."""
    if isinstance(data, bool) or (path and path[-1] == "machine"):
        return []
    if isinstance(data, (int, float)):
        return [(path, data)]
    items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else []
    return [leaf for k, v in items for leaf in _scalars(v, (*path, k))]


MAX_GENERIC_ROWS = 40


def _critic_rows(src: str, d: dict) -> list[Row]:
    """The critics sweep: each critic's estimate at each shift theta, next to the closed-form distance."""
    return [Row("wgan", "parallel lines", f"theta {theta:g}", kind, "estimate", d["estimates"][kind][i], src,
                ("estimates", kind, i), published=d["true_values"][kind][i], published_source=src,
                published_where=("true_values", kind, i), x=theta)
            for kind in d["estimates"] for i, theta in enumerate(d["thetas"])]


def _wgan(published: dict, root: Path) -> Section:
    """Critics sweep as estimate against truth; any other WGAN file as its first ``MAX_GENERIC_ROWS`` numbers."""
    patterns = published["sections"]["wgan"]["files"]
    found = {p: results.names(Path(p).name.removesuffix(".json"), root) for p in patterns}
    files = [name for names in found.values() for name in names]
    if not files:
        raise ResultsError(", ".join(patterns))
    sec = _section("wgan", published, root, spread="none (one seed)")
    sec.files, sec.missing = [results.source(n) for n in files], [p for p, names in found.items() if not names]
    commands = []
    for name in files:
        src, d = results.source(name), results.document(name, root)
        if isinstance(d, dict) and isinstance(d.get("command"), str):
            commands.append(d["command"])
        if isinstance(d, dict) and {"thetas", "estimates", "true_values"} <= d.keys():
            sec.rows += _critic_rows(src, d)
            sec.reference = "true value"
        else:
            sec.rows += [Row("wgan", Path(src).stem, ".".join(str(w) for w in where), "", "", value, src, where)
                         for where, value in _scalars(d)[:MAX_GENERIC_ROWS]]
    sec.command = " and ".join(commands) or sec.command
    return sec


READERS: dict[str, Callable[[dict, Path], Section]] = {
    "dlvm": _dlvm, "flow": _flow, "miwae": _miwae, "dmfa": _dmfa, "notmiwae": _notmiwae, "vae": _vae,
    "vae_gmm": _vae_gmm, "wgan": _wgan}


def sections(root: Path = ROOT) -> list[Section]:
    """Every paper's section in page order; one without its results file has ``measured=False``, no rows."""
    published = results.published(root)
    out = []
    for key, reader in READERS.items():
        try:
            out.append(reader(published, root))
        except (ResultsError, pretrained.WeightsMissingError):
            out.append(_section(key, published, root, measured=False))
    by_key = {s.key: s for s in out}
    # the not-MIWAE table's MIWAE row lives in the MIWAE section; its plot shows it among the others
    by_key["notmiwae"].related = [r for r in by_key["miwae"].rows if r.metric == "RMSE"]
    return out


# ---------------------------------------------------------------- rerun a small version


@dataclass
class SmallRun:
    """The fresh F1 of each sampler on the small run, next to the shipped figure of the same cell."""

    rows: list[Row]  # ours: the fresh figure; published: the shipped benchmark's (its file and place)
    seconds: float


Progress = Callable[[float, str], None]  # (fraction done, what runs now)


def small_rerun(vae: torch.nn.Module, miwae: torch.nn.Module, *, data_dir: str | Path | None = None,
                progress: Progress | None = None, n_images: int = SMALL_IMAGES, root: Path = ROOT) -> SmallRun:
    """The inpainting benchmark's MNIST ``SMALL_MASK`` cell on ``n_images`` test images, one seed: pseudo-Gibbs,
    the exact sampler (default z-kernel), MIWAE-IS. Raises DatasetNotFoundError without MNIST."""
    src, d = results.source("inpainting"), results.document("inpainting", root)
    device = next(vae.parameters()).device
    x = load_images("mnist", "test", binarize=True, limit=n_images, data_dir=data_dir).x.to(device)  # (n, 1, 28, 28)
    mask = half(tuple(x.shape[2:]), SMALL_MASK.split()[0]).to(device).expand(x.shape[0], 1, *x.shape[2:]).clone()
    report = progress or (lambda frac, what: None)
    kernels = ("pseudo", d["default_kernel"])
    total, done, t0 = len(kernels) * d["steps"] + d["steps"], 0, time.perf_counter()
    fresh: dict[str, float] = {}
    for kernel in kernels:
        name = "pseudo-Gibbs" if kernel == "pseudo" else f"MWG {kernel}"
        report(done / total, name)
        base = done

        def tick(state, base=base, name=name) -> None:
            if state.step % 25 == 0:
                report(min(1.0, (base + state.step) / total), name)

        res = run_gibbs(vae, x, mask, metropolis=kernel != "pseudo", kernel=kernel, n_steps=d["steps"], chains=1,
                        burn_in=d["burn_in"], seed=SMALL_SEED, init="noise", on_state=tick)
        fresh[name] = metrics.f1_missing(res.mean, x, mask).mean().item()
        done += d["steps"]
    report(done / total, "MIWAE-IS")
    imp = importance_impute(miwae, x, mask, n_samples=SMALL_MIWAE_SAMPLES, n_draws=1,
                            generator=generator(SMALL_SEED, device))
    fresh["MIWAE-IS"] = metrics.f1_missing(imp.mean, x, mask).mean().item()
    report(1.0, "done")
    rows = []
    for method, value in fresh.items():
        key = {"dataset": "mnist", "mask": SMALL_MASK, "method": method,
               "warm_start": None if method == "MIWAE-IS" else 0}
        where = ("records", key, "score_mean")
        rows.append(Row("rerun", "MNIST", SMALL_MASK, method, "F1", round(value, 4), "this run", (),
                        published=lookup(d, where), published_spread=lookup(d, ("records", key, "score_se")),
                        published_source=src, published_where=where))
    return SmallRun(rows, time.perf_counter() - t0)
