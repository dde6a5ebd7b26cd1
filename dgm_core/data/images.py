"""Image datasets (MNIST, Omniglot, CelebA, SVHN) from ``$DGM_DATA_DIR``, as float32 (N, C, H, W) in [0, 1].

Files are found through one folder, ``DGM_DATA_DIR`` (or an explicit ``data_dir``), laid out as in
the README's Data section: ``MNIST/raw/`` (torchvision layout), ``omniglot/*.npz``,
``celeba/celeba64_subset.npz``, and ``svhn/*_32x32.mat`` when a user has SVHN. Nothing is downloaded
unless a caller passes ``download=True`` (MNIST and SVHN, through torchvision).

Conventions: grey-level sets (MNIST, Omniglot) are white strokes on black, 1.0 = ink, C = 1; colour
sets (CelebA, SVHN) have C = 3. ``binarize=True`` gives the *static* binarisation used for the
binarised-MNIST/Omniglot likelihood benchmarks (Larochelle & Murray 2011; Burda et al., IWAE,
arXiv:1509.00519): one Bernoulli draw per pixel with a fixed seed per split, so every call sees the
same binary test set.
"""
from __future__ import annotations

import functools
import math
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from dgm_core.device import generator

ENV_VAR = "DGM_DATA_DIR"
IMAGE_DATASETS = ("mnist", "omniglot", "celeba", "svhn")
SPLITS = ("train", "test")
# Supported sizes per data set; the first one is the default (the size stored on disk).
SIZES = {"mnist": (28,), "omniglot": (28, 105), "celeba": (64, 32), "svhn": (32,)}
# One fixed seed per split, so the binarised test set never depends on whether train was loaded.
_BINARIZE_SEED = {"train": 0, "test": 1}
_LABELS = {"mnist": "MNIST", "omniglot": "Omniglot", "celeba": "CelebA", "svhn": "SVHN"}
_LAYOUT = {
    "mnist": "torchvision's MNIST layout (MNIST/raw/train-images-idx3-ubyte, ...)",
    "omniglot": "omniglot/omniglot28.npz and omniglot/images_{background,evaluation}.npz "
                "(or torchvision's omniglot-py/ PNG tree)",
    "celeba": "celeba/celeba64_subset.npz (or torchvision's celeba/img_align_celeba/ layout)",
    "svhn": "svhn/train_32x32.mat and svhn/test_32x32.mat (torchvision's SVHN files)",
}


class DatasetNotFoundError(FileNotFoundError):
    """A data set's files are not on disk; the message says where we looked and how to provide them."""

    def __init__(self, name: str, paths: list[Path | str], root: Path | None, *,
                 downloadable: bool = False, layout: str | None = None, note: str = ""):
        self.dataset, self.paths = name, [str(p) for p in paths]
        label = _LABELS.get(name, f"UCI {name}")
        where = ", ".join(self.paths) or "(nowhere)"
        why = (f"{ENV_VAR} is not set and no data_dir was given. " if root is None
               else "No usable files were found there. ")
        msg = (f"The {label} dataset ('{name}') was not found: looked for {where}. {why}{note}"
               f"To provide it, set the environment variable {ENV_VAR} (or pass data_dir=) to a folder "
               f"holding {layout or _LAYOUT.get(name, 'its files')}, as described in the README's Data section")
        if downloadable:
            msg += (f"; or, on a machine with network access, call load_images('{name}', download=True, "
                    f"data_dir=...) to let torchvision download it")
        super().__init__(msg + ".")


class DatasetDamagedError(DatasetNotFoundError):
    """A data set's file is on disk but cannot be read (cut short, or another file under its name). A kind of
    DatasetNotFoundError, so that every page that says a data set is missing says this instead; the message is one
    sentence."""

    def __init__(self, name: str, path: Path | str, why: str):
        self.dataset, self.paths = name, [str(path)]
        label = _LABELS.get(name, f"UCI {name}")
        FileNotFoundError.__init__(self, f"The {label} file {Path(path).name} is damaged ({why}); restore it "
                                         f"(README, Data) or remove it to use the app without {label}.")


def data_dir(explicit: str | Path | None = None) -> Path | None:
    """The data folder: ``explicit`` if given, else ``$DGM_DATA_DIR``, else None (never a guess)."""
    if explicit is not None and str(explicit) != "":
        return Path(explicit).expanduser()
    env = os.environ.get(ENV_VAR, "").strip()
    return Path(env).expanduser() if env else None


_resolve_dir = data_dir  # public functions take an argument named `data_dir`, which shadows the function


def _show(root: Path | None, rel: str) -> Path | str:
    """A path for messages: the real one, or ``<DGM_DATA_DIR>/rel`` when no folder is configured."""
    return root / rel if root is not None else f"<{ENV_VAR}>/{rel}"


