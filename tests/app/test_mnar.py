"""The MNAR lab page under AppTest: it opens on the shipped run with not-MIWAE lowest, only the open tab
computes, every mechanism control changes what is hidden, the tiny preset trains end to end, leaving the
shipped case offers the way back, bad CSVs and bad parameters give one clear error and the page keeps working."""
import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.app import occupy_every_slot

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "mnar.py")
CUTOFF = Path(__file__).resolve().parents[2] / "benchmarks" / "results" / "notmiwae_cutoff.json"


def _app() -> AppTest:
    return AppTest.from_file(PAGE, default_timeout=240)  # a loaded host is slower, never wrong


def _rmse(at):
    return next(d.value for d in at.dataframe if "RMSE (missing, sd)" in d.value.columns)["RMSE (missing, sd)"]


def test_page_opens_on_the_shipped_run_and_its_lesson():
    at = _app().run()
    assert not at.exception
    assert at.title[0].value.startswith("MNAR lab")
    assert at.query_params["mnar_mech"] in ("notmiwae_uci", ["notmiwae_uci"])
    assert at.selectbox(key="mnar_preset").value == "paper" and not at.main.button  # nothing to press: shown at once
    rmse = _rmse(at)
    assert rmse["not-MIWAE"] < rmse["MICE"] and rmse["not-MIWAE"] < rmse["MIWAE"]
    assert "Lowest RMSE: **not-MIWAE" in at.success[0].value
    assert any("What to notice" in m.value and "models *why*" in m.value for m in at.markdown)
    assert any("train notmiwae-breast" in c.value for c in at.caption)
    assert not any("Precomputed at" in m.value for m in at.markdown)  # the shipped run, not the grid's point


def test_only_the_open_tab_computes():
    at = _app().run()
    drawn = [sb.key for sb in at.selectbox]
    assert "mnar_scatter_feature" in drawn and "mnar_hist_feature" not in drawn  # the closed tab draws nothing
    at.session_state["mnar_tab"] = "Missingness"
    at.run()
    drawn = [sb.key for sb in at.selectbox]
    assert not at.exception and "mnar_hist_feature" in drawn and "mnar_scatter_feature" not in drawn
    rates = next(d.value for d in at.dataframe if "missing" in d.value.columns)["missing"]
    assert 0.3 < rates.iloc[0] < 0.7 and rates.iloc[-1] == 0  # the first half censored above the mean
    at.selectbox(key="mnar_hist_feature").set_value(3).run()
    assert not at.exception and len(at.get("plotly_chart")) == 2


def test_leaving_the_default_case_offers_the_way_back():
    at = _app().run()
    at.number_input(key="mnar_seed").set_value(1).run()
    assert not at.exception and any("precomputed only for the opening case" in i.value for i in at.info)
    assert not any("RMSE (missing, sd)" in d.value.columns for d in at.dataframe)
    at.button(key="mnar_reset").click().run()
    assert not at.exception and at.number_input(key="mnar_seed").value == 0
    assert "Lowest RMSE" in at.success[0].value


def test_tiny_preset_trains_and_not_miwae_known_beats_miwae():
    at = _app().run()
    at.selectbox(key="mnar_preset").set_value("tiny").run()
    at.button(key="mnar_train").click().run(timeout=180)
    assert not at.exception
    rmse = _rmse(at)
    assert {"MIWAE", "not-MIWAE", "not-MIWAE, known direction", "mean"} <= set(rmse.index)
    assert rmse["not-MIWAE, known direction"] < rmse["MIWAE"] < rmse["mean"]
    assert at.success and "Lowest RMSE" in at.success[0].value
    # the recovered mechanism: high values go missing in the censored features
    mech = next(d.value for d in at.dataframe if "SM-known direction" in d.value.columns)
    assert (mech["SM-known direction"].iloc[:15] == "high").all()
    assert any("fixed subset of 200 rows" in c.value for c in at.caption)  # the live curve says it is a subset
    # changing a display-only widget reuses the cached fit
    at.selectbox(key="mnar_scatter_feature").set_value(3).run()
    assert not at.exception and _rmse(at).equals(rmse)


