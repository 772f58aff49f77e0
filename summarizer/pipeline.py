"""One article through every stage: language, translation, summarization.

>>> from summarizer import Summarizer
>>> result = Summarizer().run("Le gouvernement a présenté mardi ...")
>>> print(result.summary)
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from summarizer.cache import Cache, NullCache, make_key
from summarizer.config import Config, ModelSpec, load_config
from summarizer.documents import join_paragraphs, split_paragraphs
from summarizer.engine import Model, load_model
from summarizer.errors import InputError
from summarizer.language import TASK as LANGUAGE_TASK
from summarizer.language import detect_language, detector_identity
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

    def run(self, text: str, *, source_language: str | None = None, name: str = "<text>") -> Result:
        """Translate `text` to English if needed, then summarize it."""
        started = time.perf_counter()
        paragraphs = split_paragraphs(text)
        if not paragraphs:
            raise InputError(f"{name} is empty: there is no text to summarize")
        source_text = join_paragraphs(paragraphs)
        language = (source_language or self._detect_language(source_text)).lower()
        translator = self.config.translator_for(language)

        translation_stats = TranslationStats()
        english = source_text
        if translator is not None:
            model = self.model(translator)

            def report_batch(done: int, total: int) -> None:
                self._progress(f"translated {done}/{total} segments with {translator.name}")

            english_paragraphs, translation_stats = translate_paragraphs(
                paragraphs, language, model, self.cache, on_batch=report_batch
            )
            english = join_paragraphs(english_paragraphs)

        def report_chunks(count: int) -> None:
            self._progress(f"summarizing {count} chunk(s) with {self.summarizer_spec.name}")

        summary = summarize_english(
            english, self.model(self.summarizer_spec), self.cache, on_chunks=report_chunks
        )
        return Result(
            input=name,
            source_language=language,
            translated=translator is not None,
            source_text=source_text,
            translation=english if translator is not None else None,
            summary=summary.text,
            summarized=summary.summarized,
            models={
                "translation": _describe(translator) if translator else None,
                "summarization": _describe(self.summarizer_spec),
            },
            stats={
                "translation": asdict(translation_stats),
                "summarization": asdict(summary.stats),
            },
            seconds=round(time.perf_counter() - started, 3),
        )

    def _detect_language(self, text: str) -> str:
        """Detection is cached like model outputs: loading the detector costs more than a
        whole cached run otherwise would."""
        identity = detector_identity()
        key = make_key(LANGUAGE_TASK, identity, {}, text)
        language = self.cache.get_many([key]).get(key)
        if language is None:
            language = detect_language(text)
            self.cache.put_many(LANGUAGE_TASK, identity, {key: language})
        return language

    def close(self) -> None:
        self.cache.close()


def _describe(spec: ModelSpec) -> dict[str, str | None]:
    return {"name": spec.name, "model": spec.model, "revision": spec.revision}


def summarize_text(
    text: str,
    *,
    config: Config | str | os.PathLike[str] | None = None,
    source_language: str | None = None,
    **options: Any,
) -> Result:
    """Translate and summarize one article given as a string.

    `options` are those of :class:`Summarizer` (cache_dir, use_cache, summarizer, ...).
    """
    summarizer = Summarizer(config, **options)
    try:
        return summarizer.run(text, source_language=source_language)
    finally:
        summarizer.close()
