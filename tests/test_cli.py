"""The command line through click's runner: formats, files, errors, exit codes."""

from __future__ import annotations

import json
import socket

import pytest

from summarizer import __version__
from tests.articles import FRENCH_ARTICLE, SCRAPED_ENGLISH_ARTICLE, SCRAPED_ENGLISH_DEBRIS
from tests.processes import invoke

JSON_KEYS = {
    "input",
    "source_language",
    "translated",
    "metadata",
    "title_translation",
    "source_text",
    "translation",
    "summary",
    "summarized",
    "paragraph_languages",
    "sentences",
    "removed",
    "paywalled",
    "models",
    "checks",
    "stats",
    "seconds",
    "summary_from",
}


def test_json_output_has_every_documented_key(article, engine_config):
    result = invoke("summarize", article, "--config", engine_config, "--format", "json", "-q")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == JSON_KEYS
    assert set(data["metadata"]) == {"title", "author", "date", "site", "url", "language"}
    assert set(data["models"]) == {"translation", "summarization"}
    assert set(data["models"]["translation"]) == {"name", "model", "revision"}
    assert set(data["stats"]["translation"]) == {
        "segments",
        "cache_hits",
        "cache_misses",
        "retried",
        "confidence",
    }
    assert set(data["stats"]["summarization"]) == {
        "chunks",
        "cache_hits",
        "cache_misses",
        "retried",
    }
    assert set(data["checks"]) == {"translation", "summary", "flagged"}
    assert data["input"] == str(article) and data["translated"] is True


def test_second_run_reports_no_cache_misses_and_the_same_output(article, engine_config):
    args = ("summarize", article, "--config", engine_config, "--format", "json", "-q")
    first = json.loads(invoke(*args).stdout)
    second = json.loads(invoke(*args).stdout)
    assert second["stats"]["translation"]["cache_misses"] == 0
    assert second["stats"]["summarization"]["cache_misses"] == 0
    for key in ("source_text", "translation", "summary", "models"):
        assert second[key] == first[key]


def test_no_cache_neither_reads_nor_writes(article, tiny_config, isolated_environment):
    args = ("summarize", article, "--config", tiny_config, "--format", "json", "-q", "--no-cache")
    invoke(*args)
    data = json.loads(invoke(*args).stdout)
    assert data["stats"]["translation"]["cache_hits"] == 0
    assert not (isolated_environment / "cache.sqlite3").exists()