def test_default_shows_mean_and_median_scored_by_both_losses_and_the_learnt_maps():
    at = _app().run()
    assert not at.exception
    points = next(d.value for d in at.dataframe if "MAE" in d.value.columns)
    nm = points[points["method"] == "not-MIWAE"].set_index("point")
    assert set(nm.index) == {"conditional mean", "conditional median"}
    # the numbers under the table are the table's
    said = next(m.value for m in at.markdown if "the conditional mean has RMSE" in m.value)
    assert f"{nm.loc['conditional mean', 'RMSE']:.3f}" in said and f"{nm.loc['conditional median', 'MAE']:.3f}" in said
    maps = [m.value for m in at.markdown if m.value.startswith("Strongest:")]
    assert len(maps) == 2 and all("mean radius goes missing when mean radius is high" in m for m in maps)
    row = at.selectbox(key=next(sb.key for sb in at.selectbox if sb.key.startswith("mnar_dens_row")))
    other = next(r for r in row.options if r != str(row.value))
    row.set_value(int(other)).run()
    assert not at.exception and any(f"draws for row {other}:" in c.value for c in at.caption)
    at.selectbox(key="mnar_dens_model").set_value("miwae").run()
    assert not at.exception and any("For **MIWAE**" in m.value for m in at.markdown)


def test_an_agnostic_missing_model_shows_its_map_on_a_cross_feature_mechanism():
    at = _app().run()
    at.selectbox(key="mnar_mech").set_value("mnar_logistic").run()
    at.selectbox(key="mnar_preset").set_value("tiny").run()
    at.multiselect(key="mnar_agn").select("notmiwae_linear").select("notmiwae_steep").run()
    assert (at.multiselect(key="mnar_agn").value == ["notmiwae_linear", "notmiwae_steep"]
            and "mnar_agn" in at.query_params)
    assert any("need a mechanism with a direction" in c.value for c in at.caption)  # no direction here
    at.button(key="mnar_train").click().run(timeout=180)
    assert not at.exception
    assert "not-MIWAE, linear mechanism" in set(_rmse(at).index)
    assert "not-MIWAE, known direction, steep start" not in set(_rmse(at).index)
    maps = [m.value for m in at.markdown if m.value.startswith("Strongest:")]
    assert len(maps) == 3  # the true mechanism, self-masking not-MIWAE, the linear one
    assert " goes missing when " in maps[2]


def test_bad_csv_gives_one_error_and_the_page_recovers():
    at = _app().run()
    at.selectbox(key="mnar_table").set_value("upload CSV").run()
    assert not at.exception and at.info
    at.file_uploader[0].set_value(("bad.csv", b"a,b\n1,x\n2,y\n3,z\n", "text/csv")).run()
    assert not at.exception
    assert len(at.error) == 1 and "not numeric" in at.error[0].value
    good = "a,b,c\n" + "".join(f"{i},{(i * 7) % 11},{i % 5 + 0.5 * i}\n" for i in range(60))
    at.file_uploader[0].set_value(("good.csv", good.encode(), "text/csv")).run()
    assert not at.exception and not at.error
    assert any("entries hidden" in c.value for c in at.caption)


def test_extreme_but_valid_parameters_keep_the_page_working():
    at = _app().run()
    at.selectbox(key="mnar_mech").set_value("self_masked").run()
    assert not at.exception
    at.slider(key="mnar_p").set_value(0.9).run()
    at.slider(key="mnar_k").set_value(10.0).run()
    assert not at.exception
    at.selectbox(key="mnar_mech").set_value("notmiwae_uci").run()
    at.slider(key="mnar_offset").set_value(1.0).run()
    assert not at.exception
    assert not at.error  # still valid: fewer values go missing


def test_supervised_tab_tiny_preset():
    at = _app().run()
    at.session_state["mnar_tab"] = "Supervised"
    at.run()
    assert any("pick **tiny**" in i.value for i in at.info)  # nothing precomputed to show there
    at.selectbox(key="mnar_preset").set_value("tiny").run()
    at.button(key="mnar_train_sup").click().run(timeout=180)
    assert not at.exception
    scores = next(d.value for d in at.dataframe if "supMIWAE" in d.value.index).iloc[:, 0]
    assert {"supMIWAE", "sup-not-MIWAE"} <= set(scores.index)
    assert (scores > 0.8).all()  # breast cancer accuracy, even with a fifth of the entries hidden


def test_state_round_trips_through_the_url_and_stale_settings_leave_it():
    at = _app()
    for k, v in {"mnar_mech": "self_masked", "mnar_p": "0.5", "mnar_dir": "low", "mnar_seed": "3"}.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception and not at.warning
    assert at.selectbox(key="mnar_mech").value == "self_masked"
    assert at.slider(key="mnar_p").value == 0.5 and at.radio(key="mnar_dir").value == "low"
    at.selectbox(key="mnar_mech").set_value("notmiwae_uci").run()
    params = dict(at.query_params)
    assert "mnar_offset" in params and "mnar_nf" in params
    assert "mnar_p" not in params and "mnar_dir" not in params  # the old mechanism's settings are gone
    assert params["mnar_seed"] in ("3", ["3"])


