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
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from summarizer.cache import SCHEMA_VERSION as CACHE_SCHEMA
from summarizer.cache import Cache, NullCache, make_key
from summarizer.config import Config, ModelSpec, load_config
from summarizer.documents import Document, join_paragraphs, parse_text
from summarizer.engine import Model, load_model
from summarizer.errors import SummarizerError
from summarizer.language import TASK as LANGUAGE_TASK
from summarizer.language import (
    Detection,
    detect_languages,
    detector_identity,
    paragraph_languages,
)
from summarizer.options import RunOptions
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
    # The language of each paragraph of source_text (a quote may differ from the article).
    paragraph_languages: list[str]
    # Lines removed from the input as scraping debris (paywall notices, "Back to top", ...).
    removed: list[str]
    # True when a notice said the article was cut short by a paywall.
    paywalled: bool
    # {"translation": {...} or None, "summarization": {...} or None}: name, model, revision.
    models: dict[str, dict[str, str | None] | None]
    stats: dict[str, dict[str, int]] = field(default_factory=dict)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Article:
    """One input and the name it is reported under (a path, "-", "<text>").

    `text` is a string (plain text or HTML, cleaned by the pipeline) or a Document already
    read from a file."""

    name: str
    text: str | Document


@dataclass
class _Prepared:
    """An article read, split and routed, waiting for its translations."""

    name: str
    document: Document
    language: str
    # Per paragraph: its language, its translator (None: already in the target language)
    # and its sentences (empty when it is not translated).
    languages: list[str]
    translators: list[ModelSpec | None]
    sentences: list[list[str]]
    english: list[str]
    seconds: float
    translation_stats: TranslationStats = field(default_factory=TranslationStats)

    def segments_for(self, translator: ModelSpec) -> list[str]:
        return [
            segment
            for spec, sentences in zip(self.translators, self.sentences, strict=True)
            if spec is not None and spec.name == translator.name
            for segment in translatable_segments([sentences])
        ]


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
        on_warning: Callable[[str], None] | None = None,
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
        # TEMPORARY (i10-cli adapter, dropped at merge): on_warning reaches the cache.
        self.cache = (
            Cache(Path(cache_dir) if cache_dir else None, on_warning=on_warning)
            if use_cache
            else NullCache()
        )
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
        text: str | Document,
        options: RunOptions | None = None,
        *,
        source_language: str | None = None,
        name: str = "<text>",
        summarize: bool = True,
        keep_boilerplate: bool = False,
    ) -> Result:
        """Translate an article (a string, plain text or HTML, or a Document) to English if
        needed, then (unless `summarize` is false) summarize it. `source_language` skips
        detection; `keep_boilerplate` keeps lines that look like scraping debris."""
        if options is not None:  # TEMPORARY (i10-cli adapter, dropped at merge)
            source_language = options.source_language
            summarize = options.summarize
            keep_boilerplate = options.keep_boilerplate
        (outcome,) = self.run_batch(
            [Article(name, text)],
            source_language=source_language,
            summarize=summarize,
            keep_boilerplate=keep_boilerplate,
        )
        if isinstance(outcome, SummarizerError):
            raise outcome
        return outcome

    def run_batch(
        self,
        articles: list[Article],
        options: RunOptions | None = None,
        *,
        source_language: str | None = None,
        summarize: bool = True,
        keep_boilerplate: bool = False,
    ) -> list[Result | SummarizerError]:
        """Many articles at once: their sentences share translation batches.

        A failure that concerns one article (or the articles one model serves) is returned
        in its place; the others complete.
        """
        if options is not None:  # TEMPORARY (i10-cli adapter, dropped at merge)
            source_language = options.source_language
            summarize = options.summarize
            keep_boilerplate = options.keep_boilerplate
        outcomes: list[_Prepared | SummarizerError] = []
        for article in articles:
            try:
                outcomes.append(self._prepare(article, source_language, keep_boilerplate))
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

    def _prepare(
        self, article: Article, source_language: str | None, keep_boilerplate: bool
    ) -> _Prepared:
        started = time.perf_counter()
        if isinstance(article.text, Document):
            document = article.text
        else:
            document = parse_text(
                article.text,
                keep_boilerplate=keep_boilerplate,
                name=article.name,
                max_bytes=self.config.max_input_bytes,
            )
        paragraphs = document.paragraphs
        if source_language:
            language = source_language.lower()
            languages = [language] * len(paragraphs)
        else:
            language = self._detect([document.text])[0][0]
            languages = paragraph_languages(
                paragraphs, language, self._detect, supported=self.config.serves
            )
        # Every translator is looked up before any work, so a missing one fails at once.
        routes = {lang: self.config.translator_for(lang) for lang in dict.fromkeys(languages)}
        translators = [routes[lang] for lang in languages]
        sentences = [
            split_document([paragraph], lang)[0] if spec else []
            for paragraph, lang, spec in zip(paragraphs, languages, translators, strict=True)
        ]
        return _Prepared(
            name=article.name,
            document=document,
            language=language,
            languages=languages,
            translators=translators,
            sentences=sentences,
            english=list(paragraphs),
            seconds=time.perf_counter() - started,
        )

    def _translate_group(self, translator: ModelSpec, group: list[_Prepared]) -> None:
        """Translate the paragraphs one translator serves, for many articles, in shared
        batches."""
        started = time.perf_counter()
        segments_of = [item.segments_for(translator) for item in group]
        segments = [segment for item_segments in segments_of for segment in item_segments]
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
        for item, item_segments in zip(group, segments_of, strict=True):
            misses = (set(item_segments) & computed) - claimed
            claimed |= misses
            stats = item.translation_stats
            stats.segments += len(item_segments)
            stats.cache_misses += len(misses)
            stats.cache_hits += len(item_segments) - len(misses)
            for index, spec in enumerate(item.translators):
                if spec is not None and spec.name == translator.name:
                    item.english[index] = assemble([item.sentences[index]], translations)[0]
            # The shared batches' time, shared out by each article's number of segments.
            item.seconds += elapsed * len(item_segments) / max(1, len(segments))

    def _finish(self, item: _Prepared, summarize: bool) -> Result:
        started = time.perf_counter()
        summary = None
        english = join_paragraphs(item.english)
        if summarize:

            def report_chunks(count: int) -> None:
                self._progress(f"summarizing {count} chunk(s) with {self.summarizer_spec.name}")

            summary = summarize_english(
                english, self.model(self.summarizer_spec), self.cache, report_chunks
            )
        used = [spec for spec in item.translators if spec is not None]
        # The article's own language names the translator; another one only serves quotes.
        main = self.config.translator_for(item.language) or (used[0] if used else None)
        return Result(
            input=item.name,
            source_language=item.language,
            translated=bool(used),
            source_text=item.document.text,
            translation=english if used else None,
            summary=summary.text if summary else None,
            summarized=summary.summarized if summary else False,
            paragraph_languages=item.languages,
            removed=list(item.document.removed),
            paywalled=item.document.paywalled,
            models={
                "translation": _describe(main) if main else None,
                "summarization": _describe(self.summarizer_spec) if summary else None,
            },
            stats={
                "translation": asdict(item.translation_stats),
                "summarization": asdict(summary.stats if summary else SummarizationStats()),
            },
            seconds=round(item.seconds + time.perf_counter() - started, 3),
        )

    def fingerprint(
        self, options: RunOptions | None = None, *, summarize: bool = True, extra: str = ""
    ) -> str:
        """Identifies every model and setting that could shape an output of this run."""
        if options is not None:  # TEMPORARY (i10-cli adapter, dropped at merge)
            summarize = options.summarize
            extra = json.dumps(options.fingerprint_material(), sort_keys=True)
        specs = [self.config.models[name] for name in sorted(set(self.config.translators.values()))]
        if summarize:
            specs.append(self.summarizer_spec)
        material = [CACHE_SCHEMA, self.config.target_language, summarize, extra]
        for spec in specs:
            identity = self.model(spec).identity
            material.append([spec.name, identity, sorted(spec.output_settings.items())])
        material.append(detector_identity())
        return hashlib.sha256(json.dumps(material).encode()).hexdigest()

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


def _group_by_translator(items: list[_Prepared]) -> list[tuple[ModelSpec, list[_Prepared]]]:
    """Each translator in use, with the articles that have paragraphs for it."""
    groups: dict[str, tuple[ModelSpec, list[_Prepared]]] = {}
    for item in items:
        for spec in item.translators:
            if spec is not None:
                members = groups.setdefault(spec.name, (spec, []))[1]
                if not members or members[-1] is not item:
                    members.append(item)
    return list(groups.values())


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
