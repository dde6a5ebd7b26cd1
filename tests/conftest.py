"""Settings for the whole suite."""
import os

# The app's warm-up (README, "Serving a class") computes every page's default view in a background thread of the
# server process; under pytest that thread would compete with the tests for the CPU. tests/app/test_serving_pages.py
# runs the warm-up itself, in the foreground.
os.environ.setdefault("DGM_WARMUP", "0")
