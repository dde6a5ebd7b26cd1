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
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

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


def _parse(text: str) -> pd.DataFrame:
    # Spreadsheets export , ; tab or |; sniff among those only (pandas' own sniffing also tries
    # letters and digits, and splits a one-column file on a digit). A comma is the honest default.
    try:
        sep = csv.Sniffer().sniff(text[:65536], delimiters=",;\t|").delimiter
    except csv.Error:
        sep = ","
    return pd.read_csv(io.StringIO(text), sep=sep)


def table_from_csv(data: bytes | str | Path, *, name: str = "uploaded") -> Table:
    """Parse an uploaded CSV into a Table. x: (N, D) float64 with NaN where values are missing.

    Raises ValueError with one sentence a page can show when the table cannot be used as it is.
    """
    text, source = _read_text(data)
    try:
        df = _parse(text) if text.strip() else pd.DataFrame()
    except (pd.errors.ParserError, pd.errors.EmptyDataError, csv.Error, UnicodeError, ValueError) as e:
        raise ValueError(f"The file could not be read as a CSV table ({str(e).splitlines()[0]}).") from None
    if df.shape[1] == 0 or df.shape[0] == 0:
        raise ValueError("The file is empty: it needs a header line and at least 2 rows of numbers.")
    if len(df) < 2:
        raise ValueError(f"The table needs at least 2 rows to learn from, but it has {len(df)}.")
    for col in df.columns:
        if df[col].isna().all():
            raise ValueError(f"Column '{col}' is entirely missing (no value in any row); remove it.")
    for col in df.columns:
        if not (pd.api.types.is_numeric_dtype(df[col]) or pd.api.types.is_bool_dtype(df[col])):
            example = df[col].dropna().astype(str).iloc[0]
            raise ValueError(f"Column '{col}' is not numeric (it contains '{example}'); "
                             "only numbers and empty cells are allowed, so remove or encode it.")
    if df.shape[1] < 2:
        raise ValueError(f"The table needs at least 2 numeric columns, but it has {df.shape[1]}.")
    for col in df.columns:
        values = df[col].dropna().unique()
        if len(values) == 1:
            raise ValueError(f"Column '{col}' is constant (every value is {values[0]}), "
                             "so it carries no information; remove it.")
    return Table(name=name, x=df.to_numpy(dtype=np.float64, na_value=np.nan), columns=tuple(map(str, df.columns)),
                 y=None, target_name=None, task=None, source=source)
