"""Every figure the README, docs/RESULTS.md and docs/DEPLOY.md quote is the one field of a results
file that it names, rounded as written; the README stays a two-minute read whose links resolve.

A document is made of sections, each from a heading to the next. A section that quotes figures ends
with a comment, invisible once rendered, that names each figure's field, one a line, in the order the
figures are written (its heading included)::

    - Source: `pretrained/vae-mnist.json`
    - Rerun: `python -m dgm_core train vae-mnist`
    <!-- figures
    metrics/test_log_lik
    metrics/eval_k
    -->

A field is ``[file: ]path[#k]``. ``file`` is one of the files the section's ``- Source:`` line names
(its file name is enough, and may be left out where there is one) or a whole path
(``pretrained/<name>.json``, ``benchmarks/results/<name>.json`` or ``.md``, ``benchmarks/published.json``);
the README names whole paths, having no ``- Source:`` lines. ``path`` walks a JSON file by keys and list
steps joined by ``/``: ``[3]`` is an index, ``[dataset=mnist, hole=10x15]`` the one record with those
values, ``[len]`` the number of items of a list (or keys of a record). In a ``.md`` report (for a benchmark that writes
no JSON) ``path`` is the start of one line. ``#k`` takes the k-th number (from 0) of a text field or line, read as the
documents are read.

A field is what the figure means: the same quantity, of the same run, label and machine, not a field that
happens to hold the same digits. A figure that is not a measurement names what it is instead, in one of
two marks a reader of the source sees beside the others:

- ``dgm_core/budgets.py: NAME`` (or ``NAME in MB``, ``NAME in megapixels``): a limit, compared with the
  constant of ``dgm_core/budgets.py``, imported (MB as ``budgets.megabytes`` says it, 1024 × 1024 bytes);
- ``not measured, KIND: what it is = VALUE``, KIND one of ``target`` (a bar or goal the issue set, and no
  results file records), ``setting`` (a constant of the code or the protocol: a threshold, a definition),
  ``date`` or ``label``: compared with VALUE as written, so an edit of the figure alone still fails, and
  counted apart by ``tools/figure_guard_mutations.py``.

docs/RESULTS.md holds figures only in its ``### `` blocks, each naming its files (``- Source:``) and
its command (``- Rerun:``); in docs/DEPLOY.md the sections with a ``- Source:`` line or a figures comment are
checked; in the README every section is. This test reads only committed files, so it passes on a fresh clone.

Rules, for every figure:

- Code (inline or fenced) and HTML comments are skipped; every other number is a figure.
- A figure is its field rounded at the precision written, as Python's ``format`` rounds (the
  field's binary value, ties to even): ``0.072`` is 0.07235 or 0.0724 but not 0.0726 or 0.0714;
  ``9.16`` is 9.165 (9.16499… in binary); ``1000`` is 1000.4; ``2e-05`` is 2.3e-05.
- ``−`` (Unicode minus) and ``-`` before a number are its sign, so ``−90.75`` must be -90.75; a hyphen
  or minus after a letter or digit (``grey-32``, ``2-core``) is not a sign. ``+0.041`` is 0.041.
- ``10 000`` (digit groups separated by a space) is 10000; ``10k`` is 10000 rounded to thousands.
- A percentage ``14 %`` (or ``14%``) is a field of 14 or of 0.14 (a fraction), at the precision written.
- A version with two or more dots (``0.1.3``) occurs in its field's text, whole.

So a figure edited by hand fails here: ``test_a_one_unit_edit_of_any_figure_fails`` raises and lowers
the last digit of each one in turn and counts the edits that pass (none may); ``tools/figure_guard_mutations.py``
prints that count.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from functools import lru_cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
RESULTS = ROOT / "docs" / "RESULTS.md"
DEPLOY = ROOT / "docs" / "DEPLOY.md"
GUIDE = ROOT / "docs" / "GUIDE.md"
SOURCE_PATH = re.compile(
    r"^(?:pretrained/[\w.-]+\.json|benchmarks/results/[\w.-]+\.(?:json|md)|benchmarks/published\.json)$")

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


# _source_values and _found: the older, looser reading, kept for tests/app/test_results.py (the pages' text)


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


# --- figures and the fields they name ------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """A figure as written in a document: its text, where it is, and how it was rounded."""
    written: str
    start: int
    last: int  # index of its last digit: what a one-unit edit changes
    value: Decimal | None = None  # None for a version
    quantum: Decimal = Decimal(1)  # the unit of its last digit (1000 for "10k")
    pct: bool = False

    def matches(self, field) -> bool:
        """Whether the field, rounded as this figure is written, is this figure.

        The field is rounded as Python's ``format`` rounds it (its binary value, ties to even), the way
        the benchmarks and the pages print their figures: 9.165 (9.16499… in binary) is 9.16."""
        if self.value is None:  # a version: it occurs in the field's text as a whole
            return isinstance(field, str) and re.search(
                rf"(?<![\d.]){re.escape(self.written)}(?!\.?\d)", field) is not None
        if not isinstance(field, Decimal) or not field.is_finite():
            return False
        scales = [1, 100] if self.pct else [1]  # "14 %" is 14 or 0.14
        with localcontext() as ctx:
            ctx.prec = 800
            return any((Decimal(float(field) * s) / self.quantum).to_integral_value(ROUND_HALF_EVEN)
                       * self.quantum == self.value for s in scales)


def _masked(text: str) -> str:
    """``text`` with code (fenced and inline), HTML comments and tags blanked, positions kept."""
    blank = lambda m: re.sub(r"[^\n]", " ", m.group(0))  # noqa: E731
    text = re.sub(r"^```.*?^```[^\n]*$", blank, text, flags=re.M | re.S)
    text = re.sub(r"<!--.*?-->|<[a-zA-Z][^>]*>", blank, text, flags=re.S)  # comments and HTML tags
    return re.sub(r"`[^`\n]*`", blank, text)


def figures(text: str) -> list[Figure]:
    """Every figure of ``text`` outside code and comments, in order, read by the rules above."""
    masked = _masked(text)
    out = [Figure(m.group(0), m.start(), m.end() - 1) for m in VERSION.finditer(masked)]
    masked = VERSION.sub(lambda m: " " * len(m.group(0)), masked)
    for m in NUMBER.finditer(masked):
        (_, value, _, pct), = _numbers(f" {m.group(0)} ")
        exp = int(m["exp"][1:].replace("−", "-")) if m["exp"] else 0
        quantum = Decimal(1).scaleb(exp - len((m["frac"] or ".")[1:]) + (3 if m["k"] else 0))
        last = m.start("int") + len(m["int"]) + len(m["frac"] or "") - 1
        out.append(Figure(m.group(0).strip(), m.start(), last, value, quantum, pct))
    return sorted(out, key=lambda f: f.start)


@lru_cache(maxsize=None)
def _load(path: Path, mtime: float):
    raw = path.read_text(encoding="utf-8")
    if path.suffix == ".md":
        return raw.splitlines()
    return json.loads(raw, parse_float=Decimal, parse_int=Decimal)


def load(path: Path):
    """A source file: its JSON (numbers as written, as Decimal) or, for a ``.md`` report, its lines."""
    return _load(path, path.stat().st_mtime)


def _select(node, step: str):
    """One step of a field's path: a key, a list index ``[3]``, or the one record matching ``[k=v, k2=v2]``."""
    m = re.fullmatch(r"\[(.*)\]", step)
    if m is None:
        if not isinstance(node, dict) or step not in node:
            raise LookupError(f"no key {step!r}")
        return node[step]
    if m[1] == "len" and isinstance(node, (list, dict)):  # how many items (or keys) it holds
        return Decimal(len(node))
    if not isinstance(node, list):
        raise LookupError(f"{step} on something that is not a list")
    if m[1].isdigit():
        return node[int(m[1])]
    want = dict(kv.split("=", 1) for kv in re.split(r",\s*(?=[\w-]+=)", m[1]))

    def same(value, text: str) -> bool:
        if isinstance(value, Decimal):
            try:
                return value == Decimal(text)
            except ArithmeticError:
                return False
        return value == text if isinstance(value, str) else json.dumps(value) == text

    hits = [d for d in node if isinstance(d, dict) and all(k in d and same(d[k], v) for k, v in want.items())]
    if len(hits) != 1:
        raise LookupError(f"{len(hits)} records match {step}")
    return hits[0]


