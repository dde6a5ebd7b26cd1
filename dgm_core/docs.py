"""The documents the measured figures write: ``docs/templates/<NAME>.md.in`` rendered to ``docs/<NAME>.md``.

    python -m dgm_core docs            rewrite every generated document from its template and the results files

A template is Markdown whose figures are placeholders. A section (a heading to the next one) names its files on
its ``- Source:`` line, and each figure of the section reads one field of one of them::

    The VAE's test log-likelihood is {{metrics/test_log_lik | .2f}} nats.
    - Source: `pretrained/vae-mnist.json`

A placeholder is ``{{[file: ]path[ | spec]}}``. ``file`` is one of the section's sources (its file name is enough, and
may be left out where there is only one) or a whole path. ``path`` walks a JSON file by keys and list steps joined by
``/``: ``[3]`` an index, ``[dataset=mnist, hole=10x15]`` the one record with those values, ``[len]`` how many items a
list (or record) holds; in a ``.md`` report ``path`` is the start of one line. ``#k`` after it takes the k-th number
(from 0) of that text. ``spec`` is Python's format spec for the number (``.2f``, ``+.3f``, ``,.0f``, ``.1e``, ``.0%``)
written as the docs write numbers: ``−`` for a minus sign, a space between digit groups and before ``%``; or ``k``
(thousands: ``10k``) or ``version`` (the first ``x.y.z`` of a text). Without a spec the field is written as its file
holds it. A figure that is not a measurement (a target, a setting, a date) is plain text in the template, and a
placeholder in inline code is left as it is.

A figure can therefore not drift from its file: the document is rewritten from the files, and
``tests/test_docs.py`` checks that the committed document is the one its template renders.
"""
from __future__ import annotations

import json
import re
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = "docs/templates"
# the files a figure may read: a model card, a benchmark's result, the papers' published figures
SOURCE = re.compile(
    r"^(?:pretrained/[\w.-]+\.json|benchmarks/results/[\w.-]+\.(?:json|md)|benchmarks/published\.json)$")
PLACEHOLDER = re.compile(r"\{\{(.+?)\}\}")
WITH_SPEC = re.compile(r"^(.*) \| (\+?,?\.\d+[fe%]|k|version)$")  # "path | .2f"; a report's row may hold " | "
VERSION = re.compile(r"(?<![\w.])\d+(?:\.\d+){2,}(?![\w.]*\d)")
NUMBER = re.compile(
    r"(?:(?<=[^\w.])|^)"  # not glued to a word or a decimal point
    r"(?P<sign>[-−+])?"
    r"(?P<int>\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?!\d)|\d+)"
    r"(?P<frac>\.\d+)?"
    r"(?P<exp>e[-−+]?\d+)?"
    r"(?P<k>k(?![a-zA-Z]))?"
    r"(?P<pct>[ \u00a0]?%)?")


class DocsError(Exception):
    """A template names a field that is not there, or a file it may not read; the message is one sentence."""


def numbers(text: str) -> list[tuple[str, Decimal, Decimal, bool]]:
    """Numbers in ``text`` as the docs write them: (as written, value, half-width of its rounding, is a percentage).

    ``−`` or ``-`` before a number is its sign (not after a letter or digit: ``grey-32``); ``10 000`` is 10000;
    ``10k`` is 10000; versions (``0.1.3``) are not numbers."""
    text = VERSION.sub(" ", text)
    out = []
    for m in NUMBER.finditer(text):
        digits = re.sub(r"[ \u00a0\u202f]", "", m["int"]) + (m["frac"] or "")
        decimals = len(m["frac"]) - 1 if m["frac"] else 0
        exp = int(m["exp"][1:].replace("−", "-")) if m["exp"] else 0
        value, half = Decimal(digits).scaleb(exp), Decimal(5).scaleb(exp - decimals - 1)
        if m["k"]:
            value, half = value * 1000, Decimal("0.5")
        if m["sign"] in ("-", "−"):
            value = -value
        out.append((m.group(0).strip(), value, half, bool(m["pct"])))
    return out


def _load(path: Path):
    """A source: its JSON (numbers as written, as Decimal) or a report's lines; read once while it is unchanged."""
    st = path.stat()
    return _read(path, st.st_mtime_ns, st.st_size)


@lru_cache(maxsize=64)
def _read(path: Path, mtime_ns: int, size: int):
    raw = path.read_text(encoding="utf-8")
    if path.suffix == ".md":
        return raw.splitlines()
    return json.loads(raw, parse_float=Decimal, parse_int=Decimal)


def _select(node, step: str):
    """One step of a path: a key, a list index ``[3]``, ``[len]``, or the one record matching ``[k=v, k2=v2]``."""
    m = re.fullmatch(r"\[(.*)\]", step)
    if m is None:
        if not isinstance(node, dict) or step not in node:
            raise LookupError(f"no key {step!r}")
        return node[step]
    if m[1] == "len" and isinstance(node, (list, dict)):
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


