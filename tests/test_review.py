"""The checks stage through the library: recording fakes that fail one check each are
flagged, retried with the translator's safer settings, and fixed when the retry behaves."""

from __future__ import annotations

import zlib

import pytest

from summarizer import Summarizer
from summarizer.cache import Cache
from summarizer.config import load_config
from summarizer.errors import ModelError
from summarizer.options import RunOptions
from tests.fakes import FakeModel, FakeSummarizer, InventingSummarizer, is_retry

# Sentences of one paragraph; the second and third hold figures.
ARTICLE = (
    "Le conseil municipal s'est réuni jeudi soir dans la grande salle de la mairie. "
    "Le budget prévoit 1 250 000 euros pour la rénovation des écoles du quartier nord. "
    "Les travaux commenceront le 3 mars à 14h30 selon le calendrier présenté aux élus."
)
# Plain English words: what the fakes translate each source word into.
VOCABULARY = (
    "council",
    "city",
    "hall",
    "meeting",
    "evening",
    "members",
    "budget",
    "schools",
    "district",
    "north",
    "works",
    "plan",
    "start",
    "spring",
    "calendar",
    "elected",
    "officials",
    "money",
    "renovation",
    "project",
    "public",
    "building",
    "report",
    "office",
    "street",
    "river",
    "bridge",
    "market",
    "garden",
    "library",
    "station",
    "square",
    "park",
)


def english(text: str) -> str:
    """A stand-in translation: each word to an English word chosen by its hash, numbers and
    punctuation kept, so that it passes every check."""
    words = []
    for word in text.split():
        if any(character.isdigit() for character in word):
            words.append(word.replace("h", ":") if "h" in word else word)
        else:
            words.append(VOCABULARY[zlib.crc32(word.lower().encode()) % len(VOCABULARY)])
    return " ".join(words) + "."


class Translator(FakeModel):
    """Translates with `english`; `broken(text)` is its first attempt's answer, and also
    the retry's unless `fixed_on_retry`."""

    def __init__(self, spec, broken, *, fixed_on_retry: bool, confidence: float = -0.2):
        super().__init__(spec)
        self.broken, self.fixed_on_retry, self.score = broken, fixed_on_retry, confidence
        self.retries = 0

    def generate(self, texts, settings):
        self.batches.append(list(texts))
        self.settings.append(dict(settings))
        retry = is_retry(settings)
        self.retries += len(texts) if retry else 0
        if retry and self.fixed_on_retry:
            return [english(text) for text in texts]
        return [self.broken(text) for text in texts]

    def confidence(self, text: str) -> float:
        return self.score


def run(config, translator, cache_dir, **options):
    models = {"tiny-marian": translator, "tiny-bart": FakeSummarizer(config.models["tiny-bart"])}
    summarizer = Summarizer(
        config, cache_dir=cache_dir, model_loader=lambda spec, progress=None: models[spec.name]
    )
    try:
        return summarizer.run(ARTICLE, RunOptions(source_language="fr", summarize=False, **options))
    finally:
        summarizer.close()


def drop_numbers(text: str) -> str:
    return " ".join(word for word in english(text).split() if not any(c.isdigit() for c in word))


def loop(text: str) -> str:
    return "the council " + "of the city " * 8


def copy(text: str) -> str:
    return text


def french(text: str) -> str:
    return "Le maire a expliqué aux habitants que la situation restait très difficile."


BROKEN = [
    (drop_numbers, "numbers"),
    (loop, "repetition"),
    (copy, "untranslated"),
    (french, "untranslated"),
]


@pytest.fixture
def config(retrying_config):
    return load_config(retrying_config)


@pytest.mark.parametrize(("broken", "problem"), BROKEN, ids=[p for _b, p in BROKEN])
def test_a_failing_sentence_is_retried_and_flagged_when_the_retry_fails_too(
    config, tmp_path, broken, problem
):
    translator = Translator(config.models["tiny-marian"], broken, fixed_on_retry=False)
    result = run(config, translator, tmp_path / "cache")

    flags = result.checks["translation"]
    assert flags, "nothing flagged"
    assert all(problem in flag["problems"] for flag in flags if flag["source"] != ARTICLE)
    assert all(flag["retried"] for flag in flags)
    assert translator.retries >= len(flags)
    assert result.checks["flagged"] == len(flags)
    assert result.stats["translation"]["retried"] >= len(flags)


@pytest.mark.parametrize(("broken", "problem"), BROKEN, ids=[p for _b, p in BROKEN])
def test_a_failing_sentence_is_replaced_by_its_retry_when_the_retry_passes(
    config, tmp_path, broken, problem
):
    translator = Translator(config.models["tiny-marian"], broken, fixed_on_retry=True)
    result = run(config, translator, tmp_path / "cache")

    assert result.checks == {"translation": [], "summary": [], "flagged": 0}
    assert translator.retries > 0
    assert result.translation == " ".join(english(sentence) for sentence in _sentences(ARTICLE))


def test_a_low_confidence_is_flagged_with_its_score(config, tmp_path):
    translator = Translator(
        config.models["tiny-marian"], english, fixed_on_retry=True, confidence=-4.0
    )
    result = run(config, translator, tmp_path / "cache")

    flags = result.checks["translation"]
    assert len(flags) == 3
    assert all(flag["problems"] == ["confidence"] for flag in flags)
    assert all(flag["confidence"] == -4.0 and flag["retried"] for flag in flags)
    assert result.stats["translation"]["confidence"] == -4.0


class SureOnRetry(Translator):
    """Translates well, unsure of its first attempts, sure of its retries."""

    def generate(self, texts, settings):
        self.retrying = is_retry(settings)
        return super().generate(texts, settings)

    def confidence(self, text: str) -> float:
        return -0.2 if self.retrying else -4.0