@dataclass(frozen=True, eq=False)  # eq=False: comparing tensor fields with == is ambiguous
class ImageSet:
    """A split of an image data set. x: (N, C, H, W) float32 in [0, 1]; y: (N,) int64 or None."""

    name: str
    split: str
    x: torch.Tensor
    y: torch.Tensor | None

    def __len__(self) -> int:
        return int(self.x.shape[0])


def binarize_static(x: torch.Tensor, seed: int = 0) -> torch.Tensor:
    """Static binarisation: Bernoulli(x) with a generator seeded by ``seed``. x: (...) in [0, 1] -> same shape, 0/1."""
    g = generator(seed, device=x.device)
    return torch.bernoulli(x.float().clamp(0.0, 1.0), generator=g)


# ---------------------------------------------------------------- raw arrays (cached, never mutated)

@functools.lru_cache(maxsize=8)
def _npz(path: str, keys: tuple[str, ...], name: str = "") -> tuple[np.ndarray, ...]:
    try:
        with np.load(path) as f:
            return tuple(f[k] for k in keys)
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile) as e:  # cut short, or another archive
        why = f"it holds no array {e.args[0]!r}" if isinstance(e, KeyError) else "it is not a complete NumPy archive"
        raise DatasetDamagedError(name, path, why) from None


def _read_idx(path: Path, name: str = "mnist") -> np.ndarray:
    """An IDX file, MNIST's format: 2 zero bytes, a type byte (8 = uint8), the number of dimensions, each
    dimension as a big-endian int32, then the data. A file cut short, or another file, raises
    DatasetDamagedError."""
    raw = path.read_bytes()
    if raw[:3] != b"\x00\x00\x08" or len(raw) < 4 + 4 * raw[3]:
        raise DatasetDamagedError(name, path, "it is not an IDX file of unsigned bytes")
    ndim = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    expected = 4 + 4 * ndim + math.prod(shape)
    if len(raw) != expected:
        raise DatasetDamagedError(name, path, f"it holds {len(raw):,} bytes where its header promises {expected:,}")
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(shape)


