"""One article through every stage: language, translation, summarization.

>>> from summarizer import Summarizer
>>> result = Summarizer().run("Le gouvernement a présenté mardi ...")
>>> print(result.summary)
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from summarizer.cache import Cache, NullCache, make_key
from summarizer.config import Config, ModelSpec, load_config
from summarizer.documents import Document, join_paragraphs, parse_text
from summarizer.engine import Model, load_model
from summarizer.language import TASK as LANGUAGE_TASK
from summarizer.language import (
    Detection,
    detect_languages,
    detector_identity,
    paragraph_languages,
)
from summarizer.summarize import summarize_text as summarize_english
from summarizer.translate import TranslationStats, translate_paragraphs

ModelLoader = Callable[[ModelSpec, Callable[[str], None]], Model]


@dataclass
class Result:
    """Everything one run produced; `to_dict()` is the CLI's JSON output."""

    input: str
    source_language: str
    translated: bool
    # The text that went into the pipeline: paragraphs separated by one blank line.
    source_text: str
    # The English translation, None when the article was already in the target language.
    translation: str | None
    summary: str
    # False when the text was shorter than a summary would be and is returned as is.
    summarized: bool
    # The language of each paragraph of source_text (a quote may differ from the article).
    paragraph_languages: list[str]
    # Lines removed from the input as scraping debris (paywall notices, "Back to top", ...).
    removed: list[str]
    # True when a notice said the article was cut short by a paywall.
    paywalled: bool
    # {"translation": {...} or None, "summarization": {...}}, each name, model, revision.
    models: dict[str, dict[str, str | None] | None]
    stats: dict[str, dict[str, int]] = field(default_factory=dict)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Summarizer:
    """Translates and summarizes articles; keeps models loaded between calls."""

    def __init__(
        self,
        config: Config | str | os.PathLike[str] | None = None,
        *,
        cache_dir: str | os.PathLike[str] | None = None,
        use_cache: bool = True,
        summarizer: str | None = None,
        model_loader: ModelLoader = load_model,
        on_progress: Callable[[str], None] | None = None,
    ) -> None:
        """`config`: a Config or a models.toml path (default: the usual lookup).
        `summarizer`: a [models.*] name overriding [pipeline] summarizer.
        `on_progress`: called with one-line messages about long steps."""
        self.config = config if isinstance(config, Config) else load_config(config)
        self.summarizer_spec = self.config.summarizer_model(summarizer)
        self.cache = Cache(Path(cache_dir) if cache_dir else None) if use_cache else NullCache()
        self._model_loader = model_loader
        self._models: dict[str, Model] = {}
        self._progress = on_progress or (lambda message: None)

    def model(self, spec: ModelSpec) -> Model:
        if spec.name not in self._models:
            self._models[spec.name] = self._model_loader(spec, self._progress)
        return self._models[spec.name]

    def run(
        self,
        text: str | Document,
        *,
        source_language: str | None = None,
        name: str = "<text>",
        keep_boilerplate: bool = False,
    ) -> Result:
        """Translate an article (a string, plain text or HTML, or a Document) to English if
        needed, then summarize it. `source_language` skips detection."""
        started = time.perf_counter()
        if isinstance(text, Document):
            document = text
        else:
            document = parse_text(
                text,
                keep_boilerplate=keep_boilerplate,
                name=name,
                max_bytes=self.config.max_input_bytes,
            )
        paragraphs = document.paragraphs
        source_text = document.text
        if source_language:
            language = source_language.lower()
            languages = [language] * len(paragraphs)
        else:
            language = self._detect([source_text])[0][0]
            languages = paragraph_languages(
                paragraphs, language, self._detect, supported=self.config.serves
            )
        # Every translator is looked up before any work, so a missing one fails at once.
        translators = {lang: self.config.translator_for(lang) for lang in dict.fromkeys(languages)}

        english_paragraphs, translation_stats = self._translate(paragraphs, languages, translators)
        used = [spec for spec in translators.values() if spec is not None]
        english = join_paragraphs(english_paragraphs)

        def report_chunks(count: int) -> None:
            self._progress(f"summarizing {count} chunk(s) with {self.summarizer_spec.name}")

        summary = summarize_english(
            english, self.model(self.summarizer_spec), self.cache, on_chunks=report_chunks
        )
        # The article's own language names the translator; another one only serves quotes.
        main_translator = translators.get(language) or (used[0] if used else None)
        return Result(
            input=name,
            source_language=language,
            translated=bool(used),
            source_text=source_text,
            translation=english if used else None,
            summary=summary.text,
            summarized=summary.summarized,
            paragraph_languages=languages,
            removed=list(document.removed),
            paywalled=document.paywalled,
            models={
                "translation": _describe(main_translator) if main_translator else None,
                "summarization": _describe(self.summarizer_spec),
            },
            stats={
                "translation": asdict(translation_stats),
                "summarization": asdict(summary.stats),
            },
            seconds=round(time.perf_counter() - started, 3),
        )

    def _translate(
        self,
        paragraphs: list[str],
        languages: list[str],
        translators: dict[str, ModelSpec | None],
    ) -> tuple[list[str], TranslationStats]:
        """Each language's paragraphs translated by its translator, in one batch per
        language; paragraphs with no translator (already English) pass through untouched."""
        english = list(paragraphs)
        summed = TranslationStats()
        for language, translator in translators.items():
            if translator is None:
                continue
            indexes = [i for i, lang in enumerate(languages) if lang == language]
            model = self.model(translator)

            def report_batch(done: int, total: int, name: str = translator.name) -> None:
                self._progress(f"translated {done}/{total} segments with {name}")

            translated, stats = translate_paragraphs(
                [paragraphs[i] for i in indexes], language, model, self.cache, on_batch=report_batch
            )
            for index, paragraph in zip(indexes, translated, strict=True):
                english[index] = paragraph
            summed.segments += stats.segments
            summed.cache_hits += stats.cache_hits
            summed.cache_misses += stats.cache_misses
        return english, summed

    def _detect(self, texts: Sequence[str]) -> list[Detection]:
        """Detections are cached like model outputs: loading the detector costs more than a
        whole cached run otherwise would. Values are "LANG CONFIDENCE", read back the same
        way on a fresh run, so a cached run decides exactly as the first one did."""
        identity = detector_identity()
        keys = [make_key(LANGUAGE_TASK, identity, {}, text) for text in texts]
        found = self.cache.get_many(keys)
        missing = {key: text for key, text in zip(keys, texts, strict=True) if key not in found}
        if missing:
            detections = detect_languages(list(missing.values()))
            fresh = {
                key: f"{language} {confidence:.4f}"
                for key, (language, confidence) in zip(missing, detections, strict=True)
            }
            self.cache.put_many(LANGUAGE_TASK, identity, fresh)
            found.update(fresh)
        return [_parse_detection(found[key]) for key in keys]

    def close(self) -> None:
        self.cache.close()


def _parse_detection(value: str) -> Detection:
    language, confidence = value.split()
    return language, float(confidence)


def _describe(spec: ModelSpec) -> dict[str, str | None]:
    return {"name": spec.name, "model": spec.model, "revision": spec.revision}


def summarize_text(
    text: str,
    *,
    config: Config | str | os.PathLike[str] | None = None,
    source_language: str | None = None,
    keep_boilerplate: bool = False,
    **options: Any,
) -> Result:
    """Translate and summarize one article given as a string (plain text or HTML).

    `options` are those of :class:`Summarizer` (cache_dir, use_cache, summarizer, ...).
    """
    summarizer = Summarizer(config, **options)
    try:
        return summarizer.run(
            text, source_language=source_language, keep_boilerplate=keep_boilerplate
        )
    finally:
        summarizer.close()
