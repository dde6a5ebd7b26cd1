"""The inpainting page under AppTest: every data set and method through the preset path, uploads,
bad input, and state in the URL. (The canvas is invisible to AppTest: tests/e2e draws on it.)"""
import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from tests.app import occupy_every_slot, open_page

from dgm_core import pretrained
from dgm_core.demos.inpainting import Settings, default_settings
from dgm_core.methods import INPAINTING as METHODS, inpainting_label as method_label

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "inpainting.py")
# the server's path, the reference (the browser's is tests/e2e's: AppTest runs no component)
FAST = {"steps": 30, "chains": 2, "burn": 5, "ns": 50, "where": "server"}
SHIPPED = {c.name for c in pretrained.list_cards()}


def _page(**params) -> AppTest:
    return open_page("inpainting", "inp_", **{**FAST, **params})


def _png(arr: np.ndarray, mode: str | None = None) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr, mode).save(buf, format="PNG")
    return buf.getvalue()


def _metrics(at):
    """The results' metrics table (one row per method), or None before a run."""
    tables = [d.value for d in at.dataframe if "time (s)" in d.value.columns]
    assert len(tables) <= 1
    return tables[0] if tables else None


def _n_results(at) -> int:
    table = _metrics(at)
    return 0 if table is None else len(table)


@pytest.mark.parametrize("dataset", ["mnist", "omniglot", "celeba"])
def test_every_method_runs_on_a_preset_mask(dataset):
    expected = [m for m in METHODS if METHODS[m].family is None or f"{METHODS[m].family}-{dataset}" in SHIPPED]
    at = _page(ds=dataset, preset="centre", size=12, methods=",".join(METHODS))
    assert not at.exception
    assert not at.error, [e.value for e in at.error]
    at.button(key="inp_run").click().run()
    assert not at.exception
    table = _metrics(at)
    assert list(table.index) == [method_label(m, Settings().kernel) for m in expected]
    names = set(table.columns)
    assert "MSE" in names and "time (s)" in names
    assert ("F1 (missing pixels)" in names) == (dataset != "celeba")
    assert ("SSIM (whole image)" in names) == (dataset == "celeba")
    # one NLL quantity per data set: a probability on binary images, a density on faces
    assert (("NLL (nats)" in names) == (dataset != "celeba")
            and ("NLL (nats, density)" in names) == (dataset == "celeba"))
    diagnostics = [d.value for d in at.dataframe if "acceptance" in d.value.columns]
    assert bool(diagnostics) == ("mwg" in expected)
    if diagnostics:  # every chain's mixing diagnostics, and a verdict in plain words
        assert {"split-R̂", "ESS of log p(x, z)", "ESS of the fill"} <= set(diagnostics[0].columns)
        notes = " ".join(i.value for i in at.info)
        assert "these chains" in notes or "its chains" in notes


def test_the_exact_samplers_z_move_is_a_setting_in_the_url_and_in_its_name():
    at = _page(preset="top", methods="mwg,pseudo_gibbs", kernel="encoder", steps=30, chains=2, burn=5)
    assert at.selectbox(key="inp_kernel").value == "encoder"
    at.button(key="inp_run").click().run()
    assert not at.exception
    assert list(_metrics(at).index) == [method_label("mwg", "encoder"), METHODS["pseudo_gibbs"].label]
    assert "did not mix" in " ".join(i.value for i in at.info)  # the paper's proposal is rarely accepted here
    bad = _page(kernel="gibbs")
    assert not bad.exception and any("z-move `gibbs`" in w.value for w in bad.warning)
    assert bad.selectbox(key="inp_kernel").value == Settings().kernel


@pytest.mark.parametrize("dataset", ["mnist", "omniglot", "celeba"])
def test_uploaded_image_is_converted_and_inpainted(dataset):
    if dataset == "celeba":
        img = np.zeros((80, 60, 3), np.uint8)
        img[..., 0], img[20:60, 15:45] = 200, (230, 180, 150)  # a face-coloured blob on red
        payload = _png(img)
    else:
        img = np.full((120, 90), 255, np.uint8)
        img[20:100, 40:52] = 0  # a dark "1" on white paper
        payload = _png(img)
    methods = ["mwg", "dmfa", "neighbour_fill"]
    expected = [m for m in methods if METHODS[m].family is None or f"{METHODS[m].family}-{dataset}" in SHIPPED]
    at = _page(ds=dataset, src="Upload", preset="top", methods=",".join(methods))
    at.file_uploader(key="inp_img_file").set_value(("upload.png", payload, "image/png")).run()
    assert not at.exception and not at.error
    at.button(key="inp_run").click().run()
    assert not at.exception
    assert _n_results(at) == len(expected)
    assert "uploaded" in at.caption[0].value or any("uploaded" in c.value for c in at.caption)