@functools.lru_cache(maxsize=4)
def _mnist_raw(root: str, train: bool, download: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """(N, 28, 28) uint8 images and (N,) int64 labels. The files on disk are read directly: importing
    torchvision costs a server about 160 MB of memory, for a format of four header fields; torchvision
    is used only to download."""
    if download:
        from torchvision.datasets import MNIST
        MNIST(root=root, train=train, download=True)
    stem = "train" if train else "t10k"
    folder = Path(root) / "MNIST" / "raw"
    x = _read_idx(folder / f"{stem}-images-idx3-ubyte")
    y = _read_idx(folder / f"{stem}-labels-idx1-ubyte")
    if x.ndim != 3 or y.ndim != 1 or len(x) != len(y):
        raise DatasetDamagedError("mnist", folder / f"{stem}-labels-idx1-ubyte",
                                  f"{len(y):,} labels for {len(x):,} images of shape {x.shape[1:]}")
    return torch.from_numpy(x.copy()), torch.from_numpy(y.astype(np.int64))


def _mnist_files(root: Path | None) -> list[Path | str]:
    names = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
    return [_show(root, f"MNIST/raw/{n}") for n in names]


def _svhn_candidates(root: Path | None, split: str) -> list[Path | str]:
    return [_show(root, f"{sub}{split}_32x32.mat") for sub in ("svhn/", "SVHN/", "")]


def _omniglot_tree(root: Path | None) -> Path | None:
    """The folder that holds torchvision's ``omniglot-py/`` (the data dir itself or its omniglot/)."""
    for base in ([root, root / "omniglot"] if root is not None else []):
        if (base / "omniglot-py" / "images_background").is_dir():
            return base
    return None


def _celeba_tv(root: Path | None) -> bool:
    return root is not None and (root / "celeba" / "img_align_celeba").is_dir() \
        and (root / "celeba" / "list_eval_partition.txt").is_file()


def image_available(name: str, root: Path | None) -> bool:
    """Cheap existence check (no decoding) for one image data set under ``root``."""
    if root is None:
        return False
    if name == "mnist":
        return all(Path(p).is_file() for p in _mnist_files(root))
    if name == "omniglot":
        return (root / "omniglot" / "omniglot28.npz").is_file() or _omniglot_tree(root) is not None
    if name == "celeba":
        return (root / "celeba" / "celeba64_subset.npz").is_file() or _celeba_tv(root)
    if name == "svhn":
        return any(Path(p).is_file() for p in _svhn_candidates(root, "test"))
    raise ValueError(f"Unknown image dataset {name!r}; valid names are {', '.join(IMAGE_DATASETS)}.")


# ---------------------------------------------------------------- one loader per data set -> (x, y)
# Each returns x: (N, C, H, W) uint8 or bool (True = ink) and y: (N,) ints, already cut to `limit`.

def _load_mnist(root, split, size, limit, download):
    if not (download or image_available("mnist", root)):
        raise DatasetNotFoundError("mnist", _mnist_files(root), root, downloadable=True)
    if root is None:
        raise ValueError("download=True needs a folder to download into: pass data_dir= or set DGM_DATA_DIR.")
    x, y = _mnist_raw(str(root), split == "train", download)
    return x[:limit, None], y[:limit]


def _load_omniglot(root, split, size, limit, download):
    stem = "background" if split == "train" else "evaluation"
    rel = "omniglot/omniglot28.npz" if size == 28 else f"omniglot/images_{stem}.npz"
    path = root / rel if root is not None else None
    if path is not None and path.is_file():
        if size == 28:
            x, y = _npz(str(path), (f"x_{stem}", f"y_{stem}"), "omniglot")
            return torch.from_numpy(x[:limit, None]), y[:limit]
        images, labels = _npz(str(path), ("images", "labels"), "omniglot")  # (chars, 20, 105, 105) bool, True = paper
        n_char, n_draw = images.shape[:2]
        x = images.reshape(n_char * n_draw, 1, 105, 105)[:limit]  # rows: character, then drawer
        return torch.from_numpy(~x), labels.reshape(-1)[:limit]
    tree = _omniglot_tree(root)
    if tree is None or not (tree / "omniglot-py" / f"images_{stem}").is_dir():
        paths = [_show(root, rel), _show(root, f"omniglot-py/images_{stem}/")]
        raise DatasetNotFoundError("omniglot", paths, root)
    x, y = _omniglot_png_tree(str(tree / "omniglot-py" / f"images_{stem}"), size)
    return x[:limit], y[:limit]


@functools.lru_cache(maxsize=2)
def _omniglot_png_tree(folder: str, size: int) -> tuple[torch.Tensor, np.ndarray]:
    """torchvision's/brendenlake's PNG tree ``<alphabet>/<character>/<char_id>_<drawer>.png`` -> (N, 1, s, s) uint8.

    Read directly rather than through ``torchvision.datasets.Omniglot``: that class wants the original
    zips' MD5s even with download=False, and orders rows by ``os.listdir`` (file-system dependent).
    Sorting by file name gives character id, then drawer: the row order of the npz files.
    """
    from PIL import Image
    files = sorted(Path(folder).glob("*/*/*.png"), key=lambda p: p.name)
    chars = {c: i for i, c in enumerate(dict.fromkeys(p.parent for p in files))}  # first-seen order
    xs = []
    for f in files:
        with Image.open(f) as img:  # 1-bit PNG, white paper
            ink = Image.fromarray(255 - np.asarray(img.convert("L"), dtype=np.uint8))
        if size == 28:
            ink = ink.resize((28, 28), Image.Resampling.BOX)  # the same area average as omniglot28.npz
        xs.append(np.asarray(ink))
    if not xs:
        raise DatasetNotFoundError("omniglot", [Path(folder) / "<alphabet>/<character>/*.png"], Path(folder))
    return torch.from_numpy(np.stack(xs)[:, None]), np.asarray([chars[f.parent] for f in files], dtype=np.int64)


def _load_celeba(root, split, size, limit, download):
    path = root / "celeba" / "celeba64_subset.npz" if root is not None else None
    if path is not None and path.is_file():
        x, y = _npz(str(path), (f"x_{split}", f"identity_{split}"), "celeba")  # (N, 64, 64, 3) uint8 HWC
        x = torch.from_numpy(x[:limit]).permute(0, 3, 1, 2)
        if size != 64:
            # Area averaging: each 32x32 pixel is the mean of a 2x2 block, no aliasing.
            x = F.interpolate(x.float(), size=(size, size), mode="area")
        return x, y[:limit]
    if not _celeba_tv(root):
        paths = [_show(root, "celeba/celeba64_subset.npz"), _show(root, "celeba/img_align_celeba/")]
        raise DatasetNotFoundError("celeba", paths, root)
    from torchvision import transforms
    from torchvision.datasets import CelebA
    tf = transforms.Compose([transforms.CenterCrop(140), transforms.Resize(size), transforms.PILToTensor()])
    ds = CelebA(str(root), split=split, target_type="identity", transform=tf, download=False)
    idx = range(len(ds) if limit is None else min(limit, len(ds)))
    pairs = [ds[i] for i in idx]
    return torch.stack([p[0] for p in pairs]), np.asarray([int(p[1]) for p in pairs])


def _load_svhn(root, split, size, limit, download):
    candidates = _svhn_candidates(root, split)
    found = [Path(p) for p in candidates if root is not None and Path(p).is_file()]
    if not found and not download:
        raise DatasetNotFoundError("svhn", candidates, root, downloadable=True,
                                   note="SVHN is not part of the data shipped with DGM Lab. ")
    if not found:
        if root is None:
            raise ValueError("download=True needs a folder to download into: pass data_dir= or set DGM_DATA_DIR.")
        from torchvision.datasets import SVHN
        SVHN(str(root / "svhn"), split=split, download=True)
        found = [root / "svhn" / f"{split}_32x32.mat"]
    # torchvision's file, read with scipy (as torchvision does, without its checksum or its import):
    # X is (32, 32, 3, N) uint8 and y is (N, 1) with 10 standing for the digit 0
    from scipy.io import loadmat
    try:
        mat = loadmat(str(found[0]))
        mat["X"], mat["y"]
    except (OSError, ValueError, TypeError, KeyError):  # cut short, or another file under its name
        raise DatasetDamagedError("svhn", found[0], "it is not a complete SVHN .mat file") from None
    x = torch.from_numpy(np.ascontiguousarray(mat["X"][..., :limit].transpose(3, 2, 0, 1)))  # (N, 3, 32, 32)
    return x, (mat["y"].reshape(-1)[:limit] % 10).astype(np.int64)


_LOADERS = {"mnist": _load_mnist, "omniglot": _load_omniglot, "celeba": _load_celeba, "svhn": _load_svhn}


def load_images(name: str, split: str = "test", *, size: int | None = None, binarize: bool = False,
                limit: int | None = None, data_dir: str | Path | None = None,
                download: bool = False) -> ImageSet:
    """Load one split of an image data set as x: (N, C, H, W) float32 in [0, 1], y: (N,) int64.

    ``size``: the side length, one of ``SIZES[name]`` (default: the first, the size on disk).
    ``binarize``: static binarisation with a fixed seed per split (train 0, test 1), drawn on the whole
    split before ``limit``, so ``limit=100`` is the prefix of the same binary set.
    ``limit``: keep the first ``limit`` rows. ``download``: let torchvision fetch MNIST/SVHN (network).
    """
    if name not in IMAGE_DATASETS:
        raise ValueError(f"Unknown image dataset {name!r}; valid names are {', '.join(IMAGE_DATASETS)}.")
    if split not in SPLITS:
        raise ValueError(f"Unknown split {split!r} for {name}; valid splits are {', '.join(SPLITS)}.")
    size = SIZES[name][0] if size is None else int(size)
    if size not in SIZES[name]:
        raise ValueError(f"{_LABELS[name]} is available at size {' or '.join(map(str, SIZES[name]))}, not {size}.")
    if limit is not None and limit < 0:
        raise ValueError(f"limit must be a non-negative number of rows, not {limit}.")
    root = _resolve_dir(data_dir)
    x, y = _LOADERS[name](root, split, size, None if binarize else limit, download)
    if x.dtype == torch.bool:
        x = x.float()
    elif x.dtype == torch.uint8:
        x = x.float() / 255.0
    else:  # already float (area-resized uint8 values)
        x = x / 255.0
    if binarize:
        x = binarize_static(x, seed=_BINARIZE_SEED[split])[:limit]
        y = y[:limit]
    y = torch.tensor(np.asarray(y), dtype=torch.int64)  # a copy: cached arrays are never exposed
    return ImageSet(name=name, split=split, x=x.contiguous(), y=y)


LUMA = (0.299, 0.587, 0.114)  # ITU-R 601, the weights of PIL's "L" conversion


def to_grey(x: torch.Tensor) -> torch.Tensor:
    """(N, 3, H, W) colour -> (N, 1, H, W) luma; grey images pass through."""
    if x.shape[1] == 1:
        return x
    return (x * torch.tensor(LUMA, dtype=x.dtype, device=x.device).view(1, 3, 1, 1)).sum(1, keepdim=True)


def load_grey_faces(split: str, limit: int | None = None, data_dir: str | Path | None = None) -> torch.Tensor:
    """Grey CelebA at 32x32, the images of the MNAR clipping experiment: (N, 1, 32, 32) in [0, 1]."""
    return to_grey(load_images("celeba", split, size=32, limit=limit, data_dir=data_dir).x)


def gallery(name: str, n: int = 24, *, split: str = "test", seed: int = 0, size: int | None = None,
            data_dir: str | Path | None = None) -> ImageSet:
    """``n`` images drawn without replacement (same seed, same images) for the UI. x: (n, C, H, W)."""
    full = load_images(name, split, size=size, data_dir=data_dir)
    n = min(int(n), len(full))
    idx = torch.randperm(len(full), generator=generator(seed))[:n]
    return ImageSet(name=name, split=split, x=full.x[idx], y=None if full.y is None else full.y[idx])
