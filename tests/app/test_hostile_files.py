"""Faults in the files the server owns give one sentence on the pages that read them, never a traceback: a data
folder whose files are cut short (MNIST, CelebA, Omniglot, the UCI tables), weights that fail their checksum, a
model whose weights are gone. Each page runs alone (AppTest) with the caches emptied before and after, so it reads
the broken files itself."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from dgm_core import pretrained
from dgm_core.data import images

ROOT = Path(__file__).resolve().parents[2]


def _clear() -> None:
    st.cache_resource.clear()
    st.cache_data.clear()
    images._mnist_raw.cache_clear()
    images._npz.cache_clear()


@pytest.fixture
def fresh():
    _clear()
    yield
    _clear()


@pytest.fixture
def broken_data(tmp_path, monkeypatch, fresh):
    """A data folder with every data set's files, each cut to half its length (MNIST's IDX files from a real
    header, so the cut is what is wrong)."""
    head = b"\x00\x00\x08\x03" + b"".join(n.to_bytes(4, "big") for n in (10_000, 28, 28))
    (tmp_path / "MNIST" / "raw").mkdir(parents=True)
    for split, n in (("train", 60_000), ("t10k", 10_000)):
        images_head = head.replace((10_000).to_bytes(4, "big"), n.to_bytes(4, "big"), 1)
        (tmp_path / "MNIST" / "raw" / f"{split}-images-idx3-ubyte").write_bytes(images_head + bytes(n * 392))
        (tmp_path / "MNIST" / "raw" / f"{split}-labels-idx1-ubyte").write_bytes(
            b"\x00\x00\x08\x01" + n.to_bytes(4, "big") + bytes(n))
    for rel in ("celeba/celeba64_subset.npz", "omniglot/omniglot28.npz", "uci/yeast.csv"):
        (tmp_path / rel).parent.mkdir(exist_ok=True)
        (tmp_path / rel).write_bytes(b"PK\x03\x04" + bytes(100))
    monkeypatch.setenv("DGM_DATA_DIR", str(tmp_path))
    return tmp_path


@pytest.fixture
def shipped_copy(tmp_path, monkeypatch, fresh):
    """The shipped models copied to a folder the app reads instead of pretrained/ (no data folder)."""
    monkeypatch.delenv("DGM_DATA_DIR", raising=False)
    copy = tmp_path / "pretrained"
    shutil.copytree(pretrained.PRETRAINED_DIR, copy)
    monkeypatch.setattr(pretrained, "PRETRAINED_DIR", copy)
    return copy


def run(page: str) -> AppTest:
    return AppTest.from_file(str(ROOT / "pages" / f"{page}.py"), default_timeout=300).run()


def one_sentence_error(at: AppTest, words: str) -> str:
    assert not at.exception, [e.message[:300] for e in at.exception]
    said = [e.value for e in at.error if words in e.value]
    assert said, [e.value[:200] for e in at.error]
    assert "\n" not in said[0] and "Traceback" not in said[0]
    return said[0]


@pytest.mark.parametrize("page", ["inpainting", "vae"])
def test_a_data_file_cut_short_is_one_sentence(broken_data, page):
    msg = one_sentence_error(run(page), "is damaged")
    assert "The MNIST file t10k-images-idx3-ubyte is damaged (it holds 3,920,016 bytes where its header promises " \
           "7,840,016)" in msg


@pytest.mark.parametrize("page, model", [("inpainting", "vae-mnist"), ("vae", "vae-mnist"), ("latent", None),
                                         ("clusters", "vae-gmm-mnist")])
def test_corrupted_weights_are_one_sentence(shipped_copy, page, model):
    for f in shipped_copy.glob("*.safetensors"):
        data = bytearray(f.read_bytes())
        data[len(data) // 2] ^= 0xFF
        f.write_bytes(bytes(data))
    msg = one_sentence_error(run(page), "are corrupted")
    assert model is None or f"'{model}'" in msg


def test_a_missing_model_is_one_sentence(shipped_copy):
    (shipped_copy / "vae-mnist.safetensors").unlink()
    assert "python -m dgm_core train vae-mnist" in one_sentence_error(run("vae"), "are missing")


def test_a_damaged_faces_file_is_one_sentence_on_the_mnar_images_page(broken_data):
    one_sentence_error(run("mnar_images"), "damaged")


def test_corrupted_weights_are_one_sentence_on_the_mnar_images_page(shipped_copy):
    for f in shipped_copy.glob("notmiwae-celeba-clip.safetensors"):
        data = bytearray(f.read_bytes())
        data[len(data) // 2] ^= 0xFF
        f.write_bytes(bytes(data))
    one_sentence_error(run("mnar_images"), "are corrupted")
