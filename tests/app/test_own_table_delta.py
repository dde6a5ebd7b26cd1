"""The δ section of "Your table's own holes" under AppTest: MICE's pooled tipping point with δ inside the chained
equations stands beside the after-the-fact ones, is the one dgm_core.own_table_delta finds, and the slider's sentence
names it when it lies beyond the slider's reach."""
import numpy as np
from streamlit.testing.v1 import AppTest

from dgm_core import own_table, own_table_delta
from dgm_core.own_table_pool import tipping_by
from dgm_core.missingness.diagnostics import observed_sd
from benchmarks.fixtures import COLUMNS, holed_weather


def _section(threshold_sd: float) -> None:
    import numpy as np
    import streamlit as st

    from dgm_core import own_table
    from benchmarks.fixtures import COLUMNS, holed_weather
    from ui.own_table import _tipping

    _, holed = holed_weather()
    done = own_table.complete(holed, COLUMNS, own_table.Settings(preset="tiny", draws=2), only=("mean", "MICE"))
    j = int(np.argmax(done.filled.sum(0)))
    obs = holed[np.isfinite(holed[:, j]), j]
    st.session_state.setdefault(f"mnar_own_threshold_{j}", float(obs.mean() + threshold_sd * obs.std()))
    _tipping(done)


def _run(threshold_sd: float) -> AppTest:
    at = AppTest.from_function(_section, args=(threshold_sd,), default_timeout=120)
    at.run()
    assert not at.exception and not at.error
    return at


def test_the_in_chain_tipping_point_stands_beside_the_after_the_fact_one():
    at = _run(0.5)
    table = next(d.value for d in at.dataframe if "δ to reach the threshold" in d.value.columns)
    col = next(c for c in table.columns if "inside the chain" in c)
    shown = dict(zip(table["imputer"], table[col], strict=True))
    assert shown["mean"] == "–" and shown["MICE"] != "–"
    _, holed = holed_weather()
    j = int(np.argmax(np.isnan(holed).sum(0)))
    obs = holed[np.isfinite(holed[:, j]), j]
    chain = own_table_delta.InChain.of(holed, j, seed=own_table.Settings().seed)
    want = tipping_by(chain.pooled, float(obs.mean() + 0.5 * obs.std()), wanted=("estimate",))
    assert abs(float(shown["MICE"]) - want["estimate"]) <= 6e-4  # shown to 3 decimals
    caption = next(c.value for c in at.caption if "inside the" in c.value)
    assert "mice's post" in caption and "after the fact tip at δ = " in caption
    assert COLUMNS[j] in caption and f"{observed_sd(holed)[j]:.3g}" in caption


def test_an_in_chain_tipping_point_beyond_the_slider_is_named():
    at = _run(6.0)  # a threshold 6 sd above the observed mean: far beyond ±2 sd of shift
    said = next(m.value for m in at.markdown if "slider" in m.value)
    assert said.startswith("Beyond the slider's ±2 sd") and "MICE inside the chain tips at δ = +" in said
