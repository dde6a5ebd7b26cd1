"""A server-side play/pause player: a slider over the frames and a Play button that steps it, one frame per
fragment rerun, to the last frame and back, until Pause (a pass takes PASS_SECONDS, a pace a class can follow, as
the browser's player). Used inside an ``st.fragment``, so playing reruns only the panel. Only the
latent explorer's fallback uses it (a browser that cannot run the generator); the other players run in the
browser (static/js/panels/chain_player.js, static/js/panels/gan_panel.js, static/js/panels/latent_slider.js)."""
from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import streamlit as st
from streamlit.errors import StreamlitInvalidLayoutContextError

PASS_SECONDS = 5.0  # from the first frame to the last while playing (the browser's interpolation takes as long)
MAX_PASSES = 12  # then it pauses by itself: a tab left playing costs the shared server a minute, not the day


@contextmanager
def player(options: Sequence[Any], *, key: str, button_key: str, label: str,
           format_func: Callable[[Any], str] = str, help: str | None = None) -> Iterator[Any]:
    """``with player(frames, key=..., button_key=..., label=...) as frame:`` draws the slider and the
    button and yields the frame to show; the body draws it; on leaving, a playing player waits a frame
    and reruns the fragment with the next one."""
    s, on, way, n = st.session_state, button_key + "_on", button_key + "_way", button_key + "_frames"
    options = list(options)
    playing = s.get(on, False)
    if playing and s.get(n, 0) >= MAX_PASSES * (len(options) - 1):
        playing = s[on] = False
    if playing and len(options) > 1:  # advance before the slider is drawn, so the slider moves with the pictures
        s[n] = s.get(n, 0) + 1
        i = options.index(s[key]) if s.get(key) in options else 0
        if not 0 <= i + s.get(way, 1) < len(options):  # an end: back the other way
            s[way] = -s.get(way, 1)
        s[key] = options[i + s.get(way, 1)]
    c1, c2 = st.columns([4, 1], vertical_alignment="bottom")  # the button's column holds "Pause" in full
    value = c1.select_slider(label, options=options, format_func=format_func, key=key)

    def toggle() -> None:
        s[on], s[n] = not s.get(on, False), 0

    c2.button(":material/pause: Pause" if playing else ":material/play_arrow: Play", key=button_key, on_click=toggle,
              help=help, width="stretch")
    yield value
    if playing:
        time.sleep(PASS_SECONDS / max(len(options) - 1, 1))
        try:
            st.rerun(scope="fragment")
        except StreamlitInvalidLayoutContextError:  # a full run while playing: stop rather than rerun the app
            s[on] = False