def test_bad_uploads_give_one_sentence_and_keep_everything():
    at = _page(ds="mnist", preset="bottom", methods="neighbour_fill")
    at.button(key="inp_run").click().run()
    assert _n_results(at) == 1
    at.radio(key="inp_src").set_value("Upload").run()
    at.file_uploader(key="inp_img_file").set_value(("notes.txt", b"not an image", "text/plain")).run()
    assert not at.exception
    assert len(at.error) == 1 and "image" in at.error[0].value.lower()
    assert _n_results(at) == 1  # earlier results stay


def test_mask_with_nothing_missing_or_nothing_observed_is_reported():
    at = _page(ds="mnist", msrc="Upload", methods="neighbour_fill")
    at.file_uploader(key="inp_mask_file").set_value(("m.png", _png(np.zeros((28, 28), np.uint8)), "image/png")).run()
    assert not at.exception
    assert any("no pixel" in e.value.lower() or "nothing" in e.value.lower() for e in at.error)
    assert at.button(key="inp_run").disabled
    at.file_uploader(key="inp_mask_file").set_value(("m.png", _png(np.full((28, 28), 255, np.uint8)),
                                                     "image/png")).run()
    assert any("observed" in e.value.lower() for e in at.error)
    at.file_uploader(key="inp_mask_file").set_value(("m.png", _png(np.zeros((28, 56), np.uint8)), "image/png")).run()
    assert any("28" in e.value for e in at.error)


def test_absurd_settings_and_url_values_are_refused_clearly():
    at = _page(steps=100, burn=200, chains=999, ds="nope")
    assert not at.exception
    assert any("Chains `999` is not between 1 and 64; the page uses 64" in w.value for w in at.warning)
    assert any("Data set `nope` is not one of MNIST, Omniglot, CelebA" in w.value for w in at.warning)
    assert any("burn-in" in e.value.lower() for e in at.error)
    assert at.button(key="inp_run").disabled


def test_state_round_trips_through_the_url():
    at = _page(ds="omniglot", idx=7, preset="random", miss=70, mseed=3, methods="mwg,miwae", seed=5)
    assert at.selectbox(key="inp_ds").value == "omniglot"
    assert at.session_state["inp_idx"] == 7 and at.session_state["inp_miss"] == 70
    assert at.multiselect(key="inp_methods").value == ["mwg", "miwae"]
    assert at.query_params["inp_seed"] in ("5", ["5"])


def test_choices_survive_a_page_switch():
    root = Path(PAGE).parents[1]
    at = AppTest.from_file(str(root / "app.py"), default_timeout=120)
    at.switch_page("pages/inpainting.py").run()
    at.selectbox(key="inp_ds").set_value("omniglot").run()
    at.radio(key="inp_msrc").set_value("Upload").run()
    at.switch_page("pages/home.py").run()
    assert not at.exception
    at.switch_page("pages/inpainting.py").run()
    assert at.selectbox(key="inp_ds").value == "omniglot"
    assert at.radio(key="inp_msrc").value == "Upload"


def test_gallery_buttons_step_through_images():
    at = _page(idx=5)
    assert not at.exception
    at.button(key="inp_next").click().run()
    assert not at.exception and at.session_state["inp_idx"] == 6
    at.button(key="inp_prev").click().run()
    at.button(key="inp_prev").click().run()
    assert not at.exception and at.session_state["inp_idx"] == 4
    at.button(key="inp_rand").click().run()
    assert not at.exception and at.button(key="inp_run")  # the rest of the page is still there


def test_results_are_marked_stale_when_the_inputs_change():
    at = _page(ds="mnist", preset="centre", size=12, methods="neighbour_fill")
    at.button(key="inp_run").click().run()
    assert not at.exception and not any("Stale" in w.value for w in at.warning)
    at.slider(key="inp_size").set_value(8).run()
    assert not at.exception and any("Stale" in w.value for w in at.warning)


