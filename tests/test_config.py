from pathlib import Path

import pytest

from summarizer.checks import Thresholds
from summarizer.config import DEFAULT_RETRY, default_config_path, load_config
from summarizer.errors import ConfigError

VALID = """
[pipeline]
target_language = "en"
summarizer = "sum"

[pipeline.translators]
fr = "fr-en"
"*" = "mul-en"

[models.fr-en]
task = "translation"
source = "fr"
target = "en"
model = "org/fr-en"
revision = "v1"
max_input_tokens = 256
batch_size = 8

[models.fr-en.generation]
num_beams = 4
max_new_tokens = 256

[models.mul-en]
task = "translation"
source = "mul"
model = "./models/mul"

[models.sum]
task = "summarization"
model = "org/sum"

[models.sum.generation]
length_penalty = 2
early_stopping = true
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "models.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_default_registry_declares_the_published_models():
    config = load_config(default_config_path())
    translator = config.translator_for("fr")
    assert translator.model == "Helsinki-NLP/opus-mt-fr-en"
    assert translator.generation == {"num_beams": 4, "max_new_tokens": 512}
    assert config.summarizer_model().model == "sshleifer/distilbart-cnn-12-6"
    assert config.summarizer_model("bart-large-cnn").model == "facebook/bart-large-cnn"
    for name in ("distilbart-cnn", "bart-large-cnn"):
        assert config.models[name].generation == {
            "num_beams": 4,
            "length_penalty": 2.0,
            "min_length": 56,
            "max_length": 142,
            "no_repeat_ngram_size": 3,
            "early_stopping": True,
        }


def test_default_registry_declares_the_new_families_without_using_them():
    config = load_config(default_config_path())
    declared = {
        "opus-mt-tc-big-fr-en": ("translation", "seq2seq", "CC-BY-4.0"),
        "nllb-200-distilled-600M": ("translation", "many-to-many", "CC-BY-NC-4.0"),
        "m2m100-418M": ("translation", "many-to-many", "MIT"),
        "qwen2.5-0.5b-instruct": ("summarization", "chat", "Apache-2.0"),
        "qwen2.5-1.5b-instruct": ("summarization", "chat", "Apache-2.0"),
    }
    for name, (task, kind, licence) in declared.items():
        spec = config.models[name]
        assert (spec.task, spec.kind, spec.licence) == (task, kind, licence)
        assert name not in config.translators.values() and name != config.summarizer
    assert all(spec.licence for spec in config.models.values())
    qwen = config.models["qwen2.5-0.5b-instruct"]
    assert qwen.generation["do_sample"] is False and "fr" in qwen.languages
    assert config.summarize_from == "translation"


def test_valid_file_gives_typed_settings_and_resolves_local_folders(tmp_path):
    config = load_config(write(tmp_path, VALID))
    assert config.translator_for("fr").revision == "v1"
    assert config.translator_for("fr").max_input_tokens == 256
    fallback = config.translator_for("de")
    assert fallback.name == "mul-en"
    assert fallback.is_local and fallback.model == str((tmp_path / "models" / "mul").resolve())
    assert config.translator_for("en") is None
    assert not config.models["sum"].is_local


def test_lookup_order_is_flag_then_environment_then_working_directory(tmp_path, monkeypatch):
    local = write(tmp_path, VALID)
    assert load_config().path == Path("models.toml")
    other = tmp_path / "other.toml"
    other.write_text(VALID.replace('summarizer = "sum"', 'summarizer = "sum"  # other'))
    monkeypatch.setenv("SUMMARIZER_CONFIG", str(other))
    assert load_config().path == other
    assert load_config(local).path == local


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("batch_size = 8", "batch_sise = 8", r"\[models.fr-en\] batch_sise: unknown key"),
        ("batch_size = 8", 'batch_size = "8"', r"\[models.fr-en\] batch_size: expected an integer"),
        ("num_beams = 4", "num_beam = 4", r"\[models.fr-en.generation\] num_beam: unknown key"),
        ("early_stopping = true", "early_stopping = 1", r"early_stopping: expected true or false"),
        ('fr = "fr-en"', 'fr = "fr-xx"', r"\[pipeline.translators\] fr: no model named 'fr-xx'"),
        (
            'summarizer = "sum"',
            'summarizer = "fr-en"',
            r"\[pipeline\] summarizer: model 'fr-en' has task",
        ),
        ('fr = "fr-en"', 'fr = "sum"', r"\[pipeline.translators\] fr: model 'sum' has task"),
        (
            'task = "summarization"',
            'task = "summarisation"',
            r"\[models.sum\] task: 'summarisation' is not",
        ),
        ("batch_size = 8", "batch_size = 0", r"batch_size: must be at least 1"),
        ('model = "org/sum"', "", r"\[models.sum\] model: missing"),
        ("[pipeline]", "[pipelines]", r"top level pipelines: unknown key"),
        (
            'target_language = "en"',
            'target_language = "en"\nmax_input_bytes = "10MB"',
            r"\[pipeline\] max_input_bytes: expected an integer",
        ),
        (
            'target_language = "en"',
            'target_language = "en"\nmax_input_bytes = 0',
            r"\[pipeline\] max_input_bytes: must be at least 1",
        ),
        ("batch_size = 8", "batch_size = 8\ntarget_token = 1", r"target_token: expected a string"),
        ("batch_size = 8", 'engine = "onnx"', r"\[models.fr-en\] engine: 'onnx' is not one of"),
        ("batch_size = 8", "engine = 1", r"\[models.fr-en\] engine: expected a string"),
        (
            "batch_size = 8",
            'compute_type = "int8"',
            r"\[models.fr-en\] compute_type: 'int8' is not one the torch engine runs \(float32\)",
        ),
        (
            "batch_size = 8",
            'engine = "ctranslate2"\ncompute_type = "int4"',
            r"compute_type: 'int4' is not one the ctranslate2 engine runs \(int8, ",
        ),
        ('target_language = "en"', "threads = 0", r"\[pipeline\] threads: must be at least 1"),
        ('target_language = "en"', 'threads = "4"', r"\[pipeline\] threads: expected an integer"),
        ("num_beams = 4", "num_beams = 0", r"generation\] num_beams: must be at least 1, not 0"),
        ("num_beams = 4", "num_beams = -2", r"generation\] num_beams: must be at least 1"),
        ("max_new_tokens = 256", "max_new_tokens = 0", r"max_new_tokens: must be at least 1"),
        ("num_beams = 4", "temperature = 0", r"temperature: must be above 0, not 0"),
        ("num_beams = 4", "top_p = 1.5", r"top_p: must be above 0 and at most 1"),
        ("num_beams = 4", "length_penalty = nan", r"length_penalty: must be a finite number"),
        (
            'target_language = "en"',
            'target_language = "en"\nmax_input_bytes = 9223372036854775807',
            r"\[pipeline\] max_input_bytes: must be at least 1 and at most",
        ),
        ('model = "org/sum"', 'model = "~nobody-here-at-all/x"', r"\[models.sum\] model: cannot"),
        ('model = "org/sum"', 'model = "org/sum model"', r"\[models.sum\] model: .* hub id"),
        ('model = "org/sum"', 'model = "a/b/c"', r"\[models.sum\] model: .* hub id"),
        (
            "max_new_tokens = 256",
            "max_new_tokens = 256\n[models.fr-en.retry]\nnum_beam = 6",
            r"\[models.fr-en.retry\] num_beam: unknown key",
        ),
        (
            "max_new_tokens = 256",
            "max_new_tokens = 256\n[models.fr-en.retry]\nrepetition_penalty = 0",
            r"\[models.fr-en.retry\] repetition_penalty: must be above 0",
        ),
        (
            "batch_size = 8",
            'engine = "ctranslate2"\n[models.fr-en.retry]\nencoder_no_repeat_ngram_size = 3',
            r"\[models.fr-en.retry\] encoder_no_repeat_ngram_size: not supported by the ctr",
        ),
        (
            "max_new_tokens = 256",
            "max_new_tokens = 256\n[models.fr-en.checks]\nmin_confidence = 0.5",
            r"\[models.fr-en.checks\] min_confidence: must be at most 0, not 0.5",
        ),
        (
            "max_new_tokens = 256",
            "max_new_tokens = 256\n[models.fr-en.checks]\nmin_confidance = -1",
            r"\[models.fr-en.checks\] min_confidance: unknown key \(allowed: max_length_ratio",
        ),
        (
            "max_new_tokens = 256",
            "max_new_tokens = 256\n[models.fr-en.checks]\nmin_length_ratio = 0",
            r"\[models.fr-en.checks\] min_length_ratio: must be above 0",
        ),
        (
            "max_new_tokens = 256",
            "max_new_tokens = 256\n[models.fr-en.checks]\nmin_length_ratio = 2\n"
            "max_length_ratio = 1.5",
            r"\[models.fr-en.checks\] max_length_ratio: min_length_ratio \(2\) must be below",
        ),
        (
            "max_new_tokens = 256",
            "max_new_tokens = 256\n[models.fr-en.checks]\nmax_length_ratio = 0.4",
            r"checks\] max_length_ratio: min_length_ratio \(0.5\) must be below max_length_rat",
        ),
        (
            "max_new_tokens = 256",
            'max_new_tokens = 256\n[models.fr-en.checks]\nmin_confidence = "low"',
            r"\[models.fr-en.checks\] min_confidence: expected a number",
        ),
        (
            "batch_size = 8",
            "batch_size = 8\nretry = 3",
            r"\[models.fr-en\] retry: expected a table",
        ),
        ("batch_size = 8", 'kind = "llm"', r"\[models.fr-en\] kind: 'llm' is not one of"),
        ("batch_size = 8", 'kind = "chat"', r"kind: a chat model cannot serve task = 'transl"),
        ('model = "org/sum"', 'model = "org/sum"\nkind = "many-to-many"', r"kind: a many-to-ma"),
        ('source = "mul"', 'kind = "seq2seq"', r"\[models.mul-en\] source: missing"),
        ("batch_size = 8", 'languages = ["French"]', r"languages: 'French' is not a language"),
        ("batch_size = 8", 'languages = "fr"', r"languages: expected a list"),
        (
            "batch_size = 8",
            'batch_size = 8\n[models.fr-en.language_codes]\nfr = "fra Latn"',
            r"\[models.fr-en.language_codes\] fr: expected the model's code for the language",
        ),
        ("batch_size = 8", 'prompt = "Summarize {text}"', r"fr-en\] prompt: only a chat summ"),
        (
            'model = "org/sum"',
            'model = "org/sum"\nkind = "chat"\nprompt = "Summarize in {n} sentences."',
            r"\[models.sum\] prompt: \{n\}: \{text\} and \{sentences\} are the only fields",
        ),
        (
            'model = "org/sum"',
            'model = "org/sum"\nkind = "chat"\nreduce_prompt = "Combine the summaries."',
            r"\[models.sum\] reduce_prompt: must place the article with \{text\}",
        ),
        (
            'model = "org/sum"',
            'model = "org/sum"\nkind = "chat"\nprompt = "{text[0]} in {sentences}"',
            r"\[models.sum\] prompt: \{text\[0\]\}: \{text\} and \{sentences\} are the only",
        ),
        (
            'model = "org/sum"',
            'model = "org/sum"\nkind = "chat"\nprompt = "{text} in {sentences"',
            r"\[models.sum\] prompt: cannot be filled in \(expected '}' before end of string\)",
        ),
        (
            'model = "org/sum"',
            'model = "org/sum"\nkind = "chat"\nprompt = "{text:d} in {sentences}"',
            r"\[models.sum\] prompt: \{text\} and \{sentences\} take no format spec",
        ),
        (
            'model = "org/sum"',
            'model = "org/sum"\nkind = "chat"\nprompt = "{text!r} in {sentences}"',
            r"\[models.sum\] prompt: \{text\} and \{sentences\} take no format spec",
        ),
        (
            'source = "mul"',
            'kind = "many-to-many"\ntarget_token = ">>eng<<"',
            r"\[models.mul-en\] target_token: a many-to-many model is told its target",
        ),
        (
            "batch_size = 8",
            'batch_size = 8\n[models.fr-en.language_codes]\nzz-top = "zz"',
            r"\[models.fr-en.language_codes\] zz-top: 'zz-top' is not a language code",
        ),
        (
            'target_language = "en"',
            'target_language = "en"\nsummarize_from = "summary"',
            r"\[pipeline\] summarize_from: 'summary' is not one of translation, source",
        ),
        ("batch_size = 8", "licence = 4", r"\[models.fr-en\] licence: expected a string"),
    ],
)
def test_mistakes_name_the_file_table_and_key(tmp_path, old, new, message):
    assert old in VALID
    path = write(tmp_path, VALID.replace(old, new, 1))
    with pytest.raises(ConfigError, match=message) as raised:
        load_config(path)
    assert str(path) in str(raised.value)


def test_retry_and_check_settings_are_read_with_defaults_for_what_is_not_given(tmp_path):
    text = VALID.replace(
        "max_new_tokens = 256",
        "max_new_tokens = 256\n[models.fr-en.retry]\nnum_beams = 8\n"
        "[models.fr-en.checks]\nmin_confidence = -2",
    ).replace("early_stopping = true", "early_stopping = true\n[models.sum.retry]")
    config = load_config(write(tmp_path, text))
    translator = config.models["fr-en"]
    assert translator.retry_generation == {"num_beams": 8, "max_new_tokens": 256}
    assert translator.thresholds == Thresholds(min_confidence=-2.0)
    # An empty table: no retry. No table: the task's defaults over the generation settings.
    assert config.models["sum"].retry_generation is None
    assert config.models["mul-en"].retry_generation == DEFAULT_RETRY["translation"]
    assert config.models["mul-en"].thresholds == Thresholds()


def test_a_retry_setting_the_engine_cannot_honour_is_found_after_an_engine_override(tmp_path):
    text = VALID.replace(
        "max_new_tokens = 256",
        "max_new_tokens = 256\n[models.fr-en.retry]\nencoder_no_repeat_ngram_size = 3",
    )
    spec = load_config(write(tmp_path, text)).with_engine("ctranslate2").models["fr-en"]
    assert spec.unsupported_settings() == ["encoder_no_repeat_ngram_size"]


def test_invalid_toml_and_missing_file_are_config_errors(tmp_path):
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(write(tmp_path, "[pipeline\n"))
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "absent.toml")


def test_language_without_translator_names_the_key_to_add(tmp_path):
    config = load_config(write(tmp_path, VALID.replace('"*" = "mul-en"\n', "")))
    with pytest.raises(ConfigError, match=r'add de = "MODEL".*\[pipeline.translators\]'):
        config.translator_for("de")


def test_unknown_summarizer_lists_known_ones(tmp_path):
    config = load_config(write(tmp_path, VALID))
    with pytest.raises(ConfigError, match=r"unknown summarizer 'nope'.*known: sum"):
        config.summarizer_model("nope")


def test_default_registry_routes_six_languages_and_falls_back_to_a_multilingual_model():
    config = load_config(default_config_path())
    expected = {
        "fr": "Helsinki-NLP/opus-mt-fr-en",
        "de": "Helsinki-NLP/opus-mt-de-en",
        "es": "Helsinki-NLP/opus-mt-es-en",
        "it": "Helsinki-NLP/opus-mt-it-en",
        "pt": "Helsinki-NLP/opus-mt-ROMANCE-en",
        "nl": "Helsinki-NLP/opus-mt-nl-en",
        "sv": "Helsinki-NLP/opus-mt-mul-en",
    }
    for language, model in expected.items():
        translator = config.translator_for(language)
        assert translator.model == model and translator.target == "en"
        # All translate into English only: none needs a target-language token.
        assert translator.target_token is None
    assert config.translator_for("en") is None
    assert config.max_input_bytes == 10 * 1024 * 1024


def test_size_limit_and_target_token_are_read(tmp_path):
    text = VALID.replace('target_language = "en"', 'target_language = "en"\nmax_input_bytes = 2048')
    text = text.replace("batch_size = 8", 'batch_size = 8\ntarget_token = ">>eng<<"')
    config = load_config(write(tmp_path, text))
    assert config.max_input_bytes == 2048
    assert config.translator_for("fr").target_token == ">>eng<<"
    assert config.translator_for("de").target_token is None


def test_engine_and_compute_type_default_to_torch_float32_and_ctranslate2_int8(tmp_path):
    text = VALID.replace('model = "org/sum"', 'model = "org/sum"\nengine = "ctranslate2"')
    text = text.replace(
        "batch_size = 8", 'batch_size = 8\nengine = "ctranslate2"\ncompute_type = "int8_float32"'
    )
    config = load_config(write(tmp_path, text))
    assert (config.models["mul-en"].engine, config.models["mul-en"].compute_type) == (
        "torch",
        "float32",
    )
    assert config.models["sum"].compute_type == "int8"
    assert config.models["fr-en"].compute_type == "int8_float32"
    assert config.threads is None


def test_engine_override_gives_each_model_that_engines_default_compute_type(tmp_path):
    text = VALID.replace(
        "batch_size = 8", 'batch_size = 8\nengine = "ctranslate2"\ncompute_type = "int8_float32"'
    )
    config = load_config(write(tmp_path, text))
    ct2 = config.with_engine("ctranslate2").models
    assert (ct2["mul-en"].engine, ct2["mul-en"].compute_type) == ("ctranslate2", "int8")
    assert ct2["fr-en"].compute_type == "int8_float32"  # already ctranslate2: unchanged
    torch = config.with_engine("torch").models
    assert {(m.engine, m.compute_type) for m in torch.values()} == {("torch", "float32")}
    assert config.with_engine(None) is config


def test_settings_ctranslate2_cannot_honour_are_config_errors(tmp_path):
    text = VALID.replace("batch_size = 8", 'engine = "ctranslate2"')
    text = text.replace("num_beams = 4", "encoder_no_repeat_ngram_size = 3")
    with pytest.raises(
        ConfigError,
        match=r"\[models.fr-en.generation\] encoder_no_repeat_ngram_size: not supported by the "
        "ctranslate2 engine",
    ):
        load_config(write(tmp_path, text))


def test_default_registry_runs_every_model_with_ctranslate2_int8():
    config = load_config(default_config_path())
    assert {(m.engine, m.compute_type) for m in config.models.values()} == {("ctranslate2", "int8")}


def test_deeply_nested_toml_is_a_config_error(tmp_path):
    path = write(tmp_path, "x = " + "[" * 100_000 + "]" * 100_000 + "\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(path)


def test_a_config_that_is_not_a_regular_file_is_named_as_such(tmp_path):
    with pytest.raises(ConfigError, match="not a regular file"):
        load_config("/dev/null")
    with pytest.raises(ConfigError, match="not a regular file"):
        load_config(tmp_path)


def test_a_model_path_under_an_existing_folder_is_local_not_a_hub_id(tmp_path):
    (tmp_path / "models").mkdir()
    config = load_config(write(tmp_path, VALID.replace('model = "org/sum"', 'model = "models/x"')))
    spec = config.models["sum"]
    assert spec.is_local
    assert spec.model == str(tmp_path / "models" / "x")


def test_kinds_languages_codes_and_prompts_are_read(tmp_path):
    text = VALID.replace('source = "mul"', 'kind = "many-to-many"\nlanguages = ["FR", "de-DE"]')
    text = text.replace(
        'model = "org/sum"',
        'model = "org/sum"\nkind = "chat"\nprompt = "In {sentences} sentences:\\n{text}"',
    )
    text += '\n[models.mul-en.language_codes]\nzh = "zho_Hant"\n'
    config = load_config(write(tmp_path, text))
    many = config.models["mul-en"]
    assert (many.kind, many.languages, many.language_codes) == (
        "many-to-many",
        ["fr", "de"],
        {"zh": "zho_Hant"},
    )
    chat = config.models["sum"]
    assert (chat.kind, chat.prompt, chat.max_input_tokens) == (
        "chat",
        "In {sentences} sentences:\n{text}",
        4096,
    )
    assert chat.retry_generation is None  # no beam search on an LLM unless asked for
    assert config.models["fr-en"].kind is None  # a hub model's files tell, once downloaded
    assert config.summarize_from == "translation"


def test_translator_override_serves_what_the_model_reads(tmp_path):
    config = load_config(write(tmp_path, VALID))
    assert config.with_translator("fr-en").translators == {"fr": "fr-en", "*": "mul-en"}
    assert config.with_translator("mul-en").translators == {"*": "mul-en"}
    assert config.with_translator(None) is config
    narrowed = load_config(
        write(
            tmp_path, VALID.replace('source = "mul"', 'kind = "many-to-many"\nlanguages = ["de"]')
        )
    )
    assert narrowed.with_translator("mul-en").translators == {
        "fr": "fr-en",
        "*": "mul-en",
        "de": "mul-en",
    }
    with pytest.raises(ConfigError, match=r"no translator named 'sum'.*known: fr-en, mul-en"):
        config.with_translator("sum")
