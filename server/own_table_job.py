"""Own-table mode's MIWAE and not-MIWAE trained in the visitor's browser (static/js/tabular: TensorFlow.js in a Web
Worker). The server sends what a training depends on (the standardised table, its mask, each model's initial weights,
which are the ones ``own_table.new_model`` gives the server's own training, the seed and the budget); the browser
trains with the seeded generator both sides implement (dgm_core.xoshiro), imputes, and answers the fills of the empty
cells and the final weights; ``learnt`` checks that answer against its job before any of it is kept. ``replay`` trains
here on the browser's batches and noise: the parity test (tests/js/tabular/parity.test.mjs) holds the two to 1e-4.

Ipsen, Mattei & Frellsen, "not-MIWAE", ICLR 2021, arXiv 2006.12871; Mattei & Frellsen, "MIWAE", arXiv 1812.02633.
x: (N, D) float64 in data units, NaN = an empty cell; mask: (N, D) bool, True = observed.
"""
from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from dgm_core import tabular
from dgm_core.methods import MNAR
from dgm_core.mnar_experiment import PRESETS
from dgm_core.models.notmiwae import NotMIWAE
from dgm_core.own_table import BATCH, Settings, new_model
from dgm_core.own_table import BROWSER_PRESETS as PRESETS_IN_BROWSER, BROWSER_ROWS as MAX_ROWS
from . import schema
from .schema import typed
from dgm_core.xoshiro import SplitMix

LIMIT = 1e4  # |a fill| in sd of its column: a genuine answer stays far inside it


def where(n_rows: int, preset: str, wasm: bool = True, kinds: tuple[str, ...] | None = None) -> str | None:
    """None where a browser trains this table; otherwise why the server does, in one clause."""
    if kinds is not None and any(k != "continuous" for k in kinds):
        return "tables with binary or categorical columns train on the server (their one-hot inputs)"
    if n_rows > MAX_ROWS:
        return f"tables of more than {MAX_ROWS:,} rows train on the server"
    if preset not in PRESETS_IN_BROWSER:
        return f"the '{preset}' budget trains on the server (a browser trains {' and '.join(PRESETS_IN_BROWSER)})"
    if not wasm:
        return "this browser has no WebAssembly"
    return None


@dataclass(frozen=True)
class Job:
    """One browser training: id (a digest of everything below), z: (N, D) float32 standardised, 0 in the holes;
    mask: (N, D) bool; settings; models: method id -> its initial NotMIWAE."""

    id: str
    z: np.ndarray
    mask: np.ndarray
    settings: Settings
    models: dict[str, NotMIWAE]

    @property
    def holes(self) -> int:
        return int((~self.mask).sum())

    def cfg(self, method: str) -> dict[str, Any]:
        c, p = self.models[method].cfg, PRESETS[self.settings.preset]
        return {"D": c.n_features, "p": c.d_latent, "hidden": c.hidden, "missing": c.missing,
                "signs": list(c.signs) if c.signs else None, "min_scale": c.min_scale, "k": p["k"], "batch": BATCH,
                "lr": p["lr"]}

    def wire(self) -> dict[str, Any]:
        """What the page sends the browser (typed arrays as static/js/kit/typed_json.js reads them)."""
        p, s = PRESETS[self.settings.preset], self.settings
        return {"id": self.id, "N": int(self.z.shape[0]), "D": int(self.z.shape[1]), "x": typed(self.z, "f32"),
                "mask": typed(self.mask, "u8"),
                "seed": s.seed, "iterations": p["iterations"], "L": p["n_samples"], "M": s.draws,
                "models": [{"method": m, "label": MNAR.label(m), "cfg": self.cfg(m),
                            "weights": {k: typed(v.detach().numpy(), "f32") for k, v in model.state_dict().items()}}
                           for m, model in self.models.items()]}


def job(x: np.ndarray, settings: Settings) -> Job:
    """The browser's training of x's MIWAE and ``settings.family``, from the server's own initial weights."""
    x = np.asarray(x, np.float64)
    mask = np.isfinite(x)
    std = tabular.Standardiser.fit(np.where(mask, x, 0.0), mask)
    z = np.where(mask, std.forward(np.where(mask, x, 0.0)), 0.0).astype(np.float32)
    models = {m: new_model(m, x.shape[1], settings) for m in ("miwae", settings.family)}
    h = hashlib.sha256(z.tobytes() + mask.tobytes() + repr(settings).encode())
    return Job(h.hexdigest()[:16], z, mask, settings, models)


# ---- the browser's answer, checked ---------------------------------------------------------------------------------

def _fields(j: Job) -> dict[str, schema.Spec]:
    return {"mean": schema.Array("f32", lambda job, m: job.holes, -LIMIT, LIMIT),
            "draws": schema.Array("f32", lambda job, m: job.holes * job.settings.draws, -LIMIT, LIMIT),
            "losses": schema.Array(None, lambda job, m: PRESETS[job.settings.preset]["iterations"], -1e9, 1e9,
                                   at_most=True),
            "train_s": schema.Number(0, 1e6, optional=True), "impute_s": schema.Number(0, 1e6, optional=True)}


