"""The latent explorer under AppTest: every model, every control, bad links; state in the URL; what the page sends
the browser, which runs the generator (the component's data), and the server's frames when the browser says it
cannot (its ``fallback`` state, set here as the browser sets it). The panels are drawn and dragged in chromium by
tests/e2e/test_latent.py; here slider values come from the URL, as a shared link gives them."""
import json

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.app import open_page

from dgm_core import pretrained
from dgm_core.demos import latent as demo
from dgm_core.demos.latent import MODELS

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "latent.py")
SHIPPED = [m for m in MODELS if m in {c.name for c in pretrained.list_cards()}]


def _page(**params) -> AppTest:
    return open_page("latent", "lat_", 180, **params)


def _q(at: AppTest, key: str) -> str:
    v = at.query_params.get("lat_" + key)
    return v[0] if isinstance(v, list) else v


def _captions(at: AppTest) -> list[str]:
    return [e.proto.imgs[0].caption for e in at.get("image")]


def _sent(at: AppTest) -> dict:
    """The data the page sent its one browser-drawn panel."""
    (panel,) = at.get("bidi_component")
    return json.loads(panel.proto.json)


def _tab(at: AppTest, name: str) -> AppTest:
    at.session_state["lat_tab"] = name
    return at.run()


def test_the_digits_caption_says_how_many_samples_are_recognisable_and_by_how_much_the_bar_is_missed():
    """From benchmarks/results/wgan.json: the share, the real digits' ceiling, and the gap to the bar (the card's
    width and steps say why); faces have no classifier, so no such sentence."""
    rec = json.loads((Path(PAGE).parents[1] / "benchmarks/results/wgan.json").read_text())
    share, bar = rec["digits"]["wgan-mnist"]["confident_share"], rec["targets"][
        "wgan-mnist digits labelled with confidence >= 0.9"]["bar"]
    (quality,) = [c.value for c in _page(model="wgan-mnist").caption if c.value.startswith("Sample quality")]
    assert f"Recognisable: {share:.0%} of the samples" in quality
    assert (f"{100 * (bar - share):.1f} points below the {bar:.0%} we aim for" in quality) == (share < bar)
    card = json.loads((Path(PAGE).parents[1] / "pretrained/wgan-mnist.json").read_text())
    assert f"{card['config']['hidden']} channels wide" in quality
    assert f"{card['metrics']['generator_iterations']:,} steps" in quality
    (faces,) = [c.value for c in _page(model="wgan-celeba").caption if c.value.startswith("Sample quality")]
    assert "Recognisable" not in faces


def test_the_why_of_a_missed_bar_is_the_share_along_the_run_when_its_checkpoints_were_measured():
    """bench wgan_progress's rows count only for the run that made the card (same recipe, same length); then the
    note gives the share at each checkpoint and the end, and says "still rising" only when every step rose."""
    from ui.latent_view import recognisable_note

    r = {"share": 0.72, "real": 0.94, "confidence": 0.9, "bar": 0.8}
    config = {"shape": [1, 28, 28], "latent": 64, "hidden": 64}
    card = {"config": config, "metrics": {"generator_iterations": 40000}}
    rows = [{"steps": 20282, "of": 40000, "confident_share": 0.6937},
            {"steps": 9155, "of": 40000, "confident_share": 0.657}]
    other_run = {"config": {**config, "hidden": 32}, "rows": [{**row, "confident_share": 0.5} for row in rows]}
    said = recognisable_note(r, card, [other_run, {"config": config, "rows": rows}])  # the card's run's document
    assert said.endswith(": the generator (64 channels wide) had 40,000 steps, and its share was still rising along "
                         "the run (66% at step 9,155, 69% at step 20,282, 72% at the end).")
    fell = recognisable_note({**r, "share": 0.68}, card, [{"config": config, "rows": rows}])
    assert "not rising throughout" in fell and "68% at the end" in fell
    for other in ([other_run],  # another recipe's run
                  [{"config": config, "rows": [{**row, "of": 20000} for row in rows]}],  # another length
                  [], None):
        said = recognisable_note(r, card, other)
        assert "along the run" not in said and said.endswith("the generator is small (64 channels wide, trained for "
                                                             "40,000 steps).")
    assert "along the run" not in recognisable_note({**r, "share": 0.85}, card, [{"config": config, "rows": rows}])
    deep = {**card, "config": {**config, "extra_layers": 1}}  # a run with an extra layer says so
    assert "(64 channels wide, with 1 extra 3×3 layer) had 40,000 steps" in recognisable_note(
        r, deep, [{"config": {**config, "extra_layers": 1}, "rows": rows}])


@pytest.mark.parametrize("model", SHIPPED)
def test_every_model_shows_samples_grid_and_interpolation(model):
    at = _page(model=model)
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert len(at.image) >= 1  # the samples
    assert at.button(key="lat_reset") and at.get("download_button")
    sent = _sent(at)
    card = pretrained.load_card(model)
    assert sent["mode"] == "browser" and sent["model"] == f"app/{card.browser['onnx']}?v={card.browser['sha256'][:12]}"
    assert len(sent["dirs"]) == 5 and "frames" not in sent  # the browser draws: no server frames
    at = _tab(at, "Perturbation grid")
    assert not at.exception and any("ε = −5 … 4" in m.value for m in at.markdown)
    assert _sent(at)["mode"] == "grid" and _sent(at)["eps"] == list(range(-5, 5))
    at = _tab(at, "Interpolation")
    assert not at.exception
    assert _captions(at)[1:] == ["latent lerp", "latent slerp", "pixel blend"]
    assert _sent(at)["mode"] == "interp" and _sent(at)["alpha"] == 0.5


