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

import codecs
import csv
import io
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from dgm_core import budgets
from dgm_core.data.images import DatasetDamagedError, DatasetNotFoundError, data_dir as _resolve_dir

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
    rows_in_file: int = 0  # an upload's rows before a subsample (0: not subsampled, every row is in x)

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
    try:
        df = pd.read_csv(path, sep=spec.sep)
        target = spec.target if spec.target is not None else df.columns[-1]
        features = df.drop(columns=[target, *spec.drop])
        x = features.to_numpy(dtype=np.float64)
        if spec.task == "classification" and not pd.api.types.is_numeric_dtype(df[target]):
            y = pd.Categorical(df[target]).codes.astype(np.int64)  # yeast: sorted site names -> 0..9
        else:
            y = df[target].to_numpy(dtype=np.int64 if spec.task == "classification" else np.float64)
    except (ValueError, KeyError, IndexError, UnicodeDecodeError):  # cut short, or another file under its name
        raise DatasetDamagedError(name, path, "its rows or columns are not the table's") from None
    return Table(name=name, x=x, columns=tuple(map(str, features.columns)),
                 y=y, target_name=str(target), task=spec.task, source=str(path))


def _breast_sklearn() -> Table:
    from sklearn.datasets import load_breast_cancer
    bunch = load_breast_cancer()
    return Table(name="breast", x=np.asarray(bunch.data, dtype=np.float64),
                 columns=tuple(map(str, bunch.feature_names)), y=np.asarray(bunch.target, dtype=np.int64),
                 target_name="target", task="classification", source="scikit-learn")


# ---------------------------------------------------------------- user uploads
# An upload is handled as bytes throughout (UTF-8, or Windows-1252 when it is not UTF-8; separators and line
# ends are ASCII in both): every pass is linear and reads it a megabyte at a time, and only the header, a
# bounded prefix and the (subsampled) rows pandas parses are ever decoded, so that the worst 20 MB file adds
# a few copies of itself at most to the server's memory (budgets.UPLOAD_PEAK_MB).

_SEP_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "vertical-bar"}
_CHUNK = 1 << 20
_QUOTED = re.compile(r'"[^"\n]*"')  # a quoted cell on one line: linear to remove (no nested repetition)


def _read_bytes(data: bytes | str | Path) -> tuple[bytes, str, str]:
    """(the file's bytes, their encoding, source). A ``str`` naming an existing file is a path; any other ``str``
    is CSV text."""
    if isinstance(data, Path) or (isinstance(data, str) and "\n" not in data and Path(data).is_file()):
        raw, source = Path(data).read_bytes(), str(data)
    elif isinstance(data, (bytes, bytearray)):
        raw, source = bytes(data), "upload"
    elif isinstance(data, str):
        raw, source = data.encode("utf-8", "replace"), "upload"
    else:
        raise TypeError(f"table_from_csv expects bytes, a CSV string or a path, not {type(data).__name__}.")
    raw = raw.removeprefix(b"\xef\xbb\xbf")  # the byte-order mark spreadsheets write
    wide = _wide_encoding(raw)
    if wide is not None:  # Excel's "Unicode text": UTF-16 (or UTF-32), read as the text it is
        try:
            raw = raw.decode(wide).removeprefix("\ufeff").encode("utf-8")
        except UnicodeDecodeError:
            raise ValueError(f"The file looks {wide.upper()}-encoded but does not decode as such; save it as "
                             "UTF-8 (\"CSV UTF-8\" in a spreadsheet) and upload it again.") from None
        return raw, "utf-8", source
    # spreadsheets still export Windows-1252 (latin-1 decodes anything)
    encoding = next(e for e in ("utf-8", "cp1252", "latin-1") if _decodes(raw, e))
    return raw, encoding, source


