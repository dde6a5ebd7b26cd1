"""The budgets of dgm_core.budgets hold for the hostile uploads found on a shared host: each refused from
its header (or before parsing) in one sentence, each message in the user's words, and the worst
accepted upload adds at most UPLOAD_PEAK_MB to the process's peak RSS (measured in a child process)."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from sklearn.impute import KNNImputer

from benchmarks.hostile_inputs import bmp_mutants, flat_png, table_inputs
from dgm_core import baselines, budgets
from dgm_core.data import table_from_csv
from dgm_core.data.convert import ImageError, image_from_bytes, mask_from_bytes
from dgm_core.masks import MaskError

ROOT = Path(__file__).resolve().parents[2]
TABLES = table_inputs()


def one_sentence(e: BaseException) -> str:
    msg = str(e)
    assert 0 < len(msg) <= budgets.MESSAGE_MAX_CHARS and "\n" not in msg, msg
    return msg


# ---------------------------------------------------------------- images and masks

@pytest.mark.parametrize("read", [lambda b: image_from_bytes(b, "mnist"), lambda b: mask_from_bytes(b, (28, 28))],
                         ids=["image", "mask"])
@pytest.mark.parametrize("w, h, channels", [(6300, 6300, 4), (10_000, 10_000, 1), (20_000, 20_000, 1)])
def test_huge_flat_png_refused_from_its_header(read, w, h, channels):
    data = flat_png(w, h, channels)  # 97-400 kB files that decode to 0.1-0.4 GB
    t0 = time.perf_counter()
    with pytest.raises(ImageError) as e:
        read(data)
    assert time.perf_counter() - t0 < 1.0  # nothing decoded
    assert f"{budgets.IMAGE_MAX_PIXELS / 1e6:g} megapixels" in one_sentence(e.value)


def test_bomb_as_mask_is_a_sentence_not_a_decompression_bomb_error():
    with pytest.raises(ImageError, match="400 megapixels"):
        mask_from_bytes(flat_png(20_000, 20_000, 1), (28, 28))


def test_byte_mutated_bmps_give_a_mask_or_one_sentence():
    for data in bmp_mutants(280):
        for read in (lambda b: image_from_bytes(b, "mnist"), lambda b: mask_from_bytes(b, (28, 28))):
            try:
                read(data)
            except (ImageError, MaskError) as e:
                one_sentence(e)


def test_png_text_chunk_is_named_not_damaged():
    data = flat_png(28, 28, 1, text=5_000_000)
    for read in (lambda b: image_from_bytes(b, "mnist"), lambda b: mask_from_bytes(b, (28, 28))):
        with pytest.raises(ImageError, match=f"{budgets.megabytes(5_000_000)} of text metadata") as e:
            read(data)
        assert "damaged" not in one_sentence(e.value)


def test_largest_accepted_image_is_shrunk_before_float_work():
    # 3000x3000 is within the cap: a dark RGBA square reads as a fully "keep" mask
    assert bool(mask_from_bytes(flat_png(3000, 3000, 4, value=40), (28, 28)).all())


# ---------------------------------------------------------------- tables

def refusal(text: bytes | str) -> str:
    with pytest.raises(ValueError) as e:
        table_from_csv(text)
    return one_sentence(e.value)


def test_duplicate_header_is_refused_from_its_width_at_once():
    t0 = time.perf_counter()
    msg = refusal(TABLES["csv header 'a' x 40000"])
    assert time.perf_counter() - t0 < 1.0 and "40,000 columns" in msg and str(budgets.TABLE_MAX_COLUMNS) in msg


def test_repeated_names_are_kept_in_the_users_words():
    rows = "\n".join(f"{i},{i % 7},{i % 3}" for i in range(12))
    assert table_from_csv(f"a,a,b\n{rows}\n").columns == ("a", "a (2)", "b")


def test_wide_table_refused_with_the_numbers():
    msg = refusal(TABLES["csv 12 rows x 10000 columns"])
    assert "10,000 columns" in msg and "comma-separated" in msg


def test_long_table_is_subsampled_before_parsing_and_says_so():
    t0 = time.perf_counter()
    table = table_from_csv(TABLES["csv 150000 rows x 4"])
    assert time.perf_counter() - t0 < 10.0
    assert table.x.shape == (budgets.TABLE_MAX_ROWS, 4)
    assert "150,000 rows" in table.note and f"seed {budgets.TABLE_SUBSAMPLE_SEED}" in table.note
    assert np.array_equal(table.x, table_from_csv(TABLES["csv 150000 rows x 4"]).x)  # the same rows every time


def test_ragged_row_named_by_its_line_without_pandas_words():
    msg = refusal(TABLES["csv ragged row (line 8)"])
    assert msg.startswith("Line 8 has 6 values but the header names 5 columns") and "C error" not in msg
    assert refusal(b"\n\n" + TABLES["csv ragged row (line 8)"]).startswith("Line 10 ")  # blank lines first count


def test_semicolons_with_decimal_commas_are_read():
    table = table_from_csv(TABLES["csv semicolons, decimal commas"])
    assert table.x.shape == (30, 5) and np.allclose(table.x, table_from_csv(TABLES["csv semicolons, decimal points"]).x)


def test_separator_is_named_in_messages():
    assert "semicolon-separated" in refusal(b"a;b\n" + b"1;x\n" * 12)


def test_trailing_commas_are_no_column():
    table = table_from_csv(TABLES["csv trailing commas"])
    assert table.columns == tuple(f"x{j}" for j in range(5))


def test_unnamed_column_is_named_by_its_position():
    msg = refusal(b"a,,c\n" + b"".join(b"%d,x,%d\n" % (i, i % 3) for i in range(12)))
    assert "Column 'column 2'" in msg and "Unnamed" not in msg


def test_infinite_cells_are_named():
    msg = refusal(TABLES["csv +-inf cells"])
    assert "infinite" in msg and "'-inf'" in msg and "Column 'x3'" in msg


def test_long_cell_is_refused_and_quoted_short():
    msg = refusal(TABLES["csv 1M-character cell"])
    assert msg.startswith("Line 6 holds a cell of 1,000,000 characters") and "9" * (budgets.ECHO_CHARS + 1) not in msg


def test_empty_file_asks_for_the_real_minimum():
    assert f"at least {budgets.TABLE_MIN_ROWS} rows" in refusal(TABLES["csv empty file"])


def test_baselines_learn_from_a_capped_sample():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(budgets.BASELINE_MAX_ROWS + 500, 3))
    mask = rng.random(x.shape) > 0.2
    out = baselines.knn_impute(x, mask, seed=3)
    rows = np.sort(np.random.default_rng(3).choice(len(x), budgets.BASELINE_MAX_ROWS, replace=False))
    xn = np.where(mask, x, np.nan)
    assert np.allclose(out, np.where(mask, x, KNNImputer(n_neighbors=5).fit(xn[rows]).transform(xn)))


# ---------------------------------------------------------------- memory, in a child process each

CHILD = """
import json, sys
from pathlib import Path
from benchmarks.hostile_inputs import flat_png, table_inputs
from dgm_core.data import table_from_csv
from dgm_core.data.convert import image_from_bytes, mask_from_bytes
case = sys.argv[1]
data = {"png6300": lambda: flat_png(6300, 6300, 4), "mask10000": lambda: flat_png(10_000, 10_000, 1),
        "png3100": lambda: flat_png(3100, 3100, 4, value=128),
        "csv10k": lambda: table_inputs()["csv 12 rows x 10000 columns"],
        "csv30": lambda: table_inputs()["csv 5000 rows x 30 columns"]}[case]()
