"""The library API end to end, on the tiny local models."""

from __future__ import annotations

import pytest

from summarizer import Summarizer, summarize_text
from summarizer.engine import load_model
from tests.articles import ENGLISH_ARTICLE, FRENCH_ARTICLE, FRENCH_PARAGRAPHS, long_french_article


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
    """Wraps the real models to record every text that reaches generate()."""

    def __init__(self) -> None:
        self.inputs: dict[str, list[str]] = {}
        self.models = {}

    def __call__(self, spec, on_progress=None):
        model = load_model(spec, on_progress)
        real_generate = model.generate

        def generate(texts, settings):
            self.inputs.setdefault(spec.name, []).extend(texts)
            return real_generate(texts, settings)

        model.generate = generate
        self.models[spec.name] = model
        return model


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
