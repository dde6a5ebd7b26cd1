"""UCI tables used by MIWAE and not-MIWAE, and user-uploaded CSVs, as float64 feature matrices.

The benchmark tables follow the reference code of not-MIWAE ("not-MIWAE: Deep Generative Modelling
with Missing not at Random Data", Ipsen, Mattei & Frellsen, arXiv:2006.12871; github.com/nbip/notMIWAE)
and MIWAE (Mattei & Frellsen, arXiv:1812.02633): the class or target column is dropped and only the
features are imputed. Per table (files under ``$DGM_DATA_DIR/uci/``, see the README's Data section):

    banknote  1372 x 4   drop ``class``                          y = class, classification
    concrete  1030 x 8   drop the last column (compressive strength) y = it, regression
    red       1599 x 11  ``sep=";"``, drop ``quality``           y = quality, regression
    white     4898 x 11  ``sep=";"``, drop ``quality``           y = quality, regression
    yeast     1484 x 8   drop ``sequence_name`` and ``localization_site``, y = site codes, classification
    breast     569 x 30  drop ``target``                         y = target, classification

``breast`` reads ``uci/breast_cancer_wdbc.csv`` when present, else scikit-learn's bundled copy (the
same numbers), so it works with no data folder at all. Column names keep the files' header strings
exactly (the concrete headers contain double spaces and a trailing space).

Uploaded tables keep NaN where a value is missing: those are the real missing entries.
"""
from __future__ import annotations

import csv
import io
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from dgm_core import budgets
from dgm_core.data.images import DatasetNotFoundError, data_dir as _resolve_dir

TABLES = ("banknote", "concrete", "red", "white", "yeast", "breast")


@dataclass(frozen=True)
class _Spec:
    file: str
    sep: str
    target: str | None          # None: the last column is the target
    task: str
    drop: tuple[str, ...] = ()  # further non-feature columns


_SPECS = {
    "banknote": _Spec("banknote_authentication.csv", ",", "class", "classification"),
    "concrete": _Spec("Concrete_Data.csv", ",", None, "regression"),
    "red": _Spec("winequality-red.csv", ";", "quality", "regression"),
    "white": _Spec("winequality-white.csv", ";", "quality", "regression"),
    "yeast": _Spec("yeast.csv", ",", "localization_site", "classification", drop=("sequence_name",)),
    "breast": _Spec("breast_cancer_wdbc.csv", ",", "target", "classification"),
}


@dataclass(frozen=True, eq=False)  # eq=False: comparing array fields with == is ambiguous
class Table:
    """A table of features. x: (N, D) float64 (NaN = missing); y: (N,) or None."""

    name: str
    x: np.ndarray
    columns: tuple[str, ...]
    y: np.ndarray | None
    target_name: str | None
    task: str | None
    source: str
    note: str = ""  # what was done to an upload to fit the budget (a subsample), in a sentence

    def __len__(self) -> int:
        return int(self.x.shape[0])


def table_path(name: str, data_dir: str | Path | None = None) -> Path | None:
    """Where the CSV of a benchmark table lives (None when no data folder is configured)."""
    if name not in _SPECS:
        raise ValueError(f"Unknown table {name!r}; valid names are {', '.join(TABLES)}.")
    root = _resolve_dir(data_dir)
    return root / "uci" / _SPECS[name].file if root is not None else None


def table_available(name: str, data_dir: str | Path | None = None) -> bool:
    """True when the table can be loaded (always for ``breast``, which scikit-learn ships)."""
    path = table_path(name, data_dir)
    return name == "breast" or (path is not None and path.is_file())