def text_numbers(text: str) -> list[tuple[str, Decimal, Decimal, bool]]:
    """The numbers of a text field or a report's line, an ``x`` between digits read as ``×`` ("10x15": 10, 15)."""
    return _numbers(re.sub(r"(?<=\d)x(?=\d)", "×", text))


NOT_MEASURED = re.compile(r"^not measured, (?P<kind>[a-z]+): (?P<what>.+) = (?P<value>[-+]?\d+(?:\.\d+)?)$")
NOT_MEASURED_KINDS = ("target", "setting", "date", "label")
BUDGET = re.compile(r"^dgm_core/budgets\.py: (?P<name>[A-Z][A-Z0-9_]*)(?: in (?P<unit>MB|megapixels))?$")
UNITS = {None: 1, "MB": 10**6, "megapixels": 1_000_000}  # MB as ``budgets.megabytes`` says it


def budget(name: str, unit: str | None = None) -> Decimal:
    """A limit of ``dgm_core/budgets.py``, imported, in ``unit``."""
    from dgm_core import budgets

    value = getattr(budgets, name, None)
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise LookupError(f"dgm_core/budgets.py has no numeric limit {name!r}")
    return Decimal(value) / UNITS[unit]


def field_value(ref: str, names: list[str], root: Path = ROOT):
    """The value a field reference names: a Decimal, a text (for a version), or a LookupError.

    ``ref`` is ``[file: ]path[#k]``: ``file`` a source the block names (its file name is enough) or a
    source's whole path; ``path`` keys and list steps joined by ``/`` in a JSON file, or the start of a
    line of a ``.md`` report; ``#k`` the k-th number (from 0) of that text. Or it is one of the two
    marks of a figure that is not a measurement: ``dgm_core/budgets.py: NAME [in MB|megapixels]``, the
    limit itself, imported; ``not measured, KIND: what it is = VALUE``, the value as written."""
    m = NOT_MEASURED.match(ref)
    if m:
        if m["kind"] not in NOT_MEASURED_KINDS:
            raise LookupError(f"{m['kind']!r} is not one of {', '.join(NOT_MEASURED_KINDS)}")
        return Decimal(m["value"])
    m = BUDGET.match(ref)
    if m:
        return budget(m["name"], m["unit"])
    m = re.match(r"^(\S+\.(?:json|md)): (.*)$", ref)
    file, path = (m[1], m[2]) if m else ("", ref)
    if file and "/" in file:
        if not SOURCE_PATH.match(file):
            raise LookupError(f"{file!r} is not a model card or a benchmark result")
        name = file
    else:
        named = [n for n in names if n == file or n.rsplit("/", 1)[-1] == file] if file else names
        if len(named) != 1:
            raise LookupError(f"{ref!r} does not name one of this block's sources ({', '.join(names) or 'none'})")
        name = named[0]
    if not (root / name).is_file():
        raise LookupError(f"{name} does not exist")
    path, k = re.fullmatch(r"(.*?)(?:#(\d+))?", path).groups()
    data = load(root / name)
    if name.endswith(".md"):
        lines = [line for line in data if line.strip().startswith(path.strip())]
        if len(lines) != 1:
            raise LookupError(f"{len(lines)} lines of {name} start with {path!r}")
        node = lines[0]
    else:
        node = data
        for step in re.split(r"/(?![^\[]*\])", path):
            node = _select(node, step)
    if isinstance(node, int) and not isinstance(node, bool):
        node = Decimal(node)
    if k:
        if not isinstance(node, str):
            raise LookupError(f"#{k} on a field that is not text")
        numbers = text_numbers(node)
        if int(k) >= len(numbers):
            raise LookupError(f"{name}: {path} holds {len(numbers)} numbers, not #{k}")
        node = numbers[int(k)][1]
    return node


