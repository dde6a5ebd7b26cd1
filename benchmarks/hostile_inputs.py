"""Hostile inputs: CPU and wall time to a verdict and extra peak memory of the code path the app runs, per input;
the pages' exceptions on broken server files; another session's page load while a hostile input is parsed.

Every input is generated here (nothing is read from a data folder): flat PNGs that decode to
gigabytes (6300×6300 RGBA, a 10000×10000 mask, a 20000×20000 decompression bomb), a PNG with a
5 MB text chunk, byte-mutated BMPs, and CSVs that are wide, long, ragged, semicolon-separated,
infinite, empty or hold a 1M-character cell. Each (input, path) runs in a fresh child process, so
its peak RSS is its own: the child resets the kernel's high-water mark after its imports and after
reading the file (``/proc/self/clear_refs``), and reports ``VmHWM`` minus the RSS at that point.
Paths: the image converter (``image``, as the inpainting page calls it), the mask reader
(``mask``; the baseline record ran ui/mask_editor.py's own reader: PIL open, load, masks.from_image)
and the table loader (``table``); an accepted table then trains the MNAR page's "tiny"
preset (MIWAE, not-MIWAE, mean and kNN) on the not-MIWAE protocol, on one torch thread. A child is
killed after ``--timeout`` seconds or above ``--rss-kill-mb`` of RSS, and reported as such.

Round two adds the inputs that still hurt: CSVs whose delimiter guess was quadratic (quotes after separators,
4 to 64 kB) or that are one 19.9 MB line, the drawing canvas's picture (``canvas``: a 6300×6300 PNG, a header
claiming 20000×20000), deck links and files nested 1,000 and 50,000 deep (``deck``), and the server's own files
broken (``data``: MNIST cut short; ``weights``: a corrupted and a missing model). ``--pages`` also runs the pages
that read those files, each alone (AppTest, a child process per fault), and counts their tracebacks; and starts
the app (``streamlit run``) to time another session's page load, quiet and while one session uploads the worst
CSV through the MNAR page or opens the deepest deck link (Streamlit's own protocol, the ``LightSession`` of
``bench class_load`` for the page load). ``--code-dir`` measures another checkout (the baseline) with this
script: its children, its pages and its server run that checkout's code.

    python -m benchmarks.hostile_inputs --key "round 2" --pages   # or: python -m dgm_core bench hostile_inputs
    python -m benchmarks.hostile_inputs --key "round 2 baseline" --pages --code-dir /tmp/base

Writes benchmarks/results/hostile_inputs.json (one record per --key, the others kept) and .md, with the targets'
table (``TARGETS``: each figure beside its baseline) once both round-two records are there.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request
import zlib
from io import BytesIO
from pathlib import Path

import numpy as np

from benchmarks.class_load import LightSession, pinned_server
from benchmarks.common import machine_line
from benchmarks.harness import bench

ROOT = Path(__file__).resolve().parents[1]


# ---------------------------------------------------------------- inputs

def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def flat_png(w: int, h: int, channels: int, value: int = 255, text: int = 0) -> bytes:
    """A w×h PNG of one flat colour (8-bit grey, grey+alpha, RGB or RGBA), compressed row by row so
    that making a 400-megapixel file needs kilobytes; ``text``: bytes of a tEXt chunk before the pixels."""
    colour_type = {1: 0, 2: 4, 3: 2, 4: 6}[channels]
    out = [b"\x89PNG\r\n\x1a\n", _chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, colour_type, 0, 0, 0))]
    if text:
        out.append(_chunk(b"tEXt", b"Comment\x00" + b"x" * text))
    z, row, parts = zlib.compressobj(9), b"\x00" + bytes([value]) * (w * channels), []
    for _ in range(h):
        parts.append(z.compress(row))
    parts.append(z.flush())
    out += [_chunk(b"IDAT", b"".join(parts)), _chunk(b"IEND", b"")]
    return b"".join(out)


def bmp_mutants(n: int = 280, seed: int = 0) -> list[bytes]:
    """A 64×64 BMP with a bright square, and ``n`` copies with 1-8 random bytes overwritten (headers included)."""
    from PIL import Image
    img = Image.new("RGB", (64, 64), "black")
    img.paste((255, 255, 255), (16, 16, 48, 48))
    buf = BytesIO()
    img.save(buf, format="BMP")
    base = np.frombuffer(buf.getvalue(), np.uint8)
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        b = base.copy()
        k = int(rng.integers(1, 9))
        # half the mutations land in the 54-byte header, where a size or offset field goes wild
        pos = np.where(rng.random(k) < 0.5, rng.integers(0, 54, k), rng.integers(0, len(b), k))
        b[pos] = rng.integers(0, 256, k)
        out.append(b.tobytes())
    return out


def _csv(rows: np.ndarray, header: list[str], sep: str = ",", fmt: str = "%.3f", end: str = "") -> bytes:
    lines = [sep.join(header) + end] + [sep.join(fmt % v for v in r) + end for r in rows]
    return ("\n".join(lines) + "\n").encode()


def table_inputs() -> dict[str, bytes]:
    rng = np.random.default_rng(0)
    normal = rng.normal(size=(300, 5))
    head5 = [f"x{j}" for j in range(5)]
    inf = normal.copy()
    inf[1:, 2] = np.inf  # every row but the first holds an infinite cell
    inf[::2, 3] = -np.inf
    ragged = _csv(normal[:30], head5).decode().splitlines()
    ragged[7] += ",1.0"  # line 8 of the file has 6 values under 5 names
    semicolon = _csv(normal[:30], head5, sep=";").decode().replace(".", ",")  # decimal commas, as Excel in Europe
    long_cell = _csv(normal[:30], head5).decode().splitlines()
    long_cell[5] = "9" * 1_000_000 + long_cell[5][long_cell[5].index(","):]
    wide = rng.normal(size=(12, 10_000))
    many = rng.normal(size=(500_000, 4))  # 14 MB: over the tables' cap since round three
    return {
        "csv ordinary 300 x 5": _csv(normal, head5),
        "csv header 'a' x 40000": (",".join(["a"] * 40_000) + "\n" + ",".join(["1"] * 40_000) + "\n"
                                   + ",".join(["2"] * 40_000) + "\n").encode(),
        "csv 12 rows x 10000 columns": _csv(wide, [f"c{j}" for j in range(10_000)], fmt="%.2f"),
        "csv 500000 rows x 4": _csv(many, head5[:4], fmt="%.4f"),
        "csv 150000 rows x 4": _csv(many[:150_000], head5[:4], fmt="%.4f"),  # 4.8 MB: the longest within the cap
        "csv 5000 rows x 30 columns": _csv(rng.normal(size=(5_000, 30)), [f"c{j}" for j in range(30)], fmt="%.2f"),
        "csv ragged row (line 8)": ("\n".join(ragged) + "\n").encode(),
        "csv semicolons, decimal commas": semicolon.encode(),
        "csv semicolons, decimal points": _csv(normal[:30], head5, sep=";"),
        "csv trailing commas": _csv(normal[:30], head5, end=","),
        "csv +-inf cells": _csv(inf, head5),
        "csv 1M-character cell": ("\n".join(long_cell) + "\n").encode(),
        "csv empty file": b"",
    }


def image_inputs() -> dict[str, bytes]:
    return {
        "png 6300x6300 RGBA flat": flat_png(6300, 6300, 4),
        "png 10000x10000 grey mask": flat_png(10_000, 10_000, 1, value=0),
        "png 20000x20000 bomb": flat_png(20_000, 20_000, 1, value=0),
        "png 28x28 with a 5 MB text chunk": flat_png(28, 28, 1, value=0, text=5_000_000),
        "png 3100x3100 RGBA grey (within the cap)": flat_png(3100, 3100, 4, value=128),
    }


DEEP_DECK_LINK = "~eNqLjh4Fo2AUDHcAACS9Y4g"  # 29 characters: a deck nested 1,000 levels deep (the link)


def round2_inputs() -> list[tuple[str, bytes, str]]:
    """(input, bytes, path): what still hurt after round one, each at most its size cap."""
    quoted = [(f"csv quotes after separators {k} kB", (b',"' * (k * 512))[:k * 1024], "table") for k in (4, 16, 32, 64)]
    return quoted + [
        ("csv one line of 19.9 MB", (b"1," * 10_000_000)[:19_900_000], "table"),
        # the largest table the uploader lets a browser send (budgets.TABLE_MAX_BYTES); the 20 MB ones above and below
        # are what only a hand-made request sends past it, up to the server's cap
        ("csv 5 MB of short rows", b"a,b\n" + (b"1,2\n" * 1_310_720)[:5 * 2**20 - 1024], "table"),
        # 1 kB under the cap: room for the multipart form the browser wraps it in
        ("csv 20 MB of short rows", b"a,b\n" + (b"1,2\n" * 5_242_880)[:20 * 2**20 - 1024], "table"),
        ("canvas png 6300x6300 RGBA flat", flat_png(6300, 6300, 4), "canvas"),
        ("canvas png 20000x20000 bomb", flat_png(20_000, 20_000, 1, value=0), "canvas"),
        ("canvas png 280x280 drawing", flat_png(280, 280, 4, value=200), "canvas"),
        ("deck link nested 1,000 deep (29 characters)", DEEP_DECK_LINK.encode(), "deck link"),
        ("deck file nested 50,000 deep (100 kB)", b"[" * 50_000 + b"]" * 50_000, "deck file"),
        ("data: MNIST test images cut short", b"mnist", "data"),
        ("weights: vae-mnist corrupted", b"corrupted", "weights"),
        ("weights: vae-mnist missing", b"missing", "weights"),
    ]


def broken_data(folder: Path) -> Path:
    """A data folder whose MNIST test images stop half-way (a real IDX header; the labels whole)."""
    raw = folder / "MNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for stem, n in (("train", 60_000), ("t10k", 10_000)):
        dims = b"".join(k.to_bytes(4, "big") for k in (n, 28, 28))
        (raw / f"{stem}-images-idx3-ubyte").write_bytes(b"\x00\x00\x08\x03" + dims + bytes(n * 392))
        (raw / f"{stem}-labels-idx1-ubyte").write_bytes(b"\x00\x00\x08\x01" + n.to_bytes(4, "big") + bytes(n))
    return folder


def broken_weights(folder: Path, fault: str, names: list[str] | None = None) -> Path:
    """A copy of pretrained/ with the weights of ``names`` (all: None) corrupted (a byte flipped) or missing."""
    import shutil

    from dgm_core import pretrained
    shutil.copytree(pretrained.PRETRAINED_DIR, folder, dirs_exist_ok=True)
    for f in folder.glob("*.safetensors"):
        if names is None or f.stem in names:
            if fault == "missing":
                f.unlink()
            else:
                data = bytearray(f.read_bytes())
                data[len(data) // 2] ^= 0xFF
                f.write_bytes(bytes(data))
    return folder


# ---------------------------------------------------------------- the child: one input, one path

def _status(field: str) -> int:
    """A /proc/self/status field in kB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def _emit(**kw) -> None:
    print(json.dumps(kw), flush=True)


