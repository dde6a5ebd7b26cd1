"""Vendor onnxruntime-web into static/ort/, the browser runtime of the latent explorer's generators.

    .venv/bin/python tools/vendor_ort.py           # fetch the pinned release from the npm registry, check it, copy
    .venv/bin/python tools/vendor_ort.py --check   # offline: the files in static/ort/ match static/ort/VENDOR.json

The app serves these files itself (Streamlit's static file serving, `/app/static/ort/...`); nothing is fetched
from a CDN at run time. The release is pinned by version and by the registry's sha512 integrity of its
tarball; VENDOR.json records the sha256 of every copied file. To move to a new release, change VERSION and
INTEGRITY (from `npm view onnxruntime-web@X dist.integrity`) and rerun.
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEST = ROOT / "static" / "ort"
PACKAGE = "onnxruntime-web"
VERSION = "1.30.0"
INTEGRITY = "sha512-q0y+JrrtukXSzsBWEMccVfqX25LRmosXHF+CaRJmg8pZClzcV7svNc4rKY3jL02Vb7QmRMDs1SigqR4CXAfKYQ=="
# the WebAssembly-only ES-module bundle (its glue code included) and the one .wasm it loads; no WebGPU/WebGL
FILES = ("dist/ort.wasm.bundle.min.mjs", "dist/ort-wasm-simd-threaded.wasm")
# the package declares "license": "MIT" and ships no licence file; the bundle's header names the holder
LICENSE = """MIT License

Copyright (c) Microsoft Corporation. All rights reserved.

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
"""


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def check(dest: Path = DEST) -> list[str]:
    """What differs between the files in ``dest`` and its VENDOR.json: [] when everything matches."""
    manifest = dest / "VENDOR.json"
    if not manifest.is_file():
        return [f"{manifest} is missing: run tools/vendor_ort.py"]
    record = json.loads(manifest.read_text())
    problems = [] if record.get("version") == VERSION else [f"VENDOR.json has {record.get('version')}, "
                                                            f"this script pins {VERSION}"]
    for name, digest in record["sha256"].items():
        path = dest / name
        if not path.is_file():
            problems.append(f"{name} is missing")
        elif sha256(path) != digest:
            problems.append(f"{name} does not match its sha256 in VENDOR.json")
    return problems


def fetch(dest: Path = DEST) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["npm", "pack", f"{PACKAGE}@{VERSION}", "--silent"], cwd=tmp, check=True,
                       stdout=subprocess.DEVNULL)
        tgz = Path(tmp) / f"{PACKAGE}-{VERSION}.tgz"
        algo, expected = INTEGRITY.split("-", 1)
        got = base64.b64encode(hashlib.new(algo, tgz.read_bytes()).digest()).decode()
        if got != expected:
            sys.exit(f"{tgz.name}: {algo} integrity {got} is not the pinned {expected}")
        dest.mkdir(parents=True, exist_ok=True)
        with tarfile.open(tgz) as tar:
            version = json.load(tar.extractfile("package/package.json"))["version"]
            for member in FILES:
                (dest / Path(member).name).write_bytes(tar.extractfile(f"package/{member}").read())
    (dest / "LICENSE").write_text(LICENSE)
    names = [Path(m).name for m in FILES] + ["LICENSE"]
    record = {"package": PACKAGE, "version": version, "integrity": INTEGRITY, "files": list(FILES),
              "sha256": {n: sha256(dest / n) for n in names},
              "refresh": "python tools/vendor_ort.py; check offline with --check"}
    (dest / "VENDOR.json").write_text(json.dumps(record, indent=1) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="check the vendored files offline, fetch nothing")
    args = ap.parse_args()
    if not args.check:
        fetch()
    problems = check()
    for p in problems:
        print(p, file=sys.stderr)
    print("static/ort: " + ("FAILED" if problems else f"{PACKAGE} {VERSION}, every file matches VENDOR.json"))
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