# --- the sections of a document ----------------------------------------------------------------------


@dataclass
class Section:
    doc: str  # the document's path, relative to the repository
    title: str
    text: str  # what is checked: its heading and lines, less its Source, Rerun and figures lines
    source: str = ""  # its "- Source:" line
    rerun: str = ""
    fields: tuple[str, ...] = ()
    mapped: bool = False  # it has a figures comment

    @property
    def sources(self) -> list[str]:
        return re.findall(r"`([^`]+)`", self.source)


def sections(doc: Path, root: Path = ROOT) -> list[Section]:
    """The sections of ``doc``, each from a heading (or the start) to the next heading."""
    name = doc.relative_to(root).as_posix() if doc.is_absolute() else doc.as_posix()
    out = [Section(name, "(before the first heading)", "")]
    lines, fields, in_figures, in_code = [], [], False, False
    text = (root / name).read_text(encoding="utf-8")

    def close():
        out[-1].text, out[-1].fields = "\n".join(lines), tuple(fields)

    for line in text.splitlines():
        if line.startswith("```"):
            in_code = not in_code
        if in_figures:
            if line.strip() == "-->":
                in_figures = False
            elif line.strip():
                fields.append(line.strip())
        elif line.strip() == "<!-- figures":
            in_figures, out[-1].mapped = True, True
        elif line.startswith("#") and not in_code:
            close()
            out.append(Section(name, line.lstrip("#").strip(), ""))
            lines, fields = [line], []
        elif line.startswith("- Source:"):
            out[-1].source = line
        elif line.startswith("- Rerun:"):
            out[-1].rerun = line
        else:
            lines.append(line)
    close()
    return out