def test_controls_live_in_the_url_and_a_link_restores_them():
    at = _page(model=SHIPPED[0], seed=7, dirs="2,0", vals="1.5,-2")
    assert not at.exception and not at.warning, [w.value for w in at.warning]
    assert at.multiselect[0].value == [2, 0]
    assert _q(at, "vals") == "1.5,-2" and _q(at, "seed") == "7"
    at.number_input(key="lat_seed").set_value(8).run()
    assert not at.exception and _q(at, "seed") == "8"
    at.multiselect[0].select(3).run()  # a third direction joins at 0, the others keep their values
    assert _q(at, "dirs") == "2,0,3" and _q(at, "vals") == "1.5,-2,0"
    at.radio(key="lat_kind").set_value("raw").run()
    assert not at.exception and _q(at, "kind") == "raw"
    at.button(key="lat_reset").click().run()
    assert not at.exception and set(_q(at, "vals").split(",")) == {"0"}


def test_the_interpolation_in_the_browser_takes_seed_b_and_alpha_from_the_link():
    at = _tab(_page(model=SHIPPED[0], alpha=0.3), "Interpolation")
    at.number_input(key="lat_seed_b").set_value(3).run()
    assert not at.exception and _q(at, "seed_b") == "3" and _q(at, "alpha") == "0.3"
    sent = _sent(at)
    ex = demo.build(SHIPPED[0], pretrained.load(SHIPPED[0])[0])
    assert sent["z1"] == pytest.approx(demo.base_latent(ex, 3).tolist()) and sent["alpha"] == 0.3


def test_a_browser_that_cannot_run_the_generator_gets_the_servers_frames_and_player():
    at = _page(model=SHIPPED[0])
    at.session_state["lat_panel"] = {"fallback": "this browser cannot run WebAssembly", "values": [0.0] * 5}
    at.run()
    assert not at.exception
    sent = _sent(at)
    assert sent["mode"] == "server" and len(sent["frames"]) == 5 and "cannot run WebAssembly" in sent["note"]
    at = _tab(at, "Perturbation grid")  # the other panels follow the one that failed
    assert not at.exception and not at.get("bidi_component")
    assert any("Drawn by the server" in c for c in _captions(at))
    at = _tab(at, "Interpolation")
    assert "latent slerp, α = 0.5" in _captions(at)
    at.select_slider(key="lat_alpha").set_value(0.3).run()
    assert not at.exception and _q(at, "alpha") == "0.3"
    assert "latent slerp, α = 0.3" in _captions(at)
    at.button(key="lat_play").click().run()
    assert not at.exception


@pytest.mark.parametrize("params, needle", [
    ({"dirs": "a,b"}, "Directions to move `a,b` is not a list of whole numbers"),
    ({"vals": "1,nan"}, "slider values `1,nan` is not a list of numbers between -5 and 5"),
    ({"seed": "-4"}, "Seed of z `-4` is not between 0 and 1000000; the page uses 0"),
    ({"model": "gan-of-nothing"}, "Generator `gan-of-nothing` is not one of"),
])
def test_a_bad_link_is_one_sentence_and_the_page_still_works(params, needle):
    at = _page(**params)
    assert not at.exception
    assert any(needle in w.value for w in at.warning), [w.value for w in at.warning]


def test_an_absurd_slider_value_is_one_sentence():
    at = _page(model=SHIPPED[0], vals="1e9,0,0,0,0")
    assert not at.exception
    assert any("slider values `1e9,0,0,0,0` is not a list of numbers between -5 and 5; the page uses 0, 0, 0, 0, 0"
               in w.value for w in at.warning), [w.value for w in at.warning]


def test_directions_are_named_the_grid_labels_its_epsilons_and_the_critic_says_its_pixel_range():
    import io

    import numpy as np
    from PIL import Image

    from dgm_core.demos import latent as demo
    from ui import latent_view as v

    wgan = next(m for m in SHIPPED if m.startswith("wgan"))
    at = _page(model=wgan, kind="pca")
    assert not at.exception
    ex = v.explorer(wgan)
    assert at.multiselect[0].format_func(0) == f"PC 1 ({ex.pcs.explained[0]:.0%})"  # a chip, short
    assert ex.directions("pca", [0]).names == [f"PC 1 ({ex.pcs.explained[0]:.0%} of variance)"]  # its slider, long
    grid = demo.perturbation_grid(ex, 0, ex.directions("pca", [0, 1]))
    bare = Image.open(io.BytesIO(v.png_bytes(v.stack_rows([v.pil_row(r, 2) for r in grid]))))
    pic = np.asarray(Image.open(io.BytesIO(v.grid_picture(grid, 2, ex.directions("pca", [0, 1]).names))).convert("L"))
    assert pic.shape[0] > bare.height and pic.shape[1] > bare.width  # a header of ε and a column of names
    assert (pic[:20] < 128).any()  # the header's text is drawn
    at = _tab(at, "Interpolation")
    assert not at.exception
    assert any("[−1, 1]" in c.value and "twice" in c.value for c in at.caption)


def test_another_generator_opens_on_the_seed_bench_wgan_chose_for_it():
    wgans = [m for m in SHIPPED if demo.measured(m).get("opening_seed") is not None]
    if len(wgans) < 2 or len({demo.measured(m)["opening_seed"] for m in wgans}) < 2:
        pytest.skip("needs two shipped WGANs with different opening seeds in benchmarks/results/wgan.json")
    a, b = wgans[:2]
    at = _page(model=a, seed=demo.measured(a)["opening_seed"])
    at.selectbox(key="lat_model").set_value(b).run()
    assert not at.exception and _q(at, "seed") == str(demo.measured(b)["opening_seed"])
