"""Settings for the whole suite."""
import os

# The app's warm-up (docs/DEPLOY.md, "A class on one server") computes every page's default view in a background thread
# of the server process; under pytest that thread would compete with the tests for the CPU. The tests of the warm-up
# run its jobs themselves, in the foreground (tests/app/test_inpainting.py, tests/app/test_mnar.py,
# tests/test_startup.py).
os.environ.setdefault("DGM_WARMUP", "0")


# `make check`, the fast tier, leaves out the tests marked slow: those below whose tests train models, start servers or
# fresh interpreters, or run whole pages many times, each taking seconds (measured with `pytest --durations=50`);
# `make test` runs them all.
SLOW_FILES = {
    "tests/app/test_mnar.py", "tests/app/test_mnar_grid.py", "tests/app/test_mnar_images.py",
    "tests/app/test_inpainting.py",
    "tests/app/test_rerun_costs.py", "tests/app/test_critics.py", "tests/app/test_gan.py", "tests/app/test_latent.py",
    "tests/app/test_vae_page.py", "tests/app/test_clusters.py", "tests/app/test_results.py",
    "tests/app/test_chain_player.py", "tests/app/test_hostile_files.py",
    "tests/dgm_core/test_serving.py", "tests/dgm_core/test_mnar_demo.py", "tests/dgm_core/test_notmiwae.py",
    "tests/dgm_core/test_toy_gan.py", "tests/dgm_core/test_training.py", "tests/dgm_core/test_wgan.py",
    "tests/dgm_core/test_budgets.py", "tests/dgm_core/test_flow.py", "tests/dgm_core/test_critics.py",
    "tests/dgm_core/test_mnar_experiment.py", "tests/dgm_core/test_vae_gmm.py",
    "tests/test_startup.py", "tests/test_nginx_replicas.py", "tests/test_deploy.py",
    "tests/test_no_streamlit_in_core.py",
    "tests/test_first_view.py", "tests/test_class_load.py", "tests/test_chain_play.py",
}


def pytest_collection_modifyitems(config, items):
    import pytest

    root = config.rootpath
    for item in items:
        if str(item.path.relative_to(root)) in SLOW_FILES:
            item.add_marker(pytest.mark.slow)
