"""Hostile uploads: time to a verdict and extra peak memory of the code path the app runs, per input.

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

    python -m benchmarks.hostile_inputs --key baseline   # or: python -m dgm_core bench hostile_inputs

Writes benchmarks/results/hostile_inputs.json (one record per --key, the others kept) and .md.
"""
from __future__ import annotations

import argparse
import json
import os
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from io import BytesIO
from pathlib import Path

import numpy as np

from benchmarks.common import machine, machine_line, write_results

RESULTS = Path(__file__).resolve().parent / "results"
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
    many = rng.normal(size=(500_000, 4))
    return {
        "csv ordinary 300 x 5": _csv(normal, head5),
        "csv header 'a' x 40000": (",".join(["a"] * 40_000) + "\n" + ",".join(["1"] * 40_000) + "\n"
                                   + ",".join(["2"] * 40_000) + "\n").encode(),
        "csv 12 rows x 10000 columns": _csv(wide, [f"c{j}" for j in range(10_000)], fmt="%.2f"),
        "csv 500000 rows x 4": _csv(many, head5[:4], fmt="%.4f"),
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


# ---------------------------------------------------------------- the child: one input, one path

def _status(field: str) -> int:
    """A /proc/self/status field in kB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def _emit(**kw) -> None:
    print(json.dumps(kw), flush=True)


def _verdict(fn) -> dict:
    """Run fn(): 'accepted', 'sentence' (the exception type the page shows) or 'exception' (a traceback)."""
    from dgm_core.data.convert import ImageError
    from dgm_core.masks import MaskError
    t0 = time.perf_counter()
    try:
        fn()
        out = {"verdict": "accepted", "message": ""}
    except (ImageError, MaskError, ValueError) as e:
        out = {"verdict": "sentence", "message": str(e)}
    except Exception as e:  # what the page would show as a traceback
        out = {"verdict": "exception", "message": f"{type(e).__name__}: {e}"}
    out["seconds"] = round(time.perf_counter() - t0, 3)
    out["message"] = out["message"][:300] + ("…" if len(out["message"]) > 300 else "")
    out["message_chars"] = len(out["message"])
    return out


def child(path: str, data: bytes, extra: str) -> None:
    import torch

    from dgm_core.data import convert
    from dgm_core.demos import mnar  # noqa: F401  (imported before the peak is reset: its imports are not the input's)
    torch.set_num_threads(1)
    if path == "image":
        run = lambda b: convert.image_from_bytes(b, "mnist")  # noqa: E731
    elif path == "mask":
        run = lambda b: convert.mask_from_bytes(b, (28, 28))  # noqa: E731
    else:
        run = None
    blobs = [bytes(data[i:i + int(n)]) for i, n in json.loads(extra)] if extra else [data]
    Path("/proc/self/clear_refs").write_text("5")  # the peak counts from here
    rss0 = _status("VmRSS")
    _emit(phase="start", rss0_kb=rss0)
    if run is not None:
        results = [_verdict(lambda b=b: run(b)) for b in blobs]
        counts = {v: sum(r["verdict"] == v for r in results) for v in ("accepted", "sentence", "exception")}
        worst = max(results, key=lambda r: r["seconds"])
        first_exc = next((r["message"] for r in results if r["verdict"] == "exception"), "")
        msg = results[0]["message"] if len(results) == 1 else f"{counts}; first exception: {first_exc}"
        _emit(phase="verdict", verdict=results[0]["verdict"] if len(results) == 1 else
              ("exception" if counts["exception"] else "sentence"), message=msg[:300], counts=counts,
              seconds=worst["seconds"] if len(results) == 1 else round(sum(r["seconds"] for r in results), 3),
              peak_kb=_status("VmHWM") - rss0)
        return
    table_holder = {}

    def load():
        # what the MNAR page runs on an upload (ui.mnar_widgets.load_source): parse, keep complete rows
        from dgm_core.budgets import TABLE_MIN_ROWS
        from dgm_core.data import table_from_csv
        table = table_from_csv(data)
        complete = np.isfinite(table.x).all(1)
        if complete.sum() < TABLE_MIN_ROWS:
            raise ValueError(f"The table has only {int(complete.sum())} rows without missing values; at least "
                             f"{TABLE_MIN_ROWS} are needed to simulate missingness and score imputations.")
        table_holder["x"] = table.x[complete]

    v = _verdict(load)
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


# ---------------------------------------------------------------- the parent

def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def run_case(file: Path, path: str, timeout: float, rss_kill_mb: float, extra: str = "") -> dict:
    """One child for (file, path); its JSON lines, or where it was stopped."""
    cmd = [sys.executable, "-m", "benchmarks.hostile_inputs", "--child", path, str(file), extra]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
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
           "verdict_s": v.get("seconds"), "verdict_peak_mb": round(v["peak_kb"] / 1024) if v else None}
    if "counts" in v:
        row["counts"] = v["counts"]
    if t:
        row.update(training_s=t["seconds"], training_peak_mb=round(t["peak_kb"] / 1024), trained_on=[t["rows"], t["columns"]])
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


def report(results: dict) -> str:
    lines = ["# Hostile inputs: time to a verdict and extra peak RSS, one child process per input and path", "",
             "`python -m benchmarks.hostile_inputs --key <key>`. Peak: the child's VmHWM above its RSS once the "
             "file was read (MB). Training: the MNAR page's 'tiny' preset on the accepted table, one torch thread.",
             ""]
    for key, rec in results.items():
        lines += [f"## {key}", "",
                  "| input | path | verdict | s | peak MB | tiny training s | its peak MB | message |",
                  "|---|---|---|---|---|---|---|---|"]
        for r in rec["rows"]:
            msg = r["message"].replace("|", "\\|").replace("\n", " ")
            msg = msg[:160] + "…" if len(msg) > 160 else msg
            peak = r.get("training_peak_mb") if r.get("training_peak_mb") is not None else r.get("stopped_peak_mb")
            lines.append(f"| {r['input']} | {r['path']} | {r['verdict']} | {_fmt(r['verdict_s'])} | "
                         f"{_fmt(r['verdict_peak_mb'])} | {_fmt(r.get('training_s'))} | {_fmt(peak)} | {msg} |")
        lines += ["", machine_line(rec["machine"]), ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.hostile_inputs")
    p.add_argument("--key", default="final", help="the record to write (others in the file are kept)")
    p.add_argument("--timeout", type=float, default=120.0, help="seconds before a child is killed")
    p.add_argument("--rss-kill-mb", type=float, default=6000.0, help="RSS above which a child is killed")
    p.add_argument("--only", default="", help="run only inputs whose name contains this")
    p.add_argument("--child", nargs=3, metavar=("PATH", "FILE", "EXTRA"), help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.child:
        child(a.child[0], Path(a.child[1]).read_bytes(), a.child[2])
        return 0
    load = os.getloadavg()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        jobs = [(n, b, path) for n, b in image_inputs().items() for path in ("image", "mask")]
        mutants = bmp_mutants()
        jobs += [("bmp x280 byte-mutated", b"".join(mutants), path) for path in ("image", "mask")]
        jobs += [(n, b, "table") for n, b in table_inputs().items()]
        offsets = json.dumps([[sum(map(len, mutants[:i])), len(m)] for i, m in enumerate(mutants)])
        for i, (name, blob, path) in enumerate(jobs):
            if a.only and a.only not in name:
                continue
            f = Path(tmp) / f"{i}.bin"
            f.write_bytes(blob)
            r = run_case(f, path, a.timeout, a.rss_kill_mb, offsets if name.startswith("bmp") else "")
            row = _row(name, path, r)
            row["file_kb"] = round(len(blob) / 1024, 1)
            rows.append(row)
            print(json.dumps(row)[:400], flush=True)
    out = RESULTS / "hostile_inputs.json"
    results = json.loads(out.read_text())["results"] if out.exists() else {}
    if a.only and a.key in results:  # a partial rerun replaces its own rows only
        rows = [r for r in results[a.key]["rows"] if a.only not in r["input"]] + rows
    results[a.key] = {"rows": rows, "timeout_s": a.timeout, "rss_kill_mb": a.rss_kill_mb, "machine": machine(load)}
    write_results(RESULTS, "hostile_inputs", {"results": results}, report(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
