"""One of several processes hammering the same cache (see tests/test_cache.py).

    python -m tests.cache_worker CACHE_DIR SEED BATCHES

Writes and reads random, overlapping batches of keys whose value is a function of the key,
checks every value it reads, and prints the keys it wrote as JSON. Exits 1 on a wrong value
and 2 if the cache warned (a lock given up, a damaged file): neither may happen.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

from summarizer.cache import Cache

KEYS = 3000


def value_of(key: str) -> str:
    number = int(key[1:])
    return f"{key}: " + "é" * (number % 200)


def main(directory: str, seed: int, batches: int) -> int:
    rng = random.Random(seed)
    warned: list[str] = []
    cache = Cache(Path(directory), on_warning=lambda warning: warned.append(str(warning)))
    written: set[str] = set()
    for _ in range(batches):
        keys = [f"k{rng.randrange(KEYS)}" for _ in range(rng.randint(1, 60))]
        if rng.random() < 0.6:
            cache.put_many("translation", f"model-{seed % 3}", {k: value_of(k) for k in keys})
            written.update(keys)
        found = cache.get_many(keys)
        if any(value != value_of(key) for key, value in found.items()):
            print("wrong value read", file=sys.stderr)
            return 1
        if not written.intersection(keys) <= set(found):
            print("a key written by this process is missing", file=sys.stderr)
            return 1
        if rng.random() < 0.05:
            cache.close()  # the next call opens, checks and migrates again, concurrently
    cache.close()
    if warned:
        print("\n".join(warned), file=sys.stderr)
        return 2
    print(json.dumps(sorted(written)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
