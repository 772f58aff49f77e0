"""get_or_compute: the one way the stages use the cache. Keys for every distinct input,
one look-up, only the misses computed, and each computed batch stored as soon as it is
yielded, so that an interrupted run keeps what it finished. An input too long for its model
is computed in pieces (`split`): each piece is stored as its batch finishes, and the input
itself once its last piece is done. NullCache (--no-cache) goes through the same steps with
a store that never has anything and keeps nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

from summarizer.cache.keys import make_key

# Given the misses (distinct, in first-seen order), yields input -> value mappings as
# batches finish.
Compute = Callable[[list[str]], Iterable[Mapping[str, str]]]
# An input -> the pieces it is computed from, in order ([input] when it is computed whole).
Split = Callable[[str], list[str]]


@dataclass
class Lookup:
    """What get_or_compute found and made."""

    # Every distinct input -> its value (cached or computed now), in first-seen order
    # (with `partial`, only those that have one).
    values: dict[str, str]
    # The distinct inputs that needed the model now (at least one piece computed), in
    # first-seen order. An input whose pieces were all stored already is not one of them.
    computed: list[str]


class Store(Protocol):
    def get_many(self, keys: Iterable[str]) -> dict[str, str]: ...

    def put_many(self, task: str, model: str, items: Mapping[str, str]) -> None: ...


def check_text(items: Mapping[str, str]) -> None:
    """Values are plain text, never pickled objects: refuse anything else at once."""
    for value in items.values():
        if not isinstance(value, str):
            raise TypeError(f"cache values are text, not {type(value).__name__}")


@dataclass
class _Entries:
    """One task's entries for one model and settings: keys, look-ups, stores."""

    store: Store
    task: str
    identity: Callable[[], str]
    settings: Mapping[str, object]

    def get(self, texts: list[str]) -> dict[str, str]:
        """The stored values of those texts that have one (one get_many)."""
        if not texts:
            return {}
        model = self.identity()
        keys = {text: make_key(self.task, model, self.settings, text) for text in texts}
        found = self.store.get_many(keys.values())
        return {text: found[key] for text, key in keys.items() if key in found}

    def put(self, items: Mapping[str, str]) -> None:
        """One put_many (one transaction). `identity` is asked again before each store: a
        hub model's commit is only known once it is loaded."""
        check_text(items)
        if items:
            model = self.identity()
            self.store.put_many(
                self.task,
                model,
                {make_key(self.task, model, self.settings, t): v for t, v in items.items()},
            )


def get_or_compute(
    store: Store,
    task: str,
    identity: Callable[[], str],
    settings: Mapping[str, object],
    inputs: Iterable[str],
    compute: Compute,
    *,
    split: Split | None = None,
    join: Callable[[list[str]], str] = " ".join,
    partial: bool = False,
) -> Lookup:
    """Each distinct input's value: all looked up in one get_many, only the misses computed.

    `compute` gets the misses and yields input -> value mappings as batches finish; each
    is stored at once (one put_many, one transaction), so an exception from `compute`
    propagates with the earlier batches already kept.

    With `split`, each miss is cut into pieces first; the pieces not stored yet go to
    `compute`, each stored as its batch finishes (a piece that is the whole input has the
    input's own key), and a miss's value, its pieces' values joined by `join`, is stored
    with the batch that completes it, so that a later run needs no split at all.

    A miss `compute` gives no value for is a ValueError; with `partial`, it is left out of
    the Lookup instead (the caller knows why: summarize.py's texts that failed).
    """
    distinct = list(dict.fromkeys(inputs))
    entries = _Entries(store, task, identity, settings)
    values = entries.get(distinct)
    misses = [text for text in distinct if text not in values]
    computed: list[str] = []
    if misses:
        pieces_of = {text: split(text) if split else [text] for text in misses}
        computed = _compute_pieces(entries, pieces_of, compute, join, values)
    missing = [text for text in misses if text not in values]
    if missing and not partial:
        raise ValueError(
            f"compute gave no value for {len(missing)} of {len(misses)} input(s), "
            f"such as {missing[0][:60]!r}"
        )
    return Lookup(
        {text: values[text] for text in distinct if text in values},
        [text for text in computed if text in values],
    )


def _compute_pieces(
    entries: _Entries,
    pieces_of: dict[str, list[str]],
    compute: Compute,
    join: Callable[[list[str]], str],
    values: dict[str, str],
) -> list[str]:
    """Fills in `values` for the misses (`pieces_of`'s keys); returns those computed now."""
    wanted = list(dict.fromkeys(piece for pieces in pieces_of.values() for piece in pieces))
    # The misses themselves were just looked up; the other pieces may be an earlier run's.
    pieces = entries.get([piece for piece in wanted if piece not in pieces_of])
    todo = [piece for piece in wanted if piece not in pieces]
    # Each input's pieces still to compute, and the inputs waiting for each piece.
    waiting = {text: set(parts).difference(pieces) for text, parts in pieces_of.items()}
    owners: dict[str, list[str]] = {}
    for text, missing in waiting.items():
        for piece in missing:
            owners.setdefault(piece, []).append(text)

    def whole(texts: Iterable[str]) -> dict[str, str]:
        return {text: join([pieces[p] for p in pieces_of[text]]) for text in texts}

    ready = whole(text for text, missing in waiting.items() if not missing)
    entries.put(ready)  # every piece stored already: nothing to compute
    values.update(ready)
    for batch in compute(todo) if todo else ():
        batch = dict(batch)
        check_text(batch)
        pieces.update(batch)
        completed = []
        for piece in batch:
            for text in owners.pop(piece, ()):
                waiting[text].discard(piece)
                completed += [] if waiting[text] else [text]
        ready = whole(completed)
        entries.put({**batch, **ready})
        values.update(ready)
    new = set(todo)
    return [text for text, parts in pieces_of.items() if new.intersection(parts)]


class ComputesMisses:
    """`get_or_compute` over the class's own get_many and put_many: written once for the
    Cache and the NullCache."""

    def get_or_compute(
        self,
        task: str,
        identity: Callable[[], str],
        settings: Mapping[str, object],
        inputs: Iterable[str],
        compute: Compute,
        *,
        split: Split | None = None,
        join: Callable[[list[str]], str] = " ".join,
        partial: bool = False,
    ) -> Lookup:
        """Each distinct input's value, only the misses computed, each batch stored as it is
        yielded; `split` keeps long inputs in pieces, `join` makes their values one;
        `partial` leaves out the misses compute gave no value for (see get_or_compute
        above)."""
        return get_or_compute(
            self, task, identity, settings, inputs, compute, split=split, join=join, partial=partial
        )


class NullCache(ComputesMisses):
    """--no-cache: every look-up misses and nothing is stored, so everything is computed.

    Not a Cache: it has no file, so nothing to open, warn about or manage."""

    def get_many(self, keys: Iterable[str]) -> dict[str, str]:
        return {}

    def put_many(self, task: str, model: str, items: Mapping[str, str]) -> None:
        check_text(items)

    def close(self) -> None:
        return None
