"""The library API end to end, on the tiny local models."""

from __future__ import annotations

import pytest

from summarizer import Summarizer, summarize_text
from summarizer.config import load_config
from summarizer.documents import Document, split_paragraphs
from summarizer.engines import load_model
from summarizer.errors import ConfigError, InputError, SummarizerError
from summarizer.options import RunOptions
from summarizer.pipeline import Article
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
from tests.fakes import FakeModel, FakeSummarizer, NeverShorter


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


# --- many articles: their chunks share summarizer batches ---------------------------------


def english_story(topic: str, sentences: int = 30) -> str:
    """An English article about `topic`, in paragraphs of five sentences."""
    lines = [
        f"The {topic} committee met on day {i} and heard report number {i} on the {topic}."
        for i in range(sentences)
    ]
    return "\n\n".join(" ".join(lines[i : i + 5]) for i in range(0, sentences, 5))


TOPICS = ["harbour", "railway", "museum"]
STORIES = [english_story(TOPICS[0]), english_story(TOPICS[1], 12), english_story(TOPICS[2], 45)]


def serving(model):
    """A model_loader that gives `model` whatever is asked for."""
    return lambda _spec, _progress=None: model


def summarized_one_by_one(config, cache_dir, make_model, texts):
    """Each text through `run` alone, one after the other, each with a model of its own:
    (their results, the summarizer's generate calls in all)."""
    results, calls = [], 0
    for text in texts:
        model = make_model()
        summarizer = Summarizer(config, cache_dir=cache_dir, model_loader=serving(model))
        try:
            results.append(summarizer.run(text, RunOptions(source_language="en")))
        finally:
            summarizer.close()
        calls += model.calls
    return results, calls


def test_articles_of_a_batch_share_summarizer_batches_and_get_their_own_summaries(
    tiny_config, tmp_path
):
    # tiny-bart's settings (128-token chunks, batches of 2) with a recording fake.
    spec = load_config(tiny_config).models["tiny-bart"]
    model, messages = FakeSummarizer(spec), []
    summarizer = Summarizer(
        tiny_config,
        cache_dir=tmp_path / "batch",
        model_loader=serving(model),
        on_progress=messages.append,
    )
    articles = [Article(f"story{i}", text) for i, text in enumerate(STORIES)]
    results = summarizer.run_batch(articles, RunOptions(source_language="en"))
    alone, calls_alone = summarized_one_by_one(
        tiny_config, tmp_path / "alone", lambda: FakeSummarizer(spec), STORIES
    )

    assert [(r.summary, r.stats["summarization"]) for r in results] == [
        (r.summary, r.stats["summarization"]) for r in alone
    ]
    topics = [{t for t in TOPICS if t in " ".join(batch)} for batch in model.batches]
    assert any(len(found) > 1 for found in topics)
    assert model.calls < calls_alone
    chunks = sum(result.stats["summarization"]["chunks"] for result in results)
    summarizing = [message for message in messages if message.startswith("summarizing")]
    assert summarizing == [f"summarizing {chunks} chunk(s) with tiny-bart"]


def test_an_article_whose_summary_fails_fails_alone(tiny_config):
    model = NeverShorter(load_config(tiny_config).models["tiny-bart"])
    summarizer = Summarizer(tiny_config, model_loader=serving(model))
    texts = [STORIES[0], english_story("endless"), STORIES[1]]
    results = summarizer.run_batch(texts, RunOptions(source_language="en"))
    assert isinstance(results[1], SummarizerError)
    assert "did not get shorter" in str(results[1])
    assert all(result.summarized for result in results[::2])


def test_a_batch_gets_the_summaries_its_articles_get_alone_from_the_tiny_models(
    tiny_config, tmp_path
):
    articles = [Article(f"story{i}", text) for i, text in enumerate(STORIES)]
    options = RunOptions(source_language="en")
    summarizer = Summarizer(tiny_config, cache_dir=tmp_path / "batch")
    together = summarizer.run_batch(articles, options)
    summarizer.close()
    summarizer = Summarizer(tiny_config, cache_dir=tmp_path / "alone")
    alone = [summarizer.run(text, options) for text in STORIES]
    summarizer.close()
    assert [(r.summary, r.checks, r.stats["summarization"]) for r in together] == [
        (r.summary, r.checks, r.stats["summarization"]) for r in alone
    ]
    assert all(result.summarized for result in together)
