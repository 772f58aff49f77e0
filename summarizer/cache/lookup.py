"""get_or_compute: the one way the stages use the cache. Keys for every distinct input,
one look-up, only the misses computed, and each computed batch stored as soon as it is
yielded, so that an interrupted run keeps what it finished. NullCache (--no-cache) goes
through the same steps with a store that never has anything and keeps nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

from summarizer.cache.keys import make_key

# Given the misses (distinct, in first-seen order), yields input -> value mappings as
# batches finish.
Compute = Callable[[list[str]], Iterable[Mapping[str, str]]]


@dataclass
class Lookup:
    """What get_or_compute found and made."""

    # Every distinct input -> its value (cached or computed now), in first-seen order.
    values: dict[str, str]
    # The distinct inputs that were computed now (the misses), in first-seen order.
    computed: list[str]


class Store(Protocol):
    def get_many(self, keys: Iterable[str]) -> dict[str, str]: ...

    def put_many(self, task: str, model: str, items: Mapping[str, str]) -> None: ...


def check_text(items: Mapping[str, str]) -> None:
    """Values are plain text, never pickled objects: refuse anything else at once."""
    for value in items.values():
        if not isinstance(value, str):
            raise TypeError(f"cache values are text, not {type(value).__name__}")


def get_or_compute(
    store: Store,
    task: str,
    identity: Callable[[], str],
    settings: Mapping[str, object],
    inputs: Iterable[str],
    compute: Compute,
) -> Lookup:
    """Each distinct input's value: all looked up in one get_many, only the misses computed.

    `compute` gets the misses and yields input -> value mappings as batches finish; each
    is stored at once (one put_many, one transaction), so an exception from `compute`
    propagates with the earlier batches already kept. `identity` is called for the look-up
    keys and again before each store: a hub model's commit is only known once it is loaded.
    """
    distinct = list(dict.fromkeys(inputs))
    if not distinct:
        return Lookup({}, [])
    model = identity()
    keys = {text: make_key(task, model, settings, text) for text in distinct}
    found = store.get_many(keys.values())
    values = {text: found[keys[text]] for text in distinct if keys[text] in found}
    misses = [text for text in distinct if text not in values]
    for batch in compute(misses) if misses else ():
        batch = dict(batch)
        check_text(batch)
        if batch:
            model = identity()
            store.put_many(
                task, model, {make_key(task, model, settings, t): v for t, v in batch.items()}
            )
        values.update(batch)
    missing = [text for text in misses if text not in values]
    if missing:
        raise ValueError(
            f"compute gave no value for {len(missing)} of {len(misses)} input(s), "
            f"such as {missing[0][:60]!r}"
        )
    return Lookup({text: values[text] for text in distinct}, misses)


class NullCache:
    """--no-cache: every look-up misses and nothing is stored, so everything is computed.

    Not a Cache: it has no file, so nothing to open, warn about or manage."""

    def get_many(self, keys: Iterable[str]) -> dict[str, str]:
        return {}

    def put_many(self, task: str, model: str, items: Mapping[str, str]) -> None:
        check_text(items)

    def get_or_compute(
        self,
        task: str,
        identity: Callable[[], str],
        settings: Mapping[str, object],
        inputs: Iterable[str],
        compute: Compute,
    ) -> Lookup:
        """Every distinct input computed, in the same steps as Cache.get_or_compute."""
        return get_or_compute(self, task, identity, settings, inputs, compute)

    def close(self) -> None:
        return None
