"""Fixtures for the browser's maths under Node (tests/js/*.test.mjs): dgm_core runs each inpainting method on a small
image with its seeded draws recorded, and writes, per case, the worker's job (the same inputs and those draws, as
``static/js/inpaint.js`` takes them) and dgm_core's outputs. ``python -m tests.js.fixtures OUT_DIR`` (the Node test
calls it); no data set is needed: the digits are drawn by the shipped VAE."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import torch

from dgm_core import masks, pretrained
from dgm_core.demos import inpainting
from dgm_core.device import generator
from tests.e2e.test_browser_inpaint import factor_draws, job, miwae_draws, pseudo_gibbs_draws, recorded


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
