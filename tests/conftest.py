"""Settings for the whole suite."""
import os

# The app's warm-up (docs/DEPLOY.md, "A class on one server") computes every page's default view in a background thread
# of the server process; under pytest that thread would compete with the tests for the CPU. The tests of the warm-up
# run its jobs themselves, in the foreground (tests/app/test_inpainting.py, tests/app/test_mnar.py,
# tests/test_startup.py).
os.environ.setdefault("DGM_WARMUP", "0")
