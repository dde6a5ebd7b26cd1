"""Cached loaders: models (st.cache_resource, eval mode, never mutated), the pages' galleries (st.cache_resource:
one copy per server, never mutated; a page takes a copy of the image it shows) and small data (st.cache_data)."""
from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from typing import Any

import streamlit as st
import torch

from dgm_core import data, pretrained
from dgm_core.device import default_device, set_threads


@st.cache_resource(show_spinner=False)
def device() -> torch.device:
    # one intra-op thread unless DGM_THREADS says otherwise: the models are small, and competing threads of
    # several sessions slow torch down
    set_threads(int(os.environ.get("DGM_THREADS", "1")))
    return default_device()


@st.cache_resource(show_spinner="Loading model…")
def model(name: str) -> tuple[torch.nn.Module, pretrained.ModelCard]:
    """A shipped model on the app's device; raises pretrained.PretrainedError with a clear message."""
    return pretrained.load(name, device=device())


@st.cache_data(show_spinner=False)
def cards() -> list[dict]:
    import dataclasses
    return [dataclasses.asdict(c) for c in pretrained.list_cards()]


def card(name: str) -> dict:
    """The card of a shipped model as a dict ({} when it has none)."""
    return next((c for c in cards() if c["name"] == name), {})


def shipped(names) -> list[str]:
    """The names (an iterable of model names) that have a card in pretrained/, in their order."""
    have = {c["name"] for c in cards()}
    return [m for m in names if m in have]


@contextlib.contextmanager
def server_files() -> Iterator[None]:
    """Around a page's loads of shipped models and data sets: a fault in a file the server owns (a model missing or
    corrupted, a data file cut short) is shown as its one sentence, and the page stops there, never a traceback."""
    try:
        yield
    except (pretrained.PretrainedError, data.DatasetNotFoundError) as e:
        st.error(" ".join(str(e).split()))
        st.stop()


# a resource, not cache_data: cache_data would unpickle the whole split (31 MB for MNIST's test digits) on every rerun
# of every session that shows it
@st.cache_resource(show_spinner="Loading images…", max_entries=8)
def test_or_generated(dataset: str, _test: Callable[[], Any], generator_model: str,
                      _generate: Callable[[torch.nn.Module, torch.device], Any], gallery: str) -> tuple[Any, bool]:
    """A page's gallery: ``_test()`` when ``dataset`` is in the data directory, else ``_generate(model, device)``
    with the shipped ``generator_model``; and whether it was generated. ``gallery`` names the gallery in the
    cache (the callables are not part of its key). The same objects for every session: never change them. Raises
    pretrained.PretrainedError if the model is missing."""
    if data.available(dataset):
        return _test(), False
    return _generate(model(generator_model)[0], device()), True


def models(names: list[str]) -> Callable[[str], torch.nn.Module]:
    """The shipped models ``names`` loaded now (in the page's thread, through the per-server loader) -> name ->
    model for a job's worker thread; a model that failed to load raises its PretrainedError there."""
    got: dict[str, Any] = {}
    for name in names:
        try:
            got[name] = model(name)[0]
        except pretrained.PretrainedError as e:
            got[name] = e

    def load(name: str) -> torch.nn.Module:
        m = got[name]
        if isinstance(m, Exception):
            raise m
        return m

    return load