run = {"png6300": lambda b: image_from_bytes(b, "mnist"), "png3100": lambda b: image_from_bytes(b, "celeba"),
       "mask10000": lambda b: mask_from_bytes(b, (28, 28))}.get(case, table_from_csv)
def kb(field):
    return next(int(l.split()[1]) for l in Path("/proc/self/status").read_text().splitlines() if l.startswith(field))
Path("/proc/self/clear_refs").write_text("5")
rss0 = kb("VmRSS:")
try:
    run(data)
except ValueError:
    pass
print(json.dumps({"extra_mb": (kb("VmHWM:") - rss0) / 1024}))
"""


@pytest.mark.parametrize("case", ["png6300", "mask10000", "csv10k", "png3100", "csv30"])
def test_upload_adds_at_most_the_budget_to_peak_rss(case):
    out = subprocess.run([sys.executable, "-c", CHILD, case], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    extra = json.loads(out.stdout.strip().splitlines()[-1])["extra_mb"]
    assert extra <= budgets.UPLOAD_PEAK_MB, f"{case}: {extra:.0f} MB"


def test_the_inpainting_batch_limit_is_the_benchmarks_rule():
    """The server's batch of inpainting Runs is the largest the recorded rule allows (bench inpainting_batch)."""
    import json
    from pathlib import Path

    from server import budgets as server_budgets

    rec = json.loads((Path(__file__).resolve().parents[2] / "benchmarks/results/inpainting_batch.json").read_text())
    within = [r["n"] for r in rec["rows"] if r["methods"] == "page" and r["times_one"] <= rec["rule_times_one"]]
    assert server_budgets.INPAINT_BATCH == max(within) == rec["largest_batch_within_rule"]
