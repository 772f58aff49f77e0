"""A summarize folder run's digest: one entry per document with an output, in date then
title order, failures listed, written whole at the end, rewritten only when it changes."""

from __future__ import annotations

import csv
import html
import io

import pytest

from summarizer import jobs
from summarizer.options import RunOptions
from summarizer.pipeline import Summarizer
from summarizer.progress import Progress
from tests.articles import french_article
from tests.fakes import FakeModel, FakeSummarizer

# Without checks: the fake models copy their input, which the checks would flag.
OPTIONS = RunOptions(checks=False)


def page(title: str, date: str | None, body: str) -> str:
    published = f'<meta property="article:published_time" content="{date}">' if date else ""
    paragraphs = "".join(f"<p>{paragraph}</p>" for paragraph in body.split("\n\n"))
    return (
        f'<!DOCTYPE html><html lang="fr"><head><title>{title}</title>{published}'
        '<meta property="og:site_name" content="La Gazette">'
        f"</head><body><article><h1>{title}</h1>{paragraphs}</article></body></html>"
    )


@pytest.fixture
def corpus(tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "late.html").write_text(page("Le port agrandi", "2024-06-02", french_article(1)))
    (folder / "early.html").write_text(page("Une école ouverte", "2024-01-15", french_article(2)))
    (folder / "zeta.html").write_text(page("Zèbre au zoo", None, french_article(3)))
    (folder / "plain.txt").write_text(french_article(4))
    (folder / "broken.txt").write_bytes(b"\x00\x01binary")
    return folder


@pytest.fixture
def summarizer(tiny_config):
    def loader(spec, _=None):
        return FakeSummarizer(spec) if spec.task == "summarization" else FakeModel(spec)

    made = Summarizer(tiny_config, model_loader=loader)
    yield made
    made.close()


def run(summarizer, corpus, out, **options):
    return jobs.run(
        summarizer,
        [corpus],
        out,
        options.pop("run_options", OPTIONS),
        "markdown",
        progress=Progress(0, enabled=False),
        emit=print,
        **options,
    )


