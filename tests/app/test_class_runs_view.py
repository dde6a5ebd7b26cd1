"""The projector's pooled view of the class's own experiment (ui/class_runs_view.py) under AppTest: before any run it
says so; with runs, the count, the paired difference with its SE and wins as class_runs.pooled computes them, the
strip of differences and the wall of masks; and the headline's words in closed form."""
from __future__ import annotations

import io
import json

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from server import class_deck, class_runs, rooms
from server.poll_routes import store
from tests.server.test_class_runs import DECK, METHODS, SPEC, TRUTH, run
from ui import class_runs_view


def view(code: str, step: int) -> None:
    from ui.class_runs_view import panel

    panel(code, step)


@pytest.fixture
def lecture(tmp_path, monkeypatch):
    monkeypatch.setenv("DGM_POLL_DIR", str(tmp_path / "poll"))
    monkeypatch.setenv("DGM_CLASS_DIR", str(tmp_path / "class"))
    lec = rooms.open_lecture(store(), "pooled", DECK)
    class_deck.write_experiment(lec.deck_hash, 1, SPEC)
    rooms.move(store(), lec.code, lec.key, 1, True)
    return lec


def test_no_runs_yet_then_the_class_pooled(lecture):
    at = AppTest.from_function(view, args=(lecture.code, 1), default_timeout=60)
    at.run()
    assert not at.exception and [i.value for i in at.info] == [class_runs_view.EMPTY]
    rng = np.random.default_rng(1)
    for i in range(5):
        mask = "".join(rng.choice(["0", "1"], 784))
        fills = {"mwg": TRUTH.tolist(), "pseudo_gibbs": np.where(rng.random(784) < 0.2 * i, 0, TRUTH).tolist()}
        class_runs.submit(store(), lecture.code, run(store().join(lecture.code)["token"], fills, mask))
    at.run()
    p = class_runs.pooled(store(), lecture.code, 1)
    count, diff = class_runs_view.headline(p)
    text = " ".join(m.value for m in at.markdown)
    assert not at.exception and not at.info and count in text and diff in text and count == "5 runs from the class"
    assert diff.startswith(f"exact sampler − pseudo-Gibbs: {p['diff_mean']:+.2f} ± {p['diff_se']:.2f} F1 (SE); "
                           f"the exact sampler better on {p['wins']} of 5 masks")
    strip = json.loads(at.get("plotly_chart")[0].proto.spec)["data"][0]
    assert strip["x"] == pytest.approx(p["diffs"])


def test_the_headline_and_the_wall_in_closed_form():
    p = {"n": 25, "methods": METHODS, "labels": SPEC["labels"], "metric": "F1", "diff_mean": 0.0512,
         "diff_se": 0.0123, "wins": 18}
    assert class_runs_view.headline(p) == ("25 runs from the class", "exact sampler − pseudo-Gibbs: +0.05 ± 0.01 F1 "
                                           "(SE); the exact sampler better on 18 of 25 masks")
    one = class_runs_view.headline({**p, "n": 1, "diff_se": None, "wins": 0, "diff_mean": -0.2})
    assert one == ("1 run from the class", "exact sampler − pseudo-Gibbs: -0.20 F1; the exact sampler better on 0 of "
                   "1 mask")
    masks = ["1" * 392 + "0" * 392, "0" * 783 + "1", "10" * 392]
    img = np.asarray(Image.open(io.BytesIO(class_runs_view.wall(masks, [1, 28, 28], columns=2, scale=1))))
    assert img.shape == (2 * 30, 2 * 30)
    assert (img[1:15, 1:29] == 255).all() and (img[15:29, 1:29] == 0).all()  # top half seen, bottom hidden
    assert img[28, 30 + 28] == 255 and (img[1:28, 31:59] == 0).all()  # the second: only its last pixel seen
    assert img[31, 1] == 255 and img[31, 2] == 0 and (img[30 + 1:, 30:] == 160).all()  # the third; an empty cell
