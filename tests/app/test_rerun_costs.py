"""What every rerun of a class server costs (issue 27, profiled with py-spy under `bench class_load`): work that is
the same for every student is done once per server, not once per click."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from PIL import Image
from streamlit.elements.lib import image_utils
from streamlit.testing.v1 import AppTest

from ui.catalog import PAGES

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")


def test_home_encodes_its_screenshots_once_for_two_students_and_sends_the_same_pictures(monkeypatch):
    """Given a PNG's path, st.image decoded it and re-encoded it as JPEG on every run of Home, for every visitor
    (0.7 s of a one-core server per visit): the page now keeps the JPEG per server."""
    encodes, sent = [], []
    Image.init()  # the plugins register their encoders
    save = Image.SAVE["JPEG"]
    monkeypatch.setitem(Image.SAVE, "JPEG", lambda im, fp, filename: (encodes.append(im.size), save(im, fp, filename)))
    ensure = image_utils._ensure_image_size_and_format
    monkeypatch.setattr(image_utils, "_ensure_image_size_and_format",
                        lambda *a, **k: sent.append(out := ensure(*a, **k)) or out)
    for _ in range(2):  # two students, two sessions
        at = AppTest.from_file(APP, default_timeout=60).run()
        assert not at.exception
    shots = [s for p in PAGES if p.lesson and (s := ROOT / "assets" / f"{p.url_path}.png").exists()]
    assert shots and len(encodes) <= len(shots), f"{len(encodes)} JPEG encodes for {len(shots)} screenshots"
    # what a browser receives is what st.image made of the PNG before: its JPEG at quality 90
    expected = {image_utils._pil_to_bytes(Image.open(p), "JPEG", 90) for p in shots}
    jpegs = [b for b in sent if b[:3] == b"\xff\xd8\xff"]
    assert len(jpegs) == 2 * len(shots) and set(jpegs) == expected


def test_the_first_page_run_freezes_the_imported_modules_out_of_the_full_garbage_collections():
    """Streamlit runs gc.collect(2) after every script run; over torch, scikit-learn and Streamlit's ~300,000
    objects that took ~0.25 s of CPU per click. After the first page run of a server they are frozen."""
    code = """
import gc, os, time
os.environ["DGM_WARMUP"] = "0"
from ui import warmup
def collect():
    t = time.perf_counter(); gc.collect(2); return time.perf_counter() - t
before = min(collect() for _ in range(3))
n = len(gc.get_objects())
warmup._in_server = lambda: True  # as under `streamlit run` (AppTest's runtime is a mock: nothing is frozen there)
warmup.start_warmup()
warmup.start_warmup()  # once per process
after = min(collect() for _ in range(3))
print(n, gc.get_freeze_count(), before, after)
"""
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    n, frozen, before, after = run.stdout.split()
    assert int(frozen) >= 0.9 * int(n) > 100_000
    assert float(after) < float(before) / 10, (before, after)


def test_the_warm_up_starts_with_the_default_run_a_lesson_opens_with():
    from ui import warmup

    assert [j.__name__ for j in warmup.warm_jobs()][:2] == ["inpainting mnist", "mnar_opening"]


