"""The README stays a two-minute read whose links resolve, quotes no measured figure (those are in docs/RESULTS.md,
which ``python -m dgm_core docs`` writes from the results files: tests/test_docs.py), and GUIDE's paper table names
files that exist.

The rule a figure written in prose is read by (``_numbers``, ``_found``; the pages' text in tests/app/test_results.py):
code (inline or fenced) and HTML comments are skipped; ``−`` or ``-`` before a number is its sign (not after a letter
or digit: ``grey-32``); ``10 000`` is 10000, ``10k`` 10000 to the thousand; ``14 %`` is 14 or 0.14; a figure is a
value of its source rounded at the precision written.
"""
from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest

from dgm_core.docs import numbers as _numbers

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
RESULTS = ROOT / "docs" / "RESULTS.md"
DEPLOY = ROOT / "docs" / "DEPLOY.md"
GUIDE = ROOT / "docs" / "GUIDE.md"
HEX = re.compile(r"^[0-9a-f]{12,}$")


def _source_values(path: Path) -> tuple[set[Decimal], str]:
    """All numbers a source file holds, and its raw text (for versions)."""
    raw = path.read_text(encoding="utf-8")
    values: set[Decimal] = set()
    if path.suffix == ".md":
        for _, value, _, pct in _numbers(raw):
            values.update([value, value / 100] if pct else [value])  # "14.0%" in a report is also 0.14
        return values, raw

    def walk(node) -> None:
        if isinstance(node, bool) or node is None:
            return
        if isinstance(node, (int, float)):
            values.add(Decimal(repr(node)))
        elif isinstance(node, str):
            if not HEX.match(node):
                values.update(v for _, v, _, _ in _numbers(node))
        elif isinstance(node, dict):
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(json.loads(raw))
    return values, raw


def _found(written: tuple[str, Decimal, Decimal, bool], values: set[Decimal]) -> bool:
    _, value, half, pct = written
    targets = [(value, half)] + ([(value / 100, half / 100)] if pct else [])
    return any(abs(v - t) <= h for t, h in targets for v in values)


def _masked(text: str) -> str:
    """``text`` with code (fenced and inline), HTML comments and tags blanked, positions kept."""
    blank = lambda m: re.sub(r"[^\n]", " ", m.group(0))  # noqa: E731
    text = re.sub(r"^```.*?^```[^\n]*$", blank, text, flags=re.M | re.S)
    text = re.sub(r"<!--.*?-->|<[a-zA-Z][^>]*>", blank, text, flags=re.S)  # comments and HTML tags
    return re.sub(r"`[^`\n]*`", blank, text)


def section(text: str, heading: str) -> str:
    """The lines from ``heading`` to the next heading of its level or above."""
    lines = text.splitlines()
    start = lines.index(heading)
    level = len(heading) - len(heading.lstrip("#"))
    end = next((i for i in range(start + 1, len(lines))
                if lines[i].startswith("#") and len(lines[i]) - len(lines[i].lstrip("#")) <= level), len(lines))
    return "\n".join(lines[start:end])


def test_the_readme_quotes_no_measured_figure():
    """A figure in the README could drift from its file: the README names the targets and points to RESULTS."""
    assert [n for n, *_ in _numbers(_masked(README_TEXT))] == []


def test_a_figure_in_the_readme_is_seen():
    assert [n for n, *_ in _numbers(_masked("a `k=3` b <!-- 4 -->\n```\nmake 5\n```\n−6.5 and 14 %"))] == [
        "−6.5", "14 %"]


# --- the README and the guide ---------------------------------------------------------------------

README_TEXT = README.read_text(encoding="utf-8")
GUIDE_TEXT = GUIDE.read_text(encoding="utf-8")
PAPERS_HEADING = "## Papers, pages, code"


