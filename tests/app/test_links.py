"""Links are checked by each page's spec (ui.catalog.SPECS, ui.state.read_link): named regressions for the links that
once raised or were taken without a word, and a property-based fuzz of every page's spec (the pure check with
many examples, a few page runs with generated bad links) asserting no exception and short warnings in the
page's words."""
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from dgm_core.controls import Control
from dgm_core.demos import mnar
from ui.catalog import PAGES as CATALOG, SPECS
from ui.state import MAX_RAW, MAX_WARNING, read_link

PAGES = Path(__file__).resolve().parents[2] / "pages"
PAGE_OF = {p.prefix: p.url_path for p in CATALOG if p.prefix}


def _run(page: str, **params: str) -> AppTest:
    at = AppTest.from_file(str(PAGES / f"{page}.py"), default_timeout=180)
    for k, v in params.items():
        at.query_params[k] = v
    return at.run()


def _warnings(at: AppTest) -> list[str]:
    return [w.value for w in at.warning]


def _check_words(warnings: list[str], prefix: str, spec: dict[str, Control]) -> None:
    for w in warnings:
        assert len(w) <= MAX_WARNING, w
        head, _, rest = w.partition("`")
        raw, _, tail = rest.partition("`")
        assert len(raw) <= MAX_RAW, w
        for key in spec:  # the label, never the internal key (the value as given may say anything)
            assert prefix + key not in head + tail, w


# ---------------------------------------------------------------- named regressions

def test_a_centre_hole_of_28_on_a_28_pixel_image_is_the_largest_that_fits():
    at = _run("inpainting", inp_preset="centre", inp_size="28")
    assert not at.exception
    assert _warnings(at) == ["The link's Square size (pixels) `28` is not between 2 and 27; the page uses 27."]
    assert at.slider(key="inp_size").value == 27


@pytest.mark.parametrize("ds, preset, size, fits", [("mnist", "rectangles", "40", 27), ("celeba", "centre", "63", 31)])
def test_a_hole_size_follows_the_data_set(ds, preset, size, fits):
    at = _run("inpainting", inp_ds=ds, inp_preset=preset, inp_size=size, inp_steps="30", inp_chains="2")
    assert not at.exception and at.slider(key="inp_size").value == fits


def test_a_large_square_kept_when_switching_to_a_smaller_image_shrinks_to_fit():
    at = _run("inpainting", inp_ds="celeba", inp_preset="centre", inp_size="31")
    at.selectbox(key="inp_ds").set_value("mnist").run()
    assert not at.exception and at.slider(key="inp_size").value == 27


def test_a_method_listed_twice_is_taken_once_with_a_warning():
    at = _run("inpainting", inp_methods="mwg,mwg")
    assert not at.exception and at.multiselect(key="inp_methods").value == ["mwg"]
    assert any("Methods `mwg,mwg` is not a list without repeats" in w for w in _warnings(at)), _warnings(at)


def test_an_empty_method_list_says_why_run_is_disabled():
    at = _run("inpainting", inp_methods="")
    assert not at.exception and at.button(key="inp_run").disabled
    assert any("choose at least one method" in c.value for c in at.caption)


def test_a_10000_character_value_is_one_short_sentence_in_the_page_words():
    at = _run("inpainting", inp_ds="x" * 10_000)
    assert not at.exception and len(at.warning) == 1
    w = at.warning[0].value
    assert len(w) <= MAX_WARNING and "Data set" in w and "inp_ds" not in w and "the page uses MNIST" in w


@pytest.mark.parametrize("sel", ["²", "7" * 10_000, "1²,3"])
def test_a_selection_of_odd_digits_in_the_clusters_link_is_refused_without_an_exception(sel):
    at = _run("clusters", cl_sel=sel)
    assert not at.exception and len(at.warning) == 1 and len(at.warning[0].value) <= MAX_WARNING
    assert "selection" in at.warning[0].value


def test_a_direction_listed_three_times_is_taken_once():
    at = _run("latent", lat_dirs="1,1,1")
    assert not at.exception and at.multiselect[0].value == [1]
    assert any("Directions to move `1,1,1` is not a list without repeats" in w for w in _warnings(at))


