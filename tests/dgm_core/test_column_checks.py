"""Per-column evidence for a missing model (diagnostics.column_checks) and the known-direction not-MIWAE built from
it, a sign per column: weather's humidity hides its high values, a table with holes at random suggests none."""
import numpy as np

from dgm_core import own_table
from dgm_core.missingness import diagnostics as dg
from benchmarks.fixtures import COLUMNS, holed_weather


def test_the_checks_find_self_masking_where_it_is_and_none_where_holes_are_at_random():
    _, holed = holed_weather()
    checks = {c.column: c for c in dg.column_checks(holed, COLUMNS)}
    assert checks["humidity"].default == "high" and checks["humidity"].shift > 1 and "high values" in checks[
        "humidity"].reason()
    assert {c.default for k, c in checks.items() if k != "humidity"} == {"mcar"}
    low = holed_weather()[0].copy()  # low humidity hidden instead
    low[low[:, 1] < np.quantile(low[:, 1], 0.3), 1] = np.nan
    assert {c.column: c.default for c in dg.column_checks(low, COLUMNS)}["humidity"] == "low"
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2000, 5)) @ rng.normal(size=(5, 5))
    x[rng.random(x.shape) < 0.05] = np.nan
    assert {c.default for c in dg.column_checks(x, tuple("abcde"))} == {"mcar"}


def test_each_column_gets_its_own_sign_and_categorical_inputs_none():
    s = own_table.Settings(family="notmiwae_known", kinds=("continuous", "categorical", "continuous"),
                           directions=("high", "high", "mcar"))
    model = own_table.new_model("notmiwae_known", 5, s, widths=(1, 3, 1))
    assert model.cfg.signs == (1.0, 0.0, 0.0, 0.0, 0.0)
    s = own_table.Settings(family="notmiwae_known", directions=("low", "mcar"))
    assert own_table.new_model("notmiwae_known", 2, s).cfg.signs == (-1.0, 0.0)
    assert own_table.new_model("notmiwae_known", 2, own_table.Settings(family="notmiwae_known",
                                                                       direction="low")).cfg.signs == (-1.0, -1.0)
