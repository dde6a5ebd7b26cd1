"""Datasets of DGM Lab, read from one folder: ``$DGM_DATA_DIR`` (or an explicit ``data_dir``).

Images (``load_images``): MNIST, Omniglot, CelebA, SVHN as x: (N, C, H, W) float32 in [0, 1] with
y: (N,) int64 labels; grey-level sets are white ink on black (1.0 = ink). Tables (``load_table``):
the UCI sets of MIWAE / not-MIWAE as x: (N, D) float64 features, the target kept apart; plus
``table_from_csv`` for user uploads (NaN = a real missing value). Nothing is downloaded unless a
caller asks (``download=True``); a missing data set raises ``DatasetNotFoundError``, whose message
says where it looked and how to provide the files. The on-disk layout is in
the README's Data section.
"""
from __future__ import annotations

from pathlib import Path

from dgm_core.data.images import (
    ENV_VAR,
    IMAGE_DATASETS,
    SIZES,
    DatasetNotFoundError,
    ImageSet,
    binarize_static,
    data_dir,
    gallery,
    image_available,
    load_images,
    to_grey,
    load_grey_faces,
)
from dgm_core.data.tables import TABLES, Table, load_table, table_available, table_from_csv, table_path

__all__ = [
    "ENV_VAR", "DatasetNotFoundError", "data_dir", "available",
    "ImageSet", "IMAGE_DATASETS", "SIZES", "load_images", "to_grey", "load_grey_faces", "binarize_static", "gallery",
    "Table", "TABLES", "load_table", "table_from_csv", "table_path",
]


def available(name: str, data_dir: str | Path | None = None) -> bool:
    """True when the files of data set ``name`` (an image set or a table) are found; file existence only."""
    if name in IMAGE_DATASETS:
        return image_available(name, _resolve_dir(data_dir))
    if name in TABLES:
        return table_available(name, data_dir)
    raise ValueError(f"Unknown dataset {name!r}; valid names are {', '.join(IMAGE_DATASETS + TABLES)}.")


_resolve_dir = data_dir  # the argument `data_dir` above shadows the function of the same name
