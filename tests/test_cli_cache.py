"""`summarizer cache info|prune|clear`, and how a run reports cache trouble on stderr."""

from __future__ import annotations

import json
import sqlite3
import tempfile
import time

import pytest

from summarizer.cache import CACHE_FILE, Cache, manage
from summarizer.cli import cache as cli_cache
from summarizer.cli.cache import format_size, parse_size
from tests.processes import invoke


@pytest.fixture
def filled(isolated_environment):
    """The test's cache ($SUMMARIZER_CACHE_DIR) with entries of two models."""
    cache = Cache(isolated_environment)
    cache.put_many(
        "translation", "torch:hub:org/fr-en@abc", {f"t{i}": "x" * 100 for i in range(40)}
    )
    cache.put_many("summary", "torch:hub:org/bart@def", {"s1": "y", "s2": "z"})
    cache.close()
    return isolated_environment


def test_info_shows_location_size_and_entries_per_task_and_model(filled):
    result = invoke("cache", "info")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"location:     {filled / CACHE_FILE}"
    assert lines[1].startswith("size on disk: ") and lines[1].endswith("KiB")
    assert lines[2].startswith("entries:      42 (oldest ")
    rows = {tuple(line.split()[:3]) for line in lines[4:]}
    assert ("translation", "torch:hub:org/fr-en@abc", "40") in rows
    assert ("summary", "torch:hub:org/bart@def", "2") in rows


def test_info_of_a_cache_not_created_yet_creates_nothing(isolated_environment):
    result = invoke("cache", "info")
    assert result.exit_code == 0 and "no cache yet" in result.stdout
    assert not isolated_environment.exists()


def test_cache_dir_option_wins_over_the_environment(filled, tmp_path):
    other = tmp_path / "other"
    Cache(other).put_many("t", "m", {"k": "v"})
    result = invoke("cache", "info", "--cache-dir", other)
    assert f"location:     {other / CACHE_FILE}" in result.stdout
    assert "entries:      1 " in result.stdout


def test_prune_older_than_removes_entries_not_used_since(filled):
    connection = sqlite3.connect(filled / CACHE_FILE)
    connection.execute("UPDATE entries SET accessed = ? WHERE task = 'translation'", (0,))
    connection.commit()
    connection.close()
    result = invoke("cache", "prune", "--older-than", "30")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("removed 40 entries; cache size ")
    assert manage.count(Cache(filled)) == 2


def test_prune_max_size_gets_the_file_under_the_size(filled):
    Cache(filled).put_many("t", "m", {f"big{i}": "z" * 4000 for i in range(200)})
    result = invoke("cache", "prune", "--max-size", "200K")
    assert result.exit_code == 0, result.output
    assert manage.size_on_disk(Cache(filled)) <= 200 * 1024
    assert 0 < manage.count(Cache(filled)) < 242


@pytest.mark.parametrize(
    "args",
    [
        ["cache", "prune"],
        ["cache", "prune", "--max-size", "lots"],
        ["cache", "prune", "--max-size", "-5M"],
        ["cache", "prune", "--older-than", "-1"],
        ["cache", "clear", "--bogus"],
        ["cache", "frobnicate"],
    ],
)
def test_cache_usage_errors_exit_2(args, filled):
    assert invoke(*args).exit_code == 2
    assert manage.count(Cache(filled)) == 42


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("800000", 800000),
        ("500M", 500 * 1024**2),
        ("2G", 2 * 1024**3),
        ("2g", 2 * 1024**3),
        ("1.5GiB", int(1.5 * 1024**3)),
        ("100KB", 100 * 1024),
        ("0", 0),
    ],
)
def test_sizes_are_read_in_powers_of_1024(text, size):
    assert parse_size(text) == size


def test_sizes_are_printed_for_people():
    assert [format_size(n) for n in (0, 1023, 1536, 5 * 1024**3)] == [
        "0 B",
        "1023 B",
        "1.5 KiB",
        "5.0 GiB",
    ]


