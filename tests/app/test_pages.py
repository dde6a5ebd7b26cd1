"""Every page renders on its own (a cold deep link runs the page file without app.py) and through
app.py's navigation; the pages live in the design card's ``pages/`` folder and nowhere else."""
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

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
    import ast

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
