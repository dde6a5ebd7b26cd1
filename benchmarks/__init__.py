"""Benchmark scripts: `python -m dgm_core bench <name>` runs benchmarks/<name>.py's main(argv)."""
