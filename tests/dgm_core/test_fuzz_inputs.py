"""Property-based fuzzing of the upload converters: any bytes that look almost like an image, any text that
looks almost like a CSV, give a result or one sentence (ImageError / MaskError / ValueError of at most
MESSAGE_MAX_CHARS characters), never another exception."""
from __future__ import annotations

from io import BytesIO

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw

from dgm_core import budgets
from dgm_core.data import table_from_csv
from dgm_core.data.convert import ImageError, image_from_bytes, mask_from_bytes
from dgm_core.masks import MaskError

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _seeds() -> list[bytes]:
    img = Image.new("RGBA", (40, 30), (255, 255, 255, 0))
    ImageDraw.Draw(img).ellipse((5, 5, 30, 25), fill=(0, 0, 0, 255))
    out = []
    for fmt, mode in (("PNG", "RGBA"), ("BMP", "RGB"), ("GIF", "P"), ("JPEG", "RGB"), ("WEBP", "RGBA"),
                      ("TIFF", "L"), ("PNG", "I;16")):
        buf = BytesIO()
        img.convert(mode).save(buf, format=fmt)
        out.append(buf.getvalue())
    return out


SEEDS = _seeds()


@st.composite
def mutated_images(draw) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 8))):
        # headers hold the sizes and offsets that go wild: bias the positions towards the first bytes
        pos = draw(st.one_of(st.integers(0, min(64, len(data) - 1)), st.integers(0, len(data) - 1)))
        data[pos] = draw(st.integers(0, 255))
    if draw(st.booleans()):
        data = data[:draw(st.integers(0, len(data)))]
    return bytes(data)


def sentence_or_result(fn, *errors) -> None:
    try:
        fn()
    except errors as e:
        assert 0 < len(str(e)) <= budgets.MESSAGE_MAX_CHARS and "\n" not in str(e), str(e)


@FUZZ
@given(mutated_images())
def test_mutated_images_give_an_image_or_one_sentence(data):
    sentence_or_result(lambda: image_from_bytes(data, "mnist"), ImageError)
    sentence_or_result(lambda: image_from_bytes(data, "celeba", size=64), ImageError)


@FUZZ
@given(mutated_images(), st.sampled_from(["white", "black"]))
def test_mutated_masks_give_a_mask_or_one_sentence(data, missing_is):
    sentence_or_result(lambda: mask_from_bytes(data, (28, 28), missing_is=missing_is), ImageError, MaskError)


CELLS = st.one_of(st.floats(allow_nan=True, allow_infinity=True).map(repr), st.integers(-10**6, 10**6).map(str),
                  st.sampled_from(["", "NA", "nan", "inf", "-inf", "1,5", "1e308", "1e-308", "x", '"', '"a,b"',
                                   "TRUE", " ", "1.2.3", "0x1F", "é", "\t"]),
                  st.text("0123456789.,;-+eE\"' xa\t|", max_size=12))


@st.composite
def csv_texts(draw) -> str:
    sep = draw(st.sampled_from([",", ";", "\t", "|"]))
    n_cols = draw(st.integers(1, 6))
    header = draw(st.lists(st.sampled_from(["a", "b", "a", "", "c d", "x;y", '"q"']), min_size=n_cols,
                           max_size=n_cols))
    rows = draw(st.lists(st.lists(CELLS, min_size=max(n_cols - 1, 0), max_size=n_cols + 1), max_size=25))
    end = draw(st.sampled_from(["\n", "\r\n", "\n\n"]))
    text = end.join(sep.join(r) for r in [header, *rows])
    return text + (sep if draw(st.booleans()) else "") + end


@FUZZ
@given(csv_texts())
def test_csv_texts_give_a_table_or_one_sentence(text):
    sentence_or_result(lambda: table_from_csv(text), ValueError)
    sentence_or_result(lambda: table_from_csv(text.encode("utf-8")), ValueError)


@FUZZ
@given(st.binary(max_size=400))
def test_arbitrary_bytes_as_csv_give_one_sentence(data):
    sentence_or_result(lambda: table_from_csv(data), ValueError)


def test_fuzz_settings_are_bounded():
    # the suite must stay within a minute in `make test`
    assert FUZZ.max_examples <= 200
