"""The VAE page under AppTest: every control, every shipped binary VAE, bad input; state in the URL.
(The canvas and plotly selections are invisible to AppTest: tests/e2e/test_vae.py draws and selects.)"""
import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from tests.app import open_page

from ui.vae_view import MODELS
from dgm_core import pretrained, results

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "vae.py")
SHIPPED = [m for m in MODELS if m in {c.name for c in pretrained.list_cards()}]


def _page(**params) -> AppTest:
    return open_page("vae", "vae_", **params)


def _png(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="PNG")
    return buf.getvalue()


@pytest.mark.parametrize("model", SHIPPED)
def test_every_model_shows_reconstructions_bounds_and_map(model):
    at = _page(model=model, kmax=100)
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert len(at.image) >= 7  # the digit, its reconstruction, four draws, the prior samples
    at.session_state["vae_tab"] = "Bound against K"
    at.run()
    assert not at.exception
    assert any(m.label.endswith("L_100") for m in at.metric), [m.label for m in at.metric]
    at.session_state["vae_tab"] = "Latent map"
    at.run()
    assert not at.exception
    assert any("t-SNE" in c.value and "distances or areas" in c.value for c in at.caption)


def test_the_pictures_come_first_and_the_cards_provenance_is_in_an_expander():
    at = _page(model=SHIPPED[0])
    assert not at.exception
    (where,) = [e for e in at.expander if e.label == "Where these numbers come from"]
    said = " ".join(c.value for c in where.caption)
    assert f"card of `{SHIPPED[0]}`" in said and "Test log p(x)" in said
    if MODELS[SHIPPED[0]] == "mnist":
        ref = results.published()["sections"]["vae"]  # the figure and its source from the one file that holds them
        assert f"The published figure is on other data: {ref['reference']['test_log_lik']} nats" in said
        assert ref["published"] in said
    # the title, the controls, the pictures' tabs, then where the numbers come from; no caption speaks of the card
    # anywhere else
    kinds = [c.type for c in at.main.children.values()]
    assert kinds.index("tab_container") < kinds.index("expander")
    assert sum("card of" in c.value for c in at.caption) == 1


def test_controls_change_the_view_and_live_in_the_url():
    at = _page(model=SHIPPED[0], idx=3, seed=2)
    at.session_state["vae_tab"] = "Bound against K"
    at.run()
    before = at.metric[0].value
    at.number_input(key="vae_idx").set_value(4).run()
    assert not at.exception and at.query_params["vae_idx"] in ("4", ["4"])
    assert at.metric[0].value != before  # another digit, another bound
    at.select_slider(key="vae_kmax").set_value(1000).run()
    assert not at.exception and any(m.label.endswith("L_1000") for m in at.metric)
    assert at.query_params["vae_kmax"] in ("1000", ["1000"])
    at.session_state["vae_tab"] = "Reconstructions and samples"
    at.run()
    at.number_input(key="vae_seed").set_value(5).run()
    assert not at.exception and at.query_params["vae_seed"] in ("5", ["5"])


def test_bad_link_values_and_an_absurd_k_are_one_sentence():
    at = _page(kmax=999999, model="nope", idx=-3)
    assert not at.exception
    assert sum("the page uses" in w.value for w in at.warning) == 3
    assert at.session_state["vae_kmax"] == 5000 and at.session_state["vae_idx"] == 0


def test_an_upload_that_is_not_an_image_or_not_a_digit_is_reported():
    at = _page()
    at.radio(key="vae_src").set_value("Upload").run()
    at.file_uploader(key="vae_upload").set_value(("notes.txt", b"not an image", "text/plain")).run()
    assert not at.exception and len(at.error) == 1
    at.file_uploader(key="vae_upload").set_value(("white.png", _png(np.full((40, 40), 255, np.uint8)),
                                                  "image/png")).run()
    assert not at.exception
    # a white square converts to a blank or a full frame: either way not digit-like, and the page goes on
    assert any("does not look like" in w.value for w in at.warning) or any("blank" in e.value.lower()
                                                                          for e in at.error)


def test_an_empty_drawing_asks_for_a_digit():
    at = _page(src="Draw")
    assert not at.exception
    assert any("canvas is empty" in i.value for i in at.info)


@pytest.mark.parametrize("labelled, kind", [(True, "tsne"), (False, "tsne"), (True, "latent")])
def test_the_map_draws_a_drawn_digit_as_a_star_beside_the_classes(labelled, kind):
    """A drawn or uploaded digit (``extra``) joins the map, with or without class colours (AppTest cannot draw,
    so the figure is built here as the page builds it)."""
    from types import SimpleNamespace

    from ui.vae_view import map_figure

    xy = np.random.default_rng(0).normal(size=(30, 2))
    labels = np.arange(30) % 10 if labelled else None
    fig = map_figure(SimpleNamespace(xy=xy, kind=kind), labels, 3, np.array([[0.5, -0.5]]))
    # a t-SNE's coordinates have no unit: no ticks to read distances from; a 2-D latent space is drawn as it is
    assert fig.layout.xaxis.title.text == ("t-SNE 1" if kind == "tsne" else "z1")
    assert fig.layout.xaxis.showticklabels is (kind == "latent")
    names = [t.name for t in fig.data]
    assert names[-1] == "your digit" and fig.data[-1].marker.symbol == "star"
    assert len(names) == (10 if labelled else 1) + 2  # classes (or one cloud), the chosen ring, the star


def test_the_omniglot_map_speaks_of_characters_and_says_what_its_t_sne_keeps():
    from ui import vae_view as v

    at = _page(model="vae-omniglot", kmax=100)
    at.session_state["vae_tab"] = "Latent map"
    at.run()
    assert not at.exception
    said = next(c.value for c in at.caption if "t-SNE" in c.value)
    assert "digit" not in said and "characters inside" in said
    lm = v.latent_map("vae-omniglot")
    assert lm.kind == "tsne" and f"{lm.neighbours_kept:.0%} on average" in said and "distances or areas" in said
    assert not any("digits look like" in m.value for m in at.markdown)