def test_bad_link_values_fall_back_with_one_warning_each():
    at = _app()
    at.query_params["mnar_mech"] = "bogus"
    at.query_params["mnar_seed"] = "many"
    at.run()
    assert not at.exception
    assert len(at.warning) == 2 and all("the page uses" in w.value for w in at.warning)
    assert at.selectbox(key="mnar_mech").value == "notmiwae_uci"


@pytest.mark.parametrize("mech, moves", [
    ("notmiwae_uci", {"mnar_offset": 0.5, "mnar_nf": 4}),
    ("self_masked", {"mnar_p": 0.4, "mnar_dir": "low", "mnar_k": 5.0}),
    ("quantile", {"mnar_p": 0.6, "mnar_q": 0.1, "mnar_cut": "both"}),
    ("mnar_logistic", {"mnar_p": 0.2, "mnar_pin": 0.5}),
    ("mar_logistic", {"mnar_p": 0.2, "mnar_pin": 0.5}),
    ("mcar", {"mnar_p": 0.5}),
])
def test_every_mechanism_control_changes_what_is_hidden(mech, moves):
    at = _app()
    at.session_state["mnar_tab"] = "Missingness"
    at.run()
    at.selectbox(key="mnar_mech").set_value(mech).run()
    assert not at.exception and not at.error
    for key, value in moves.items():
        rates = next(d.value for d in at.dataframe if "missing" in d.value.columns)["missing"]
        widget = at.radio(key=key) if isinstance(value, str) else at.slider(key=key)
        widget.set_value(value).run()
        assert not at.exception and not at.error, key
        after = next(d.value for d in at.dataframe if "missing" in d.value.columns)["missing"]
        assert not after.equals(rates), f"{key} = {value} changed nothing"


def test_the_known_direction_variants_train_next_to_the_others():
    at = _app().run()
    at.selectbox(key="mnar_preset").set_value("tiny").run()
    at.multiselect(key="mnar_agn").select("notmiwae_steep").select("notmiwae_ppca").run()
    at.button(key="mnar_train").click().run(timeout=240)
    assert not at.exception
    rows = set(_rmse(at).index)
    assert {"not-MIWAE, known direction, steep start", "not-MIWAE, known direction, linear decoder"} <= rows


@pytest.mark.parametrize("offset", [-1.0, 0.0, 1.0])
def test_the_offset_note_reports_the_sweep_and_warns_where_not_miwae_loses(offset):
    res = json.loads(CUTOFF.read_text())
    verdict = next(v for v in res["verdicts"] if v["dataset"] == "breast" and v["offset"] == offset)
    row = next(r for r in res["rows"] if r["dataset"] == "breast" and r["offset"] == offset and r["method"] == "MICE")
    page = [r["rmse_mean"] for r in res["rows"] if r["dataset"] == "breast" and r["offset"] == offset
            and r["method"] in ("not-MIWAE self-masking known", "not-MIWAE self-masking")]
    at = _app().run()
    at.slider(key="mnar_offset").set_value(offset).run()
    assert not at.exception
    notes = [e.value for e in at.caption if "bench notmiwae_cutoff" in e.value]
    assert len(notes) == 1 and f"MICE {row['rmse_mean']:.2f}" in notes[0]
    # the sweep's numbers sit in their own expander, named as a run of its own, never beside the page's table
    assert at.dataframe and any(e.label.startswith("The offset sweep: a benchmark of its own") for e in at.expander) \
        or not any("RMSE (missing, sd)" in d.value.columns for d in at.dataframe)  # or no table: a refused setting
    warned = [e.value for e in at.warning if "bench notmiwae_cutoff" in e.value]
    assert bool(warned) == (min(page) >= verdict["other_rmse"])
    assert all("cannot be trusted" in w and "MICE 1" not in w for w in warned)  # a verdict without numbers


def test_no_sentence_above_the_opening_table_gives_other_numbers_than_it():
    import re

    at = _app().run()
    table = _rmse(at)
    shown = {f"{v:.2f}" for v in table} | {f"{v:.3f}" for v in table}
    expanders = {id(c) for e in at.expander for c in e.children.values()}
    for el in (*at.caption, *at.markdown, *at.warning, *at.info):
        if id(el) in expanders or "bench notmiwae_cutoff" not in el.value:
            continue
        stray = set(re.findall(r"\b[0-2]\.\d{2,3}\b", el.value)) - shown
        assert not stray, f"{el.value!r} gives RMSEs the table does not: {stray}"
    assert not any("bench notmiwae_cutoff" in c.value for c in at.caption if id(c) not in expanders)