def test_methods_without_a_model_for_the_data_set_are_not_offered():
    at = _page(ds="omniglot", methods=",".join(METHODS))
    offered = at.multiselect(key="inp_methods").options
    missing = [m for m in METHODS if METHODS[m].family and f"{METHODS[m].family}-omniglot" not in SHIPPED]
    assert missing and not any(METHODS[m].label in offered for m in missing)
    assert any("Not offered on Omniglot" in c.value for c in at.caption)


def test_methods_a_data_set_lacks_come_back_on_one_that_has_them():
    at = _page(ds="celeba", methods="mwg,pseudo_gibbs,dmfa,mfa")
    assert at.multiselect(key="inp_methods").value == ["mwg", "pseudo_gibbs", "dmfa", "mfa"]
    at.selectbox(key="inp_ds").set_value("omniglot").run()
    assert not at.exception and at.multiselect(key="inp_methods").value == ["mwg", "pseudo_gibbs"]
    at.multiselect(key="inp_methods").unselect("pseudo_gibbs").run()  # a choice made where DMFA is not offered
    at.selectbox(key="inp_ds").set_value("celeba").run()
    assert not at.exception and at.multiselect(key="inp_methods").value == ["mwg", "dmfa", "mfa"]


def test_faces_get_fewer_chains_unless_the_link_says_otherwise():
    digits, faces = default_settings("mnist"), default_settings("celeba")
    assert faces.chains * faces.steps < digits.chains * digits.steps
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    assert at.session_state["inp_chains"] == digits.chains
    at.selectbox(key="inp_ds").set_value("celeba").run()
    assert not at.exception and at.session_state["inp_chains"] == faces.chains
    assert at.session_state["inp_steps"] == faces.steps
    at.selectbox(key="inp_ds").set_value("mnist").run()
    assert at.session_state["inp_chains"] == digits.chains and at.session_state["inp_steps"] == digits.steps
    cold = AppTest.from_file(PAGE, default_timeout=120)
    cold.query_params["inp_ds"] = "celeba"
    assert cold.run().session_state["inp_chains"] == faces.chains
    linked = AppTest.from_file(PAGE, default_timeout=120)
    linked.query_params["inp_ds"], linked.query_params["inp_chains"] = "celeba", "9"
    assert linked.run().session_state["inp_chains"] == 9


def test_benchmark_note_says_where_the_exact_sampler_loses_and_whether_its_chains_mixed(tmp_path, monkeypatch):
    from dgm_core import results
    from ui import inpainting_view

    def rec(ds, mask, rhat):
        return {"dataset": ds, "mask": mask, "warm_start": 0, "kernel": "hmc", "n_images": 200, "rhat_median": rhat,
                "gain_vs_pseudo_gibbs": -0.0183, "p_bonferroni": 0.052}
    summary = {"settings": 2, "settings_at_or_above_pseudo_gibbs": 1, "acceptance_min": 0.7,
               "losses": [{"dataset": "omniglot", "mask": "top half"}]}
    monkeypatch.setattr(results, "ROOT", tmp_path)
    (tmp_path / results.RESULTS).mkdir(parents=True)
    path = tmp_path / results.source("inpainting")
    path.write_text(json.dumps({"summary": {"hmc": summary},
                                "records": [rec("mnist", "top half", 1.02), rec("omniglot", "top half", 1.03)]}))
    note = inpainting_view.benchmark_note("hmc", "omniglot")
    assert "1 of 2 settings" in note and "loses on omniglot top half (-0.018 F1, Bonferroni p 0.052)" in note
    assert "had mixed" in note
    path.write_text(json.dumps({"summary": {"hmc": summary},
                                "records": [rec("mnist", "top half", 1.02), rec("omniglot", "top half", 1.4)]}))
    assert "had not all mixed" in inpainting_view.benchmark_note("hmc", "omniglot")
    path.write_text("[]")  # an older format, or no file: no note rather than an error
    assert inpainting_view.benchmark_note("hmc", "omniglot") is None


