"""The scale-out of server/replicas.py: nginx in front of two app replicas on loopback. Newcomers are spread over the
replicas even when they all come from 127.0.0.1, each browser sticks to its replica by a cookie, and a whole
Streamlit session (the websocket, then the images it shows) works through nginx on that replica."""
from __future__ import annotations

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from benchmarks.class_load import LightSession
from server.replicas import NGINX, cluster

pytestmark = pytest.mark.skipif(not Path(NGINX).exists(),
                                reason="nginx is not installed (Debian: apt-get install -y nginx); "
                                       "the replicas are served behind it")


def get(url: str, cookie: str | None = None):
    with urllib.request.urlopen(urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {}),
                                timeout=30) as r:
        r.read()
        return r.headers


def test_two_clients_land_on_two_replicas_stay_there_and_a_session_runs_through_nginx():
    env = {**os.environ, "DGM_WARMUP": "0"}  # two replicas under pytest: no background warm-up
    with cluster(2, env=env, warm=False) as c:  # the first visits (server/replicas.py) are the benchmark's
        cookies, replicas = [], []
        for _ in range(2):  # two newcomers from the same address
            h = get(c.url + "/")
            cookie = h["Set-Cookie"].split(";")[0]
            assert cookie == f"dgm_replica={h['X-DGM-Replica']}"
            cookies.append(cookie)
            replicas.append(h["X-DGM-Replica"])
        assert sorted(replicas) == ["r1", "r2"]
        for cookie, replica in zip(cookies, replicas):  # each sticks to its own
            for _ in range(3):
                h = get(c.url + "/_stcore/health", cookie)
                assert h["X-DGM-Replica"] == replica and "dgm_replica" not in (h["Set-Cookie"] or "")

        out = {"exceptions": [], "console_errors": []}

        async def home() -> LightSession:
            async with LightSession(c.url, out) as s:  # loads the page, keeps nginx's cookie, opens the websocket
                assert s.ws.response.headers["X-DGM-Replica"] == out["replica"]  # the websocket: same replica
                await s.rerun("")  # Home, and the images it shows, fetched with the cookie
                return s

        # a thread of its own: in a full run pytest-playwright's sync API keeps an event loop running in this one
        with ThreadPoolExecutor(1) as pool:
            s = pool.submit(asyncio.run, home()).result()
        assert out["exceptions"] == [] and out["console_errors"] == []
        assert "DGM Lab" in s.texts and s.media
        other = next(k for k, r in zip(cookies, replicas) if r != out["replica"])
        with pytest.raises(urllib.error.HTTPError) as missing:  # an image lives on the replica that made it
            get(c.url + s.media[0], other)
        assert missing.value.code == 404