def learnt(j: Job, answer: Mapping[str, Any]) -> dict[str, tuple[NotMIWAE, tabular.TabularImputation]]:
    """The browser's answer -> ``own_table.complete``'s ``learnt``: per method the model with the browser's final
    weights and its imputation (standardised; observed cells the job's). Raises schema.Refused, one clause."""
    if not isinstance(answer, Mapping) or answer.get("id") != j.id:
        raise schema.Refused("the answer is not for this table and these settings")
    got = answer.get("models")
    if not isinstance(got, Mapping) or set(got) != set(j.models):
        raise schema.Refused(f"the answer does not hold exactly {' and '.join(map(MNAR.label, j.models))}")
    out, holes = {}, ~j.mask
    for m, init in j.models.items():
        r = got[m]
        if not isinstance(r, Mapping):
            raise schema.Refused(f"{MNAR.label(m)}'s result is not a record")
        checked = schema.record({k: v for k, v in r.items() if k != "weights"}, _fields(j), j, m, MNAR.label(m))
        sent = r.get("weights")
        state = init.state_dict()
        if not isinstance(sent, Mapping) or set(sent) != set(state):
            raise schema.Refused(f"{MNAR.label(m)}'s weights are not this model's")
        model = NotMIWAE(init.cfg)
        model.load_state_dict({k: torch.from_numpy(schema.array(
            schema.Array("f32", lambda job, _m, n=v.numel(): n, -1e6, 1e6), sent[k], j, m,
            f"{MNAR.label(m)}'s {k}").astype(np.float32).reshape(tuple(v.shape)).copy()) for k, v in state.items()})
        model.eval()
        mean = j.z.astype(np.float64)
        mean[holes] = checked["mean"]
        draws = np.repeat(mean[:, None, :], j.settings.draws, axis=1)
        dr = checked["draws"].reshape(j.settings.draws, -1)  # (M, holes), each in the mask's row-major order
        for i in range(j.settings.draws):
            plane = draws[:, i, :]
            plane[holes] = dr[i]
        out[m] = (model, tabular.TabularImputation(mean, None, draws, np.full(len(mean), np.nan)))
    return out


# ---- the same training here, on the browser's draws (the parity test) ---------------------------------------------

def replay(j: Job, method: str, steps: int) -> tuple[NotMIWAE, list[float]]:
    """``steps`` of ``method``'s training as the browser runs it: its initial weights, Adam, and every batch and noise
    from SplitMix(seed). -> the model after them and each step's loss."""
    model = NotMIWAE(j.models[method].cfg)
    model.load_state_dict(j.models[method].state_dict())
    p, losses = PRESETS[j.settings.preset], []
    with tabular.single_thread():
        tabular.fit(model, j.z.astype(np.float64), j.mask, iterations=steps, batch=BATCH, k=p["k"], lr=p["lr"],
                    draws=SplitMix(j.settings.seed), trace=losses, every=steps)
    return model, losses


def parity_fixture(folder: Path, steps: int = 50) -> list[str]:
    """Writes <folder>/<family>.json for the Node parity test: the job as the browser gets it, and what ``replay``
    gives after ``steps`` steps (each step's loss, the final weights); plus rng.json, SplitMix's first draws."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 4)) @ np.array([[1, 0.6, 0, 0.3], [0, 1, 0.5, 0], [0, 0, 1, 0.4], [0, 0, 0, 1.0]])
    x[x > 0.9] = np.nan  # self-masking: high values go missing
    names = []
    for family in ("notmiwae", "notmiwae_known", "notmiwae_linear", "notmiwae_nonlinear"):
        j = job(x, Settings(family=family, preset="tiny", seed=3, draws=4))
        for method in ("miwae", family) if family == "notmiwae" else (family,):
            model, losses = replay(j, method, steps)
            wire = j.wire()
            wire["models"] = [w for w in wire["models"] if w["method"] == method]
            wire["steps"], wire["losses"] = steps, losses
            wire["after"] = {k: v.detach().numpy().ravel().tolist() for k, v in model.state_dict().items()}
            (folder / f"{method}.json").write_text(json.dumps(wire))
            names.append(method)
    g = SplitMix(12345)
    (folder / "rng.json").write_text(json.dumps({"seed": 12345, "uniform": g.uniform(5).tolist(),
                                                 "normal": g.normal(7).tolist(), "uniform64": g.uniform64(5).tolist(),
                                                 "rows": g.rows(37, 9).tolist()}))
    return names


if __name__ == "__main__":  # python -m server.own_table_job FOLDER: the parity test's fixtures
    print(" ".join(parity_fixture(Path(sys.argv[1]))))