def load_table(name: str, *, data_dir: str | Path | None = None) -> Table:
    """Load a benchmark table: x (N, D) float64 features, y (N,) target (int64 codes or float64)."""
    spec = _SPECS.get(name)
    path = table_path(name, data_dir)
    if path is None or not path.is_file():
        if name == "breast":
            return _breast_sklearn()
        shown = path if path is not None else f"<DGM_DATA_DIR>/uci/{spec.file}"
        raise DatasetNotFoundError(name, [shown], _resolve_dir(data_dir),
                                   layout=f"uci/{spec.file} (the README's Data section lists the UCI files)")
    df = pd.read_csv(path, sep=spec.sep)
    target = spec.target if spec.target is not None else df.columns[-1]
    features = df.drop(columns=[target, *spec.drop])
    if spec.task == "classification" and not pd.api.types.is_numeric_dtype(df[target]):
        y = pd.Categorical(df[target]).codes.astype(np.int64)  # yeast: sorted site names -> 0..9
    elif spec.task == "classification":
        y = df[target].to_numpy(dtype=np.int64)
    else:
        y = df[target].to_numpy(dtype=np.float64)
    return Table(name=name, x=features.to_numpy(dtype=np.float64), columns=tuple(map(str, features.columns)),
                 y=y, target_name=str(target), task=spec.task, source=str(path))


def _breast_sklearn() -> Table:
    from sklearn.datasets import load_breast_cancer
    bunch = load_breast_cancer()
    return Table(name="breast", x=np.asarray(bunch.data, dtype=np.float64),
                 columns=tuple(map(str, bunch.feature_names)), y=np.asarray(bunch.target, dtype=np.int64),
                 target_name="target", task="classification", source="scikit-learn")


# ---------------------------------------------------------------- user uploads

def _read_text(data: bytes | str | Path) -> tuple[str, str]:
    """(CSV text, source). A ``str`` naming an existing file is a path; any other ``str`` is CSV text."""
    if isinstance(data, Path) or (isinstance(data, str) and "\n" not in data and Path(data).is_file()):
        return Path(data).read_bytes().decode("utf-8-sig", errors="replace"), str(data)
    if isinstance(data, (bytes, bytearray)):
        try:
            return bytes(data).decode("utf-8-sig"), "upload"
        except UnicodeDecodeError:
            return bytes(data).decode("latin-1"), "upload"  # spreadsheets still export Windows-1252
    if isinstance(data, str):
        return data, "upload"
    raise TypeError(f"table_from_csv expects bytes, a CSV string or a path, not {type(data).__name__}.")


_SEP_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "vertical-bar"}


def _sniff(text: str) -> str:
    # Spreadsheets export , ; tab or |; sniff among those only (pandas' own sniffing also tries
    # letters and digits, and splits a one-column file on a digit). A comma is the honest default.
    sample = text[:65536]
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        # the sniffer wants the same count on every line of the sample; the header line alone decides then
        head = sample.split("\n", 1)[0]
        counts = {sep: head.count(sep) for sep in _SEP_NAMES}
        best = max(counts, key=counts.get)
        return best if counts[best] else ","


def _refuse_long_cell(text: str, sep: str) -> None:
    """A cell longer than TABLE_MAX_CELL_CHARS is no number: refused before parsing, quoted shortened.
    Runs between separators are measured on the UTF-8 bytes a megabyte at a time (linear, a few MB)."""
    raw = text.encode("utf-8", "replace")
    codes = np.array([ord(sep), ord("\n"), ord("\r")], np.uint8)
    best, best_start, run_start, chunk = 0, 0, 0, 1 << 20
    for off in range(0, len(raw), chunk):
        a = np.frombuffer(raw, np.uint8, count=min(chunk, len(raw) - off), offset=off)
        stops = np.flatnonzero(np.isin(a, codes)) + off
        if len(stops):
            starts = np.concatenate(([run_start], stops[:-1] + 1))
            k = int(np.argmax(stops - starts))
            if stops[k] - starts[k] > best:
                best, best_start = int(stops[k] - starts[k]), int(starts[k])
            run_start = int(stops[-1]) + 1
    if len(raw) - run_start > best:
        best, best_start = len(raw) - run_start, run_start
    if best > budgets.TABLE_MAX_CELL_CHARS:
        line = raw.count(b"\n", 0, best_start) + 1
        quoted = raw[best_start:best_start + 4 * budgets.ECHO_CHARS].decode("utf-8", "replace")
        raise ValueError(f"Line {line} holds a cell of {best:,} characters ('{budgets.shorten(quoted)}'); "
                         f"cells longer than {budgets.TABLE_MAX_CELL_CHARS} characters are not numbers, "
                         "so this file is not read.")


