"""Every download button of the app is ``on_click="ignore"``, read from the source with ast.

A download that reruns the script costs a student a whole rerun for nothing, and with a file made on the click (a
callable ``data``) the rerun races the download: the run it starts registers the button's file anew and drops the
one the click asked for, so on a busy server the file never comes ("no download started")."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted([ROOT / "app.py", *(ROOT / "pages").glob("*.py"), *(ROOT / "ui").rglob("*.py")])


def _downloads(path: Path) -> list[ast.Call]:
    return [n for n in ast.walk(ast.parse(path.read_text())) if isinstance(n, ast.Call)
            and isinstance(n.func, ast.Attribute) and n.func.attr == "download_button"]


def _ignores(call: ast.Call) -> bool:
    return any(k.arg == "on_click" and isinstance(k.value, ast.Constant) and k.value.value == "ignore"
               for k in call.keywords)


def test_there_are_downloads_to_check():
    assert sum(len(_downloads(p)) for p in SOURCES) >= 15


def test_every_download_ignores_the_click():
    rerunning = [f"{p.relative_to(ROOT)}:{c.lineno}" for p in SOURCES for c in _downloads(p) if not _ignores(c)]
    assert not rerunning, f"download buttons that rerun the page: {rerunning}"
