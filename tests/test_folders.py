"""Folder runs: mirrored outputs, bad files, safety, resume, manifest, progress."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from summarizer import documents, jobs
from summarizer.engines import load_model
from summarizer.errors import InputError
from summarizer.options import RunOptions
from summarizer.pipeline import Article, Summarizer
from summarizer.progress import Progress
from tests.articles import (
    ENGLISH_ARTICLE,
    SCRAPED_ENGLISH_ARTICLE,
    SCRAPED_ENGLISH_DEBRIS,
    french_article,
    write_corpus,
)
from tests.fakes import FakeModel
from tests.processes import invoke
from tests.test_output_safety import within


def manifest(outdir: Path) -> list[dict]:
    lines = (outdir / "manifest.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def outputs(outdir: Path) -> dict[str, str]:
    return {
        str(path.relative_to(outdir)): path.read_text(encoding="utf-8")
        for path in sorted(outdir.rglob("*"))
        if path.is_file() and path.name not in ("manifest.jsonl", "digest.md", "digest.csv")
    }


def test_folder_outputs_mirror_the_input_tree(tmp_path, engine_config):
    corpus = tmp_path / "corpus"
    sources = write_corpus(corpus, 8)
    (corpus / "notes.md").write_text("not an article type")
    (corpus / ".hidden.txt").write_text(french_article(99))
    single = tmp_path / "extra.txt"
    single.write_text(ENGLISH_ARTICLE)
    out = tmp_path / "out"
    result = invoke("translate", corpus, single, "-o", out, "--config", engine_config)
    assert result.exit_code == 0, result.output
    expected = {str(p.relative_to(corpus)) for p in sources} | {"extra.txt"}
    assert set(outputs(out)) == expected
    rows = manifest(out)
    assert len(rows) == 9 and {row["status"] for row in rows} == {"written"}
    assert set(rows[0]) >= {
        "input", "output", "status", "source_language", "segments",
        "cache_hits", "cache_misses", "seconds", "error",
    }  # fmt: skip
    extra = next(row for row in rows if row["output"] == "extra.txt")
    assert extra["source_language"] == "en" and extra["segments"] == 0
    assert (out / "extra.txt").read_text() == "\n\n".join(
        documents.split_paragraphs(ENGLISH_ARTICLE)
    ) + "\n"
    assert "9 written, 0 already up to date, 0 failed" in result.stderr


def test_format_chooses_the_extension_and_glob_the_inputs(tmp_path, engine_config):
    corpus = tmp_path / "corpus"
    write_corpus(corpus, 4)
    (corpus / "page.text").write_text(french_article(7))
    out = tmp_path / "out"
    result = invoke(
        "summarize", corpus, "-o", out, "--format", "json", "--glob", "*.text", "-q",
        "--config", engine_config,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert list(outputs(out)) == ["page.json"]
    assert json.loads((out / "page.json").read_text())["summary"] is not None


def test_json_without_outdir_writes_json_lines(tmp_path, engine_config):
    write_corpus(tmp_path / "corpus", 3)
    result = invoke(
        "translate", tmp_path / "corpus", "--format", "json", "-q", "--config", engine_config
    )
    assert result.exit_code == 0, result.output
    objects = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(objects) == 3
    assert all(obj["translated"] and obj["summary"] is None for obj in objects)


def test_bad_files_are_reported_and_skipped_and_the_run_exits_1(tmp_path, tiny_config):
    corpus = tmp_path / "corpus"
    write_corpus(corpus, 3)
    (corpus / "empty.txt").write_text(" \n")
    (corpus / "binary.txt").write_bytes(b"\x00\x01\x02\x03")
    # A UTF-16 byte-order mark, then a lone surrogate: no decoding of it is text.
    (corpus / "broken.txt").write_bytes(b"\xff\xfe\x00\xd8\x41\x00")
    (corpus / "huge.txt").write_text("Un mot. " * 400)
    (corpus / "script.html").write_text(
        "<html><body><div id=app>{{ article.body }}</div></body></html>"
    )
    config = tmp_path / "limited.toml"
    config.write_text(
        tiny_config.read_text().replace("[pipeline]", "[pipeline]\nmax_input_bytes = 2000")
    )
    out = tmp_path / "out"
    result = invoke("translate", corpus, "-o", out, "--config", config)
    assert result.exit_code == 1
    rows = {Path(row["input"]).name: row for row in manifest(out)}
    failed = {name for name, row in rows.items() if row["status"] == "failed"}
    assert failed == {"empty.txt", "binary.txt", "broken.txt", "huge.txt", "script.html"}
    assert all(rows[name]["error"] for name in failed)
    assert len([row for row in rows.values() if row["status"] == "written"]) == 3
    lines = result.stderr.splitlines()
    for name in failed:
        assert any(line.startswith("failed: ") and str(corpus / name) in line for line in lines)
    assert "Traceback" not in result.stderr
    assert "no article text found in" in rows["script.html"]["error"]
    assert "3 written, 0 already up to date, 5 failed" in result.stderr


class IdentityOnly:
    """A model whose identity is known (from its files) but which must not run."""

    def __init__(self, model) -> None:
        self.identity = model.identity

    def __getattr__(self, name):
        raise AssertionError("a model was loaded")


def test_rerun_skips_current_outputs_without_loading_a_model(tmp_path, engine_config):
    corpus = tmp_path / "corpus"
    sources = write_corpus(corpus, 5)
    out = tmp_path / "out"
    assert invoke("translate", corpus, "-o", out, "--config", engine_config).exit_code == 0
    before = outputs(out)

    # What `translate CORPUS -o OUT --no-cache` runs, with models that refuse to load: no
    # model and no cache at all, only the manifest can tell the outputs are current.
    summarizer = Summarizer(
        engine_config,
        use_cache=False,
        model_loader=lambda spec, on_progress=None: IdentityOnly(load_model(spec)),
    )
    progress = Progress(0, enabled=False)
    options = RunOptions(summarize=False)
    jobs.run(summarizer, [corpus], out, options, "text", progress=progress, emit=print)
    assert progress.counts["failed"] == 0  # the command's exit code 0
    assert {row["status"] for row in manifest(out)} == {"up_to_date"}
    assert "0 written, 5 already up to date" in progress.finish()
    assert outputs(out) == before

    sources[0].write_text(french_article(1234), encoding="utf-8")
    invoke("translate", corpus, "-o", out, "--config", engine_config)
    statuses = sorted(row["status"] for row in manifest(out))
    assert statuses == ["up_to_date"] * 4 + ["written"]


def test_changed_settings_make_outputs_stale(tmp_path, tiny_config):
    corpus = tmp_path / "corpus"
    write_corpus(corpus, 2)
    out = tmp_path / "out"
    invoke("translate", corpus, "-o", out, "--config", tiny_config)
    changed = tmp_path / "changed.toml"
    changed.write_text(
        tiny_config.read_text().replace("max_new_tokens = 48", "max_new_tokens = 40")
    )
    invoke("translate", corpus, "-o", out, "--config", changed)
    assert {row["status"] for row in manifest(out)} == {"written"}


def test_keep_boilerplate_reaches_every_document_and_makes_outputs_stale(tmp_path, tiny_config):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "scraped.txt").write_text(SCRAPED_ENGLISH_ARTICLE, encoding="utf-8")
    out = tmp_path / "out"
    for flags, removed in (([], SCRAPED_ENGLISH_DEBRIS), (["--keep-boilerplate"], [])):
        args = ("translate", corpus, "-o", out, "--format", "json", "-q", *flags)
        assert invoke(*args, "--config", tiny_config).exit_code == 0
        assert json.loads((out / "scraped.json").read_text())["removed"] == removed
        assert [row["status"] for row in manifest(out)] == ["written"]


def test_outdir_inside_the_input_tree_never_reads_its_outputs(tmp_path, tiny_config):
    corpus = tmp_path / "corpus"
    sources = write_corpus(corpus, 3)
    originals = {path: path.read_bytes() for path in sources}
    out = corpus / "english"
    for _ in range(2):
        result = invoke("translate", corpus, "-o", out, "--config", tiny_config)
        assert result.exit_code == 0, result.output
        assert len(manifest(out)) == 3
    assert all(path.read_bytes() == content for path, content in originals.items())
    assert not (out / "english").exists()


def test_outputs_never_overwrite_inputs_or_leave_outdir(tmp_path, tiny_config):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    article = corpus / "a.txt"
    article.write_text(french_article(1))
    other = corpus / "b.txt"
    other.write_text(french_article(2))
    result = invoke("translate", article, other, "-o", corpus, "--config", tiny_config)
    assert result.exit_code == 1
    assert article.read_text() == french_article(1) and other.read_text() == french_article(2)
    assert "is an input file" in result.stderr

    outside = tmp_path / "outside"
    outside.mkdir()
    nested = tmp_path / "nested"
    (nested / "sub").mkdir(parents=True)
    (nested / "sub" / "c.txt").write_text(french_article(3))
    out = tmp_path / "out"
    out.mkdir()
    (out / "sub").symlink_to(outside, target_is_directory=True)
    result = invoke("translate", nested, "-o", out, "--config", tiny_config)
    assert result.exit_code == 1
    assert "would leave" in result.stderr
    assert list(outside.iterdir()) == []


def test_symlinked_folders_are_not_followed(tmp_path, tiny_config):
    corpus = tmp_path / "corpus"
    write_corpus(corpus, 2)
    elsewhere = tmp_path / "elsewhere"
    write_corpus(elsewhere, 3)
    (corpus / "link").symlink_to(elsewhere, target_is_directory=True)
    out = tmp_path / "out"
    invoke("translate", corpus, "-o", out, "--config", tiny_config)
    assert len(manifest(out)) == 2


def test_outdir_equal_to_an_input_folder_is_a_usage_error(tmp_path, tiny_config):
    write_corpus(tmp_path / "corpus", 1)
    result = invoke("translate", tmp_path / "corpus", "-o", tmp_path / "corpus")
    assert result.exit_code == 2


def test_temporary_files_of_killed_runs_are_removed(tmp_path, tiny_config):
    corpus = tmp_path / "corpus"
    write_corpus(corpus, 1)
    out = tmp_path / "out" / "section-0" / "day-0"
    out.mkdir(parents=True)
    # Temporary names are the tool's own (issue 11, point 3): .summarizer-tmp-PID-RANDOM.tmp
    dead = out / ".summarizer-tmp-999999999-0123456789abcdef.tmp"
    dead.write_text("half")
    alive = out / f".summarizer-tmp-{os.getpid()}-abcdef0123456789.tmp"
    alive.write_text("in progress")
    invoke("translate", corpus, "-o", tmp_path / "out", "--config", tiny_config, "-q")
    assert not dead.exists()
    assert alive.exists()


def test_quiet_folder_run_prints_only_failures(tmp_path, tiny_config):
    corpus = tmp_path / "corpus"
    write_corpus(corpus, 2)
    (corpus / "empty.txt").write_text("")
    result = invoke("translate", corpus, "-o", tmp_path / "out", "-q", "--config", tiny_config)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"failed: {corpus / 'empty.txt'} is empty: there is no text to translate"
    ]


def test_batches_mix_sentences_from_several_documents(tiny_config):
    fakes = {}

    def loader(spec, on_progress=None):
        fakes[spec.name] = FakeModel(spec)
        return fakes[spec.name]

    summarizer = Summarizer(tiny_config, model_loader=loader, use_cache=False)
    articles = [Article(f"doc{i}", french_article(i, sentences=6)) for i in range(6)]
    # Without checks: the fakes copy their input, which the checks would retry.
    results = summarizer.run_batch(articles, RunOptions(summarize=False, checks=False))
    marian = fakes["tiny-marian"]
    assert sum(len(batch) for batch in marian.batches) == 36
    assert marian.calls == 3  # 36 sentences in batches of 16
    mixed = [
        {result.input for result in results for text in batch if text in result.source_text}
        for batch in marian.batches
    ]
    assert all(len(documents_in_batch) > 1 for documents_in_batch in mixed)
    sent = [text for batch in marian.batches for text in batch]
    # Sorted by length in the model's tokens (then characters): the least padding.
    lengths = [(marian.count_tokens(text), len(text)) for text in sent]
    assert lengths == sorted(lengths)
    assert all(not isinstance(result, Exception) for result in results)


def test_one_document_with_an_unknown_language_does_not_stop_the_others(tiny_config):
    summarizer = Summarizer(tiny_config, model_loader=lambda spec, p=None: FakeModel(spec))
    results = summarizer.run_batch(
        [Article("fr", french_article(1)), Article("de", "Guten Tag. Wie geht es Ihnen heute?")],
        RunOptions(source_language=None, summarize=False),
    )
    assert results[0].translated
    assert "no translator for language" in str(results[1])


@pytest.mark.parametrize("count", [40])
def test_documents_are_read_and_processed_in_windows(tmp_path, tiny_config, count):
    write_corpus(tmp_path / "corpus", count)
    reads = []

    def counting_read(source, **options):
        reads.append(source)
        return documents.read_document(source, **options)

    batches = []

    class RecordingSummarizer(Summarizer):
        def run_batch(self, articles, options=None):
            batches.append(len(articles))
            return super().run_batch(articles, options)

    # What `translate CORPUS -o OUT -q` runs, reading and running through recording seams;
    # a recording fake translates, since what is counted here is the windows, not outputs.
    summarizer = RecordingSummarizer(tiny_config, model_loader=lambda spec, _=None: FakeModel(spec))
    try:
        jobs.run(
            summarizer, [tmp_path / "corpus"], tmp_path / "out", RunOptions(summarize=False),
            "text", progress=Progress(0, enabled=False), emit=print, read=counting_read,
        )  # fmt: skip
    finally:
        summarizer.close()
    assert len(reads) == count
    assert batches == [32, 8]


def test_unwritable_output_folder_is_one_clear_error_inputs_untouched(tmp_path, tiny_config):
    corpus = tmp_path / "corpus"
    sources = write_corpus(corpus, 2)
    originals = {path: path.read_bytes() for path in sources}
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = invoke("translate", corpus, "-o", blocker / "out", "--config", tiny_config, "-q")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: cannot write in {blocker / 'out'}: Not a directory")
    assert result.stderr.count("\n") == 1
    assert all(path.read_bytes() == content for path, content in originals.items())


# Issue 11: inputs a folder run must neither hang on, crash on, hide nor merge.


def test_special_files_are_refused_with_their_path_and_never_opened(tmp_path, tiny_config):
    corpus = tmp_path / "corpus"
    write_corpus(corpus, 2, folders=1)
    fifo = corpus / "pipe.txt"
    os.mkfifo(fifo)
    out = tmp_path / "out"
    with within(120):  # a FIFO opened for reading waits for a writer forever
        result = invoke("translate", corpus, "-o", out, "--config", tiny_config)
        assert result.exit_code == 1, result.output
        assert f"failed: {fifo}: it is a named pipe (FIFO), not an article file" in result.stderr
        assert "2 written, 0 already up to date, 1 failed" in result.stderr
        rows = {row["input"]: row for row in manifest(out)}
        assert rows[str(fifo)]["status"] == "failed"

        result = invoke("translate", fifo, "--config", tiny_config)
        assert result.exit_code == 1 and result.stderr.count("\n") == 1
        assert result.stderr.startswith(f"Error: {fifo} is a named pipe (FIFO)")


def test_a_file_name_that_is_not_utf8_is_processed_and_shown_escaped(tmp_path, tiny_config):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    raw = os.path.join(os.fsencode(corpus), b"caf\xe9.txt")
    with open(raw, "wb") as handle:
        handle.write(french_article(1).encode())
    (corpus / "empty.txt").write_text("")
    (corpus / "b.txt").write_text(french_article(2), encoding="utf-8")
    out = tmp_path / "out"
    result = invoke("translate", corpus, "-o", out, "--config", tiny_config)
    assert result.exit_code == 1, result.output  # empty.txt
    rows = {row["input"]: row for row in manifest(out)}
    escaped = f"{corpus}/caf\\xe9.txt"
    assert rows[escaped]["status"] == "written" and rows[escaped]["output"] == "caf\\xe9.txt"
    assert os.path.isfile(os.path.join(os.fsencode(out), b"caf\xe9.txt"))
    assert "2 written, 0 already up to date, 1 failed" in result.stderr
    result = invoke("translate", corpus, "-o", out, "--config", tiny_config)
    assert (
        rows[escaped]["fingerprint"]
        == {r["input"]: r for r in manifest(out)}[escaped]["fingerprint"]
    )
    assert "0 written, 2 already up to date, 1 failed" in result.stderr
    result = invoke("translate", corpus, "--format", "json", "-q", "--config", tiny_config)
    inputs = {json.loads(line)["input"] for line in result.stdout.splitlines()}
    assert escaped in inputs


def test_a_file_name_with_a_newline_is_shown_escaped_on_one_line(tmp_path, tiny_config):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "bad\nname.txt").write_text("")
    (corpus / "ok\x1b[31m.txt").write_text(french_article(1), encoding="utf-8")
    out = tmp_path / "out"
    for rerun in (False, True):
        result = invoke("translate", corpus, "-o", out, "--config", tiny_config)
        assert result.exit_code == 1
        failed, closing = result.stderr.splitlines()
        assert failed == f"failed: {corpus}/bad\\nname.txt is empty: there is no text to translate"
        assert closing.startswith(f"{0 if rerun else 1} written, {1 if rerun else 0} already")
    assert "\x1b" not in (out / "manifest.jsonl").read_text()


def test_a_named_folder_inside_the_output_folder_is_searched_whole(tmp_path, tiny_config):
    articles = tmp_path / "articles"
    (articles / "2024").mkdir(parents=True)
    (articles / "a.txt").write_text(french_article(1), encoding="utf-8")
    (articles / "2024" / "b.txt").write_text(french_article(2), encoding="utf-8")
    result = invoke("translate", "articles", "-o", ".", "--config", tiny_config)  # cwd: tmp_path
    assert result.exit_code == 0, result.output
    assert "2 written" in result.stderr
    assert (tmp_path / "a.txt").is_file() and (tmp_path / "2024" / "b.txt").is_file()
    assert sorted(row["output"] for row in manifest(tmp_path)) == ["2024/b.txt", "a.txt"]


def test_globs_match_extensions_in_any_case_and_paths_with_a_slash(tmp_path):
    corpus = tmp_path / "corpus"
    for name in ("PAGE.HTML", "NOTE.TXT", "fr/a.txt", "fr/sub/b.txt", "en/c.txt", "d.md"):
        (corpus / name).parent.mkdir(parents=True, exist_ok=True)
        (corpus / name).write_text("x")

    def found(*globs):
        plan = jobs.plan_run([corpus], tmp_path / "out", "text", globs or jobs.DEFAULT_GLOBS)
        return sorted(job.source.relative_to(corpus).as_posix() for job in plan.jobs)

    assert found() == ["NOTE.TXT", "PAGE.HTML", "en/c.txt", "fr/a.txt", "fr/sub/b.txt"]
    assert found("fr/*.txt") == ["fr/a.txt", "fr/sub/b.txt"]
    assert found("*.TXT") == ["NOTE.TXT", "en/c.txt", "fr/a.txt", "fr/sub/b.txt"]
    with pytest.raises(InputError, match="no input files matched"):
        found("note.txt")  # only the extension ignores case
    assert found("*.md") == ["d.md"]


def test_nothing_matched_is_an_error(tmp_path, tiny_config):
    write_corpus(tmp_path / "corpus", 2)
    for extra in ([], ["--format", "json"]):
        args = ("translate", tmp_path / "corpus", "--glob", "*.pdf", "--config", tiny_config)
        result = invoke(*args, *([] if extra else ["-o", tmp_path / "out"]), *extra)
        assert result.exit_code == 1, result.output
        assert result.stderr.startswith("Error: no input files matched *.pdf in ")
        assert result.stderr.count("\n") == 1


def test_inputs_that_would_share_an_output_keep_their_extension(tmp_path, tiny_config):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "x.expected.txt").write_text(french_article(1), encoding="utf-8")
    page = f"<html><body><p>{french_article(2)}</p></body></html>"
    (corpus / "x.expected.html").write_text(page, encoding="utf-8")
    (corpus / "y.htm").write_text(page, encoding="utf-8")
    (corpus / "y.html").write_text(page, encoding="utf-8")
    (corpus / "z.html").write_text(page, encoding="utf-8")
    out = tmp_path / "out"
    result = invoke("translate", corpus, "-o", out, "--config", tiny_config)
    assert result.exit_code == 0, result.output
    assert {row["input"]: row["output"] for row in manifest(out)} == {
        str(corpus / "x.expected.txt"): "x.expected.txt",
        str(corpus / "x.expected.html"): "x.expected.html.txt",
        str(corpus / "y.htm"): "y.htm.txt",
        str(corpus / "y.html"): "y.html.txt",
        str(corpus / "z.html"): "z.txt",
    }


def test_json_lines_report_each_failed_input_on_stdout(tmp_path, tiny_config):
    corpus = tmp_path / "corpus"
    write_corpus(corpus, 2, folders=1)
    (corpus / "empty.txt").write_text("")
    os.mkfifo(corpus / "pipe.txt")
    with within(120):
        result = invoke("translate", corpus, "--format", "json", "-q", "--config", tiny_config)
    assert result.exit_code == 1
    objects = [json.loads(line) for line in result.stdout.splitlines()]
    failures = {obj["input"]: obj["error"] for obj in objects if set(obj) == {"input", "error"}}
    assert set(failures) == {str(corpus / "empty.txt"), str(corpus / "pipe.txt")}
    assert "is empty" in failures[str(corpus / "empty.txt")]
    assert len(objects) == 4


def test_a_tree_of_every_bad_input_class_finishes_and_a_rerun_writes_nothing_new(
    tmp_path, tiny_config
):
    corpus = tmp_path / "corpus"
    write_corpus(corpus, 2, folders=1)
    os.mkfifo(corpus / "pipe.txt")
    with open(os.path.join(os.fsencode(corpus), b"caf\xe9.txt"), "wb") as handle:
        handle.write(french_article(3).encode())
    long_name = "l" * 236 + ".txt"
    (corpus / long_name).write_text(french_article(4), encoding="utf-8")
    stray = french_article(5).encode().replace(b" l'", b" l\x92", 2)
    (corpus / "stray.txt").write_bytes(stray)
    mojibake = french_article(6) + "\ufffd" * 40
    (corpus / "mojibake.txt").write_text(mojibake, encoding="utf-8")
    (corpus / "UPPER.TXT").write_text(french_article(7), encoding="utf-8")
    (corpus / "same.txt").write_text(french_article(8), encoding="utf-8")
    (corpus / "same.html").write_text(f"<html><body><p>{french_article(9)}</p></body></html>")
    (corpus / "empty.txt").write_text("")
    out = tmp_path / "out"
    out.mkdir()
    (tmp_path / "victim.txt").write_text("victim")
    (out / ".manifest.jsonl.partial").symlink_to(tmp_path / "victim.txt")

    with within(300):
        result = invoke("translate", corpus, "-o", out, "--config", tiny_config)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.stderr
    rows = {row["input"]: row for row in manifest(out)}
    assert len(rows) == 11
    failed = {name for name, row in rows.items() if row["status"] == "failed"}
    assert {str(corpus / "pipe.txt"), str(corpus / "empty.txt")} <= failed
    assert failed <= {str(corpus / name) for name in ("pipe.txt", "empty.txt", "mojibake.txt")}
    for name in failed:
        assert any(line.startswith(f"failed: {name}") for line in result.stderr.splitlines())
    written = {row["output"] for row in rows.values() if row["status"] == "written"}
    assert {"caf\\xe9.txt", long_name, "stray.txt", "UPPER.txt", "same.txt", "same.html.txt"} <= (
        written
    )
    assert f"not journalling to {out / '.manifest.jsonl.partial'}" in result.stderr
    assert (tmp_path / "victim.txt").read_text() == "victim"

    before = {path: path.stat().st_mtime_ns for path in out.rglob("*") if path.is_file()}
    with within(300):
        again = invoke("translate", corpus, "-o", out, "--config", tiny_config)
    assert again.exit_code == 1
    assert f"0 written, {len(written)} already up to date, {len(failed)} failed" in again.stderr
    after = {path: path.stat().st_mtime_ns for path in out.rglob("*") if path.is_file()}
    del before[out / "manifest.jsonl"], after[out / "manifest.jsonl"]
    assert after == before
