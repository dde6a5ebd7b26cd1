"""A page's descriptor (``Page``): everything the app reads about a page besides its file's own code, exported by the
page's view module (``ui.<page>_view.PAGE``) and collected by ``ui.catalog``. A new page writes its page file, its view
module with this descriptor, its ``dgm_core.demos`` call (its controls' spec and link prefix) and its tests, and adds
its view module to the catalog's list; nothing else lists pages.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from urllib.parse import urlencode

import streamlit as st
from streamlit.errors import StreamlitPageNotFoundError

from server import Job
from ui.slides import View

Warm = Callable[[], Job | None]  # a warm-up job's maker: the shared job of a default view (None: nothing to warm)


@dataclass(frozen=True)
class Page:
    file: str  # relative to the repository root
    title: str
    icon: str
    summary: str  # what the demo shows, one or two sentences for the home page
    lesson: str = ""  # what it teaches, in a student's words (the home page's lesson map)
    demo: ModuleType | None = None  # its dgm_core.demos module: the controls' spec (CONTROLS) and link prefix (PREFIX)
    views: Mapping[str, View] = field(default_factory=dict)  # its slide views by short name, the main one first
    warm: tuple[Warm, ...] = ()  # computed at the server's start, before it opens (the views a lesson opens on)
    warm_idle: tuple[Warm, ...] = ()  # computed once the server is quiet
    step_job: Callable[[Mapping[str, str]], Job | None] | None = None  # a deck step's shared job, from its link

    @property
    def url_path(self) -> str:
        """The page's URL path: its file's name (``pages/vae.py`` -> ``vae``)."""
        return self.file.rsplit("/", 1)[-1].removesuffix(".py")

    @property
    def prefix(self) -> str:
        """Its prefix of its keys in a link (``inp_``), "" for a page without controls."""
        return getattr(self.demo, "PREFIX", "")

    @property
    def controls(self) -> Mapping:
        """Its controls' spec (``dgm_core.controls.Control`` by name)."""
        return getattr(self.demo, "CONTROLS", {})

    def link(self, where=st, *, label: str | None = None, query: dict[str, str] | None = None) -> None:
        """A link to this page (``label``: its title; ``query``: the link's settings); a plain link when the page
        that draws it runs alone (no navigation to resolve it)."""
        try:
            where.page_link(self.file, label=label or self.title, icon=self.icon, query_params=query)
        except StreamlitPageNotFoundError:
            where.markdown(f"[{label or self.title}](./{self.url_path}{'?' + urlencode(query) if query else ''})")
