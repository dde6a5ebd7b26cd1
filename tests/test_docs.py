"""The docs stay true to the repository.

- docs/RESULTS.md is what ``python -m dgm_core docs`` writes from its template (docs/templates/RESULTS.md.in) and the
  results files today: a figure cannot drift from its file, since no figure is typed (dgm_core.docs).
- docs/DEPLOY.md's limits are the constants they name.
- Every repository path named in the docs (README, docs/*.md, the templates), in a comment or docstring of a Python
  file, or in a comment of static/js, exists; a file under benchmarks/results/ counts only if it is committed (a
  command writes it), other places a command writes count where git ignores them. A dotted name of our packages
  (``ui.warmup.prepare_server``) names a module, and a name that module defines.
- GUIDE's layout names every folder of the repository (top level, each package's folders, static/js's) and no folder
  that is not there.
"""
from __future__ import annotations

import ast
import io
import json
import re
import subprocess
import tokenize
from decimal import Decimal
from fnmatch import fnmatch
from pathlib import Path

import pytest

from dgm_core import budgets as core_budgets
from dgm_core import docs
from server import budgets as server_budgets

ROOT = Path(__file__).resolve().parents[1]
DOCS = ["README.md", *sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "docs").rglob("*.md*"))]


# --- the generated documents -----------------------------------------------------------------------


def test_every_generated_document_is_current():
    """Rerun a benchmark, then ``python -m dgm_core docs``: this fails between the two, and after a hand edit."""
    stale = [p.relative_to(ROOT).as_posix() for p, text in docs.documents().items()
             if not p.is_file() or p.read_text(encoding="utf-8") != text]
    assert stale == [], f"{stale}: run `python -m dgm_core docs` (edit docs/templates/, not the page)"


def test_results_holds_no_hidden_figure_comment():
    assert "<!-- figures" not in (ROOT / "docs" / "RESULTS.md").read_text(encoding="utf-8")


def test_every_results_block_with_a_figure_names_its_files_and_its_command():
    template = (ROOT / docs.TEMPLATES / "RESULTS.md.in").read_text(encoding="utf-8")
    blocks = [s for s in docs.split(template) if s.startswith("### ")]
    assert len(blocks) > 30
    for block in blocks:
        title = block.splitlines()[0]
        if docs.PLACEHOLDER.search(re.sub(r"`[^`\n]*`", "", block)):
            assert docs.sources(block), f"{title!r} names no source"
            assert re.search(r"^- Rerun: .*`", block, re.M), f"{title!r} gives no command to rerun"


def test_a_changed_results_file_changes_the_document(tmp_path):
    results = tmp_path / "benchmarks" / "results"
    results.mkdir(parents=True)
    (results / "x.json").write_text(json.dumps({"rows": [{"k": 1, "mse": 0.03125}]}))
    template = "### X\n\nMSE {{rows/[k=1]/mse | .3f}}.\n\n- Source: `benchmarks/results/x.json`\n"
    assert "MSE 0.031." in docs.fill(template, tmp_path)
    (results / "x.json").write_text(json.dumps({"rows": [{"k": 1, "mse": 0.0351}]}))
    assert "MSE 0.035." in docs.fill(template, tmp_path)


@pytest.mark.parametrize("value, spec, written", [
    ("0.07235", ".3f", "0.072"), ("-90.75", ".2f", "−90.75"), ("-90.75", "", "−90.75"), ("0.0234", "+.3f", "+0.023"),
    ("-0.0234", "+.3f", "−0.023"), ("0.7173", ".0%", "72 %"), ("10000", ",.0f", "10 000"), ("10000", "k", "10k"),
    ("1.3105e-16", ".1e", "1.3e-16"), ("9.165", ".2f", "9.16"), ("5.0", ".0f", "5"), ("12", "", "12"),
])
def test_a_spec_writes_a_number_as_the_docs_do(value, spec, written):
    assert docs.render(Decimal(value), spec) == written


def test_a_version_is_taken_whole_from_its_text():
    assert docs.render("2.13.0+cpu", "version") == "2.13.0"


def test_a_field_is_named_by_keys_indices_and_records(tmp_path):
    (tmp_path / "benchmarks" / "results").mkdir(parents=True)
    (tmp_path / "benchmarks" / "results" / "x.json").write_text(json.dumps(
        {"rows": [{"data": "mnist", "hole": "10x15", "mse": 0.5}, {"data": "celeba", "hole": "10x15", "mse": 0.25}],
         "protocol": "K = 1000, all 10 000 images", "n": [3, 4]}))
    names = ["benchmarks/results/x.json"]
    assert docs.field("rows/[data=celeba, hole=10x15]/mse", names, tmp_path) == Decimal("0.25")
    assert docs.field("x.json: rows/[0]/hole#1", names, tmp_path) == Decimal(15)
    assert docs.field("benchmarks/results/x.json: protocol#1", [], tmp_path) == Decimal(10000)
    assert docs.field("n/[1]", names, tmp_path) == Decimal(4)
    assert docs.field("rows/[len]", names, tmp_path) == Decimal(2)
    for bad in ("rows/[hole=10x15]/mse", "rows/[data=svhn]/mse", "nothing", "protocol#2", "y.json: n"):
        with pytest.raises(LookupError):
            docs.field(bad, names, tmp_path)


