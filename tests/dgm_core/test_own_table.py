"""dgm_core.own_table: a CSV whose empty cells come from a known MNAR mechanism goes in; every imputer's completed
table comes out with no hole left, the observed cells exactly the file's, the filled mask and the provenance right;
bad tables are refused in one sentence."""
import hashlib
import io

import numpy as np
import pandas as pd
import pytest

from dgm_core import __version__, data, own_table
from benchmarks.fixtures import COLUMNS, csv_bytes, holed_weather

TINY = own_table.Settings(preset="tiny", draws=8, family="notmiwae_known", direction="high")


@pytest.fixture(scope="module")
def done():
    truth, holed = holed_weather()
    raw = csv_bytes(holed)
    table = data.table_from_csv(raw)
    assert np.array_equal(np.isnan(table.x), np.isnan(holed))  # the parser keeps every hole where it was
    return truth, table, own_table.complete(table.x, table.columns, TINY, source=hashlib.sha256(raw).hexdigest()), raw


def test_every_imputer_fills_every_hole_and_keeps_every_observed_cell(done):
    truth, table, result, _ = done
    holes = np.isnan(table.x)
    assert holes[:, 1].sum() > 40 and holes.sum() - holes[:, 1].sum() == 8  # the mechanism's, and 8 at random
    assert set(result.fills) == {"mean", "kNN", "MICE", "missForest", "miwae", "notmiwae_known"}
    assert np.array_equal(result.filled, holes)
    for method, fill in result.fills.items():
        assert np.isfinite(fill.table).all(), method
        assert np.array_equal(fill.table[~holes], table.x[~holes]), method  # bit for bit
        if fill.draws is not None:
            assert fill.draws.shape == (150, 8, 5) and np.isfinite(fill.draws).all()
            assert (fill.draws[~holes[:, None].repeat(8, 1)] == np.repeat(table.x[:, None], 8, 1)[
                ~holes[:, None].repeat(8, 1)]).all()
    assert {m for m, f in result.fills.items() if f.draws is not None} == {"MICE", "miwae", "notmiwae_known"}
    # the mean imputer fills each hole with its column's observed mean: the closed form
    np.testing.assert_allclose(result.fills["mean"].table[holes[:, 1], 1], np.nanmean(table.x[:, 1]))


def test_the_csv_carries_the_provenance_and_the_filled_mask(done):
    _, table, result, raw = done
    text = own_table.to_csv(result, "notmiwae_known")
    meta = own_table.read_provenance(text)
    assert meta["file_sha256"] == hashlib.sha256(raw).hexdigest()
    assert meta["columns"] == list(COLUMNS) and meta["imputer_id"] == "notmiwae_known"
    assert meta["mechanism"].startswith("self-masking with a known direction") and "high" in meta["mechanism"]
    assert meta["seed"] == 0 and meta["settings"]["preset"] == "tiny" and meta["settings"]["iterations"] == 300
    assert meta["versions"]["dgm_core"] == __version__ and meta["cells_filled"] == int(np.isnan(table.x).sum())
    df = pd.read_csv(io.StringIO(text), comment="#")
    assert list(df.columns) == [*COLUMNS, *(f"{c}_filled" for c in COLUMNS)]
    np.testing.assert_array_equal(df[[f"{c}_filled" for c in COLUMNS]].to_numpy(), np.isnan(table.x).astype(int))
    np.testing.assert_allclose(df[list(COLUMNS)].to_numpy(), result.fills["notmiwae_known"].table, rtol=1e-9)
    assert own_table.read_provenance(own_table.to_csv(result, "mean"))["mechanism"].startswith("none modelled")


def test_a_mask_name_the_table_already_has_is_not_reused():
    assert own_table.flag_names(("a", "a_filled")) == ["_a_filled", "a_filled_filled"]


@pytest.mark.parametrize("kind, sentence", [
    ("no holes", "no empty cell"),
    ("target with holes", "a target must be complete"),
    ("empty row", "empty in every column"),
    ("too many rows", "at most 5,000 rows"),
])
def test_tables_whose_holes_cannot_be_filled_are_refused_in_one_sentence(kind, sentence):
    truth, holed = holed_weather()
    x, target, rows = holed, None, 0
    if kind == "no holes":
        x = truth
    elif kind == "target with holes":
        target = "humidity"
    elif kind == "empty row":
        x = holed.copy()
        x[3] = np.nan
    else:
        rows = 6000
    with pytest.raises(ValueError, match=sentence) as e:
        own_table.validate(x, COLUMNS, target, rows)
    assert "\n" not in str(e.value) and len(str(e.value)) <= 200


def test_an_oversized_upload_says_how_many_rows_it_had_and_a_complete_target_is_kept():
    body = "a,b\n" + "".join(f"{i},{'' if i % 7 == 0 else i % 13}\n" for i in range(5200))
    table = data.table_from_csv(body.encode())
    assert table.rows_in_file == 5200 and len(table.x) == 5000
    with pytest.raises(ValueError, match="5,200 rows"):
        own_table.validate(table.x, table.columns, rows_in_file=table.rows_in_file)
    own_table.validate(table.x, table.columns, target="a")  # complete: accepted


def test_a_table_of_text_only_says_it_has_no_numeric_column():
    with pytest.raises(ValueError, match="no numeric column"):
        data.table_from_csv(b"a,b\n" + b"x,y\n" * 20)
