"""On-disk cache of model outputs, in SQLite.

Every value is plain text. A key is the hash of everything that decides an output (key
format version, task, model identity, generation settings, input text), so a changed setting
can never be served a stale result and an unchanged one never recomputes.

The cache must never break a run. SQLite is used as python-diskcache uses it: WAL journal,
synchronous=NORMAL, a busy timeout, BEGIN IMMEDIATE for every write with a bounded retry on
"database is locked", one connection per process (re-opened after fork). Whatever goes
wrong with the file is met the same way: a damaged file is moved aside and rebuilt; a
read-only, full or locked location means going on without writing; a file from a newer
release means going on without it. Each of these is said once, as a CacheWarning (or through
the `on_warning` callback), and the run continues. The management calls (info, prune,
clear) raise CacheError instead, since there the cache is the job.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import random
import sqlite3
import threading
import time
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from summarizer.errors import SummarizerError

CACHE_DIR_ENV = "SUMMARIZER_CACHE_DIR"
CACHE_FILE = "cache.sqlite3"
LOCK_FILE = "cache.lock"
# Bumped whenever the meaning of a key or a value changes; part of every key, so old
# entries are simply never looked up again.
KEY_VERSION = 1
# SQLite's default limit on bound parameters is 32766; stay far below it.
_LOOKUP_CHUNK = 500
# How long one statement waits for another process's write lock (SQLite's busy handler),
# and how many times a write is retried after that before its results are given up.
BUSY_TIMEOUT_SECONDS = 20.0
LOCK_ATTEMPTS = 4
# A file this size or smaller gets `PRAGMA quick_check` when opened (about 0.1 s per 100 MB);
# larger ones get a cheaper probe, and damage found later is handled the same way.
QUICK_CHECK_MAX_BYTES = 256 * 1024 * 1024
# A hit refreshes its entry's `accessed` time (for least-recently-used pruning) only when the
# stored time is older than this, so that a cached run costs at most one small write.
ACCESS_RESOLUTION_SECONDS = 600.0
_CACHEDIR_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by summarizer.\n"
    "# For information about cache directory tags see https://bford.info/cachedir/\n"
)

# SQLite primary result codes (https://sqlite.org/rescode.html).
_PERM, _BUSY, _LOCKED, _READONLY, _IOERR = 3, 5, 6, 8, 10
_CORRUPT, _FULL, _CANTOPEN, _NOTADB = 11, 13, 14, 26
_UNWRITABLE = {_PERM, _READONLY, _IOERR, _FULL, _CANTOPEN}


class CacheWarning(UserWarning):
    """Something went wrong with the cache; the run goes on, with less (or no) caching."""


class CacheError(SummarizerError):
    """A cache management command (info, prune, clear) cannot do its job."""


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
        [KEY_VERSION, task, model_identity, dict(sorted(settings.items())), text],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def model_matches(identity: str, name: str) -> bool:
    """Whether a stored model identity belongs to `name`: the identity itself, or the hub id
    or local folder inside it ("torch:hub:Helsinki-NLP/opus-mt-fr-en@<commit>" matches
    "Helsinki-NLP/opus-mt-fr-en"), whatever the revision or fingerprint."""
    if identity == name:
        return True
    parts = identity.split(":", 2)
    if len(parts) != 3 or parts[1] not in ("hub", "local"):
        return False
    where, _, _revision = parts[2].rpartition("@")
    return name in (where, parts[2])


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


@dataclass
class CacheStats:
    hits: int = 0
    misses: int = 0


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


class _Damaged(Exception):
    """The file is not a usable SQLite database."""


class Cache:
    """Key -> text store; get_many/put_many so a whole batch costs one query.

    `on_warning` receives each problem once, as one line; by default it becomes a
    CacheWarning. Safe to share between threads; a forked child opens its own connection.
    """

    def __init__(
        self,
        directory: Path | None = None,
        *,
        on_warning: Callable[[str], None] | None = None,
    ) -> None:
        self.directory = Path(directory) if directory is not None else default_cache_dir()
        self.path = self.directory / CACHE_FILE
        self._on_warning = on_warning
        self._connection: sqlite3.Connection | None = None
        self._pid: int | None = None
        self._lock = threading.RLock()
        self._warned: set[str] = set()
        # False once the cache cannot be read at all (then nothing is written either).
        self._readable = True
        # False once a write failed for a reason that will not go away during this run.
        self._writable = True
        # Keys served whose `accessed` time is stale; written with the next write.
        self._touched: set[str] = set()
        # Why the cache is not usable, for the management commands' error message.
        self._unusable_reason = ""

    # -- the run's side: look-ups and stores that never fail a run --------------------------

    def get_many(self, keys: Iterable[str]) -> dict[str, str]:
        """The cached values of those keys that are present."""
        wanted = list(dict.fromkeys(keys))
        if not wanted:
            return {}
        with self._lock:
            found = self._attempt(lambda c: self._select(c, wanted), write=False, default={})
            if len(self._touched) >= _LOOKUP_CHUNK * 4:
                self._flush_access_times()
            return found

    def put_many(self, task: str, model: str, items: Mapping[str, str]) -> None:
        """Store a batch in one transaction: it is all there after a crash, or none of it."""
        if not items:
            return
        for value in items.values():
            if not isinstance(value, str):
                raise TypeError(f"cache values are text, not {type(value).__name__}")
        now = time.time()
        rows = [(key, task, model, value, now, now) for key, value in items.items()]

        def store(connection: sqlite3.Connection) -> None:
            with _transaction(connection):
                connection.executemany(
                    "INSERT INTO entries (key, task, model, value, created, accessed)"
                    " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET"
                    " value = excluded.value, accessed = excluded.accessed",
                    rows,
                )
                self._write_access_times(connection, now)

        with self._lock:
            self._attempt(store, write=True, default=None, losing=f"{len(rows)} result(s)")

    def close(self) -> None:
        """Record pending access times (best effort) and close the connection."""
        with self._lock:
            self._flush_access_times()
            self._drop_connection()

    @property
    def writable(self) -> bool:
        """False once writes were given up for this run (read-only, full, newer schema)."""
        return self._readable and self._writable

    # -- the management side: raise CacheError instead of going on ----------------------------

    def info(self) -> CacheInfo:
        """Location, size on disk, and entries per task and model; creates nothing."""
        with self._lock:
            if not self.path.exists():
                return CacheInfo(self.path, False, 0, 0, None, None, [], self._set_aside())

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

            (count, oldest, newest), models = self._manage(read, write=False)
            # Listed after opening, which may just have set a damaged file aside.
            return CacheInfo(
                self.path,
                True,
                self.size_on_disk(),
                count,
                oldest,
                newest,
                models,
                self._set_aside(),
            )

    def count(self, model: str | None = None) -> int:
        """Entries in the cache, or those of one model (see model_matches)."""
        with self._lock:
            if not self.path.exists():
                return 0

            def read(connection: sqlite3.Connection) -> int:
                if model is None:
                    return connection.execute("SELECT count(*) FROM entries").fetchone()[0]
                identities = self._identities(connection, model)
                return sum(
                    connection.execute(
                        "SELECT count(*) FROM entries WHERE model = ?", (identity,)
                    ).fetchone()[0]
                    for identity in identities
                )

            return self._manage(read, write=False)

    def prune(
        self, max_bytes: int | None = None, older_than_days: float | None = None
    ) -> PruneResult:
        """Remove entries not used for `older_than_days`, then the least recently used ones
        until the file is at most `max_bytes`; the file is compacted afterwards."""
        with self._lock:
            if not self.path.exists():
                return PruneResult(0, 0, 0)
            before = self.size_on_disk()
            removed = 0
            if older_than_days is not None:
                cutoff = time.time() - older_than_days * 86400

                def remove_old(connection: sqlite3.Connection) -> int:
                    with _transaction(connection):
                        return connection.execute(
                            "DELETE FROM entries WHERE accessed < ?", (cutoff,)
                        ).rowcount

                removed += self._manage(remove_old, write=True)
            if max_bytes is not None:
                removed += self._shrink_to(max_bytes)  # compacts as it goes
            elif removed:
                self._manage(_compact, write=True)
            return PruneResult(removed, before, self.size_on_disk())

    def clear(self, model: str | None = None) -> int:
        """Remove every entry, or those of one model (see model_matches); returns how many."""
        with self._lock:
            if not self.path.exists():
                return 0

            def remove(connection: sqlite3.Connection) -> int:
                with _transaction(connection):
                    if model is None:
                        return connection.execute("DELETE FROM entries").rowcount
                    return sum(
                        connection.execute(
                            "DELETE FROM entries WHERE model = ?", (identity,)
                        ).rowcount
                        for identity in self._identities(connection, model)
                    )

            removed = self._manage(remove, write=True)
            if removed:
                self._manage(_compact, write=True)
            return removed

    def _set_aside(self) -> list[Path]:
        return sorted(self.directory.glob(f"{CACHE_FILE}.damaged-*[0-9]"))

    def size_on_disk(self) -> int:
        """The database file and its write-ahead log (the -shm index is transient)."""
        total = 0
        for suffix in ("", "-wal"):
            with contextlib.suppress(OSError):
                total += os.stat(f"{self.path}{suffix}").st_size
        return total

    # -- internals ------------------------------------------------------------------------------

    def _select(self, connection: sqlite3.Connection, keys: list[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        stale_before = time.time() - ACCESS_RESOLUTION_SECONDS
        for start in range(0, len(keys), _LOOKUP_CHUNK):
            part = keys[start : start + _LOOKUP_CHUNK]
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
            with contextlib.suppress(sqlite3.Error), _transaction(self._connection):
                self._write_access_times(self._connection, time.time())
        self._touched.clear()

    def _write_access_times(self, connection: sqlite3.Connection, now: float) -> None:
        touched = list(self._touched)
        for start in range(0, len(touched), _LOOKUP_CHUNK):
            part = touched[start : start + _LOOKUP_CHUNK]
            marks = ",".join("?" * len(part))
            connection.execute(
                f"UPDATE entries SET accessed = ? WHERE key IN ({marks})", [now, *part]
            )
        self._touched.clear()

    def _identities(self, connection: sqlite3.Connection, name: str) -> list[str]:
        stored = [row[0] for row in connection.execute("SELECT DISTINCT model FROM entries")]
        return [identity for identity in stored if model_matches(identity, name)]

    def _shrink_to(self, max_bytes: int) -> int:
        """Delete least recently used entries, compacting, until the file fits."""
        removed = 0
        for _round in range(20):
            # Deleted rows leave free pages behind: only a compacted size can be compared.
            self._manage(_compact, write=True)
            size = self.size_on_disk()
            count = self._manage(
                lambda c: c.execute("SELECT count(*) FROM entries").fetchone()[0], write=False
            )
            if size <= max_bytes or count == 0:
                break
            # Entries are of similar sizes: remove the share of them that is over, and a few
            # more so that the loop rarely needs a second round.
            share = (size - max_bytes) / size
            batch = min(count, max(1, math.ceil(count * share * 1.05)))

            def remove_oldest(connection: sqlite3.Connection, batch: int = batch) -> int:
                with _transaction(connection):
                    return connection.execute(
                        "DELETE FROM entries WHERE key IN (SELECT key FROM entries"
                        " ORDER BY accessed, created LIMIT ?)",
                        (batch,),
                    ).rowcount

            removed += self._manage(remove_oldest, write=True)
        else:
            self._manage(_compact, write=True)
        return removed

    def _manage(self, operation: Callable[[sqlite3.Connection], object], *, write: bool):
        """Run a management operation; any failure is a CacheError."""
        # A cache that cannot be used is this command's error, not a warning before it.
        self._warned.update({"newer", "unusable", "unwritable"})
        connection = self._usable_connection()
        if connection is None or (write and not self._writable):
            raise CacheError(
                f"cannot {'change' if write else 'read'} the cache at {self.path}: "
                f"{self._unusable_reason or 'it is not usable'}"
            )
        last: sqlite3.Error | None = None
        for attempt in range(LOCK_ATTEMPTS):
            try:
                return operation(connection)
            except sqlite3.Error as exc:
                last = exc
                if _code(exc) not in (_BUSY, _LOCKED):
                    break
                _back_off(attempt)
        raise CacheError(f"cannot use the cache at {self.path}: {last}") from last

    def _attempt(
        self,
        operation: Callable[[sqlite3.Connection], object],
        *,
        write: bool,
        default: object,
        losing: str = "",
    ):
        """Run a look-up or a store with the failure policy of a run: never raise."""
        for attempt in range(LOCK_ATTEMPTS + 1):
            connection = self._usable_connection()
            if connection is None or (write and not self._writable):
                return default
            try:
                return operation(connection)
            except sqlite3.Error as exc:
                code = _code(exc)
                if code in (_CORRUPT, _NOTADB):
                    if not self._recover(exc):
                        return default
                    continue
                if code in (_BUSY, _LOCKED):
                    if attempt < LOCK_ATTEMPTS - 1:
                        _back_off(attempt)
                        continue
                    self._warn(
                        "busy",
                        f"the cache at {self.path} stayed locked by other runs; "
                        f"{losing or 'some results'} were not "
                        f"{'saved' if write else 'looked up'}",
                    )
                    return default
                if isinstance(exc, sqlite3.ProgrammingError | sqlite3.InterfaceError):
                    raise
                if write and code in _UNWRITABLE:
                    self._give_up_writing(exc)
                else:
                    self._give_up(exc)
                return default
        self._give_up(sqlite3.DatabaseError("it stays damaged after being rebuilt"))
        return default

    def _drop_connection(self) -> None:
        if self._connection is not None:
            if self._pid == os.getpid():
                _close_quietly(self._connection)
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
            self._prepare_directory()
        except OSError as exc:
            self._give_up(exc, opening=True)
            return None
        for attempt in range(LOCK_ATTEMPTS + 1):
            connection = None
            try:
                connection = _connect(self.path)
                _probe(connection, self.path)
                if not self._migrate(connection):
                    _close_quietly(connection)
                    return None
                return connection
            except _Damaged as exc:
                _close_quietly(connection)
                if not self._recover(exc):
                    return None
            except sqlite3.Error as exc:
                _close_quietly(connection)
                code = _code(exc)
                if code in (_CORRUPT, _NOTADB):
                    if not self._recover(exc):
                        return None
                elif code in (_BUSY, _LOCKED) and attempt < LOCK_ATTEMPTS - 1:
                    _back_off(attempt)
                elif code in _UNWRITABLE:
                    return self._open_read_only(exc)
                else:
                    self._give_up(exc, opening=True)
                    return None
        self._give_up(sqlite3.DatabaseError("it stays damaged after being rebuilt"), opening=True)
        return None

    def _prepare_directory(self) -> None:
        # Private to the user: cached text is the text of the articles read.
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        tag = self.directory / "CACHEDIR.TAG"
        if not tag.exists():
            # Best effort: a read-only folder may still be read from.
            with contextlib.suppress(OSError):
                tag.write_text(_CACHEDIR_TAG, encoding="ascii")

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
                connection = sqlite3.connect(
                    f"{self.path.absolute().as_uri()}?{mode}",
                    uri=True,
                    timeout=BUSY_TIMEOUT_SECONDS,
                    isolation_level=None,
                    check_same_thread=False,
                )
                _probe(connection, self.path)
                if _schema_version(connection) == SCHEMA_VERSION:
                    return connection
            except (sqlite3.Error, _Damaged):
                pass
            _close_quietly(connection)
        self._readable = False
        return None

    def _migrate(self, connection: sqlite3.Connection) -> bool:
        """Bring the file's schema up to date; False for a file from a newer release."""
        version = _schema_version(connection)
        if version == SCHEMA_VERSION:
            return True
        if version > SCHEMA_VERSION:
            self._readable = self._writable = False
            self._unusable_reason = (
                f"it was written by a newer summarizer (schema {version}, "
                f"this one knows {SCHEMA_VERSION})"
            )
            self._warn(
                "newer",
                f"the cache at {self.path} was written by a newer summarizer (schema "
                f"{version} > {SCHEMA_VERSION}); going on without it (--cache-dir DIR "
                "chooses another one)",
            )
            return False
        with _transaction(connection):
            # Another process may have migrated while we waited for the lock.
            version = _schema_version(connection)
            connection.execute(
                "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"
            )
            for migration in MIGRATIONS[version:]:
                migration(connection)
            connection.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)",
                (str(SCHEMA_VERSION),),
            )
        return True

    def _recover(self, cause: BaseException) -> bool:
        """Move a damaged file (and its -wal, -shm) aside, so that a new one is created.

        Returns False when that is not possible (the cache is then given up)."""
        self._drop_connection()
        self._touched.clear()
        from filelock import FileLock, Timeout

        try:
            # One process at a time, so that none sets aside the file another just made.
            with FileLock(str(self.directory / LOCK_FILE), timeout=BUSY_TIMEOUT_SECONDS):
                if _is_healthy(self.path):
                    return True  # another process has set it aside already
                stamp = time.strftime("%Y%m%dT%H%M%S")
                aside = self.path.with_name(f"{CACHE_FILE}.damaged-{stamp}-{os.getpid()}")
                for suffix in ("", "-wal", "-shm"):
                    with contextlib.suppress(FileNotFoundError):
                        os.replace(f"{self.path}{suffix}", f"{aside}{suffix}")
        except (OSError, Timeout) as exc:
            self._give_up(exc, opening=True)
            return False
        self._warn(
            "damaged",
            f"the cache file {self.path} was damaged ({_reason(cause)}); moved it to "
            f"{aside.name} beside it and started a new cache",
        )
        return True

    def _give_up_writing(self, cause: BaseException) -> None:
        self._writable = False
        self._touched.clear()
        self._unusable_reason = _reason(cause)
        if _code(cause) == _FULL or "full" in str(cause):
            advice = "free some space or run `summarizer cache prune`"
        else:
            advice = "--cache-dir DIR chooses another folder"
        self._warn(
            "unwritable",
            f"cannot write to the cache at {self.path} ({_reason(cause)}); going on without "
            f"saving results ({advice})",
        )

    def _give_up(self, cause: BaseException, *, opening: bool = False) -> None:
        self._readable = False
        self._writable = False
        self._touched.clear()
        self._unusable_reason = _reason(cause)
        self._drop_connection()
        self._warn(
            "unusable",
            f"cannot {'open' if opening else 'use'} the cache at {self.path} "
            f"({_reason(cause)}); going on without it (--cache-dir DIR chooses another folder)",
        )

    def _warn(self, kind: str, message: str) -> None:
        if kind in self._warned:
            return
        self._warned.add(kind)
        if self._on_warning is not None:
            self._on_warning(message)
        else:
            warnings.warn(message, CacheWarning, stacklevel=4)

    # -- compute-then-store (issue 10 stand-in; the cache package's version replaces it) ----

    def get_or_compute(
        self,
        task: str,
        identity: Callable[[], str],
        settings: Mapping[str, object],
        inputs: Iterable[str],
        compute: Callable[[list[str]], Iterable[Mapping[str, str]]],
    ) -> Lookup:
        """Every distinct input's value: one look-up, only the misses computed, each batch
        `compute` yields stored at once, so an interrupted run keeps what it finished.
        `identity` is asked again before each store: a hub model's commit is only known once
        the model is loaded."""
        distinct = list(dict.fromkeys(inputs))
        model = identity()
        keys = {text: make_key(task, model, settings, text) for text in distinct}
        found = self.get_many(keys.values())
        values = {text: found[key] for text, key in keys.items() if key in found}
        computed = [text for text in distinct if text not in values]
        if computed:
            for batch in compute(computed):
                model = identity()
                self.put_many(
                    task, model, {make_key(task, model, settings, t): v for t, v in batch.items()}
                )
                values.update(batch)
        return Lookup(values, computed)


