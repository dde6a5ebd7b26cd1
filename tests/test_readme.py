"""Every figure in docs/RESULTS.md (and the figures docs/DEPLOY.md quotes) is read from the file its
block names; the README stays a two-minute read whose paper table points at files that exist.

docs/RESULTS.md is made of blocks, one per ``### `` heading, each ending at the next heading. A block
names its files on a line ``- Source: `a`, `b` `` (``pretrained/<name>.json``, a model card, or
``benchmarks/results/<name>.json``, or that benchmark's ``.md`` report when it writes no JSON) and its
command on a line ``- Rerun: `...` ``. Every number of the block outside those two lines (its heading,
tables and sentences) is checked against its files; text outside the blocks holds no number. A block
of docs/DEPLOY.md with a ``- Source:`` line is checked the same way. This test reads only committed
files (no data, no model run), so it passes on a fresh clone.

Rules, for every number checked:

- Text in backticks (code, paths, commands) is skipped; every other number is checked.
- A number is found when some number in the source files rounds to it at the precision written:
  ``0.072`` matches 0.07235 (|0.07235 - 0.072| <= 0.0005) but not 0.0734; ``8.33`` matches 8.331;
  ``1000`` matches 1000 (precision 1); ``2e-05`` matches 2.3e-05 (precision 1e-05). A tie (7.125
  written as 7.12 or 7.13) is accepted either way.
- ``−`` (Unicode minus) and ``-`` before a number are its sign, so ``−90.75`` must match -90.75;
  a hyphen or minus after a letter or digit (``grey-32``, ``2-core``) is not a sign. ``+0.041``
  is 0.041.
- ``10 000`` (digit groups separated by a space) is 10000; ``10k`` is 10000 and ``100k`` 100000.
- A percentage ``14 %`` (or ``14%``) matches a source value of 14 or of 0.14 (a fraction), each at
  the precision written (``14 %`` matches 0.1402 and 14.02; ``14.0 %`` needs 0.1400 +- 0.0005).
- A version with two or more dots (``0.1.3``) must occur verbatim in a source file.
- Numbers in a source file: every JSON number, and the numbers written inside JSON strings
  (``"hole": "10x15"`` gives 10 and 15; hex digests are skipped); in a ``.md`` source, every number
  in its text, by the same reading as the documents' (a percentage there counts as itself and as a
  fraction).

So a number edited by hand fails here unless the edit happens to equal another figure of the same
file; ``test_a_hand_edited_figure_fails`` checks that on the real blocks.
"""
from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
RESULTS = ROOT / "docs" / "RESULTS.md"
DEPLOY = ROOT / "docs" / "DEPLOY.md"
SOURCE_PATH = re.compile(r"^(?:pretrained/[\w.-]+\.json|benchmarks/results/[\w.-]+\.(?:json|md))$")

VERSION = re.compile(r"(?<![\w.])\d+(?:\.\d+){2,}(?![\w.]*\d)")
NUMBER = re.compile(
    r"(?:(?<=[^\w.])|^)"  # not glued to a word or a decimal point
    r"(?P<sign>[-−+])?"
    r"(?P<int>\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?!\d)|\d+)"
    r"(?P<frac>\.\d+)?"
    r"(?P<exp>e[-−+]?\d+)?"
    r"(?P<k>k(?![a-zA-Z]))?"
    r"(?P<pct>[ \u00a0]?%)?")
HEX = re.compile(r"^[0-9a-f]{12,}$")


# --- reading numbers -------------------------------------------------------------------------------


def _numbers(text: str) -> list[tuple[str, Decimal, Decimal, bool]]:
    """Numbers in ``text``: (as written, value, half-width of its rounding interval, is a percentage)."""
    text = VERSION.sub(" ", text)
    out = []
    for m in NUMBER.finditer(text):
        digits = re.sub(r"[ \u00a0\u202f]", "", m["int"]) + (m["frac"] or "")
        value = Decimal(digits)
        decimals = len(m["frac"]) - 1 if m["frac"] else 0
        exp = int(m["exp"][1:].replace("−", "-")) if m["exp"] else 0
        value = value.scaleb(exp)
        half = Decimal(5).scaleb(exp - decimals - 1)
        if m["k"]:
            value, half = value * 1000, Decimal("0.5")
        if m["sign"] in ("-", "−"):
            value = -value
        out.append((m.group(0).strip(), value, half, bool(m["pct"])))
    return out


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


def missing_numbers(cell: str, sources: list[Path]) -> list[str]:
    """The numbers written in ``cell`` (backticked text skipped) that no source file holds."""
    cell = re.sub(r"`[^`]*`", " ", cell)
    values: set[Decimal] = set()
    raws = []
    for path in sources:
        vals, raw = _source_values(path)
        values |= vals
        raws.append(raw)
    missing = [v for v in VERSION.findall(cell) if not any(v in raw for raw in raws)]
    missing += [w[0] for w in _numbers(cell) if not _found(w, values)]
    return missing


# --- reading the blocks ----------------------------------------------------------------------------


def blocks(text: str) -> tuple[list[dict[str, str]], str]:
    """The ``### `` blocks of a document as {title, text, source, rerun}, and the text outside them.

    ``text`` is what is checked: the block's lines but its ``- Source:`` and ``- Rerun:`` lines."""
    out, outside, current = [], [], None
    for line in text.splitlines():
        if line.startswith("### "):
            current = {"title": line[4:], "text": [], "source": "", "rerun": ""}
            out.append(current)
        elif line.startswith("#"):
            current = None
            outside.append(line)
        elif current is None:
            outside.append(line)
        elif line.startswith("- Source:"):
            current["source"] = line
        elif line.startswith("- Rerun:"):
            current["rerun"] = line
        else:
            current["text"].append(line)
    return [{**b, "text": "\n".join(b["text"])} for b in out], "\n".join(outside)


