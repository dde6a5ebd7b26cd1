"""Settings for the whole suite."""
import json
import math
import os
from pathlib import Path

# The app's warm-up (docs/DEPLOY.md, "A class on one server") computes every page's default view in a background thread
# of the server process; under pytest that thread would compete with the tests for the CPU. The tests of the warm-up
# run its jobs themselves, in the foreground (tests/app/test_inpainting.py, tests/app/test_mnar.py,
# tests/test_startup.py).
os.environ.setdefault("DGM_WARMUP", "0")


# `make check`, the fast tier, leaves out the tests marked slow: those whose time (setup, call and teardown) measured
# by tools/measure_slow.py, recorded in tests/slow_tests.json, is over the record's threshold, and those not recorded
# yet in a file that has a slow test (a new test beside slow ones is likely slow too); `make test` runs them all.
SLOW_RECORD = Path(__file__).with_name("slow_tests.json")
# A file the record has not measured falls back on this list, kept by hand before the record (each of its tests took
# seconds, by `pytest --durations=50`); any other file runs in the fast tier until it is measured.
SLOW_FILES = {
    "tests/app/test_mnar.py", "tests/app/test_mnar_grid.py", "tests/app/test_mnar_images.py",
    "tests/app/test_inpainting.py",
    "tests/app/test_rerun_costs.py", "tests/app/test_critics.py", "tests/app/test_gan.py", "tests/app/test_latent.py",
    "tests/app/test_vae_page.py", "tests/app/test_clusters.py", "tests/app/test_results.py",
    "tests/app/test_chain_player.py", "tests/app/test_hostile_files.py",
    "tests/server/test_serving.py", "tests/dgm_core/test_mnar_demo.py", "tests/dgm_core/test_notmiwae.py",
    "tests/dgm_core/test_toy_gan.py", "tests/dgm_core/test_training.py", "tests/dgm_core/test_wgan.py",
    "tests/dgm_core/test_budgets.py", "tests/dgm_core/test_flow.py", "tests/dgm_core/test_critics.py",
    "tests/dgm_core/test_train_all.py", "tests/dgm_core/test_flow_smc.py", "tests/dgm_core/test_flow_samples.py",
    "tests/dgm_core/test_mnar_experiment.py", "tests/dgm_core/test_vae_gmm.py",
    "tests/test_startup.py", "tests/test_nginx_replicas.py", "tests/test_deploy.py",
    "tests/test_no_streamlit_in_core.py",
    "tests/test_first_view.py", "tests/test_class_load.py", "tests/test_chain_play.py",
}


def slow_tests() -> tuple[dict[str, float], float]:
    """The record's seconds by test id and its threshold (no record: none)."""
    if not SLOW_RECORD.exists():
        return {}, math.inf
    record = json.loads(SLOW_RECORD.read_text())
    return record["seconds"], record["threshold_s"]


def pytest_collection_modifyitems(config, items):
    import pytest

    seconds, threshold = slow_tests()
    measured = {test.split("::")[0] for test in seconds}
    slow_files = {test.split("::")[0] for test, t in seconds.items() if t > threshold}
    for item in items:
        file, recorded = item.nodeid.split("::")[0], seconds.get(item.nodeid)
        if recorded is not None:
            slow = recorded > threshold
        else:
            slow = file in slow_files or file not in measured and file in SLOW_FILES
        if slow:
            item.add_marker(pytest.mark.slow)
