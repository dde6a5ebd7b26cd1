"""The MNAR lab's precomputed grid (Ipsen, Mattei & Frellsen, "not-MIWAE", arXiv 2006.12871): the page's own fits
(``mnar.fit_all``: MIWAE, not-MIWAE, not-MIWAE with a known direction where the mechanism has one, the preset's
baselines) over a grid of its controls, so that moving a control shows the nearest grid point at once.

    python -m dgm_core precompute mnar-grid            compute what is missing (resumable), one torch thread

The grid: each table × mechanism × one parameter of that mechanism (the cut-off offset δ, the steepness k, the
quantile q, or the missing rate p) at a few values, every other parameter held at the page's default (``AXES``);
seed ``SEED``; the ``PRESET`` training budget. Each point is written as it finishes (the npz and the card rewritten
atomically) and a rerun skips the finished ones. Files, beside the shipped models:

    pretrained/mnar-grid-<table>.npz   per point: "<id>|<method>|imputed" float32, the imputations of the hidden
                                       entries (np.flatnonzero(~mask) order) for the methods the page draws
                                       (``SHOWN``); "<id>|<method>|mechanism" float64 (4, D): a self-masking
                                       model's learnt W, b, threshold and steepness; "index": the points as JSON
                                       (params, the mask's sha256, every method's RMSE, MAE, ESS, seconds)
    pretrained/mnar-grid.json          the card: grid, budget and its rule, seed, command, machine, CPU time,
                                       each npz's sha256, the data file's and the table's sha256

No weights and no values of the table itself are stored. ``load`` reads the grid back (sha256 checked), ``nearest``
picks the point for the page's settings (or says in one sentence why none fits), ``fits`` rebuilds the page's
FitResults from it. x: (N, D) float64 complete rows in data units; masks are bool with True = observed.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import platform
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .. import mnar_experiment as experiment
from . import mnar as mnar_lab

GRID_DIR = Path(__file__).resolve().parents[2] / "pretrained"
CARD = "mnar-grid.json"
COMMAND = "python -m dgm_core precompute mnar-grid"
PRESET = "small"  # the rule that chose it: BUDGET_RULE
BUDGET_RULE = ("the largest live preset (tiny < small < medium) whose whole grid, timed as one measured point times "
               "the number of points, computes within 60 minutes of wall time at nice 19 on this two-core host while "
               "two other trainings run: small (34 points to compute; one point, the not-MIWAE protocol at offset "
               "0.5, took 56 s wall and 35 s CPU with small, 347 s wall and 145 s CPU with medium: about 32 min "
               "against 3.3 h); chosen before any grid point was computed, never by which method wins")
SEED = 0
TABLES = ("breast",)  # the tables the page offers without a data directory
SHOWN = ("MICE", "miwae", "notmiwae")  # the methods whose imputations the page draws (not-MIWAE's: the download)
HALF = "half"  # n_features held at half of the table's features, as the page opens a table


@dataclass(frozen=True)
class Axis:
    """The one parameter of a mechanism that the grid varies; every other parameter is held at ``held``."""

    param: str  # its key in the page's parameters (ui.mnar_view.mechanism_params)
    name: str  # how a sentence names it
    values: tuple[float, ...]
    held: dict[str, Any] = field(default_factory=dict)


RATES = (0.1, 0.3, 0.5, 0.7, 0.9)  # the missing-rate slider's range, 0.05 to 0.9, at five values
AXES: dict[str, Axis] = {
    "notmiwae_uci": Axis("offset", "offset δ", (-1.0, -0.75, -0.5, -0.25, 0.0, 0.25, 0.5, 0.75, 1.0),
                         {"n_features": HALF}),  # every step of the slider
    "self_masked": Axis("steepness", "steepness k", (0.5, 1.0, 2.0, 3.0, 5.0, 7.5, 10.0),
                        {"p": 0.3, "direction": "high"}),
    "quantile": Axis("q", "quantile q", (0.05, 0.15, 0.25, 0.35, 0.45), {"p": 0.3, "cut": "upper", "p_params": 0.5}),
    "mnar_logistic": Axis("p", "missing rate p", RATES, {"p_params": 0.3}),
    "mar_logistic": Axis("p", "missing rate p", RATES, {"p_obs": 0.3}),
    "mcar": Axis("p", "missing rate p", RATES),
}
PARAM_NAMES = {"offset": "offset δ", "n_features": "censored features", "p": "missing rate p",
               "direction": "values that go missing", "steepness": "steepness k", "q": "quantile q", "cut": "cut",
               "p_params": "fraction of input columns", "p_obs": "fraction of input columns"}


class GridError(Exception):
    """The grid cannot be used (missing, altered, another table); the message is one sentence a page can show."""


def sha256_bytes(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def x_sha256(x: np.ndarray) -> str:
    """The table the grid was computed on, as float64 C-order bytes: the page checks it loaded the same numbers."""
    return sha256_bytes(np.ascontiguousarray(x, dtype=np.float64).tobytes())


def mask_sha256(mask: np.ndarray) -> str:
    return sha256_bytes(np.packbits(np.ascontiguousarray(mask, dtype=bool)).tobytes() + str(mask.shape).encode())


def held_params(mechanism: str, n_features: int) -> dict[str, Any]:
    """The parameters the grid holds for ``mechanism`` on a table of ``n_features`` columns."""
    return {k: (max(n_features // 2, 1) if v == HALF else v) for k, v in AXES[mechanism].held.items()}


def point_params(mechanism: str, value: float, n_features: int) -> dict[str, Any]:
    """The page's parameters of the grid point at ``value`` of the mechanism's axis."""
    axis = AXES[mechanism]
    return {axis.param: float(value), **held_params(mechanism, n_features)}


def point_id(table: str, mechanism: str, value: float) -> str:
    return f"{table}/{mechanism}/{AXES[mechanism].param}={float(value):g}"


def points(table: str, n_features: int) -> list[tuple[str, str, dict[str, Any]]]:
    """Every grid point of ``table``: (id, mechanism, the page's parameters), in the order they are computed."""
    return [(point_id(table, m, v), m, point_params(m, v, n_features)) for m, a in AXES.items() for v in a.values]


# ---------------------------------------------------------------- computing
def data_file(table: str, data_dir: str | None = None) -> Path:
    """The file the table is read from: the UCI CSV under the data directory, else scikit-learn's bundled copy."""
    from importlib.resources import files

    from ..data import table_path

    path = table_path(table, data_dir)
    if (path is None or not path.is_file()) and table == "breast":
        return Path(str(files("sklearn.datasets.data") / "breast_cancer.csv"))
    return path


def complete_rows(table: str, data_dir: str | None = None) -> tuple[np.ndarray, str]:
    """(the table's complete rows, as the page loads them; a description of them)."""
    from ..data import load_table

    t = load_table(table, data_dir=data_dir)
    x = t.x[np.isfinite(t.x).all(1)]
    return x, f"{table} ({t.source}, {x.shape[0]} complete rows x {x.shape[1]} features)"


def record(fits: dict[str, experiment.FitResult], sim: experiment.Simulated) -> tuple[dict, dict[str, np.ndarray]]:
    """One point's fits -> (its JSON record without the id, its arrays keyed "<method>|...")."""
    miss = ~sim.mask
    scores, arrays = {}, {}
    for m, f in fits.items():
        scores[m] = {"rmse": float(f.rmse), "ess": None if f.ess is None else float(f.ess),
                     "errors": {k: {e: float(v) for e, v in d.items()} for k, d in f.errors.items()}}
        if m in SHOWN:
            arrays[f"{m}|imputed"] = f.imputed[miss].astype(np.float32)
        if f.mechanism is not None:
            arrays[f"{m}|mechanism"] = np.asarray([f.mechanism[k] for k in ("W", "b", "threshold", "steepness")],
                                                  dtype=np.float64)
    rec = {"status": "ok", "mask_sha256": mask_sha256(sim.mask), "n_missing": int(miss.sum()),
           "missing_rate": round(float(sim.missing.rate), 4), "methods": list(fits), "scores": scores}
    return rec, arrays


def _atomic_write(path: Path, write) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o644)  # mkstemp's files are private; these ship
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def machine() -> dict[str, Any]:
    return {"platform": platform.platform(), "processor": platform.machine(), "cpu_count": os.cpu_count(),
            "python": platform.python_version(), "torch": torch.__version__, "torch_threads": torch.get_num_threads(),
            "nice": os.nice(0), "load_average": [round(v, 2) for v in os.getloadavg()]}


