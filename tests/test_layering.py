"""Import directions inside dgm_core and server, read from the source with ast (no import needed):

    imputation (leaf) <- models <- samplers <- demos, training <- __main__;  missingness below models;
    demos and training never import each other (what both need lives in models/ or a top-level module
    such as mnar_experiment); nothing in dgm_core imports benchmarks, ui, pages or streamlit; no module
    takes another's private name.
    dgm_core is the maths: it never imports the server package beside it, a database (sqlite3) or an HTTP framework
    (starlette, anyio, uvicorn, ...). server imports dgm_core, never ui, pages, benchmarks or tests.
"""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORE = ROOT / "dgm_core"


def _module(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, root: Path = ROOT) -> list[tuple[str, list[str]]]:
    """(absolute module, names imported from it) for every import statement of the file."""
    mod, out = _module(path, root), []
    package = mod if path.name == "__init__.py" else mod.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out += [(a.name, []) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            out.append((base, [a.name for a in node.names]))
    return out


FILES = sorted(CORE.rglob("*.py")) + sorted((ROOT / "server").rglob("*.py"))
WEB = ("sqlite3", "starlette", "anyio", "uvicorn", "fastapi", "flask", "aiohttp", "tornado", "http.server",
       "websockets")  # a database and the HTTP frameworks
# (importing package, imported package): directions that must not exist
FORBIDDEN = [
    ("dgm_core", "benchmarks"), ("dgm_core", "ui"), ("dgm_core", "pages"), ("dgm_core", "streamlit"),
    ("dgm_core", "tests"), ("dgm_core", "server"), *(("dgm_core", w) for w in WEB),
    ("server", "ui"), ("server", "pages"), ("server", "benchmarks"), ("server", "tests"),
    ("dgm_core.models", "dgm_core.samplers"), ("dgm_core.models", "dgm_core.demos"),
    ("dgm_core.models", "dgm_core.training"),
    ("dgm_core.samplers", "dgm_core.demos"), ("dgm_core.samplers", "dgm_core.training"),
    ("dgm_core.missingness", "dgm_core.models"), ("dgm_core.missingness", "dgm_core.samplers"),
    ("dgm_core.demos", "dgm_core.training"), ("dgm_core.training", "dgm_core.demos"),
    ("dgm_core.data", "dgm_core.models"),
]


def _inside(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _check_directions(path: Path, root: Path = ROOT) -> None:
    mod = _module(path, root)
    for target, _ in _imports(path, root):
        for src, dst in FORBIDDEN:
            assert not (_inside(mod, src) and _inside(target, dst)), f"{mod} imports {target}"


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_import_directions(path):
    _check_directions(path)


def test_imputation_is_a_leaf():
    targets = {t for t, _ in _imports(CORE / "imputation.py")}
    assert not {t for t in targets if t.startswith("dgm_core")}, targets


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_private_names_across_modules(path):
    for target, names in _imports(path):
        private = [n for n in names if n.startswith("_") and not n.startswith("__")]
        assert not (target.startswith("dgm_core") and private), f"{_module(path)} takes {private} from {target}"


def test_the_checker_sees_a_forbidden_import(tmp_path):
    """The walk itself works: a models file importing samplers is reported."""
    bad = tmp_path / "dgm_core" / "models" / "probe.py"
    bad.parent.mkdir(parents=True)
    bad.write_text("from ..samplers import run_gibbs\n")
    with pytest.raises(AssertionError, match="imports dgm_core.samplers"):
        _check_directions(bad, tmp_path)


@pytest.mark.parametrize("line, target", [
    ("import sqlite3\n", "sqlite3"),
    ("from starlette.routing import Route\n", "starlette.routing"),
    ("from server.poll import PollStore\n", "server.poll"),
])
def test_the_checker_sees_the_maths_import_the_server(tmp_path, line, target):
    bad = tmp_path / "dgm_core" / "demos" / "probe.py"
    bad.parent.mkdir(parents=True)
    bad.write_text(line)
    with pytest.raises(AssertionError, match=f"imports {target}"):
        _check_directions(bad, tmp_path)


@pytest.mark.parametrize("src, line, target", [
    ("training/probe.py", "from ..demos import mnar\n", "dgm_core.demos"),
    ("training/probe.py", "import dgm_core.demos.clusters\n", "dgm_core.demos.clusters"),
    ("demos/probe.py", "from ..training.tabular import RECIPES\n", "dgm_core.training.tabular"),
])
def test_the_checker_sees_demos_and_training_import_each_other(tmp_path, src, line, target):
    bad = tmp_path / "dgm_core" / src
    bad.parent.mkdir(parents=True)
    bad.write_text(line)
    with pytest.raises(AssertionError, match=f"imports {target}"):
        _check_directions(bad, tmp_path)


# ---------------------------------------------------------------- no import circle in ui/ and dgm_core/

def _graph(root: Path, packages: tuple[str, ...] = ("ui", "dgm_core", "server")) -> dict[str, set[str]]:
    """module -> the project modules it imports, every import counted (those inside functions too, so none can hide a
    circle). ``from package import name`` is an edge to the submodule where ``name`` is one, else to the package."""
    files = {_module(p, root): p for pkg in packages for p in sorted((root / pkg).rglob("*.py"))}
    graph: dict[str, set[str]] = {}
    for mod, path in files.items():
        edges = set()
        for target, names in _imports(path, root):
            if target.split(".")[0] not in packages:
                continue
            subs = {f"{target}.{n}" for n in names if f"{target}.{n}" in files}
            edges |= subs
            if target in files and (not names or len(subs) < len(names)):
                edges.add(target)
        graph[mod] = edges - {mod}
    return graph


def _circle(graph: dict[str, set[str]]) -> list[str] | None:
    from graphlib import CycleError, TopologicalSorter
    try:
        TopologicalSorter(graph).prepare()
    except CycleError as e:
        return e.args[1]
    return None


def test_ui_and_dgm_core_import_each_other_without_a_circle():
    assert _circle(_graph(ROOT)) is None, " -> ".join(_circle(_graph(ROOT)))


def test_the_circle_finder_sees_a_circle_through_an_import_inside_a_function(tmp_path):
    (tmp_path / "ui").mkdir()
    (tmp_path / "ui" / "__init__.py").write_text("")
    (tmp_path / "ui" / "a.py").write_text("from ui import b\n")
    (tmp_path / "ui" / "b.py").write_text("def f():\n    from ui.a import g\n")
    (tmp_path / "dgm_core").mkdir()
    assert _circle(_graph(tmp_path)) in (["ui.a", "ui.b", "ui.a"], ["ui.b", "ui.a", "ui.b"])
