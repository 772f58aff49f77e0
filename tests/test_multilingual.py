"""Many-to-many translators (M2M100, NLLB-200) and chat summarizers (Qwen2) on both engines
(issue 15), with the tiny checkpoints of tests/multilingual_builders.py."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from summarizer import engines
from summarizer.config import load_config
from summarizer.options import RunOptions
from summarizer.pipeline import Summarizer
from tests.processes import invoke

GERMAN = (
    "Der Stadtrat hat am Dienstag den Haushalt für das kommende Jahr beschlossen. "
    "Die Bürgermeisterin sprach von einem schwierigen, aber fairen Kompromiss.\n\n"
    "Die neue Straßenbahnlinie soll im Frühjahr eröffnet werden und den Bahnhof mit dem "
    "Universitätsviertel verbinden."
)
SPANISH = (
    "El ayuntamiento aprobó el martes el presupuesto de la ciudad para el próximo año. "
    "La alcaldesa habló de un compromiso difícil pero justo.\n\n"
    "La nueva línea de tranvía abrirá en primavera y unirá la estación con el barrio "
    "universitario."
)
FRENCH = (
    "Le conseil municipal a voté mardi soir le budget de la ville pour l'année prochaine. "
    "La maire a parlé d'un compromis difficile mais juste.\n\n"
    "La nouvelle ligne de tramway ouvrira au printemps et reliera la gare au quartier de "
    "l'université."
)

CONFIG = """\
[pipeline]
target_language = "en"
summarizer = "tiny-qwen"
threads = 1
{pipeline}

[pipeline.translators]
de = "tiny-m2m"
es = "tiny-m2m"
fr = "tiny-nllb"

[models.tiny-m2m]
{engine}task = "translation"
target = "en"
model = "{m2m100}"
max_input_tokens = 64
batch_size = 16
licence = "MIT"

[models.tiny-m2m.generation]
num_beams = 1
max_new_tokens = 12

[models.tiny-m2m.retry]

[models.tiny-nllb]
{engine}task = "translation"
target = "en"
model = "{nllb}"
max_input_tokens = 64
licence = "CC-BY-NC-4.0"

[models.tiny-nllb.generation]
num_beams = 1
max_new_tokens = 12

[models.tiny-nllb.retry]

[models.tiny-qwen]
{engine}task = "summarization"
model = "{qwen2}"
max_input_tokens = {summary_context}
batch_size = 2
languages = ["fr"]
{prompt}

[models.tiny-qwen.generation]
max_new_tokens = 10
"""
# ctranslate2 at float32, whose greedy outputs equal the torch engine's.
CT2 = 'engine = "ctranslate2"\ncompute_type = "float32"\n'


def write_config(
    path: Path,
    folders: dict[str, Path],
    engine: str = "torch",
    *,
    pipeline: str = "",
    prompt: str = "",
    summary_context: int = 400,
) -> Path:
    text = CONFIG.format(
        **folders,
        engine=CT2 if engine == "ctranslate2" else "",
        pipeline=pipeline,
        prompt=prompt,
        summary_context=summary_context,
    )
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def multilingual_conversions(tiny_multilingual, tmp_path_factory) -> Path:
    """A cache folder holding the three models' float32 conversions, made once."""
    root = tmp_path_factory.mktemp("multilingual-ct2")
    config = write_config(root / "models.toml", tiny_multilingual, "ctranslate2")
    for spec in load_config(config).models.values():
        engines.ensure_converted(spec, engines.ensure_present(spec, print), root / "cache", print)
    return root / "cache"


@pytest.fixture(params=["torch", "ctranslate2"])
def engine(request, isolated_environment) -> str:
    """Each engine in turn; for ctranslate2, the session's conversions in this test's
    cache folder."""
    if request.param == "ctranslate2":
        conversions = request.getfixturevalue("multilingual_conversions")
        shutil.copytree(conversions / "ctranslate2", isolated_environment / "ctranslate2")
    return request.param


