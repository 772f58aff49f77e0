"""The cache file's tables, and the migrations that bring an older file up to date."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from summarizer.cache.sqlite import transaction


# Schema migrations, applied in order; the number applied is the schema version stored in
# the `meta` table. Never edit one that has shipped: append a new one.
def _m001_create_entries(connection: sqlite3.Connection) -> None:
    # The layout of summarizer 0.1.0, whose files have no `meta` table (version 0).
    connection.execute(
        "CREATE TABLE IF NOT EXISTS entries ("
        " key TEXT PRIMARY KEY, task TEXT NOT NULL, model TEXT NOT NULL,"
        " value TEXT NOT NULL, created REAL NOT NULL, accessed REAL NOT NULL)"
    )


def _m002_index_access_time_and_model(connection: sqlite3.Connection) -> None:
    # `cache prune` removes the least recently used entries first; `cache info` and
    # `cache clear --model` group by task and model.
    connection.execute("CREATE INDEX IF NOT EXISTS entries_accessed ON entries (accessed)")
    connection.execute("CREATE INDEX IF NOT EXISTS entries_task_model ON entries (task, model)")


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [
    _m001_create_entries,
    _m002_index_access_time_and_model,
]
SCHEMA_VERSION = len(MIGRATIONS)


def schema_version(connection: sqlite3.Connection) -> int:
    """The version recorded in the file; 0 for a new file or one from summarizer 0.1.0."""
    has_meta = connection.execute(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'meta'"
    ).fetchone()[0]
    if not has_meta:
        return 0
    row = connection.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    return int(row[0]) if row else 0


def migrate(connection: sqlite3.Connection) -> int:
    """Bring the file's schema up to date. Returns the version the file had: one above
    SCHEMA_VERSION means that a newer release wrote it, and then nothing is changed."""
    version = schema_version(connection)
    if version >= SCHEMA_VERSION:
        return version
    with transaction(connection):
        # Another process may have migrated while we waited for the lock.
        version = schema_version(connection)
        if version >= SCHEMA_VERSION:
            return version
        connection.execute(
            "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"
        )
        for migration in MIGRATIONS[version:]:
            migration(connection)
        connection.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)",
            (str(SCHEMA_VERSION),),
        )
    return version