def _table_under(text: str, heading: str) -> list[dict[str, str]]:
    """The rows of the first table after ``heading``, as {column: cell}."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith(heading)), None)
    if start is None:
        return []
    table = []
    for line in lines[start + 1:]:
        if line.startswith("## "):
            break
        if line.startswith("|"):
            table.append(line)
        elif table:
            break
    cells = [[c.strip() for c in line.strip().strip("|").split("|")] for line in table]
    return [dict(zip(cells[0], row)) for row in cells[2:]]


PAPER_ROWS = _table_under(GUIDE_TEXT, PAPERS_HEADING)
PAPER_IDS = [" ".join(re.findall(r"abs/([\d.]+)", r["paper"])) or r["paper"][:30] for r in PAPER_ROWS]


def paths_in(cell: str, base: Path = GUIDE.parent) -> list[str]:
    """Repository paths a cell names: link targets that are not URLs (relative to ``base``), and backticked paths."""
    links = [(base / t).resolve().relative_to(ROOT).as_posix()
             for t in re.findall(r"\]\(([^)#]+)\)", cell) if not t.startswith("http")]
    return links + [c for c in re.findall(r"`([^`]+)`", cell) if "/" in c or c.endswith(".py")]


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_the_readme_is_a_two_minute_read():
    """About 5 KB once rendered (its hidden figures comments aside)."""
    shown = re.sub(r"<!--.*?-->\n?", "", README_TEXT, flags=re.S)
    assert len(shown.encode("utf-8")) < 6000


def test_the_two_commands_are_on_the_first_screen():
    """The first code block, within the first 40 lines, is exactly `make run` and `make test`, and the
    Makefile has both targets."""
    head = README_TEXT.splitlines()[:40]
    start = next(i for i, line in enumerate(head) if line.startswith("```"))
    end = next(i for i in range(start + 1, len(head)) if head[i].startswith("```"))
    commands = [line.split("#")[0].strip() for line in head[start + 1:end] if line.strip()]
    assert commands == ["make run", "make test"]
    makefile = (ROOT / "Makefile").read_text()
    for target in ("run", "test"):
        assert re.search(rf"^{target}:", makefile, re.M), f"the Makefile has no {target!r} target"
    assert "`make check` is the fast tier" in "\n".join(head)


def test_the_architecture_section_ends_with_adding_a_control():
    lines = README_TEXT.splitlines()
    start = lines.index("## Architecture")
    end = next(i for i in range(start + 1, len(lines)) if lines[i].startswith("## "))
    subsections = [line for line in lines[start + 1:end] if line.startswith("### ")]
    assert subsections[-1:] == ["### Adding a control"]


def test_the_control_example_is_the_code_it_names():
    """Each line of the README's example is in the file its comment names, as written there."""
    block = README_TEXT.split("### Adding a control", 1)[1].split("```python", 1)[1].split("```", 1)[0]
    lines = [line for line in block.strip().splitlines()]
    assert len(lines) == 4
    for comment, code in zip(lines[::2], lines[1::2], strict=True):
        path = ROOT / comment.removeprefix("# ").split(",")[0]
        assert code.strip() in path.read_text(), (path, code)


def test_the_readme_names_each_missed_target():
    missed = section(README_TEXT, "## Short of our targets")
    for target in ("wgan-mnist", "VAE + GMM", "DMFA", "docs/RESULTS.md"):
        assert target in missed


@pytest.mark.parametrize("doc", [README, GUIDE, RESULTS, DEPLOY], ids=lambda d: d.name)
def test_every_link_resolves(doc):
    """Each relative link names a file or folder of the repository, and each #anchor one of its headings."""
    text = doc.read_text(encoding="utf-8")
    missing = []
    for target in re.findall(r"\]\(([^)\s]+)\)|src=\"([^\"]+)\"", text):
        target = next(t for t in target if t)
        if target.startswith(("http://", "https://")):
            continue
        file, _, anchor = target.partition("#")
        path = (doc.parent / file).resolve() if file else doc
        if not path.exists():
            missing.append(target)
        elif anchor and anchor not in {_slug(h)
                                       for h in re.findall(r"^#+ (.*)$", path.read_text(encoding="utf-8"), re.M)}:
            missing.append(target)
    assert missing == []


def test_the_paper_table_has_its_columns():
    assert PAPER_ROWS, f"no table under {PAPERS_HEADING!r} in docs/GUIDE.md"
    assert list(PAPER_ROWS[0]) == ["paper", "page", "`dgm_core`", "benchmark"]


@pytest.mark.parametrize("row", PAPER_ROWS, ids=PAPER_IDS)
def test_every_path_of_the_paper_table_exists(row):
    pages, code = paths_in(row["page"]), paths_in(row["`dgm_core`"])
    benches = re.findall(r"`bench (\w+)`", row["benchmark"])
    assert pages and all(p.startswith("pages/") for p in pages), row["page"]
    assert code and all(p.startswith("dgm_core/") for p in code), row["`dgm_core`"]
    assert benches, row["benchmark"]
    missing = [p for p in pages + code if not (ROOT / p).is_file()]
    missing += [f"benchmarks/{b}.py" for b in benches if not (ROOT / "benchmarks" / f"{b}.py").is_file()]
    assert missing == []


@pytest.mark.parametrize("row", PAPER_ROWS, ids=PAPER_IDS)
def test_every_paper_of_the_table_is_named_by_its_code(row):
    """Each arXiv id in a row's paper cell is named in one of the row's dgm_core files (its header)."""
    ids = re.findall(r"arxiv\.org/abs/(\d{4}\.\d{4,5})", row["paper"])
    assert ids, row["paper"]
    files = [ROOT / p for p in paths_in(row["`dgm_core`"])]
    code = " ".join(f.read_text(encoding="utf-8") for f in files if f.is_file())  # a missing one fails above
    assert [i for i in ids if i not in code] == []