def _shown(path: str) -> tuple[type, ...]:
    """The exceptions the page that runs ``path`` shows as their sentence (anything else is a traceback)."""
    from dgm_core import pretrained
    from dgm_core.data import DatasetNotFoundError
    from dgm_core.data.convert import ImageError
    from dgm_core.masks import MaskError
    if path.startswith("deck"):
        from ui.deck import DeckError
        return (DeckError,)
    return {"data": (DatasetNotFoundError,), "weights": (pretrained.PretrainedError,),
            "table": (ValueError, DatasetNotFoundError)}.get(path, (ImageError, MaskError, ValueError))


def _verdict(fn, shown: tuple[type, ...]) -> dict:
    """Run fn(): 'accepted', 'sentence' (an exception the page shows, on one line) or 'exception' (a traceback)."""
    t0, cpu0 = time.perf_counter(), time.process_time()
    try:
        fn()
        out = {"verdict": "accepted", "message": ""}
    except shown as e:
        out = {"verdict": "sentence" if "\n" not in str(e) else "exception", "message": str(e)}
    except Exception as e:  # what the page would show as a traceback
        out = {"verdict": "exception", "message": f"{type(e).__name__}: {e}"}
    out["seconds"] = round(time.perf_counter() - t0, 3)
    out["cpu_s"] = round(time.process_time() - cpu0, 3)
    out["message"] = out["message"][:300] + ("…" if len(out["message"]) > 300 else "")
    out["message_chars"] = len(out["message"])
    return out


