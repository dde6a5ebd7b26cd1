"""One unit for every upload limit, stated and enforced alike: Streamlit's uploader checks a file in the browser in its
MB of 10**6 bytes (its own bundled code says so, read here), .streamlit/config.toml and the table uploader's
max_upload_size are the budgets' figures in that MB, the pages state them in it (``budgets.megabytes``), and the
converters hold them to the byte: one byte under each stated limit is accepted, one byte over is one sentence on the
page (AppTest uploads the file as the browser would send it)."""
from __future__ import annotations

import io
import re
import tomllib
from pathlib import Path

import pytest
import streamlit
from PIL import Image

from dgm_core import budgets
from tests.app import open_page
from ui.image_source import UPLOAD_HELP
from ui.mnar_view import CSV_HELP

ROOT = Path(__file__).resolve().parents[2]


def png(size: int) -> bytes:
    """A small PNG of a white bar on black, padded to ``size`` bytes after its end (PIL reads the picture and ignores
    the rest)."""
    out = io.BytesIO()
    img = Image.new("L", (28, 28), 0)
    img.paste(255, (12, 4, 16, 24))
    img.save(out, format="PNG")
    return out.getvalue() + bytes(size - out.tell())


def csv(size: int) -> bytes:
    """A numeric table of ``size`` bytes: five columns, rows of small numbers, the last row's cell padded to fit."""
    head, row = b"a,b,c,d,e\n", b"1,2,3,4,5\n"
    n = (size - len(head)) // len(row) - 1
    rest = size - len(head) - n * len(row)
    return head + row * n + b"1,2,3,4," + b"5".rjust(rest - 9, b"0") + b"\n"


def test_streamlits_uploader_checks_in_the_browser_in_mb_of_10_to_the_6():
    """Its frontend's unit (1024 on Windows only), read from the bundle the server sends, and the caps as copied."""
    bundle = "".join(p.read_text(errors="ignore") for p in (Path(streamlit.__file__).parent / "static" / "static" /
                                                              "js").glob("utils.*.js"))
    assert re.search(r"=\w+\(\)\?1024:1e3,", bundle), "Streamlit's uploader no longer checks in MB of 10**6 bytes"
    server = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())["server"]
    assert server["maxUploadSize"] * budgets.MB == budgets.UPLOAD_MAX_BYTES
    assert budgets.TABLE_MAX_MB * budgets.MB == budgets.TABLE_MAX_BYTES
    assert f"Up to {budgets.UPLOAD_MAX_MB} MB " in UPLOAD_HELP and f"Up to {budgets.TABLE_MAX_MB} MB," in CSV_HELP


def _said(at) -> list[str]:
    assert not at.exception
    return [e.value for e in at.error]


@pytest.mark.parametrize("extra", [-1, 1])
def test_an_image_one_byte_over_its_stated_limit_is_one_sentence_and_one_under_is_taken(extra):
    at = open_page("inpainting", "inp_", src="Upload")
    at.file_uploader(key="inp_img_file").upload("digit.png", png(budgets.UPLOAD_MAX_BYTES + extra), "image/png")
    said = _said(at.run())
    if extra <= 0:
        assert not said and at.session_state["inp_uploaded_image"] is not None
    else:
        assert said == ["The file is 20,000,001 bytes, more than the 20 MB (20,000,000 bytes) this page accepts: "
                        "upload a smaller one."], said


@pytest.mark.parametrize("extra", [-1, 1])
def test_a_table_one_byte_over_its_stated_limit_is_one_sentence_and_one_under_is_taken(extra):
    at = open_page("mnar", "mnar_", table="upload CSV")
    at.file_uploader(key="mnar_csv").upload("table.csv", csv(budgets.TABLE_MAX_BYTES + extra), "text/csv")
    said = _said(at.run())
    mine = [s for s in said if "this page reads" in s]
    if extra < 0:
        assert not mine, said
    else:
        assert mine == ["The file is 5,000,001 bytes, more than the 5 MB (5,000,000 bytes) this page reads."], said
