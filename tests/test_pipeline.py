"""The library API end to end, on the tiny local models."""

from __future__ import annotations

import pytest

from summarizer import Summarizer, summarize_text
from summarizer.documents import Document, split_paragraphs
from summarizer.engines import load_model
from summarizer.errors import ConfigError, InputError
from summarizer.options import RunOptions
from tests.articles import (
    ENGLISH_ARTICLE,
    FRENCH_ARTICLE,
    FRENCH_ARTICLE_WITH_ENGLISH_QUOTE,
    FRENCH_PARAGRAPHS,
    GERMAN_PARAGRAPH,
    ITALIAN_PARAGRAPH,
    SCRAPED_ENGLISH_ARTICLE,
    SCRAPED_ENGLISH_DEBRIS,
    long_french_article,
)
from tests.fakes import FakeModel, FakeSummarizer


class RecordingLoader:
    """Wraps the real loader to see which models a run created and whether it loaded them."""

    def __init__(self) -> None:
        self.models = []

    def __call__(self, spec, on_progress=None):
        model = load_model(spec, on_progress)
        self.models.append(model)
        return model

    @property
    def loaded(self) -> list[str]:
        return [model.spec.name for model in self.models if model.loaded]


def test_french_article_is_translated_and_summarized(tiny_config):
    result = summarize_text(FRENCH_ARTICLE, config=tiny_config)
    assert result.source_language == "fr"
    assert result.translated
    assert result.source_text == FRENCH_ARTICLE.strip()
    assert result.translation.count("\n\n") == FRENCH_ARTICLE.strip().count("\n\n")
    assert result.models["translation"]["name"] == "tiny-marian"
    assert result.models["summarization"]["name"] == "tiny-bart"
    assert result.stats["translation"]["segments"] == 9
    assert result.stats["summarization"]["chunks"] >= 1


def test_paragraph_structure_survives_translation(tiny_config):
    text = "\n\n".join(FRENCH_PARAGRAPHS)
    result = summarize_text(text, config=tiny_config, source_language="fr")
    paragraphs = result.translation.split("\n\n")
    assert len(paragraphs) == len(FRENCH_PARAGRAPHS)
    assert all(paragraph.strip() for paragraph in paragraphs)


def test_output_is_deterministic_without_the_cache(tiny_config):
    first = summarize_text(FRENCH_ARTICLE, config=tiny_config, use_cache=False)
    second = summarize_text(FRENCH_ARTICLE, config=tiny_config, use_cache=False)
    assert (first.translation, first.summary) == (second.translation, second.summary)
    assert second.stats["translation"]["cache_misses"] == 9


def test_second_run_loads_no_model_and_misses_nothing(tiny_config):
    first = summarize_text(FRENCH_ARTICLE, config=tiny_config)
    loader = RecordingLoader()
    summarizer = Summarizer(tiny_config, model_loader=loader)
    second = summarizer.run(FRENCH_ARTICLE)
    assert loader.loaded == []
    assert second.stats["translation"]["cache_misses"] == 0
    assert second.stats["summarization"]["cache_misses"] == 0
    assert second.stats["summarization"]["chunks"] == first.stats["summarization"]["chunks"]
    assert (second.translation, second.summary) == (first.translation, first.summary)


def test_english_article_is_not_translated(tiny_config):
    loader = RecordingLoader()
    result = Summarizer(tiny_config, model_loader=loader).run(ENGLISH_ARTICLE)
    assert result.source_language == "en"
    assert not result.translated and result.translation is None
    assert result.models["translation"] is None
    assert loader.loaded == ["tiny-bart"]


def test_source_language_overrides_detection(tiny_config):
    result = summarize_text(FRENCH_ARTICLE, config=tiny_config, source_language="en")
    assert result.source_language == "en" and not result.translated


def test_short_text_is_returned_as_its_own_summary(tiny_config):
    result = summarize_text("Short note.", config=tiny_config, source_language="en")
    assert result.summary == "Short note." and not result.summarized