def test_cache_dir_option_chooses_where_the_cache_lives(article, tiny_config, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    invoke("summarize", article, "--config", tiny_config, "-q", "--cache-dir", elsewhere)
    assert (elsewhere / "cache.sqlite3").is_file()


def test_text_format_prints_the_summary_and_progress_goes_to_stderr(article, engine_config):
    result = invoke("summarize", article, "--config", engine_config)
    assert result.exit_code == 0
    as_json = invoke("summarize", article, "--config", engine_config, "--format", "json")
    data = json.loads(as_json.stdout)
    assert result.stdout == data["summary"] + "\n"
    assert "translated" in result.stderr and "summarizing" in result.stderr


def test_quiet_prints_nothing_on_stderr(article, tiny_config):
    result = invoke("summarize", article, "--config", tiny_config, "-q")
    assert result.exit_code == 0 and result.stderr == ""


def test_markdown_has_summary_then_translation_sections(article, engine_config):
    result = invoke("summarize", article, "--config", engine_config, "--format", "markdown", "-q")
    output = result.stdout
    assert output.startswith("## Summary\n\n")
    assert output.index("## Summary") < output.index("## Translation")
    assert not output.lstrip().startswith("# ")


def test_output_file_is_written_and_stdout_stays_empty(article, engine_config, tmp_path):
    target = tmp_path / "out" / "summary.json"
    result = invoke(
        "summarize", article, "--config", engine_config, "--format", "json", "-o", target, "-q"
    )
    assert result.exit_code == 0 and result.stdout == ""
    assert set(json.loads(target.read_text(encoding="utf-8"))) == JSON_KEYS
    assert [p.name for p in target.parent.iterdir()] == ["summary.json"]


def test_article_can_come_from_stdin(engine_config):
    result = invoke(
        "summarize", "-", "--config", engine_config, "--format", "json", "-q", input=FRENCH_ARTICLE
    )
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["input"] == "-" and data["source_language"] == "fr"


def test_config_can_come_from_the_environment(article, tiny_config, monkeypatch):
    monkeypatch.setenv("SUMMARIZER_CONFIG", str(tiny_config))
    data = json.loads(invoke("summarize", article, "--format", "json", "-q").stdout)
    assert data["models"]["summarization"]["name"] == "tiny-bart"


def test_scraped_article_reports_removed_debris_and_the_paywall(tmp_path, tiny_config):
    path = tmp_path / "scraped.txt"
    path.write_text(SCRAPED_ENGLISH_ARTICLE, encoding="utf-8")
    args = ("summarize", path, "--config", tiny_config, "--format", "json", "-q")
    data = json.loads(invoke(*args).stdout)
    assert (data["source_language"], data["translated"]) == ("en", False)
    assert data["removed"] == SCRAPED_ENGLISH_DEBRIS and data["paywalled"] is True
    assert not any(line in data["source_text"] for line in SCRAPED_ENGLISH_DEBRIS)
    kept = json.loads(invoke(*args, "--keep-boilerplate").stdout)
    assert kept["removed"] == [] and kept["paywalled"] is True
    assert all(line in kept["source_text"] for line in SCRAPED_ENGLISH_DEBRIS)


def test_saved_web_page_is_summarized_from_its_article(tmp_path, tiny_config):
    paragraphs = "".join(f"<p>{' '.join(p.split())}</p>" for p in FRENCH_ARTICLE.split("\n\n"))
    page = tmp_path / "page.html"
    page.write_text(
        "<!DOCTYPE html><html lang='fr'><head><title>Des écoles rénovées</title>"
        "<meta name='author' content='Paul Durand'></head><body>"
        f"<nav><a href='/'>Accueil</a> <a href='/x'>Politique</a></nav>"
        f"<article><h1>Des écoles rénovées</h1>{paragraphs}</article></body></html>",
        encoding="utf-8",
    )
    data = json.loads(invoke("summarize", page, "--config", tiny_config, "--format", "json").stdout)
    # The title is its own field, translated on its own; the body keeps its paragraphs.
    assert data["source_text"] == FRENCH_ARTICLE.strip()
    assert data["source_language"] == "fr" and data["translated"] is True
    assert data["metadata"]["title"] == "Des écoles rénovées"
    assert data["metadata"]["author"] == "Paul Durand"
    assert data["title_translation"]
    sources = [pair["source"] for paragraph in data["sentences"] for pair in paragraph]
    assert " ".join(sources) == " ".join(FRENCH_ARTICLE.split())


def test_page_with_no_article_text_fails_with_one_line(tmp_path, tiny_config):
    page = tmp_path / "app.html"
    page.write_text(
        "<!DOCTYPE html><html><head><title>{{ title }}</title></head><body>"
        "<div id='app'><h1>{{ article.title }}</h1><p>{{ article.body }}</p></div></body></html>",
        encoding="utf-8",
    )
    result = invoke("summarize", page, "--config", tiny_config)
    assert result.exit_code == 1
    assert result.stderr == f"Error: no article text found in {page}\n"


def test_configured_size_limit_refuses_a_larger_file(tmp_path, tiny_config, article):
    small = tmp_path / "small.toml"
    small.write_text(
        tiny_config.read_text(encoding="utf-8").replace(
            "[pipeline]\n", "[pipeline]\nmax_input_bytes = 64\n", 1
        ),
        encoding="utf-8",
    )
    result = invoke("summarize", article, "--config", small)
    assert result.exit_code == 1
    assert "larger than 64 bytes" in result.stderr and "max_input_bytes" in result.stderr


def test_version():
    result = invoke("--version")
    assert result.exit_code == 0 and __version__ in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ("{tmp}/empty.txt --config {config}", "is empty"),
        ("{tmp}/a.txt --config {tmp}/nope.toml", "config file not found"),
        ("{tmp}/a.txt --config {tmp}/bad.toml", "bad.toml: [models.x] modle: unknown key"),
        ("{tmp}/a.txt --config {config} --summarizer x", "unknown summarizer 'x'"),
    ],
)
def test_failures_print_one_line_and_exit_1(tmp_path, tiny_config, args, message):
    (tmp_path / "empty.txt").write_text("  \n")
    (tmp_path / "a.txt").write_text(FRENCH_ARTICLE)
    (tmp_path / "bad.toml").write_text('[pipeline]\nsummarizer = "x"\n[models.x]\nmodle = "y"\n')
    result = invoke("summarize", *args.format(tmp=tmp_path, config=tiny_config).split())
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ") and message in result.stderr
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["summarize"],
        ["summarize", "a.txt", "--format", "yaml"],
        ["summarize", "a.txt", "--source-lang", "f1"],
        ["summarize", "a.txt", "--bogus"],
        ["summarize", "-", "a.txt", "-o", "out"],
        ["frobnicate"],
    ],
)
def test_usage_errors_exit_2(args):
    assert invoke(*args).exit_code == 2


