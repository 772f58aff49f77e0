"""How a translator's pieces are cut into batches: by length, each batch with one output
bound that depends on its pieces' own length, so that an output never depends on its batch
companions (issue 11)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

# Translations rarely run past twice their source length; a runaway repetition is stopped
# there instead of at the model's 512-token ceiling.
OUTPUT_LENGTH_FACTOR = 2
OUTPUT_LENGTH_SLACK = 16
# The bound is computed from the input's length rounded up to a bucket (length_bucket), the
# smallest of which is this many tokens: sentences of similar length share a batch.
MIN_LENGTH_BUCKET = 16


def plan_batches(
    pieces: list[str],
    batch_size: int,
    parallel: int = 1,
    group: Callable[[str], Any] | None = None,
) -> list[list[str]]:
    """Sorted pieces cut into batches of at most `batch_size`, never two pieces of
    different `group` in one batch, each group's batches of even sizes; their number a
    multiple of `parallel` where there are enough pieces: a model that runs batches side
    by side gets work for every thread, even from a short article."""
    runs = [list(run) for _key, run in itertools.groupby(pieces, key=group or (lambda _: 0))]
    counts = [-(-len(run) // batch_size) for run in runs]
    wanted = min(len(pieces), -(-sum(counts) // parallel) * parallel)
    while sum(counts) < wanted:
        # One more batch where batches are largest (there is one with room to split).
        index = max(range(len(runs)), key=lambda i: len(runs[i]) / counts[i])
        counts[index] += 1
    return [batch for run, count in zip(runs, counts, strict=True) for batch in _cut(run, count)]


def _cut(run: list[str], count: int) -> list[list[str]]:
    """`run` cut into `count` consecutive batches whose sizes differ by one at most."""
    size, extra = divmod(len(run), count)
    batches, start = [], 0
    for index in range(count):
        end = start + size + (1 if index < extra else 0)
        batches.append(run[start:end])
        start = end
    return batches


def length_bucket(tokens: int) -> int:
    """`tokens` rounded up to the next of 16, 24, 32, 48, 64, 96, ... (each step a
    half or a third more than the one before), so that pieces of similar length share an
    output bound, and with it a batch."""
    bucket = MIN_LENGTH_BUCKET
    while bucket < tokens:
        bucket = bucket * 3 // 2 if bucket & (bucket - 1) == 0 else bucket // 3 * 4
    return bucket


def bounded_settings(settings: dict[str, Any], input_tokens: int) -> dict[str, Any]:
    """generate() settings with max_new_tokens bounded by the input's own length (rounded
    up to its length bucket): a function of the input alone, as the cache key requires."""
    bound = OUTPUT_LENGTH_FACTOR * length_bucket(input_tokens) + OUTPUT_LENGTH_SLACK
    bounded = dict(settings)
    bounded["max_new_tokens"] = min(settings.get("max_new_tokens", bound), bound)
    bounded.pop("max_length", None)
    return bounded