def field(ref: str, sources: list[str], root: Path = ROOT):
    """The value ``ref`` (``[file: ]path[#k]``) names among ``sources``: a Decimal or a text; LookupError if none."""
    m = re.match(r"^(\S+\.(?:json|md)): (.*)$", ref)
    file, path = (m[1], m[2]) if m else ("", ref)
    named = [n for n in sources if n == file or n.rsplit("/", 1)[-1] == file] if file else sources
    if "/" in file:  # a whole path: a file the section does not list
        named = [file]
    if len(named) != 1:
        raise LookupError(f"{ref!r} does not name one of the section's sources ({', '.join(sources) or 'none'})")
    name = named[0]
    if not SOURCE.match(name):
        raise LookupError(f"{name!r} is not a model card or a benchmark result")
    if not (root / name).is_file():
        raise LookupError(f"{name} does not exist")
    path, k = re.fullmatch(r"(.*?)(?:#(\d+))?", path).groups()
    data = _load(root / name)
    if name.endswith(".md"):
        lines = [line for line in data if line.strip().startswith(path.strip())]
        if len(lines) != 1:
            raise LookupError(f"{len(lines)} lines of {name} start with {path!r}")
        node = lines[0]
    else:
        node = data
        for step in re.split(r"/(?![^\[]*\])", path):
            node = _select(node, step)
    if k:
        if not isinstance(node, str):
            raise LookupError(f"#{k} on a field that is not text")
        found = numbers(re.sub(r"(?<=\d)x(?=\d)", "×", node))  # "10x15" is 10 and 15
        if int(k) >= len(found):
            raise LookupError(f"{name}: {path} holds {len(found)} numbers, not #{k}")
        node = found[int(k)][1]
    return node


def render(value, spec: str = "") -> str:
    """``value`` written as ``spec`` says (the module's docstring), as the docs write numbers."""
    if spec == "version":
        m = VERSION.search(str(value))
        if m is None:
            raise LookupError(f"{value!r} holds no version")
        return m.group(0)
    if not spec and isinstance(value, str):
        return value
    if not isinstance(value, Decimal):
        raise LookupError(f"{value!r} is not a number or a text")
    if spec == "k":
        return f"{float(value) / 1000:.0f}k"
    text = format(float(value), spec) if spec else str(value)
    if text.endswith("%"):
        text = text[:-1] + " %"
    return re.sub(r"^([+]?)-", "−", text).replace(",", " ")


def sources(section: str) -> list[str]:
    """The files a section's ``- Source:`` line names."""
    line = next((line for line in section.splitlines() if line.startswith("- Source:")), "")
    return re.findall(r"`([^`]+)`", line)


def split(text: str) -> list[str]:
    """``text`` cut before each heading outside a fenced block: the sections, joined again they are ``text``."""
    out, current, in_code = [], [], False
    for line in text.splitlines(keepends=True):
        if line.startswith("```"):
            in_code = not in_code
        if line.startswith("#") and not in_code and current:
            out.append("".join(current))
            current = []
        current.append(line)
    return out + ["".join(current)] if current else out


def fill(template: str, root: Path = ROOT, name: str = "template") -> str:
    """The document ``template`` renders: each placeholder replaced by its field, read from the section's sources."""
    out = []
    for section in split(template):
        names = sources(section)

        def one(m: re.Match, names=names, section=section) -> str:
            ref, spec = WITH_SPEC.match(m[1]).groups() if WITH_SPEC.match(m[1]) else (m[1], "")
            try:
                return render(field(ref.strip(), names, root), spec.strip())
            except (LookupError, ValueError, ArithmeticError) as err:
                title = section.splitlines()[0].lstrip("#").strip()
                raise DocsError(f"{name}, {title!r}: {{{{{m[1]}}}}}: {err}") from None

        # a placeholder in inline code is shown, not filled (the page may say how its figures are written)
        parts = re.split(r"(`[^`\n]*`)", section)
        out.append("".join(p if p.startswith("`") else PLACEHOLDER.sub(one, p) for p in parts))
    return "".join(out)


def header(template: Path, root: Path = ROOT) -> str:
    rel = template.relative_to(root).as_posix()
    return f"<!-- Written by `python -m dgm_core docs` from {rel}: edit that file, not this one. -->\n"


def documents(root: Path = ROOT) -> dict[Path, str]:
    """Each generated document (``docs/<NAME>.md``) and the text its template renders now."""
    out = {}
    for template in sorted((root / TEMPLATES).glob("*.md.in")):
        text = fill(template.read_text(encoding="utf-8"), root, template.name)
        out[root / "docs" / template.name.removesuffix(".in")] = header(template, root) + text
    return out


def write(root: Path = ROOT) -> list[Path]:
    """Rewrite every generated document; the ones whose text changed."""
    changed = []
    for path, text in documents(root).items():
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            changed.append(path)
    return changed
