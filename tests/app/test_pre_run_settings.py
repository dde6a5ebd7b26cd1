"""Settings read only when a page's button is pressed cost the server no rerun (issue 56): their widgets are drawn
with on_change="ignore" (the browser keeps the value until the next run) and bound to their URL parameter (the link
shows the new value at once). AppTest runs no browser, so this checks what the page sends the browser for each such
widget; tests/e2e/test_pre_run_settings.py counts the reruns a real browser asks for."""
from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from dgm_core.demos.inpainting import CONTROLS, FIELD_KEYS

ROOT = Path(__file__).resolve().parents[2]


def _sent(at: AppTest) -> dict[str, object]:
    """Every keyed widget the run drew -> its proto as the browser receives it."""
    out = {}
    for kind in ("number_input", "selectbox", "multiselect", "radio", "slider", "select_slider"):
        for w in getattr(at, kind):
            if w.key:
                out[w.key] = w.proto
    return out


def test_every_inpainting_setting_read_at_run_asks_for_no_rerun_and_keeps_its_url_parameter():
    at = AppTest.from_file(str(ROOT / "pages" / "inpainting.py"), default_timeout=60).run()
    assert not at.exception
    sent = _sent(at)
    for key in FIELD_KEYS.values():  # the Settings' fields: read by Run only
        proto = sent["inp_" + key]
        assert proto.ignore_rerun, f"{CONTROLS[key].label} reruns the page when it changes"
        assert proto.query_param_key == "inp_" + key, f"{CONTROLS[key].label} is not bound to its URL parameter"
    # what changes the page before Run still reruns it: the data set, the methods, the mask
    for key in ("ds", "methods", "preset", "where"):
        assert not sent["inp_" + key].ignore_rerun, key


def test_a_setting_bound_to_its_parameter_opens_on_the_link_and_is_read_by_run():
    at = AppTest.from_file(str(ROOT / "pages" / "inpainting.py"), default_timeout=60)
    at.query_params.update({"inp_steps": "120", "inp_seed": "7", "inp_kernel": "pcn"})
    at.run()
    assert not at.exception
    assert at.number_input(key="inp_steps").value == 120 and at.number_input(key="inp_seed").value == 7
    assert at.selectbox(key="inp_kernel").value == "pcn"
    at.number_input(key="inp_steps").set_value(150).run()  # as the browser sends it with the next run
    assert not at.exception and at.session_state["inp_steps"] == 150


def test_a_link_value_the_page_corrects_is_not_handed_to_streamlit_to_read_again():
    """Streamlit's own reading of a bound parameter raises on `inf` for a whole number: such a link's key is left
    unbound for the session (its URL follows the page's sync instead), and the page opens with one warning."""
    at = AppTest.from_file(str(ROOT / "pages" / "inpainting.py"), default_timeout=60)
    at.query_params.update({"inp_steps": "inf"})
    at.run()
    assert not at.exception
    assert len(at.warning) == 1 and "Chain iterations" in at.warning[0].value
    proto = at.number_input(key="inp_steps").proto
    assert proto.ignore_rerun and not proto.query_param_key
