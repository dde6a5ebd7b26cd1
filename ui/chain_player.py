"""The inpainting page's chain player, drawn in the browser (a components-v2 panel: static/js/panels/chain_player.js,
ui/chain_player.css).

A run's snapshots go to the browser once, with the run: per picture (each sampler's chain 1 and its mean over the
chains) one PNG holding every snapshot stacked top to bottom, and each sampler's traces per iteration. A run computed
in the visitor's browser never sent its snapshots: the panel draws them from that page's own copy. Play, the
step slider and the speed are the browser's: playing sends nothing to the server and costs it nothing, so the
film keeps its rate however many students share the server.
"""
from __future__ import annotations

import hashlib

import torch

from dgm_core.demos.inpainting import BINARY, ChainTrace
from dgm_core.methods import INPAINTING
from ui import panels
from ui.imaging import data_url

SPEEDS = (6, 12, 24)  # pictures per second the visitor can choose
FPS = 12  # the default: a default run's 51 snapshots in about 4 s, long enough to follow the log-joint's climb

_panel = panels.component("dgm_chain_player", "chain_player", '<div class="cp"></div>')


def _sheet(frames: list[torch.Tensor]) -> str:
    """Snapshots (C, H, W) -> one PNG data URL with them stacked top to bottom."""
    return data_url(torch.cat([f.clamp(0, 1) for f in frames], dim=1))


def _finite(values: list[float]) -> list[float | None]:
    return [round(v, 5) if v == v and abs(v) != float("inf") else None for v in values]


def _range(series: list[list[float | None]], settle: bool) -> tuple[float, float]:
    """The y range of a chart: every value, or with ``settle`` those after the first tenth of the iterations (the
    first iterations from a noise fill sit far below where the chains settle), padded by a tenth."""
    kept = [v for ys in series for v in (ys[len(ys) // 10:] if settle else ys) if v is not None]
    if not kept:
        return 0.0, 1.0
    lo, hi = min(kept), max(kept)
    pad = 0.1 * (hi - lo) + 1e-6
    return lo - pad, hi + pad


def payload(traces: dict[str, ChainTrace], dataset: str, shape: tuple[int, ...], job: str = "") -> dict:
    """What the browser gets for one run of images of ``shape`` (C, H, W): the pictures, the traces, the charts'
    titles and ranges. The server's run sends its snapshots as sheets; the browser's (``job``: its snapshots stayed
    there, static/js/kit/own_runs.js) names each picture's method and which snapshots the panel draws from its own."""
    first = next(iter(traces.values()))
    channels, h, w = shape
    pictures, series = [], []
    for method, tr in traces.items():
        label = tr.label or INPAINTING.label(method)
        for which, title, frames in (("sample", "chain 1", tr.snapshot_sample), ("mean", "mean over chains",
                                                                                 tr.snapshot_mean)):
            pictures.append({"label": f"{label}: {title}", "sheet": _sheet(frames)} if frames else
                            {"label": f"{label}: {title}", "method": method, "which": which})
        series.append({"label": label, "colour": INPAINTING.colour(method),
                       "log_joint": _finite(tr.log_joint.mean(1).tolist()), "score": _finite(tr.score.tolist())})
    score = "F1 of the missing pixels" if BINARY[dataset] else "MSE of the missing pixels"
    charts = [{"key": "log_joint", "title": "log p(x, z) along the chains (mean over chains)",
               "ylabel": "log-joint (nats)", "settle": True}]
    if all(len(s["score"]) for s in series):
        charts.append({"key": "score", "title": f"{score} against iteration", "ylabel": score, "settle": False})
    for c in charts:
        c["lo"], c["hi"] = _range([s[c["key"]] for s in series], c.pop("settle"))
    out = {"steps": list(first.snapshot_steps), "iterations": int(first.log_joint.shape[0]), "height": int(h),
           "width": int(w), "channels": int(channels), "job": job, "pictures": pictures, "series": series,
           "charts": charts, "speeds": list(SPEEDS), "fps": FPS}
    # a new run is a new film; a rerun of the page with the same run keeps the browser's place in it
    out["id"] = hashlib.sha1(repr(sorted(out.items())).encode()).hexdigest()[:16]
    return out


def chain_player(data: dict, key: str) -> None:
    """The player for a run's ``payload`` (of its traces with snapshots; at least two of them)."""
    _panel(key=key, data=data)