def articles(tmp_path: Path, **texts: str) -> list[Path]:
    paths = []
    for name, text in texts.items():
        paths.append(tmp_path / f"{name}.txt")
        paths[-1].write_text(text, encoding="utf-8")
    return paths


def json_lines(output: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def test_german_and_spanish_go_through_one_many_to_many_model_and_a_rerun_is_cached(
    tiny_multilingual, tmp_path, engine
):
    config = write_config(tmp_path / "models.toml", tiny_multilingual, engine)
    paths = articles(tmp_path, de=GERMAN, es=SPANISH)
    args = ["translate", *paths, "--config", config, "--format", "json", "-q", "--no-checks"]
    first = invoke(*args)
    assert first.exit_code == 0, first.output
    results = json_lines(first.stdout)
    assert [r["source_language"] for r in results] == ["de", "es"]
    assert {r["models"]["translation"]["name"] for r in results} == {"tiny-m2m"}
    assert all(r["translated"] and r["stats"]["translation"]["cache_misses"] for r in results)
    again = json_lines(invoke(*args).stdout)
    assert [r["translation"] for r in again] == [r["translation"] for r in results]
    assert all(r["stats"]["translation"]["cache_misses"] == 0 for r in again)


class Recorder:
    """What reaches the real model: the first input id of each text (its language token)
    and the forced target, for each generate() (torch) or translate_batch() (ctranslate2)
    call."""

    def __init__(self) -> None:
        self.calls: list[tuple[list[str], str]] = []
        self.models: list[Any] = []

    def load(self, spec, on_progress):
        model = engines.load_model(spec, on_progress, threads=1)
        self.models.append(model)
        model._load()  # so that its runtime can be wrapped
        tokenizer = model._tokenizer
        if isinstance(model, engines.TransformersModel):
            generate = model._model.generate

            def recording_generate(input_ids, **settings):
                firsts = tokenizer.convert_ids_to_tokens([row[0] for row in input_ids.tolist()])
                forced = tokenizer.convert_ids_to_tokens(settings["forced_bos_token_id"])
                self.calls.append((firsts, forced))
                return generate(input_ids=input_ids, **settings)

            model._model.generate = recording_generate
        else:
            model._translator = RecordingTranslator(model._translator, self.calls)
        return model


class RecordingTranslator:
    def __init__(self, translator: Any, calls: list[tuple[list[str], str]]) -> None:
        self._translator, self._calls = translator, calls

    def translate_batch(self, source, target_prefix=None, **options):
        (forced,) = {tuple(prefix) for prefix in target_prefix}
        self._calls.append(([tokens[0] for tokens in source], forced[0]))
        return self._translator.translate_batch(source, target_prefix=target_prefix, **options)


@pytest.mark.parametrize("engine_name", ["torch", "ctranslate2"])
def test_one_batch_mixes_languages_each_with_its_token_and_the_target_forced(
    tiny_multilingual, tmp_path, engine_name, multilingual_conversions, isolated_environment
):
    config = write_config(tmp_path / "models.toml", tiny_multilingual, engine_name)
    shutil.copytree(multilingual_conversions, isolated_environment, dirs_exist_ok=True)
    recorder = Recorder()
    summarizer = Summarizer(config, model_loader=recorder.load)
    options = RunOptions(summarize=False, checks=False)
    results = summarizer.run_batch([GERMAN, SPANISH], options)
    assert [r.source_language for r in results] == ["de", "es"]
    (call,) = recorder.calls  # the sentences of both articles in one batch
    firsts, forced = call
    assert set(firsts) == {"__de__", "__es__"} and len(firsts) == 6
    assert forced == "__en__"


def test_nllb_is_given_flores_codes_and_forced_to_english(tiny_multilingual, tmp_path):
    config = write_config(tmp_path / "models.toml", tiny_multilingual)
    recorder = Recorder()
    summarizer = Summarizer(config, model_loader=recorder.load)
    summarizer.run(FRENCH, RunOptions(summarize=False, checks=False))
    (call,) = recorder.calls
    assert set(call[0]) == {"fra_Latn"} and call[1] == "eng_Latn"


def test_the_engines_agree_on_translations_and_chat_summaries(
    tiny_multilingual, tmp_path, multilingual_conversions
):
    outputs = {}
    for engine_name in ("torch", "ctranslate2"):
        config = write_config(tmp_path / f"{engine_name}.toml", tiny_multilingual, engine_name)
        cache = tmp_path / engine_name
        shutil.copytree(multilingual_conversions, cache)
        summarizer = Summarizer(config, cache_dir=cache)
        results = summarizer.run_batch([FRENCH, GERMAN], RunOptions(checks=False))
        outputs[engine_name] = [(r.translation, r.summary) for r in results]
    assert outputs["torch"] == outputs["ctranslate2"]
    (fr_text, fr_summary), (de_text, de_summary) = outputs["torch"]
    assert fr_text != de_text and fr_summary != de_summary
    assert all(text.strip() for pair in outputs["torch"] for text in pair)


class PromptRecorder:
    """The texts a summarizer is given, through the stage's own seam (Model.generate)."""

    def __init__(self) -> None:
        self.inputs: list[str] = []
        self.loaded: list[Any] = []

    def load(self, spec, on_progress):
        model = engines.load_model(spec, on_progress)
        self.loaded.append(model)
        if spec.task == "summarization":
            generate = model.generate

            def recording(texts, settings):
                self.inputs.extend(texts)
                return generate(texts, settings)

            model.generate = recording
        return model


def test_a_long_article_is_cut_into_chunks_then_combined_with_the_reduce_prompt(
    tiny_multilingual, tmp_path
):
    config = write_config(tmp_path / "m.toml", tiny_multilingual, summary_context=300)
    recorder = PromptRecorder()
    summarizer = Summarizer(config, model_loader=recorder.load)
    english = "\n\n".join(
        f"The council met on day {day} and voted on the budget of the city for the next "
        f"year, after a long debate about trams, schools and the harbour."
        for day in range(1, 13)
    )
    result = summarizer.run(english, RunOptions(checks=False))
    assert result.stats["summarization"]["chunks"] > 1
    maps = [text for text in recorder.inputs if text.startswith("Summarize the following")]
    reduces = [text for text in recorder.inputs if text.startswith("The following texts")]
    assert len(maps) == result.stats["summarization"]["chunks"] and reduces
    assert "in 4 sentences" in maps[0] and "day 1 " in maps[0]
    # Every prompt fits the context with the summary's tokens.
    model = recorder.loaded[-1]
    assert all(model.count_tokens(text) + 10 <= 300 for text in recorder.inputs)


def test_a_cached_rerun_loads_no_model(tiny_multilingual, tmp_path):
    config = write_config(tmp_path / "m.toml", tiny_multilingual)
    first = Summarizer(config).run(GERMAN)
    recorder = PromptRecorder()
    again = Summarizer(config, model_loader=recorder.load).run(GERMAN)
    assert (again.translation, again.summary) == (first.translation, first.summary)
    assert not any(model.loaded for model in recorder.loaded)
    assert again.stats["summarization"]["cache_misses"] == 0


def test_cache_keys_change_with_the_source_language(tiny_multilingual, tmp_path):
    config = write_config(tmp_path / "m.toml", tiny_multilingual)
    args = ["translate", "-", "--config", config, "--format", "json", "--no-checks"]
    german = json.loads(invoke(*args, "--source-lang", "de", input=SPANISH).stdout)
    spanish = json.loads(invoke(*args, "--source-lang", "es", input=SPANISH).stdout)
    segments = german["stats"]["translation"]["segments"]
    assert german["stats"]["translation"]["cache_misses"] == segments == 3
    assert spanish["stats"]["translation"]["cache_misses"] == 3  # not served German's


def test_cache_keys_change_with_the_prompt_and_the_length(tiny_multilingual, tmp_path):
    text = "\n\n".join([FRENCH] * 2)

    def summarize(config: Path, *extra: str) -> dict[str, Any]:
        args = ["summarize", "-", "--config", config, "--format", "json", "--no-checks"]
        result = invoke(*args, *extra, input=text)
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    plain = write_config(tmp_path / "plain.toml", tiny_multilingual)
    prompt = 'prompt = "Summarize this in {sentences} sentences, in English:\\n\\n{text}"'
    other = write_config(tmp_path / "other.toml", tiny_multilingual, prompt=prompt)
    first = summarize(plain)
    assert first["stats"]["summarization"]["cache_misses"] > 0
    assert summarize(plain)["stats"]["summarization"]["cache_misses"] == 0
    assert summarize(other)["stats"]["summarization"]["cache_misses"] > 0
    short = summarize(plain, "--length", "short")
    assert short["stats"]["summarization"]["cache_misses"] > 0
    assert short["stats"]["translation"]["cache_misses"] == 0  # translations are shared


def test_summarize_from_source_reads_the_article_and_translates_only_for_the_output(
    tiny_multilingual, tmp_path
):
    source = 'summarize_from = "source"'
    config = write_config(tmp_path / "m.toml", tiny_multilingual, pipeline=source)
    recorder = PromptRecorder()
    summarizer = Summarizer(config, model_loader=recorder.load)
    (fr, de) = summarizer.run_batch([FRENCH, GERMAN], RunOptions(translation=False))
    assert (fr.summary_from, fr.translated, fr.translation) == ("source", False, None)
    assert any("Le conseil municipal" in text for text in recorder.inputs)
    assert {m.spec.name for m in recorder.loaded} == {"tiny-qwen", "tiny-m2m"}  # not NLLB
    # German is not among the languages it declares: summarized from the translation.
    assert (de.summary_from, de.translated) == ("translation", True)
    both = Summarizer(config).run(FRENCH)  # with the translation, as json and markdown want
    assert (both.summary_from, both.translated) == ("source", True)
    assert both.summary == fr.summary
    text = invoke("summarize", "-", "--config", config, input=FRENCH)
    assert text.exit_code == 0 and text.stdout == fr.summary + "\n"


def test_translator_option_serves_every_language_it_reads(tiny_multilingual, tmp_path):
    config = write_config(tmp_path / "m.toml", tiny_multilingual)
    args = ["translate", "-", "--config", config, "--format", "json", "--no-checks"]
    result = invoke(*args, "--translator", "tiny-nllb", input=GERMAN)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["models"]["translation"]["name"] == "tiny-nllb"
    unknown = invoke(*args, "--translator", "tiny-qwen", input=GERMAN)
    assert unknown.exit_code != 0
    assert unknown.stderr.splitlines()[-1].startswith("Error: no translator named 'tiny-qwen'")


def test_a_language_the_translator_has_no_code_for_is_one_clear_error(tiny_multilingual, tmp_path):
    config = write_config(tmp_path / "m.toml", tiny_multilingual)
    text = config.read_text().replace(
        'licence = "CC-BY-NC-4.0"', 'licence = "CC-BY-NC-4.0"\nlanguages = ["fr"]'
    )
    config.write_text(text.replace('de = "tiny-m2m"', 'de = "tiny-nllb"'))
    result = invoke("translate", "-", "--config", config, input=GERMAN)
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert "translator 'tiny-nllb' is not set to read 'de' (its languages: fr)" in result.stderr


def test_models_list_shows_kind_engine_languages_and_licence(tiny_multilingual, tmp_path):
    config = write_config(tmp_path / "m.toml", tiny_multilingual, "ctranslate2")
    result = invoke("models", "list", "--config", config)
    assert result.exit_code == 0, result.output
    rows = {line.split()[0]: line.split() for line in result.stdout.splitlines() if line.strip()}
    assert rows["tiny-m2m"][1:6] == [
        "translation",
        "many-to-many",
        "ctranslate2-float32",
        "de,es->en",
        "MIT",
    ]
    assert rows["tiny-nllb"][1:6] == [
        "translation",
        "many-to-many",
        "ctranslate2-float32",
        "fr->en",
        "CC-BY-NC-4.0",
    ]
    assert rows["tiny-qwen"][1:6] == ["summarization", "chat", "ctranslate2-float32", "fr", "-"]


def test_a_context_too_small_for_the_prompt_is_one_clear_error(tiny_multilingual, tmp_path):
    config = write_config(tmp_path / "m.toml", tiny_multilingual, summary_context=120)
    result = invoke("summarize", "-", "--config", config, "--source-lang", "en", input=FRENCH)
    assert result.exit_code != 0 and "Traceback" not in result.output
    (line,) = [line for line in result.stderr.splitlines() if line.startswith("Error")]
    assert "[models.tiny-qwen] max_input_tokens: is 120: after the prompt" in line


def test_language_codes_follow_each_family():
    from summarizer.language_codes import FLORES_200, M2M100, language_token
    from summarizer.language_codes import model_language_code as code

    assert (code(M2M100, "de", {}), code(M2M100, "nb", {}), code(M2M100, "eu", {})) == (
        "de",
        "no",
        None,
    )
    assert (code(FLORES_200, "fa", {}), code(FLORES_200, "ast", {})) == ("pes_Arab", "ast_Latn")
    assert code(FLORES_200, "zh", {"zh": "zho_Hant"}) == "zho_Hant"
    assert code(FLORES_200, "xx", {}) is None
    assert (language_token(M2M100, "en"), language_token(FLORES_200, "eng_Latn")) == (
        "__en__",
        "eng_Latn",
    )


def test_a_bart_summary_of_the_default_length_keeps_its_cache_keys(tiny_config):
    from summarizer.prompts import Request
    from tests.fakes import FakeSummarizer

    spec = load_config(tiny_config).models["tiny-bart"]
    model = FakeSummarizer(spec)
    assert Request(model, spec.generation, "medium").key_settings() == spec.output_settings
    short = Request(model, spec.generation, "short").settings
    long = Request(model, spec.generation, "long").settings
    assert (short["min_length"], short["max_length"]) == (2, 12)
    assert (long["min_length"], long["max_length"]) == (8, 48)
    assert Request(model, spec.generation, "short").input("text") == "text"


def test_length_option_changes_a_bart_summary_and_is_checked(tiny_config):
    text = "\n\n".join(["The council approved the budget of the city for next year."] * 6)
    args = ["summarize", "-", "--config", tiny_config, "--format", "json", "--no-checks"]
    medium = json.loads(invoke(*args, input=text).stdout)
    short = json.loads(invoke(*args, "--length", "short", input=text).stdout)
    assert short["stats"]["summarization"]["cache_misses"] > 0
    assert len(short["summary"]) < len(medium["summary"])
    wrong = invoke(*args, "--length", "tiny", input=text)
    assert wrong.exit_code == 2 and "'tiny' is not one of 'short', 'medium', 'long'" in wrong.stderr


def test_a_language_code_the_tokenizer_lacks_is_one_clear_error(tiny_multilingual, tmp_path):
    config = write_config(tmp_path / "m.toml", tiny_multilingual)
    config.write_text(config.read_text() + '\n[models.tiny-nllb.language_codes]\nfr = "frx_Latn"\n')
    result = invoke("translate", "-", "--config", config, input=FRENCH)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.stderr.splitlines()[-1] == (
        "Error: model 'tiny-nllb': its tokenizer has no language token 'frx_Latn'; "
        "correct the code under [models.tiny-nllb.language_codes]"
    )


@pytest.mark.parametrize("route", ["translation", "source"])
def test_a_french_article_is_summarized_by_the_chat_model_on_each_route_and_engine(
    tiny_multilingual, tmp_path, engine, route
):
    pipeline = f'summarize_from = "{route}"'
    config = write_config(tmp_path / "m.toml", tiny_multilingual, engine, pipeline=pipeline)
    (path,) = articles(tmp_path, fr=FRENCH)
    args = ["summarize", path, "--config", config, "--summarizer", "tiny-qwen"]
    first = invoke(*args, "--format", "json", "-q")
    assert first.exit_code == 0, first.output
    result = json.loads(first.stdout)
    assert (result["summary_from"], result["translated"]) == (route, True)
    assert result["summary"] and result["stats"]["summarization"]["cache_misses"] > 0
    again = json.loads(invoke(*args, "--format", "json", "-q").stdout)
    assert again["summary"] == result["summary"]
    assert again["stats"]["summarization"]["cache_misses"] == 0
    assert again["stats"]["translation"]["cache_misses"] == 0
    text = invoke(*args, "-q")
    assert text.exit_code == 0 and text.stdout == result["summary"] + "\n"


# Regressions found by a hostile review of the first version.

SHARED = "Real Madrid gewinnt."


@pytest.mark.parametrize("checks", [True, False])
def test_a_sentence_written_alike_in_two_languages_is_translated_once_per_language(
    tiny_multilingual, tmp_path, checks
):
    config = write_config(tmp_path / "m.toml", tiny_multilingual)
    config.write_text(config.read_text().replace('"tiny-m2m"', '"tiny-nllb"'))

    def detect(texts):  # no guesswork: German wherever the German article is
        spanish = ("ayuntamiento", "tranvía")
        return [
            ("es" if any(w in t for w in spanish) and "Stadtrat" not in t else "de", 1.0)
            for t in texts
        ]

    summarizer = Summarizer(config, detector=detect)
    mixed = f"{GERMAN}\n\n{SHARED}\n\n{SPANISH} {SHARED}"
    options = RunOptions(summarize=False, checks=checks)
    alone = {
        language: summarizer.run(SHARED, replace(options, source_language=language)).translation
        for language in ("de", "es")
    }
    assert alone["de"] != alone["es"]  # the two codes do give different outputs
    (result,) = summarizer.run_batch([mixed], options)
    pairs = [pair for paragraph in result.sentences for pair in paragraph]
    found = [pair["translation"] for pair in pairs if pair["source"] == SHARED]
    assert found == [alone["de"], alone["es"]]
    # Across documents: each gets its own language's translation, whatever it shares a
    # batch with.
    german, spanish = summarizer.run_batch(
        [f"{GERMAN}\n\n{SHARED}", f"{SPANISH} {SHARED}"], options
    )
    assert german.translation.endswith(alone["de"]) and spanish.translation.endswith(alone["es"])


def test_an_article_in_a_language_the_translator_lacks_fails_alone(tiny_multilingual, tmp_path):
    config = write_config(tmp_path / "m.toml", tiny_multilingual)
    text = config.read_text().replace('de = "tiny-m2m"\nes = "tiny-m2m"', '"*" = "tiny-m2m"')
    config.write_text(text)
    esperanto = "La urbestraro aprobis la buĝeton de la urbo por la venonta jaro hieraŭ vespere."
    results = Summarizer(config).run_batch(
        [GERMAN, esperanto, SPANISH], RunOptions(summarize=False, source_language=None)
    )
    assert results[0].translated and results[2].translated
    assert "translator 'tiny-m2m' has no language code for 'eo'" in str(results[1])


def test_a_language_left_out_of_a_translators_languages_is_named_as_such(
    tiny_multilingual, tmp_path
):
    config = write_config(tmp_path / "m.toml", tiny_multilingual)
    text = config.read_text().replace('licence = "MIT"', 'licence = "MIT"\nlanguages = ["de"]')
    config.write_text(text)
    result = invoke("translate", "-", "--config", config, "--source-lang", "es", input=SPANISH)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == (
        "Error: translator 'tiny-m2m' is not set to read 'es' (its languages: de); add 'es' "
        "to [models.tiny-m2m] languages, or route the language to another translator"
    )


def test_a_changed_reduce_prompt_is_a_new_final_summary(tiny_multilingual, tmp_path):
    long = "\n\n".join([FRENCH] * 4)
    plain = write_config(tmp_path / "a.toml", tiny_multilingual, summary_context=300)
    reduce = 'reduce_prompt = "Join these into {sentences} sentences:\\n\\n{text}"'
    other = write_config(tmp_path / "b.toml", tiny_multilingual, prompt=reduce, summary_context=300)
    options = RunOptions(checks=False, source_language="en")
    first = Summarizer(plain).run(long, options)
    assert first.stats["summarization"]["chunks"] > 1
    second = Summarizer(other).run(long, options)
    assert second.stats["summarization"]["cache_misses"] > 0


def test_languages_and_language_codes_change_the_folder_fingerprint(tiny_multilingual, tmp_path):
    config = write_config(tmp_path / "m.toml", tiny_multilingual)
    options = RunOptions()
    base = Summarizer(config).fingerprint(options)
    for old, new in (
        ('languages = ["fr"]', 'languages = ["fr", "de"]'),
        ('licence = "MIT"', 'licence = "MIT"\n[models.tiny-m2m.language_codes]\nde = "nl"'),
    ):
        changed = tmp_path / "changed.toml"
        changed.write_text(config.read_text().replace(old, new, 1))
        assert Summarizer(changed).fingerprint(options) != base


def test_a_short_article_is_summarized_by_its_translation_on_the_source_route(
    tiny_multilingual, tmp_path
):
    source = 'summarize_from = "source"'
    config = write_config(tmp_path / "m.toml", tiny_multilingual, pipeline=source)
    result = Summarizer(config).run("Grève à Paris.", RunOptions(source_language="fr"))
    assert result.summary_from == "translation"
    assert result.summary == result.translation != "Grève à Paris."


def test_the_text_format_needs_no_translator_for_a_language_the_summarizer_reads(
    tiny_multilingual, tmp_path
):
    source = 'summarize_from = "source"'
    config = write_config(tmp_path / "m.toml", tiny_multilingual, pipeline=source)
    config.write_text(config.read_text().replace('fr = "tiny-nllb"\n', ""))
    result = invoke("summarize", "-", "--config", config, input=FRENCH)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip()
    json_run = invoke("summarize", "-", "--config", config, "--format", "json", input=FRENCH)
    assert json_run.exit_code == 1 and "no translator for language 'fr'" in json_run.stderr


def test_source_route_that_cannot_apply_is_said(tiny_multilingual, tiny_config, tmp_path):
    config = write_config(
        tmp_path / "m.toml", tiny_multilingual, pipeline='summarize_from = "source"'
    )
    warnings: list[str] = []
    Summarizer(config, summarizer="tiny-qwen", on_warning=warnings.append)
    assert warnings == []
    text = config.read_text().replace('languages = ["fr"]\n', "")
    config.write_text(text)
    Summarizer(config, on_warning=warnings.append)
    assert warnings == [
        'summarize_from = "source" needs a chat summarizer that lists the languages it reads; '
        "tiny-qwen summarizes the English translation"
    ]


def test_a_chat_checkpoint_without_a_template_is_one_clear_error(tiny_multilingual, tmp_path):
    folder = shutil.copytree(tiny_multilingual["qwen2"], tmp_path / "qwen")
    (folder / "chat_template.jinja").unlink()
    settings = json.loads((folder / "tokenizer_config.json").read_text())
    settings.pop("chat_template", None)
    (folder / "tokenizer_config.json").write_text(json.dumps(settings))
    config = write_config(tmp_path / "m.toml", {**tiny_multilingual, "qwen2": folder})
    result = invoke("summarize", "-", "--config", config, "--source-lang", "en", input=FRENCH)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "model 'tiny-qwen': its tokenizer has no chat template" in result.stderr


def test_a_downloaded_hub_chat_model_is_known_as_chat_without_saying_so(
    tiny_multilingual, tmp_path
):
    from tests.test_invalidation import publish_to_hub_cache

    publish_to_hub_cache(tiny_multilingual["qwen2"], "test-org/tiny-qwen-hub", "c" * 40)
    config = write_config(
        tmp_path / "m.toml", {**tiny_multilingual, "qwen2": "test-org/tiny-qwen-hub"}
    )
    config.write_text(config.read_text().replace("max_input_tokens = 400\n", ""))
    spec = load_config(config).models["tiny-qwen"]
    assert not spec.is_local
    assert (spec.kind, spec.max_input_tokens, spec.retry_generation) == ("chat", 4096, None)


def test_models_pull_takes_names_or_all_not_both(tiny_multilingual, tmp_path):
    config = write_config(tmp_path / "m.toml", tiny_multilingual)
    both = invoke("models", "pull", "tiny-m2m", "--all", "--config", config)
    assert both.exit_code == 2 and "give model names or --all, not both" in both.stderr
    used = invoke("models", "pull", "--config", config)
    assert used.exit_code == 0
    assert [line.split(":")[0] for line in used.stdout.splitlines()] == [
        "tiny-m2m",
        "tiny-nllb",
        "tiny-qwen",
    ]


CHINESE = (
    "市议会周二晚上通过了明年的城市预算，市长表示这是一个艰难但公平的妥协。新的有轨电车线路将于"
    "明年春天开通，连接火车站和大学区，预计每天将有数万名乘客使用这条线路。市政府还计划在未来"
    "三年内修建更多的自行车道，并扩大公共汽车服务，以减少市中心的交通拥堵和空气污染。"
)


def test_a_long_article_without_spaces_is_read_from_the_source(tiny_multilingual, tmp_path):
    source = 'summarize_from = "source"'
    config = write_config(tmp_path / "m.toml", tiny_multilingual, pipeline=source)
    text = config.read_text().replace('languages = ["fr"]', 'languages = ["fr", "zh"]')
    config.write_text(text.replace('fr = "tiny-nllb"', 'fr = "tiny-nllb"\nzh = "tiny-m2m"'))
    result = Summarizer(config).run(CHINESE, RunOptions(source_language="zh", checks=False))
    assert result.summary_from == "source"


def test_a_quote_translated_in_an_article_read_from_the_source(tiny_multilingual, tmp_path):
    source = 'summarize_from = "source"'
    config = write_config(tmp_path / "m.toml", tiny_multilingual, pipeline=source)
    config.write_text(config.read_text().replace('fr = "tiny-nllb"\n', ""))

    def detect(texts):  # the article is French, its last paragraph German
        return [("de" if "Stadtrat" in t and "conseil" not in t else "fr", 1.0) for t in texts]

    summarizer = Summarizer(config, detector=detect)
    options = RunOptions(translation=False, checks=False)
    (result,) = summarizer.run_batch([f"{FRENCH}\n\n{GERMAN}"], options)
    assert not isinstance(result, Exception), result
    assert (result.summary_from, result.translated, result.translation) == ("source", False, None)


def test_a_short_article_no_translator_serves_is_an_error_on_the_source_route(
    tiny_multilingual, tmp_path
):
    source = 'summarize_from = "source"'
    config = write_config(tmp_path / "m.toml", tiny_multilingual, pipeline=source)
    config.write_text(config.read_text().replace('fr = "tiny-nllb"\n', ""))
    short = "Le conseil municipal a voté mardi le budget."
    french = invoke("summarize", "-", "--config", config, input=short)
    assert french.exit_code == 1 and "no translator for language 'fr'" in french.stderr