def test_benchmark_note_says_why_from_the_blur_benchmark(tmp_path, monkeypatch):
    from dgm_core import results
    from ui import inpainting_view

    monkeypatch.setattr(results, "ROOT", tmp_path)
    (tmp_path / results.RESULTS).mkdir(parents=True)
    sampler, blur = tmp_path / results.source("inpainting"), tmp_path / results.source("inpainting_blur")
    sampler.write_text(json.dumps({
        "summary": {"hmc": {"settings": 1, "settings_at_or_above_pseudo_gibbs": 0, "acceptance_min": 0.7,
                            "losses": [{"dataset": "omniglot", "mask": "top half"}]}},
        "records": [{"dataset": "omniglot", "mask": "top half", "warm_start": 0, "kernel": "hmc", "n_images": 200,
                     "rhat_median": 1.05, "gain_vs_pseudo_gibbs": -0.02, "p_bonferroni": 0.05}]}))
    assert "Why" not in inpainting_view.benchmark_note("hmc", "omniglot")  # no blur file: the rest of the note stands
    row = {"dataset": "omniglot", "mask": "top half"}
    blur.write_text(json.dumps({"rows": [{**row, "kernel": "hmc", "f1_single_draw": 0.193, "ink_ratio": 0.174},
                                         {**row, "kernel": "pseudo", "f1_single_draw": 0.203, "ink_ratio": 0.407}]}))
    note = inpainting_view.benchmark_note("hmc", "omniglot")
    assert "one draw scores F1 0.193 against pseudo-Gibbs's 0.203" in note
    assert "keeps 17% of the true ink against pseudo-Gibbs's 41%" in note


def test_each_data_set_opens_on_its_own_recorded_default_image():
    from dgm_core import results
    recorded = {ds: r.default_index for ds, r in results.inpainting_default().items()}
    assert recorded["omniglot"] != recorded["mnist"]
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    assert at.session_state["inp_idx"] == recorded["mnist"]
    at.selectbox(key="inp_ds").set_value("omniglot").run()
    assert not at.exception and at.session_state["inp_idx"] == recorded["omniglot"]
    assert _page(ds="omniglot").session_state["inp_idx"] == recorded["omniglot"]  # a link naming no image
    assert _page(ds="omniglot", idx=5).session_state["inp_idx"] == 5  # a link naming one keeps it


def test_celeba_gets_the_faces_paragraph_not_the_digits_one():
    from ui import inpainting_view
    assert "MNIST and Omniglot" in inpainting_view.benchmark_note("hmc", "mnist")  # the shipped benchmark files
    assert "CelebA test faces" in inpainting_view.benchmark_note("hmc", "celeba")
    assert inpainting_view.benchmark_note("pcn", "celeba") is None  # the faces benchmark ran no pCN chains


def test_faces_note_says_where_the_exact_sampler_loses_to_the_neighbour_fill_and_why(tmp_path, monkeypatch):
    from dgm_core import results
    from ui import inpainting_view

    monkeypatch.setattr(results, "ROOT", tmp_path)
    (tmp_path / results.RESULTS).mkdir(parents=True)
    path = tmp_path / results.source("inpainting_fills")

    def write(hmc: dict[str, tuple[float, float]]) -> str:
        rows = [{"mask": m, "method": "Neighbour fill", "score_mean": 0.05, "n_images": 100} for m in hmc]
        rows += [{"mask": m, "method": "MWG hmc", "score_mean": v, "rhat_median": r} for m, (v, r) in hmc.items()]
        path.write_text(json.dumps({"records": rows}))
        return inpainting_view.benchmark_note("hmc", "celeba")

    note = write({"top half": (0.08, 1.76), "random 60 %": (0.06, 1.02), "bottom half": (0.04, 1.3)})
    assert "beats the neighbour fill on 1 of 3" in note and "top half: 0.0800 against 0.0500, split-R̂ 1.76" in note
    assert "On top half its chains had not mixed" in note and "On random 60 % they had" in note
    assert "bottom half:" not in note  # where it wins, no loss is listed
    assert write({"top half": (0.04, 1.5)}).endswith("on 1 of 1.")
    path.write_text("[]")  # an older format: no note rather than an error
    assert inpainting_view.benchmark_note("hmc", "celeba") is None


