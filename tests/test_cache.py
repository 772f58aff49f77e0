"""The SQLite cache on its own: storage, schema migration, damaged files, unwritable
places, locks, forks, least-recently-used pruning, and many processes at once."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import sys
import threading
import time

import pytest

from summarizer.cache import (
    CACHE_FILE,
    SCHEMA_VERSION,
    Cache,
    CacheError,
    CacheWarning,
    NullCache,
    make_key,
    manage,
    model_matches,
    schema,
)
from summarizer.cache import keys as cache_keys
from summarizer.cache import sqlite as cache_sqlite
from tests.cache_worker import value_of
from tests.processes import child_env, integrity

ITEMS = {f"key{i}": f"valeur numéro {i} " * 8 for i in range(600)}


def filled_cache(directory, items=ITEMS):
    cache = Cache(directory)
    cache.put_many("translation", "torch:hub:org/fr-en@abc", items)
    cache.close()
    return directory / CACHE_FILE


def open_with_warnings(directory):
    warnings: list[str] = []
    return Cache(directory, on_warning=lambda warning: warnings.append(str(warning))), warnings


def sql(cache_file, query, *args):
    connection = sqlite3.connect(cache_file, isolation_level=None)
    try:
        return connection.execute(query, args).fetchall()
    finally:
        connection.close()


# -- storage and keys ---------------------------------------------------------------------


def test_values_persist_across_connections(tmp_path):
    cache = Cache(tmp_path / "c")
    key = make_key("translation", "m", {"num_beams": 4}, "Bonjour.")
    cache.put_many("translation", "m", {key: "Hello."})
    cache.close()
    assert Cache(tmp_path / "c").get_many([key, "absent"]) == {key: "Hello."}


def test_keys_change_with_task_model_settings_and_text():
    base = make_key("translation", "m@1", {"num_beams": 4}, "Bonjour.")
    assert base == make_key("translation", "m@1", {"num_beams": 4}, "Bonjour.")
    assert (
        len(
            {
                base,
                make_key("summarization", "m@1", {"num_beams": 4}, "Bonjour."),
                make_key("translation", "m@2", {"num_beams": 4}, "Bonjour."),
                make_key("translation", "m@1", {"num_beams": 5}, "Bonjour."),
                make_key("translation", "m@1", {"num_beams": 4}, "Bonjour !"),
            }
        )
        == 5
    )


def test_key_ignores_the_order_settings_are_written_in():
    assert make_key("t", "m", {"a": 1, "b": 2}, "x") == make_key("t", "m", {"b": 2, "a": 1}, "x")


def test_a_new_key_format_version_gives_new_keys(monkeypatch):
    before = make_key("t", "m", {}, "x")
    monkeypatch.setattr(cache_keys, "KEY_VERSION", cache_keys.KEY_VERSION + 1)
    assert make_key("t", "m", {}, "x") != before


def test_cache_folder_is_private_and_tagged_for_backup_tools(tmp_path):
    cache = Cache(tmp_path / "c")
    cache.get_many(["k"])
    assert stat.S_IMODE((tmp_path / "c").stat().st_mode) == 0o700
    assert (tmp_path / "c" / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f597d28d172")


def test_values_are_stored_as_text_and_nothing_else_is_accepted(tmp_path):
    cache = Cache(tmp_path / "c")
    cache.put_many("summary", "m", {"k": json.dumps({"summary": "é"})})
    with pytest.raises(TypeError, match="text"):
        cache.put_many("t", "m", {"k2": b"bytes"})
    with pytest.raises(TypeError, match="text"):
        cache.put_many("t", "m", {"k3": {"a": 1}})
    cache.close()
    assert sql(tmp_path / "c" / CACHE_FILE, "SELECT DISTINCT typeof(value) FROM entries") == [
        ("text",)
    ]


def test_lookups_of_many_keys_are_answered_in_one_call(tmp_path):
    cache = Cache(tmp_path / "c")
    items = {f"k{i}": f"v{i}" for i in range(1200)}
    cache.put_many("t", "m", items)
    assert cache.get_many(items) == items


def _upper_case(calls):
    """A compute function for get_or_compute that records the misses it was given."""

    def compute(misses):
        calls.append(list(misses))
        yield {text: text.upper() for text in misses}

    return compute


def test_null_cache_never_stores(tmp_path, isolated_environment):
    cache = NullCache()
    cache.put_many("t", "m", {"k": "v"})
    assert cache.get_many(["k"]) == {}
    calls: list[list[str]] = []
    for _ in range(2):
        lookup = cache.get_or_compute("t", lambda: "m", {}, ["a", "b", "a"], _upper_case(calls))
        assert lookup.values == {"a": "A", "b": "B"} and lookup.computed == ["a", "b"]
    cache.close()
    assert calls == [["a", "b"], ["a", "b"]]  # computed every time, each input once
    assert not isolated_environment.exists()  # the default cache folder was never made
    stored = Cache().get_many(make_key("t", "m", {}, text) for text in ("a", "b", "k"))
    assert stored == {}


# -- get_or_compute ---------------------------------------------------------------------------


def test_get_or_compute_looks_up_once_and_computes_each_miss_once(tmp_path):
    statements: list[str] = []

    def traced(path):
        connection = cache_sqlite.connect(path)
        connection.set_trace_callback(statements.append)
        return connection

    cache = Cache(tmp_path / "c", connect=traced)
    settings = {"num_beams": 2}
    distinct = [f"phrase {i}" for i in range(300)]
    cached = {make_key("t", "m@1", settings, text): f"cached {text}" for text in distinct[::3]}
    cache.put_many("t", "m@1", cached)
    statements.clear()
    calls: list[list[str]] = []
    inputs = [text for text in distinct for _ in range(2)]  # every input twice
    lookup = cache.get_or_compute("t", lambda: "m@1", settings, inputs, _upper_case(calls))

    misses = [text for i, text in enumerate(distinct) if i % 3]
    assert len([s for s in statements if s.startswith("SELECT key, value")]) == 1
    assert calls == [misses]  # only the misses, each once, in first-seen order
    assert lookup.computed == misses
    assert list(lookup.values) == distinct
    assert lookup.values["phrase 0"] == "cached phrase 0"
    assert lookup.values["phrase 1"] == "PHRASE 1"
    again = cache.get_or_compute("t", lambda: "m@1", settings, inputs, _upper_case(calls))
    assert again.values == lookup.values and again.computed == [] and len(calls) == 1


def test_each_computed_batch_is_stored_before_the_next_is_computed(tmp_path):
    cache = Cache(tmp_path / "c")
    other_process = Cache(tmp_path / "c")  # its own connection: sees only what was committed
    seen_between_batches = []

    def compute(misses):
        yield {text: text.upper() for text in misses[:2]}
        keys = [make_key("t", "m", {}, text) for text in misses[:2]]
        seen_between_batches.append(other_process.get_many(keys))
        yield {text: text.upper() for text in misses[2:3]}
        raise RuntimeError("the model broke")

    with pytest.raises(RuntimeError, match="the model broke"):
        cache.get_or_compute("t", lambda: "m", {}, ["a", "b", "c", "d"], compute)
    assert len(seen_between_batches[0]) == 2
    calls: list[list[str]] = []
    lookup = Cache(tmp_path / "c").get_or_compute(
        "t", lambda: "m", {}, ["a", "b", "c", "d"], _upper_case(calls)
    )
    assert calls == [["d"]] and lookup.computed == ["d"]
    assert lookup.values == {"a": "A", "b": "B", "c": "C", "d": "D"}


def test_get_or_compute_stores_under_the_identity_known_after_loading(tmp_path):
    # A hub model's commit is only known once it is loaded, which computing does.
    loaded = []

    def identity():
        return "hub:org/m@abc" if loaded else "hub:org/m"

    def compute(misses):
        loaded.append(True)
        yield {text: text.upper() for text in misses}

    cache = Cache(tmp_path / "c")
    cache.get_or_compute("t", identity, {}, ["a"], compute)
    assert cache.get_many([make_key("t", "hub:org/m@abc", {}, "a")]) != {}
    calls: list[list[str]] = []
    assert cache.get_or_compute("t", identity, {}, ["a"], _upper_case(calls)).computed == []


def test_get_or_compute_says_which_input_got_no_value(tmp_path):
    def forgetful(misses):
        yield {misses[0]: "only the first"}

    with pytest.raises(ValueError, match="no value for 1 of 2"):
        Cache(tmp_path / "c").get_or_compute("t", lambda: "m", {}, ["a", "b"], forgetful)


def test_a_partial_lookup_leaves_out_the_inputs_that_got_no_value(tmp_path):
    def forgetful(misses):
        yield {misses[0]: "only the first"}

    cache = Cache(tmp_path / "c")
    cache.get_or_compute("t", lambda: "m", {}, ["c"], _upper_case([]))
    lookup = cache.get_or_compute("t", lambda: "m", {}, ["a", "b", "c"], forgetful, partial=True)
    assert lookup.values == {"a": "only the first", "c": "C"}
    assert lookup.computed == ["a"]


def test_the_journal_is_wal_and_a_write_is_one_transaction(tmp_path):
    cache_file = filled_cache(tmp_path / "c")
    assert sql(cache_file, "PRAGMA journal_mode") == [("wal",)]
    assert sql(cache_file, "SELECT count(*) FROM entries") == [(len(ITEMS),)]


# -- schema versions ------------------------------------------------------------------------


def test_a_new_file_records_the_schema_version(tmp_path):
    cache_file = filled_cache(tmp_path / "c")
    assert sql(cache_file, "SELECT value FROM meta WHERE key = 'schema_version'") == [
        (str(SCHEMA_VERSION),)
    ]


def test_a_file_from_summarizer_0_1_0_migrates_forward_keeping_its_entries(tmp_path):
    # The layout 0.1.0 wrote: an `entries` table, no `meta`, no indexes.
    (tmp_path / "c").mkdir()
    old = tmp_path / "c" / CACHE_FILE
    connection = sqlite3.connect(old)
    connection.execute(
        "CREATE TABLE entries (key TEXT PRIMARY KEY, task TEXT NOT NULL, model TEXT NOT NULL,"
        " value TEXT NOT NULL, created REAL NOT NULL, accessed REAL NOT NULL)"
    )
    connection.execute("INSERT INTO entries VALUES ('k', 'translation', 'm', 'Hello.', 1, 1)")
    connection.commit()
    connection.close()

    cache, warnings = open_with_warnings(tmp_path / "c")
    assert cache.get_many(["k"]) == {"k": "Hello."}
    cache.close()
    assert warnings == []
    assert sql(old, "SELECT value FROM meta WHERE key = 'schema_version'") == [
        (str(SCHEMA_VERSION),)
    ]
    indexes = {row[0] for row in sql(old, "SELECT name FROM sqlite_master WHERE type='index'")}
    assert {"entries_accessed", "entries_task_model"} <= indexes


def test_every_migration_is_named_and_applied_once(tmp_path, monkeypatch):
    calls = []
    migrations = [
        lambda c, real=m: (calls.append(real.__name__), real(c))[1] for m in schema.MIGRATIONS
    ]
    monkeypatch.setattr(schema, "MIGRATIONS", migrations)
    for _ in range(3):
        cache = Cache(tmp_path / "c")
        cache.get_many(["k"])
        cache.close()
    assert calls == ["_m001_create_entries", "_m002_index_access_time_and_model"]


def test_a_file_from_a_newer_release_is_left_alone_and_the_run_goes_on(tmp_path):
    cache_file = filled_cache(tmp_path / "c")
    sql(cache_file, "UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    cache, warnings = open_with_warnings(tmp_path / "c")
    assert cache.get_many(ITEMS) == {}
    cache.put_many("t", "m", {"new": "v"})
    cache.close()
    assert len(warnings) == 1 and "newer summarizer" in warnings[0]
    assert sql(cache_file, "SELECT count(*) FROM entries") == [(len(ITEMS),)]
    assert sql(cache_file, "SELECT value FROM meta WHERE key='schema_version'") == [("99",)]
    with pytest.raises(CacheError, match="newer summarizer"):
        manage.info(Cache(tmp_path / "c"))


# -- damaged files ----------------------------------------------------------------------------


def _garbage(path):
    path.write_bytes(os.urandom(64 * 1024))


def _truncated(path):
    with path.open("r+b") as handle:
        handle.truncate(path.stat().st_size // 2)


def _header_overwritten(path):
    with path.open("r+b") as handle:
        handle.write(b"\0" * 100)


def _pages_overwritten(path):
    size = path.stat().st_size
    with path.open("r+b") as handle:
        handle.seek(size // 2)
        handle.write(os.urandom(16 * 4096))


def _text_file(path):
    path.write_text("this is not a database\n" * 200)


DAMAGE = [_garbage, _truncated, _header_overwritten, _pages_overwritten, _text_file]


@pytest.mark.parametrize("damage", DAMAGE, ids=[d.__name__.strip("_") for d in DAMAGE])
def test_a_damaged_file_is_set_aside_and_rebuilt_with_one_warning(tmp_path, damage):
    cache_file = filled_cache(tmp_path / "c")
    damage(cache_file)
    cache, warnings = open_with_warnings(tmp_path / "c")

    assert cache.get_many(ITEMS) == {}  # the run goes on: misses, not an error
    cache.put_many("t", "m", {"k": "v"})
    assert cache.get_many(["k", "key1"]) == {"k": "v"}
    cache.put_many("t", "m", {"k2": "v2"})
    info = manage.info(cache)
    cache.close()

    assert len(warnings) == 1, warnings
    assert "damaged" in warnings[0] and "started a new cache" in warnings[0]
    [aside] = info.set_aside
    assert aside.name.startswith(f"{CACHE_FILE}.damaged-") and aside.name in warnings[0]
    assert aside.stat().st_size > 0  # kept for inspection
    assert integrity(cache_file) == "ok"
    assert info.entries == 2


def test_a_damaged_file_is_set_aside_once_however_many_caches_open_it(tmp_path):
    cache_file = filled_cache(tmp_path / "c")
    _garbage(cache_file)
    first, first_warnings = open_with_warnings(tmp_path / "c")
    second, second_warnings = open_with_warnings(tmp_path / "c")
    first.put_many("t", "m", {"k": "v"})
    assert second.get_many(["k"]) == {"k": "v"}  # the second opened the rebuilt file
    assert len(first_warnings) == 1 and second_warnings == []
    assert len(list((tmp_path / "c").glob(f"{CACHE_FILE}.damaged-*[0-9]"))) == 1


class _Watched:
    """A real connection (what `Cache(connect=...)` returns) that records each write
    transaction it begins and, given an error, raises it from its next look-up, once."""

    def __init__(self, connection, writes=None):
        self._connection, self.writes, self.error = connection, writes, None

    def __getattr__(self, name):
        return getattr(self._connection, name)

    def execute(self, query, *args):
        if self.error is not None and query.startswith("SELECT key, value"):
            error, self.error = self.error, None
            raise error
        if self.writes is not None and query.startswith("BEGIN"):
            self.writes.append(query)
        return self._connection.execute(query, *args)


def test_damage_found_in_the_middle_of_a_run_is_set_aside_too(tmp_path):
    cache_file = filled_cache(tmp_path / "c")
    error = sqlite3.DatabaseError("database disk image is malformed")
    error.sqlite_errorcode = 11
    opened = []

    def connect(path):
        opened.append(_Watched(cache_sqlite.connect(path)))
        return opened[-1]

    warnings: list[str] = []
    cache = Cache(
        tmp_path / "c", on_warning=lambda warning: warnings.append(str(warning)), connect=connect
    )
    assert cache.get_many(["key1"]) == {"key1": ITEMS["key1"]}
    # SQLite finds damage when it reads a damaged page; its page cache hides our own
    # damage from this connection, so the error it would raise is raised for it, once.
    _garbage(cache_file)
    opened[-1].error = error
    assert cache.get_many(["key1"]) == {}
    cache.put_many("t", "m", {"k": "v"})
    assert cache.get_many(["k"]) == {"k": "v"}
    assert len(warnings) == 1 and "damaged" in warnings[0]


def test_without_a_callback_the_warning_is_a_cache_warning(tmp_path):
    _garbage(filled_cache(tmp_path / "c"))
    with pytest.warns(CacheWarning, match="damaged"):
        Cache(tmp_path / "c").get_many(["k"])


# -- places that cannot be written ------------------------------------------------------------


def test_a_cache_folder_that_cannot_be_created_means_a_run_without_cache(tmp_path):
    (tmp_path / "a-file").write_text("x")
    cache, warnings = open_with_warnings(tmp_path / "a-file" / "cache")
    cache.put_many("t", "m", {"k": "v"})
    assert cache.get_many(["k"]) == {}
    cache.put_many("t", "m", {"k2": "v"})
    cache.close()
    assert len(warnings) == 1
    assert "cannot open the cache" in warnings[0] and "going on without it" in warnings[0]


def test_a_cache_file_that_cannot_be_opened_means_a_run_without_cache(tmp_path):
    (tmp_path / "c" / CACHE_FILE).mkdir(parents=True)  # a folder where the file should be
    cache, warnings = open_with_warnings(tmp_path / "c")
    assert cache.get_many(["k"]) == {}
    cache.put_many("t", "m", {"k": "v"})
    assert len(warnings) == 1 and "going on without" in warnings[0]


def _limiting_every_connection(pragma, writes):
    def limited(path):
        connection = cache_sqlite.connect(path)
        pages = connection.execute("PRAGMA page_count").fetchone()[0]
        connection.execute(pragma.format(pages=pages))
        return _Watched(connection, writes)

    return limited


@pytest.mark.parametrize(
    ("pragma", "reason"),
    [
        ("PRAGMA max_page_count = {pages}", "full"),  # SQLITE_FULL, as on a full disk
        ("PRAGMA query_only = ON", "readonly"),  # SQLITE_READONLY, as on a read-only file
    ],
    ids=["full", "read-only"],
)
def test_when_writes_fail_the_run_keeps_reading_and_warns_once(tmp_path, pragma, reason):
    cache_file = filled_cache(tmp_path / "c")
    warnings: list[str] = []
    writes: list[str] = []
    cache = Cache(
        tmp_path / "c",
        on_warning=lambda warning: warnings.append(str(warning)),
        connect=_limiting_every_connection(pragma, writes),
    )
    big = {f"new{i}": "x" * 2000 for i in range(200)}
    cache.put_many("t", "m", big)
    cache.put_many("t", "m", {"more": "y" * 5000})
    assert cache.get_many(["key7", "new1", "more"]) == {"key7": ITEMS["key7"]}
    # Writes are given up for the run after the first failure: later ones, even of a value
    # small enough to fit, are not tried.
    cache.put_many("t", "m", {"tiny": "z"})
    cache.close()
    assert writes == ["BEGIN IMMEDIATE"]
    assert sql(cache_file, "SELECT count(*) FROM entries WHERE key = 'tiny'") == [(0,)]
    assert len(warnings) == 1, warnings
    assert "cannot write to the cache" in warnings[0] and reason in warnings[0].replace(" ", "")


@pytest.mark.skipif(
    sys.platform == "win32" or os.geteuid() == 0,
    reason="permissions do not stop the superuser (tests run as root here); see the "
    "full and read-only variants above for the same code path",
)
def test_a_read_only_folder_serves_cached_results_and_stores_nothing(tmp_path):
    filled_cache(tmp_path / "c")
    (tmp_path / "c").chmod(0o500)
    try:
        cache, warnings = open_with_warnings(tmp_path / "c")
        assert cache.get_many(["key3"]) == {"key3": ITEMS["key3"]}
        cache.put_many("t", "m", {"k": "v"})
        cache.close()
        assert len(warnings) == 1 and "cannot write to the cache" in warnings[0]
    finally:
        (tmp_path / "c").chmod(0o700)


# -- locks, threads and forks -----------------------------------------------------------------


def _hold_write_lock(cache_file, seconds, started):
    connection = sqlite3.connect(cache_file, isolation_level=None)
    connection.execute("BEGIN IMMEDIATE")
    started.set()
    time.sleep(seconds)
    connection.execute("COMMIT")
    connection.close()


def test_a_write_waits_for_another_writer_and_then_succeeds(tmp_path):
    cache_file = filled_cache(tmp_path / "c")
    # SQLite's own wait is made shorter than the other writer's lock: only the retry
    # can make this write succeed.
    warnings: list[str] = []
    cache = Cache(
        tmp_path / "c", on_warning=lambda warning: warnings.append(str(warning)), busy_timeout=0.02
    )
    cache.get_many(["key1"])
    started = threading.Event()
    holder = threading.Thread(target=_hold_write_lock, args=(cache_file, 0.1, started))
    holder.start()
    started.wait()
    cache.put_many("t", "m", {"k": "v"})
    holder.join()
    assert cache.get_many(["k"]) == {"k": "v"} and warnings == []


def test_a_lock_held_through_one_write_skips_every_later_write_at_once_with_one_warning(
    tmp_path,
):
    cache_file = filled_cache(tmp_path / "c")
    warnings: list[CacheWarning] = []
    cache = Cache(tmp_path / "c", on_warning=warnings.append, busy_timeout=0.3, lock_attempts=2)
    cache.get_many(["key1"])
    holder = sqlite3.connect(cache_file, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    started = time.monotonic()
    cache.put_many("t", "m", {"lost": "v"})
    assert time.monotonic() - started >= 0.3  # the first write waits for the lock
    for n in range(5):
        started = time.monotonic()
        cache.put_many("t", "m", {f"skipped {n}": "v"})
        assert time.monotonic() - started < 0.15  # no later write waits again
    assert cache.get_many(["key1"]) == {"key1": ITEMS["key1"]}  # reads go on
    holder.execute("ROLLBACK")
    holder.close()
    cache.put_many("t", "m", {"after": "v"})  # the run goes on without writing
    cache.close()
    assert Cache(tmp_path / "c").get_many(["lost", "skipped 0", "after"]) == {}
    [warning] = warnings
    assert warning.kind == "busy"
    assert "stayed locked" in str(warning) and "going on without saving results" in str(warning)


def test_threads_can_share_one_cache(tmp_path):
    cache = Cache(tmp_path / "c")
    errors = []

    def work(n):
        try:
            for i in range(30):
                items = {f"t{n}-{i}-{j}": f"v{j}" for j in range(5)}
                cache.put_many("t", "m", items)
                assert cache.get_many(items) == items
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert manage.count(cache) == 4 * 30 * 5


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_opens_its_own_connection(tmp_path):
    cache = Cache(tmp_path / "c")
    cache.put_many("t", "m", {"parent": "p"})
    pid = os.fork()
    if pid == 0:  # the child: any failure is its exit status
        try:
            ok = cache.get_many(["parent"]) == {"parent": "p"}
            cache.put_many("t", "m", {"child": "c"})
            ok = ok and cache.get_many(["child"]) == {"child": "c"}
            cache.close()
        finally:
            os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert cache.get_many(["parent", "child"]) == {"parent": "p", "child": "c"}
    cache.put_many("t", "m", {"after": "a"})
    cache.close()
    assert integrity(tmp_path / "c" / CACHE_FILE) == "ok"


WORKERS = 8


def test_many_processes_writing_overlapping_batches_all_succeed(tmp_path):
    """8 processes, started together on a cache that does not exist yet (so they also race
    to create and migrate it), write and read overlapping batches; none may fail, warn or
    read a wrong value, and every key written must be there at the end."""
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.cache_worker", str(tmp_path / "c"), str(seed), "150"],
            env=child_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for seed in range(WORKERS)
    ]
    outputs = [worker.communicate(timeout=240) for worker in workers]
    failures = [(w.returncode, err) for w, (_, err) in zip(workers, outputs, strict=True)]
    assert all(code == 0 for code, _ in failures), failures
    written = set().union(*(json.loads(out) for out, _ in outputs))
    cache = Cache(tmp_path / "c")
    assert cache.get_many(written) == {key: value_of(key) for key in written}
    assert manage.count(cache) == len(written)
    cache.close()
    assert integrity(tmp_path / "c" / CACHE_FILE) == "ok"


# -- access times, info, prune, clear -------------------------------------------------------


def _age_all_entries(cache_file, days):
    old = time.time() - days * 86400
    sql(cache_file, "UPDATE entries SET accessed = ?, created = ?", old, old)


def test_hits_refresh_the_access_time_that_pruning_goes_by(tmp_path):
    cache_file = filled_cache(tmp_path / "c")
    _age_all_entries(cache_file, 30)
    cache = Cache(tmp_path / "c")
    assert cache.get_many(["key1", "key2"]) == {"key1": ITEMS["key1"], "key2": ITEMS["key2"]}
    cache.close()  # access times are written in one batch, at the latest on close
    result = manage.prune(Cache(tmp_path / "c"), older_than_days=7)
    assert result.removed == len(ITEMS) - 2
    assert sorted(Cache(tmp_path / "c").get_many(ITEMS)) == ["key1", "key2"]


def test_many_hits_write_their_access_times_before_close(tmp_path):
    items = {f"k{i}": "v" for i in range(2500)}
    cache_file = filled_cache(tmp_path / "c", items)
    _age_all_entries(cache_file, 30)
    cache = Cache(tmp_path / "c")
    assert len(cache.get_many(items)) == len(items)
    recent = sql(cache_file, "SELECT count(*) FROM entries WHERE accessed > ?", time.time() - 60)
    assert recent == [(len(items),)]
    cache.close()


def test_prune_to_a_size_removes_the_least_recently_used_first(tmp_path):
    items = {f"k{i:04d}": "texte " * 60 for i in range(1500)}
    cache_file = filled_cache(tmp_path / "c", items)
    # k0000 was used longest ago, k1499 most recently.
    now = time.time()
    connection = sqlite3.connect(cache_file)
    connection.executemany(
        "UPDATE entries SET accessed = ? WHERE key = ?",
        [(now - 86400 + i, key) for i, key in enumerate(items)],
    )
    connection.commit()
    connection.close()
    cache = Cache(tmp_path / "c")
    limit = manage.size_on_disk(cache) // 3
    result = manage.prune(cache, max_bytes=limit)
    assert result.size_after <= limit < result.size_before
    kept = sorted(cache.get_many(items))
    assert 0 < len(kept) < len(items) and result.removed == len(items) - len(kept)
    assert kept == list(items)[-len(kept) :]  # exactly the most recently used survive


def test_prune_below_an_empty_cache_removes_everything_without_error(tmp_path):
    filled_cache(tmp_path / "c")
    result = manage.prune(Cache(tmp_path / "c"), max_bytes=0)
    assert result.removed == len(ITEMS) and manage.count(Cache(tmp_path / "c")) == 0


def test_clear_removes_one_model_by_its_hub_id_or_everything(tmp_path):
    cache = Cache(tmp_path / "c")
    cache.put_many("translation", "torch:hub:org/fr-en@abc", {"a1": "x", "a2": "y"})
    cache.put_many("translation", "torch:hub:org/fr-en@def", {"a3": "x"})
    cache.put_many("summary", "torch:local:/models/bart@0123", {"b1": "z"})
    cache.put_many("language", "py3langid-0.3.0", {"c1": "fr"})
    assert manage.count(cache, "org/fr-en") == 3
    assert manage.clear(cache, model="org/fr-en") == 3
    assert manage.clear(cache, model="/models/bart") == 1
    assert cache.get_many(["a1", "a3", "b1", "c1"]) == {"c1": "fr"}
    assert manage.clear(cache, model="nothing/like-this") == 0
    assert manage.clear(cache) == 1 and manage.count(cache) == 0


def test_model_names_match_identities_whatever_the_revision():
    assert model_matches("torch:hub:org/m@0123", "org/m")
    assert model_matches("torch:hub:org/m@0123", "org/m@0123")
    assert model_matches("torch:hub:org/m@0123", "torch:hub:org/m@0123")
    assert model_matches("torch:local:/srv/my model@ff00", "/srv/my model")
    assert model_matches("py3langid-0.3.0", "py3langid-0.3.0")
    assert not model_matches("torch:hub:org/m@0123", "org")
    assert not model_matches("torch:hub:org/m2@0123", "org/m")
    assert not model_matches("py3langid-0.3.0", "py3langid")


def test_info_counts_entries_per_task_and_model(tmp_path):
    cache = Cache(tmp_path / "c")
    cache.put_many("translation", "torch:hub:org/fr-en@abc", {"a": "xx", "b": "yyy"})
    cache.put_many("summary", "torch:hub:org/bart@abc", {"c": "z"})
    info = manage.info(cache)
    assert info.exists and info.entries == 3 and info.size_on_disk > 0
    assert info.oldest <= info.newest <= time.time()
    usage = {(m.task, m.model): (m.entries, m.size) for m in info.models}
    assert usage == {
        ("summary", "torch:hub:org/bart@abc"): (1, 2),
        ("translation", "torch:hub:org/fr-en@abc"): (2, 7),
    }


def test_info_prune_and_clear_of_a_missing_cache_create_nothing(tmp_path):
    cache = Cache(tmp_path / "nothing-here")
    assert not manage.info(cache).exists
    assert manage.prune(cache, max_bytes=0, older_than_days=1).removed == 0
    assert manage.clear(cache) == 0 and manage.count(cache) == 0
    assert not (tmp_path / "nothing-here").exists()