def test_a_grid_point_where_not_miwae_loses_says_the_budget_changed_the_winner():
    from dgm_core import pretrained
    from dgm_core.demos import mnar_grid

    grid = mnar_grid.load(mnar_grid.GRID_DIR)
    opening = next(p for p in grid.points["breast"] if p.record["mechanism"] == "notmiwae_uci" and p.value == 0)
    mice = opening.record["scores"]["MICE"]["rmse"]
    paper = pretrained.load_card("notmiwae-breast").metrics["rmse_missing"]
    at = _app().run()
    at.slider(key="mnar_offset").set_value(0.25).run()
    assert not at.exception
    said = next(m.value for m in at.markdown if "Precomputed at" in m.value)
    assert "changes the winner" in said and f"MICE ({mice:.3f}" in said and f"({paper:.3f})" in said
    points = next(d.value for d in at.dataframe if "MAE" in d.value.columns)  # each method's each point once
    assert not points.duplicated(["method", "point"]).any(), points


def test_a_rate_carried_over_from_another_mechanism_offers_the_grids_setting():
    at = _app().run()
    at.selectbox(key="mnar_mech").set_value("mcar").run()
    at.slider(key="mnar_p").set_value(0.2).run()
    at.selectbox(key="mnar_mech").set_value("self_masked").run()
    assert not at.exception and any("holds missing rate p at 0.3" in i.value for i in at.info)
    at.button(key="mnar_to_grid").click().run()
    assert not at.exception and at.slider(key="mnar_p").value == 0.3
    assert any("Precomputed at steepness k" in m.value for m in at.markdown)  # a picture, not a dead end
    assert "Lowest RMSE" in at.success[0].value


def _fits(**rmse):
    import numpy as np

    from dgm_core.mnar_experiment import FitResult
    return {m: FitResult(m, np.zeros((2, 2)), r, ess=None if m in ("mean", "kNN", "MICE") else 20.0)
            for m, r in rmse.items()}


def test_what_to_notice_speaks_only_of_what_ran_and_of_its_mechanism():
    from ui import mnar_view as w

    tiny = _fits(miwae=0.9, notmiwae=0.7, notmiwae_known=0.6, mean=1.1, kNN=1.0)  # a tiny run: no MICE
    said = w.notice(tiny, "notmiwae_uci", "tiny")
    assert "MICE" not in said and "MIWAE (0.900)" in said and "(0.600)" in said
    assert "MICE (0.800)" in w.notice({**tiny, "MICE": _fits(MICE=0.8)["MICE"]}, "notmiwae_uci", "paper")
    mcar = _fits(miwae=0.60, notmiwae=0.65, mean=1.0)
    said = w.notice(mcar, "mcar", "tiny")
    assert "at random" in said and "cut" not in said and "steep" not in said and "not-MIWAE 0.650" in said
    assert "hard cut" in w.notice(_fits(miwae=0.6, notmiwae=0.65), "notmiwae_uci", "tiny")
    assert "iterations" not in w.notice(_fits(miwae=0.6, mean=0.7), "notmiwae_uci", "tiny")  # no not-MIWAE ran


def test_learnt_and_true_mechanism_maps_share_one_unit_and_one_scale():
    import numpy as np
    import torch
    from torch import nn

    from dgm_core import mnar_experiment as experiment
    from dgm_core.demos import mnar
    from dgm_core.models.notmiwae import Config, NotMIWAE
    from ui import mnar_view as w

    x = np.random.default_rng(1).standard_normal((400, 4)) * [1, 2, 3, 1]
    sim = experiment.simulate(x, "self_masked", {"p": 0.4, "steepness": 3.0}, seed=2)  # the high values hide
    truth = mnar.true_sensitivity(sim)
    ratio = sim.std.sd / sim.complete_sd
    assert np.abs(ratio - 1).max() > 0.05  # hiding values changes the observed sd: the conversion matters
    for missing in ("linear", "nonlinear"):  # a model that learnt the true mechanism exactly, in its own units
        model = NotMIWAE(Config(4, missing=missing))
        layer = nn.Linear(4, 4)
        with torch.no_grad():
            layer.weight.copy_(-torch.as_tensor(truth * ratio[None, :], dtype=torch.float32))
        model.miss_net = layer if missing == "linear" else nn.Sequential(layer, nn.Identity())
        learnt = model.sensitivity(torch.as_tensor(sim.z, dtype=torch.float32)).numpy()
        np.testing.assert_allclose(mnar.model_sensitivity(sim, learnt), truth, atol=1e-5, err_msg=missing)
    # one scale: near-zero (MCAR) maps stay pale next to each other, an unbounded cut does not wash out the rest
    assert w.shared_limit([np.zeros((2, 2)), np.full((2, 2), 0.3)]) == 1.0
    assert w.shared_limit([np.full((2, 2), 3.0), np.full((2, 2), 40.0)]) == 8.0
    figs = [w.sensitivity_figure(m, list("ab"), "t", lim=w.shared_limit([truth]))
            for m in (truth[:2, :2], truth[2:, 2:])]
    assert ({f.data[0].zmax for f in figs} == {w.shared_limit([truth])}
            and "per sd" in figs[0].data[0].colorbar.title.text)


