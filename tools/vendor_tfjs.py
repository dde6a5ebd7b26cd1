"""Vendor TensorFlow.js into static/tfjs/, the browser's trainer of the Critics and GAN training pages.

    .venv/bin/python tools/vendor_tfjs.py           # fetch the pinned release from the npm registry, check it, copy
    .venv/bin/python tools/vendor_tfjs.py --check   # offline: the files in static/tfjs/ match static/tfjs/VENDOR.json

Two packages of one release: the union package's bundle (tensors, automatic differentiation with every op's gradient
registered, which tfjs-core's own bundle leaves out, and the plain-JavaScript backend used where WebAssembly is
missing) and the WebAssembly backend (XNNPACK kernels; its SIMD and its plain build). Each file is copied under a
name carrying the first 12 hex digits of its sha256, so a new release is a new URL and browsers may keep a file as
long as they like; VENDOR.json maps the package's file name to the copied one (ui/critics_view.py reads it). The app
serves them itself (`/app/static/tfjs/...`), nothing comes from a CDN. The packages are pinned by version and by the
registry's sha512 integrity of each tarball. The packages ship no licence file: LICENSE holds the Apache License 2.0
(Debian's copy, /usr/share/common-licenses) and the notice their files carry.
To move to a new release, change VERSION and INTEGRITY (from
`npm view @tensorflow/tfjs@X dist.integrity`, and for -backend-wasm) and rerun.
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
DEST = ROOT / "static" / "tfjs"
VERSION = "4.22.0"
INTEGRITY = {
    "@tensorflow/tfjs":
        "sha512-0TrIrXs6/b7FLhLVNmfh8Sah6JgjBPH4mZ8JGb7NU6WW+cx00qK5BcAZxw7NCzxj6N8MRAIfHq+oNbPUNG5VAg==",
    "@tensorflow/tfjs-backend-wasm":
        "sha512-/IYhReRIp4jg/wYW0OwbbJZG8ON87mbz0PgkiP3CdcACRSvUN0h8rvC0O3YcDtkTQtFWF/tcXq/KlVDyV49wmA==",
}
# the minified UMD builds for ES2017 browsers (a worker loads them with importScripts) and the two WebAssembly binaries
# the backend picks from (SIMD where the browser has it); no threaded build (it needs a cross-origin-isolated page)
FILES = {
    "@tensorflow/tfjs": ("dist/tf.es2017.min.js",),
    "@tensorflow/tfjs-backend-wasm": ("dist/tf-backend-wasm.es2017.min.js", "dist/tfjs-backend-wasm-simd.wasm",
                                      "dist/tfjs-backend-wasm.wasm"),
}
APACHE = Path("/usr/share/common-licenses/Apache-2.0")
NOTICE = ("TensorFlow.js {version} (@tensorflow/tfjs and @tensorflow/tfjs-backend-wasm), vendored by "
          "tools/vendor_tfjs.py.\nCopyright 2024 Google LLC. All Rights Reserved.\nLicensed under the Apache License, "
          "Version 2.0 (the \"License\"), reproduced below.\n\n")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def hashed(name: str, digest: str) -> str:
    """tf-core.min.js -> tf-core.min.<12 hex digits>.js: a file's content names it."""
    stem, dot, ext = name.rpartition(".")
    return f"{stem}.{digest[:12]}{dot}{ext}"


def check(dest: Path = DEST) -> list[str]:
    """What differs between the files in ``dest`` and its VENDOR.json: [] when everything matches."""
    manifest = dest / "VENDOR.json"
    if not manifest.is_file():
        return [f"{manifest} is missing: run tools/vendor_tfjs.py"]
    record = json.loads(manifest.read_text())
    problems = [] if record.get("version") == VERSION else [f"VENDOR.json has {record.get('version')}, "
                                                            f"this script pins {VERSION}"]
    for name, digest in record["sha256"].items():
        path = dest / name
        if not path.is_file():
            problems.append(f"{name} is missing")
        elif sha256(path) != digest:
            problems.append(f"{name} does not match its sha256 in VENDOR.json")
    for original, copied in record["files"].items():
        if copied not in record["sha256"] or hashed(original, record["sha256"][copied]) != copied:
            problems.append(f"{copied} is not named by its content")
    return problems


def fetch(dest: Path = DEST) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    for old in dest.iterdir():  # an older release's files: their names no longer match
        old.unlink()
    files: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for package, integrity in INTEGRITY.items():
            subprocess.run(["npm", "pack", f"{package}@{VERSION}", "--silent"], cwd=tmp, check=True,
                           stdout=subprocess.DEVNULL)
            tgz = Path(tmp) / f"{package.lstrip('@').replace('/', '-')}-{VERSION}.tgz"
            algo, expected = integrity.split("-", 1)
            got = base64.b64encode(hashlib.new(algo, tgz.read_bytes()).digest()).decode()
            if got != expected:
                sys.exit(f"{tgz.name}: {algo} integrity {got} is not the pinned {expected}")
            with tarfile.open(tgz) as tar:
                version = json.load(tar.extractfile("package/package.json"))["version"]
                if version != VERSION:
                    sys.exit(f"{package}: the tarball holds {version}, not {VERSION}")
                for member in FILES[package]:
                    content = tar.extractfile(f"package/{member}").read()
                    name = hashed(Path(member).name, hashlib.sha256(content).hexdigest())
                    (dest / name).write_bytes(content)
                    files[Path(member).name] = name
    if not APACHE.is_file():
        sys.exit(f"{APACHE} is missing (Debian's copy of the Apache License 2.0): install base-files or copy it")
    (dest / "LICENSE").write_text(NOTICE.format(version=VERSION) + APACHE.read_text())
    names = sorted(files.values()) + ["LICENSE"]
    record = {"package": "@tensorflow/tfjs", "version": VERSION, "integrity": INTEGRITY, "files": files,
              "sha256": {n: sha256(dest / n) for n in names},
              "refresh": "python tools/vendor_tfjs.py; check offline with --check"}
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
    print("static/tfjs: " + ("FAILED" if problems else f"TensorFlow.js {VERSION}, every file matches VENDOR.json"))
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
