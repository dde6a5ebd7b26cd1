"""ui.chain_player.payload: what the browser's chain player gets for a run. Every snapshot comes back from its
picture's stacked PNG (to the byte a PNG keeps), the charts' ranges hold the values they must show, and the film's
id is the run's: the same run keeps it (a rerun of the page keeps the browser's place), a new run changes it.
The browser's side (Play, the slider, the marker, no message to the server) is tests/e2e/test_inpainting.py's."""
from __future__ import annotations

import base64
import io

import numpy as np
import torch
from PIL import Image

from dgm_core.demos.inpainting import ChainTrace
from dgm_core.methods import INPAINTING
from ui.chain_player import FPS, SPEEDS, payload


def _trace(seed: int, channels: int, n: int = 5, size: int = 8) -> ChainTrace:
    g = torch.Generator().manual_seed(seed)
    T = 40
    return ChainTrace(log_joint=-100 + torch.randn(T, 3, generator=g).cumsum(0),
                      accepted=torch.ones(T, 3, dtype=torch.bool),
                      score=torch.rand(T, generator=g), snapshot_steps=[1 + 8 * i for i in range(n)],
                      snapshot_mean=[torch.rand(channels, size, size, generator=g) for _ in range(n)],
                      snapshot_sample=[torch.rand(channels, size, size, generator=g) for _ in range(n)])


def _frames(sheet: str, n: int) -> np.ndarray:
    png = base64.b64decode(sheet.split(",", 1)[1])
    a = np.asarray(Image.open(io.BytesIO(png)), dtype=np.float64) / 255
    a = a if a.ndim == 3 else a[..., None]
    return a.reshape(n, a.shape[0] // n, a.shape[1], a.shape[2])


def test_every_snapshot_comes_back_from_its_stacked_picture():
    for channels, dataset in ((1, "mnist"), (3, "celeba")):
        traces = {"mwg": _trace(0, channels), "pseudo_gibbs": _trace(1, channels)}
        got = payload(traces, dataset, (channels, 8, 8))
        assert (got["height"], got["width"]) == (8, 8) and got["steps"] == [1, 9, 17, 25, 33]
        assert [p["label"] for p in got["pictures"]] == [
            f"{INPAINTING.label(m)}: {what}" for m in traces for what in ("chain 1", "mean over chains")]
        for p, frames in zip(got["pictures"], (traces["mwg"].snapshot_sample, traces["mwg"].snapshot_mean,
                                               traces["pseudo_gibbs"].snapshot_sample,
                                               traces["pseudo_gibbs"].snapshot_mean)):
            want = torch.stack(frames).permute(0, 2, 3, 1).numpy()
            assert np.abs(_frames(p["sheet"], 5) - want).max() <= 0.5 / 255 + 1e-9


def test_the_charts_hold_their_values_and_the_log_joint_its_settled_part():
    traces = {"mwg": _trace(0, 1)}
    got = payload(traces, "mnist", (1, 8, 8))
    lj, score = got["charts"]
    assert (lj["key"], score["key"]) == ("log_joint", "score") and "F1" in score["title"]
    values = traces["mwg"].log_joint.mean(1)
    settled = values[len(values) // 10:]
    assert lj["lo"] < float(settled.min()) and lj["hi"] > float(settled.max())
    assert score["lo"] < float(traces["mwg"].score.min()) and score["hi"] > float(traces["mwg"].score.max())
    assert got["series"][0]["log_joint"] == [round(v, 5) for v in values.tolist()]
    assert "MSE" in payload(traces, "celeba", (1, 8, 8))["charts"][1]["title"]
    assert FPS in SPEEDS and got["fps"] == FPS


def test_a_rerun_keeps_the_film_and_a_new_run_changes_it():
    film = lambda seed: payload({"mwg": _trace(seed, 1)}, "mnist", (1, 8, 8))["id"]  # noqa: E731
    assert film(0) == film(0) and film(0) != film(2)


def test_a_run_computed_in_the_browser_sends_no_pictures_but_where_the_page_keeps_them():
    """The browser's run never sent its snapshots (server.manifest.KEPT_IN_BROWSER): each picture names its method
    and which snapshots the panel draws from that page's own copy, under the job's id."""
    here = _trace(0, 3)
    here.snapshot_mean, here.snapshot_sample = [], []
    got = payload({"mwg": here}, "celeba", (3, 8, 8), job="abc")
    assert got["job"] == "abc" and got["channels"] == 3 and not any("sheet" in p for p in got["pictures"])
    assert [(p["method"], p["which"]) for p in got["pictures"]] == [("mwg", "sample"), ("mwg", "mean")]
    assert got["steps"] == [1, 9, 17, 25, 33]