def _header(text: str, sep: str) -> list[str]:
    """The names the user wrote, in a linear pass: unnamed columns get their position ("column 4"),
    a repeated name its count ("x (2)"); pandas' own renaming of repeats is quadratic in their number."""
    line = next(csv.reader([text.split("\n", 1)[0].rstrip("\r")], delimiter=sep), [])
    if len(line) > budgets.TABLE_MAX_COLUMNS:
        raise ValueError(f"The table has {len(line):,} columns (read as {_SEP_NAMES[sep]}-separated); this page "
                         f"works with at most {budgets.TABLE_MAX_COLUMNS}: keep the columns you need.")
    seen: dict[str, int] = {}
    names = []
    for j, raw in enumerate(line):
        name = raw.strip() or f"column {j + 1}"
        seen[name] = seen.get(name, 0) + 1
        names.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return names


def _subsample(text: str) -> tuple[str, list[int] | None, int]:
    """Beyond TABLE_MAX_ROWS non-blank rows: the header and a seeded random TABLE_MAX_ROWS of the rows, chosen
    before parsing so that parsing costs the budget, not the file. Returns (text, the kept rows' 0-based
    line numbers in the original or None, the number of rows in the file)."""
    if text.count("\n") <= budgets.TABLE_MAX_ROWS:
        return text, None, 0
    lines = text.rstrip("\r\n").split("\n")
    blank = "\n\n" in text or "\n\r\n" in text
    body = [i for i in range(1, len(lines)) if lines[i].strip()] if blank else range(1, len(lines))
    if len(body) <= budgets.TABLE_MAX_ROWS:
        return text, None, 0
    rng = np.random.default_rng(budgets.TABLE_SUBSAMPLE_SEED)
    kept = [body[k] for k in np.sort(rng.choice(len(body), budgets.TABLE_MAX_ROWS, replace=False))]
    return "\n".join([lines[0], *(lines[i] for i in kept)]) + "\n", kept, len(body)


def _ragged(line: int, saw: int, n: int, sep: str) -> ValueError:
    return ValueError(f"Line {line} has {saw} values but the header names {n} columns (read as "
                      f"{_SEP_NAMES[sep]}-separated): give every row the same number of cells.")


def _parse(text: str, sep: str, names: list[str], line_of) -> pd.DataFrame:
    # European spreadsheets write 1,5 in semicolon-separated files: read their decimal commas as such
    digits_comma = re.search(r"\d,\d", text[:65536]) is not None
    decimal = "," if sep == ";" and digits_comma and not re.search(r"\d\.\d", text[:65536]) else "."
    # index_col=False: a separator at the end of every data row is no extra column (spreadsheets write those),
    # but pandas then drops any extra cells of the rows silently: refuse those that hold a value
    first = next(csv.reader([text.split("\n", 2)[1] if text.count("\n") > 1 else ""], delimiter=sep), [])
    if any(c.strip() for c in first[len(names):]):
        raise _ragged(line_of(2), len(first), len(names), sep)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", pd.errors.ParserWarning)
            return pd.read_csv(io.StringIO(text), sep=sep, header=0, names=range(len(names)), index_col=False,
                               decimal=decimal)
    except pd.errors.ParserError as e:
        ragged = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(e))
        if ragged:
            n, line, saw = ragged.groups()
            raise _ragged(line_of(int(line)), int(saw), int(n), sep) from None
        raise ValueError(f"The file could not be read as a {_SEP_NAMES[sep]}-separated table (a quote that is "
                         "never closed?).") from None