# Connections inherited from a parent process: kept referenced so that they are never
# closed (and their locks never touched) in the child.
_ABANDONED: list[sqlite3.Connection] = []


def _connect(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(
        path,
        timeout=BUSY_TIMEOUT_SECONDS,
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


def _probe(connection: sqlite3.Connection, path: Path, *, thorough: bool = False) -> None:
    """Raise _Damaged unless the file reads as a sound SQLite database."""
    try:
        connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
        size = path.stat().st_size if path.exists() else 0
        if thorough or size <= QUICK_CHECK_MAX_BYTES:
            result = connection.execute("PRAGMA quick_check(1)").fetchone()[0]
            if result != "ok":
                raise _Damaged(result.splitlines()[-1])
    except sqlite3.DatabaseError as exc:
        if _code(exc) in (_CORRUPT, _NOTADB):
            raise _Damaged(str(exc)) from exc
        raise


def _is_healthy(path: Path) -> bool:
    if not path.exists():
        return True
    connection = None
    try:
        connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
        _probe(connection, path, thorough=True)
        return True
    except (_Damaged, sqlite3.DatabaseError):
        return False
    finally:
        _close_quietly(connection)


def _schema_version(connection: sqlite3.Connection) -> int:
    has_meta = connection.execute(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'meta'"
    ).fetchone()[0]
    if not has_meta:
        return 0
    row = connection.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    return int(row[0]) if row else 0


def _compact(connection: sqlite3.Connection) -> None:
    """Give the space of deleted entries back to the file system."""
    connection.execute("VACUUM")
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _code(exc: BaseException) -> int | None:
    """SQLite's primary result code of an error, from its code or (older builds) message."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF
    message = str(exc).lower()
    for fragment, value in (
        ("locked", _BUSY),
        ("busy", _BUSY),
        ("malformed", _CORRUPT),
        ("not a database", _NOTADB),
        ("readonly", _READONLY),
        ("disk is full", _FULL),
        ("disk i/o", _IOERR),
        ("unable to open", _CANTOPEN),
    ):
        if fragment in message:
            return value
    if isinstance(exc, OSError):
        return _CANTOPEN
    return None


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    return str(exc) or type(exc).__name__


def _back_off(attempt: int) -> None:
    # Jittered, so that processes that collided do not collide again.
    time.sleep(min(2.0, 0.05 * 2**attempt) * (0.5 + random.random()))


def _close_quietly(connection: sqlite3.Connection | None) -> None:
    if connection is not None:
        with contextlib.suppress(sqlite3.Error):
            connection.close()


@contextlib.contextmanager
def _transaction(connection: sqlite3.Connection) -> Iterator[None]:
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


class NullCache(Cache):
    """--no-cache: every lookup misses, nothing is written."""

    def __init__(self) -> None:
        super().__init__(Path(os.devnull))

    def get_many(self, keys: Iterable[str]) -> dict[str, str]:
        return {}

    def put_many(self, task: str, model: str, items: Mapping[str, str]) -> None:
        return None

    def info(self) -> CacheInfo:
        return CacheInfo(self.path, False, 0, 0, None, None)

    def count(self, model: str | None = None) -> int:
        return 0

    def prune(
        self, max_bytes: int | None = None, older_than_days: float | None = None
    ) -> PruneResult:
        return PruneResult(0, 0, 0)

    def clear(self, model: str | None = None) -> int:
        return 0

    def close(self) -> None:
        return None

    def get_or_compute(
        self,
        task: str,
        identity: Callable[[], str],
        settings: Mapping[str, object],
        inputs: Iterable[str],
        compute: Callable[[list[str]], Iterable[Mapping[str, str]]],
    ) -> Lookup:
        """Everything computed, nothing stored (no key is made, so no identity is needed)."""
        computed = list(dict.fromkeys(inputs))
        values: dict[str, str] = {}
        if computed:
            for batch in compute(computed):
                values.update(batch)
        return Lookup(values, computed)


@dataclass
class Lookup:
    """What get_or_compute found or made."""

    # Every distinct input -> its value (cached or computed now).
    values: dict[str, str]
    # The distinct inputs computed now (the misses), in first-seen order.
    computed: list[str]