def _canvas(data: bytes):
    """The canvas's picture as the page reads it: through the checked decoder where this version has one
    (``convert.canvas_rgba``), else as the component decoded it itself (``CanvasResult.image_data``)."""
    from PIL import Image

    from dgm_core.data import convert
    rgba = convert.canvas_rgba(data) if hasattr(convert, "canvas_rgba") else np.asarray(Image.open(BytesIO(data)))
    return convert.image_from_canvas(rgba, "mnist")


def _runner(path: str, data: bytes, tmp: Path):
    """The entry point the app calls for ``path``, on ``data`` (or on the fault ``data`` names)."""
    from dgm_core.data import convert
    if path == "image":
        return lambda b: convert.image_from_bytes(b, "mnist")
    if path == "mask":
        return lambda b: convert.mask_from_bytes(b, (28, 28))
    if path == "canvas":
        return _canvas
    if path.startswith("deck"):
        from ui import deck
        pages = deck.page_files()
        return lambda b: deck.decode(b.decode(), pages) if path == "deck link" else deck.parse(b, pages)
    if path == "data":
        from dgm_core.data import load_images
        root = broken_data(tmp / "data")
        return lambda b: load_images("mnist", "test", data_dir=root)
    if path == "weights":
        from dgm_core import pretrained
        folder = broken_weights(tmp / "pretrained", data.decode(), ["vae-mnist"])
        return lambda b: pretrained.load("vae-mnist", folder)
    return None


