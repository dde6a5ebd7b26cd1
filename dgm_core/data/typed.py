"""A researcher's table as it comes, for the MNAR lab's own-table mode: numbers, 0/1 columns, text categories,
identifiers and dates side by side, with whatever marks a missing value ('', NA, n/a, ?, -, ., NULL, nan, or one the
user names, such as -999).

``read`` types every column (``KINDS``) and proposes a role (``ROLES``): continuous, binary and categorical columns
are used (their holes filled); identifiers, dates, constant and empty columns are kept as they are (written back into
the download untouched). ``encode`` applies the kinds and roles the user confirmed and gives the imputers their
matrix: x (N, U) float64 with continuous values, binary and categorical columns as codes 0..K-1 (their observed
levels, sorted), NaN in the holes. Every refusal is one sentence that quotes the failing cell and its line.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from dgm_core import budgets
from dgm_core.data.tables import Frame, read_frame

KINDS = {"continuous": "continuous", "binary": "binary (two values)", "categorical": "categorical (levels)",
         "identifier": "identifier", "date": "date"}
FILLED = ("continuous", "binary", "categorical")  # the kinds whose holes are filled
ROLES = {"use": "use (fill its holes)", "keep": "keep as it is", "ignore": "leave out"}
MARKERS = ("", "NA", "N/A", "n/a", "?", "-", ".", "NULL", "nan", "NaN", "None", "#N/A")  # empty cells, as read
CATEGORY_MAX = 20  # levels a categorical column may have (each is a one-hot input of the deep models)
_MISSING = {m.lower() for m in MARKERS}
_DATE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}([ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?$|^\d{1,2}[/.]\d{1,2}[/.]\d{2,4}$")
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


@dataclass(frozen=True, eq=False)
class Typed:
    """An upload's cells, typed. cells: (N, C) the file's strings, stripped; missing: (N, C) bool, a missing marker;
    kinds, roles: the proposal, one per column; lines: (N,) each row's line in the file; markers: the user's own."""

    frame: Frame
    cells: pd.DataFrame
    missing: np.ndarray
    kinds: tuple[str, ...]
    roles: tuple[str, ...]
    markers: tuple[str, ...]

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(map(str, self.cells.columns))

    @property
    def lines(self) -> np.ndarray:
        return self.frame.lines

    def summary(self) -> pd.DataFrame:
        """One row per column: its name, the proposed kind and role, distinct observed values, empty cells, an
        example (what the page's column table shows and the user corrects)."""
        rows = []
        for j, c in enumerate(self.columns):
            seen = self.cells.iloc[:, j][~self.missing[:, j]]
            rows.append({"column": c, "kind": self.kinds[j], "role": self.roles[j], "distinct": int(seen.nunique()),
                         "empty": int(self.missing[:, j].sum()),
                         "example": budgets.shorten(seen.iloc[0], budgets.ECHO_CHARS // 2) if len(seen) else ""})
        return pd.DataFrame(rows)


@dataclass(frozen=True, eq=False)
class Encoded:
    """The imputers' matrix and how to write it back. x: (N, U) float64 (codes for binary and categorical columns,
    NaN = a hole); columns, kinds, categories: per used column (categories: its levels as the file wrote them, ()
    for continuous ones); order: the download's columns in the file's order (used and kept); kept: the kept
    columns' cells, untouched; lines: (N,) each row's line."""

    x: np.ndarray
    columns: tuple[str, ...]
    kinds: tuple[str, ...]
    categories: tuple[tuple[str, ...], ...]
    order: tuple[str, ...]
    kept: pd.DataFrame
    lines: np.ndarray

    def frame(self, values: np.ndarray) -> pd.DataFrame:
        """A completed (N, U) matrix as the download's frame: continuous columns as numbers, binary and categorical
        ones as the levels the file wrote (a fill's code rounded and clipped to a level), kept columns untouched."""
        out = {}
        for j, c in enumerate(self.columns):
            if self.kinds[j] == "continuous":
                out[c] = values[:, j]
            else:
                levels = np.asarray(self.categories[j], dtype=object)
                codes = np.clip(np.rint(values[:, j]), 0, len(levels) - 1).astype(int)
                out[c] = levels[codes]
                if self.kinds[j] == "binary" and all(_NUMBER.match(v) for v in levels):
                    out[c] = pd.to_numeric(out[c])
        for c in self.kept.columns:
            out[c] = self.kept[c].to_numpy()
        return pd.DataFrame({c: out[c] for c in self.order})


def _is_marker(values: pd.Series, markers: tuple[str, ...]) -> np.ndarray:
    lower = values.str.lower()
    out = lower.isin(_MISSING).to_numpy() | values.isin(markers).to_numpy()
    numeric = [float(m) for m in markers if _NUMBER.match(m)]
    if numeric:  # -999 also matches -999.0
        out |= pd.to_numeric(values.where(values.str.match(_NUMBER.pattern)), errors="coerce").isin(numeric).to_numpy()
    return out


def _numbers(values: pd.Series, decimal: str) -> pd.Series:
    """Each cell as a number, NaN where it is none."""
    if decimal == ",":
        values = values.str.replace(",", ".", regex=False)
    return pd.to_numeric(values.where(values.str.match(_NUMBER.pattern)), errors="coerce")


def _kind(seen: pd.Series, decimal: str) -> str:
    """The kind a column's observed cells suggest."""
    if seen.empty or seen.nunique() < 2:
        return "identifier"  # nothing to learn: kept as it is
    nums = _numbers(seen, decimal)
    if nums.notna().mean() >= 0.9:  # a number column (its few other cells are refused, quoted, if it is used)
        v = nums.dropna()
        if v.nunique() == 2:
            return "binary"
        whole = np.all(v == np.round(v))
        if whole and v.is_unique and v.is_monotonic_increasing and len(v) > CATEGORY_MAX:
            return "identifier"  # a row number
        return "continuous"
    if seen.str.match(_DATE.pattern).mean() >= 0.9:
        return "date"
    levels = seen.nunique()
    if levels <= CATEGORY_MAX and levels <= max(2, len(seen) // 2):
        return "categorical"
    return "identifier"


def read(data: bytes | str | Path, *, markers: tuple[str, ...] = (), sep: str | None = None) -> Typed:
    """An upload typed column by column (``KINDS``), with a role proposed for each. ``markers``: the user's own
    missing markers besides ``MARKERS``. Raises ValueError, one sentence."""
    markers = tuple(m.strip() for m in markers if m.strip())
    frame = read_frame(data, sep=sep, text=True)
    cells = frame.df.apply(lambda s: s.astype(str).str.strip())
    missing = np.column_stack([_is_marker(cells[c], markers) for c in cells.columns])
    kinds = tuple(_kind(cells[c][~missing[:, j]], frame.decimal) for j, c in enumerate(cells.columns))
    roles = tuple("use" if k in FILLED else "keep" for k in kinds)
    if not any(k in FILLED for k in kinds):
        raise ValueError(f"No column holds numbers or categories ({frame.how}): every column looks like an "
                         "identifier or a date, so there is nothing to fill.")
    return Typed(frame, cells, missing, kinds, roles, markers)


def _refuse(c: str, line: int, cell: str, why: str) -> ValueError:
    short = budgets.ECHO_CHARS * 3 // 4
    return ValueError(f"Column '{budgets.shorten(c, short)}', line {line}: '{budgets.shorten(cell, short)}' {why}.")


def encode(t: Typed, kinds: tuple[str, ...] | None = None, roles: tuple[str, ...] | None = None) -> Encoded:
    """The imputers' matrix under ``kinds`` and ``roles`` (one per column; default: ``t``'s proposal). Raises
    ValueError, one sentence naming the column, the line and the cell."""
    kinds, roles = kinds or t.kinds, roles or t.roles
    if len(kinds) != len(t.columns) or len(roles) != len(t.columns):
        raise ValueError(f"Give a kind and a role for each of the {len(t.columns)} columns.")
    said = ", ".join(repr(m) for m in (*MARKERS[:8], *t.markers)) + ", …"
    xs, used, used_kinds, cats = [], [], [], []
    for j, c in enumerate(t.columns):
        if roles[j] not in ROLES or kinds[j] not in KINDS:
            raise ValueError(f"Column '{budgets.shorten(c)}': a role is one of {', '.join(ROLES)} and a kind one "
                             f"of {', '.join(KINDS)}.")
        if roles[j] != "use":
            continue
        if kinds[j] not in FILLED:
            raise ValueError(f"Column '{budgets.shorten(c)}' is an {kinds[j]}: keep it as it is, or call it "
                             "continuous, binary or categorical to fill its holes.")
        seen = ~t.missing[:, j]
        values = t.cells[c]
        if kinds[j] == "continuous":
            nums = _numbers(values, t.frame.decimal).to_numpy(np.float64)
            bad = np.flatnonzero(seen & ~np.isfinite(nums))
            if len(bad):
                i = bad[0]
                raise _refuse(c, int(t.lines[i]), values.iloc[i],
                              f"is neither a number nor a missing marker ({said}): "
                              "correct it, name it as a missing marker, or call the column categorical")
            xs.append(np.where(seen, nums, np.nan))
            cats.append(())
        else:
            levels = values[seen].unique()
            if kinds[j] == "binary" and len(levels) > 2:
                third = np.flatnonzero(seen & ~values.isin(levels[:2]).to_numpy())[0]
                raise _refuse(c, int(t.lines[third]), values.iloc[third],
                              f"is a third value ({levels[0]!r} and {levels[1]!r} came first): a binary column "
                              "holds two; call it categorical")
            if len(levels) > CATEGORY_MAX:
                extra = np.flatnonzero(seen & ~values.isin(levels[:CATEGORY_MAX]).to_numpy())[0]
                raise _refuse(c, int(t.lines[extra]), values.iloc[extra],
                              f"is level {CATEGORY_MAX + 1} of {len(levels)}; a categorical column has at most "
                              f"{CATEGORY_MAX}: keep it as it is or leave it out")
            nums = _numbers(pd.Series(levels), t.frame.decimal)
            order = np.argsort(nums.to_numpy()) if nums.notna().all() else np.argsort(levels.astype(str))
            levels = tuple(str(v) for v in levels[order])
            codes = values.map({v: k for k, v in enumerate(levels)}).to_numpy(np.float64)
            xs.append(np.where(seen, codes, np.nan))
            cats.append(levels)
        used.append(c)
        used_kinds.append(kinds[j])
    if not used:
        raise ValueError("No column is in use: set at least two columns to 'use' to fill their holes.")
    x = np.column_stack(xs)
    if len(used) < 2:
        raise ValueError(f"Only '{budgets.shorten(used[0])}' is in use: the imputers learn each column from the "
                         "others, so use at least two.")
    if len(x) < budgets.TABLE_MIN_ROWS:
        raise ValueError(f"The table needs at least {budgets.TABLE_MIN_ROWS} rows to learn from, but it has "
                         f"{len(x)} ({t.frame.how}).")
    for j, c in enumerate(used):
        left = np.unique(x[np.isfinite(x[:, j]), j])
        if len(left) < 2:
            raise ValueError(f"Column '{budgets.shorten(c)}' holds {'one value' if len(left) else 'no value'} in "
                             "the rows it fills, so it teaches nothing: keep it as it is or leave it out.")
    empty = np.flatnonzero(np.isnan(x).all(1))
    if len(empty):
        lines = ", ".join(str(int(t.lines[i])) for i in empty[:4]) + (", …" if len(empty) > 4 else "")
        raise ValueError(f"Line{'s' if len(empty) > 1 else ''} {lines} {'are' if len(empty) > 1 else 'is'} empty in "
                         "every column in use: nothing there can be learnt or filled; delete "
                         f"{'them' if len(empty) > 1 else 'it'}.")
    order = tuple(c for j, c in enumerate(t.columns) if roles[j] != "ignore")
    kept = t.frame.df[[c for j, c in enumerate(t.columns) if roles[j] == "keep"]].copy()
    return Encoded(x, tuple(used), tuple(used_kinds), tuple(cats), order, kept, t.lines)