def test_spread_note_compares_each_methods_predicted_variance_with_its_squared_error(tmp_path, monkeypatch):
    from types import SimpleNamespace
    from dgm_core import results
    from ui import inpainting_view

    monkeypatch.setattr(results, "ROOT", tmp_path)
    (tmp_path / results.RESULTS).mkdir(parents=True)
    rows = [{"mask": m, "method": "DMFA", "score_mean": 0.01, "predicted_var": v, "spread_ratio": v / 0.01,
             "n_images": 100} for m, v in (("top half", 0.05), ("random 60 %", 0.4))]
    rows += [{"mask": m, "method": "MFA conditional (classical)", "score_mean": 0.02, "predicted_var": v,
              "spread_ratio": v / 0.02, "n_images": 100} for m, v in (("top half", 0.004), ("random 60 %", 0.008))]
    rows += [{"mask": "top half", "method": "Neighbour fill", "score_mean": 0.05, "n_images": 100}]
    (tmp_path / results.source("inpainting_fills")).write_text(json.dumps({"records": rows}))
    run = [(SimpleNamespace(method=m, diagnostics=None), {}, None) for m in ("dmfa", "mfa", "neighbour_fill")]
    note = inpainting_view.spread_note(run, "celeba")
    assert "first 100 CelebA test faces and 2 masks" in note
    assert "**DMFA** 5.0 to 40.0 times, its spread and draws overstate" in note
    assert "**MFA conditional (classical)** 0.2 to 0.4 times, too narrow a spread" in note
    assert "Neighbour fill" not in note  # a point fill has no spread
    assert inpainting_view.spread_note(run, "mnist") is None and inpainting_view.spread_note(run[2:], "celeba") is None


def test_notes_say_why_a_fill_without_a_model_wins_and_what_pseudo_gibbs_nll_is():
    import torch
    from dgm_core import masks
    from dgm_core.demos.inpainting import run_page
    from ui import inpainting_view, loaders

    # a smooth image with a small hole: spreading the neighbours inward is all but exact
    ramp = torch.linspace(0.2, 0.8, 32)
    image = torch.stack([ramp.view(1, 32).expand(32, 32), ramp.view(32, 1).expand(32, 32), torch.full((32, 32), 0.5)])
    mask = masks.centre_square((32, 32), 6)
    settings = Settings(steps=20, chains=2, burn_in=5, n_samples=50)
    out = run_page(["pseudo_gibbs", "neighbour_fill"], image, mask, dataset="celeba", settings=settings,
                   load_model=lambda name: loaders.model(name)[0])
    (pg, pg_m, _), (nb, nb_m, _) = out.rows
    assert nb_m["MSE"] < pg_m["MSE"]
    note = inpainting_view.simple_fill_note(out.rows, "celeba")
    assert f"**Neighbour fill** scores the best MSE here: {nb_m['MSE']:.4f}, against {pg_m['MSE']:.4f}" in note
    assert inpainting_view.simple_fill_note(out.rows[:1], "celeba") is None  # no fill without a model ran
    nll = pg_m["NLL density (nats)"]
    note = inpainting_view.nll_note(out.rows, mask)
    assert f"({nll:,.0f} nats, {nll / (36 * 3):.1f} per missing value)" in note
    assert "not under the model's conditional" in note
    assert inpainting_view.nll_note(out.rows[1:], mask) is None


def test_the_warm_start_setting_says_where_a_chain_without_one_starts():
    at = _page()
    said = at.number_input(key="inp_warm").help
    assert "one encoder draw of z" in said and "not start from pure noise" in said


def test_run_says_what_it_cost_here_and_a_second_session_shares_the_one_result():
    params = dict(ds="mnist", preset="centre", size=10, methods="mwg,neighbour_fill", seed=7)
    first = _page(**params)
    first.button(key="inp_run").click().run()
    assert not first.exception
    assert any(c.value.startswith("Computed in ") and "on this server" in c.value for c in first.caption)
    kept = first.session_state["inp_run_result"]
    assert kept.value is None and kept.ran.key  # the session keeps the key; the result is in the shared cache
    second = _page(**params)
    second.button(key="inp_run").click().run()
    assert any(c.value.startswith("Shared: computed") and "for another session" in c.value for c in second.caption)
    assert _metrics(first).equals(_metrics(second))  # one computation: even its wall times are the same
    assert not any("bench inpainting_page" in c.value for c in [*first.caption, *second.caption])


