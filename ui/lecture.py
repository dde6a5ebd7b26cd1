"""The lecturer's room in the app: a lecture (server/rooms.py) that a lecturer's Present opens, whose step follows the
lecturer's, and whose pass (``CODE.KEY``) only the lecturer's browser holds.

The pass is looked for in the presenter's link (``?lecturer=CODE.KEY``, taken out of the address bar once read), in
this session, then in the browser's cookie (set by the server through the panel static/js/panels/lecture_pass.js,
HttpOnly). A session new to a room (a reload, a second tab, the app after the server restarted) opens on the room's
step; afterwards every step the lecturer presents moves the room, and the phones (static/class/) follow. Without
the pass a presented deck is a deck like any other: no room, no poll's controls.
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

import streamlit as st

from server import class_deck, rooms
from server.poll_routes import store
from ui import panels

PASS = "_lecture_pass"  # session state: the lecturer's pass
SYNCED = "_lecture_synced"  # session state: the room whose step this session took on arrival
PARAM = "lecturer"  # the presenter's link carries the pass in this parameter

_keep = panels.component("dgm_lecture_pass", "lecture_pass")


def start(name: str, deck: dict) -> rooms.Lecture:
    """A lecturer's Present of the deck ``name`` (its dict form): the lecture this browser holds for it, else a new
    room on its first step."""
    lec = held(name)
    if lec is None:
        lec = rooms.open_lecture(store(), name, deck, client=st.context.ip_address or "presenter")
    draw_later(deck, lec.deck_hash)  # the class page's pictures, once per deck
    st.session_state[PASS] = lec.pass_
    st.session_state[SYNCED] = lec.code  # the lecturer's step is the room's from now
    return lec


def draw_later(deck: dict, deck_hash: str) -> None:
    """Draws the deck's steps not drawn yet in a niced process of its own, unless one is drawing it already (its
    ``.drawing`` file names a live process)."""
    if all(class_deck.drawn(deck_hash, k) is not None for k in range(len(deck["steps"]))):
        return
    busy = class_deck.pictures_dir() / deck_hash / ".drawing"
    try:
        os.kill(int(busy.read_text()), 0)
        return
    except (OSError, ValueError):
        pass
    busy.parent.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(["nice", "-n", "10", sys.executable, "-m", "ui.class_pictures", "-"],
                            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            cwd=Path(__file__).resolve().parents[1], start_new_session=True)
    busy.write_text(str(proc.pid))
    proc.stdin.write(json.dumps(deck).encode())
    proc.stdin.close()


def held(name: str | None = None) -> rooms.Lecture | None:
    """The live lecture whose pass this browser holds (of the deck ``name``, where given), else None."""
    for got in (st.query_params.get(PARAM), st.session_state.get(PASS), st.context.cookies.get(rooms.COOKIE)):
        lec = rooms.resume(store(), got) if got else None
        if lec is not None and (name is None or lec.deck_name == name[:200]):
            st.session_state[PASS] = lec.pass_
            return lec
    return None


def presenter_link(lec: rooms.Lecture) -> str:
    """This step's address with the pass: the lecturer's own link to the room (on another computer, or later)."""
    from urllib.parse import urlencode, urlparse

    u = urlparse(st.context.url or "http://localhost:8501/")
    query = {**{k: v for k, v in st.query_params.items() if k != PARAM}, PARAM: lec.pass_}
    return f"{u.scheme}://{u.netloc}{u.path}?{urlencode(query)}"


def is_local(host: str | None) -> bool:
    """Whether ``host`` names this computer only (localhost, 127.x, ::1): an address no phone can open."""
    return host is None or host in ("", "localhost", "::1", "0.0.0.0") or host.startswith("127.")


def lan_address() -> str | None:
    """This computer's IPv4 address on its network (the room's wifi), found without sending anything: connecting a
    UDP socket only picks the interface a packet would leave by; None where it has only the loopback."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("192.0.2.1", 9))  # TEST-NET-1 (RFC 5737): no host has it, so the default route is picked
            ip = s.getsockname()[0]
        if not is_local(ip):
            return ip
    except OSError:  # no route at all
        pass
    try:
        ip = socket.gethostbyname(socket.gethostname())
    except OSError:
        return None
    return None if is_local(ip) else ip


def network_host() -> str | None:
    """The address phones on this computer's network reach this server at: the address the server listens on
    (Streamlit's ``--server.address``) where it names one, else (it listens on every interface, Streamlit's default)
    ``lan_address()``; None where the server listens on this computer only, or there is no network."""
    bound = st.get_option("server.address") or ""
    if bound in ("", "0.0.0.0", "::"):
        return lan_address()
    return None if is_local(bound) else bound


def join_base() -> str:
    """The address the class reaches the app at: ``DGM_POLL_URL`` (e.g. https://lab.example.org) where set, else the
    address this browser opened the app by, with ``network_host()`` in place of localhost."""
    if base := os.environ.get("DGM_POLL_URL", "").strip():
        return base.rstrip("/")
    u = urlparse(st.context.url or "http://localhost:8501/")
    if is_local(u.hostname) and (host := network_host()):
        return f"{u.scheme}://{f'[{host}]' if ':' in host else host}" + (f":{u.port}" if u.port else "")
    return f"{u.scheme}://{u.netloc}"


def join_url(code: str) -> str:
    """The link phones open, the lecture's class page (server/class_routes.py), at ``join_base()``."""
    return f"{join_base()}/class/{code}"


BADGE_CSS = """<style>
[data-testid="stElementContainer"]:has(> [data-testid="stHtml"] .lecture-badge) { position: absolute; }
.lecture-badge { position: fixed; right: 10px; bottom: 8px; z-index: 1000; font-size: 0.95rem; padding: 2px 10px;
  border-radius: 6px; background: rgba(255, 255, 255, 0.85); color: #31333f; border: 1px solid #d5d9e0; }
.lecture-badge b { font-family: ui-monospace, Menlo, Consolas, monospace; letter-spacing: 2px; }
</style>"""


def _badge(code: str) -> None:
    """The room's code and class page, in a corner of every presented step (it takes no room from the slide)."""
    import html

    url = join_url(code)
    st.html(f'{BADGE_CSS}<div class="lecture-badge">Follow on your phone: {html.escape(url.rsplit("/", 1)[0])}/'
            f'<b class="lecture-code">{html.escape(code)}</b></div>')


def follow(name: str, deck, k: int, shown: bool) -> tuple[int, bool] | None:
    """Each run of a presented step (``ui.deck.bar``): with the pass, the room takes the step ``k`` at its stage
    ``shown``. A session new to the room (a reload, a second tab, after a restart) goes to the room's step instead:
    -> that (step, shown), for the caller to open; None where it stays."""
    lec = held(name)
    if PARAM in st.query_params:
        del st.query_params[PARAM]  # the pass is kept (session, cookie): not in the projector's address bar
    if lec is None:
        return None
    _keep(key="lecture_pass", data={"code": lec.code, "key": lec.key})
    _badge(lec.code)
    if st.session_state.get(SYNCED) != lec.code:
        st.session_state[SYNCED] = lec.code
        if (lec.step, lec.shown) != (k, shown) and lec.step < len(deck.steps):
            return lec.step, lec.shown
    if (lec.step, lec.shown) != (k, shown):
        rooms.move(store(), lec.code, lec.key, k, shown, client=st.context.ip_address or "presenter")
    return None
