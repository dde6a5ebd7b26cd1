"""A server-side play/pause player: a slider over the frames and a Play button that steps it, one frame per
fragment rerun, to the last frame. Used inside an ``st.fragment``, so playing reruns only the panel. Only the
latent explorer's fallback uses it (a browser that cannot run the generator); the other players run in the
browser (ui/chain_player.js, ui/gan_panel.js, ui/latent_slider.js)."""
from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import streamlit as st
from streamlit.errors import StreamlitInvalidLayoutContextError

FRAME_SECONDS = 0.12  # between two frames while playing


@contextmanager
def player(options: Sequence[Any], *, key: str, button_key: str, label: str,
           format_func: Callable[[Any], str] = str, help: str | None = None) -> Iterator[Any]:
    """``with player(frames, key=..., button_key=..., label=...) as frame:`` draws the slider and the
    button and yields the frame to show; the body draws it; on leaving, a playing player waits a frame
    and reruns the fragment with the next one."""
    s, on = st.session_state, button_key + "_on"
    options = list(options)
    playing = s.get(on, False)
    if playing:  # advance before the slider is drawn, so the slider moves with the pictures
        i = options.index(s[key]) if s.get(key) in options else 0
        s[key] = options[min(i + 1, len(options) - 1)]
    c1, c2 = st.columns([6, 1], vertical_alignment="bottom")
    value = c1.select_slider(label, options=options, format_func=format_func, key=key)

    def toggle() -> None:
        if not s.get(on) and s.get(key, options[0]) == options[-1]:
            s[key] = options[0]  # play again from the start
        s[on] = not s.get(on, False)

    c2.button("⏸ Pause" if playing else "▶ Play", key=button_key, on_click=toggle, help=help)
    yield value
    if playing:
        if value == options[-1]:
            s[on] = False
        else:
            time.sleep(FRAME_SECONDS)
        try:
            st.rerun(scope="fragment")
        except StreamlitInvalidLayoutContextError:  # a full run while playing: stop rather than rerun the app
            s[on] = False
