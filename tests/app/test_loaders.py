"""ui.loaders: a page's gallery is one object per server (st.cache_resource), not a copy unpickled on every rerun of
every session (st.cache_data, which cost the inpainting page a third of its time with a class on the server); so a
page shows a copy of its image, and changing that copy leaves the gallery as it was."""
from __future__ import annotations

import torch
from streamlit.testing.v1 import AppTest

from ui.clusters_view import real_digits
from ui.image_source import gallery_images


def test_every_call_gets_the_same_gallery():
    a, b = gallery_images("mnist"), gallery_images("mnist")
    assert a[0] is b[0] and a[1] == b[1]
    assert real_digits("test", 16) is real_digits("test", 16)  # None without a data directory: the same too


def _page() -> None:
    import streamlit as st

    from ui.image_source import _gallery, gallery_images

    st.session_state.setdefault("t_idx", 3)
    image, _ = _gallery("mnist", "t_")
    image.fill_(0.5)  # what a careless page might do to the image it shows
    st.session_state["gallery_image_3"] = gallery_images("mnist")[0][3].clone()


def test_the_image_a_page_shows_is_its_own_copy():
    before = gallery_images("mnist")[0][3].clone()
    at = AppTest.from_function(_page).run(timeout=120)
    assert not at.exception
    assert torch.equal(at.session_state["gallery_image_3"], before)
