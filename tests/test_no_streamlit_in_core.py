"""The one rule of the architecture: ``dgm_core`` never imports streamlit.

Every module of the package is imported, in a fresh interpreter (another test having imported
streamlit cannot hide anything), and streamlit must not be in ``sys.modules`` afterwards. A static
pass over the source also catches an import inside a function, which importing the module never runs.
"""
import ast
import json
import subprocess
import sys
from pathlib import Path

import dgm_core

PACKAGE = Path(dgm_core.__file__).resolve().parent
ROOT = PACKAGE.parent

_IMPORT_ALL = """
import importlib, json, pkgutil, sys
import dgm_core
names, broken, culprits = ["dgm_core"], [], {}
for info in pkgutil.walk_packages(dgm_core.__path__, "dgm_core.", onerror=broken.append):
    names.append(info.name)
for name in names:
    before = any(m.split(".")[0] == "streamlit" for m in sys.modules)
    try:
        importlib.import_module(name)
    except Exception as e:
        broken.append(f"{name}: {type(e).__name__}: {e}")
    if not before and any(m.split(".")[0] == "streamlit" for m in sys.modules):
        culprits[name] = sorted(m for m in sys.modules if m.split(".")[0] == "streamlit")[:3]
print(json.dumps({"names": names, "broken": broken, "culprits": culprits,
                  "streamlit": "streamlit" in sys.modules}))
"""


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_importing_every_dgm_core_module_never_imports_streamlit():
    proc = subprocess.run([sys.executable, "-c", _IMPORT_ALL], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    on_disk = {_module_name(p) for p in PACKAGE.rglob("*.py")}
    assert on_disk <= set(out["names"]), f"not reached by walk_packages: {sorted(on_disk - set(out['names']))}"
    assert not out["broken"], f"modules that do not import: {out['broken']}"
    assert not out["streamlit"], f"streamlit first pulled in by importing: {out['culprits']}"


def test_no_dgm_core_source_mentions_a_streamlit_import():
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else [])
            offenders += [f"{path.relative_to(ROOT)}:{node.lineno} {n}" for n in names
                          if n.split(".")[0] == "streamlit"]
    assert not offenders, offenders