def table_from_csv(data: bytes | str | Path, *, name: str = "uploaded") -> Table:
    """Parse an uploaded CSV into a Table. x: (N, D) float64 with NaN where values are missing.

    Held to the budgets of ``dgm_core.budgets`` before parsing (bytes, columns, cell length); a table
    with more than TABLE_MAX_ROWS rows is subsampled to that many (seed TABLE_SUBSAMPLE_SEED), said in
    ``Table.note``. Raises ValueError with one sentence a page can show when the table cannot be used as it is.
    """
    size = len(data) if isinstance(data, (bytes, bytearray, str)) else Path(data).stat().st_size
    if size > budgets.TABLE_MAX_BYTES:
        raise ValueError(f"The file is {budgets.megabytes(size)}, more than the "
                         f"{budgets.megabytes(budgets.TABLE_MAX_BYTES)} this page reads.")
    text, source = _read_text(data)
    text = text.replace("\r\n", "\n").replace("\r", "\n")  # Windows and old Mac line ends
    lead = len(text) - len(text.lstrip("\r\n"))
    lead, text = text[:lead].count("\n"), text[lead:]  # blank lines before the header
    need = f"a header line and at least {budgets.TABLE_MIN_ROWS} rows of numbers"
    if not text.strip():
        raise ValueError(f"The file is empty: it needs {need}.")
    sep = _sniff(text)
    _refuse_long_cell(text, sep)
    names = _header(text, sep)
    text, kept, n_rows = _subsample(text)
    # pandas counts lines from 1 at the header; the user's file may have blank lines first, or more rows
    df = _parse(text, sep, names, lambda line: lead + (line if kept is None else kept[line - 2] + 1))
    df.columns = names
    # spreadsheets end every line with a separator: an unnamed column with nothing in it is that, not data
    unnamed = [c for j, c in enumerate(names) if c == f"column {j + 1}" and df[c].isna().all()]
    df = df.drop(columns=unnamed)
    how = f"read as {_SEP_NAMES[sep]}-separated"
    if df.shape[0] == 0 or df.shape[1] == 0:
        raise ValueError(f"The file has no rows of numbers ({how}): it needs {need}.")
    for col in df.columns:
        if df[col].isna().all():
            raise ValueError(f"Column '{budgets.shorten(col)}' is entirely missing (no value in any row); remove it.")
    for col in df.columns:
        if not (pd.api.types.is_numeric_dtype(df[col]) or pd.api.types.is_bool_dtype(df[col])):
            example = budgets.shorten(df[col].dropna().astype(str).iloc[0])
            raise ValueError(f"Column '{budgets.shorten(col)}' is not numeric (it contains '{example}', {how}); "
                             "only numbers and empty cells are allowed, so remove or encode it.")
    x = df.to_numpy(dtype=np.float64, na_value=np.nan)
    inf = np.isinf(x)
    if inf.any():
        i, j = np.argwhere(inf)[0]
        raise ValueError(f"Column '{budgets.shorten(df.columns[j])}' holds an infinite value ('{df.iat[i, j]}' "
                         f"in row {i + 1} below the header; {int(inf.sum())} such cells in the table): "
                         "write a number, or leave the cell empty if the value is missing.")
    if df.shape[1] < 2:
        raise ValueError(f"The table needs at least 2 numeric columns, but it has {df.shape[1]} ({how}).")
    if len(df) < budgets.TABLE_MIN_ROWS:
        raise ValueError(f"The table needs at least {budgets.TABLE_MIN_ROWS} rows to learn from, but it has "
                         f"{len(df)} ({how}).")
    for col in df.columns:
        values = df[col].dropna().unique()
        if len(values) == 1:
            raise ValueError(f"Column '{budgets.shorten(col)}' is constant (every value is "
                             f"{budgets.shorten(values[0])}), so it carries no information; remove it.")
    note = "" if kept is None else (
        f"The file has {n_rows:,} rows: a random {budgets.TABLE_MAX_ROWS:,} of them (seed "
        f"{budgets.TABLE_SUBSAMPLE_SEED}) are used, this page's budget for a live fit.")
    return Table(name=name, x=x, columns=tuple(map(str, df.columns)), y=None, target_name=None, task=None,
                 source=source, note=note)
