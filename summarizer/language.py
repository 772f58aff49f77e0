"""Which language an article, and each of its paragraphs, is written in.

The detector is py3langid: its model (4.5 MB) ships in its wheel, it needs no network, it
loads in under a second and classifies a paragraph in well under a millisecond. It labels a
text by its majority language, which is what a per-paragraph decision needs: an English
quote given its own paragraph inside a French article is English. (lingua can find
language spans inside one sentence, but it is a 96 MB install and much slower to load; a
paragraph that mixes languages inside one sentence keeps its majority language here.)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from functools import cache as memoize
from typing import TYPE_CHECKING

from summarizer.errors import LanguageError

if TYPE_CHECKING:
    from summarizer.cache import Cache

TASK = "language"
# A paragraph gets a language of its own only when it is long enough for the detector to
# be reliable and the detector is sure: short lines ("M. Martin a rappelé.") are often
# misread, and a wrong language would send the paragraph to the wrong translator.
MIN_PARAGRAPH_WORDS = 6
# A document's own language is read from its first characters: plenty for the detector,
# and a very long text (a 500-page report) neither slows it down nor blurs its answer.
DOCUMENT_SAMPLE = 20_000
# Below this confidence the detector is guessing (numbers, names, a few words): a guess no
# translator serves is said as such, not as a missing translator to add.
UNSURE = 0.5
MIN_PARAGRAPH_CONFIDENCE = 0.9

Detection = tuple[str, float]  # (ISO 639-1 code, confidence between 0 and 1)
Detector = Callable[[Sequence[str]], list[Detection]]


# Valid tags that name no one language: undetermined, multiple, none, uncoded.
_NOT_A_LANGUAGE = frozenset({"und", "mul", "zxx", "mis"})


def normalize_code(code: str) -> str:
    """A language given by a person as its ISO 639-1 code: "fr-FR", "FR", "fra" (ISO 639-3)
    and "fre" become "fr"; a language with no two-letter code keeps its three letters.
    Anything else ("French", "xx", "x-private") is a LanguageError.

    langcodes (pure Python, its data in the wheel) knows the registry of tags and the
    ISO 639 equivalences; it is imported only here, when a language is given."""
    import langcodes

    try:
        language = langcodes.Language.get(code.strip().replace("_", "-"))
        valid = language.is_valid()
    except (langcodes.LanguageTagError, ValueError):
        valid = False
    primary = language.language if valid else None
    if (
        not primary
        or not primary.isalpha()
        or len(primary) not in (2, 3)
        or primary in _NOT_A_LANGUAGE
        or "qaa" <= primary <= "qtz"  # reserved for private use
    ):
        raise LanguageError(
            "{language} is not a language code such as fr (fr-FR and fra are read as fr)",
            language=code,
        )
    return primary


@memoize
def detector_identity() -> str:
    """Part of the cache key of a detection: a new detector release detects anew."""
    from importlib.metadata import version

    return f"py3langid-{version('py3langid')}:normalized"


@memoize
def _identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect_languages(texts: Sequence[str]) -> list[Detection]:
    """(language, confidence) of each text, e.g. ("fr", 0.99)."""
    identifier = _identifier()
    return [(str(language), float(p)) for language, p in map(identifier.classify, texts)]


def cached_detector(detect: Detector, cache: Cache) -> Detector:
    """`detect`, its detections cached like model outputs: loading the detector costs more
    than a whole cached run otherwise would. Values are "LANG CONFIDENCE", read back the same
    way on a fresh run, so a cached run decides exactly as the first one did. Keys name the
    shipped detector (`detector_identity`): another `detect` is a stand-in for it."""

    def compute(misses: list[str]) -> Iterator[dict[str, str]]:
        detections = detect(misses)
        yield {
            text: f"{language} {confidence:.4f}"
            for text, (language, confidence) in zip(misses, detections, strict=True)
        }

    def detect_cached(texts: Sequence[str]) -> list[Detection]:
        lookup = cache.get_or_compute(TASK, detector_identity, {}, texts, compute)
        return [_parse(lookup.values[text]) for text in texts]

    return detect_cached


def _parse(value: str) -> Detection:
    language, confidence = value.split()
    return language, float(confidence)


def paragraph_languages(
    paragraphs: Sequence[str],
    document_language: str,
    detect: Detector = detect_languages,
    *,
    supported: Callable[[str], bool] | None = None,
) -> list[str]:
    """The language of each paragraph: the document's, unless the paragraph is long enough
    and the detector is sure it is written in another one.

    `detect` classifies a batch of texts (the pipeline passes a cached one). `supported`
    says which languages can be served; a paragraph detected in another one keeps the
    document's language, so that one odd paragraph never fails a whole article."""
    languages = [document_language] * len(paragraphs)
    candidates = [
        index
        for index, paragraph in enumerate(paragraphs)
        if len(paragraph.split()) >= MIN_PARAGRAPH_WORDS
    ]
    detections = detect([paragraphs[index] for index in candidates]) if candidates else []
    for index, (language, confidence) in zip(candidates, detections, strict=True):
        if confidence >= MIN_PARAGRAPH_CONFIDENCE and (supported is None or supported(language)):
            languages[index] = language
    return languages