def test_clear_on_a_terminal_asks_first_and_no_keeps_everything(filled, monkeypatch):
    monkeypatch.setattr(cli_cache, "stdin_is_terminal", lambda: True)
    refused = invoke("cache", "clear", input="n\n")
    assert refused.exit_code == 1 and "Remove all 42 cached entries" in refused.output
    assert refused.stderr.splitlines()[-1] == "Aborted; nothing was removed."
    assert manage.count(Cache(filled)) == 42
    accepted = invoke("cache", "clear", input="y\n")
    assert accepted.exit_code == 0 and "removed 42 entries" in accepted.stdout
    assert manage.count(Cache(filled)) == 0


def test_clear_with_yes_does_not_ask_and_without_a_terminal_needs_yes(filled, monkeypatch):
    monkeypatch.setattr(cli_cache, "stdin_is_terminal", lambda: True)
    result = invoke("cache", "clear", "--model", "org/bart", "--yes")
    assert result.exit_code == 0 and "Remove" not in result.output
    assert manage.count(Cache(filled)) == 40
    monkeypatch.setattr(cli_cache, "stdin_is_terminal", lambda: False)
    refused = invoke("cache", "clear", input="n\n")  # `echo n | summarizer cache clear`
    assert refused.exit_code == 2
    assert refused.stderr == "Error: give --yes to clear the cache without a terminal\n"
    assert manage.count(Cache(filled)) == 40
    assert invoke("cache", "clear", "--yes").exit_code == 0
    assert manage.count(Cache(filled)) == 0


def test_clear_model_accepts_a_name_from_models_toml(filled, tmp_path):
    config = tmp_path / "m.toml"
    config.write_text(
        '[pipeline]\nsummarizer = "bart"\n[models.bart]\ntask = "summarization"\n'
        'model = "org/bart"\n'
    )
    result = invoke("cache", "clear", "--model", "bart", "--config", config, "--yes")
    assert result.exit_code == 0 and "removed 2 entries" in result.stdout
    assert manage.count(Cache(filled)) == 40


def test_clear_of_an_unknown_model_is_one_line_and_exit_2(filled):
    result = invoke("cache", "clear", "--model", "nope", "--yes")
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1
    assert "no entries for model 'nope'" in result.stderr
    assert manage.count(Cache(filled)) == 42


@pytest.mark.parametrize("name", ["", "  "])
def test_clear_of_an_empty_model_name_is_a_usage_error_and_removes_nothing(filled, name):
    result = invoke("cache", "clear", "--model", name, "--yes")
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1
    assert manage.count(Cache(filled)) == 42


def test_an_empty_cache_dir_means_not_set_and_writes_nothing_here(
    article, tiny_config, tmp_path, isolated_environment
):
    here = tmp_path / "here"
    here.mkdir()
    result = invoke("translate", article, "--config", tiny_config, "-q", "--cache-dir", "")
    assert result.exit_code == 0, result.output
    assert (isolated_environment / CACHE_FILE).is_file()  # $SUMMARIZER_CACHE_DIR, as unset
    assert not (tmp_path / CACHE_FILE).exists() and not (tmp_path / "CACHEDIR.TAG").exists()


