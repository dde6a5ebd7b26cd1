"""No traceback shows the server's paths: the shipped configuration keeps an uncaught exception's message and traceback
out of the page (``client.showErrorDetails``), and the pages' own sentences (st.error, st.warning) are shown as they
were. The configuration is read from .streamlit/config.toml, the file Streamlit reads at the server's start."""
from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from streamlit import config
from streamlit.testing.v1 import AppTest

from tests.app import open_page

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())["client"].get("showErrorDetails")
# a page's bug: its message names a server file, as a FileNotFoundError or a KeyError of a path would
FAULT = """
from pathlib import Path
import streamlit as st
st.error("A sentence the page writes itself.")
open(Path(st.__file__).parent / "no-such-file.bin")
"""


@pytest.fixture
def shipped_config():
    """Streamlit's option as the shipped file sets it (AppTest reads the option, not the file), restored after."""
    before = config.get_option("client.showErrorDetails")
    config.set_option("client.showErrorDetails", SHIPPED)
    yield
    config.set_option("client.showErrorDetails", before)


def test_the_shipped_configuration_hides_an_errors_message_and_traceback():
    assert SHIPPED in ("type", "none"), f"client.showErrorDetails is {SHIPPED!r}: tracebacks would show paths"


def test_a_pages_uncaught_error_shows_no_path_and_its_own_sentence_stays(shipped_config):
    at = AppTest.from_string(FAULT, default_timeout=60).run()
    (shown,) = at.exception
    assert not list(shown.stack_trace), shown.stack_trace
    assert "/" not in shown.message and "no-such-file" not in shown.message, shown.message
    assert [e.value for e in at.error] == ["A sentence the page writes itself."]


def test_a_pages_own_warning_sentence_is_unchanged(shipped_config):
    """A bad link value: the page's one sentence, word for word as without the option."""
    at = open_page("inpainting", "inp_", ds="x" * 100)
    assert not at.exception and len(at.warning) == 1
    assert "Data set" in at.warning[0].value and "the page uses MNIST" in at.warning[0].value
