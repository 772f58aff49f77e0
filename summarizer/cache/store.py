"""The cache a run uses: look-ups, stores and get_or_compute, and opening the file.

Every value is plain text, under a key from keys.make_key. The cache must never break a
run. SQLite is used as python-diskcache uses it (see sqlite.py): WAL journal,
synchronous=NORMAL, a busy timeout, BEGIN IMMEDIATE for every write with a bounded retry on
"database is locked", one connection per process (re-opened after fork). Whatever goes
wrong with the file is met the same way: a damaged file is moved aside and rebuilt; a
read-only, full or locked location means going on without writing (a lock held through one
write's retries: no later write waits again); a file from a newer release means going on
without it. Each is said once, through `on_warning` (by default a CacheWarning), and the
run continues. The management functions (manage.py) raise CacheError instead.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sqlite3
import threading
import time
import warnings
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from summarizer.cache import folder, schema
from summarizer.cache import sqlite as db
from summarizer.cache.folder import CACHE_FILE, default_cache_dir
from summarizer.cache.lookup import ComputesMisses, check_text
from summarizer.errors import CacheError, CacheWarning

# SQLite's default limit on bound parameters is 32766; stay far below it.
LOOKUP_CHUNK = 500
# A hit refreshes its entry's `accessed` time (for least-recently-used pruning) only when the
# stored time is older than this, so that a cached run costs at most one small write.
ACCESS_RESOLUTION_SECONDS = 600.0
# Tries at opening (or using) the file; a damaged one is set aside before the next, and a
# file still damaged after that many means giving the cache up.
_TRIES = 3

# The library's advice for a cache folder that cannot be used (the command line has its own).
ANOTHER_FOLDER = f"{folder.CACHE_DIR_ENV} or the cache_dir parameter chooses another folder"

# Opens the read-write connection: Cache(connect=...) is the seam tests fail writes with.
Connect = Callable[[Path], sqlite3.Connection]


class Cache(ComputesMisses):
    """Key -> text store; get_many/put_many so a whole batch costs one query, and
    get_or_compute on top of them for the stages.

    `on_warning` receives each problem once, as a CacheWarning (one line as str(); its
    `kind` says what happened); by default it is issued with warnings.warn. `connect(path)`
    opens the read-write connection (tests give one that fails as a full disk would). Safe
    to share between threads; a forked child opens its own connection.
    """

    def __init__(
        self,
        directory: Path | None = None,
        *,
        on_warning: Callable[[CacheWarning], None] | None = None,
        connect: Connect | None = None,
        busy_timeout: float = db.BUSY_TIMEOUT_SECONDS,
        lock_attempts: int = db.LOCK_ATTEMPTS,
    ) -> None:
        self.directory = Path(directory) if directory is not None else default_cache_dir()
        self.path = self.directory / CACHE_FILE
        self.busy_timeout = busy_timeout
        self.lock_attempts = lock_attempts
        # Held by every call, the management functions' included.
        self.lock = threading.RLock()
        self._on_warning = on_warning
        self._connect = connect or self._default_connect
        self._connection: sqlite3.Connection | None = None
        self._pid: int | None = None
        self._warned: set[str] = set()
        # False once the cache cannot be read at all (then nothing is written either).
        self._readable = True
        # False once a write failed for a reason that will not go away during this run.
        self._writable = True
        # Keys served whose `accessed` time is stale; written with the next write.
        self._touched: set[str] = set()
        # Why the cache is not usable, for the management commands' error message.
        self._unusable_reason = ""

    def _default_connect(self, path: Path) -> sqlite3.Connection:
        return db.connect(path, timeout=self.busy_timeout)

    # -- the run's side: look-ups and stores that never fail a run --------------------------

    def get_many(self, keys: Iterable[str]) -> dict[str, str]:
        """The cached values of those keys that are present."""
        wanted = list(dict.fromkeys(keys))
        if not wanted:
            return {}
        with self.lock:
            found = self._attempt(
                functools.partial(self._select, keys=wanted), write=False, default={}
            )
            if len(self._touched) >= LOOKUP_CHUNK * 4:
                self._flush_access_times()
            return found

    def put_many(self, task: str, model: str, items: Mapping[str, str]) -> None:
        """Store a batch in one transaction: it is all there after a crash, or none of it."""
        if not items:
            return
        check_text(items)
        now = time.time()
        rows = [(key, task, model, value, now, now) for key, value in items.items()]

        def store(connection: sqlite3.Connection) -> None:
            with db.transaction(connection):
                connection.executemany(
                    "INSERT INTO entries (key, task, model, value, created, accessed)"
                    " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET"
                    " value = excluded.value, accessed = excluded.accessed",
                    rows,
                )
                self._write_access_times(connection, now)

        with self.lock:
            self._attempt(store, write=True, default=None, losing=f"{len(rows)} result(s)")

    def close(self) -> None:
        """Record pending access times (best effort) and close the connection."""
        with self.lock:
            self._flush_access_times()
            self._drop_connection()

    def checked_connection(self, *, write: bool) -> sqlite3.Connection:
        """For the management functions: this process's connection, or CacheError saying
        why the cache cannot be read (or changed)."""
        # A cache that cannot be used is this command's error, not a warning before it.
        self._warned.update({"newer", "unusable", "unwritable"})
        connection = self._usable_connection()
        if connection is None or (write and not self._writable):
            raise CacheError(
                f"cannot {'change' if write else 'read'} the cache at {{path}}: "
                f"{self._unusable_reason or 'it is not usable'}",
                path=self.path,
            )
        return connection

    # -- look-ups, stores and access times ------------------------------------------------------

    def _attempt(
        self,
        operation: Callable[[sqlite3.Connection], object],
        *,
        write: bool,
        default: object,
        losing: str = "",
    ):
        """Run a look-up or a store with the failure policy of a run: never raise."""
        for _round in range(_TRIES):
            connection = self._usable_connection()
            if connection is None or (write and not self._writable):
                return default
            try:
                run = functools.partial(operation, connection)
                return db.with_retry(run, attempts=self.lock_attempts)
            except (sqlite3.ProgrammingError, sqlite3.InterfaceError):
                raise  # a mistake in this code, not trouble with the file
            except sqlite3.Error as exc:
                if db.is_damage(exc):
                    if self._recover(exc):
                        continue
                elif db.is_busy(exc):
                    self._busy(write, losing)
                elif write and db.code(exc) in db.UNWRITABLE:
                    self._give_up_writing(exc)
                else:
                    self._give_up(exc)
                return default
        self._give_up(sqlite3.DatabaseError("it stays damaged after being rebuilt"))
        return default

    def _select(self, connection: sqlite3.Connection, keys: list[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        stale_before = time.time() - ACCESS_RESOLUTION_SECONDS
        for start in range(0, len(keys), LOOKUP_CHUNK):
            part = keys[start : start + LOOKUP_CHUNK]
            marks = ",".join("?" * len(part))
            for key, value, accessed in connection.execute(
                f"SELECT key, value, accessed FROM entries WHERE key IN ({marks})", part
            ):
                found[key] = value
                if accessed < stale_before and self._writable:
                    self._touched.add(key)
        return found

    def _flush_access_times(self) -> None:
        """Best effort: a lost access time only makes an entry look older to prune."""
        if self._touched and self._writable and self._usable_connection() is not None:
            with contextlib.suppress(sqlite3.Error), db.transaction(self._connection):
                self._write_access_times(self._connection, time.time())
        self._touched.clear()

    def _write_access_times(self, connection: sqlite3.Connection, now: float) -> None:
        touched = list(self._touched)
        for start in range(0, len(touched), LOOKUP_CHUNK):
            part = touched[start : start + LOOKUP_CHUNK]
            marks = ",".join("?" * len(part))
            connection.execute(
                f"UPDATE entries SET accessed = ? WHERE key IN ({marks})", [now, *part]
            )
        self._touched.clear()

    # -- opening, migrating, recovering ---------------------------------------------------------

    def _drop_connection(self) -> None:
        if self._connection is not None:
            if self._pid == os.getpid():
                db.close_quietly(self._connection)
            else:
                # Opened by the parent before a fork: SQLite's locks and files belong to it,
                # so the child must neither use nor close this connection.
                _ABANDONED.append(self._connection)
        self._connection = None

    def _usable_connection(self) -> sqlite3.Connection | None:
        """This process's connection, opened (checked, migrated) on first use."""
        if self._pid != os.getpid():
            self._drop_connection()
            self._touched.clear()
            self._pid = os.getpid()
        if not self._readable:
            return None
        if self._connection is None:
            self._connection = self._open()
        return self._connection

    def _open(self) -> sqlite3.Connection | None:
        try:
            folder.prepare(self.directory)
        except OSError as exc:
            self._give_up(exc, opening=True)
            return None
        for _round in range(_TRIES):
            try:
                return db.with_retry(self._open_checked, attempts=self.lock_attempts)
            except sqlite3.Error as exc:
                if db.is_damage(exc):
                    if self._recover(exc):
                        continue
                elif db.code(exc) in db.UNWRITABLE:
                    return self._open_read_only(exc)
                else:
                    self._give_up(exc, opening=True)
                return None
        self._give_up(sqlite3.DatabaseError("it stays damaged after being rebuilt"), opening=True)
        return None

    def _open_checked(self) -> sqlite3.Connection | None:
        """Connect, probe and migrate; None (said once) for a file from a newer release."""
        connection = self._connect(self.path)
        try:
            db.probe(connection, self.path)
            version = schema.migrate(connection)
        except BaseException:
            db.close_quietly(connection)
            raise
        if version <= schema.SCHEMA_VERSION:
            return connection
        db.close_quietly(connection)
        self._readable = self._writable = False
        self._unusable_reason = (
            f"it was written by a newer summarizer (schema {version}, "
            f"this one knows {schema.SCHEMA_VERSION})"
        )
        self._warn(
            CacheWarning(
                "newer",
                "the cache at {path} was written by a newer summarizer (schema "
                f"{version} > {schema.SCHEMA_VERSION}); going on without it",
                path=self.path,
                hint=ANOTHER_FOLDER,
            )
        )
        return None

    def _open_read_only(self, cause: BaseException) -> sqlite3.Connection | None:
        """A location we cannot write to: serve what is there, store nothing."""
        self._give_up_writing(cause)
        if not self.path.exists():
            self._readable = False
            return None
        # Read-only first; a WAL file in a folder we cannot write to cannot even be read that
        # way (SQLite must create its -shm index beside it), so then as an immutable file.
        for mode in ("mode=ro", "immutable=1"):
            connection = None
            try:
                connection = db.connect_read_only(self.path, mode, timeout=self.busy_timeout)
                db.probe(connection, self.path)
                if schema.schema_version(connection) == schema.SCHEMA_VERSION:
                    return connection
            except sqlite3.Error:
                pass
            db.close_quietly(connection)
        self._readable = False
        return None

    def _recover(self, cause: BaseException) -> bool:
        """Move a damaged file (and its -wal, -shm) aside, so that a new one is created.

        Returns False when that is not possible (the cache is then given up)."""
        self._drop_connection()
        self._touched.clear()
        try:
            aside = folder.set_aside(self.path, timeout=self.busy_timeout)
        except OSError as exc:  # a filelock Timeout too
            self._give_up(exc, opening=True)
            return False
        if aside is None:
            return True  # another process has set it aside already
        self._warn(
            CacheWarning(
                "damaged",
                f"the cache file {{path}} was damaged ({db.reason(cause)}); moved it to "
                f"{aside.name} beside it and started a new cache",
                path=self.path,
            )
        )
        return True

    # -- saying what went wrong, once -----------------------------------------------------------

    def _busy(self, write: bool, losing: str) -> None:
        """Another process kept the cache locked through every retry. A write gives writing
        up for the rest of the run (issue 11, point 11: waiting again at every batch made an
        8 s article take 175 s)."""
        if write:
            self._stop_writing("it stayed locked by another process")
        lost = f"{losing or 'some results'} were not {'saved' if write else 'looked up'}"
        then = "; going on without saving results" if write else ""
        problem = f"the cache at {{path}} stayed locked by another process ({lost}){then}"
        self._warn(CacheWarning("busy", problem, path=self.path))

    def _stop_writing(self, reason: str) -> None:
        self._writable = False
        self._touched.clear()
        self._unusable_reason = reason

    def _give_up_writing(self, cause: BaseException) -> None:
        self._stop_writing(db.reason(cause))
        full = db.code(cause) == db.FULL
        warning = CacheWarning(
            "full" if full else "unwritable",
            f"cannot write to the cache at {{path}} ({db.reason(cause)}); going on without "
            "saving results",
            path=self.path,
            hint="free some space or run `summarizer cache prune`" if full else ANOTHER_FOLDER,
        )
        self._warn(warning, once="unwritable")

    def _give_up(self, cause: BaseException, *, opening: bool = False) -> None:
        self._readable = False
        self._stop_writing(db.reason(cause))
        self._drop_connection()
        self._warn(
            CacheWarning(
                "unusable",
                f"cannot {'open' if opening else 'use'} the cache at {{path}} "
                f"({db.reason(cause)}); going on without it",
                path=self.path,
                hint=ANOTHER_FOLDER,
            )
        )

    def _warn(self, warning: CacheWarning, *, once: str | None = None) -> None:
        """Say `warning`, unless one of its kind (or of the kind `once`) was said already."""
        kind = once or warning.kind
        if kind in self._warned:
            return
        self._warned.add(kind)
        if self._on_warning is not None:
            self._on_warning(warning)
        else:
            warnings.warn(warning, stacklevel=4)


# Connections inherited from a parent process: kept referenced so that they are never
# closed (and their locks never touched) in the child.
_ABANDONED: list[sqlite3.Connection] = []
