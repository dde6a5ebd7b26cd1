"""The browser's manifest (server.manifest -> static/js/manifest.json) is current, its facts are dgm_core's, and the
Python side never writes JavaScript: every panel loads its module through the one mount file."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from server import manifest
from dgm_core.methods import INPAINTING

ROOT = Path(__file__).resolve().parents[1]


def test_the_committed_manifest_is_what_dgm_core_writes():
    assert manifest.PATH.read_text() == manifest.text(), \
        "static/js/manifest.json is stale: run `python -m dgm_core manifest` (or `make manifest`) and commit it"


def test_a_module_hash_follows_what_it_imports(tmp_path):
    (tmp_path / "a.js").write_text("import { b } from './b.js';\nexport const a = b;\n")
    (tmp_path / "b.js").write_text("export const b = 1;\n")
    (tmp_path / "c.js").write_text("export const c = 1;\n")
    before = manifest.module_hashes(tmp_path, facts_json="{}")
    (tmp_path / "b.js").write_text("export const b = 2;\n")
    after = manifest.module_hashes(tmp_path, facts_json="{}")
    assert after["a.js"] != before["a.js"] and after["b.js"] != before["b.js"] and after["c.js"] == before["c.js"]
    (tmp_path / "b.js").write_text("import { a } from './a.js';\nexport const b = a;\n")
    with pytest.raises(ValueError, match="imports itself"):
        manifest.module_hashes(tmp_path, facts_json="{}")


def test_the_browsers_methods_and_families_are_the_registrys():
    m = json.loads(manifest.PATH.read_text())
    assert set(m["browser"]["inpainting"]) <= set(INPAINTING)
    families = {k: v["family"] for k, v in m["methods"]["inpainting"].items()}
    assert families == {k: r.family for k, r in INPAINTING.items()}
    from server.inpaint_job import FAMILY
    assert FAMILY == {k: INPAINTING[k].family for k in m["browser"]["inpainting"]}


def test_module_urls_carry_their_hash_and_unknown_modules_say_how_to_fix_it():
    url = manifest.module_url("workers/inpaint.worker.js")
    assert url.startswith("app/static/js/workers/inpaint.worker.js?v=")
    assert url.endswith(json.loads(manifest.PATH.read_text())["modules"]["workers/inpaint.worker.js"])
    with pytest.raises(KeyError, match="python -m dgm_core manifest"):
        manifest.module_url("panels/nothing.js")


def test_python_never_reads_or_joins_javascript():
    """No JavaScript under ui/; the only .js files Python reads are mount files, each passed as it is."""
    assert not list((ROOT / "ui").glob("*.js"))
    readers = []
    for path in [*(ROOT / "ui").glob("*.py"), *(ROOT / "pages").glob("*.py"), ROOT / "app.py"]:
        for line in path.read_text().splitlines():
            if re.search(r"\.js[\"')]", line) and "read_text" in line:
                readers.append(f"{path.name}: {line.strip()}")
    assert 'panels.py: MOUNT_JS = (JS / "mount.js").read_text()' in readers
    assert all(re.search(r'"mount\.js"\)\.read_text\(\)\)?$', r) for r in readers), readers
