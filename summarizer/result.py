"""What one article's run produced: the Result a caller gets and the CLI renders, and
the pieces of it drawn from the stages' own records."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from summarizer.config import ModelSpec
from summarizer.metadata import Metadata
from summarizer.review import Flag
from summarizer.summarize import Summary
from summarizer.translate import Routed, SegmentKey, Translation


@dataclass
class Result:
    """Everything one run produced; `to_dict()` is the CLI's JSON output."""

    input: str
    source_language: str
    translated: bool
    # Title, author, date, site, address and declared language, each None when unknown.
    metadata: Metadata
    # The title in English; None when there is no title or it needed no translation.
    title_translation: str | None
    # The text that went into the pipeline: paragraphs separated by one blank line.
    source_text: str
    # The English translation, None when the article was already in the target language.
    translation: str | None
    # None when only a translation was asked for.
    summary: str | None
    # False when the text was shorter than a summary would be and is returned as is.
    summarized: bool
    # The language of each paragraph of source_text (a quote may differ from the article).
    paragraph_languages: list[str]
    # Each paragraph's sentences, each with its translation: {"source", "translation"};
    # the translation is None where the sentence was left as it is (already in English,
    # or no words to translate), and an untranslated paragraph is one item.
    sentences: list[list[dict[str, str | None]]]
    # Lines removed from the input as scraping debris (paywall notices, "Back to top", ...).
    removed: list[str]
    # True when a notice said the article was cut short by a paywall.
    paywalled: bool
    # {"translation": {...} or None, "summarization": {...} or None}: name, model, revision.
    models: dict[str, dict[str, str | None] | None]
    # What the checks left doubtful, None when they were off: {"translation": [one dict per
    # flagged sentence (review.Flag)], "summary": [{"text", "kind"} per unsupported claim],
    # "flagged": how many items the two lists hold}.
    checks: dict[str, Any] | None = None
    stats: dict[str, dict[str, Any]] = field(default_factory=dict)
    seconds: float = 0.0
    # What the summary was made from: "translation" (the English text) or "source" (the
    # article itself, summarize_from = "source"); None without a summary.
    summary_from: str | None = None

    @property
    def flagged(self) -> int:
        """How many items the checks left doubtful (0 when they were off)."""
        return self.checks["flagged"] if self.checks else 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def sentence_pairs(document: Routed) -> list[list[dict[str, str | None]]]:
    """Each paragraph's sentences with their translations (None: left as it is)."""
    pairs = []
    for paragraph, language, sentences in zip(
        document.paragraphs, document.languages, document.sentences, strict=True
    ):
        pairs.append(
            [
                {
                    "source": sentence,
                    "translation": _text_of(document.translations, (language, sentence)),
                }
                for sentence in sentences
            ]
            or [{"source": paragraph, "translation": None}]
        )
    return pairs


def _text_of(translations: dict[SegmentKey, Translation], key: SegmentKey) -> str | None:
    found = translations.get(key)
    return found.text if found is not None else None


def checks_of(flags: list[Flag], summary: Summary | None) -> dict[str, Any]:
    claims = [asdict(claim) for claim in summary.claims] if summary else []
    return {
        "translation": [asdict(flag) for flag in flags],
        "summary": claims,
        "flagged": len(flags) + len(claims),
    }


def describe(spec: ModelSpec) -> dict[str, str | None]:
    return {"name": spec.name, "model": spec.model, "revision": spec.revision}