def sources(block: dict[str, str]) -> list[str]:
    return re.findall(r"`([^`]+)`", block["source"])


def check_block(block: dict[str, str], root: Path = ROOT) -> list[str]:
    """Problems with one block, as sentences (empty when every number is found)."""
    names = sources(block)
    problems = [f"source {n!r} is not a model card or a benchmark result" for n in names if not SOURCE_PATH.match(n)]
    problems += [f"source {n!r} does not exist" for n in names if not (root / n).is_file()]
    if not names:
        problems.append("no source named")
    if problems:
        return problems
    paths = [root / n for n in names]
    if not _numbers(re.sub(r"`[^`]*`", " ", block["text"])):
        problems.append("the block holds no number")
    for n in missing_numbers(block["text"], paths):
        problems.append(f"{n!r} is not in {', '.join(names)}")
    return problems


RESULT_BLOCKS, RESULTS_OUTSIDE = blocks(RESULTS.read_text(encoding="utf-8"))
DEPLOY_BLOCKS = [b for b in blocks(DEPLOY.read_text(encoding="utf-8"))[0] if b["source"]]
CHECKED = [("RESULTS", b) for b in RESULT_BLOCKS] + [("DEPLOY", b) for b in DEPLOY_BLOCKS]


def test_every_results_block_names_its_files_and_its_command():
    assert RESULT_BLOCKS, "no ### block in docs/RESULTS.md"
    for block in RESULT_BLOCKS:
        assert sources(block), f"{block['title']!r} names no source"
        assert "`" in block["rerun"], f"{block['title']!r} gives no command to rerun"


def test_results_holds_no_figure_outside_a_block():
    assert _numbers(re.sub(r"`[^`]*`", " ", RESULTS_OUTSIDE)) == []


def test_deploy_quotes_its_figures_from_a_source():
    assert DEPLOY_BLOCKS, "no block with a '- Source:' line in docs/DEPLOY.md"


@pytest.mark.parametrize("doc, block", CHECKED, ids=[f"{d}: {b['title'][:40]}" for d, b in CHECKED])
def test_every_number_of_a_block_is_in_its_source(doc, block):
    assert check_block(block) == []


# --- the rules themselves --------------------------------------------------------------------------


@pytest.mark.parametrize("written, source, ok", [
    ("0.072", 0.07235, True), ("0.073", 0.07235, False), ("0.0724", 0.072, False),
    ("−90.75", -90.75, True), ("−90.75", 90.75, False), ("-90.75", -90.75, True),
    ("14 %", 0.1402, True), ("14 %", 14.02, True), ("15 %", 0.1402, False), ("14.0 %", 0.1412, False),
    ("7.12", 7.125, True), ("7.13", 7.125, True), ("1.17", 1.1724, True), ("1.18", 1.1724, False),
    ("10 000", 10000, True), ("10k", 10000, True), ("100k", 10000, False), ("2e-05", 2.3e-05, True),
    ("+0.041", 0.041, True), ("1000", 1000.4, True), ("1000", 1001, False),
])
def test_the_matching_rule(written, source, ok):
    (w,) = _numbers(f" {written} ")
    assert _found(w, {Decimal(repr(source))}) is ok


def test_numbers_glued_to_words_are_read_without_a_sign():
    assert [v for _, v, _, _ in _numbers("grey-32, 2-core, 28×28, p 0.03, −1.5")] == [
        Decimal(32), Decimal(2), Decimal(28), Decimal(28), Decimal("0.03"), Decimal("-1.5")]


def test_a_hand_edited_figure_fails():
    """Raise the last digit of each number of each block, one at a time, in a copy of the block: the
    block must fail unless the edited number is itself a figure of the same source file."""
    for _, block in CHECKED:
        paths = [ROOT / n for n in sources(block)]
        values = set().union(*(_source_values(p)[0] for p in paths))
        text = block["text"]
        masked = re.sub(r"`[^`]*`", lambda m: "#" * len(m.group(0)), text)
        caught = 0
        for m in NUMBER.finditer(VERSION.sub(lambda v: "#" * len(v.group(0)), masked)):
            i = m.start("int") + len(m.group("int")) + len(m.group("frac") or "") - 1  # last digit
            edited = text[:i] + str((int(text[i]) + 1) % 10) + text[i + 1:]
            again = _numbers(f" {edited[m.start():m.end()]} ")
            if again and _found(again[0], values):
                continue  # the edit happens to equal another figure of the file
            assert check_block({**block, "text": edited}), f"editing {text[m.start():m.end()]!r} in {block['title']!r} went unnoticed"
            caught += 1
        assert caught, f"no edit in {block['title']!r} was caught"


# --- the README ------------------------------------------------------------------------------------

README_TEXT = README.read_text(encoding="utf-8")
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


PAPER_ROWS = _table_under(README_TEXT, PAPERS_HEADING)
PAPER_IDS = [" ".join(re.findall(r"abs/([\d.]+)", r["paper"])) or r["paper"][:30] for r in PAPER_ROWS]


def paths_in(cell: str) -> list[str]:
    """Repository paths a cell names: link targets that are not URLs, and backticked paths."""
    links = [t for t in re.findall(r"\]\(([^)]+)\)", cell) if not t.startswith("http")]
    return links + [c for c in re.findall(r"`([^`]+)`", cell) if "/" in c or c.endswith(".py")]


def test_the_readme_is_a_short_read():
    assert len(README_TEXT.encode("utf-8")) < 10_000


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


def test_the_paper_table_has_its_columns():
    assert PAPER_ROWS, f"no table under {PAPERS_HEADING!r} in README.md"
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