class InputRecorder:
    """Wraps the real models to record every text that reaches generate() or
    generate_batches()."""

    def __init__(self) -> None:
        self.inputs: dict[str, list[str]] = {}
        self.models = {}

    def __call__(self, spec, on_progress=None):
        model = load_model(spec, on_progress)
        real_generate, real_generate_batches = model.generate, model.generate_batches

        def record(texts):
            self.inputs.setdefault(spec.name, []).extend(texts)

        def generate(texts, settings):
            record(texts)
            return real_generate(texts, settings)

        def generate_batches(requests):
            def recorded():
                for texts, settings in requests:
                    record(texts)
                    yield texts, settings

            return real_generate_batches(recorded())

        model.generate, model.generate_batches = generate, generate_batches
        self.models[spec.name] = model
        return model


@pytest.mark.slow  # 1000 sentences through the tiny models: about 25 s on 2 cores
def test_long_article_keeps_all_paragraphs_and_is_summarized_from_several_chunks(tiny_config):
    paragraphs = long_french_article(paragraphs=40, sentences_per_paragraph=25).split("\n\n")
    # One sentence far over the translator's 64-token limit, in the middle of the article.
    paragraphs[20] += " Puis " + " ".join(f"élément{i}" for i in range(150)) + " fin."
    text = "\n\n".join(paragraphs)
    assert len(text.split()) >= 15_000
    recorder = InputRecorder()
    result = Summarizer(tiny_config, model_loader=recorder).run(text)

    assert result.translation.count("\n\n") == 39
    assert all(p.strip() for p in result.translation.split("\n\n"))
    assert result.stats["translation"]["segments"] == 40 * 25 + 1
    assert result.stats["summarization"]["chunks"] > 1
    assert result.summarized
    # Nothing truncated: every word of the article reached the translator, in inputs that
    # all fit its limit.
    marian, bart = recorder.models["tiny-marian"], recorder.models["tiny-bart"]
    sent = recorder.inputs["tiny-marian"]
    assert sorted(" ".join(sent).split()) == sorted(text.split())
    assert max(marian.count_tokens(piece) for piece in sent) <= 64
    assert max(bart.count_tokens(chunk) for chunk in recorder.inputs["tiny-bart"]) <= 128


def test_summarizer_can_be_chosen_by_name(tiny_config):
    with pytest.raises(Exception, match="unknown summarizer 'absent'"):
        Summarizer(tiny_config, summarizer="absent")


# --- routing paragraphs to translators, with recording fake models -------------------------

ROUTED_CONFIG = """
[pipeline]
summarizer = "sum"
max_input_bytes = {max_input_bytes}

[pipeline.translators]
fr = "fr-en"
de = "de-en"
{fallback}

[models.fr-en]
task = "translation"
source = "fr"
model = "fake/fr-en"

[models.de-en]
task = "translation"
source = "de"
model = "fake/de-en"

[models.mul-en]
task = "translation"
source = "mul"
model = "fake/mul-en"

[models.sum]
task = "summarization"
model = "fake/sum"
"""


class FakeLoader:
    """Builds recording fake models instead of loading any."""

    def __init__(self) -> None:
        self.models: dict[str, FakeModel] = {}

    def __call__(self, spec, on_progress=None):
        fake = FakeSummarizer if spec.task == "summarization" else FakeModel
        return self.models.setdefault(spec.name, fake(spec))

    def sent(self, name: str) -> list[str]:
        model = self.models.get(name)
        return [text for batch in model.batches for text in batch] if model else []


def routed(tmp_path, fallback=True, max_input_bytes=1_000_000, **options):
    config = tmp_path / "routed.toml"
    config.write_text(
        ROUTED_CONFIG.format(
            fallback='"*" = "mul-en"' if fallback else "", max_input_bytes=max_input_bytes
        ),
        encoding="utf-8",
    )
    loader = FakeLoader()
    return Summarizer(config, model_loader=loader, **options), loader


def test_english_quote_in_a_french_article_is_not_translated_from_french(tmp_path):
    summarizer, loader = routed(tmp_path)
    result = summarizer.run(FRENCH_ARTICLE_WITH_ENGLISH_QUOTE)
    quote = split_paragraphs(FRENCH_ARTICLE_WITH_ENGLISH_QUOTE)[1]
    assert result.source_language == "fr" and result.translated
    assert result.paragraph_languages == ["fr", "en", "fr"]
    assert result.translation.split("\n\n")[1] == quote
    assert not any(word in " ".join(loader.sent("fr-en")) for word in ("railway", "grandchildren"))
    assert result.models["translation"]["name"] == "fr-en"