def csv_rows(out):
    text = (out / "digest.csv").read_text(encoding="utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))


def test_digest_lists_each_output_by_date_then_title_and_failures_last(
    summarizer, corpus, tmp_path
):
    out = tmp_path / "out"
    run(summarizer, corpus, out)
    rows = csv_rows(out)
    # Dated first, oldest first; then the undated, by title ("" for plain text, first).
    assert [row["input"] for row in rows] == [
        str(corpus / name) for name in ("early.html", "late.html", "plain.txt", "zeta.html")
    ]
    early = rows[0]
    assert (early["title"], early["date"], early["site"]) == (
        "Une école ouverte",
        "2024-01-15",
        "La Gazette",
    )
    assert early["title_translation"] == "[Une école ouverte]"
    assert early["output"] == "early.md" and early["source_language"] == "fr"
    assert early["summary"] and early["flags"] == "0"
    markdown = (out / "digest.md").read_text(encoding="utf-8")
    assert markdown.startswith("# Digest: 4 articles, 1 failed\n")
    headings = [line for line in markdown.splitlines() if line.startswith("## ")]
    assert headings == [
        "## \\[Une école ouverte\\]",
        "## \\[Le port agrandi\\]",
        "## plain.txt",
        "## \\[Zèbre au zoo\\]",
        "## Failed",
    ]
    failed = markdown.split("## Failed\n", 1)[1]
    assert f"`{corpus / 'broken.txt'}`: " in failed and "binary" in failed


def test_a_rerun_leaves_the_digest_untouched(summarizer, corpus, tmp_path):
    out = tmp_path / "out"
    run(summarizer, corpus, out)
    before = {name: (out / name).stat().st_mtime_ns for name in ("digest.md", "digest.csv")}
    content = (out / "digest.md").read_text(encoding="utf-8")
    run(summarizer, corpus, out)
    after = {name: (out / name).stat().st_mtime_ns for name in ("digest.md", "digest.csv")}
    assert after == before
    assert {row["status"] for row in jobs_manifest(out) if row["output"]} >= {"up_to_date"}
    # A document that changes changes the digest.
    (corpus / "plain.txt").write_text(french_article(9))
    run(summarizer, corpus, out)
    assert (out / "digest.md").read_text(encoding="utf-8") != content


def jobs_manifest(out):
    import json

    return [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]


def test_an_interrupted_run_writes_no_digest_and_its_resume_writes_it_whole(
    summarizer, corpus, tmp_path
):
    out = tmp_path / "out"
    calls = []

    def interrupting_read(source, **options):
        calls.append(source)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return jobs.local.read_document(source, **options)

    with pytest.raises(KeyboardInterrupt):
        run(summarizer, corpus, out, read=interrupting_read, window_size=1)
    assert not (out / "digest.md").exists() and not (out / "digest.csv").exists()
    run(summarizer, corpus, out)
    assert len(csv_rows(out)) == 4
    statuses = {row["input"]: row["status"] for row in jobs_manifest(out)}
    # Read in name order: broken.txt failed, early.html was done, late.html interrupted.
    assert statuses[str(corpus / "early.html")] == "up_to_date"
    assert statuses[str(corpus / "late.html")] == "written"


def test_no_digest_for_translations_or_when_turned_off(summarizer, corpus, tmp_path):
    run(summarizer, corpus, tmp_path / "off", digest=False)
    run(summarizer, corpus, tmp_path / "translated", run_options=RunOptions(summarize=False))
    for out in (tmp_path / "off", tmp_path / "translated"):
        assert (out / "manifest.jsonl").exists()
        assert not (out / "digest.md").exists() and not (out / "digest.csv").exists()


def test_a_document_named_like_the_digest_gets_another_output_name(summarizer, tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "digest.txt").write_text(french_article(5))
    out = tmp_path / "out"
    run(summarizer, corpus, out)
    assert (out / "digest.txt.md").read_text(encoding="utf-8").startswith("## Summary")
    assert [row["output"] for row in csv_rows(out)] == ["digest.txt.md"]


def test_digest_cells_cannot_run_as_spreadsheet_formulas_or_markup(summarizer, tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    title = "=HYPERLINK(1) <script>x</script> `code`"
    (corpus / "hostile.html").write_text(page(html.escape(title), None, french_article(6)))
    out = tmp_path / "out"
    run(summarizer, corpus, out)
    (row,) = csv_rows(out)
    assert row["title"] == "'" + title
    markdown = (out / "digest.md").read_text(encoding="utf-8")
    assert "<script>" not in markdown and "\\<script\\>" in markdown


def test_a_folder_where_a_digest_goes_is_one_line_and_neither_file_is_written(
    summarizer, corpus, tmp_path
):
    from summarizer.errors import OutputError

    out = tmp_path / "out"
    (out / "digest.csv").mkdir(parents=True)
    with pytest.raises(OutputError, match=r"digest.csv: it is a folder") as caught:
        run(summarizer, corpus, out)
    assert "\n" not in str(caught.value)
    assert not (out / "digest.md").exists()
    assert (out / "manifest.jsonl").exists() and (out / "early.md").exists()


def test_dates_sort_by_the_moment_they_name_across_time_zones():
    from summarizer.jobs.digest import _order
    from summarizer.jobs.manifest import Row

    def row(name, date):
        return Row(name, name, "written", digest={"date": date, "title": name})

    rows = [
        row("tokyo", "2024-06-02T08:00:00+09:00"),  # 23:00 UTC the day before
        row("paris", "2024-06-02T07:00:00+02:00"),  # 05:00 UTC
        row("day", "2024-06-01"),  # midnight UTC
        row("none", None),
    ]
    assert [r.input for r in sorted(rows, key=_order)] == ["day", "tokyo", "paris", "none"]