def test_the_opening_view_is_read_from_the_warm_up():
    from server import warmup
    from ui import serving
    from ui.warmup import warm_jobs

    warmup.warm(serving.shared(), [j for j in warm_jobs() if j.__name__ == "mnar_opening"])
    cache = serving.shared().cache
    held = len(cache)
    at = _app().run()
    assert not at.exception and "not-MIWAE" in _rmse(at)
    assert len(cache) == held  # nothing computed: the page found the warm-up's result


def _tiny(seed: int) -> AppTest:
    at = _app().run()
    at.selectbox(key="mnar_preset").set_value("tiny").run()
    at.number_input(key="mnar_seed").set_value(seed).run()
    return at


def test_a_second_session_training_the_same_settings_gets_the_first_ones_training():
    first = _tiny(7)
    first.button(key="mnar_train").click().run(timeout=180)
    assert not first.exception
    assert any("'tiny' preset" in c.value and "on this server" in c.value for c in first.caption)
    kept = first.session_state["mnar_train_result"]
    assert kept.value is None and kept.ran.key  # the session keeps the key; the fits are in the shared cache
    second = _tiny(7)
    second.button(key="mnar_train").click().run(timeout=180)
    assert not second.exception
    assert any("Shared: computed" in c.value and "for another session" in c.value for c in second.caption), \
        [c.value for c in second.caption]
    assert _rmse(first).equals(_rmse(second))
    assert any("fixed subset of 200 rows" in c.value for c in second.caption)  # the finished training's curves


def test_a_training_over_the_time_limit_stops_with_one_sentence_and_the_page_keeps_working(monkeypatch):
    monkeypatch.setenv("DGM_TIME_LIMIT_S", "0.2")
    at = _app().run()
    at.selectbox(key="mnar_preset").set_value("small").run()
    at.number_input(key="mnar_seed").set_value(8).run()
    at.button(key="mnar_train").click().run(timeout=180)
    assert not at.exception and not at.error
    assert [w.value for w in at.warning] == ["The training stopped at the time limit of 0.2 s per run on this server; "
                                             "choose a smaller training budget, fewer models or a smaller table."]
    assert not any("RMSE (missing, sd)" in d.value.columns for d in at.dataframe)
    at.session_state["mnar_tab"] = "Missingness"
    at.run()
    assert not at.exception and not at.warning and "mnar_hist_feature" in [sb.key for sb in at.selectbox]


def test_a_training_queued_behind_other_heavy_runs_waits_its_turn():
    at = _tiny(9)
    blockers = occupy_every_slot()
    at.button(key="mnar_train").click().run(timeout=300)  # a loaded host is slower, never wrong
    assert not at.exception and all(b.done.is_set() for b in blockers)
    assert "not-MIWAE" in _rmse(at)
    assert any(c.value.startswith("Trained with the 'tiny' preset. Computed in ") and "in the queue" in c.value
               for c in at.caption), [c.value for c in at.caption]


def test_two_uploaded_files_never_share_a_training():
    rows = "".join(f"{i % 13},{(i * 7) % 11},{i % 5 + 0.5 * (i % 9)}\n" for i in range(60))
    captions = []
    for header in ("a,b,c\n", "x,y,z\n"):  # the same numbers under other names: another student's file
        at = _app().run()
        at.selectbox(key="mnar_table").set_value("upload CSV").run()
        at.file_uploader[0].set_value(("mine.csv", (header + rows).encode(), "text/csv")).run()
        at.selectbox(key="mnar_preset").set_value("tiny").run()
        at.button(key="mnar_train").click().run(timeout=180)
        assert not at.exception and not at.error, [e.value for e in at.error]
        captions.append(next(c.value for c in at.caption if "'tiny' preset" in c.value))
    assert all(c.startswith("Trained with the 'tiny' preset. Computed in ") for c in captions), captions