def test_the_default_run_right_after_server_start_is_the_warm_up_result(monkeypatch):
    """With the data, the default view is a test digit; without them, a digit of the shipped VAE's gallery."""
    from server import warmup
    from ui import serving
    from ui.warmup import warm_jobs

    # a server just started: its shared results empty (another test of this process, drawing a lesson's slides,
    # may have computed the default view already)
    monkeypatch.setattr(serving, "_serving", None)
    warmup.warm(serving.shared(), [j for j in warm_jobs() if j.__name__ == "inpainting mnist"])
    at = AppTest.from_file(PAGE, default_timeout=120).run()  # no link: the page's default view
    at.button(key="inp_run").click().run()
    assert not at.exception
    assert any(c.value.startswith("Shared: computed at server start") for c in at.caption), \
        [c.value for c in at.caption]


def test_a_deck_step_arrives_on_its_own_result_computed_at_server_start():
    """The lecture's step 4 (the top half hidden) was computed by the warm-up: the page opens on its result, without
    a click, never on the previous step's."""
    from urllib.parse import parse_qsl

    from server import warmup
    from ui import deck, serving
    from ui.warmup import warm_jobs

    warmup.warm(serving.shared(), [j for j in warm_jobs() if j.__name__.endswith("lecture step 4")])
    link = dict(parse_qsl(deck.shipped(deck.page_files())["lecture"].steps[3].link))
    at = AppTest.from_file(PAGE, default_timeout=120)
    for k, v in link.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception and _n_results(at) >= 1
    assert any(c.value.startswith("Shared: computed at server start") for c in at.caption), \
        [c.value for c in at.caption]
    assert not any("stale" in w.value.lower() for w in at.warning)


def test_a_run_queued_behind_other_heavy_runs_waits_its_turn_and_then_shows():
    blockers = occupy_every_slot()
    at = _page(ds="mnist", preset="centre", size=9, methods="neighbour_fill", seed=11)
    at.button(key="inp_run").click().run(timeout=300)  # a loaded host is slower, never wrong
    assert not at.exception and all(b.done.is_set() for b in blockers)
    assert _n_results(at) == 1
    assert any(c.value.startswith("Computed in ") and "in the queue" in c.value for c in at.caption), \
        [c.value for c in at.caption]


def test_an_own_run_sends_every_method_to_the_browser_and_none_to_the_server():
    """In this browser (the default): Run hands every method (the chains, MIWAE, DMFA, MFA, the fills) to the
    visitor's browser (the panel's worker; tests/e2e runs it), and the server computes none of them."""
    at = _page(where="browser", ds="mnist", preset="centre", size=11, seed=13,
               methods="mwg,pseudo_gibbs,miwae,dmfa,mfa,neighbour_fill")
    at.button(key="inp_run").click().run()
    assert not at.exception
    _, server_part = at.session_state["inp_browser"]
    assert server_part is None
    assert _n_results(at) == 0  # nothing shown until the browser's results come back
    on_server = _page(where="server", ds="mnist", preset="centre", size=11, seed=13, methods="mwg,dmfa")
    on_server.button(key="inp_run").click().run()
    assert _n_results(on_server) == 2 and "inp_browser" not in on_server.session_state


def test_the_particle_filters_ess_chart_has_a_line_per_filter_and_a_row_per_step():
    from dataclasses import replace

    from dgm_core.demos import inpainting
    from tests.dgm_core.test_flow_smc import page_inputs
    from ui import inpainting_view as inpaint_results
    model, x, mask = page_inputs()
    settings = replace(inpainting.Settings(), particles=3, n_draws=2)
    rows = [(inpainting.run_method(m, model if m != "mean_fill" else None, x, mask, dataset="mnist",
                                   settings=settings)[0], {}, None) for m in ("flow_smc", "flow_twisted", "mean_fill")]
    frame = inpaint_results.particle_ess(rows)
    assert list(frame.columns) == [inpaint_results.method_label(r) for r, _, _ in rows[:2]]
    assert list(frame.index) == list(range(1, 41))
    assert frame.iloc[:, 1].tolist() == rows[1][0].diagnostics.ess[:, 0].tolist()
    assert inpaint_results.particle_ess(rows[2:]) is None
