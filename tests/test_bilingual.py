"""--format bilingual and the markdown heading: every source sentence beside its
translation, in order, once; the English title and a byline on top."""

from __future__ import annotations

import re

import pytest

from summarizer.metadata import Metadata
from summarizer.options import RunOptions
from summarizer.output import escaped, render_bilingual, render_markdown
from summarizer.pipeline import Summarizer
from summarizer.segment import split_sentences
from tests.articles import french_article
from tests.fakes import FakeModel
from tests.processes import invoke

ARTICLE = french_article(7, sentences=30)


@pytest.fixture
def summarizer(tiny_config):
    made = Summarizer(tiny_config, model_loader=lambda spec, _=None: FakeModel(spec))
    yield made
    made.close()


def quoted(rendered: str) -> list[str]:
    return [line[2:] for line in rendered.splitlines() if line.startswith("> ")]


def test_each_sentence_appears_once_in_order_beside_its_translation(summarizer):
    result = summarizer.run(ARTICLE, RunOptions(summarize=False, checks=False))
    rendered = render_bilingual(result)
    sentences = [s for p in ARTICLE.split("\n\n") for s in split_sentences(p.strip(), "fr")]
    assert len(sentences) == 30
    assert quoted(rendered) == sentences
    # The fake translator answers "[sentence]": each translation right under its source.
    for sentence in sentences:
        assert f"> {sentence}\n\n\\[{sentence}\\]\n" in rendered
    assert rendered.count("**¶ ") == 3


def test_a_flagged_sentence_is_marked_with_its_reasons(tiny_config):
    english = {
        "Le maire a reçu 120 lettres et 45 pétitions.": "The mayor received letters and petitions.",
        "Le conseil se réunira bientôt.": "The council will meet again soon.",
    }

    class Drops(FakeModel):
        """Translates, and loses the numbers of the first sentence."""

        def respond(self, text: str) -> str:
            return english.get(text, text)

    summarizer = Summarizer(tiny_config, model_loader=lambda spec, _=None: Drops(spec))
    text = "Le maire a reçu 120 lettres et 45 pétitions. Le conseil se réunira bientôt."
    result = summarizer.run(text, RunOptions(summarize=False))
    rendered = render_bilingual(result)
    flagged = [line for line in rendered.splitlines() if line.startswith("⚠ ")]
    assert len(flagged) == 1 and flagged[0].endswith("[^1]")
    assert re.search(r"^\[\^1\]: numbers", rendered, re.M)
    assert quoted(rendered) == [
        "Le maire a reçu 120 lettres et 45 pétitions.",
        "Le conseil se réunira bientôt.",
    ]


def test_markdown_opens_with_the_english_title_and_a_byline(summarizer):
    page = (
        '<!DOCTYPE html><html lang="fr"><head><title>Le port agrandi</title>'
        '<meta name="author" content="Jeanne Roux">'
        '<meta property="article:published_time" content="2024-06-02">'
        '<meta property="og:site_name" content="La Gazette">'
        '<link rel="canonical" href="https://gazette.example/port.html"></head><body>'
        f"<article><p>{ARTICLE}</p></article></body></html>"
    )
    result = summarizer.run(page, RunOptions(summarize=False, checks=False))
    assert result.metadata == Metadata(
        title="Le port agrandi",
        author="Jeanne Roux",
        date="2024-06-02",
        site="La Gazette",
        url="https://gazette.example/port.html",
        language="fr",
    )
    assert result.title_translation == "[Le port agrandi]"
    lines = render_markdown(result).splitlines()
    assert lines[0] == "# \\[Le port agrandi\\]"
    assert lines[2] == (
        "*Le port agrandi* · Jeanne Roux · 2024-06-02 · "
        "[La Gazette](<https://gazette.example/port.html>)"
    )
    assert render_bilingual(result).splitlines()[:3] == lines[:3]


def test_plain_text_has_no_heading(summarizer):
    result = summarizer.run(ARTICLE, RunOptions(summarize=False, checks=False))
    assert result.metadata == Metadata() and result.title_translation is None
    assert render_markdown(result).startswith("## Translation\n")


def test_bilingual_from_the_command_line_pairs_all_thirty_sentences(tmp_path, tiny_config):
    article = tmp_path / "article.txt"
    article.write_text(ARTICLE, encoding="utf-8")
    result = invoke(
        "translate", article, "--format", "bilingual", "--config", tiny_config, "--no-checks"
    )
    assert result.exit_code == 0, result.output
    sentences = [s for p in ARTICLE.split("\n\n") for s in split_sentences(p.strip(), "fr")]
    assert quoted(result.stdout) == sentences


def test_summarize_bilingual_puts_the_summary_first(tiny_config):
    from tests.fakes import FakeSummarizer

    def loader(spec, _=None):
        return FakeSummarizer(spec) if spec.task == "summarization" else FakeModel(spec)

    summarizer = Summarizer(tiny_config, model_loader=loader)
    result = summarizer.run(ARTICLE, RunOptions(checks=False))
    rendered = render_bilingual(result)
    assert rendered.startswith("## Summary\n\n" + escaped(result.summary) + "\n")
    assert rendered.index("## Source and translation") < rendered.index("> ")


def test_both_sides_show_as_text_not_markup(summarizer):
    text = (
        "1. Le conseil a voté *vite* un [texte](http://x) de loi.\n\n"
        "<script>alert(1)</script> Le maire a parlé \u202e à la presse."
    )
    result = summarizer.run(text, RunOptions(summarize=False, checks=False, source_language="fr"))
    rendered = render_bilingual(result)
    assert "> 1\\.\n" in rendered  # a sentence of its own, that would start a list
    assert "> Le conseil a voté \\*vite\\* un \\[texte\\](http://x) de loi." in rendered
    assert "<script>" not in rendered and "\u202e" not in rendered
    assert "\\<U+202E>" in rendered


def test_rules_headings_and_entities_in_a_source_stay_text(summarizer):
    text = "---\n\nTom &amp; Jerry &lt;b&gt; ont voté.\n\n=== Le conseil a voté mardi."
    result = summarizer.run(text, RunOptions(summarize=False, checks=False, source_language="fr"))
    quotes = quoted(render_bilingual(result))
    assert quotes[0] == "\\---"
    assert "Tom \\&amp; Jerry \\&lt;b\\&gt; ont voté." in quotes
