"""The MNAR lab page under AppTest: runs, the tiny preset trains end to end, bad CSVs and bad parameters
give one clear error and the page keeps working."""
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dgm_core import data

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "mnar.py")


def _app() -> AppTest:
    return AppTest.from_file(PAGE, default_timeout=90)


def test_page_runs_and_shows_the_mechanism():
    at = _app().run()
    assert not at.exception
    assert at.title[0].value.startswith("MNAR lab")
    rate = float(at.metric[0].value.rstrip("%"))
    assert 10 < rate < 30  # the not-MIWAE protocol on breast: a fifth of the entries
    assert at.query_params["mnar_mech"] in ("notmiwae_uci", ["notmiwae_uci"])


def test_tiny_preset_trains_and_not_miwae_known_beats_miwae():
    at = _app().run()
    at.selectbox(key="mnar_preset").set_value("tiny").run()
    at.button(key="mnar_train").click().run(timeout=180)
    assert not at.exception
    table = at.dataframe[1].value  # the RMSE table (the first is the per-feature missing rate)
    rmse = table.iloc[:, 0]
    assert {"MIWAE", "not-MIWAE", "not-MIWAE, known direction", "mean"} <= set(table.index)
    assert rmse["not-MIWAE, known direction"] < rmse["MIWAE"] < rmse["mean"]
    assert at.success and "Lowest RMSE" in at.success[0].value
    # the recovered mechanism: high values go missing in the censored features
    mech = at.dataframe[2].value
    assert (mech["SM-known direction"].iloc[:15] == "high").all()
    # changing a display-only widget reuses the cached fit
    at.selectbox(key="mnar_scatter_feature").set_value(3).run()
    assert not at.exception and at.dataframe[1].value.equals(table)


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
    assert at.metric[0].label == "Realised missing rate"


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
    at.selectbox(key="mnar_preset").set_value("tiny").run()
    at.button(key="mnar_train_sup").click().run(timeout=180)
    assert not at.exception
    scores = next(d.value for d in at.dataframe if "supMIWAE" in d.value.index).iloc[:, 0]
    assert {"supMIWAE", "sup-not-MIWAE"} <= set(scores.index)
    assert (scores > 0.8).all()  # breast cancer accuracy, even with a fifth of the entries hidden


# ---------------------------------------------------------------- the Images tab (clipped faces)
def _png(value: int) -> bytes:
    import io

    from PIL import Image
    buf = io.BytesIO()
    Image.new("L", (40, 40), value).save(buf, format="PNG")
    return buf.getvalue()


def _rmse_table(at):
    return next(d.value for d in at.dataframe if "RMSE on lost pixels" in d.value.columns)


def test_images_tab_compares_miwae_and_notmiwae_on_a_clipped_face():
    at = _app().run()
    assert not at.exception
    lost = next(m for m in at.metric if m.label == "Pixels lost")
    assert 0 < float(lost.value.rstrip("%")) < 100
    rmse = _rmse_table(at)["RMSE on lost pixels"]
    assert {"constant b", "MIWAE", "not-MIWAE"} == set(rmse.index) and (rmse > 0).all()
    at.slider(key="mi_clip_b").set_value(0.6).run()  # a lower threshold loses more pixels
    assert not at.exception
    assert float(next(m for m in at.metric if m.label == "Pixels lost").value.rstrip("%")) > float(lost.value.rstrip("%"))
    assert at.query_params["mi_clip_b"] in ("0.6", ["0.6"])


def test_images_tab_bad_upload_and_nothing_lost_give_one_error_each():
    at = _app().run()
    at.radio(key="mi_clip_src").set_value("Upload").run()
    assert not at.exception and not at.error
    uploader = next(u for u in at.file_uploader if u.key == "mi_clip_file")
    uploader.set_value(("notes.png", b"this is not an image", "image/png")).run()
    assert not at.exception and len(at.error) == 1
    uploader = next(u for u in at.file_uploader if u.key == "mi_clip_file")
    uploader.set_value(("black.png", _png(0), "image/png")).run()  # nothing bright: no pixel is lost
    assert not at.exception and len(at.error) == 1 and "No pixel went missing" in at.error[0].value
    uploader = next(u for u in at.file_uploader if u.key == "mi_clip_file")
    uploader.set_value(("grey.png", _png(200), "image/png")).run()  # 200/255 > b: most pixels lost
    assert not at.exception and not at.error


def test_images_tab_link_with_an_absurd_threshold_falls_back():
    at = _app()
    at.query_params["mi_clip_b"] = "7"
    at.run()
    assert not at.exception
    assert any("out of range" in w.value for w in at.warning)
    assert at.slider(key="mi_clip_b").value == 0.75


def test_images_tab_scores_100_test_faces():
    if not data.available("celeba"):
        pytest.skip("the 100-face comparison needs the CelebA test faces (DGM_DATA_DIR is not set)")
    at = _app().run()
    at.select_slider(key="mi_clip_k").set_value(100).run()
    at.button(key="mi_eval").click().run(timeout=300)
    assert not at.exception
    scores = next(d.value for d in at.dataframe if "RMSE on lost pixels" in d.value.columns
                  and "effective samples" not in d.value.columns)["RMSE on lost pixels"]
    assert scores["not-MIWAE"] < scores["constant b"] and scores["not-MIWAE"] < scores["MIWAE"]


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
    assert len(at.warning) == 2 and all("using" in w.value for w in at.warning)
    assert at.selectbox(key="mnar_mech").value == "notmiwae_uci"