@lru_cache(maxsize=None)
def _field_value(ref: str, names: tuple[str, ...], root: Path, stamps: tuple[float, ...]):
    try:
        return field_value(ref, list(names), root)
    except (LookupError, ValueError, ArithmeticError) as e:
        return e


def figure_fields(section: Section, root: Path = ROOT) -> list[tuple[Figure, str, object]]:
    """Each figure of a section with the field it names and that field's value (or why it has none)."""
    names = tuple(section.sources)
    stamps = tuple((root / n).stat().st_mtime if (root / n).is_file() else 0.0 for n in names)
    # each field is read once while its files are unchanged: the one-unit edits below re-check a lot
    return [(fig, ref, _field_value(ref, names, root, stamps))
            for fig, ref in zip(figures(section.text), section.fields)]


def check(section: Section, root: Path = ROOT) -> list[str]:
    """What is wrong with a section's figures, as sentences (empty when each is its field)."""
    problems = [f"source {n!r} is not a model card or a benchmark result"
                for n in section.sources if not SOURCE_PATH.match(n)]
    problems += [f"source {n!r} does not exist" for n in section.sources if not (root / n).is_file()]
    figs = figures(section.text)
    if len(figs) != len(section.fields):
        problems.append(f"{len(figs)} figures ({', '.join(f.written for f in figs)}) but "
                        f"{len(section.fields)} fields in its figures comment")
    for fig, ref, value in figure_fields(section, root):
        if isinstance(value, Exception):
            problems.append(f"{fig.written!r} names {ref!r}: {value}")
            continue
        if not fig.matches(value):
            context = section.text[max(0, fig.start - 40):fig.last + 1].replace("\n", " ")
            problems.append(f"{fig.written!r} (…{context}) is not {ref} = {value}")
    return problems


