"""Fixtures for static/js/kit/mcmc.js under Node (tests/js/mcmc.test.mjs): ArviZ's effective sample size of a mean
(``dgm_core.samplers.diagnostics.ess``) on chains that mix well, badly, alternate (a negative autocorrelation), stay
put or are short, or lie 1e12 away from 0, and ``chain_diagnostics``' ess_pixels on sampler-like pixel traces with
stuck pixels and a burn-in.
``python -m tests.js.mcmc_fixtures OUT_DIR``."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import torch

from dgm_core.samplers.diagnostics import chain_diagnostics, ess


def _ar1(rng, s: int, t: int, phi: float) -> np.ndarray:
    x = np.zeros((s, t))
    x[:, 0] = rng.normal(size=s)
    for k in range(1, t):
        x[:, k] = phi * x[:, k - 1] + rng.normal(size=s)
    return x


def _num(v) -> float | None:
    """A value as JSON has it: NaN (ArviZ's "not enough draws") as null."""
    v = float(v)
    return None if v != v else v


def cases() -> dict:
    rng = np.random.default_rng(0)
    chains = {"independent": rng.normal(size=(4, 200)), "sticky": _ar1(rng, 3, 150, 0.95),
              "alternating": _ar1(rng, 2, 101, -0.7), "one chain": _ar1(rng, 1, 80, 0.5),
              "constant": np.full((3, 40), 0.25), "short": rng.normal(size=(2, 3)),
              "two levels": np.repeat(rng.normal(size=(3, 1)), 30, axis=1) + 1e-3 * rng.normal(size=(3, 30))}
    out = {"ess": [{"name": k, "chains": v.tolist(), "want": _num(ess(v))} for k, v in chains.items()]}
    # draws 1e12 away from 0: float64 keeps about four digits of their deviations, and ArviZ's sums lose some of
    # those; the exact ESS of these draws is ArviZ's of the draws less 1e12 (each difference exact)
    far = rng.normal(size=(4, 200)) + 1e12
    out["offset"] = {"chains": far.tolist(), "want": _num(ess(far - 1e12)), "arviz": _num(ess(far))}
    traces = []
    for t, s, p, burn in ((60, 3, 8, 15), (12, 2, 5, 10), (40, 1, 6, 10)):
        px = torch.from_numpy(_ar1(rng, s * p, t, 0.8).reshape(s, p, t)).permute(2, 0, 1).float()  # (T, S, P)
        px[:, :, 0] = 0.5  # a pixel whose chains never move
        lj = torch.randn(t, 1, s, dtype=torch.float64)
        acc = torch.rand(t, 1, s) > 0.5
        want = chain_diagnostics(lj, acc, px[:, None], burn)["ess_pixels"]
        traces.append({"T": t, "S": s, "P": p, "burn_in": burn, "pixels": px.reshape(-1).tolist(),
                       "want": _num(want[0])})
    out["pixels"] = traces
    return out


if __name__ == "__main__":
    Path(sys.argv[1], "mcmc.json").write_text(json.dumps(cases()))
