"""The drawing canvas's value, as a modified browser may send it, is checked from its PNG header with the uploads'
caps before a pixel is decoded, and anything else is one sentence: the pages read it through
``ui.image_source.canvas_picture``, never through the component's own decoder (``CanvasResult.image_data``)."""
from __future__ import annotations

import binascii

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.hostile_inputs import flat_png
from dgm_core import budgets
from dgm_core.data.convert import ImageError
from tests.dgm_core.test_hostile_parsers import assert_budget
from ui.image_source import canvas_picture, drawn


class Sent:
    """What st_canvas returns, with the value a browser sent: its strokes (json_data) and its picture's bytes."""

    def __init__(self, png: bytes | None = None, json_data=None, damaged: bool = False):
        self._png, self.json_data, self._damaged = png, json_data, damaged

    @property
    def image_bytes(self) -> bytes | None:
        if self._damaged:  # what the component raises on a value that is not a base64 data URL
            raise binascii.Error("Incorrect padding")
        return self._png


def test_a_drawing_is_read_as_drawn():
    rgba = canvas_picture(Sent(flat_png(280, 280, 4, value=200)))
    assert rgba.shape == (280, 280, 4) and rgba.dtype == np.uint8 and int(rgba[0, 0, 0]) == 200


@pytest.mark.parametrize("sent, words", [
    (Sent(flat_png(6300, 6300, 4)), "6300×6300 pixels"),  # +643 MB and 11.7 s before
    (Sent(damaged=True), "not a picture"),
    (Sent(None), "without its picture"),
    (Sent(b"<svg/>"), "not an image"),
])
def test_a_hostile_canvas_value_is_one_sentence_within_the_budget(sent, words):
    msg = str(assert_budget(lambda: canvas_picture(sent), ImageError))
    assert words in msg


@settings(max_examples=30, deadline=5_000, suppress_health_check=list(HealthCheck), derandomize=True)
@given(st.one_of(st.none(), st.integers(), st.text(max_size=20), st.lists(st.integers(), max_size=3),
                 st.dictionaries(st.sampled_from(["objects", "version"]),
                                 st.one_of(st.none(), st.integers(), st.text(max_size=5),
                                           st.lists(st.dictionaries(st.text(max_size=3), st.integers()), max_size=2)))))
def test_any_strokes_value_is_a_drawing_or_none(value):
    assert drawn(Sent(json_data=value)) == (isinstance(value, dict) and isinstance(value.get("objects"), list)
                                            and bool(value["objects"]))


def test_the_canvas_cap_is_the_uploads():
    side = int(budgets.IMAGE_MAX_PIXELS ** 0.5) + 1
    msg = str(assert_budget(lambda: canvas_picture(Sent(flat_png(side, side, 1))), ImageError))
    assert f"more than the {budgets.IMAGE_MAX_PIXELS / 1e6:g} megapixels" in msg