def test_a_field_that_is_not_there_is_one_sentence(tmp_path):
    with pytest.raises(docs.DocsError, match=r"'X'.*\{\{nothing\}\}.*does not name one of the section's sources"):
        docs.fill("### X\n\n{{nothing}}\n", tmp_path, "T")


# --- DEPLOY's limits --------------------------------------------------------------------------------

LIMIT = re.compile(r"(?P<n>\d+(?: \d{3})*(?:\.\d+)?)\s(?:(?P<unit>MB|megapixels|s|bytes)\s)?"
                   r"\(`(?P<name>[A-Z][A-Z0-9_]*)`")
UNITS = {"MB": 10**6, "megapixels": 1_000_000}  # MB as Streamlit's uploader counts them in the browser


def test_deploys_limits_are_the_constants_they_name():
    """"at most 20 MB (`UPLOAD_MAX_BYTES`)": 20 MB is dgm_core.budgets.UPLOAD_MAX_BYTES (or server.budgets')."""
    text = (ROOT / "docs" / "DEPLOY.md").read_text(encoding="utf-8")
    section = text.split("### What one visitor's upload costs", 1)[1].split("\n### ", 1)[0]
    found = list(LIMIT.finditer(section))
    prose = re.sub(r"`[^`]*`|\]\([^)]*\)", " ", section)
    assert len(found) == len(docs.numbers(prose)) >= 15, "a limit without its constant's name"
    wrong = []
    for m in found:
        value = getattr(core_budgets, m["name"], getattr(server_budgets, m["name"], None))
        assert isinstance(value, (int, float)), f"{m['name']} is a limit of neither dgm_core/ nor server/budgets.py"
        scale = UNITS.get(m["unit"], 1) if not m["name"].endswith("_MB") else 1
        if Decimal(m["n"].replace(" ", "")) != Decimal(str(value)) / scale:
            wrong.append(f"{m.group(0)} is {value}")
    assert wrong == []


# --- paths the docs and the comments name ------------------------------------------------------------


def _git(*args: str) -> list[str]:
    """The lines git prints; none where git is not there (exit 1 is check-ignore's "nothing ignored")."""
    try:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
    except OSError:
        return []
    return done.stdout.split("\n") if done.returncode in (0, 1) else []


TRACKED = set(filter(None, _git("ls-files")))
FOLDERS = {"/".join(f.split("/")[:i]) for f in TRACKED for i in range(1, f.count("/") + 1)}
TOP = sorted({f.split("/")[0] for f in TRACKED if "/" in f})
PATH = re.compile(r"(?<![\w./-])((?:%s)/[\w./*-]*[\w*/])" % "|".join(map(re.escape, TOP or ["-"])))
MODULE = re.compile(r"(?<![\w./-])(ui|dgm_core|server|benchmarks|tools|pages)\.([a-z_][a-z0-9_]*)"
                    r"(?:\.([a-z_][a-z0-9_]*))?(?![\w(])")
# places a command writes, never committed: the long trainings' checkpoints (python -m dgm_core train --resume)
WRITTEN = ("pretrained/checkpoints",)
SUFFIXES = ("py", "js", "json", "md", "css", "html", "sqlite3", "toml", "txt")


def _prose(path: str) -> list[str]:
    """What a file says in words: a document whole, a Python file's comments and docstrings, a JS file's comments."""
    text = (ROOT / path).read_text(encoding="utf-8")
    if path.endswith(".js"):
        return re.findall(r"//[^\n]*|/\*.*?\*/", text, re.S)
    if not path.endswith(".py"):
        return [docs.PLACEHOLDER.sub(" ", text)]  # a placeholder's path is a field's, checked when the page is written
    out = [t.string for t in tokenize.generate_tokens(io.StringIO(text).readline) if t.type == tokenize.COMMENT]
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            out.append(ast.get_docstring(node, clean=False) or "")
    return out


def _exists(path: str, ignored: set[str]) -> bool:
    if "*" in path:
        return any(fnmatch(t, path) for t in TRACKED)
    path = path.rstrip("/")
    if path in TRACKED or path in FOLDERS or any(t.startswith(path + ".") for t in TRACKED):  # a stem: x.json, x.md
        return True
    if path.startswith(WRITTEN):
        return True
    return not path.startswith("benchmarks/results/") and path in ignored  # a place a command writes


