"""Every page renders on its own (a cold deep link runs the page file without app.py) and through
app.py's navigation; the pages live in the design card's ``pages/`` folder and nowhere else."""
import ast
import importlib
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dgm_core.demos import prefixes as prefixes_of_demos
from server import manifest
from ui.catalog import PAGES

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.url_path)
def test_page_renders_alone(page):
    at = AppTest.from_file(str(ROOT / page.file), default_timeout=120).run()
    assert not at.exception, at.exception
    assert at.title and at.title[0].value  # its own heading, without app.py around it


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.url_path)
def test_page_renders_through_app(page):
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.switch_page(page.file).run()
    assert not at.exception, at.exception
    alone = AppTest.from_file(str(ROOT / page.file), default_timeout=120).run()
    assert at.title[0].value == alone.title[0].value


def test_pages_live_in_pages_folder_only():
    assert not (ROOT / "app_pages").exists(), "pages belong in pages/ (the design card's layout)"
    listed = {p.file for p in PAGES}
    on_disk = {f"pages/{f.name}" for f in (ROOT / "pages").glob("*.py")}
    assert listed == on_disk, "every file in pages/ is a page of the navigation, and every page is in pages/"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.url_path)
def test_page_starts_with_the_shared_setup(page):
    """The first statement after the imports is setup_page(): page config and shared state even when
    the page runs alone."""
    body = ast.parse((ROOT / page.file).read_text()).body
    first = next(n for n in body if not isinstance(n, (ast.Import, ast.ImportFrom, ast.Expr))
                 or (isinstance(n, ast.Expr) and isinstance(n.value, ast.Call)))
    assert isinstance(first, ast.Expr) and ast.unparse(first.value) == "setup_page()"


def test_no_page_or_shipped_result_speaks_the_projects_own_jargon():
    import re

    root = Path(__file__).resolve().parents[2]
    jargon = re.compile(r"project's bar|course project|seed code|original project|course notebook|issue's target",
                        re.IGNORECASE)
    files = [path for folder in ("pages", "ui", "dgm_core", "benchmarks/results") for path in (root / folder).rglob("*")
             if path.suffix in (".py", ".md", ".json")] + [root / "benchmarks" / "published.json"]  # pages show it
    found = [f"{path.relative_to(root)}: {m.group(0)}"
             for path in files for m in jargon.finditer(path.read_text(encoding="utf-8"))]
    assert not found, found


def _keys(path: Path) -> set[str]:
    """The file's string literals that could be a link's key: alone, a dict's key or a ``key=``'s value."""
    tree, out = ast.parse(path.read_text()), set()
    for n in ast.walk(tree):
        if isinstance(n, ast.Dict):
            out |= {k.value for k in n.keys if isinstance(k, ast.Constant)}
        elif isinstance(n, ast.keyword) and "key" in (n.arg or "") and isinstance(n.value, ast.Constant):
            out.add(n.value.value)
        elif isinstance(n, ast.Constant) and isinstance(n.value, str) and n.value.endswith("_"):
            out.add(n.value)
    return out


def test_a_page_is_its_file_and_its_descriptor():
    """A new page writes its file, its view module's descriptor (``PAGE``), its dgm_core.demos spec and prefix, and
    lists the view module in ui.catalog: nothing else lists pages. Each descriptor's page is its own: a URL path
    and prefix of its own, the demo module of its name, its file importing its view module."""
    paths, prefixes = [p.url_path for p in PAGES], [p.prefix for p in PAGES if p.prefix]
    assert len(set(paths)) == len(paths) and len(set(prefixes)) == len(prefixes)
    assert {p.url_path: p.prefix for p in PAGES if p.prefix} == prefixes_of_demos() == manifest.facts()["prefixes"]
    for p in PAGES:
        assert p.demo is None or p.demo.__name__ == f"dgm_core.demos.{p.url_path}", p.url_path
        view_module = f"ui.{p.url_path}_view"
        assert p is importlib.import_module(view_module).PAGE, f"{view_module} does not export {p.file}'s PAGE"
        imported = {name for n in ast.walk(ast.parse((ROOT / p.file).read_text()))
                    if isinstance(n, (ast.Import, ast.ImportFrom)) for a in n.names
                    for name in ((n.module, f"{n.module}.{a.name}") if isinstance(n, ast.ImportFrom) else (a.name,))}
        assert view_module in imported or not p.prefix, f"{p.file} does not import {view_module}"
        assert all(v.draw is not None for v in p.views.values()), p.url_path


def test_no_prefix_is_written_outside_its_pages_spec():
    """A page's prefix in a link is written once, beside its spec (dgm_core/demos/<page>.py): no other module of the
    app writes it, alone or before one of its controls' names (``"gan_"``, ``"gan_toy"``)."""
    written = {p.prefix for p in PAGES if p.prefix} | {p.prefix + k for p in PAGES for k in p.controls}
    files = [ROOT / "app.py", *(ROOT / "pages").glob("*.py"), *(ROOT / "ui").glob("*.py"),
             *(ROOT / "server").rglob("*.py")]
    found = {f"{f.relative_to(ROOT)}: {sorted(written & _keys(f))}" for f in files if written & _keys(f)}
    assert not found, found