def _read_npz(path: Path) -> tuple[list[dict], dict[str, np.ndarray]]:
    with np.load(path, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files if k != "index"}
        return json.loads(str(z["index"])), arrays


def _write(out: Path, table: str, index: list[dict], arrays: dict[str, np.ndarray], card: dict) -> None:
    npz = out / f"mnar-grid-{table}.npz"
    def save(tmp: str) -> None:
        with open(tmp, "wb") as f:
            np.savez_compressed(f, index=np.array(json.dumps(index)), **arrays)

    _atomic_write(npz, save)
    done = [r for r in index if r["status"] in ("ok", "refused")]
    card["tables"][table].update({"file": npz.name, "sha256": sha256_file(npz), "bytes": npz.stat().st_size,
                                  "finished": len(done)})
    card["points"] = [p for p in card["points"] if not p["id"].startswith(table + "/")] + [
        {"id": r["id"], "status": r["status"], "missing_rate": r.get("missing_rate"),
         "rmse": {m: round(s["rmse"], 5) for m, s in r.get("scores", {}).items()},
         "cpu_s": r["cpu_s"], "wall_s": r["wall_s"]} for r in index]
    card["cpu_time_s"] = round(sum(p["cpu_s"] for p in card["points"]), 1)
    card["wall_time_s"] = round(sum(p["wall_s"] for p in card["points"]), 1)
    card["complete"] = all(t["finished"] == t["points"] for t in card["tables"].values())
    card["machine"], card["updated"] = machine(), time.strftime("%Y-%m-%d %H:%M %Z")
    _atomic_write(out / CARD, lambda tmp: Path(tmp).write_text(json.dumps(card, indent=1) + "\n"))


