"""--source-lang and RunOptions.source_language: ISO 639-1 codes, other spellings of them
normalised, anything else one usage error that lists the languages models.toml serves."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from summarizer.errors import LanguageError
from summarizer.language import normalize_code
from summarizer.options import RunOptions
from tests.processes import child_env, invoke


@pytest.mark.parametrize("given", ["fr", "FR", "fr-FR", "fr_FR", "fra", "fre", " fr "])
def test_spellings_of_a_language_are_normalised_to_its_iso_639_1_code(given):
    assert normalize_code(given) == "fr"
    assert RunOptions(source_language=given).source_language == "fr"


@pytest.mark.parametrize("given", ["French", "xx", "und", "zxx", "qaa", "x-foo", "12", ""])
def test_names_and_codes_of_no_language_are_a_language_error(given):
    with pytest.raises(LanguageError, match="is not a language code") as error:
        RunOptions(source_language=given)
    assert error.value.language == given


def with_fallback(tiny_config, tmp_path):
    text = tiny_config.read_text().replace(
        'fr = "tiny-marian"', 'fr = "tiny-marian"\n"*" = "tiny-marian"'
    )
    path = tmp_path / "fallback.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("given", ["French", "xx", "fr-XX-bogus-tag-that-is-too-long"])
def test_an_unknown_source_lang_is_a_usage_error_listing_the_served_languages(
    given, article, tiny_config
):
    result = invoke("translate", article, "--config", tiny_config, "--source-lang", given)
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: Invalid value for --source-lang: {given!r} is not a language code such as fr "
        "(fr-FR and fra are read as fr); served: en, fr\n"
    )


def test_the_usage_error_says_other_languages_go_to_the_fallback_when_one_is_set(
    article, tiny_config, tmp_path
):
    result = invoke(
        "translate",
        article,
        "--config",
        with_fallback(tiny_config, tmp_path),
        "--source-lang",
        "xx",
    )
    assert result.exit_code == 2
    assert result.stderr.endswith(
        '; served: en, fr, and other languages by the fallback translator ("*")\n'
    )


def test_a_language_no_translator_serves_is_a_usage_error(article, tiny_config):
    result = invoke("translate", article, "--config", tiny_config, "--source-lang", "deu")
    assert result.exit_code == 2
    assert "serves 'deu'; served: en, fr; add de = " in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_fr_FR_runs_as_fr(article, tiny_config):
    result = invoke(
        "translate",
        article,
        "--config",
        tiny_config,
        "--source-lang",
        "fr-FR",
        "--format",
        "json",
        "-q",
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["source_language"] == "fr"


def test_langcodes_is_imported_only_when_a_language_is_given():
    code = (
        "import sys, summarizer.cli, summarizer.pipeline, summarizer.options;"
        "summarizer.options.RunOptions(); assert 'langcodes' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], env=child_env(), check=True)
