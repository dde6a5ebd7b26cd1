"""The browser's trainer (static/js/workers/toy_train.worker.js, TensorFlow.js in a Web Worker of chromium) against
dgm_core, its reference: given the same weights and the same batches (drawn here by torch, sent to the worker), the
critics' bounds, the generator's loss and the weights after the Adam updates agree within 1e-5. A change to either
side's loss, network, penalty or optimiser breaks them."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from dgm_core.models import critics as cr
from dgm_core.models import toy_gan as tg
from dgm_core.models.wgan import gradient_penalty
from ui.trainer import trainer_runtime, WORKER_URL

TOL = 1e-5
# a page of the app's origin (the worker imports TensorFlow.js from the app's static files); a small file, fast
ORIGIN_PAGE = "app/static/tfjs/VENDOR.json"

CALL = """async ([src, runtime, msg]) => {
  const abs = Object.fromEntries(Object.entries(runtime).map(([k, v]) => [k, new URL(v, location.origin + '/').href]));
  const w = new Worker(new URL(src, location.origin + '/'), {type: 'module'});
  const next = () => new Promise((resolve) => { w.onmessage = (e) => resolve(e.data); });
  w.postMessage({cmd: 'init', runtime: abs});
  const ready = await next();
  if (ready.type !== 'ready') return ready;
  w.postMessage(msg);
  const out = await next();
  w.terminate();
  return {...out, backend: ready.backend};
}"""


def call(page, app_url: str, msg: dict, worker: str = WORKER_URL) -> dict:
    """``msg`` to a fresh worker of the module ``worker`` (the GAN's and critics', or the flow page's) -> its result."""
    page.goto(f"{app_url}/{ORIGIN_PAGE}")
    out = page.evaluate(CALL, [worker, trainer_runtime(), msg])
    assert out["type"] == "parity", out
    assert out["backend"] == "wasm"  # chromium runs the WebAssembly backend, the one visitors get
    return out["result"]


def wire(net: torch.nn.Module) -> list[dict]:
    """A torch MLP's linear layers as the worker keeps them: W as (in, out), flat."""
    return [{"inn": m.in_features, "out": m.out_features, "W": m.weight.detach().T.reshape(-1).tolist(),
             "b": m.bias.detach().tolist()} for m in net.modules() if isinstance(m, torch.nn.Linear)]


def assert_same(js: list[dict], net: torch.nn.Module) -> None:
    for got, want in zip(js, wire(net), strict=True):
        for key in ("W", "b"):
            diff = np.abs(np.asarray(got[key]) - np.asarray(want[key])).max()
            assert diff <= TOL, (key, diff)


def flat(x: torch.Tensor) -> list[float]:
    return x.reshape(-1).tolist()


def steep(net: torch.nn.Module, p: torch.Tensor, q: torch.Tensor) -> None:
    """Every weight times 3: a freshly initialised critic is so flat (gradient norms near 0.05) that the one-sided
    penalty is 0 and would be tested for nothing; here interpolations' gradients exceed 1."""
    with torch.no_grad():
        for m in net:
            if isinstance(m, torch.nn.Linear):
                m.weight.mul_(3)
    norms = gradient_penalty(lambda x: net(x).squeeze(-1), p, q, generator=torch.Generator().manual_seed(0))[1]
    assert (norms > 1).any()


@pytest.mark.parametrize("kind", cr.KINDS)
def test_a_critics_updates_match_dgm_core(page, app_url, kind):
    """One Adam update of the critics page's critic (2-128-128-128-1) at theta = 0.7. One: Adam divides each update
    by the gradient's size, so a weight whose gradient is at float32's rounding level (1e-8 here) moves by up to the
    learning rate either way, and after a second update such weights differ by more than 1e-5 between any two
    implementations (torch on another processor as well)."""
    cfg = cr.CriticConfig()
    net = cr.critic_mlp(cfg, torch.Generator().manual_seed(3))
    steep(net, *cr.sample_lines(0.7, cfg.batch, torch.Generator().manual_seed(5)))
    before = wire(net)
    g = torch.Generator().manual_seed(4)
    opt = torch.optim.Adam(net.parameters(), lr=cfg.lr)
    f = lambda x: net(x).squeeze(-1)  # noqa: E731
    batches, estimates = [], []
    for _ in range(1):
        p, q = cr.sample_lines(0.7, cfg.batch, g)
        t = torch.rand((cfg.batch, 1), generator=torch.Generator().set_state(g.get_state()))  # the penalty's draw
        batches.append({"p": flat(p), "q": flat(q), "t": flat(t) if kind == "wasserstein" else None})
        estimates.append(cr.critic_step(kind, f, opt, p, q, cfg.penalty_weight, g))
    js = call(page, app_url, {"cmd": "critic_update", "kind": kind, "critic": before, "batches": batches,
                              "lr": cfg.lr, "betas": [0.9, 0.999], "weight": cfg.penalty_weight})
    assert np.abs(np.asarray(js["estimates"]) - estimates).max() <= TOL, (js["estimates"], estimates)
    assert_same(js["critic"], net)


@pytest.mark.parametrize("kind", cr.KINDS)
@pytest.mark.parametrize("toy", ["ring", "lines"])
def test_a_gan_step_matches_dgm_core(page, app_url, kind, toy):
    """One generator step of the GAN page (two critic updates, then the generator's), from ToyGAN's own weights on
    the batches ToyGAN.step draws."""
    gan = tg.ToyGAN(tg.ToyConfig(toy=toy, objective=kind, lr=3e-3, critic_steps=2))
    cfg = gan.cfg
    fake = gan.gen(torch.randn(cfg.batch, 2, generator=torch.Generator().manual_seed(6))).detach()
    steep(gan.critic, tg.sample_toy(toy, cfg.batch, torch.Generator().manual_seed(5)), fake)
    gen0, crit0 = wire(gan.gen), wire(gan.critic)
    g = torch.Generator().set_state(gan.rng.get_state())  # replay ToyGAN.step's draws, in its order
    batches = []
    for _ in range(cfg.critic_steps):
        p = tg.sample_toy(toy, cfg.batch, g)
        zq = torch.randn(cfg.batch, 2, generator=g)
        t = torch.rand((cfg.batch, 1), generator=g) if kind == "wasserstein" else None
        batches.append({"p": flat(p), "zq": flat(zq), "t": flat(t) if t is not None else None})
    zg = torch.randn(cfg.batch, 2, generator=g)
    out = gan.step()
    js = call(page, app_url, {"cmd": "gan_update", "kind": kind, "gen": gen0, "critic": crit0, "batches": batches,
                              "zg": flat(zg), "lr": cfg.lr, "betas": [0.5, 0.9], "weight": cfg.penalty_weight})
    assert abs(js["estimates"][-1] - out.estimate) <= TOL and abs(js["gLoss"] - out.g_loss) <= TOL, (js, out)
    assert_same(js["critic"], gan.critic)
    assert_same(js["gen"], gan.gen)