def new_card(preset: str = PRESET) -> dict[str, Any]:
    p = experiment.PRESETS[preset]
    return {"name": "mnar-grid", "what": "the MNAR lab's fits over a grid of its controls (dgm_core.demos.mnar_grid)",
            "command": COMMAND, "preset": preset,
            "preset_config": {k: (list(v) if isinstance(v, tuple) else v) for k, v in p.items()},
            "budget_rule": BUDGET_RULE, "seed": SEED,
            "grid": {m: {"param": a.param, "values": list(a.values), "held": a.held} for m, a in AXES.items()},
            "shown": list(SHOWN), "tables": {}, "points": [], "cpu_time_s": 0.0, "wall_time_s": 0.0,
            "complete": False, "torch_version": torch.__version__, "created": time.strftime("%Y-%m-%d")}


def compute(tables: tuple[str, ...] = TABLES, out_dir: str | Path | None = None, data_dir: str | None = None,
            limit: int | None = None, preset: str = PRESET, log=print) -> dict[str, Any]:
    """Compute every unfinished grid point of ``tables`` into ``out_dir`` (default pretrained/), each written as it
    finishes; ``limit``: stop after that many new points. Returns the card. Raises GridError when the files there
    were computed with another budget, seed or table (delete them to start over)."""
    out = Path(out_dir or GRID_DIR)
    out.mkdir(parents=True, exist_ok=True)
    card = json.loads((out / CARD).read_text()) if (out / CARD).exists() else new_card(preset)
    if (card["preset"], card["seed"]) != (preset, SEED):
        raise GridError(f"{out / CARD} was computed with the '{card['preset']}' preset and seed {card['seed']}; "
                        "delete it and its npz files to start over.")
    torch.set_num_threads(1)
    new = 0
    for table in tables:
        x, described = complete_rows(table, data_dir)
        src = data_file(table, data_dir)
        grid = points(table, x.shape[1])
        meta = card["tables"].setdefault(table, {})
        if meta.get("x_sha256", x_sha256(x)) != x_sha256(x):
            raise GridError(f"The {table} table differs from the one {out / CARD} was computed on; "
                            "delete the grid files to start over.")
        where = (f"scikit-learn's sklearn/datasets/data/{src.name}" if "sklearn" in src.parts
                 else f"$DGM_DATA_DIR/uci/{src.name}")
        meta.update({"data": described, "data_file": where, "data_sha256": sha256_file(src),
                     "x_sha256": x_sha256(x), "points": len(grid), "finished": meta.get("finished", 0)})
        npz = out / f"mnar-grid-{table}.npz"
        index, arrays = _read_npz(npz) if npz.exists() else ([], {})
        done = {r["id"] for r in index}
        for pid, mechanism, params in grid:
            if pid in done:
                continue
            if limit is not None and new >= limit:
                return card
            t0, c0 = time.perf_counter(), time.process_time()
            try:
                sim = experiment.simulate(x, mechanism, params, SEED)
            except ValueError as e:  # the page refuses these settings too
                rec, got = {"status": "refused", "reason": str(e)}, {}
            else:
                rec, got = record(mnar_lab.fit_all(sim, preset, SEED), sim)
            rec.update({"id": pid, "mechanism": mechanism, "params": params,
                        "cpu_s": round(time.process_time() - c0, 1), "wall_s": round(time.perf_counter() - t0, 1)})
            index.append(rec)
            arrays.update({f"{pid}|{k}": v for k, v in got.items()})
            _write(out, table, index, arrays, card)
            new += 1
            best = min(rec.get("scores", {"-": {"rmse": float("nan")}}).items(), key=lambda kv: kv[1]["rmse"])
            said = f"; lowest RMSE {best[0]} {best[1]['rmse']:.3f}" if rec["status"] == "ok" else f" ({rec['reason']})"
            log(f"{pid}: {rec['status']}, {rec['cpu_s']} s CPU, {rec['wall_s']} s wall{said}")
        if not index:
            _write(out, table, index, arrays, card)
    return card


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog=COMMAND, description="Precompute the MNAR lab's grid of fits (resumable).")
    p.add_argument("--tables", nargs="+", default=list(TABLES))
    p.add_argument("--out", default=None, help="folder of the grid files (default: pretrained/)")
    p.add_argument("--limit", type=int, default=None, help="stop after this many new points")
    a = p.parse_args(argv)
    try:
        card = compute(tuple(a.tables), a.out, os.environ.get("DGM_DATA_DIR") or None, a.limit)
    except GridError as e:
        print(e)
        return 2
    done = sum(t["finished"] for t in card["tables"].values())
    total = sum(t["points"] for t in card["tables"].values())
    print(f"{done} of {total} grid points in {a.out or GRID_DIR}; {card['cpu_time_s']:.0f} s CPU in all")
    return 0