def test_a_low_confidence_fixed_by_the_retry_keeps_the_surer_translation(config, tmp_path):
    translator = SureOnRetry(config.models["tiny-marian"], english, fixed_on_retry=True)
    result = run(config, translator, tmp_path / "cache")

    assert result.checks["flagged"] == 0
    assert translator.retries == 3
    assert result.stats["translation"]["confidence"] == -0.2


def test_the_retry_uses_the_translators_retry_settings(config, tmp_path):
    translator = Translator(config.models["tiny-marian"], drop_numbers, fixed_on_retry=True)
    run(config, translator, tmp_path / "cache")

    retries = [settings for settings in translator.settings if is_retry(settings)]
    expected = config.models["tiny-marian"].retry_generation
    assert retries
    assert all(
        {key: value for key, value in settings.items() if key != "max_new_tokens"}
        == {key: value for key, value in expected.items() if key != "max_new_tokens"}
        for settings in retries
    )


def test_a_rerun_makes_the_same_choices_from_the_cache_alone(config, tmp_path):
    first = Translator(config.models["tiny-marian"], drop_numbers, fixed_on_retry=False)
    before = run(config, first, tmp_path / "cache")
    again = Translator(config.models["tiny-marian"], drop_numbers, fixed_on_retry=False)
    after = run(config, again, tmp_path / "cache")

    assert again.calls == 0
    assert after.checks == before.checks
    assert after.translation == before.translation


def test_without_checks_the_first_attempt_is_kept_and_nothing_is_flagged(config, tmp_path):
    translator = Translator(config.models["tiny-marian"], drop_numbers, fixed_on_retry=True)
    result = run(config, translator, tmp_path / "cache", checks=False)

    assert result.checks is None
    assert translator.retries == 0
    assert result.translation == " ".join(
        drop_numbers(sentence) for sentence in _sentences(ARTICLE)
    )


def test_an_empty_retry_table_flags_without_retrying(config, tmp_path):
    from dataclasses import replace

    spec = replace(config.models["tiny-marian"], retry={})
    config = replace(config, models={**config.models, "tiny-marian": spec})
    translator = Translator(spec, drop_numbers, fixed_on_retry=True)
    result = run(config, translator, tmp_path / "cache")

    assert translator.retries == 0
    assert result.checks["flagged"] == 2
    assert not any(flag["retried"] for flag in result.checks["translation"])


def test_retries_are_cached_under_their_own_settings(config, tmp_path):
    translator = Translator(config.models["tiny-marian"], drop_numbers, fixed_on_retry=True)
    run(config, translator, tmp_path / "cache")
    cache = Cache(tmp_path / "cache")
    try:
        from summarizer.cache import make_key

        spec = config.models["tiny-marian"]
        sentence = _sentences(ARTICLE)[1]
        first = make_key("translation", translator.identity, spec.output_settings, sentence)
        retry_settings = {**spec.output_settings, **spec.retry_generation}
        retry = make_key("translation", translator.identity, retry_settings, sentence)
        stored = cache.get_many([first, retry])
    finally:
        cache.close()
    assert first in stored and retry in stored and stored[first] != stored[retry]


def _sentences(text: str) -> list[str]:
    from summarizer.segment import split_sentences

    return split_sentences(text, "fr")


def summarize(config, summarizer_model, cache_dir, **options):
    translator = Translator(config.models["tiny-marian"], english, fixed_on_retry=True)
    models = {"tiny-marian": translator, "tiny-bart": summarizer_model}
    summarizer = Summarizer(
        config, cache_dir=cache_dir, model_loader=lambda spec, progress=None: models[spec.name]
    )
    try:
        return summarizer.run(ARTICLE, RunOptions(source_language="fr", **options))
    finally:
        summarizer.close()


def test_a_summary_with_an_invented_number_and_name_is_redone_and_flagged_if_still_wrong(
    config, tmp_path
):
    model = InventingSummarizer(config.models["tiny-bart"], stubborn=True)
    result = summarize(config, model, tmp_path / "cache")

    assert model.retries > 0
    claims = result.checks["summary"]
    assert {"text": "1987", "kind": "number"} in claims
    assert {"text": "Pauline Dufresnoy", "kind": "name"} in claims
    assert result.checks["flagged"] == len(claims)
    assert result.stats["summarization"]["retried"] == 1


def test_a_summary_whose_retry_invents_nothing_is_replaced(config, tmp_path):
    model = InventingSummarizer(config.models["tiny-bart"])
    result = summarize(config, model, tmp_path / "cache")

    assert result.checks["summary"] == []
    assert "1987" not in result.summary and "Dufresnoy" not in result.summary


def test_a_summary_is_not_checked_without_checks(config, tmp_path):
    model = InventingSummarizer(config.models["tiny-bart"])
    result = summarize(config, model, tmp_path / "cache", checks=False)

    assert model.retries == 0
    assert "Dufresnoy" in result.summary and result.checks is None


class FailsOnRetry(Translator):
    def generate(self, texts, settings):
        if is_retry(settings):
            raise ModelError("the retry ran out of memory", model=self.spec.name)
        return super().generate(texts, settings)


def test_a_failing_retry_keeps_the_first_attempts_flagged(config, tmp_path):
    translator = FailsOnRetry(config.models["tiny-marian"], drop_numbers, fixed_on_retry=True)
    result = run(config, translator, tmp_path / "cache")

    assert result.translation == " ".join(drop_numbers(s) for s in _sentences(ARTICLE))
    flags = result.checks["translation"]
    assert len(flags) == 2 and not any(flag["retried"] for flag in flags)
