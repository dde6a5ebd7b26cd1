"""Benchmark scripts: `python -m dgm_core bench <name>` runs `python -m benchmarks.<name>` in a child process;
each writes benchmarks/results/<name>.json (+ .md) with every figure it prints."""
