"""The class's own experiment (a deck step's "experiment": "inpaint"): what a phone is sent to run
(ui.class_pictures.experiment_spec, kept by server.class_deck), and the rule that gives a slow phone its chain (bench
class_experiment)."""
from __future__ import annotations

import math
from pathlib import Path
from urllib.parse import parse_qsl, urlparse

import pytest

from benchmarks.class_experiment import BUDGET_S, QUANTUM, chain_for
from dgm_core import masks, results
from ui import deck
from ui.class_pictures import EXPERIMENT_METHODS, experiment_spec

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("a, b, page, want", [
    (1.0, 0.02, 300, 200),  # 1 + 0.02 * 200 = 5: exactly the budget
    (1.0, 0.021, 300, 175),  # 190 steps fit: down to a multiple of 25
    (0.5, 0.001, 300, 300),  # the page's chain fits: never longer
    (6.0, 0.01, 300, QUANTUM),  # nothing fits: the shortest chain, said on the phone
])
def test_a_phones_chain_is_the_longest_that_fits_the_budget(a, b, page, want):
    steps = [50, 150, 300]
    chain, fa, fb = chain_for(steps, [a + b * s for s in steps], page)
    assert chain == want and math.isclose(fa, a, abs_tol=1e-9) and math.isclose(fb, b, abs_tol=1e-12)
    assert chain == QUANTUM or fa + fb * chain <= BUDGET_S + 1e-9


def test_the_lectures_experiments_are_what_a_phone_can_run():
    lecture = deck.shipped(deck.page_files())["lecture"]
    steps = [s for s in lecture.steps if s.experiment == "inpaint"]
    assert steps
    try:
        phone = results.phone_steps()
    except results.ResultsError:
        phone = {}
    for s in steps:
        spec = experiment_spec(dict(parse_qsl(s.link)))
        c, h, w = spec["shape"]
        assert len(spec["image"]) == c * h * w and spec["methods"] == list(EXPERIMENT_METHODS)
        assert spec["hole"] == list(masks.HOLE_GREY)  # the phone draws a hole as the slides do
        image = spec["image"]
        assert set(image) <= {0.0, 1.0} if spec["binary"] else 0 <= min(image) <= max(image) <= 1
        steps_ = spec["settings"]["steps"]
        assert steps_ == min(phone.get(spec["dataset"], spec["page_steps"]), spec["page_steps"])
        assert spec["settings"]["burn_in"] < steps_ and str(steps_) in spec["chain"]
        for url in [*(spec["models"]["vae"][k] for k in ("encoder", "decoder", "gradient")), spec["worker"]]:
            path = urlparse(url).path.removeprefix("app/")  # Streamlit serves static/ at app/static/
            assert (ROOT / path).is_file(), url
        assert ".half.onnx" in spec["models"]["vae"]["decoder"]  # a phone fetches half-precision weights


def test_a_stale_experiment_is_written_again(tmp_path, monkeypatch):
    """A step's experiment.json names the models' current exports: Present writes it again where it changed (a model
    exported since, a new phone chain), leaving the drawn pictures alone."""
    import json

    from server import class_deck, rooms
    from ui.class_pictures import draw_deck

    monkeypatch.setenv("DGM_CLASS_DIR", str(tmp_path))
    lecture = deck.as_dict(deck.shipped(deck.page_files())["lecture"])
    k = next(i for i, s in enumerate(lecture["steps"]) if s.get("experiment"))
    one = {**lecture, "steps": [lecture["steps"][k]]}
    h = rooms.deck_hash(one)
    folder = class_deck.step_dir(h, 0)
    folder.mkdir(parents=True)
    (folder / "step.json").write_text(json.dumps({"note": "drawn", "pictures": []}))  # drawn: not drawn again
    want = experiment_spec(dict(parse_qsl(one["steps"][0]["link"])))
    stale = {**want, "models": {"vae": {**want["models"]["vae"], "decoder": "app/static/models/gone.onnx"}}}
    class_deck.write_experiment(h, 0, stale)
    assert draw_deck(one, h) == [{"note": "drawn", "pictures": []}]
    assert class_deck.experiment(h, 0) == want


def test_the_lectures_latent_experiment_draws_the_pages_picture():
    """A latent step's experiment: its generator's ONNX file, run (onnxruntime) at the spec's z0 moved along its
    directions, draws what the latent page's own generator draws there (within the export's tolerance)."""
    import numpy as np
    import torch

    from dgm_core import export
    from dgm_core.demos import latent as demo
    from ui import slides
    from ui.class_pictures import latent_spec
    from ui.latent_view import explorer

    lecture = deck.shipped(deck.page_files())["lecture"]
    steps = [s for s in lecture.steps if s.experiment == "latent"]
    assert steps
    for s in steps:
        spec = latent_spec(dict(parse_qsl(s.link)))
        assert spec["kind"] == "latent" and len(spec["dirs"]) == len(spec["names"]) == len(spec["values"]) > 0
        assert all(len(d) == len(spec["z0"]) for d in spec["dirs"]) and spec["lo"] < 0 < spec["hi"]
        path = ROOT / urlparse(spec["model"]).path.removeprefix("app/")
        values = np.linspace(spec["lo"], spec["hi"], len(spec["dirs"]))
        z = np.asarray(spec["z0"]) + values @ np.asarray(spec["dirs"])
        got = export.run_onnx(path, z[None].astype(np.float32))
        values_ = slides.link_values(demo, dict(parse_qsl(s.link)))
        ex = explorer(values_["model"])
        assert np.abs(np.asarray(spec["z0"]) - demo.base_latent(ex, values_["seed"]).numpy()).max() <= 1e-6
        with torch.no_grad():
            want = ex.gen.generate(torch.tensor(z[None], dtype=torch.float32)).numpy()
        assert list(got.shape[1:]) == spec["shape"] and np.abs(got - want).max() <= 1e-3
