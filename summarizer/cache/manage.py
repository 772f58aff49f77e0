"""`summarizer cache info|prune|clear`: plain functions over a Cache that raise CacheError
when they cannot do their job (there the cache is the job, unlike in a run). A cache that
does not exist yet is reported as empty, and nothing is created."""

from __future__ import annotations

import math
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from summarizer.cache import folder
from summarizer.cache import sqlite as db
from summarizer.cache.keys import model_matches
from summarizer.cache.store import Cache
from summarizer.errors import CacheError

T = TypeVar("T")


@dataclass(frozen=True)
class ModelUsage:
    """The entries of one task and model, for `cache info`."""

    task: str
    model: str
    entries: int
    # Bytes of keys and values (the file holds some more: pages, indexes).
    size: int
    # When one of them was last served or stored (seconds since the epoch).
    last_used: float


@dataclass(frozen=True)
class CacheInfo:
    path: Path
    exists: bool
    # The database file and its write-ahead log.
    size_on_disk: int
    entries: int
    # Creation times of the oldest and newest entries; None when there is none.
    oldest: float | None
    newest: float | None
    models: list[ModelUsage] = field(default_factory=list)
    # Damaged files moved aside when they were found (kept for inspection).
    set_aside: list[Path] = field(default_factory=list)


@dataclass(frozen=True)
class PruneResult:
    removed: int
    size_before: int
    size_after: int


def info(cache: Cache) -> CacheInfo:
    """Location, size on disk, and entries per task and model; creates nothing."""
    with cache.lock:
        if not cache.path.exists():
            return CacheInfo(cache.path, False, 0, 0, None, None, [], set_aside(cache))

        def read(connection: sqlite3.Connection) -> tuple:
            totals = connection.execute(
                "SELECT count(*), min(created), max(created) FROM entries"
            ).fetchone()
            models = [
                ModelUsage(*row)
                for row in connection.execute(
                    "SELECT task, model, count(*),"
                    " sum(length(CAST(key AS BLOB)) + length(CAST(value AS BLOB))),"
                    " max(accessed) FROM entries GROUP BY task, model ORDER BY task, model"
                )
            ]
            return totals, models

        (entries, oldest, newest), models = _run(cache, read, write=False)
        # Listed after opening, which may just have set a damaged file aside.
        return CacheInfo(
            cache.path,
            True,
            size_on_disk(cache),
            entries,
            oldest,
            newest,
            models,
            set_aside(cache),
        )


def count(cache: Cache, model: str | None = None) -> int:
    """Entries in the cache, or those of one model (see model_matches)."""
    with cache.lock:
        if not cache.path.exists():
            return 0

        def read(connection: sqlite3.Connection) -> int:
            if model is None:
                return _count_entries(connection)
            return sum(
                connection.execute(
                    "SELECT count(*) FROM entries WHERE model = ?", (identity,)
                ).fetchone()[0]
                for identity in _identities(connection, model)
            )

        return _run(cache, read, write=False)


def prune(
    cache: Cache, max_bytes: int | None = None, older_than_days: float | None = None
) -> PruneResult:
    """Remove entries not used for `older_than_days`, then the least recently used ones
    until the file is at most `max_bytes`; the file is compacted afterwards."""
    with cache.lock:
        if not cache.path.exists():
            return PruneResult(0, 0, 0)
        before = size_on_disk(cache)
        removed = 0
        if older_than_days is not None:
            cutoff = time.time() - older_than_days * 86400

            def remove_old(connection: sqlite3.Connection) -> int:
                with db.transaction(connection):
                    return connection.execute(
                        "DELETE FROM entries WHERE accessed < ?", (cutoff,)
                    ).rowcount

            removed += _run(cache, remove_old, write=True)
        if max_bytes is not None:
            removed += _shrink_to(cache, max_bytes)  # compacts as it goes
        elif removed:
            _run(cache, db.compact, write=True)
        return PruneResult(removed, before, size_on_disk(cache))


def clear(cache: Cache, model: str | None = None) -> int:
    """Remove every entry, or those of one model (see model_matches); returns how many."""
    with cache.lock:
        if not cache.path.exists():
            return 0

        def remove(connection: sqlite3.Connection) -> int:
            with db.transaction(connection):
                if model is None:
                    return connection.execute("DELETE FROM entries").rowcount
                return sum(
                    connection.execute("DELETE FROM entries WHERE model = ?", (identity,)).rowcount
                    for identity in _identities(connection, model)
                )

        removed = _run(cache, remove, write=True)
        if removed:
            _run(cache, db.compact, write=True)
        return removed


def size_on_disk(cache: Cache) -> int:
    """The database file and its write-ahead log (the -shm index is transient)."""
    return folder.size_on_disk(cache.path)


def set_aside(cache: Cache) -> list[Path]:
    """Damaged files the cache moved aside (kept for inspection, safe to delete)."""
    return folder.damaged_files(cache.directory)


def _run(cache: Cache, operation: Callable[[sqlite3.Connection], T], *, write: bool) -> T:
    """Run a management operation under the one retry policy; any failure is a CacheError."""
    connection = cache.checked_connection(write=write)
    try:
        return db.with_retry(lambda: operation(connection), attempts=cache.lock_attempts)
    except sqlite3.Error as exc:
        problem = f"cannot use the cache at {{path}}: {exc}"
        raise CacheError(problem, path=cache.path) from exc


def _identities(connection: sqlite3.Connection, name: str) -> list[str]:
    stored = [row[0] for row in connection.execute("SELECT DISTINCT model FROM entries")]
    return [identity for identity in stored if model_matches(identity, name)]


def _count_entries(connection: sqlite3.Connection) -> int:
    return connection.execute("SELECT count(*) FROM entries").fetchone()[0]


def _shrink_to(cache: Cache, max_bytes: int) -> int:
    """Delete least recently used entries, compacting, until the file fits."""
    removed = 0
    for _round in range(20):
        # Deleted rows leave free pages behind: only a compacted size can be compared.
        _run(cache, db.compact, write=True)
        size = size_on_disk(cache)
        entries = _run(cache, _count_entries, write=False)
        if size <= max_bytes or entries == 0:
            break
        # Entries are of similar sizes: remove the share of them that is over, and a few
        # more so that the loop rarely needs a second round.
        share = (size - max_bytes) / size
        batch = min(entries, max(1, math.ceil(entries * share * 1.05)))

        def remove_oldest(connection: sqlite3.Connection, batch: int = batch) -> int:
            with db.transaction(connection):
                return connection.execute(
                    "DELETE FROM entries WHERE key IN (SELECT key FROM entries"
                    " ORDER BY accessed, created LIMIT ?)",
                    (batch,),
                ).rowcount

        removed += _run(cache, remove_oldest, write=True)
    else:
        _run(cache, db.compact, write=True)
    return removed