def test_each_language_goes_to_its_translator_and_others_to_the_fallback(tmp_path):
    summarizer, loader = routed(tmp_path)
    text = "\n\n".join([*FRENCH_PARAGRAPHS, GERMAN_PARAGRAPH, ITALIAN_PARAGRAPH])
    # Without checks: the fakes copy their input, which the checks would retry.
    result = summarizer.run(text, RunOptions(checks=False))
    assert result.paragraph_languages == ["fr"] * len(FRENCH_PARAGRAPHS) + ["de", "it"]
    # Batches are sorted by length: compare the words each model received.
    words = {name: sorted(" ".join(loader.sent(name)).split()) for name in loader.models}
    assert words["de-en"] == sorted(GERMAN_PARAGRAPH.split())
    assert words["mul-en"] == sorted(ITALIAN_PARAGRAPH.split())
    assert words["fr-en"] == sorted(" ".join(FRENCH_PARAGRAPHS).split())
    assert result.stats["translation"]["segments"] == len(FRENCH_PARAGRAPHS) + 4
    # Paragraphs stay in place, each translated by its own model.
    assert result.translation.split("\n\n")[-2].startswith("[Der Bürgermeister")


def test_a_language_with_no_translator_and_no_fallback_names_the_key_to_add(tmp_path):
    summarizer, loader = routed(tmp_path, fallback=False)
    with pytest.raises(ConfigError, match=r"no translator for language 'it'.*add it = \"MODEL\""):
        summarizer.run("\n\n".join([ITALIAN_PARAGRAPH] * 3))
    assert loader.models == {}


def test_source_language_skips_detection_for_every_paragraph(tmp_path):
    summarizer, loader = routed(tmp_path)
    result = summarizer.run(FRENCH_ARTICLE_WITH_ENGLISH_QUOTE, RunOptions(source_language="fr"))
    assert result.paragraph_languages == ["fr", "fr", "fr"]
    assert "railway" in " ".join(loader.sent("fr-en"))


def test_cached_run_does_not_run_the_detector(tmp_path):
    summarizer, _ = routed(tmp_path)
    first = summarizer.run(FRENCH_ARTICLE_WITH_ENGLISH_QUOTE)

    def no_detection(texts):
        raise AssertionError(f"detector asked about {len(texts)} text(s)")

    second, _ = routed(tmp_path, detector=no_detection)
    result = second.run(FRENCH_ARTICLE_WITH_ENGLISH_QUOTE)
    assert result.paragraph_languages == first.paragraph_languages
    assert result.translation == first.translation


def test_debris_is_reported_and_kept_out_of_the_text(tmp_path):
    summarizer, loader = routed(tmp_path)
    result = summarizer.run(SCRAPED_ENGLISH_ARTICLE)
    assert (result.source_language, result.translated) == ("en", False)
    assert result.removed == SCRAPED_ENGLISH_DEBRIS and result.paywalled
    assert all(line not in result.source_text for line in SCRAPED_ENGLISH_DEBRIS)
    assert set(loader.models) == {"sum"}
    kept = summarizer.run(SCRAPED_ENGLISH_ARTICLE, RunOptions(keep_boilerplate=True))
    assert kept.removed == [] and kept.paywalled
    assert all(line in kept.source_text for line in SCRAPED_ENGLISH_DEBRIS)


def test_a_document_can_be_given_instead_of_text(tmp_path):
    summarizer, _ = routed(tmp_path)
    document = Document(paragraphs=split_paragraphs(ENGLISH_ARTICLE), removed=["Share"])
    result = summarizer.run(document, name="doc")
    assert result.source_text == document.text and result.removed == ["Share"]


def test_the_configured_size_limit_applies_to_strings(tmp_path):
    summarizer, _ = routed(tmp_path, max_input_bytes=100)
    with pytest.raises(InputError, match="larger than 100 bytes"):
        summarizer.run(FRENCH_ARTICLE)
