"""Language detection, per document and per paragraph, offline."""

import pytest

from summarizer.documents import split_paragraphs
from summarizer.language import (
    MIN_PARAGRAPH_WORDS,
    detect_languages,
    paragraph_languages,
)
from tests.articles import (
    ENGLISH_ARTICLE,
    FRENCH_ARTICLE,
    FRENCH_ARTICLE_WITH_ENGLISH_QUOTE,
    GERMAN_PARAGRAPH,
    ITALIAN_PARAGRAPH,
)


def test_detector_model_ships_in_its_wheel_and_needs_no_network():
    # The autouse socket guard fails this test if loading or running the detector connects.
    assert detect_languages([FRENCH_ARTICLE])[0][0] == "fr"
    assert detect_languages([ENGLISH_ARTICLE])[0][0] == "en"
    assert [
        language for language, _ in detect_languages([GERMAN_PARAGRAPH, ITALIAN_PARAGRAPH])
    ] == [
        "de",
        "it",
    ]


def test_confidences_are_probabilities():
    for _, confidence in detect_languages([FRENCH_ARTICLE, "Oui."]):
        assert 0.0 <= confidence <= 1.0


def test_english_quote_paragraph_in_a_french_article_is_english():
    paragraphs = split_paragraphs(FRENCH_ARTICLE_WITH_ENGLISH_QUOTE)
    assert detect_languages([FRENCH_ARTICLE_WITH_ENGLISH_QUOTE])[0][0] == "fr"
    assert paragraph_languages(paragraphs, "fr") == ["fr", "en", "fr"]


def test_paragraphs_of_a_single_language_article_all_get_its_language():
    for article, language in ((FRENCH_ARTICLE, "fr"), (ENGLISH_ARTICLE, "en")):
        paragraphs = split_paragraphs(article)
        assert paragraph_languages(paragraphs, language) == [language] * len(paragraphs)


class StubDetector:
    """Answers a fixed detection and records what it was asked."""

    def __init__(self, language: str, confidence: float) -> None:
        self.answer = (language, confidence)
        self.asked: list[str] = []

    def __call__(self, texts):
        self.asked += list(texts)
        return [self.answer] * len(texts)


def test_short_paragraphs_keep_the_document_language_without_asking_the_detector():
    short = " ".join(["mot"] * (MIN_PARAGRAPH_WORDS - 1))
    long = " ".join(["mot"] * MIN_PARAGRAPH_WORDS)
    detector = StubDetector("en", 0.99)
    assert paragraph_languages([short, long], "fr", detector) == ["fr", "en"]
    assert detector.asked == [long]


def test_an_unsure_detection_keeps_the_document_language():
    paragraph = " ".join(["mot"] * 10)
    assert paragraph_languages([paragraph], "fr", StubDetector("en", 0.6)) == ["fr"]
    assert paragraph_languages([paragraph], "fr", StubDetector("en", 0.95)) == ["en"]


def test_a_paragraph_in_a_language_nobody_serves_keeps_the_document_language():
    paragraph = " ".join(["mot"] * 10)
    served = {"fr", "en"}.__contains__
    assert paragraph_languages([paragraph], "fr", StubDetector("ca", 0.99), supported=served) == [
        "fr"
    ]
    assert paragraph_languages([paragraph], "fr", StubDetector("en", 0.99), supported=served) == [
        "en"
    ]


def test_a_language_the_detector_only_guesses_is_said_as_such(tiny_config):
    from summarizer.errors import InputError
    from summarizer.options import RunOptions
    from summarizer.pipeline import Summarizer
    from tests.fakes import FakeModel

    summarizer = Summarizer(tiny_config, model_loader=lambda spec, _=None: FakeModel(spec))
    with pytest.raises(InputError, match=r"^cannot tell the language of numbers: the detector"):
        summarizer.run("12 34 56 78 90 11 22 33", RunOptions(summarize=False), name="numbers")