def test_debug_shows_the_traceback(tmp_path):
    (tmp_path / "empty.txt").write_text("\n")
    result = invoke("summarize", tmp_path / "empty.txt", "--debug")
    assert result.exit_code == 1
    assert "Traceback" in result.stderr and "is empty" in result.stderr


HUB_CONFIG = """
[pipeline]
summarizer = "hub-sum"

[models.hub-sum]
task = "summarization"
model = "example-org/never-downloaded"
revision = "main"
"""


def test_offline_hub_model_not_in_cache_is_one_line_naming_the_model(article, tmp_path):
    config = tmp_path / "hub.toml"
    config.write_text(HUB_CONFIG)
    result = invoke("summarize", article, "--config", config, "--source-lang", "en", "-q")
    assert result.exit_code == 1
    assert "example-org/never-downloaded" in result.stderr
    assert "summarizer models pull hub-sum" in result.stderr
    assert result.stderr.count("\n") == 1


def test_models_list_shows_tasks_languages_and_presence(tiny_config, tmp_path):
    result = invoke("models", "list", "--config", tiny_config)
    assert result.exit_code == 0
    rows = {line.split()[0]: line.split() for line in result.stdout.splitlines() if line.strip()}
    assert rows["NAME"][1:6] == ["TASK", "KIND", "ENGINE", "LANGUAGES", "LICENCE"]
    assert rows["tiny-marian"][1:6] == ["translation", "seq2seq", "torch", "fr->en", "-"]
    assert rows["tiny-marian"][-1] == "yes"
    assert rows["tiny-bart"][1:3] == ["summarization", "seq2seq"]
    config = tmp_path / "hub.toml"
    config.write_text(HUB_CONFIG)
    hub_row = invoke("models", "list", "--config", config).stdout.splitlines()[1].split()
    assert hub_row[0] == "hub-sum" and hub_row[-1] == "no"


def test_models_pull_accepts_local_folders_and_reports_hub_failures(tiny_config, tmp_path):
    result = invoke("models", "pull", "tiny-marian", "--config", tiny_config)
    assert result.exit_code == 0 and "tiny-marian: ready at" in result.stdout
    config = tmp_path / "hub.toml"
    config.write_text(HUB_CONFIG)
    failed = invoke("models", "pull", "--config", config)
    assert failed.exit_code == 1
    assert failed.stderr.splitlines()[-1].startswith("Error: could not download model 'hub-sum'")
    unknown = invoke("models", "pull", "nope", "--config", tiny_config)
    assert unknown.exit_code == 1 and "unknown model 'nope'" in unknown.stderr


def test_network_guard_fails_any_internet_connection_but_loopback():
    from tests.conftest import NetworkAccessError

    # 192.0.2.0/24 is reserved for documentation: nothing is sent, the guard refuses first.
    with pytest.raises(NetworkAccessError):
        socket.create_connection(("192.0.2.1", 9), timeout=1)
    # The loopback address reaches the guard's other side: refused by the OS, not the guard.
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", 9), timeout=1)
