"""Fixtures for the browser's maths under Node (tests/js/*.test.mjs): dgm_core runs each inpainting method on a small
image with its seeded draws recorded, and writes, per case, the worker's job (the same inputs and those draws, as
``static/js/inpaint.js`` takes them) and dgm_core's outputs. ``python -m tests.js.fixtures OUT_DIR`` (the Node test
calls it); no data set is needed: the digit and the face are drawn by the shipped VAEs.

The exact sampler's cases also carry each of dgm_core's Metropolis decisions with its margin |log u − log α| and the
rounding bound of log α (tests/e2e/test_browser_inpaint.py: ``MetropolisTest``), and the first near-tie: the Node test
compares the decisions up to it only, as the chromium test does, since another runtime may rightly decide a near-tie
the other way."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import torch

from dgm_core import masks, pretrained
from dgm_core.demos import inpainting
from dgm_core.device import generator
from tests.e2e.test_browser_inpaint import NearTies, factor_draws, job, miwae_draws, pseudo_gibbs_draws, recorded


def _flat(t: torch.Tensor) -> list[float]:
    return t.reshape(-1).double().tolist()


def _case(name: str, x, mask, method: str, s, draws, model=None, dataset: str = "mnist") -> dict:
    with recorded() as made:  # no draws given: the method's own, recorded as it makes them (the flow)
        res, trace = inpainting.run_method(method, model, x, mask, dataset=dataset, settings=s, truth=x)
    msg = job(x, mask, [method], s, {method: made} if draws is None else draws, dataset=dataset)
    msg["runtime"] = None  # the Node test's onnxruntime-node
    want = {"mean": _flat(res.mean), "std": _flat(res.std), "samples": _flat(res.samples[0]),
            "scores": inpainting.score(res, x, mask, dataset=dataset)}
    if trace is not None:
        want["trace"] = _flat(trace.score)
    return {"name": name, "method": method, "msg": msg, "want": want}


def _mwg_case(name: str, x, mask, s, model, dataset: str, tol: float) -> dict:
    """The exact sampler: its draws recorded as dgm_core makes them, and each Metropolis decision with its margin."""
    tests = []
    with recorded(tests) as draws:
        res, trace = inpainting.run_method("mwg", model, x, mask, dataset=dataset, settings=s, truth=x)
    ties = NearTies.of(tests)
    d = res.diagnostics
    msg = job(x, mask, ["mwg"], s, {"mwg": draws}, dataset=dataset)
    msg["runtime"] = None
    want = {"mean": _flat(res.mean), "std": _flat(res.std), "samples": _flat(res.samples[0]),
            "scores": inpainting.score(res, x, mask, dataset=dataset), "trace": _flat(trace.score),
            "log_joint": _flat(trace.log_joint), "snapshot_mean": _flat(torch.stack(trace.snapshot_mean)),
            "step_size": None if d.step_size is None else _flat(d.step_size),
            "accepted": d.accepted[:, 0].reshape(-1).int().tolist(),  # step-major, as the worker's
            "margin": torch.cat([t.margin for t in tests]).tolist(),
            "bound": torch.cat([t.bound for t in tests]).tolist(),
            "first_tie": ties.first, "ties": str(ties), "chains": s.chains, "burn_in": d.burn_in, "tol": tol}
    return {"name": name, "method": "mwg", "msg": msg, "want": want}


def cases() -> list[dict]:
    vae, vcard = pretrained.load("vae-mnist")
    x = (vae.sample(1, generator(3))[0] > 0.5).float()  # (1, 28, 28): a digit, no data set needed
    bottom = masks.preset("bottom", (28, 28))
    out = []
    s = inpainting.Settings(steps=20, chains=3, burn_in=5, n_draws=2, init="noise", warm_start=2, seed=5, snapshots=4)
    out.append(_case("pseudo-Gibbs on vae-mnist", x, bottom, "pseudo_gibbs", s,
                     {"pseudo_gibbs": pseudo_gibbs_draws(s, vcard.config["latent"], x.shape)}, vae))
    miwae, mcard = pretrained.load("miwae-mnist")
    s = inpainting.Settings(n_samples=200, n_draws=4, seed=11)
    chunks, nll = miwae_draws(s, mcard.config["latent"], x.shape)
    out.append(_case("MIWAE on miwae-mnist", x, bottom, "miwae", s, {"miwae": chunks, "miwae_nll": nll}, miwae))
    rects = masks.preset("rectangles", (28, 28), seed=3)
    for name in ("dmfa-mnist", "mfa-mnist"):
        model, card = pretrained.load(name)
        method = name.split("-")[0]
        s = inpainting.Settings(n_draws=5, seed=9)
        out.append(_case(f"{method} on {name}", x, rects, method, s,
                         {method: factor_draws(s, card.config["n_factors"], x.numel())}, model))
    flow, _ = pretrained.load("flow-mnist")
    out.append(_case("flow on flow-mnist", x, masks.preset("random", (28, 28), seed=4), "flow",
                     inpainting.Settings(n_draws=3, seed=2, flow_steps=4), None, flow))
    # the exact sampler with each z-move (seed 39: dgm_core's decisions clear the near-tie bound, as in the chromium
    # test), and on a face with HMC on the conv VAE's gradient graph (seed 157; a face's log-likelihood sums 3072
    # float32 terms in another order, and HMC's tuned steps carry it: 2e-3)
    for kernel in ("hmc", "encoder", "mix", "pcn"):
        s = inpainting.Settings(steps=30, chains=3, burn_in=10, n_draws=2, seed=39, snapshots=6, kernel=kernel)
        out.append(_mwg_case(f"the exact sampler ({kernel}) on vae-mnist", x, bottom, s, vae, "mnist", 1e-4))
    cvae, _ = pretrained.load("vae-celeba")
    with torch.no_grad():
        fx = cvae.mean(cvae.decode(torch.randn(1, cvae.cfg.latent, generator=generator(2))))[0]
    s = inpainting.Settings(steps=16, chains=2, burn_in=6, n_draws=2, seed=157, snapshots=4, kernel="hmc")
    out.append(_mwg_case("the exact sampler (hmc) on vae-celeba", fx, masks.preset("centre", (32, 32)), s, cvae,
                         "celeba", 2e-3))
    face = torch.rand(3, 32, 32, generator=generator(8))
    for method in ("mean_fill", "neighbour_fill"):
        out.append(_case(f"{method} on a noise face", face, masks.preset("centre", (32, 32), seed=2), method,
                         inpainting.Settings(), {}, dataset="celeba"))
    return out


def main(argv: list[str]) -> int:
    folder = Path(argv[0])
    folder.mkdir(parents=True, exist_ok=True)
    written = cases()
    (folder / "inpaint.json").write_text(json.dumps(written))
    print(f"wrote {len(written)} cases to {folder / 'inpaint.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