def checked_sections(root: Path = ROOT) -> list[Section]:
    """The sections whose figures are checked: all of RESULTS' and the README's, DEPLOY's with a source."""
    out = sections(root / "docs" / "RESULTS.md", root)
    out += [s for s in sections(root / "docs" / "DEPLOY.md", root) if s.source or s.mapped]
    out += sections(root / "README.md", root)
    return [s for s in out if figures(s.text) or s.mapped or s.source]


def one_unit_edits(section: Section):
    """Each figure of a section with its last digit raised, then lowered, by one: (figure, edited section)."""
    for fig in figures(section.text):
        digit = int(section.text[fig.last])
        for new in (digit + 1, digit - 1):
            if 0 <= new <= 9:
                text = section.text[:fig.last] + str(new) + section.text[fig.last + 1:]
                yield fig, Section(**{**section.__dict__, "text": text})


def surviving_edits(secs: list[Section], root: Path = ROOT) -> tuple[int, int, list[str]]:
    """(figures, edits, the edits the guard lets pass) over ``secs``, whose figures must pass unedited."""
    n_figures = n_edits = 0
    survivors = []
    for section in secs:
        n_figures += len(figures(section.text))
        for fig, edited in one_unit_edits(section):
            n_edits += 1
            if not check(edited, root):
                new = edited.text[fig.start:fig.last + 1]
                survivors.append(f"{section.doc} {section.title!r}: {fig.written!r} -> {new!r}")
    return n_figures, n_edits, survivors


# --- the documents' figures ---------------------------------------------------------------------------

CHECKED = checked_sections()
RESULT_BLOCKS = [s for s in sections(RESULTS) if s.title != "(before the first heading)"
                 and s.text.startswith("### ")]


def test_every_results_block_names_its_files_and_its_command():
    assert RESULT_BLOCKS, "no ### block in docs/RESULTS.md"
    for block in RESULT_BLOCKS:
        assert block.sources, f"{block.title!r} names no source"
        assert "`" in block.rerun, f"{block.title!r} gives no command to rerun"


def test_results_holds_no_figure_outside_a_block():
    outside = [s for s in sections(RESULTS) if s not in RESULT_BLOCKS]
    assert [f.written for s in outside for f in figures(s.text)] == []


def test_deploy_quotes_its_figures_from_a_source():
    assert [s for s in CHECKED if s.doc == "docs/DEPLOY.md"], "no section with a '- Source:' line in docs/DEPLOY.md"


@pytest.mark.parametrize("section", CHECKED, ids=[f"{s.doc}: {s.title[:40]}" for s in CHECKED])
def test_every_figure_is_the_field_it_names(section):
    assert check(section) == []


def test_every_mark_of_a_figure_that_is_not_measured_is_well_formed():
    """A field that starts like a mark is one: its kind is known, and a budget names a limit that exists."""
    bad = [f"{s.doc} {s.title!r}: {ref}" for s in CHECKED for ref in s.fields
           if (ref.startswith("not measured") and not NOT_MEASURED.match(ref))
           or (ref.startswith("not measured") and NOT_MEASURED.match(ref)["kind"] not in NOT_MEASURED_KINDS)
           or (ref.startswith("dgm_core/budgets.py") and not BUDGET.match(ref))]
    assert bad == []


def test_the_upload_limits_are_the_constants_of_budgets():
    """DEPLOY's paragraph on what one upload may cost quotes dgm_core/budgets.py's limits, each by its name."""
    section = next(s for s in CHECKED if s.doc == "docs/DEPLOY.md" and s.title == "What one visitor's upload costs")
    assert section.fields and all(BUDGET.match(ref) for ref in section.fields)
    assert check(section) == []


