"""The MNAR lab's "Your table's own holes" under AppTest: an uploaded table with empty cells (a known MNAR mechanism)
gets its patterns, Little's test, every imputer's completed table with mask and provenance, the overimputation table
and plot, the δ tipping point; each bad table gets one sentence and the page keeps working."""
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from dgm_core import own_table
from benchmarks.fixtures import COLUMNS, csv_bytes, holed_weather

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "mnar.py")


def _upload(raw: bytes) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=240)
    at.session_state["mnar_table"] = "upload CSV"
    at.run()
    at.file_uploader[0].set_value(("weather.csv", raw, "text/csv")).run()
    return at


def test_a_holed_table_is_filled_as_it_is_and_checked():
    truth, holed = holed_weather()
    at = _upload(csv_bytes(holed))
    assert not at.exception and not at.error
    assert at.radio(key="mnar_own").value == "own" and at.query_params["mnar_own"] in ("own", ["own"])
    assert any("68 empty cells" in m.value and "every row is kept" in m.value for m in at.markdown)
    assert any(m.value.startswith("Little's test: d²") and "not missing completely at random" in m.value
               for m in at.markdown)
    assert not any(sb.key == "mnar_mech" for sb in at.selectbox)  # the simulation's controls are not this path's
    at.selectbox(key="mnar_obud").set_value("tiny").run()
    at.selectbox(key="mnar_ofam").set_value("notmiwae_known").run()
    assert not any(b.key == "mnar_own_fill" for b in at.button)  # the browser trains: its panel's button, not ours
    at.radio(key="mnar_own_where").set_value("the server").run()
    at.button(key="mnar_own_fill").click().run(timeout=240)
    assert not at.exception and not at.error
    said = next(m.value for m in at.markdown if m.value.startswith("Fills against the observed mean"))
    assert "not-MIWAE, known direction +" in said and "mean +0.00 sd" in said  # measured, and the mean's is 0
    downloads = [b for b in at.get("download_button")]
    assert len(downloads) == 6
    at.button(key="mnar_own_check").click().run(timeout=240)
    assert not at.exception and not at.error
    table = next(d.value for d in at.dataframe if "coverage" in d.value.columns)
    assert set(table["method"]) == {"mean", "kNN", "MICE", "missForest", "MIWAE", "not-MIWAE, known direction"}
    covered = table[table["coverage"] != "–"]["method"]
    assert set(covered) == {"MICE", "MIWAE", "not-MIWAE, known direction"}
    # the calibration note says the table's own coverages over every column, each on the side of 0.05 it is
    overall = table[(table["column"] == "all columns") & (table["coverage"] != "–")]
    note = next(c.value for c in at.caption if c.value.startswith("Coverage of the 90% intervals"))
    ok, off = note.split("outside:")
    for method, cov in zip(overall["method"], overall["coverage"], strict=True):
        assert f"{method} {cov}" in (ok if abs(float(cov) - 0.9) <= 0.05 else off), (method, cov, note)
    # every method of the overimputation table is in its plot, and every imputer's fill shift is in the note
    chart = next(c for c in at.get("plotly_chart") if '"perfect"' in c.proto.spec)
    assert set(table["method"]) <= {t.get("name") for t in json.loads(chart.proto.spec)["data"]}
    assert all(f"{m} " in said for m in set(table["method"]))
    assert len(at.get("plotly_chart")) == 3  # the patterns, the overimputation, the δ lines
    tips = next(d.value for d in at.dataframe if "δ to reach the threshold" in d.value.columns)
    at.slider(key="mnar_odelta").set_value(1.0).run()
    assert not at.exception
    moved = next(d.value for d in at.dataframe if "δ to reach the threshold" in d.value.columns)
    share, sd = np.isnan(holed[:, 1]).mean(), np.nanstd(holed[:, 1])
    np.testing.assert_allclose(moved.iloc[:, 1] - tips.iloc[:, 1], sd * share, rtol=1e-6)