def child(path: str, data: bytes, extra: str) -> None:
    import tempfile

    import torch

    from dgm_core.demos import mnar  # noqa: F401  (imported before the peak is reset: its imports are not the input's)
    torch.set_num_threads(1)
    run = _runner(path, data, Path(tempfile.mkdtemp()))
    blobs = [bytes(data[i:i + int(n)]) for i, n in json.loads(extra)] if extra else [data]
    Path("/proc/self/clear_refs").write_text("5")  # the peak counts from here
    rss0 = _status("VmRSS")
    _emit(phase="start", rss0_kb=rss0)
    if run is not None:
        results = [_verdict(lambda b=b: run(b), _shown(path)) for b in blobs]
        counts = {v: sum(r["verdict"] == v for r in results) for v in ("accepted", "sentence", "exception")}
        worst = max(results, key=lambda r: r["seconds"])
        first_exc = next((r["message"] for r in results if r["verdict"] == "exception"), "")
        msg = results[0]["message"] if len(results) == 1 else f"{counts}; first exception: {first_exc}"
        _emit(phase="verdict", verdict=results[0]["verdict"] if len(results) == 1 else
              ("exception" if counts["exception"] else "sentence"), message=msg[:300], counts=counts,
              seconds=worst["seconds"] if len(results) == 1 else round(sum(r["seconds"] for r in results), 3),
              cpu_s=worst["cpu_s"] if len(results) == 1 else round(sum(r["cpu_s"] for r in results), 3),
              peak_kb=_status("VmHWM") - rss0)
        return
    table_holder = {}

    def load():
        # what the MNAR page runs on an upload (ui.mnar_view.load_source): parse, keep complete rows
        from dgm_core.budgets import TABLE_MIN_ROWS
        from dgm_core.data import table_from_csv
        table = table_from_csv(data)
        complete = np.isfinite(table.x).all(1)
        if complete.sum() < TABLE_MIN_ROWS:
            raise ValueError(f"The table has only {int(complete.sum())} rows without missing values; at least "
                             f"{TABLE_MIN_ROWS} are needed to simulate missingness and score imputations.")
        table_holder["x"] = table.x[complete]

    v = _verdict(load, _shown("table"))
    _emit(phase="verdict", **v, peak_kb=_status("VmHWM") - rss0)
    if v["verdict"] != "accepted":
        return
    from dgm_core.demos import mnar as mnar_lab
    x = table_holder["x"]
    t0 = time.perf_counter()
    sim = mnar_lab.simulate(x, "notmiwae_uci", {"offset": 0.0, "n_features": max(x.shape[1] // 2, 1)}, 0)
    fits = mnar_lab.fit_all(sim, "tiny", 0)
    _emit(phase="training", seconds=round(time.perf_counter() - t0, 2), rows=int(x.shape[0]), columns=int(x.shape[1]),
          rmse={k: round(f.rmse, 3) for k, f in fits.items()}, peak_kb=_status("VmHWM") - rss0)


# ---------------------------------------------------------------- the pages: broken server files, a deck link

PAGE_FAULTS = (("data: MNIST test images cut short", ("inpainting", "vae")),
               ("weights: every model corrupted", ("inpainting", "vae", "latent", "clusters", "mnar_images")),
               ("weights: vae-mnist missing", ("inpainting", "vae")),
               ("link: a deck nested 1,000 deep", ("home", "latent")))


def page_child(page: str, fault: str) -> None:
    """One page run alone (AppTest) with ``fault`` in place: its exceptions and what it said, as a JSON line."""
    import tempfile

    from streamlit.testing.v1 import AppTest
    tmp = Path(tempfile.mkdtemp())
    os.environ.pop("DGM_DATA_DIR", None)
    if fault.startswith("data"):
        os.environ["DGM_DATA_DIR"] = str(broken_data(tmp / "data"))
    if fault.startswith("weights"):
        from dgm_core import pretrained
        pretrained.PRETRAINED_DIR = broken_weights(tmp / "pretrained", fault.split()[-1],
                                                   None if "every" in fault else ["vae-mnist"])
    at = AppTest.from_file(str(Path.cwd() / "pages" / f"{page}.py"), default_timeout=300)
    if fault.startswith("link"):
        at.query_params["deck"] = DEEP_DECK_LINK
    at.run()
    _emit(phase="page", exceptions=[e.message[:300] for e in at.exception],
          said=[e.value[:300] for e in (*at.error, *at.warning)][:3])


def page_rows(code: Path) -> list[dict]:
    """Every (fault, page) of PAGE_FAULTS in a child process running the checkout at ``code``."""
    rows = []
    for fault, pages in PAGE_FAULTS:
        for page in pages:
            out = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--page", page, fault], cwd=code,
                                 env=code_env(code), capture_output=True, text=True, timeout=600)
            got = next((json.loads(s) for s in out.stdout.splitlines() if s.startswith('{"phase": "page"')), None)
            row = {"fault": fault, "page": page, "exceptions": len(got["exceptions"]) if got else None,
                   "said": (got["exceptions"] or got["said"] or [""])[0] if got else out.stderr.strip()[-300:]}
            rows.append(row)
            print(json.dumps(row)[:400], flush=True)
    return rows


# ---------------------------------------------------------------- another session's page load, quiet and during

class _Tee:
    """A websocket whose incoming messages are also shown to ``see`` (sending, closing: the websocket's own)."""

    def __init__(self, ws, see):
        self.ws, self.see = ws, see

    def __getattr__(self, name: str):
        return getattr(self.ws, name)

    async def __aiter__(self):
        async for raw in self.ws:
            self.see(raw)
            yield raw


class Uploader(LightSession):
    """A student of ``bench class_load`` who also sends a file through a page's uploader as the browser does: the
    upload URL asked for on the websocket (FileURLsRequest), the file PUT there (multipart, the XSRF cookie echoed in
    its header), then a rerun with the uploader's state. Its reader sees what LightSession's does, and more: every
    widget by its label (the uploader too), the page's alerts, the upload URLs."""

    def __init__(self, url: str):
        super().__init__(url, {"exceptions": [], "console_errors": []})
        self.said, self.urls = [], asyncio.Queue()

    def _open_page(self) -> None:
        super()._open_page()
        with urllib.request.urlopen(self.url + "/_stcore/health", timeout=60) as r:  # where the XSRF cookie is set
            for header in r.headers.get_all("Set-Cookie") or []:
                name, _, value = header.split(";", 1)[0].partition("=")
                self.cookies[name.strip()] = value.strip()

    async def __aenter__(self) -> Uploader:
        await super().__aenter__()
        self.ws = _Tee(self.ws, self._see)  # before its reader task first runs: it reads through the tee
        return self

    def _see(self, raw: bytes) -> None:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
        msg = ForwardMsg.FromString(raw)
        if msg.HasField("file_urls_response"):
            self.urls.put_nowait(msg.file_urls_response.file_urls[0])
        elif msg.HasField("delta") and msg.delta.HasField("new_element"):
            el = msg.delta.new_element
            inner = getattr(el, el.WhichOneof("type") or "empty")
            if getattr(inner, "id", "") and getattr(inner, "label", ""):
                self.widgets[inner.label] = inner.id
            if el.WhichOneof("type") in ("alert", "exception"):
                self.said.append(getattr(inner, "body", "") or getattr(inner, "message", ""))

    async def visit(self, page: str, query: str, **values) -> float:
        """Rerun ``page`` with ``query`` in its URL (and widgets set, as LightSession.rerun) -> seconds to its end."""
        self.page, self.query, self.said = page, query, []
        t0 = time.perf_counter()
        await self.rerun(page, **values)
        return time.perf_counter() - t0

    async def upload(self, label: str, name: str, data: bytes) -> dict:
        """The uploader ``label`` holding ``data``: the widget's fields to send with a rerun."""
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.Common_pb2 import FileUploaderState, UploadedFileInfo
        back = BackMsg()
        back.file_urls_request.request_id, back.file_urls_request.file_names[:] = "1", [name]
        await self.ws.send(back.SerializeToString())
        urls = await asyncio.wait_for(self.urls.get(), 60)
        boundary = "dgm" + os.urandom(8).hex()
        body = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
                f"Content-Type: text/csv\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
        put = urllib.request.Request(self.url + urls.upload_url, data=body, method="PUT", headers={
            "Content-Type": f"multipart/form-data; boundary={boundary}", "X-Xsrftoken": self.cookies["_streamlit_xsrf"],
            **self._headers()})
        await asyncio.to_thread(lambda: urllib.request.urlopen(put, timeout=120).read())
        info = UploadedFileInfo(file_id=urls.file_id, name=name, size=len(data), file_urls=urls)
        return {"file_uploader_state_value": FileUploaderState(uploaded_file_info=[info])}


# another session's page loads: the heaviest warm page (Clusters, about 0.9 s here) and a light one (VAE, 0.1-0.3 s),
# neither reading an upload nor sharing anything with the MNAR page
LOAD_PAGES = ("clusters", "vae")
# the worst CSVs, and a control: a 1 kB one the page refuses at once (what any rerun of the MNAR page, and the host's
# load, cost the other session without a hostile input)
LOAD_CONTROL = "csv ragged row (line 8)"
LOAD_INPUTS = ("csv quotes after separators 64 kB", "csv 5 MB of short rows", "csv one line of 19.9 MB",
               "csv 20 MB of short rows", LOAD_CONTROL)
UPLOAD_QUERY = "mnar_table=upload+CSV"


# A's first load starts this long after B's turn (B's upload, then its rerun) starts, and A keeps loading its page
# until B's turn is over: the slowest of those loads is the trial's figure (round two's bench timed one load that
# started 0.2 s after B's rerun, when the cached file's rerun was already over)
LOAD_DELAY_S = 0.01


async def _load_trials(url: str, data: bytes, trials: int) -> list[dict]:
    """Per page of LOAD_PAGES: session A loads it (from Home) ``trials`` times quiet and ``trials`` times while
    session B uploads ``data`` afresh (a new file each time, so the server reads it each time) through the MNAR
    page's uploader and reruns the page with it; during B's turn A loads its page again and again, and the slowest
    load counts. Quiet and during alternately."""
    out = {"exceptions": [], "console_errors": [], "steps": {}, "finished": {}}
    times = {page: {"quiet": [], "during": [], "upload": [], "loads": []} for page in LOAD_PAGES}
    said = ""
    async with LightSession(url, out) as a, Uploader(url) as b:
        await a.rerun("")
        for page in LOAD_PAGES:
            await a.rerun(page)  # a first load fills the shared caches: every timed load is a warm one
        await b.visit("mnar", UPLOAD_QUERY)
        label = next(k for k in b.widgets if k.startswith("A numeric CSV"))
        files = iter(range(10**6))

        async def turn() -> float:
            t0 = time.perf_counter()
            state = {label: await b.upload(label, f"hostile-{next(files)}.csv", data)}
            await b.visit("mnar", UPLOAD_QUERY, **state)
            return time.perf_counter() - t0

        await turn()  # the page's first upload: its widgets settle
        for _ in range(trials):
            for page, got in times.items():
                await a.rerun("")
                t0 = time.perf_counter()
                await a.rerun(page)
                got["quiet"].append(round(time.perf_counter() - t0, 2))
                await a.rerun("")
                job = asyncio.create_task(turn())
                await asyncio.sleep(LOAD_DELAY_S)
                loads = []
                while not loads or not job.done():
                    t0 = time.perf_counter()
                    await a.rerun(page)
                    loads.append(time.perf_counter() - t0)
                    if not job.done():
                        await a.rerun("")
                got["during"].append(round(max(loads), 2))
                got["loads"].append(len(loads))
                got["upload"].append(round(await job, 2))
                said = next((x for x in b.said if x), said)
    med = statistics.median
    return [{"page": page, "quiet_s": t["quiet"], "during_s": t["during"], "upload_run_s": t["upload"],
             "loads_during": t["loads"], "ratio": round(med(t["during"]) / med(t["quiet"]), 2), "said": said[:300],
             "load_exceptions": (out["exceptions"] + b.out["exceptions"])[:3]} for page, t in times.items()]


def load_rows(code: Path, inputs: dict[str, bytes], trials: int) -> list[dict]:
    """Start the app of the checkout at ``code`` (no data folder, no warm-up) on one core, as a small host gives it
    (the sessions' clients on the other), and time LOAD_PAGES quiet and during each of ``inputs``."""
    rows = []
    env = {**os.environ, "DGM_WARMUP": "0"}
    env.pop("DGM_DATA_DIR", None)
    with pinned_server(code, env, Path(tempfile.mkdtemp()) / "server.log", warm=False) as (url, _):
        for name, data in inputs.items():
            for row in asyncio.run(_load_trials(url, data, trials)):
                rows.append({"input": name, **row})
                print(json.dumps(rows[-1])[:400], flush=True)
    return rows


# ---------------------------------------------------------------- the parent

def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def code_env(code: Path) -> dict:
    """The environment of a child that runs the checkout at ``code`` (its packages first on the path)."""
    return {**os.environ, "PYTHONPATH": str(code), "DGM_WARMUP": "0"}


def run_case(file: Path, path: str, timeout: float, rss_kill_mb: float, extra: str = "", code: Path = ROOT) -> dict:
    """One child for (file, path), running the checkout at ``code``; its JSON lines, or where it was stopped."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", path, str(file), extra]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=code, env=code_env(code), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    top, stopped = 0, ""
    while proc.poll() is None:
        top = max(top, _rss_kb(proc.pid))
        if time.perf_counter() - t0 > timeout:
            stopped = f"> {timeout:g} s"
        elif top > rss_kill_mb * 1024:
            stopped = f"> {rss_kill_mb / 1024:g} GB"
        if stopped:
            proc.kill()
            break
        time.sleep(0.1)
    out, err = proc.communicate()
    lines = [json.loads(s) for s in out.splitlines() if s.startswith("{")]
    rec = {line.pop("phase"): line for line in lines}
    rec["wall_s"] = round(time.perf_counter() - t0, 1)
    if stopped:
        rss0 = rec.get("start", {}).get("rss0_kb", 0)
        rec["stopped"] = stopped
        rec["stopped_peak_mb"] = round(max(top - rss0, 0) / 1024)
    elif proc.returncode != 0:
        rec["crash"] = err.strip().splitlines()[-1][:300] if err.strip() else f"exit {proc.returncode}"
    return rec


def _row(name: str, path: str, r: dict) -> dict:
    v, t = r.get("verdict", {}), r.get("training")
    row = {"input": name, "path": path, "verdict": v.get("verdict", "(none)"), "message": v.get("message", ""),
           "verdict_s": v.get("seconds"), "cpu_s": v.get("cpu_s"),
           "verdict_peak_mb": round(v["peak_kb"] / 1024, 1) if v else None}
    if "counts" in v:
        row["counts"] = v["counts"]
    if t:
        row.update(training_s=t["seconds"], training_peak_mb=round(t["peak_kb"] / 1024),
                   trained_on=[t["rows"], t["columns"]])
    elif v.get("verdict") == "accepted" and path == "table":
        row.update(training_s=None, training_peak_mb=None)
    if "stopped" in r:
        row["stopped"] = r["stopped"]
        row["stopped_peak_mb"] = r["stopped_peak_mb"]
        if not v:
            row["verdict"] = f"none ({r['stopped']})"
        else:
            row["training_s"] = r["stopped"]
    if "crash" in r:
        row["crash"] = r["crash"]
    return row


def _fmt(v, unit: str = "") -> str:
    return "–" if v is None else (v if isinstance(v, str) else f"{v:g}{unit}")


VISITOR = ("image", "mask", "canvas", "table", "deck link", "deck file")  # paths of a visitor's input
CAUSE = {"deck link": "the deck parser", "deck file": "the deck parser", "link": "the deck parser", "canvas": "canvas",
         "data": "broken data", "weights": "broken weights", "table": "tables", "image": "images", "mask": "masks"}
BASELINE, FINAL = "round 2 baseline", "round 2"
# the page loads again, as round three measures them (a one-core server, a new file each time, the slowest load
# while it is read), with the code before round three as their baseline; these records hold the CSVs only
LOAD_BASELINE, LOAD_FINAL = "round 3 baseline", "round 3"
TARGETS = (("cpu_s", "worst visitor input of at most its size cap: CPU seconds", 2.0),
           ("ratio", "another session's page load during that input, against quiet (x)", 1.5),
           ("peak_mb", "peak extra memory for any accepted or refused visitor input (MB)", 100.0),
           ("causes", "causes of exceptions from links, files, canvas values, deck files, broken data and weights", 0))


def figures(rec: dict) -> dict:
    """One record's figure per target, each with the input (or the causes) behind it."""
    rows = [r for r in rec["rows"] if r["path"] in VISITOR]
    stopped = [r for r in rows if "stopped" in r and r["verdict"].startswith("none")]
    cpu = max(rows, key=lambda r: r.get("cpu_s") or 0)
    out = {"cpu_s": {"value": f"> {rec['timeout_s']:g}" if stopped else cpu.get("cpu_s"),
                     "input": (stopped[0] if stopped else cpu)["input"]}}
    peak = max(rows, key=lambda r: max(r.get("verdict_peak_mb") or 0, r.get("stopped_peak_mb") or 0))
    out["peak_mb"] = {"value": max(peak.get("verdict_peak_mb") or 0, peak.get("stopped_peak_mb") or 0),
                      "input": peak["input"]}
    hostile = [r for r in rec.get("load", []) if r["input"] != LOAD_CONTROL]
    if hostile:
        worst = max(hostile, key=lambda r: r["ratio"])
        out["ratio"] = {"value": worst["ratio"], "input": f"{worst['input']} ({worst['page']} page)"}
        control = [r["ratio"] for r in rec["load"] if r["input"] == LOAD_CONTROL]
        if control:  # the same loads beside a 1 kB CSV refused at once: how much of a ratio the host's load alone makes
            out["ratio"]["input"] += f"; beside a 1 kB CSV refused at once: up to {max(control):g}"
    causes = {CAUSE[r["path"]] for r in rec["rows"] if r["verdict"] == "exception" or "crash" in r}
    causes |= {CAUSE[r["fault"].split(":")[0]] for r in rec.get("pages", []) if r["exceptions"] != 0}
    out["causes"] = {"value": len(causes), "input": ", ".join(sorted(causes)) or "none"}
    return out


def targets(results: dict) -> list[dict]:
    """The issue's targets: each figure of the round-two record beside its baseline and its bar."""
    if BASELINE not in results or FINAL not in results:
        return []
    before, after = figures(results[BASELINE]), figures(results[FINAL])
    if LOAD_BASELINE in results and LOAD_FINAL in results:
        for out, key in ((before, LOAD_BASELINE), (after, LOAD_FINAL)):
            got = figures(results[key]).get("ratio")
            if got:
                out["ratio"] = {**got, "input": f"{got['input']}, one-core server ({key})"}
    return [{"target": what, "bar": bar, "baseline": before.get(k, {}).get("value"),
             "baseline_input": before.get(k, {}).get("input"), "now": after.get(k, {}).get("value"),
             "now_input": after.get(k, {}).get("input")} for k, what, bar in TARGETS]


def report(doc: dict) -> str:
    results = doc["results"]
    lines = ["# Hostile inputs: time to a verdict and extra peak RSS, one child process per input and path", "",
             "`python -m benchmarks.hostile_inputs --key <key> [--pages] [--code-dir DIR]`. Peak: the child's VmHWM "
             "above its RSS once the file was read (MB). CPU: the child's CPU seconds to the verdict. Training: the "
             "MNAR page's 'tiny' preset on the accepted table, one torch thread.", ""]
    if table := targets(results):
        lines += [f"## Targets: `{BASELINE}` (the code before round two) against `{FINAL}`", "",
                  "| target | bar | baseline | its input | now | its input |", "|---|---|---|---|---|---|"]
        lines += [f"| {t['target']} | {t['bar']:g} | {_fmt(t['baseline'])} | {t['baseline_input']} | "
                  f"{_fmt(t['now'])} | {t['now_input']} |" for t in table]
        lines.append("")
    for key, rec in results.items():
        lines += [f"## {key}", "", *([f"Code: {rec['code']}.", ""] if "code" in rec else []),
                  "| input | path | verdict | s | CPU s | peak MB | tiny training s | its peak MB | message |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for r in rec["rows"]:
            msg = r["message"].replace("|", "\\|").replace("\n", " ")
            msg = msg[:160] + "…" if len(msg) > 160 else msg
            peak = r.get("training_peak_mb") if r.get("training_peak_mb") is not None else r.get("stopped_peak_mb")
            lines.append(f"| {r['input']} | {r['path']} | {r['verdict']} | {_fmt(r['verdict_s'])} | "
                         f"{_fmt(r.get('cpu_s'))} | {_fmt(r['verdict_peak_mb'])} | {_fmt(r.get('training_s'))} | "
                         f"{_fmt(peak)} | {msg} |")
        if rec.get("pages"):
            lines += ["", "Pages run alone (AppTest) with a fault in place:", "",
                      "| fault | page | exceptions | what it said |", "|---|---|---|---|"]
            lines += [f"| {r['fault']} | {r['page']} | {_fmt(r['exceptions'])} | "
                      f"{r['said'][:160].replace('|', '/').replace(chr(10), ' ')} |" for r in rec["pages"]]
        if rec.get("load"):
            how = rec.get("load_how", "the app started with `streamlit run`, no data folder, no warm-up")
            lines += ["", "Another session's page load (s), quiet and while one session uploads the input through the "
                      f"MNAR page ({how}):", "",
                      "| input | page | quiet | during | ratio of medians | B's upload and run s | it said |",
                      "|---|---|---|---|---|---|---|"]
            lines += [f"| {r['input']} | {r['page']} | {', '.join(map(str, r['quiet_s']))} | "
                      f"{', '.join(map(str, r['during_s']))} | "
                      f"{r['ratio']:g} | {', '.join(map(str, r['upload_run_s']))} | "
                      f"{r['said'][:120].replace('|', '/')} |" for r in rec["load"]]
        if rec.get("round4"):
            lines += round4_report(rec["round4"])
        lines += ["", machine_line(rec["machine"]), ""]
    return "\n".join(lines)


# ---------------------------------------------------------------- round four (issue 65): the class's results, the
# border's schema and depth, tracebacks, saved decks, upload units; measured in this process (``--round4``)

def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _r4_shared_results() -> dict:
    """The warm-up's default Inpainting view, then 70 own Runs of one session (each its own entry, as large as the
    default's), then the default view asked for again: whether it is still cached, and how long it takes."""
    import copy

    from server import Job, ResultCache, Serving, key_of, warmup
    from ui.warmup import warm_jobs

    shared = Serving(ResultCache(64, 256 * 2**20))  # ui.serving's sizes
    t0 = time.perf_counter()
    (key,) = warmup.warm(shared, [j for j in warm_jobs() if j.__name__ == "inpainting mnist"])
    computed = time.perf_counter() - t0
    default = shared.peek(key).value
    for i in range(70):
        shared.run(Job(key_of("own run", i), lambda p: copy.deepcopy(default), "inpainting"), "student:inp_run")
    t0 = time.perf_counter()
    hit = shared.peek(key)
    return {"what": "a student's 70 own server Runs, then a fresh Inpainting page", "kept": hit is not None,
            "shown_s": round(time.perf_counter() - t0, 4), "recompute_s": round(computed, 2),
            "entries": len(shared.cache)}


def _r4_forged_answers() -> dict:
    """Every browser method's genuine result with each of its fields (and its diagnostics' and scores') dropped in
    turn, and each number set to each extreme: refused in one clause, or passed and turned into rows."""
    import copy

    from dgm_core.demos import inpainting
    from server import border
    from benchmarks.browser_answers import answer, digit
    from server.inpaint_job import browser_methods, model_specs, rows_of as _rows

    s = inpainting.Settings(steps=16, chains=2, burn_in=4, n_samples=40, n_draws=3, snapshots=4, flow_steps=2,
                            particles=4)
    methods = browser_methods("mnist")
    x, mask = digit("mnist")
    e = border.Expected.of(x, mask, methods, s, dataset="mnist", models=model_specs("mnist"), job="j")
    genuine = answer("j", methods, x, mask, s, "mnist")
    cases = []
    for i, r in enumerate(genuine["results"]):
        for where in [None, "diagnostics", "scores"]:
            rec = r if where is None else r.get(where)
            if not isinstance(rec, dict):
                continue
            for k, v in rec.items():
                if k == "method":
                    continue
                cases.append((i, where, k, "drop"))
                if type(v) in (int, float):
                    cases += [(i, where, k, bad) for bad in (0, -1, 1e300, -1e300, 1e308, -1e308, 2**53, "")]
    counts = {"accepted": 0, "sentence": 0, "exception": 0}
    first = ""
    for i, where, k, change in cases:
        msg = copy.deepcopy(genuine)
        rec = msg["results"][i] if where is None else msg["results"][i][where]
        if change == "drop":
            del rec[k]
        else:
            rec[k] = change
        try:
            _rows(border.check_message(msg, e).results, e, "mnist")
            counts["accepted"] += 1
        except border.Refused:
            counts["sentence"] += 1
        except Exception as err:  # noqa: BLE001 - what the row counts
            counts["exception"] += 1
            first = first or f"{methods[i]} {where or ''} {k} {change}: {type(err).__name__}: {err}"[:200]
    return {"what": "generated forged answers (fields present / absent, extreme values, every method)",
            "cases": len(cases), "methods": len(methods), **counts, "first_exception": first}


def _r4_deep_and_large() -> list[dict]:
    """A 100,000-deep answer (as the panel's text, and as a whole widget state before Streamlit decodes it), and the
    RSS after 20 refused 15 MB answers of each kind."""
    from server import border, schema, widget_states
    from streamlit.proto.BackMsg_pb2 import BackMsg

    def frame(value: str) -> bytes:
        m = BackMsg()
        w = m.rerun_script.widget_states.widgets.add()
        w.id, w.json_value = "$$ID-panel", value
        return m.SerializeToString()

    deep = "[" * 100_000 + "]" * 100_000
    out = []
    try:
        schema.parse(deep, 10**7, 4)
        said = "accepted"
    except schema.Refused as err:
        said = str(err)
    state = BackMsg()
    state.ParseFromString(widget_states.bounded(frame('{"result": ' + deep + "}")))
    out.append({"what": "a 100,000-deep answer", "as_text": said,
                "as_state": json.loads(state.rerun_script.widget_states.widgets[0].json_value)})
    n = 15 * 2**20
    for kind in ("flat text", "deep text", "deep state"):
        before = _rss_mb()
        for _ in range(20):
            if kind == "flat text":
                text = '{"job": "' + "A" * (n - 11) + '"}'
                try:
                    schema.parse(text, 2 * 10**6, border.MAX_DEPTH)  # a default MNIST job's budget is about 0.7 MB
                except schema.Refused:
                    pass
            elif kind == "deep text":
                text = "[" * (n // 2) + "]" * (n // 2)
                try:
                    schema.parse(text, n + 1, border.MAX_DEPTH)  # within the size: refused for its depth
                except schema.Refused:
                    pass
            else:
                text = frame("[" * (n // 2) + "]" * (n // 2))
                widget_states.bounded(text)
            del text
        out.append({"what": f"RSS after 20 refused 15 MB answers ({kind})", "grew_mb": round(_rss_mb() - before, 1)})
    return out


def _r4_tracebacks() -> dict:
    """An uncaught error in a page under the shipped configuration: the lines of traceback and the paths shown."""
    import tomllib

    from streamlit import config
    from streamlit.testing.v1 import AppTest

    shipped = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())["client"].get("showErrorDetails")
    config.set_option("client.showErrorDetails", shipped if shipped is not None else "full")
    at = AppTest.from_string("open('/srv/dgm/no-such-file.bin')", default_timeout=60).run()
    shown = [*at.exception[0].stack_trace, at.exception[0].message] if at.exception else []
    return {"what": "server paths in any traceback", "showErrorDetails": shipped,
            "trace_lines": len(at.exception[0].stack_trace) if at.exception else 0,
            "paths_shown": sum("/" in line for line in shown)}


def _r4_saved_decks(saves: int = 20_000, unlimited_saves: int = 2_000) -> dict:
    """Another lecturer's deck, opened by its class, in a store filled to its cap; then ``saves`` saves of new decks
    from one tab (the rates as shipped), then ``unlimited_saves`` more as if from that many addresses and sessions."""
    import sqlite3

    from server import saved_decks as sd

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        sd._db(folder).close()
        db = sqlite3.connect(folder / "decks.sqlite")
        old = (f'{{"old": {i}}}' for i in range(sd.MAX_DECKS - 1))  # never opened, saved long ago
        db.executemany("INSERT INTO decks VALUES (?, ?, ?, NULL)", ((sd.code_of(t), t, 1000.0) for t in old))
        db.commit()
        db.close()
        theirs = sd.save('{"title": "week 3"}', folder, session="lecturer", address="198.51.100.1")
        sd.load(theirs, folder)
        sd.SESSIONS, sd.ADDRESSES = (sd.RateLimit(*sd.budgets.DECK_SAVE_SESSION_RATE),
                                     sd.RateLimit(*sd.budgets.DECK_SAVE_ADDRESS_RATE))
        t0, saved = time.perf_counter(), 0
        for i in range(saves):
            try:
                sd.save(f'{{"tab": {i}}}', folder, session="one-tab", address="203.0.113.9")
                saved += 1
            except sd.SavedDeckError:
                pass
        tab_s = time.perf_counter() - t0
        t0, many = time.perf_counter(), 0
        for i in range(unlimited_saves):
            sd.save(f'{{"many": {i}}}', folder, session=f"s{i}", address=f"10.{i // 65536}.{i // 256 % 256}.{i % 256}")
            many += 1
        many_s = time.perf_counter() - t0
        try:
            kept = sd.load(theirs, folder) == '{"title": "week 3"}'
        except sd.SavedDeckError:
            kept = False
    return {"what": "another lecturer's deck after 20,000 saves from one tab", "kept": kept, "store": sd.MAX_DECKS,
            "tab_saves": saves, "tab_saved": saved, "tab_s": round(tab_s, 1), "addresses_saves": unlimited_saves,
            "addresses_saved": many, "addresses_s": round(many_s, 1)}


def _r4_uploads() -> list[dict]:
    """One byte under and one over each stated upload limit, through the converters the pages call."""
    from dgm_core import budgets
    from dgm_core.data.convert import ImageError, decode_upload
    from dgm_core.data.tables import table_from_csv

    img = BytesIO()
    from PIL import Image
    pic = Image.new("L", (28, 28), 0)
    pic.paste(255, (12, 4, 16, 24))
    pic.save(img, format="PNG")
    head, row = b"a,b,c,d,e\n", b"1,2,3,4,5\n"
    out = []
    for what, cap, make, read, errors in (
            ("image", budgets.UPLOAD_MAX_BYTES, lambda n: img.getvalue() + bytes(n - img.tell()), decode_upload,
             ImageError),
            ("table", budgets.TABLE_MAX_BYTES,
             lambda n: head + row * ((n - len(head)) // len(row)) + b"9" * ((n - len(head)) % len(row)),
             table_from_csv, ValueError)):
        for delta in (-1, 1):
            blob = make(cap + delta)
            try:
                read(blob)
                said = "accepted"
            except errors as err:
                said = str(err)
            out.append({"what": f"{what}, {cap + delta:,} bytes (stated {budgets.megabytes(cap)})",
                        "bytes": len(blob), "said": said})
    return out


def round4_rows() -> dict:
    """Each row of issue 65's targets that this process can measure."""
    out = {}
    for name, f in (("shared_results", _r4_shared_results), ("forged_answers", _r4_forged_answers),
                    ("deep_and_large", _r4_deep_and_large), ("tracebacks", _r4_tracebacks),
                    ("saved_decks", _r4_saved_decks), ("uploads", _r4_uploads)):
        t0 = time.perf_counter()
        out[name] = f()
        print(json.dumps({name: out[name]})[:600], flush=True)
        out[name + "_bench_s"] = round(time.perf_counter() - t0, 1)
    return out


def round4_report(r4: dict) -> list[str]:
    """The round-four rows as Markdown lines."""
    lines = ["", "Round four (issue 65), measured in one process (`--round4`):", "", "| row | figures |", "|---|---|"]
    for name, v in r4.items():
        if name.endswith("_bench_s"):
            continue
        for item in v if isinstance(v, list) else [v]:
            figs = "; ".join(f"{k}: {x}" for k, x in item.items() if k != "what")
            lines.append(f"| {item['what']} | {figs.replace('|', '/')[:400]} |")
    return lines


def options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--key", default="round 2", help="the record to write (others in the file are kept)")
    p.add_argument("--timeout", type=float, default=120.0, help="seconds before a child is killed")
    p.add_argument("--rss-kill-mb", type=float, default=6000.0, help="RSS above which a child is killed")
    p.add_argument("--only", default="", help="run only inputs whose name contains this")
    p.add_argument("--pages", action="store_true", help="also the pages on broken files, and the page load during")
    p.add_argument("--trials", type=int, default=3, help="page loads quiet, and during each input, with --pages")
    p.add_argument("--code-dir", type=Path, default=ROOT, help="the checkout to measure (default: this one)")
    p.add_argument("--round4", action="store_true", help="only round four's rows (issue 65), in this process")
    p.add_argument("--child", nargs=3, metavar=("PATH", "FILE", "EXTRA"), help=argparse.SUPPRESS)
    p.add_argument("--page", nargs=2, metavar=("PAGE", "FAULT"), help=argparse.SUPPRESS)


def run(a: argparse.Namespace) -> dict | None:
    """This run's record (``--key``); None in a child process (``--child``, ``--page``), which writes nothing."""
    if a.child:
        child(a.child[0], Path(a.child[1]).read_bytes(), a.child[2])
        return None
    if a.page:
        page_child(*a.page)
        return None
    code = a.code_dir.resolve()
    if a.round4:
        return {"rows": [], "timeout_s": a.timeout, "round4": round4_rows()}
    rows = []
    round2 = round2_inputs()
    with tempfile.TemporaryDirectory() as tmp:
        jobs = [(n, b, path) for n, b in image_inputs().items() for path in ("image", "mask")]
        mutants = bmp_mutants()
        jobs += [("bmp x280 byte-mutated", b"".join(mutants), path) for path in ("image", "mask")]
        jobs += [(n, b, "table") for n, b in table_inputs().items()] + round2
        offsets = json.dumps([[sum(map(len, mutants[:i])), len(m)] for i, m in enumerate(mutants)])
        for i, (name, blob, path) in enumerate(jobs):
            if a.only and a.only not in name:
                continue
            f = Path(tmp) / f"{i}.bin"
            f.write_bytes(blob)
            r = run_case(f, path, a.timeout, a.rss_kill_mb, offsets if name.startswith("bmp") else "", code)
            row = _row(name, path, r)
            row["file_kb"] = round(len(blob) / 1024, 1)
            rows.append(row)
            print(json.dumps(row)[:400], flush=True)
    results = a.previous.get("results", {})
    record = {"rows": rows, "timeout_s": a.timeout, "rss_kill_mb": a.rss_kill_mb,
              "code": "this checkout" if code == ROOT else str(code)}
    if a.only and a.key in results:  # a partial rerun replaces its own rows only
        record = {**{k: v for k, v in results[a.key].items() if k not in ("command", "machine")},
                  "rows": [r for r in results[a.key]["rows"] if a.only not in r["input"]] + rows}
    if a.pages:
        record["pages"] = page_rows(code)
        inputs = {n: b for n, b, _ in jobs if n in LOAD_INPUTS}
        record["load"] = load_rows(code, {n: inputs[n] for n in LOAD_INPUTS if n in inputs}, a.trials)
        record["load_how"] = ("the app started with `streamlit run` on one core, the clients on the other, no data "
                              "folder, no warm-up; B uploads a new file each time and reruns the page with it, A "
                              "loads its page until B's turn is over: the slowest of those loads")
    return record


def merge(old: dict, record: dict, a: argparse.Namespace) -> dict:
    """The file's records by ``--key``, this run's replacing its own, and the targets judged on all of them."""
    results = {**old.get("results", {}), a.key: record}
    return {"results": results, "targets": targets(results)}


BENCH = bench(run, report, options=options, merge=merge)


if __name__ == "__main__":
    raise SystemExit(BENCH.main())