def test_a_one_unit_edit_of_any_figure_fails():
    """Raise, then lower, the last digit of every figure checked above, one edit at a time: the guard
    fails on each one."""
    n_figures, n_edits, survivors = surviving_edits(CHECKED)
    assert n_figures > 500 and n_edits > n_figures
    assert survivors == []


# --- the rules themselves --------------------------------------------------------------------------


@pytest.mark.parametrize("written, field, ok", [
    ("0.072", "0.07235", True), ("0.072", "0.0724", True), ("0.072", "0.0726", False), ("0.072", "0.0714", False),
    ("9.16", "9.165", True), ("9.17", "9.165", False), ("0.2", "0.25", True), ("0.3", "0.25", False),
    ("0.073", "0.07235", False), ("0.0724", "0.072", False),
    ("−90.75", "-90.75", True), ("−90.75", "90.75", False), ("-90.75", "-90.75", True),
    ("14 %", "0.1402", True), ("14 %", "14.02", True), ("15 %", "0.1402", False), ("14.0 %", "0.1412", False),
    ("7.12", "7.125", True), ("7.13", "7.125", False), ("1.17", "1.1724", True), ("1.18", "1.1724", False),
    ("10 000", "10000", True), ("10k", "10000", True), ("10k", "10400", True), ("100k", "10000", False),
    ("2e-05", "2.3e-05", True), ("3e-05", "2.3e-05", False), ("+0.041", "0.041", True),
    ("1000", "1000.4", True), ("1000", "1001", False), ("−0.0", "-0.00001", True),
])
def test_the_rounding_rule(written, field, ok):
    (fig,) = figures(f" {written} ")
    assert fig.matches(Decimal(field)) is ok


def test_a_version_is_found_whole():
    (fig,) = figures(" notmiwae-pytorch 0.1.3 ")
    assert fig.matches("peer 0.1.3, ours") and not fig.matches("0.1.30") and not fig.matches("10.1.3")


def test_numbers_glued_to_words_are_read_without_a_sign():
    assert [v for _, v, _, _ in _numbers("grey-32, 2-core, 28×28, p 0.03, −1.5")] == [
        Decimal(32), Decimal(2), Decimal(28), Decimal(28), Decimal("0.03"), Decimal("-1.5")]


def test_code_and_comments_hold_no_figure():
    assert [f.written for f in figures("a `k=3` b <!-- 4 -->\n```\nmake 5\n```\n6")] == ["6"]


def test_a_field_is_named_by_keys_indices_and_records(tmp_path):
    (tmp_path / "benchmarks" / "results").mkdir(parents=True)
    (tmp_path / "benchmarks" / "results" / "x.json").write_text(json.dumps(
        {"rows": [{"data": "mnist", "hole": "10x15", "mse": 0.5}, {"data": "celeba", "hole": "10x15", "mse": 0.25}],
         "protocol": "K = 1000, all 10 000 images", "n": [3, 4]}))
    names = ["benchmarks/results/x.json"]
    assert field_value("rows/[data=celeba, hole=10x15]/mse", names, tmp_path) == Decimal("0.25")
    assert field_value("x.json: rows/[0]/hole#1", names, tmp_path) == Decimal(15)
    assert field_value("benchmarks/results/x.json: protocol#1", [], tmp_path) == Decimal(10000)
    assert field_value("n/[1]", names, tmp_path) == Decimal(4)
    for bad in ("rows/[hole=10x15]/mse", "rows/[data=svhn]/mse", "nothing", "protocol#2", "y.json: n"):
        with pytest.raises(LookupError):
            field_value(bad, names, tmp_path)


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
    section = next(s for s in sections(README) if s.title == "Short of our targets")
    for target in ("wgan-mnist", "VAE + GMM", "DMFA", "docs/RESULTS.md"):
        assert target in section.text


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
