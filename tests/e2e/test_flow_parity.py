"""The flow-matching page's trainer (static/js/workers/flow_train.worker.js, TensorFlow.js in a Web Worker of chromium)
against dgm_core.models.flow2d, its reference: from the same weights on the same batches (drawn here by torch, sent to
the worker) the losses and the weights after Adam's updates, at a constant rate and along the cosine schedule, agree
within 1e-5; from the same weights the paths of the same noise (one Heun step per frame) and the velocity field on
the same grid agree within 1e-4. A change to either side's network, loss, optimiser, schedule or integrator breaks
them."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from dgm_core.demos import flow2d as demo
from dgm_core.models import flow2d as f
from ui.trainer import FLOW_WORKER_URL, trainer_runtime

from .test_browser_train import call as browser_call
from .test_browser_train import ORIGIN_PAGE, flat, wire

TOL, PATH_TOL = 1e-5, 1e-4


def call(page, app_url: str, msg: dict) -> dict:
    return browser_call(page, app_url, msg, FLOW_WORKER_URL)


def trained(steps: int = 300) -> f.VelocityMLP:
    """A network a few hundred steps into learning the ring: its field is strong and bends (a fresh one's is
    nearly flat, and any integrator would follow it)."""
    return f.train(f.FlowConfig(steps=steps, seed=1), torch.from_numpy(demo.pool("ring")))[0]


@pytest.mark.parametrize("schedule", [False, True], ids=["constant", "cosine"])
def test_adam_updates_match_dgm_core(page, app_url, schedule):
    cfg = f.FlowConfig(steps=3)
    g = torch.Generator().manual_seed(4)
    net = f.velocity_mlp(cfg, g)
    before = wire(net)
    opt = torch.optim.Adam(net.parameters(), lr=cfg.lr)
    pool = torch.from_numpy(demo.pool("moons"))
    batches, losses = [], []
    for step in range(1, cfg.steps + 1):
        x1 = f.sample_pool(pool, cfg.batch, 0.05, g)
        x0, t = torch.randn(cfg.batch, 2, generator=g), torch.rand(cfg.batch, generator=g)
        batches.append({"x1": flat(x1), "x0": flat(x0), "t": flat(t)})
        losses.append(f.flow_step(net, opt, x1, x0, t, f.learning_rate(cfg, step) if schedule else cfg.lr))
    msg = {"cmd": "flow_update", "net": before, "lr": cfg.lr, "batches": batches}
    if schedule:
        msg.update(lr_floor=cfg.lr_floor, steps_total=cfg.steps)
    js = call(page, app_url, msg)
    assert np.abs(np.asarray(js["losses"]) - losses).max() <= TOL, (js["losses"], losses)
    for got, want in zip(js["net"], wire(net), strict=True):
        for key in ("W", "b"):
            diff = np.abs(np.asarray(got[key]) - np.asarray(want[key])).max()
            assert diff <= TOL, (key, diff)


def test_paths_and_field_match_dgm_core(page, app_url):
    net = trained()
    z, grid = demo.display_z(3), demo.grid()
    paths = f.integrate(net, z, demo.FRAMES).numpy()
    field = torch.stack([f.field(net, grid, k / demo.FRAMES) for k in range(demo.FRAMES + 1)]).numpy()
    assert np.abs(paths[-1] - paths[0]).mean() > 0.5  # the points travel: the test has something to see
    js = call(page, app_url, {"cmd": "flow_paths", "net": wire(net), "z": flat(z), "grid": flat(grid),
                              "frames": demo.FRAMES})
    got_paths = np.asarray(js["paths"], dtype=np.float32).reshape(paths.shape)
    got_field = np.asarray(js["field"], dtype=np.float32).reshape(field.shape)
    assert np.abs(got_paths - paths).max() <= PATH_TOL, np.abs(got_paths - paths).max()
    assert np.abs(got_field - field).max() <= PATH_TOL, np.abs(got_field - field).max()


# the page's job in one worker: every message until the end, typed arrays by their length; `then` (optional) is
# posted after the first 'flow_progress'
JOB = """async ([src, runtime, job, then]) => {
  const abs = Object.fromEntries(Object.entries(runtime).map(([k, v]) => [k, new URL(v, location.origin + '/').href]));
  const w = new Worker(new URL(src, location.origin + '/'), {type: 'module'});
  await new Promise((r) => { w.onmessage = r; w.postMessage({cmd: 'init', runtime: abs}); });
  const msgs = []; let last = null; let sent = false;
  await new Promise((resolve) => {
    w.onmessage = ({data}) => {
      msgs.push({type: data.type, step: data.step, loss: data.loss, seconds: data.seconds, message: data.message,
                 paths: data.paths ? data.paths.length : null, field: data.field ? data.field.length : null});
      if (data.paths) last = Array.from(data.paths.subarray(data.paths.length - job.z.length));
      if (data.type === 'flow_progress' && then && !sent) { sent = true; w.postMessage(then); }
      if (['flow_done', 'flow_stopped', 'error'].includes(data.type)) resolve();
    };
    w.postMessage({cmd: 'flow', job});
  });
  w.terminate();
  return {msgs, last};
}"""


def run_job(page, app_url: str, job: dict, then: dict | None = None) -> dict:
    page.goto(f"{app_url}/{ORIGIN_PAGE}")
    return page.evaluate(JOB, [FLOW_WORKER_URL, trainer_runtime(), job, then])


def test_a_job_sends_its_film_as_it_learns_and_reaches_the_data(page, app_url):
    job = demo.browser_job("ring", None, 300, 0)
    out = run_job(page, app_url, job)
    frames = job["cfg"]["frames"] + 1
    assert [(m["type"], m["step"]) for m in out["msgs"]] == [("flow_progress", 100), ("flow_progress", 200),
                                                            ("flow_done", 300)]
    assert all(m["paths"] == frames * len(job["z"]) and m["field"] == frames * len(job["grid"]) for m in out["msgs"])
    assert out["msgs"][-1]["seconds"] > 0 and all(0 < m["loss"] < 5 for m in out["msgs"])
    radius = np.linalg.norm(np.asarray(out["last"]).reshape(-1, 2), axis=1)  # the browser's own draws, same lesson
    assert np.median(np.abs(radius - 2)) < 0.15


def test_a_stop_ends_a_job_and_a_new_job_replaces_one(page, app_url):
    job = demo.browser_job("moons", None, 800, 0)
    stopped = run_job(page, app_url, job, {"cmd": "stop"})["msgs"]  # stopped a step or so after its first report
    assert {m["type"] for m in stopped[:-1]} == {"flow_progress"} and stopped[-1]["type"] == "flow_stopped"
    assert 100 <= stopped[-1]["step"] < 800
    short = demo.browser_job("lines", None, 300, 1)
    replaced = [(m["type"], m["step"]) for m in run_job(page, app_url, job, {"cmd": "flow", "job": short})["msgs"]]
    # the first job's reports until the second arrived, then only the second's
    assert replaced[-3:] == [("flow_progress", 100), ("flow_progress", 200), ("flow_done", 300)]
    assert replaced[:-3] == [("flow_progress", 100 * (i + 1)) for i in range(len(replaced) - 3)]
    empty = run_job(page, app_url, demo.browser_job(demo.DRAWN, None, 300, 0))["msgs"]
    assert empty == [{"type": "error", "message": "there are no data points to train on", "step": None,
                      "loss": None, "seconds": None, "paths": None, "field": None}]
