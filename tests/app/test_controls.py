"""Each control is declared once (dgm_core.controls; every page's spec in ui.catalog.SPECS): the widget a page draws has
the label, bounds, choices and help of its declaration, and the core's own check refuses what the widget cannot give."""
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dgm_core.controls import Control, check, defaults, name, resolve
from dgm_core.demos.inpainting import CONTROLS as INPAINTING, Settings, settings_from
from ui.catalog import PAGES

ROOT = Path(__file__).resolve().parents[2]
# the links (their keys without the page's prefix) that between them draw every widget of a page's spec, where its
# default link alone does not
LINKS = {
    "inpainting": [{}, {"preset": "rectangles"}, {"preset": "random", "ds": "celeba"}],
    "mnar": [{"mech": m} for m in ("notmiwae_uci", "self_masked", "quantile", "mnar_logistic")] + [{"preset": "tiny"}],
    "latent": [{}, {"tab": "Interpolation"}],
    "vae": [{}, {"tab": "Bound against K"}],
    "clusters": [{}, {"tab": "Confusion matrix"}],
}
KINDS = {"number": "number_input", "slider": "slider", "select": "selectbox", "select_slider": "select_slider",
         "multiselect": "multiselect", "radio": "radio"}
PAGE_NAMES = {"cl_round", "cl_perp"}  # the page names these choices with what it knows (the round's number)
# drawn only once a file with empty cells is uploaded, which no link can do: tests/app/test_own_table.py checks them
UPLOAD_ONLY = {"mnar": {"own", "ofam", "odir", "obud", "ohow", "oshare", "odelta"}}


def test_the_links_here_are_of_pages_with_controls():
    assert set(LINKS) | set(UPLOAD_ONLY) <= {p.url_path for p in PAGES if p.controls}


def _widgets(at: AppTest) -> dict[str, object]:
    return {w.key: (kind, w) for kind, attr in KINDS.items() for w in getattr(at, attr) if w.key}


@pytest.mark.parametrize("page", [p for p in PAGES if p.controls], ids=lambda p: p.url_path)
def test_every_widget_is_drawn_as_its_control_declares(page):
    prefix, spec, seen = page.prefix, page.controls, set()
    for link in LINKS.get(page.url_path, [{}]):
        at = AppTest.from_file(str(ROOT / page.file), default_timeout=180)
        for k, v in link.items():
            if k in spec:
                at.query_params[prefix + k] = v
            else:  # a tab the URL does not keep: opened as a click would
                at.session_state[prefix + k] = v
        at.run()
        assert not at.exception, (link, at.exception)
        got = {key: at.session_state[prefix + key] if prefix + key in at.session_state else None for key in spec}
        for key, (kind, w) in _widgets(at).items():
            if not key.startswith(prefix) or key[len(prefix):] not in spec:
                continue
            c: Control = spec[key[len(prefix):]]
            if c.kind == "hidden":  # drawn by its page with the data's own range (a gallery's size)
                continue
            assert c.kind == kind, (key, kind)
            assert w.label == c.label and (c.help is None or w.help == c.help), key
            if kind in ("number", "slider"):
                assert (w.min, w.max) == (resolve(c.lo, got), resolve(c.hi, got)), key
                assert c.step is None or w.step == c.step, key
            else:
                choices = resolve(c.choices, got)
                assert len(w.options) == len(choices), key
                assert key in PAGE_NAMES or list(w.options) == [name(c, v) for v in choices], key
            seen.add(key[len(prefix):])
    drawn = {key for key, c in spec.items() if c.kind != "hidden"} - UPLOAD_ONLY.get(page.url_path, set())
    assert drawn <= seen, f"never drawn by {page.file}: {sorted(drawn - seen)}"


def test_the_samplers_settings_refuse_what_the_page_cannot_ask_for():
    """Settings and the page read one declaration: the chain's bounds are the widget's."""
    steps, seed = INPAINTING["steps"], INPAINTING["seed"]
    assert Settings(steps=steps.lo, burn_in=0).steps == steps.lo
    for bad, c in (({"steps": steps.lo - 1, "burn_in": 0}, steps), ({"steps": steps.hi + 1}, steps),
                   ({"seed": seed.hi + 1}, seed)):
        with pytest.raises(ValueError, match=f"{c.label} must be a whole number between {c.lo} and {c.hi}"):
            Settings(**bad)


def test_the_page_values_become_the_settings_of_the_data_set():
    faces = settings_from(defaults(INPAINTING, ds="celeba"))
    assert (faces.chains, faces.steps, faces.burn_in) == (4, 120, 30)
    assert settings_from(defaults(INPAINTING)) == Settings()


def test_check_names_the_control_and_what_it_allows():
    c = Control(5, "Critic steps", "number", lo=1, hi=10)
    check(c, 10)
    with pytest.raises(ValueError, match="Critic steps must be a whole number between 1 and 10, not 11"):
        check(c, 11)
    with pytest.raises(ValueError, match="whole number"):
        check(c, 2.5)
    with pytest.raises(ValueError, match="must be one of a, b"):
        check(Control("a", "Tool", "radio", choices=["a", "b"]), "c")
