"""The lesson's results are the class's: after the warm-up, one student's 70 own server Runs (each its own entry in
the shared cache, as large as the default Run's) leave the warm-up's result where it was, and a fresh Inpainting page
shows it at once ("Shared: computed at server start")."""
from __future__ import annotations

import copy

from streamlit.testing.v1 import AppTest

from server import Job, key_of, warmup
from tests.app import PAGES
from ui import serving
from ui.warmup import warm_jobs


def test_seventy_own_runs_leave_the_lessons_result_shown_at_once(monkeypatch):
    monkeypatch.setattr(serving, "_serving", None)  # a server just started: no other test's results in its cache
    shared = serving.shared()
    (warmed,) = warmup.warm(shared, [j for j in warm_jobs() if j.__name__ == "inpainting mnist"])
    default = shared.peek(warmed).value
    for i in range(70):  # a student's own Runs: other inputs (inp_mseed=i), each computed and kept for its session
        shared.run(Job(key_of("own run", i), lambda p: copy.deepcopy(default), "inpainting"), "a-student:inp_run")
    assert len(shared.cache) <= shared.cache.max_entries and warmed in shared.cache
    at = AppTest.from_file(str(PAGES / "inpainting.py"), default_timeout=120).run()
    at.button(key="inp_run").click().run()
    assert not at.exception
    assert any(c.value.startswith("Shared: computed at server start") for c in at.caption), \
        [c.value for c in at.caption]
