"""The SQLite toolkit under the cache: connections, probes, transactions, result codes and
the one retry policy for a database that another process holds locked.

Nothing here knows what the cache stores or what a failure means for a run; the callers
decide that (store.py goes on without the cache, manage.py raises CacheError).
"""

from __future__ import annotations

import contextlib
import errno
import random
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

# How long one statement waits for another process's write lock (SQLite's busy handler),
# and how many times an operation is tried in all before the lock is given up on.
BUSY_TIMEOUT_SECONDS = 20.0
LOCK_ATTEMPTS = 4
# A file this size or smaller gets `PRAGMA quick_check` when opened (about 0.1 s per 100 MB);
# larger ones get a cheaper probe, and damage found later is handled the same way.
QUICK_CHECK_MAX_BYTES = 256 * 1024 * 1024

# SQLite primary result codes (https://sqlite.org/rescode.html).
PERM, BUSY, LOCKED, READONLY, IOERR = 3, 5, 6, 8, 10
CORRUPT, FULL, CANTOPEN, NOTADB = 11, 13, 14, 26
# A location the cache can be read from, perhaps, but not written to.
UNWRITABLE = frozenset({PERM, READONLY, IOERR, FULL, CANTOPEN})


class Damaged(sqlite3.DatabaseError):
    """The file is not a usable SQLite database (what SQLITE_CORRUPT says, found by a probe)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.sqlite_errorcode = CORRUPT


def code(exc: BaseException) -> int | None:
    """SQLite's primary result code of an error (Python 3.11 gives every error raised by
    SQLite its code); an OSError from preparing the folder counts as CANTOPEN or FULL."""
    value = getattr(exc, "sqlite_errorcode", None)
    if value is not None:
        return value & 0xFF
    if isinstance(exc, OSError):
        return FULL if exc.errno == errno.ENOSPC else CANTOPEN
    return None


def is_busy(exc: BaseException) -> bool:
    return code(exc) in (BUSY, LOCKED)


def is_damage(exc: BaseException) -> bool:
    return code(exc) in (CORRUPT, NOTADB)


def reason(exc: BaseException) -> str:
    """One line for a message: what went wrong, without the exception's type."""
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    return str(exc) or type(exc).__name__


def with_retry(operation: Callable[[], T], *, attempts: int = LOCK_ATTEMPTS) -> T:
    """Run `operation`; while SQLite says the database is busy or locked, back off and run it
    again, `attempts` times in all. Any other error, and the last busy one, is raised: what a
    failure means (an error for a command, a warning for a run) is the caller's to decide.

    SQLite's busy timeout already waits inside each statement; this loop, with a jittered
    back-off, is for a lock held longer than that and for what SQLite refuses without waiting.
    """
    for attempt in range(attempts):
        try:
            return operation()
        except sqlite3.Error as exc:
            if not is_busy(exc) or attempt >= attempts - 1:
                raise
            _back_off(attempt)
    raise ValueError(f"attempts must be at least 1, not {attempts}")


def _back_off(attempt: int) -> None:
    # Jittered, so that processes that collided do not collide again.
    time.sleep(min(2.0, 0.05 * 2**attempt) * (0.5 + random.random()))


def connect(path: Path, *, timeout: float = BUSY_TIMEOUT_SECONDS) -> sqlite3.Connection:
    """A read-write connection in WAL mode with synchronous=NORMAL, in autocommit mode
    (transactions are explicit, see `transaction`), usable from any thread."""
    connection = sqlite3.connect(
        path,
        timeout=timeout,
        isolation_level=None,
        check_same_thread=False,
    )
    try:
        if connection.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
    except BaseException:
        connection.close()
        raise
    return connection


def connect_read_only(
    path: Path, mode: str, *, timeout: float = BUSY_TIMEOUT_SECONDS
) -> sqlite3.Connection:
    """A connection that cannot write; `mode` is "mode=ro" or "immutable=1"."""
    return sqlite3.connect(
        f"{path.absolute().as_uri()}?{mode}",
        uri=True,
        timeout=timeout,
        isolation_level=None,
        check_same_thread=False,
    )


def probe(connection: sqlite3.Connection, path: Path, *, thorough: bool = False) -> None:
    """Raise Damaged unless the file reads as a sound SQLite database."""
    try:
        connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
        size = path.stat().st_size if path.exists() else 0
        if thorough or size <= QUICK_CHECK_MAX_BYTES:
            result = connection.execute("PRAGMA quick_check(1)").fetchone()[0]
            if result != "ok":
                raise Damaged(result.splitlines()[-1])
    except Damaged:
        raise
    except sqlite3.DatabaseError as exc:
        if is_damage(exc):
            raise Damaged(str(exc)) from exc
        raise


def is_healthy(path: Path, *, timeout: float = BUSY_TIMEOUT_SECONDS) -> bool:
    """Whether the file is absent or sound (checked thoroughly, whatever its size)."""
    if not path.exists():
        return True
    connection = None
    try:
        connection = sqlite3.connect(path, timeout=timeout, isolation_level=None)
        probe(connection, path, thorough=True)
        return True
    except sqlite3.DatabaseError:
        return False
    finally:
        close_quietly(connection)


def close_quietly(connection: sqlite3.Connection | None) -> None:
    if connection is not None:
        with contextlib.suppress(sqlite3.Error):
            connection.close()


@contextlib.contextmanager
def transaction(connection: sqlite3.Connection) -> Iterator[None]:
    """BEGIN IMMEDIATE ... COMMIT, rolled back on any error."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            connection.execute("ROLLBACK")
        raise
    try:
        connection.execute("COMMIT")
    except sqlite3.Error:
        with contextlib.suppress(sqlite3.Error):
            connection.execute("ROLLBACK")
        raise


def compact(connection: sqlite3.Connection) -> None:
    """Give the space of deleted entries back to the file system."""
    connection.execute("VACUUM")
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
