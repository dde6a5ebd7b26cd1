"""The clusters page under AppTest: it opens on the shipped model's two t-SNE maps and its card's figures,
every control and tab works, a selection in the URL shows those digits, bad link values fall back with a
warning. Needs no data directory (without MNIST the selection shows decoded codes)."""
from pathlib import Path

from streamlit.testing.v1 import AppTest

from dgm_core import pretrained

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "clusters.py")


def _app() -> AppTest:
    return AppTest.from_file(PAGE, default_timeout=90)


def test_page_opens_on_both_maps_and_the_cards_figures():
    at = _app().run()
    assert not at.exception and not at.error
    assert at.title[0].value.startswith("Clusters")
    assert len(at.get("plotly_chart")) == 2  # round 0 and the last round
    card = pretrained.load_card("vae-gmm-mnist")
    text = " ".join(m.value for m in at.markdown)
    assert f"{card.metrics['test_accuracy_round0']:.3f} → {card.metrics['test_accuracy_last']:.3f}" in text
    assert any("Each cluster" in c.value for c in at.caption)  # the cards tab is open by default


def test_every_control_and_tab_works_and_lands_in_the_url():
    at = _app().run()
    at.radio(key="cl_colour").set_value("label").run()
    at.radio(key="cl_split").set_value("train").run()
    at.radio(key="cl_perp").set_value(1).run()
    assert not at.exception
    params = dict(at.query_params)
    assert params["cl_colour"] in ("label", ["label"]) and params["cl_split"] in ("train", ["train"])
    for tab in ("Confusion matrix", "Per round", "About t-SNE", "Cluster cards"):
        at.session_state["cl_tab"] = tab
        at.run()
        assert not at.exception, tab
    at.radio(key="cl_round").set_value("0").run()
    assert not at.exception and any("Each cluster" in c.value for c in at.caption)


def test_a_selection_in_the_link_shows_those_digits_and_clears():
    at = _app()
    at.query_params["cl_sel"] = "3,1,4"
    at.run()
    assert not at.exception
    assert any(m.value.startswith("**3 selected**") for m in at.markdown)
    at.button(key="cl_clear").click().run()
    assert not at.exception and not any("selected**" in m.value for m in at.markdown)


def test_bad_link_values_fall_back_with_a_warning():
    at = _app()
    at.query_params["cl_perp"] = "7"
    at.query_params["cl_colour"] = "rainbow"
    at.query_params["cl_sel"] = "abc,99999"
    at.run()
    assert not at.exception and len(at.warning) == 3  # the selection's bad rows are named too
    assert at.radio(key="cl_perp").value == 0 and at.radio(key="cl_colour").value == "cluster"
    assert not any("selected**" in m.value for m in at.markdown)  # nonsense rows are ignored
