"""Tests of dgm_core.data on the real files of $DGM_DATA_DIR (layout: the README's Data section).

Tests that need the data folder skip when DGM_DATA_DIR is unset; CI sets it. The rest (errors,
uploads, the scikit-learn fallback) run everywhere.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import torch.nn.functional as F

from dgm_core import budgets
from dgm_core.data import (
    ENV_VAR, TABLES, DatasetNotFoundError, available, binarize_static, data_dir, gallery,
    load_images, load_table, table_from_csv,
)


def _root() -> Path:
    if not os.environ.get(ENV_VAR):
        pytest.skip(f"{ENV_VAR} is not set: point it at the folder described in the README's Data section")
    return Path(os.environ[ENV_VAR])


@pytest.fixture(scope="module")
def root() -> Path:
    return _root()


@pytest.fixture(scope="module")
def mnist_test(root):
    return load_images("mnist", "test", data_dir=root)


# ---------------------------------------------------------------- images

@pytest.mark.parametrize("name, split, size, n, c, n_labels", [
    ("mnist", "train", 28, 60000, 1, 10), ("mnist", "test", 28, 10000, 1, 10),
    ("omniglot", "train", 28, 19280, 1, 964), ("omniglot", "test", 28, 13180, 1, 659),
    ("omniglot", "train", 105, 19280, 1, 964), ("omniglot", "test", 105, 13180, 1, 659),
    ("celeba", "train", 64, 5340, 3, 178), ("celeba", "test", 64, 660, 3, 22),
    ("celeba", "train", 32, 5340, 3, 178), ("celeba", "test", 32, 660, 3, 22),
])
def test_image_split_shapes_dtypes_ranges(root, name, split, size, n, c, n_labels):
    s = load_images(name, split, size=size, data_dir=root)
    assert (s.name, s.split, len(s)) == (name, split, n)
    assert s.x.shape == (n, c, size, size) and s.x.dtype == torch.float32
    assert s.y.shape == (n,) and s.y.dtype == torch.int64
    assert 0.0 <= float(s.x.min()) and float(s.x.max()) <= 1.0 and float(s.x.max()) > 0.9
    assert len(torch.unique(s.y)) == n_labels
    if name != "celeba":  # CelebA labels are identity numbers, not 0..K-1
        assert int(s.y.min()) == 0 and int(s.y.max()) == n_labels - 1


def test_mnist_first_test_digit_is_a_seven(mnist_test):
    assert int(mnist_test.y[0]) == 7 and mnist_test.y[:5].tolist() == [7, 2, 1, 0, 4]
    assert 0.1 < float(mnist_test.x.mean()) < 0.2  # white digits on black


def test_default_size_and_limit_is_prefix(root, mnist_test):
    s = load_images("mnist", data_dir=root, limit=100)
    assert s.split == "test" and s.x.shape == (100, 1, 28, 28)
    assert torch.equal(s.x, mnist_test.x[:100]) and torch.equal(s.y, mnist_test.y[:100])


def test_env_var_is_the_default_data_dir(root, monkeypatch, tmp_path):
    monkeypatch.setenv(ENV_VAR, str(root))
    assert data_dir() == root and data_dir(tmp_path) == tmp_path
    assert len(load_images("omniglot", limit=3)) == 3
    monkeypatch.delenv(ENV_VAR)
    assert data_dir() is None


def test_static_binarisation_is_deterministic(root, mnist_test):
    a = load_images("mnist", "test", binarize=True, data_dir=root)
    b = load_images("mnist", "test", binarize=True, data_dir=root)
    assert torch.equal(a.x, b.x) and torch.equal(a.y, mnist_test.y)
    assert bool(((a.x == 0) | (a.x == 1)).all())
    assert abs(float(a.x.mean()) - float(mnist_test.x.mean())) < 2e-3  # E[Bernoulli(p)] = p over 7.8M pixels
    assert torch.equal(load_images("mnist", "test", binarize=True, limit=100, data_dir=root).x, a.x[:100])
    assert not torch.equal(binarize_static(mnist_test.x, seed=0), binarize_static(mnist_test.x, seed=1))
    o = load_images("omniglot", "test", binarize=True, data_dir=root)
    assert torch.equal(o.x, load_images("omniglot", "test", binarize=True, data_dir=root).x)
    assert bool(((o.x == 0) | (o.x == 1)).all())


def test_binarize_static_on_a_tensor():
    p = torch.full((4, 1, 8, 8), 0.3)
    assert torch.equal(binarize_static(p, seed=5), binarize_static(p, seed=5))
    assert torch.equal(binarize_static(torch.ones(3, 3)), torch.ones(3, 3))
    assert torch.equal(binarize_static(torch.zeros(3, 3)), torch.zeros(3, 3))


def test_omniglot_ink_convention_and_row_order(root):
    x28 = load_images("omniglot", "train", data_dir=root).x
    x105 = load_images("omniglot", "train", size=105, data_dir=root)
    assert float(x28.mean()) < 0.3 and float(x105.x.mean()) < 0.3  # ink = 1 is the minority
    assert float(x28[:, :, 0, :].mean()) < 0.05  # the border is paper, so 0
    assert bool(((x105.x == 0) | (x105.x == 1)).all())  # the 105 images are 1-bit
    assert torch.equal(x105.y, torch.arange(964).repeat_interleave(20))  # character, then drawer
    from PIL import Image  # omniglot28 is the BOX resize of the 105 images, row for row
    for i in (0, 1, 20, 19279):
        ink = Image.fromarray((x105.x[i, 0].numpy() * 255).astype(np.uint8))
        small = np.asarray(ink.resize((28, 28), Image.Resampling.BOX)) / 255.0
        assert np.allclose(small, x28[i, 0].numpy(), atol=1e-6)


def test_omniglot_png_tree_fallback(root, tmp_path):
    """A torchvision-layout PNG tree (no npz) loads with the same pixels and row order as the npz."""
    from PIL import Image
    chars = pd.read_csv(root / "omniglot" / "characters.csv")
    with np.load(root / "omniglot" / "images_background.npz") as f:
        images = f["images"]
    picked = chars[(chars["set"] == "background")].iloc[[0, 5, 700]]
    for _, r in picked.iterrows():
        folder = tmp_path / "omniglot-py" / "images_background" / r["alphabet"] / r["character"]
        folder.mkdir(parents=True)
        for d in range(20):
            Image.fromarray(images[r["index_in_set"], d]).convert("1").save(
                folder / f"{r['char_id']:04d}_{d + 1:02d}.png")
    assert available("omniglot", tmp_path)
    ref105 = load_images("omniglot", "train", size=105, data_dir=root)
    ref28 = load_images("omniglot", "train", data_dir=root)
    rows = np.concatenate([np.arange(20) + 20 * i for i in picked["index_in_set"]])
    s105 = load_images("omniglot", "train", size=105, data_dir=tmp_path)
    s28 = load_images("omniglot", "train", data_dir=tmp_path)
    assert torch.equal(s105.x, ref105.x[rows]) and torch.equal(s28.x, ref28.x[rows])
    assert s28.y.tolist() == [0] * 20 + [1] * 20 + [2] * 20
    with pytest.raises(DatasetNotFoundError):
        load_images("omniglot", "test", data_dir=tmp_path)


def test_celeba_32_is_area_downsampling_of_64(root):
    x64 = load_images("celeba", "test", data_dir=root).x
    x32 = load_images("celeba", "test", size=32, data_dir=root).x
    pooled = x64.reshape(660, 3, 32, 2, 32, 2).mean(dim=(3, 5))
    assert torch.allclose(x32, pooled, atol=1e-5)
    assert torch.allclose(x32, F.avg_pool2d(x64, 2), atol=1e-5)


def test_celeba_split_is_identity_disjoint(root):
    tr = load_images("celeba", "train", limit=None, data_dir=root).y
    te = load_images("celeba", "test", data_dir=root).y
    assert not set(tr.tolist()) & set(te.tolist())


def test_gallery_is_deterministic(root):
    a, b = gallery("mnist", 8, seed=3, data_dir=root), gallery("mnist", 8, seed=3, data_dir=root)
    assert a.x.shape == (8, 1, 28, 28) and torch.equal(a.x, b.x) and torch.equal(a.y, b.y)
    assert not torch.equal(a.x, gallery("mnist", 8, seed=4, data_dir=root).x)
    assert gallery("celeba", 4, size=32, data_dir=root).x.shape == (4, 3, 32, 32)


def test_svhn_is_not_shipped(root):
    if available("svhn", root):
        pytest.skip("SVHN is present in this data folder")
    with pytest.raises(DatasetNotFoundError, match=r"SVHN.*download=True"):
        load_images("svhn", "test", data_dir=root)


@pytest.mark.parametrize("name, label, rel", [
    ("mnist", "MNIST", "MNIST/raw"), ("omniglot", "Omniglot", "omniglot/omniglot28.npz"),
    ("celeba", "CelebA", "celeba/celeba64_subset.npz"), ("svhn", "SVHN", "svhn/test_32x32.mat"),
])
def test_missing_image_set_message(tmp_path, name, label, rel):
    assert not available(name, tmp_path)
    with pytest.raises(DatasetNotFoundError) as e:
        load_images(name, data_dir=tmp_path)
    msg = str(e.value)
    assert label in msg and str(tmp_path / rel) in msg and ENV_VAR in msg and "\n" not in msg
    assert isinstance(e.value, FileNotFoundError)


def test_missing_without_any_data_dir(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    with pytest.raises(DatasetNotFoundError, match=f"{ENV_VAR} is not set"):
        load_images("mnist")
    with pytest.raises(DatasetNotFoundError, match="concrete"):
        load_table("concrete")
    assert not available("mnist") and available("breast")


def test_unknown_names_sizes_and_splits(tmp_path):
    with pytest.raises(ValueError, match="mnist, omniglot"):
        load_images("cifar10", data_dir=tmp_path)
    with pytest.raises(ValueError, match="train, test"):
        load_images("mnist", "valid", data_dir=tmp_path)
    with pytest.raises(ValueError, match="size 28, not 32"):
        load_images("mnist", size=32, data_dir=tmp_path)
    with pytest.raises(ValueError, match="banknote"):
        load_table("iris", data_dir=tmp_path)
    with pytest.raises(ValueError, match="Unknown dataset"):
        available("iris")


# ---------------------------------------------------------------- tables

WINE = ("fixed acidity", "volatile acidity", "citric acid", "residual sugar", "chlorides",
        "free sulfur dioxide", "total sulfur dioxide", "density", "pH", "sulphates", "alcohol")


@pytest.mark.parametrize("name, shape, first, last, target, task", [
    ("banknote", (1372, 4), "variance", "entropy", "class", "classification"),
    ("concrete", (1030, 8), "Cement (component 1)(kg in a m^3 mixture)", "Age (day)",
     "Concrete compressive strength(MPa, megapascals) ", "regression"),
    ("red", (1599, 11), WINE[0], WINE[-1], "quality", "regression"),
    ("white", (4898, 11), WINE[0], WINE[-1], "quality", "regression"),
    ("yeast", (1484, 8), "mcg", "nuc", "localization_site", "classification"),
    ("breast", (569, 30), "mean radius", "worst fractal dimension", "target", "classification"),
])
def test_tables(root, name, shape, first, last, target, task):
    t = load_table(name, data_dir=root)
    assert t.x.shape == shape and t.x.dtype == np.float64 and not np.isnan(t.x).any()
    assert len(t.columns) == shape[1] and (t.columns[0], t.columns[-1]) == (first, last)
    assert (t.target_name, t.task) == (target, task) and t.y.shape == (shape[0],)
    assert t.source == str(root / "uci" / Path(t.source).name)
    if name in ("red", "white"):
        assert t.columns == WINE
    if task == "classification":
        assert t.y.dtype == np.int64 and t.y.min() == 0
    if name == "yeast":
        assert t.y.max() == 9  # 10 localisation sites


def test_table_names_cover_all(root):
    assert all(available(n, root) for n in TABLES)


def test_breast_without_data_dir_matches_csv(root, tmp_path):
    sk = load_table("breast", data_dir=tmp_path)
    csv = load_table("breast", data_dir=root)
    assert sk.source == "scikit-learn" and sk.columns == csv.columns
    assert np.array_equal(sk.x, csv.x) and np.array_equal(sk.y, csv.y)


def test_missing_table_message(tmp_path):
    with pytest.raises(DatasetNotFoundError) as e:
        load_table("yeast", data_dir=tmp_path)
    msg = str(e.value)
    assert "yeast" in msg and str(tmp_path / "uci" / "yeast.csv") in msg and ENV_VAR in msg


# ---------------------------------------------------------------- uploads

def body(n: int = 10, line: str = "{i},{j},{k}") -> bytes:
    """n rows of distinct numbers (i, i mod 7, i mod 3 by default): enough rows for an upload."""
    return "".join(line.format(i=i, j=i % 7, k=i % 3) + "\n" for i in range(n)).encode()


@pytest.mark.parametrize("text, pattern", [
    (b"a,b,c\n1,x,3\n" + body(), r"Column 'b' is not numeric"),
    # a quoted cell with a line break is quoted back on one line, its break written \n
    (b'a,b,c\n1,"x\ny",3\n' + body(), r"^Column 'b' is not numeric \(it contains 'x\\ny',[^\n]*$"),
    (b"a,b,c\n" + body(line="{i},7,{k}"), r"Column 'b' is constant"),
    (b"a,b,c\n1,2,3\n", rf"at least {budgets.TABLE_MIN_ROWS} rows.*has 1"),
    (b"a,b,c\n" + body(line="{i},,{k}"), r"Column 'b' is entirely missing"),
    (b"a\n" + body(line="{i}"), r"at least 2 numeric columns"),
    (b"", r"empty"),
    (b"a,b\n", r"no rows"),
])
def test_table_from_csv_rejects(text, pattern):
    with pytest.raises(ValueError, match=pattern):
        table_from_csv(text)


def test_table_from_csv_accepts_missing_values(tmp_path):
    t = table_from_csv(b"x;y;z\n1.5;2;\n3;;4\n5;6;7\n" + body(7, "{i};{j};{k}").replace(b",", b";"), name="mine")
    assert (t.name, t.columns, t.y, t.task, t.source) == ("mine", ("x", "y", "z"), None, None, "upload")
    expected = np.array([[1.5, 2, np.nan], [3, np.nan, 4], [5, 6, 7]])
    assert t.x.dtype == np.float64 and np.array_equal(t.x[:3], expected, equal_nan=True)
    path = tmp_path / "u.csv"
    text = "a,b\n" + body(line="{i},{j}").decode()
    path.write_text(text)
    for src in (path, str(path), text):
        assert np.array_equal(table_from_csv(src).x, [[i, i % 7] for i in range(10)])
    assert table_from_csv(path).source == str(path)


def test_mnist_files_read_as_torchvision_reads_them(root):
    """The IDX reader gives torchvision's arrays exactly (torchvision is not imported by the app)."""
    from torchvision.datasets import MNIST

    from dgm_core.data.images import _mnist_raw
    for train in (True, False):
        x, y = _mnist_raw(str(root), train, False)
        ds = MNIST(str(root), train=train)
        assert torch.equal(x, ds.data) and torch.equal(y, ds.targets)


def test_idx_reader_reads_shape_and_bytes_and_refuses_other_files(tmp_path):
    from dgm_core.data.images import _read_idx
    data = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    f = tmp_path / "x-idx3-ubyte"
    f.write_bytes(b"\x00\x00\x08\x03" + b"".join(int(n).to_bytes(4, "big") for n in data.shape) + data.tobytes())
    assert np.array_equal(_read_idx(f), data)
    (tmp_path / "bad").write_bytes(b"PNG....")
    with pytest.raises(DatasetNotFoundError, match=r"is damaged \(it is not an IDX file"):  # one sentence a page shows
        _read_idx(tmp_path / "bad")
    f.write_bytes(f.read_bytes()[:-1])  # cut short by one byte
    with pytest.raises(DatasetNotFoundError, match="holds 39 bytes where its header promises 40"):
        _read_idx(f)
