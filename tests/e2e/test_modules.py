"""The browser's ES modules as the running app serves them (static/js, server.module_cache): the inpainting
worker's whole import graph loads in chromium with no request failing, every module comes with
``Cache-Control: no-cache``, and a
second load revalidates each module (the inner ones are plain relative imports, no hash in their URLs) instead of
reusing a copy that a deploy may have made stale; the server answers such a revalidation with 304 while the file is
unchanged (chromium shows the cached copy's 200 to playwright, so that is asked of the server directly)."""
from __future__ import annotations

import urllib.error
import urllib.request
from urllib.parse import urlparse

import torch

from benchmarks.common import worker_job
from dgm_core import masks
from dgm_core.demos import inpainting
from server.manifest import JS
from tests.e2e.test_browser_inpaint import job
from server.inpaint_job import WORKER_URL

MODULES = "/app/static/js/"
EXPECTED = {"workers/inpaint.worker.js", "inpaint.js", "samplers/mwg.js", "kit/seeded_rng.js", "manifest.json"}


def test_the_app_asks_the_browser_to_revalidate_every_module(app_url):
    with urllib.request.urlopen(f"{app_url}{MODULES}samplers/mwg.js") as r:
        assert r.status == 200 and r.headers["Cache-Control"] == "no-cache", dict(r.headers)
        etag = r.headers["ETag"]
        assert r.read() == (JS / "samplers" / "mwg.js").read_bytes()
    again = urllib.request.Request(f"{app_url}{MODULES}samplers/mwg.js", headers={"If-None-Match": etag})
    try:
        urllib.request.urlopen(again)
        raise AssertionError("an unchanged module was sent again")
    except urllib.error.HTTPError as e:
        assert e.code == 304 and e.read() == b"", (e.code, dict(e.headers))


def test_the_workers_modules_load_and_a_second_load_revalidates_them(page, app_url):
    seen: list[dict] = []
    failed: list[str] = []
    page.on("response", lambda r: MODULES in r.url and seen.append({
        "path": urlparse(r.url).path.removeprefix(MODULES), "status": r.status, "cache": r.headers.get("cache-control"),
        "etag": r.headers.get("etag"), "asked": r.request.all_headers().get("if-none-match")}))
    page.on("requestfailed", lambda r: failed.append(f"{r.url}: {r.failure}"))
    x = torch.rand(1, 28, 28) > 0.5
    msg = job(x.float(), masks.preset("bottom", (28, 28)), ["mean_fill"], inpainting.Settings(), None)
    etags = {}
    for load in ("first", "second"):
        seen.clear()
        out = worker_job(page, app_url, WORKER_URL, msg)
        assert out["end"]["type"] == "done", (load, out["end"])
        # the worker's responses reach playwright on the worker's own channel, which may trail the page's answer
        # (CI once saw two of them missing at this point): wait for them a while, pumping playwright's events
        for _ in range(100):
            if EXPECTED <= {r["path"] for r in seen}:
                break
            page.wait_for_timeout(100)
        assert not failed, failed
        modules = {r["path"] for r in seen}
        # the worker, inpaint.js and what it imports: samplers, models, kit, the manifest
        assert EXPECTED <= modules, (load, sorted(modules))
        assert all(r["status"] == 200 and r["cache"] == "no-cache" and r["etag"] for r in seen), (load, seen)
        if load == "first":
            etags = {r["path"]: r["etag"] for r in seen}
        else:  # a fresh worker in the same browser asked the server about each copy it kept (304 while unchanged)
            stale = [r["path"] for r in seen if r["asked"] != etags.get(r["path"])]
            assert not stale, f"the browser reused these without asking the server: {stale}"
        page.goto("about:blank")  # the next load: the same page and browser context (its cache kept)
