"""Cache.get_or_compute, as the stages use it (the cache package has its own, fuller tests)."""

import pytest

from summarizer.cache import Cache, NullCache


def test_misses_are_computed_once_and_each_batch_is_stored_before_a_failure(tmp_path):
    cache = Cache(tmp_path / "c")
    asked = []

    def compute(misses):
        asked.append(misses)
        yield {misses[0]: "A"}
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError, match="killed"):
        cache.get_or_compute("t", lambda: "m", {"s": 1}, ["a", "b", "a"], compute)
    assert asked == [["a", "b"]]
    lookup = cache.get_or_compute("t", lambda: "m", {"s": 1}, ["b", "a"], lambda m: [{"b": "B"}])
    assert lookup.values == {"a": "A", "b": "B"} and lookup.computed == ["b"]


def test_null_cache_computes_everything_and_needs_no_identity():
    def no_identity():
        raise AssertionError("identity asked")

    lookup = NullCache().get_or_compute(
        "t", no_identity, {}, ["x", "y", "x"], lambda misses: [dict.fromkeys(misses, "v")]
    )
    assert lookup.values == {"x": "v", "y": "v"} and lookup.computed == ["x", "y"]
