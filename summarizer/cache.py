"""On-disk cache of model outputs, in SQLite.

Every value is plain text. A key is the hash of everything that decides an output (cache
schema, task, model identity, generation settings, input text), so a changed setting can
never be served a stale result and an unchanged one never recomputes.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from summarizer.errors import SummarizerError

CACHE_DIR_ENV = "SUMMARIZER_CACHE_DIR"
CACHE_FILE = "cache.sqlite3"
# Bumped whenever the meaning of a key or a value changes; part of every key.
SCHEMA_VERSION = 1
# SQLite's default limit on bound parameters is 32766; stay far below it.
_LOOKUP_CHUNK = 500
_CACHEDIR_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by summarizer.\n"
    "# For information about cache directory tags see https://bford.info/cachedir/\n"
)


def default_cache_dir() -> Path:
    """$SUMMARIZER_CACHE_DIR, else the platform's user cache folder; read at call time."""
    override = os.environ.get(CACHE_DIR_ENV)
    if override:
        return Path(override).expanduser()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("summarizer", appauthor=False))


def make_key(task: str, model_identity: str, settings: Mapping[str, object], text: str) -> str:
    """A stable hash of everything that decides one model output."""
    material = json.dumps(
        [SCHEMA_VERSION, task, model_identity, dict(sorted(settings.items())), text],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


@dataclass
class CacheStats:
    hits: int = 0
    misses: int = 0


class Cache:
    """Key -> text store; get_many/put_many so a whole batch costs one query."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = Path(directory) if directory is not None else default_cache_dir()
        self.path = self.directory / CACHE_FILE
        self._connection: sqlite3.Connection | None = None

    def _connect(self) -> sqlite3.Connection:
        if self._connection is None:
            try:
                self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
                tag = self.directory / "CACHEDIR.TAG"
                if not tag.exists():
                    tag.write_text(_CACHEDIR_TAG, encoding="ascii")
                connection = sqlite3.connect(self.path, timeout=30, isolation_level=None)
                connection.execute("PRAGMA journal_mode=WAL")
                connection.execute("PRAGMA synchronous=NORMAL")
                connection.execute(
                    "CREATE TABLE IF NOT EXISTS entries ("
                    " key TEXT PRIMARY KEY, task TEXT NOT NULL, model TEXT NOT NULL,"
                    " value TEXT NOT NULL, created REAL NOT NULL, accessed REAL NOT NULL)"
                )
            except (OSError, sqlite3.Error) as exc:
                raise SummarizerError(
                    f"cannot open the cache at {self.path}: {exc}; "
                    "use --cache-dir DIR or --no-cache"
                ) from exc
            self._connection = connection
        return self._connection

    def get_many(self, keys: Iterable[str]) -> dict[str, str]:
        """The cached values of those keys that are present."""
        wanted = list(dict.fromkeys(keys))
        if not wanted:
            return {}
        connection = self._connect()
        found: dict[str, str] = {}
        for start in range(0, len(wanted), _LOOKUP_CHUNK):
            part = wanted[start : start + _LOOKUP_CHUNK]
            marks = ",".join("?" * len(part))
            rows = connection.execute(
                f"SELECT key, value FROM entries WHERE key IN ({marks})", part
            ).fetchall()
            found.update(rows)
        return found

    def put_many(self, task: str, model: str, items: Mapping[str, str]) -> None:
        """Store a batch in one transaction: it is all there after a crash, or none of it."""
        if not items:
            return
        connection = self._connect()
        now = time.time()
        with _transaction(connection):
            connection.executemany(
                "INSERT OR REPLACE INTO entries (key, task, model, value, created, accessed)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                [(key, task, model, value, now, now) for key, value in items.items()],
            )

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


class _transaction:
    """BEGIN IMMEDIATE ... COMMIT, rolled back on any error."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection

    def __enter__(self) -> None:
        self.connection.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type, exc, tb) -> None:
        self.connection.execute("ROLLBACK" if exc_type else "COMMIT")


class NullCache(Cache):
    """--no-cache: every lookup misses, nothing is written."""

    def __init__(self) -> None:
        super().__init__(Path(os.devnull))

    def get_many(self, keys: Iterable[str]) -> dict[str, str]:
        return {}

    def put_many(self, task: str, model: str, items: Mapping[str, str]) -> None:
        return None