# ---------------------------------------------------------------- reading, for the page
@dataclass(frozen=True)
class Point:
    """One finished grid point: its record (id, mechanism, params, scores, …) and arrays keyed by method."""

    table: str
    record: dict[str, Any]
    arrays: dict[str, np.ndarray]

    @property
    def value(self) -> float:
        return float(self.record["params"][AXES[self.record["mechanism"]].param])


@dataclass(frozen=True)
class Grid:
    card: dict[str, Any]
    points: dict[str, list[Point]]  # table -> its finished ("ok") points

    @property
    def preset(self) -> str:
        return self.card["preset"]


def load(directory: str | Path | None = None) -> Grid:
    """The grid in ``directory`` (default pretrained/), every npz checked against its card's sha256.
    Raises GridError."""
    d = Path(directory or GRID_DIR)
    if not (d / CARD).exists():
        raise GridError(f"The precomputed grid's card ({CARD}) is not in {d.name}/; rebuild it with `{COMMAND}`.")
    try:
        card = json.loads((d / CARD).read_text())
        tables = card["tables"]
    except (OSError, ValueError, KeyError) as e:
        raise GridError(f"The precomputed grid's card {d / CARD} cannot be read ({type(e).__name__}).") from e
    got = {}
    for table, meta in tables.items():
        path = d / meta["file"]
        if not path.exists():
            raise GridError(f"The precomputed grid's file {meta['file']} is missing; rebuild it with `{COMMAND}`.")
        if sha256_file(path) != meta["sha256"]:
            raise GridError(f"The precomputed grid's file {meta['file']} does not match its card's sha256; restore "
                            f"it from git or rebuild it with `{COMMAND}`.")
        index, arrays = _read_npz(path)
        by_point: dict[str, dict[str, np.ndarray]] = {}
        for k, v in arrays.items():
            pid, rest = k.split("|", 1)
            by_point.setdefault(pid, {})[rest] = v
        got[table] = [Point(table, r, by_point.get(r["id"], {})) for r in index if r["status"] == "ok"]
    return Grid(card, got)