_BOMS = ((b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"), (b"\xff\xfe", "utf-16"),
         (b"\xfe\xff", "utf-16"))


def _wide_encoding(raw: bytes) -> str | None:
    """'utf-16' or 'utf-32' (with its byte-order mark), 'utf-16-le' / 'utf-16-be' (without one: nearly every other
    byte of the head NUL, nearly none of the rest), else None."""
    for bom, name in _BOMS:
        if raw.startswith(bom):
            return name
    head = raw[:budgets.TABLE_SNIFF_BYTES // 8 * 2]
    odd, even = head[1::2].count(0) / max(len(head) // 2, 1), head[0::2].count(0) / max(len(head) // 2, 1)
    if len(head) >= 8 and max(odd, even) >= 0.9 and min(odd, even) <= 0.1:  # ASCII text, two bytes a character
        return "utf-16-le" if odd > even else "utf-16-be"
    return None


def _decodes(raw: bytes, encoding: str) -> bool:
    """Whether ``raw`` is text in ``encoding``, checked a megabyte at a time (no decoded copy of the file)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        for off in range(0, len(raw), _CHUNK):
            decoder.decode(raw[off:off + _CHUNK])
        decoder.decode(b"", final=True)
        return True
    except UnicodeDecodeError:
        return False


def _sniff(head: str) -> str:
    """The separator, guessed in linear time from the first TABLE_SNIFF_LINES lines of a bounded prefix, among
    those spreadsheets export (pandas' own sniffing also tries letters and digits, and splits a one-column file
    on a digit): the one the header and most rows hold equally often (quoted cells left out), the most frequent
    such; else the one the header holds most; a comma when it holds none."""
    lines = [_QUOTED.sub("", line) for line in head.split("\n")[:budgets.TABLE_SNIFF_LINES] if line.strip()]
    if not lines:
        return ","
    header, rows = lines[0], lines[1:] or lines[:1]

    def score(sep: str) -> tuple[bool, int]:
        n = header.count(sep)
        steady = sum(row.count(sep) == n for row in rows) >= 0.8 * len(rows)
        return n > 0 and steady, n

    best = max(_SEP_NAMES, key=score)  # ties: the order of _SEP_NAMES, comma first
    return best if score(best)[1] else ","


def _pieces(raw: bytes, start: int = 0):
    """(offset, uint8 array) views of raw[start:], a megabyte each: no pass holds more than a few of them."""
    for off in range(start, len(raw), _CHUNK):
        yield off, np.frombuffer(raw, np.uint8, count=min(_CHUNK, len(raw) - off), offset=off)


def _refuse_long_cell(raw: bytes, sep: str) -> None:
    """A cell longer than TABLE_MAX_CELL_CHARS is no number: refused before parsing, quoted shortened.
    Runs between separators are measured on the bytes a megabyte at a time (linear, a few MB)."""
    best, best_start, run_start = 0, 0, 0
    for off, a in _pieces(raw):
        stops = np.flatnonzero((a == ord(sep)) | (a == 10)) + off
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


def _too_wide(n: int, sep: str) -> ValueError:
    return ValueError(f"The table has {n:,} columns (read as {_SEP_NAMES[sep]}-separated); this page works with at "
                      f"most {budgets.TABLE_MAX_COLUMNS}: keep the columns you need.")


_HEADER_MAX = budgets.TABLE_MAX_COLUMNS * (budgets.TABLE_MAX_CELL_CHARS + 3)  # every name quoted, a separator each


def _header(raw: bytes, top: int, end: int, encoding: str, sep: str) -> list[str]:
    """The names the user wrote on the line raw[top:end], in a linear pass: unnamed columns get their position
    ("column 4"), a repeated name its count ("x (2)"); pandas' own renaming of repeats is quadratic in their
    number. Only the first _HEADER_MAX bytes are decoded and split: a 20 MB one-line file is 10 million cells."""
    longest = _HEADER_MAX
    line = raw[top:min(end, top + longest + 1)].decode(encoding, "replace")
    try:
        cells = next(csv.reader([line[:longest]], delimiter=sep), [])
    except csv.Error:  # a NUL byte, a stray quote: no header a table could have
        raise ValueError(f"The header line ('{budgets.shorten(line)}') could not be read as "
                         f"{_SEP_NAMES[sep]}-separated names.") from None
    if len(cells) > budgets.TABLE_MAX_COLUMNS:
        raise _too_wide(raw.count(sep.encode(), top, end) + 1, sep)  # at most: quoted separators make fewer
    if end - top > longest:
        raise ValueError(f"The header line is {end - top:,} characters long ('{budgets.shorten(line)}'); names "
                         f"longer than {budgets.TABLE_MAX_CELL_CHARS} characters are not column names, so this "
                         "file is not read.")
    seen: dict[str, int] = {}
    names = []
    for j, cell in enumerate(cells):
        name = cell.strip() or f"column {j + 1}"
        seen[name] = seen.get(name, 0) + 1
        names.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return names


def _body_lines(raw: bytes, start: int):
    """Per megabyte of raw[start:] (the rows below the header): the lines that end in it, as arrays of their
    starts and ends, and whether each holds anything (an empty line is no row)."""
    line_start = start  # of the line still open at the end of the previous piece
    for off, a in _pieces(raw, start):
        ends = np.flatnonzero(a == 10) + off
        if off + len(a) == len(raw) and a[-1] != 10:
            ends = np.append(ends, len(raw))  # the last line has no line end
        if len(ends):
            starts = np.concatenate(([line_start], ends[:-1] + 1))
            line_start = int(ends[-1]) + 1
            yield starts, ends, ends > starts


def _count_rows(raw: bytes, start: int) -> int:
    """The non-empty lines of raw[start:], counted a megabyte at a time without listing them: every line end but
    those right after another (or at the start), and a last line without one."""
    n, before = 0, 10  # the byte before the body is the header's line end
    for _, a in _pieces(raw, start):
        ends = a == 10
        n += int(np.count_nonzero(ends)) - int(np.count_nonzero(ends[1:] & ends[:-1])) - int(before == 10 and ends[0])
        before = int(a[-1])
    return n + (before != 10)


def _subsample(raw: bytes, start: int) -> tuple[bytes, list[int] | None, int]:
    """Beyond TABLE_MAX_ROWS non-empty rows: a seeded random TABLE_MAX_ROWS of the rows (raw[start:], below the
    header), chosen before parsing so that parsing costs the budget, not the file, in two linear passes a megabyte
    at a time. Returns (the rows' bytes, or the whole body when it fits; the kept rows' 1-based line numbers below
    the header, or None; the number of rows in the file)."""
    if raw.count(b"\n", start) <= budgets.TABLE_MAX_ROWS:
        return raw[start:], None, 0
    n_rows = _count_rows(raw, start)
    if n_rows <= budgets.TABLE_MAX_ROWS:
        return raw[start:], None, 0
    rng = np.random.default_rng(budgets.TABLE_SUBSAMPLE_SEED)
    pick = np.sort(rng.choice(n_rows, budgets.TABLE_MAX_ROWS, replace=False))
    rows, kept, seen, line = [], [], 0, 0
    for starts, ends, full in _body_lines(raw, start):
        index = np.flatnonzero(full)  # this piece's rows, numbered from ``seen`` among all of them
        lo, hi = np.searchsorted(pick, [seen, seen + len(index)])
        chosen = index[pick[lo:hi] - seen]
        rows += [raw[s:e] for s, e in zip(starts[chosen].tolist(), ends[chosen].tolist(), strict=True)]
        kept += (line + chosen + 1).tolist()
        seen, line = seen + len(index), line + len(starts)
    return b"\n".join(rows) + b"\n", kept, n_rows


def _ragged(line: int, saw: int, n: int, sep: str) -> ValueError:
    return ValueError(f"Line {line} has {saw} values but the header names {n} columns (read as "
                      f"{_SEP_NAMES[sep]}-separated): give every row the same number of cells.")


def _decimal(head: str, sep: str) -> str:
    """European spreadsheets write 1,5 in semicolon-separated files: read their decimal commas as such."""
    return "," if sep == ";" and re.search(r"\d,\d", head) and not re.search(r"\d\.\d", head) else "."


def _parse(body: bytes, encoding: str, sep: str, names: list[str], line_of, text: bool = False) -> pd.DataFrame:
    """The rows below the header as a frame of len(names) columns; line_of(k): the file's line number of the
    k-th row (1-based). ``text``: every cell as the string the file holds ('' where empty), nothing converted."""
    head = body[:budgets.TABLE_SNIFF_BYTES].decode(encoding, "replace")
    decimal = _decimal(head, sep)
    # index_col=False: a separator at the end of every data row is no extra column (spreadsheets write those),
    # but pandas then drops any extra cells of the rows silently: refuse those that hold a value
    try:
        first = next(csv.reader([head.split("\n", 1)[0]], delimiter=sep), [])
    except csv.Error:
        first = []  # pandas names what is wrong with it below
    if any(c.strip() for c in first[len(names):]):
        raise _ragged(line_of(1), len(first), len(names), sep)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", pd.errors.ParserWarning)
            as_text = {"dtype": str, "keep_default_na": False, "na_filter": False} if text else {}
            return pd.read_csv(io.BytesIO(body), sep=sep, header=None, names=range(len(names)), index_col=False,
                               decimal=decimal, encoding=encoding, **as_text)
    except pd.errors.EmptyDataError:
        return pd.DataFrame(columns=range(len(names)))
    except pd.errors.ParserError as e:
        ragged = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(e))
        if ragged:
            n, line, saw = ragged.groups()
            raise _ragged(line_of(int(line)), int(saw), int(n), sep) from None
        raise ValueError(f"The file could not be read as a {_SEP_NAMES[sep]}-separated table (a quote that is "
                         "never closed?).") from None


@dataclass(frozen=True, eq=False)
class Frame:
    """An upload's cells before any typing. df: the rows below the header (columns: the header's names); lines: (N,)
    each row's line number in the file (1 = the first line); how: 'read as comma-separated' and the like; decimal:
    the decimal mark of its numbers; note and rows_in_file: as ``Table``'s."""

    df: pd.DataFrame
    lines: np.ndarray
    how: str
    decimal: str
    source: str
    note: str = ""
    rows_in_file: int = 0


def _row_lines(body: bytes) -> np.ndarray:
    """The 1-based line numbers, within ``body``, of its non-empty lines (the rows pandas reads)."""
    a = np.frombuffer(body, np.uint8)
    ends = np.flatnonzero(a == 10)
    if not len(a) or a[-1] != 10:
        ends = np.append(ends, len(a))
    starts = np.concatenate(([0], ends[:-1] + 1))
    return np.flatnonzero(ends > starts) + 1


def read_frame(data: bytes | str | Path, *, sep: str | None = None, text: bool = False) -> Frame:
    """The front half of ``table_from_csv``: budgets, encoding, separator, header, subsample, parse. ``text``: every
    cell as the file's string ('' where empty; for ``dgm_core.data.typed``), else as pandas reads numbers. Raises
    ValueError, one sentence."""
    if sep is not None and sep not in _SEP_NAMES:
        raise ValueError(f"The separator must be one of {', '.join(map(repr, _SEP_NAMES))}, not {sep!r}.")
    size = len(data) if isinstance(data, (bytes, bytearray, str)) else Path(data).stat().st_size
    if size > budgets.TABLE_MAX_BYTES:
        raise ValueError(f"The file is {size:,} bytes, more than the {budgets.megabytes(budgets.TABLE_MAX_BYTES)} "
                         f"({budgets.TABLE_MAX_BYTES:,} bytes) this page reads.")
    raw, encoding, source = _read_bytes(data)
    if b"\r" in raw:
        raw = raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n")  # Windows and old Mac line ends
    prefix = raw[:budgets.TABLE_SNIFF_BYTES]
    top = len(prefix) - len(prefix.lstrip(b"\n"))
    if top == len(prefix):
        top = len(raw) - len(raw.lstrip(b"\n"))  # a long run of blank lines: the rare case that copies the file
    lead = top  # blank lines before the header (line ends are \n by now)
    need = f"a header line and at least {budgets.TABLE_MIN_ROWS} rows of numbers"
    if not raw[top:top + budgets.TABLE_SNIFF_BYTES].strip() and not raw[top:].strip():
        raise ValueError(f"The file is empty: it needs {need}.")
    sep = sep or _sniff(raw[top:top + budgets.TABLE_SNIFF_BYTES].decode(encoding, "replace"))
    _refuse_long_cell(raw, sep)
    end = raw.find(b"\n", top)
    end = len(raw) if end < 0 else end
    names = _header(raw, top, end, encoding, sep)
    body, kept, n_rows = _subsample(raw, min(end + 1, len(raw)))
    del raw
    # line numbers count from 1 at the header; the user's file may have blank lines first, or more rows
    lines = lead + 1 + (_row_lines(body) if kept is None else np.asarray(kept))
    df = _parse(body, encoding, sep, names, lambda k: lead + 1 + (k if kept is None else kept[k - 1]), text)
    decimal = _decimal(body[:budgets.TABLE_SNIFF_BYTES].decode(encoding, "replace"), sep)
    del body
    df.columns = names
    # spreadsheets end every line with a separator: an unnamed column with nothing in it is that, not data
    empty = (lambda c: (df[c].str.strip() == "").all()) if text else (lambda c: df[c].isna().all())
    df = df.drop(columns=[c for j, c in enumerate(names) if c == f"column {j + 1}" and empty(c)])
    how = f"read as {_SEP_NAMES[sep]}-separated"
    if df.shape[0] == 0 or df.shape[1] == 0:
        raise ValueError(f"The file has no rows of numbers ({how}): it needs {need}.")
    note = "" if kept is None else (
        f"The file has {n_rows:,} rows: a random {budgets.TABLE_MAX_ROWS:,} of them (seed "
        f"{budgets.TABLE_SUBSAMPLE_SEED}) are used, this page's budget for a live fit.")
    return Frame(df, lines[:len(df)] if len(lines) >= len(df) else np.arange(1, len(df) + 1) + lead + 1, how,
                 decimal, source, note, n_rows if kept is not None else 0)


def table_from_csv(data: bytes | str | Path, *, name: str = "uploaded", sep: str | None = None) -> Table:
    """Parse an uploaded CSV into a Table. x: (N, D) float64 with NaN where values are missing.

    Held to the budgets of ``dgm_core.budgets`` before parsing (bytes, columns, cell length); a table
    with more than TABLE_MAX_ROWS rows is subsampled to that many (seed TABLE_SUBSAMPLE_SEED), said in
    ``Table.note``. ``sep``: the separator (one of , ; tab |), else guessed from the first lines. Every step
    is linear in the file's size. Raises ValueError with one sentence a page can show when the table cannot
    be used as it is.
    """
    frame = read_frame(data, sep=sep)
    df, how, source, note = frame.df, frame.how, frame.source, frame.note
    for col in df.columns:
        if df[col].isna().all():
            raise ValueError(f"Column '{budgets.shorten(col)}' is entirely missing (no value in any row); remove it.")
    numeric = [pd.api.types.is_numeric_dtype(df[c]) or pd.api.types.is_bool_dtype(df[c]) for c in df.columns]
    if not any(numeric):
        raise ValueError(f"The table has no numeric column ({how}): every column holds text, and only numbers "
                         "and empty cells can be imputed.")
    for col in df.columns:
        if not (pd.api.types.is_numeric_dtype(df[col]) or pd.api.types.is_bool_dtype(df[col])):
            # two quoted values in one sentence: each gets three quarters of one echo, so the sentence stays in
            # budgets.MESSAGE_MAX_CHARS whatever the file holds
            short = budgets.ECHO_CHARS * 3 // 4
            example = budgets.shorten(df[col].dropna().astype(str).iloc[0], short)
            raise ValueError(f"Column '{budgets.shorten(col, short)}' is not numeric (it contains '{example}', {how}); "
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
    return Table(name=name, x=x, columns=tuple(map(str, df.columns)), y=None, target_name=None, task=None,
                 source=source, note=note, rows_in_file=frame.rows_in_file)
