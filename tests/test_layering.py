"""Import directions inside dgm_core, read from the source with ast (no import needed):

    imputation (leaf) <- models <- samplers <- demos, training <- __main__;  missingness below models;
    demos and training never import each other (what both need lives in models/ or a top-level module
    such as mnar_experiment); nothing in dgm_core imports benchmarks, ui, pages or streamlit; no module
    takes another's private name.
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


FILES = sorted(CORE.rglob("*.py"))
# (importing package, imported package): directions that must not exist
FORBIDDEN = [
    ("dgm_core", "benchmarks"), ("dgm_core", "ui"), ("dgm_core", "pages"), ("dgm_core", "streamlit"),
    ("dgm_core", "tests"),
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