def same(a: Any, b: Any) -> bool:
    """Two parameter values are the same setting (floats to 1e-6)."""
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    return math.isclose(float(a), float(b), abs_tol=1e-6)


def _shown(v: Any) -> str:
    return f"'{v}'" if isinstance(v, str) else f"{float(v):g}"


def nearest(grid: Grid, table: str, x: np.ndarray, mechanism: str, params: dict[str, Any],
            seed: int) -> tuple[Point | None, str]:
    """The grid point for the page's settings -> (point, "") where the table, seed and held parameters are the
    grid's, the point nearest on the mechanism's axis (a tie goes to the lower value); else (None, why, in one
    sentence)."""
    pts = grid.points.get(table)
    if pts is None:
        return None, f"The precomputed grid covers the {', '.join(grid.points) or 'no'} table(s) only."
    if x_sha256(x) != grid.card["tables"][table]["x_sha256"]:
        return None, f"This copy of the {table} table differs from the one the precomputed grid was computed on."
    if seed != grid.card["seed"]:
        return None, f"The precomputed grid is computed at seed {grid.card['seed']} only."
    axis = AXES.get(mechanism)
    if axis is None:
        return None, "The precomputed grid does not cover this mechanism."
    held = held_params(mechanism, x.shape[1])
    off = [k for k, v in held.items() if k in params and not same(params[k], v)]
    if off:
        return None, ("The precomputed grid holds " + " and ".join(f"{PARAM_NAMES.get(k, k)} at {_shown(held[k])}"
                                                                   for k in off) + " for this mechanism.")
    cands = sorted((p for p in pts if p.record["mechanism"] == mechanism), key=lambda p: p.value)
    if not cands:
        return None, "The precomputed grid has no finished point for this mechanism yet."
    v = float(params[axis.param])
    return min(cands, key=lambda p: abs(p.value - v)), ""


def describe(point: Point, params: dict[str, Any] | None = None) -> str:
    """Which grid point, for the page's sentence: "offset δ = 0.5", and with the page's ``params`` whether it is
    the setting itself ("offset δ = 0.5, the nearest grid point to 0.6")."""
    axis = AXES[point.record["mechanism"]]
    at = f"{axis.name} = {point.value:g}"
    if params is None or same(params[axis.param], point.value):
        return at
    return f"{at}, the nearest grid point to {float(params[axis.param]):g}"


def fits(point: Point, sim: experiment.Simulated) -> dict[str, experiment.FitResult]:
    """The point's fits as ``mnar.fit_all`` returned them, for ``sim`` (the point's own simulation): imputations of
    the methods in SHOWN (the others: None), scores, ESS and the learnt self-masking mechanism (no model, no
    median: the conditional of one entry needs training). Raises GridError if ``sim`` is not the point's."""
    rec = point.record
    if mask_sha256(sim.mask) != rec["mask_sha256"]:
        raise GridError("The missingness simulated here is not the grid point's.")
    miss = ~sim.mask
    out = {}
    for m in rec["methods"]:
        s, a = rec["scores"][m], point.arrays
        imputed = None
        if f"{m}|imputed" in a:
            imputed = sim.x.copy()
            imputed[miss] = a[f"{m}|imputed"]
        mech = sens = None
        if f"{m}|mechanism" in a:
            w, b, thr, steep = a[f"{m}|mechanism"]
            mech = {"W": w.tolist(), "b": b.tolist(), "threshold": thr.tolist(), "steepness": steep.tolist(),
                    "direction": ["high values missing" if v > 0 else "low values missing" for v in w]}
            sens = np.diag(w.astype(np.float32))
        out[m] = experiment.FitResult(m, imputed, s["rmse"], [], mech, s["ess"], None, s["errors"], sens, None)
    return out