def test_the_downloaded_table_carries_its_mask_and_provenance():
    _, holed = holed_weather()
    done = own_table.complete(holed, COLUMNS, own_table.Settings(preset="tiny", draws=4), source="abc")
    df = pd.read_csv(io.StringIO(own_table.to_csv(done, "MICE")), comment="#")
    assert not df[list(COLUMNS)].isna().any().any() and df["humidity_filled"].sum() == np.isnan(holed[:, 1]).sum()


@pytest.mark.parametrize("raw, sentence", [
    (b"a,b\n" + b"x,y\n" * 20, "no numeric column"),
    (b"a,b,c\n" + b"".join(f"{i},,{i % 7}\n".encode() for i in range(20)), "entirely missing"),
    (b"a,b,c\n" + b"".join(f"{i},{'' if i % 3 else 5},{i % 7}\n".encode() for i in range(20)), "is constant"),
    (b"a,b\n" + b"1,2\n" * 1_400_000, "more than the 5 MB"),
])
def test_a_bad_table_gets_one_sentence(raw, sentence):
    at = _upload(raw)
    assert not at.exception
    assert len(at.error) == 1 and sentence in at.error[0].value, [e.value for e in at.error]


def test_oversized_and_a_target_with_holes_are_refused_in_own_mode():
    rows = "".join(f"{i % 97},{'' if i % 11 == 0 else (i * 7) % 13}\n" for i in range(5200))
    at = _upload(("a,b\n" + rows).encode())
    assert not at.exception and len(at.error) == 1 and "5,200 rows" in at.error[0].value
    at.radio(key="mnar_own").set_value("simulate").run()  # the teaching path still takes it (a subsample)
    assert not at.exception and not at.error and any("entries hidden" in c.value for c in at.caption)
    _, holed = holed_weather()
    at = _upload(csv_bytes(holed))
    at.selectbox(key="mnar_own_target").set_value("humidity").run()
    assert not at.exception and len(at.error) == 1 and "a target must be complete" in at.error[0].value
    at.selectbox(key="mnar_own_target").set_value(None).run()
    assert not at.exception and not at.error


def test_the_simulated_path_measures_its_direction_plots_every_method_and_labels_its_downloads():
    import json
    import re

    from dgm_core.demos import mnar
    from ui import mnar_view as w

    at = AppTest.from_file(PAGE, default_timeout=240).run()
    assert not at.exception
    rmse = next(d.value for d in at.dataframe if "RMSE (missing, sd)" in d.value.columns)
    said = next(m.value for m in at.markdown if "What to notice" in m.value)
    shifts = dict(re.findall(r"([\w ,-]+?) ([+-]\d\.\d\d) sd", said.split("Fills against the observed mean")[1]))
    assert "fills move towards the values" not in said  # no claim the fills were not measured for
    sim = mnar.default_simulation()
    truth = float(re.search(r"hidden values themselves sit at ([+-]\d\.\d\d) sd", said)[1])
    from dgm_core.missingness.diagnostics import fill_shift
    assert truth == pytest.approx(fill_shift(sim.x, sim.mask), abs=0.006) and truth > 0
    assert {k.strip(" :,") for k in shifts} >= {"not-MIWAE", "MIWAE", "MICE"}
    chart = next(c for c in at.get("plotly_chart") if '"perfect"' in c.proto.spec)
    names = {t.get("name") for t in json.loads(chart.proto.spec)["data"]}
    assert set(rmse.index) <= names, set(rmse.index) - names  # every method of the table is in the picture
    record = w.provenance(sim, table="breast", mechanism="notmiwae_uci", params={"offset": 0.0}, seed=0,
                          preset="paper", columns=[f"c{j}" for j in range(sim.x.shape[1])])
    fit = mnar.run_baselines(sim, 0, ("mean",))["mean"]
    text = w.imputed_csv(fit, sim, record, record["columns"])
    meta = own_table.read_provenance(text)
    assert meta["table"] == "breast" and meta["mechanism"] == "notmiwae_uci" and meta["seed"] == 0
    assert meta["imputer"] == "mean" and meta["cells_hidden"] == int((~sim.mask).sum())
    df = pd.read_csv(io.StringIO(text), comment="#")
    assert df["c0_filled"].sum() == (~sim.mask[:, 0]).sum() and df.shape[1] == 2 * sim.x.shape[1]
    assert own_table.read_provenance(w.rmse_csv(rmse, record))["preset"] == "paper"