def _defines(module: Path, name: str) -> bool:
    return re.search(rf"^\s*(?:async def|def|class) {name}\b|^{name}\s*[:=]|^(?:from|import) .*\b{name}\b",
                     module.read_text(encoding="utf-8"), re.M) is not None


def _module_exists(package: str, name: str, attr: str | None) -> bool:
    """``package.name[.attr]``: a module (or folder) of the package, or a name its __init__ defines; ``attr`` a
    module of that folder or a name that module defines."""
    if name in SUFFIXES:
        return True  # a file name ("server.py"), not a module path
    base = ROOT / package
    for found in (base / name, base / f"{name}.py"):
        if found.exists():
            if attr is None or attr in SUFFIXES:
                return True
            if found.is_dir():
                return (found / attr).exists() or (found / f"{attr}.py").exists() or _defines(found / "__init__.py",
                                                                                             attr)
            return _defines(found, attr)
    return (base / "__init__.py").is_file() and _defines(base / "__init__.py", name)


def _named() -> list[tuple[str, str, str]]:
    """(file, kind, what) for every path and dotted module name the docs, comments and docstrings give."""
    files = [f for f in sorted(TRACKED) if f.endswith(".py") or f in DOCS
             or (f.startswith("static/js/") and f.endswith(".js"))]
    out = []
    for f in files:
        for text in _prose(f):
            text = re.sub(r"https?://\S+", " ", text)
            for m in PATH.finditer(text):
                after = text[m.end():m.end() + 1]
                # a pattern (<name>, {name}, NAME) or a path that goes on past this match
                if after in "<{" or re.search(r"/(?:[A-Z][A-Z_]*|\.\.\.)(?:[./]|$)", m[1]):
                    continue
                out.append((f, "path", m[1].rstrip(".")))
            out += [(f, "module", m.group(0)) for m in MODULE.finditer(text)]
    return out


@pytest.mark.skipif(not TRACKED, reason="not a git checkout")
def test_every_path_the_docs_and_comments_name_exists():
    named = _named()
    paths = sorted({p for _, kind, p in named if kind == "path"})
    ignored = set(filter(None, _git("check-ignore", "--no-index", *paths))) if paths else set()
    missing = [f"{f}: {p}" for f, kind, p in named if kind == "path" and not _exists(p, ignored)]
    missing += [f"{f}: {p}" for f, kind, p in named
                if kind == "module" and not _module_exists(*MODULE.fullmatch(p).groups())]
    assert len(named) > 500
    assert sorted(set(missing)) == []


@pytest.mark.skipif(not TRACKED, reason="not a git checkout")
def test_the_checker_sees_a_stale_path(tmp_path):
    assert not _exists("ui/inpaint.worker.js", set())
    assert not _exists("benchmarks/results/never_committed.json", {"benchmarks/results/never_committed.json"})
    assert _exists("static/js/workers/inpaint.worker.js", set()) and _exists("benchmarks/results/critics", set())
    assert not _module_exists("ui", "specs", None) and _module_exists("ui", "warmup", "prepare_server")


# --- GUIDE's layout -----------------------------------------------------------------------------------


def layout() -> tuple[set[str], list[str]]:
    """(the folders GUIDE's layout names, the ones it names that do not exist). An entry starts at the line's start
    (``static/js/``); a folder in its words (``models/``) is the entry's, or the repository's where the entry has
    none by that name (a mention: ``static/ort/`` on tools' line)."""
    text = (ROOT / "docs" / "GUIDE.md").read_text(encoding="utf-8")
    block = text.split("## Layout", 1)[1].split("```", 2)[1]
    named, missing, entry = set(), [], ""
    for line in block.splitlines()[1:]:
        if line and not line[0].isspace():
            entry, line = line.split()[0], line[len(line.split()[0]):]
            if entry.endswith("/"):
                named.add(entry.rstrip("/"))
                if not (ROOT / entry).is_dir():
                    missing.append(entry)
        for folder in re.findall(r"(?<![\w/.*<-])([a-z_][\w-]*(?:/[\w-]+)*)/(?=[\s,;:)]|$)", line):
            own = f"{entry.rstrip('/')}/{folder}" if entry.endswith("/") else folder
            if (ROOT / own).is_dir():
                named.add(own)
            elif not (ROOT / folder).is_dir():
                missing.append(f"{folder}/ (on {entry}'s line)")
    return named, missing


@pytest.mark.skipif(not TRACKED, reason="not a git checkout")
def test_guides_layout_names_every_folder_and_only_folders_that_exist():
    named, missing = layout()
    folders = {f for f in FOLDERS if not f.startswith(".")
               and (f.count("/") == 0 or (f.count("/") == 1) or re.fullmatch(r"static/js/[^/]+", f))}
    assert missing == []
    assert sorted(folders - named) == []
