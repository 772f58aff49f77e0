"""Benchmarks, run from the repository root: `python -m benchmarks.article` (one article, the
naive path against both engines) and `python -m benchmarks.folder` (folder mode, memory).

Their models come from tests/model_builders.py, shared with the tests."""
