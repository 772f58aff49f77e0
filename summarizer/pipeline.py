"""One article through every stage: language, translation, summarization.

>>> from summarizer import Summarizer
>>> result = Summarizer().run("Le gouvernement a présenté mardi ...")
>>> print(result.summary)
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from summarizer.cache import SCHEMA_VERSION as CACHE_SCHEMA
from summarizer.cache import Cache, NullCache, make_key
from summarizer.config import Config, ModelSpec, load_config
from summarizer.documents import join_paragraphs, split_paragraphs
from summarizer.engine import Model, load_model
from summarizer.errors import InputError, SummarizerError
from summarizer.language import TASK as LANGUAGE_TASK
from summarizer.language import detect_language, detector_identity
from summarizer.summarize import SummarizationStats
from summarizer.summarize import summarize_text as summarize_english
from summarizer.translate import (
    TranslationStats,
    assemble,
    split_document,
    translatable_segments,
    translate_segments,
)

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
    # None when only a translation was asked for.
    summary: str | None
    # False when the text was shorter than a summary would be and is returned as is.
    summarized: bool
    # {"translation": {...} or None, "summarization": {...} or None}: name, model, revision.
    models: dict[str, dict[str, str | None] | None]
    stats: dict[str, dict[str, int]] = field(default_factory=dict)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Article:
    """One input text and the name it is reported under (a path, "-", "<text>")."""

    name: str
    text: str


@dataclass
class _Prepared:
    """An article split and routed, waiting for its translation."""

    name: str
    source_text: str
    paragraphs: list[str]
    language: str
    translator: ModelSpec | None
    sentences: list[list[str]]
    segments: list[str]
    seconds: float
    english: str = ""
    translation_stats: TranslationStats = field(default_factory=TranslationStats)


class Summarizer:
    """Translates and summarizes articles; keeps models loaded between calls."""

    def __init__(
        self,
        config: Config | str | os.PathLike[str] | None = None,
        *,
        cache_dir: str | os.PathLike[str] | None = None,
        use_cache: bool = True,
        summarizer: str | None = None,
        engine: str | None = None,
        model_loader: ModelLoader | None = None,
        on_progress: Callable[[str], None] | None = None,
        on_segments: Callable[[int], None] | None = None,
    ) -> None:
        """`config`: a Config or a models.toml path (default: the usual lookup).
        `summarizer`: a [models.*] name overriding [pipeline] summarizer.
        `engine`: "torch" or "ctranslate2", overriding every model's engine.
        `model_loader`: makes the models (default: engine.load_model, keeping converted
        models under `cache_dir`, even with use_cache=False).
        `on_progress`: called with one-line messages about long steps.
        `on_segments`: called with the number of segments each time some are translated."""
        config = config if isinstance(config, Config) else load_config(config)
        self.config = config.with_engine(engine)
        self.summarizer_spec = self.config.summarizer_model(summarizer)
        self.cache = Cache(Path(cache_dir) if cache_dir else None) if use_cache else NullCache()
        self._model_loader = model_loader or functools.partial(
            load_model, cache_dir=cache_dir or None, threads=self.config.threads
        )
        self._models: dict[str, Model] = {}
        self._progress = on_progress or (lambda message: None)
        self._on_segments = on_segments or (lambda count: None)

    def model(self, spec: ModelSpec) -> Model:
        if spec.name not in self._models:
            self._models[spec.name] = self._model_loader(spec, self._progress)
        return self._models[spec.name]

    def run(
        self,
        text: str,
        *,
        source_language: str | None = None,
        name: str = "<text>",
        summarize: bool = True,
    ) -> Result:
        """Translate `text` to English if needed, then (unless `summarize` is false)
        summarize it."""
        (outcome,) = self.run_batch(
            [Article(name, text)], source_language=source_language, summarize=summarize
        )
        if isinstance(outcome, SummarizerError):
            raise outcome
        return outcome

    def run_batch(
        self,
        articles: list[Article],
        *,
        source_language: str | None = None,
        summarize: bool = True,
    ) -> list[Result | SummarizerError]:
        """Many articles at once: their sentences share translation batches.

        A failure that concerns one article (or the articles one model serves) is returned
        in its place; the others complete.
        """
        outcomes: list[_Prepared | SummarizerError] = []
        for article in articles:
            try:
                outcomes.append(self._prepare(article, source_language))
            except SummarizerError as exc:
                outcomes.append(exc)
        prepared = [item for item in outcomes if isinstance(item, _Prepared)]
        failures: dict[int, SummarizerError] = {}
        for translator, group in _group_by_translator(prepared):
            try:
                self._translate_group(translator, group)
            except SummarizerError as exc:
                failures.update((id(item), exc) for item in group)

        results: list[Result | SummarizerError] = []
        for item in outcomes:
            if isinstance(item, SummarizerError):
                results.append(item)
            elif id(item) in failures:
                results.append(failures[id(item)])
            else:
                try:
                    results.append(self._finish(item, summarize))
                except SummarizerError as exc:
                    results.append(exc)
        return results

    def _prepare(self, article: Article, source_language: str | None) -> _Prepared:
        started = time.perf_counter()
        paragraphs = split_paragraphs(article.text)
        if not paragraphs:
            raise InputError(f"{article.name} is empty: there is no text to summarize")
        source_text = join_paragraphs(paragraphs)
        language = (source_language or self._detect_language(source_text)).lower()
        translator = self.config.translator_for(language)
        sentences = split_document(paragraphs, language) if translator else []
        return _Prepared(
            name=article.name,
            source_text=source_text,
            paragraphs=paragraphs,
            language=language,
            translator=translator,
            sentences=sentences,
            segments=translatable_segments(sentences),
            seconds=time.perf_counter() - started,
            english=source_text,
        )

    def _translate_group(self, translator: ModelSpec, group: list[_Prepared]) -> None:
        """Translate the articles one translator serves, in shared batches."""
        started = time.perf_counter()
        segments = [segment for item in group for segment in item.segments]
        model = self.model(translator)
        reported = 0

        def report_batch(done: int, total: int) -> None:
            nonlocal reported
            self._on_segments(done - reported)
            reported = done
            self._progress(f"translated {done}/{total} segments with {translator.name}")

        translations, computed = translate_segments(segments, model, self.cache, report_batch)
        self._on_segments(len(segments) - reported)
        elapsed = time.perf_counter() - started
        claimed: set[str] = set()
        for item in group:
            distinct = set(item.segments)
            misses = (distinct & computed) - claimed
            claimed |= misses
            item.translation_stats = TranslationStats(
                segments=len(item.segments),
                cache_hits=len(item.segments) - len(misses),
                cache_misses=len(misses),
            )
            item.english = join_paragraphs(assemble(item.sentences, translations))
            # The shared batches' time, shared out by each article's number of segments.
            item.seconds += elapsed * len(item.segments) / max(1, len(segments))

    def _finish(self, item: _Prepared, summarize: bool) -> Result:
        started = time.perf_counter()
        summary = None
        if summarize:

            def report_chunks(count: int) -> None:
                self._progress(f"summarizing {count} chunk(s) with {self.summarizer_spec.name}")

            summary = summarize_english(
                item.english, self.model(self.summarizer_spec), self.cache, report_chunks
            )
        translated = item.translator is not None
        return Result(
            input=item.name,
            source_language=item.language,
            translated=translated,
            source_text=item.source_text,
            translation=item.english if translated else None,
            summary=summary.text if summary else None,
            summarized=summary.summarized if summary else False,
            models={
                "translation": _describe(item.translator) if item.translator else None,
                "summarization": _describe(self.summarizer_spec) if summary else None,
            },
            stats={
                "translation": asdict(item.translation_stats),
                "summarization": asdict(summary.stats if summary else SummarizationStats()),
            },
            seconds=round(item.seconds + time.perf_counter() - started, 3),
        )

    def fingerprint(self, *, summarize: bool, extra: str = "") -> str:
        """Identifies every model and setting that could shape an output of this run."""
        specs = [self.config.models[name] for name in sorted(set(self.config.translators.values()))]
        if summarize:
            specs.append(self.summarizer_spec)
        material = [CACHE_SCHEMA, self.config.target_language, summarize, extra]
        for spec in specs:
            identity = self.model(spec).identity
            material.append([spec.name, identity, sorted(spec.output_settings.items())])
        material.append(detector_identity())
        return hashlib.sha256(json.dumps(material).encode()).hexdigest()

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


def _group_by_translator(items: list[_Prepared]) -> list[tuple[ModelSpec, list[_Prepared]]]:
    groups: dict[str, tuple[ModelSpec, list[_Prepared]]] = {}
    for item in items:
        if item.translator is not None:
            groups.setdefault(item.translator.name, (item.translator, []))[1].append(item)
    return list(groups.values())


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
