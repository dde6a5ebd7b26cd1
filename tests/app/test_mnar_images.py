"""The MNAR images page under AppTest: a clipped face compared by MIWAE, not-MIWAE and a constant fill;
every control (source, image, W, b, K, seed, upload, the 100-face button) reruns without exception; bad
uploads and absurd links give one sentence and the page keeps working."""
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dgm_core import data

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "mnar_images.py")


def _app() -> AppTest:
    return AppTest.from_file(PAGE, default_timeout=90)


def _lost(at) -> float:
    return float(next(m for m in at.metric if m.label == "Pixels lost").value.rstrip("%"))



def _png(value: int) -> bytes:
    import io

    from PIL import Image
    buf = io.BytesIO()
    Image.new("L", (40, 40), value).save(buf, format="PNG")
    return buf.getvalue()


def _rmse_table(at):
    return next(d.value for d in at.dataframe if "RMSE on lost pixels" in d.value.columns)


def test_images_page_compares_miwae_and_notmiwae_on_a_clipped_face():
    at = _app().run()
    assert not at.exception
    lost = next(m for m in at.metric if m.label == "Pixels lost")
    assert 0 < float(lost.value.rstrip("%")) < 100
    rmse = _rmse_table(at)["RMSE on lost pixels"]
    assert {"constant b", "MIWAE", "not-MIWAE"} == set(rmse.index) and (rmse > 0).all()
    at.slider(key="mi_clip_b").set_value(0.6).run()  # a lower threshold loses more pixels
    assert not at.exception
    assert (float(next(m for m in at.metric if m.label == "Pixels lost").value.rstrip("%"))
            > float(lost.value.rstrip("%")))
    assert at.query_params["mi_clip_b"] in ("0.6", ["0.6"])


def test_images_page_bad_upload_and_nothing_lost_give_one_error_each():
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


def test_images_page_link_with_an_absurd_threshold_falls_back():
    at = _app()
    at.query_params["mi_clip_b"] = "7"
    at.run()
    assert not at.exception
    assert any("Threshold b `7` is not between 0.05 and 0.99; the page uses 0.99" in w.value
               for w in at.warning)
    assert at.slider(key="mi_clip_b").value == 0.99  # the nearest allowed threshold


def test_images_page_scores_100_test_faces():
    if not data.available("celeba"):
        pytest.skip("the 100-face comparison needs the CelebA test faces (DGM_DATA_DIR is not set)")
    at = _app().run()
    at.select_slider(key="mi_clip_k").set_value(100).run()
    at.button(key="mi_eval").click().run(timeout=300)
    assert not at.exception
    scores = next(d.value for d in at.dataframe if "RMSE on lost pixels" in d.value.columns
                  and "effective samples" not in d.value.columns)["RMSE on lost pixels"]
    assert scores["not-MIWAE"] < scores["constant b"] and scores["not-MIWAE"] < scores["MIWAE"]
    assert any("on this server" in c.value or c.value.startswith("Shared") for c in at.caption)  # what it cost here



def test_every_control_reruns_and_each_changes_what_it_should():
    at = _app().run()
    before = _rmse_table(at)
    at.number_input(key="mi_clip_seed").set_value(3).run()  # another draw of the lost pixels
    assert not at.exception and at.query_params["mi_clip_seed"] in ("3", ["3"])
    assert not _rmse_table(at).equals(before)
    at.number_input(key="mi_clip_img").set_value(5).run()
    assert not at.exception and at.query_params["mi_clip_img"] in ("5", ["5"])
    lost = _lost(at)
    at.slider(key="mi_clip_w").set_value(10.0).run()  # a softer cut loses pixels below b too
    assert not at.exception and _lost(at) != lost
    at.select_slider(key="mi_clip_k").set_value(100).run()
    assert not at.exception and at.query_params["mi_clip_k"] in ("100", ["100"])
    assert "effective samples" in _rmse_table(at).columns