def test_the_own_modes_widgets_are_drawn_as_their_controls_declare():
    from dgm_core.controls import name
    from dgm_core.demos import mnar
    from dgm_core.demos.mnar import CONTROLS
    from tests.app.test_controls import UPLOAD_ONLY

    _, holed = holed_weather()
    at = _upload(csv_bytes(holed))
    at.selectbox(key="mnar_ofam").set_value("notmiwae_known").run()
    seen = set()
    for kind in ("radio", "selectbox", "slider"):
        for w in getattr(at, kind):
            key = (w.key or "").removeprefix(mnar.PREFIX)
            if key in UPLOAD_ONLY["mnar"]:
                c = CONTROLS[key]
                assert w.label == c.label and (c.help is None or w.help == c.help), key
                if kind == "slider":
                    assert (w.min, w.max, w.step) == (c.lo, c.hi, c.step), key
                else:
                    assert list(w.options) == [name(c, v) for v in c.choices], key
                seen.add(key)
    assert seen == UPLOAD_ONLY["mnar"] - {"ohow", "oshare", "odelta"}  # those three come with a fill


def test_a_table_as_it_comes_is_typed_corrected_filled_and_downloaded_with_every_column():
    from benchmarks.real_tables import cars

    raw = cars(n=120)
    at = _upload(raw)
    assert not at.exception and not at.error
    columns = next(d.value for d in at.dataframe if "role" in d.value.columns)  # the column table the user corrects
    assert dict(zip(columns["column"], columns["kind"], strict=True)) == {
        "Name": "identifier", "Miles_per_Gallon": "continuous", "Cylinders": "continuous", "Horsepower": "continuous",
        "Weight_in_lbs": "continuous", "Year": "date", "Origin": "categorical", "turbo": "binary"}
    assert list(columns["role"]) == ["keep", "use", "use", "use", "use", "keep", "use", "use"]
    assert any("'?'" in c.value and "Missing:" in c.value for c in at.caption)
    at.selectbox(key="mnar_obud").set_value("tiny").run()
    assert at.button(key="mnar_own_fill")  # binary and categorical columns: the server trains
    at.button(key="mnar_own_fill").click().run(timeout=240)
    assert not at.exception and not at.error
    assert len(at.get("download_button")) == 6
    src = pd.read_csv(io.BytesIO(raw), keep_default_na=False, dtype=str)
    holes = int((src["Miles_per_Gallon"] == "?").sum() + (src["turbo"] == "").sum())
    assert any(f"{holes} empty cells" in m.value for m in at.markdown)
    at.number_input(key="mnar_own_m").set_value(2).run()
    at.button(key="mnar_own_pool").click().run(timeout=240)
    assert not at.exception and not at.error
    pooled = next(d.value for d in at.dataframe if "pooled mean" in d.value.columns)
    assert set(pooled["imputer"]) == {"MICE", "missForest", "MIWAE", "not-MIWAE, known direction"}
    assert (pooled["total T"] >= pooled["within Ū"]).all() and (pooled["fill's sd across fits"] > 0).all()
    assert len(at.get("download_button")) == 6 + 4


def test_a_tipping_point_beyond_the_slider_is_named():
    from ui.own_table import beyond_slider

    said = beyond_slider({"MICE": 1.2, "not-MIWAE": 86.0, "mean": None}, 2.0)
    assert said.startswith("Beyond the slider's ±2 sd: not-MIWAE tips at δ = +86") and "MICE" not in said
    assert beyond_slider({"MICE": -1.5}, 2.0) == "Every tipping δ lies within the slider's ±2 sd."
