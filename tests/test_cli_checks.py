"""The checks on the command line, with the tiny random models (which lose figures and
write in no language at all): JSON items, the stderr line, markdown marks, --strict,
--no-checks, and folder runs' manifest and closing line."""

from __future__ import annotations

import json

import pytest

from tests.processes import invoke

# Written for these tests: figures in every sentence.
FIGURES_ARTICLE = (
    "La commune a voté jeudi un budget de 1 250 000 euros pour ses écoles.\n\n"
    "Les travaux commenceront le 3 mars à 14h30 et dureront 18 mois selon le maire.\n\n"
    "Le taux de participation a atteint 55,5 % lors du dernier scrutin municipal."
)


@pytest.fixture(scope="module")
def shared_cache(tmp_path_factory):
    """One cache for the module: the models run once, and every other run reads the same
    outputs back, as a user's reruns do."""
    return tmp_path_factory.mktemp("checks-cache")


@pytest.fixture
def figures(tmp_path, shared_cache, monkeypatch):
    monkeypatch.setenv("SUMMARIZER_CACHE_DIR", str(shared_cache))
    path = tmp_path / "figures.txt"
    path.write_text(FIGURES_ARTICLE, encoding="utf-8")
    return path


def summarize_json(path, config, *extra):
    return invoke("summarize", path, "--config", config, "--format", "json", "-q", *extra)


def test_sentences_whose_figures_were_lost_are_listed_retried_with_a_confidence(
    figures, retrying_config
):
    result = summarize_json(figures, retrying_config)
    assert result.exit_code == 0, result.output
    checks = json.loads(result.stdout)["checks"]

    numbers = [flag for flag in checks["translation"] if "numbers" in flag["problems"]]
    assert numbers, checks
    for flag in numbers:
        assert flag["retried"] is True
        assert isinstance(flag["confidence"], float) and flag["confidence"] <= 0
        assert set(flag) == {
            "paragraph",
            "sentence",
            "source",
            "translation",
            "problems",
            "confidence",
            "retried",
        }
    assert checks["flagged"] == len(checks["translation"]) + len(checks["summary"])


def test_a_second_run_is_all_cache_hits_and_prints_the_same_json(
    figures, retrying_config, tmp_path, monkeypatch
):
    monkeypatch.setenv("SUMMARIZER_CACHE_DIR", str(tmp_path / "own-cache"))
    first = json.loads(summarize_json(figures, retrying_config).stdout)
    assert first["stats"]["translation"]["cache_misses"] > 0
    second = json.loads(summarize_json(figures, retrying_config).stdout)
    assert second["stats"]["translation"]["cache_misses"] == 0
    assert second["stats"]["summarization"]["cache_misses"] == 0
    for data in (first, second):
        del data["seconds"]
        for stats in data["stats"].values():
            stats.pop("cache_hits"), stats.pop("cache_misses")
    assert second == first


def test_strict_exits_3_when_flags_remain(figures, retrying_config):
    result = invoke("summarize", figures, "--config", retrying_config, "--strict")
    assert result.exit_code == 3, result.output
    assert result.stdout.strip()  # the summary is still printed


def test_strict_without_checks_is_a_usage_error(figures, retrying_config):
    result = invoke("summarize", figures, "--config", retrying_config, "--strict", "--no-checks")
    assert result.exit_code == 2, result.output
    assert "--strict needs the checks" in result.stderr and "Traceback" not in result.output


def test_one_stderr_line_says_how_many_sentences_to_review_and_verbose_lists_them(
    figures, retrying_config
):
    flagged = json.loads(summarize_json(figures, retrying_config).stdout)["checks"]
    count = len(flagged["translation"])

    plain = invoke("summarize", figures, "--config", retrying_config)
    lines = [line for line in plain.stderr.splitlines() if "to review" in line]
    assert lines == [lines[0]] and lines[0].startswith(f"{count} sentence")

    verbose = invoke("summarize", figures, "--config", retrying_config, "-v")
    listed = [line for line in verbose.stderr.splitlines() if line.startswith("  paragraph ")]
    assert len(listed) == count


def test_no_checks_keeps_the_first_attempts_and_reports_nothing(figures, retrying_config):
    checked = json.loads(summarize_json(figures, retrying_config).stdout)
    unchecked = json.loads(summarize_json(figures, retrying_config, "--no-checks").stdout)
    assert unchecked["checks"] is None
    assert unchecked["stats"]["translation"]["retried"] == 0
    # A first attempt that passed is the same either way; only retried sentences differ.
    retried = {flag["source"] for flag in checked["checks"]["translation"] if flag["retried"]}
    assert retried
    plain = invoke("summarize", figures, "--config", retrying_config, "--no-checks")
    assert "to review" not in plain.stderr


def test_markdown_marks_each_flagged_sentence_with_a_footnote(figures, retrying_config):
    flagged = json.loads(summarize_json(figures, retrying_config).stdout)["checks"]["translation"]
    result = invoke("summarize", figures, "--config", retrying_config, "--format", "markdown", "-q")
    translation = result.stdout.split("## Translation", 1)[1]
    for number, flag in enumerate(flagged, start=1):
        assert f"[^{number}]: {', '.join(flag['problems'])}" in translation
        assert f"[^{number}]" in translation.split("\n[^1]:", 1)[0]


def test_a_folder_run_records_flags_in_the_manifest_and_counts_documents_with_flags(
    tmp_path, retrying_config, figures
):
    source = tmp_path / "in"
    source.mkdir()
    (source / "figures.txt").write_text(FIGURES_ARTICLE, encoding="utf-8")
    (source / "english.txt").write_text("A short note in English.", encoding="utf-8")
    result = invoke("translate", source, "-o", tmp_path / "out", "--config", retrying_config)
    assert result.exit_code == 0, result.output
    rows = {
        row["input"].rsplit("/", 1)[1]: row
        for row in map(json.loads, (tmp_path / "out" / "manifest.jsonl").open())
    }
    assert rows["figures.txt"]["flagged"] > 0 and rows["english.txt"]["flagged"] == 0
    assert "1 with flags to review" in result.stderr

    again = invoke(
        "translate", source, "-o", tmp_path / "out", "--config", retrying_config, "--strict"
    )
    assert "2 already up to date" in again.stderr and "1 with flags to review" in again.stderr
    assert again.exit_code == 3


def test_markdown_notes_show_the_source_as_text_not_markup():
    from summarizer.metadata import Metadata
    from summarizer.output import render_markdown
    from summarizer.pipeline import Result

    flag = {
        "paragraph": 0,
        "sentence": 0,
        "source": "Voir [ceci](http://x) et *cela* [^1].",
        "translation": "See this.",
        "problems": ["length"],
        "confidence": None,
        "retried": False,
    }
    result = Result(
        input="x", source_language="fr", translated=True, metadata=Metadata(),
        title_translation=None, source_text=flag["source"],
        translation="See this.", summary=None, summarized=False, paragraph_languages=["fr"],
        sentences=[[{"source": flag["source"], "translation": "See this."}]],
        removed=[], paywalled=False, models={},
        checks={"translation": [flag], "summary": [], "flagged": 1},
    )  # fmt: skip
    rendered = render_markdown(result)
    assert "⚠ See this.[^1]" in rendered
    assert r"Source: Voir \[ceci\](http://x) et \*cela\* \[^1\]." in rendered
