"""The panels drawn in the browser (Streamlit components v2). Each panel is an ES module under ``static/js/panels/``
(served by the app at ``app/static/js/``), with its CSS beside its Python view in ``ui/<stem>.css``. Python never
writes or joins JavaScript: every panel's inline JS is the same small file, ``static/js/mount.js``, which imports the
module that the panel's HTML names (``data-module``: its URL relative to the page, with its content hash from the
manifest, ``server.manifest``) and hands it the component."""
from __future__ import annotations

import html as html_lib
from pathlib import Path

import streamlit as st

from server.manifest import JS, module_url

HERE = Path(__file__).resolve().parent
MOUNT_JS = (JS / "mount.js").read_text()


def component(name: str, stem: str, html: str = ""):
    """The components-v2 mount function of the panel ``stem`` (static/js/panels/<stem>.js; its CSS ui/<stem>.css, if
    it has one), registered as ``name``."""
    tag = f'<template data-module="{html_lib.escape(module_url(f"panels/{stem}.js"))}"></template>'
    path = HERE / f"{stem}.css"
    return st.components.v2.component(name, html=tag + html, css=path.read_text() if path.exists() else None,
                                      js=MOUNT_JS)


def worker_url(name: str) -> str:
    """The URL of the worker ``static/js/workers/<name>.worker.js`` relative to the page, content-hashed: a panel
    starts it as a module worker (``new Worker(new URL(url, document.baseURI), {type: 'module'})``)."""
    return module_url(f"workers/{name}.worker.js")


def deck_step() -> str | None:
    """The lecture deck's step on screen ("deck:step", from the URL), None outside a deck: a slide's browser panel
    is kept under it for the browser tab's life (``keptRoot`` in static/js/kit/panel_kit.js), so a step left and
    opened again shows what it showed (a race's progress, a flow's time)."""
    name, step = st.query_params.get("deck"), st.query_params.get("step")
    return f"{name}:{step}" if name and step else None