def test_cachedir_tag_is_written_only_into_a_folder_made_for_the_cache(
    article, tiny_config, tmp_path
):
    existing, made = tmp_path / "mine", tmp_path / "new" / "cache"
    existing.mkdir()
    for folder in (existing, made):
        result = invoke("translate", article, "--config", tiny_config, "-q", "--cache-dir", folder)
        assert result.exit_code == 0, result.output
        assert (folder / CACHE_FILE).is_file()
    assert not (existing / "CACHEDIR.TAG").exists()
    assert (made / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f597d28d172")


def test_a_cache_dir_that_is_a_file_warns_the_same_from_the_option_and_the_environment(
    article, tiny_config, tmp_path, monkeypatch
):
    (tmp_path / "a-file").write_text("x")
    by_option = invoke(
        "translate", article, "--config", tiny_config, "-q", "--cache-dir", tmp_path / "a-file"
    )
    monkeypatch.setenv("SUMMARIZER_CACHE_DIR", str(tmp_path / "a-file"))
    by_environment = invoke("translate", article, "--config", tiny_config, "-q")
    for result in (by_option, by_environment):
        assert result.exit_code == 0, result.output
        assert result.stderr.startswith("Warning: cannot open the cache at ")
        assert result.stderr.count("\n") == 1
    assert by_option.stdout == by_environment.stdout


def test_an_unusable_cache_folder_keeps_ctranslate2_conversions_in_a_temporary_folder(
    article, tiny_ctranslate2, tmp_path, monkeypatch
):
    config, _conversions = tiny_ctranslate2
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    monkeypatch.setenv("SUMMARIZER_CACHE_DIR", "/proc/no-such-folder")
    result = invoke("translate", article, "--config", config, "-q")
    assert result.exit_code == 0, result.output
    warnings = result.stderr.splitlines()
    assert warnings[0].startswith("Warning: cannot open the cache at /proc/no-such-folder")
    assert warnings[1].startswith("Warning: cannot keep converted models in /proc/no-such")
    assert len(warnings) == 2
    assert list((tmp_path / "tmp").glob("summarizer-*/ctranslate2/*/model.bin"))


def test_a_damaged_cache_is_reported_once_and_the_run_succeeds(
    article, tiny_config, isolated_environment
):
    args = ("summarize", article, "--config", tiny_config, "--format", "json", "-q")
    first = invoke(*args)
    (isolated_environment / CACHE_FILE).write_bytes(b"\x13" * 50_000)
    second = invoke(*args)
    assert second.exit_code == 0, second.output
    assert second.stderr.count("\n") == 1
    assert second.stderr.startswith("Warning: the cache file ") and "damaged" in second.stderr
    assert json.loads(second.stdout)["summary"] == json.loads(first.stdout)["summary"]
    third = invoke(*args)  # the rebuilt cache serves the next run
    assert (
        third.stderr == "" and json.loads(third.stdout)["stats"]["translation"]["cache_misses"] == 0
    )
    assert "damaged files set aside (1)" in invoke("cache", "info").stdout


def test_an_unwritable_cache_location_is_reported_once_and_the_run_succeeds(
    article, tiny_config, tmp_path
):
    (tmp_path / "not-a-folder").write_text("x")
    result = invoke(
        "summarize", article, "--config", tiny_config, "-q",
        "--cache-dir", tmp_path / "not-a-folder" / "cache",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stdout.strip()
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("Warning: cannot open the cache at ")


def test_a_full_cache_is_reported_once_and_the_run_succeeds(
    article, tiny_config, monkeypatch, isolated_environment
):
    from summarizer.cache import sqlite as cache_sqlite

    real_connect = cache_sqlite.connect

    def full(path, **options):
        connection = real_connect(path, **options)
        pages = connection.execute("PRAGMA page_count").fetchone()[0]
        connection.execute(f"PRAGMA max_page_count = {max(pages, 1)}")
        return connection

    # The run's Cache is made inside Summarizer: its default connect is this public one.
    monkeypatch.setattr(cache_sqlite, "connect", full)
    result = invoke("summarize", article, "--config", tiny_config, "--format", "json", "-q")
    assert result.exit_code == 0, result.output
    assert result.stderr.count("\n") == 1 and "database or disk is full" in result.stderr
    assert "cache prune" in result.stderr


def test_hits_in_a_cli_run_refresh_access_times(article, tiny_config, isolated_environment):
    args = ("summarize", article, "--config", tiny_config, "-q")
    invoke(*args)
    connection = sqlite3.connect(isolated_environment / CACHE_FILE)
    connection.execute("UPDATE entries SET accessed = 0")
    connection.commit()
    invoke(*args)
    fresh = connection.execute(
        "SELECT count(*) FROM entries WHERE accessed > ?", (time.time() - 60,)
    ).fetchone()[0]
    connection.close()
    assert fresh >= 1  # at least the final summary's entry, looked up first
