"""dgm_core.data.typed and own_table on tables as they come: text categories, identifiers and dates, 0/1 columns,
'?' and 'NA' and a user's -999 for missing, a UTF-16 file; identifiers and dates come back untouched, categorical
and binary holes are filled with a level, every refusal quotes the cell and its line."""
import io

import numpy as np
import pandas as pd
import pytest

from dgm_core import own_table
from dgm_core.data import typed
from benchmarks.real_tables import cars, penguins

TINY = dict(preset="tiny", draws=4)


@pytest.fixture(scope="module")
def car_fill():
    raw = cars()
    t = typed.read(raw)
    e = typed.encode(t)
    done = own_table.complete(e.x, e.columns, own_table.Settings(**TINY, kinds=e.kinds), source="cars")
    return raw, t, e, done


def test_columns_are_recognised_with_their_markers():
    t = typed.read(penguins()[0])
    assert dict(zip(t.columns, t.kinds, strict=True)) == {
        "rowid": "identifier", "species": "categorical", "island": "categorical", "bill_length_mm": "continuous",
        "bill_depth_mm": "continuous", "flipper_length_mm": "continuous", "body_mass_g": "continuous",
        "sex": "categorical", "year": "continuous"}
    assert t.roles[0] == "keep" and set(t.roles[1:]) == {"use"}
    raw = cars()
    t = typed.read(raw)
    assert dict(zip(t.columns, t.kinds, strict=True)) == {
        "Name": "identifier", "Miles_per_Gallon": "continuous", "Cylinders": "continuous", "Horsepower": "continuous",
        "Weight_in_lbs": "continuous", "Year": "date", "Origin": "categorical", "turbo": "binary"}
    df = pd.read_csv(io.BytesIO(raw), keep_default_na=False, dtype=str)
    e = typed.encode(t)
    assert np.array_equal(np.isnan(e.x[:, e.columns.index("Miles_per_Gallon")]), (df["Miles_per_Gallon"] == "?"))
    assert np.array_equal(np.isnan(e.x[:, e.columns.index("turbo")]), (df["turbo"] == ""))


def test_identifiers_and_dates_pass_through_and_levels_are_filled_as_levels(car_fill):
    raw, t, e, done = car_fill
    src = pd.read_csv(io.BytesIO(raw), keep_default_na=False, dtype=str)
    for method, fill in done.fills.items():
        text = own_table.to_csv(done, method, e)
        out = pd.read_csv(io.StringIO(text), comment="#", keep_default_na=False, dtype=str)
        assert list(out.columns[:8]) == list(src.columns), method
        assert (out["Name"] == src["Name"]).all() and (out["Year"] == src["Year"]).all(), method
        assert set(out["Origin"]) == {"USA", "Europe", "Japan"} and set(out["turbo"]) == {"0", "1"}, method
        assert not (out[list(e.columns)] == "").any().any() and not (out == "?").any().any(), method
        assert (out["turbo_filled"] == (src["turbo"] == "").astype(int).astype(str)).all()
        observed = src["Miles_per_Gallon"] != "?"
        assert np.allclose(out["Miles_per_Gallon"][observed].astype(float),
                           src["Miles_per_Gallon"][observed].astype(float))
        if fill.draws is not None:  # every draw of a binary column is 0 or 1 too
            assert set(np.unique(fill.draws[:, :, e.columns.index("turbo")])) <= {0.0, 1.0}, method
    assert "turbo" in own_table.read_provenance(own_table.to_csv(done, "MICE", e))["column_kinds"]


def test_penguins_every_column_kept_and_every_hole_filled():
    raw, truth = penguins(n=120)
    e = typed.encode(typed.read(raw))
    done = own_table.complete(e.x, e.columns, own_table.Settings(**TINY, kinds=e.kinds), source="p")
    j = e.columns.index("sex")
    for method, fill in done.fills.items():
        assert set(np.unique(fill.table[:, j])) == {0.0, 1.0}, method
        out = pd.read_csv(io.StringIO(own_table.to_csv(done, method, e)), comment="#")
        assert len(out) == 120 and out[list(e.columns)].notna().all().all(), method
        assert (out["rowid"] == np.arange(1, 121)).all()


def test_mice_draws_from_its_posterior_so_the_seed_matters(car_fill):
    _, _, e, done = car_fill
    other = own_table.complete(e.x, e.columns, own_table.Settings(**TINY, kinds=e.kinds, seed=1), source="cars")
    j = e.columns.index("Miles_per_Gallon")  # a continuous column: its fills are the chain's posterior draws
    holes = np.isnan(e.x[:, j])
    assert not np.array_equal(done.fills["MICE"].table[holes, j], other.fills["MICE"].table[holes, j])
    assert np.array_equal(done.fills["kNN"].table, other.fills["kNN"].table)  # no seed in it, and none claimed
    assert own_table.provenance(done, "MICE")["seed_matters"] and not own_table.provenance(done, "kNN")["seed_matters"]


def _csv(rows: list[str]) -> bytes:
    return ("a,b,c\n" + "\n".join(rows) + "\n").encode()


GOOD = [f"{(i * 5) % 13},{i % 7 * 1.5},{(i * 3) % 11}" for i in range(30)]


@pytest.mark.parametrize("rows, markers, said", [
    (GOOD[:5] + ["5,abc,3"] + GOOD[6:] + ["1,,"], (), "Column 'b', line 7: 'abc' is neither a number"),
    (GOOD[:10] + [",,"] + GOOD[11:20] + [",,"] + GOOD[21:], (), "Lines 12, 22 are empty in every column in use"),
])
def test_every_refusal_quotes_the_cell_and_its_line(rows, markers, said):
    with pytest.raises(ValueError, match=said):
        typed.encode(typed.read(_csv(rows), markers=markers))


def test_a_users_marker_and_utf16_are_read():
    rows = GOOD[:3] + ["3,-999,4", "4,-999.0,n/a"] + GOOD[5:]
    e = typed.encode(typed.read(_csv(rows), markers=("-999",)))
    assert np.isnan(e.x[3:5, 1]).all() and np.isnan(e.x[4, 2]) and np.isfinite(e.x[5:]).all()
    text = "a,b,c\n" + "\n".join(rows) + "\n"
    for encoding in ("utf-16", "utf-16-le"):
        wide = typed.encode(typed.read(text.encode(encoding), markers=("-999",)))
        assert np.array_equal(wide.x, e.x, equal_nan=True), encoding


def test_the_users_corrections_are_applied():
    t = typed.read(cars(n=60))
    kinds, roles = list(t.kinds), list(t.roles)
    roles[t.columns.index("Year")] = "ignore"
    kinds[t.columns.index("Cylinders")] = "categorical"
    e = typed.encode(t, tuple(kinds), tuple(roles))
    assert "Year" not in e.order and e.order[0] == "Name" and e.categories[e.columns.index("Cylinders")] == (
        "4", "6", "8")
    kinds[t.columns.index("Origin")] = "continuous"
    with pytest.raises(ValueError, match=r"Column 'Origin', line 2: '\w+' is neither a number"):
        typed.encode(t, tuple(kinds), tuple(roles))
    with pytest.raises(ValueError, match="Column 'Name' is an identifier"):
        typed.encode(t, t.kinds, ("use",) * len(t.columns))