def test_an_out_of_range_direction_warns_like_every_other_key():
    at = _run("latent", lat_dirs="0,99")
    assert not at.exception and at.multiselect[0].value == [0]
    assert any("Directions to move `0,99` is not a list of whole numbers between 0 and 9" in w for w in _warnings(at))


def test_a_value_near_1e_308_is_read_as_the_number_the_control_shows():
    at = _run("mnar", mnar_offset="1e-308", mnar_preset="tiny")
    assert not at.exception and not at.warning and at.session_state["mnar_offset"] == 0.0
    values, warnings = read_link(SPECS[mnar.PREFIX], {"p": "1e-308", "offset": "-4.9e-324"})
    assert values["offset"] == 0.0 and values["p"] == 0.05 and len(warnings) == 1


# ---------------------------------------------------------------- fuzz: the pure check, every page's spec

def _value_strategy(p: Control, keys: list[str]) -> st.SearchStrategy[str]:
    """Link values a user could type or a program could send: near misses, odd digits, huge, lists."""
    choices = p.choices if isinstance(p.choices, (list, tuple)) else []
    words = [str(c) for c in choices] + ["0", "1", "-1", "1e-308", "1e308", "nan", "inf", "²", "٣", "1_000", "0x10",
                                          "", " ", ",", "`", "**x**", "[a](b)", "{x}", *keys]
    atom = st.one_of(st.sampled_from(words), st.integers(-10**20, 10**20).map(str),
                     st.floats(allow_nan=True, allow_infinity=True).map(repr), st.text(max_size=12))
    return st.one_of(atom, st.lists(atom, max_size=12).map(",".join), st.text(max_size=60),
                     st.integers(1, 12_000).map(lambda n: "9" * n))


@pytest.mark.parametrize("prefix", list(SPECS))
def test_fuzz_every_key_of_every_page_gives_a_value_the_spec_allows_and_short_warnings(prefix):
    spec = SPECS[prefix]
    names = [prefix + k for k in spec]
    links_ = st.dictionaries(st.sampled_from(list(spec)), st.just(None), min_size=1).flatmap(
        lambda d: st.fixed_dictionaries({k: _value_strategy(spec[k], names) for k in d}))

    @settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(links_)
    def check(raw):
        values, warnings = read_link(spec, raw)
        assert len(warnings) <= len(raw)
        _check_words(warnings, prefix, spec)
        got = {}
        for key, p in spec.items():
            v = values[key]
            bounded = Control(p.default, choices=p.choices(got) if callable(p.choices) else p.choices,
                            lo=p.lo(got) if callable(p.lo) else p.lo, hi=p.hi(got) if callable(p.hi) else p.hi)
            for item in (v if isinstance(v, list) else [v]):
                if bounded.choices is not None:
                    assert item in bounded.choices, (key, v)
                if bounded.lo is not None and bounded.hi is not None and bounded.lo <= bounded.hi:
                    assert bounded.lo <= item <= bounded.hi, (key, v)
            if isinstance(v, list):
                assert p.max_items is None or len(v) <= p.max_items
                assert not p.unique or len(set(v)) == len(v), (key, v)
            got[key] = v

    check()


# ---------------------------------------------------------------- fuzz: a few page runs with generated bad links

@pytest.mark.parametrize("prefix", list(SPECS))
def test_fuzz_a_page_given_a_bad_value_for_every_key_still_works(prefix):
    spec = SPECS[prefix]
    names = [prefix + k for k in spec]
    bad = st.fixed_dictionaries({k: _value_strategy(spec[k], names) for k in spec})

    @settings(max_examples=2, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(bad)
    def check(raw):
        if PAGE_OF[prefix] == "inpainting":  # short chains: a fuzzed link must not make the page slow to test
            raw = {**raw, "steps": "30", "chains": "2", "burn": "5"}
        at = _run(PAGE_OF[prefix], **{prefix + k: v for k, v in raw.items()})
        assert not at.exception, [e.value for e in at.exception]
        ours = [w for w in _warnings(at) if w.startswith("The link's ")]
        assert len(ours) <= len(raw)
        _check_words(ours, prefix, spec)

    check()
