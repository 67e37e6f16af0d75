"""Benchmarks of the web tier and the database at scale; `python bench/run.py` writes docs/PERFORMANCE.md."""
