"""One article through every stage: language, translation, summarization.

>>> from summarizer import Summarizer
>>> result = Summarizer().run("Le gouvernement a présenté mardi ...")
>>> print(result.summary)
"""

from __future__ import annotations

import functools
import os
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from summarizer.articles import Article, as_article, read_article
from summarizer.cache import Cache, NullCache
from summarizer.config import Config, ModelSpec, load_config
from summarizer.documents import Document, join_paragraphs
from summarizer.engines import Model, ensure_all_present, load_model, thread_count
from summarizer.errors import CacheWarning, InputError, SummarizerError
from summarizer.fingerprint import run_fingerprint
from summarizer.language import (
    DOCUMENT_SAMPLE,
    UNSURE,
    Detector,
    cached_detector,
    detect_languages,
    paragraph_languages,
)
from summarizer.options import RunOptions
from summarizer.prompts import SHORT_SOURCE_CHARACTERS, reads_source
from summarizer.result import Result, checks_of, describe, sentence_pairs
from summarizer.review import Flag, review_documents
from summarizer.summarize import SummarizationStats, Summary, summarize_texts
from summarizer.translate import Routed, route, translate_documents

ModelLoader = Callable[[ModelSpec, Callable[[str], None]], Model]


@dataclass
class _Prepared:
    """An article read and routed, waiting for its translations."""

    name: str
    document: Document
    language: str
    # The language of each paragraph.
    languages: list[str]
    routed: Routed
    # The title, routed like a paragraph of its own; None when there is none.
    title: Routed | None
    seconds: float
    # Summarized from the article's own language (summarize_from = "source").
    from_source: bool = False


class Summarizer:
    """Translates and summarizes articles; keeps models loaded between calls."""

    def __init__(
        self,
        config: Config | str | os.PathLike[str] | None = None,
        *,
        cache_dir: str | os.PathLike[str] | None = None,
        use_cache: bool = True,
        summarizer: str | None = None,
        translator: str | None = None,
        engine: str | None = None,
        model_loader: ModelLoader | None = None,
        on_progress: Callable[[str], None] | None = None,
        on_segments: Callable[[int], None] | None = None,
        on_warning: Callable[[CacheWarning | str], None] | None = None,
        detector: Detector | None = None,
    ) -> None:
        """`config`: a Config or a models.toml path (default: the usual lookup).
        `summarizer`: a [models.*] name overriding [pipeline] summarizer.
        `translator`: a [models.*] name serving every language it reads, instead of
        [pipeline.translators] (see Config.with_translator).
        `engine`: "torch" or "ctranslate2", overriding every model's engine.
        `model_loader`: makes the models (default: engine.load_model, keeping converted
        models under `cache_dir`, even with use_cache=False).
        `on_progress`: called with one-line messages about long steps.
        `on_segments`: called with the number of segments each time some are translated.
        `on_warning`: called with each problem the run goes on despite: a cache problem as
        a CacheWarning (str() is one line; `kind` says what happened), a setting lowered to
        a sane value as a line of text (default: warnings.warn).
        `detector`: texts -> [(language, confidence)] (default: language.detect_languages);
        its answers are cached under the shipped detector's identity."""
        config = config if isinstance(config, Config) else load_config(config)
        self.config = config.with_engine(engine).with_translator(translator)
        self.summarizer_spec = self.config.summarizer_model(summarizer)
        warn = on_warning or _python_warning
        # The languages the summarizer reads articles in (summarize_from = "source").
        self._reads_source = reads_source(self.config, self.summarizer_spec, warn)
        self.cache = (
            Cache(Path(cache_dir) if cache_dir else None, on_warning=on_warning)
            if use_cache
            else NullCache()
        )
        # Resolved (and a bad value refused) now, before any model loads.
        threads = thread_count(self.config.threads, warn)
        # The engines' models must be on disk; a test's own loader makes what it likes.
        self._check_presence = model_loader is None
        self._model_loader = model_loader or functools.partial(
            load_model, cache_dir=cache_dir or None, threads=threads, on_warning=warn
        )
        self._models: dict[str, Model] = {}
        self._progress = on_progress or (lambda message: None)
        self._on_segments = on_segments or (lambda count: None)
        self._detect = cached_detector(detector or detect_languages, self.cache)
        self._custom_detector = detector is not None
        self._cache_dir, self._use_cache = cache_dir, use_cache

    def model(self, spec: ModelSpec) -> Model:
        if spec.name not in self._models:
            self._models[spec.name] = self._model_loader(spec, self._progress)
        return self._models[spec.name]

    def run(
        self,
        text: str | bytes | os.PathLike[str] | Document,
        options: RunOptions | None = None,
        *,
        name: str | None = None,
    ) -> Result:
        """Translate an article to English if needed, then summarize it, as `options` say.

        `text`: a string (plain text or HTML; one that is only an http(s) URL is fetched),
        a path, bytes (with `name`, a file name whose suffix says .pdf, .docx or .html when
        the bytes do not), or a Document. `name` is what messages and the result call it
        (default: the path or URL, else "<text>")."""
        article = as_article(text) if name is None else Article(name, text)
        (outcome,) = self.run_batch([article], options)
        if isinstance(outcome, SummarizerError):
            raise outcome
        return outcome

    def run_batch(
        self,
        articles: Sequence[Article | str | bytes | os.PathLike[str] | Document],
        options: RunOptions | None = None,
    ) -> list[Result | SummarizerError]:
        """Many articles at once: their sentences share translation batches, and their
        chunks summarizer batches. Each is an Article (a name and what `run` takes) or what
        `run` takes, named as `run` names it.

        A failure that concerns one article (or the articles one model serves) is returned
        in its place; the others complete.
        """
        options = options or RunOptions()
        outcomes: list[_Prepared | SummarizerError] = []
        for article in map(as_article, articles):
            try:
                outcomes.append(self._prepare(article, options))
            except SummarizerError as exc:
                outcomes.append(exc)
        prepared = [item for item in outcomes if isinstance(item, _Prepared)]
        for item in prepared:
            item.from_source = self._summarizes_source(item, options)
        translated = [item for item in prepared if options.translation or not item.from_source]
        self._ensure_present(translated, options.summarize and bool(prepared))
        failed, flags_of = self._translate(translated, options)
        flags_of.update((id(item), []) for item in prepared if id(item) not in flags_of)
        summaries = self._summarize([item for item in prepared if id(item) not in failed], options)
        failed.update((key, s) for key, s in summaries.items() if isinstance(s, SummarizerError))
        results: list[Result | SummarizerError] = []
        for item in outcomes:
            if isinstance(item, SummarizerError):
                results.append(item)
            elif id(item) in failed:
                results.append(failed[id(item)])
            else:
                summary = summaries.get(id(item))
                try:
                    results.append(self._finish(item, options, flags_of[id(item)], summary))
                except SummarizerError as exc:
                    results.append(exc)
        return results

    def _translate(
        self, prepared: list[_Prepared], options: RunOptions
    ) -> tuple[dict[int, SummarizerError], dict[int, list[Flag]]]:
        """The articles and their titles translated in shared batches, and reviewed with
        checks on: each article's failure (when it failed) and its flags, by id."""
        titles = [item.title for item in prepared if item.title is not None]
        failures = translate_documents(
            [item.routed for item in prepared] + titles,
            self.model,
            self.cache,
            on_segments=self._on_segments,
            on_progress=self._progress,
        )
        flags: list[list[Flag]] = [[] for _ in prepared]
        if options.checks:
            flags = review_documents(
                [item.routed for item in prepared],
                self.model,
                self.cache,
                self._detect,
                self.config.target_language,
                failures,
            )
        own = failures[: len(prepared)]  # the titles' come after
        failed = {id(item): exc for item, exc in zip(prepared, own, strict=True) if exc}
        return failed, {id(item): found for item, found in zip(prepared, flags, strict=True)}

    def _summarize(
        self, items: list[_Prepared], options: RunOptions
    ) -> dict[int, Summary | SummarizerError]:
        """Each article's summary, or the error met in its place, by id; the articles'
        chunks share batches, and the time it takes is shared out by their chunks."""
        if not options.summarize or not items:
            return {}
        started = time.perf_counter()

        def report_chunks(count: int) -> None:
            self._progress(f"summarizing {count} chunk(s) with {self.summarizer_spec.name}")

        try:
            model = self.model(self.summarizer_spec)
        except SummarizerError as exc:
            return {id(item): exc for item in items}
        texts = [
            join_paragraphs(item.routed.paragraphs if item.from_source else item.routed.english)
            for item in items
        ]
        summaries = summarize_texts(
            texts, model, self.cache, report_chunks, check=options.checks, length=options.length
        )
        elapsed = time.perf_counter() - started
        chunks = [s.stats.chunks if isinstance(s, Summary) else 0 for s in summaries]
        for item, count in zip(items, chunks, strict=True):
            item.seconds += elapsed * count / max(1, sum(chunks))
        return {id(item): summary for item, summary in zip(items, summaries, strict=True)}

    def _summarizes_source(self, item: _Prepared, options: RunOptions) -> bool:
        """True when the summarizer reads the article as it is (see reads_source), and it
        is long enough to need a summary: a shorter one's summary is its translation."""
        return (
            options.summarize
            and item.language in self._reads_source
            and _long_enough_to_read(item.document)
        )

    def _translator_for(
        self, document: Document, options: RunOptions
    ) -> Callable[[str], ModelSpec | None]:
        """config.translator_for; but when only a summary is wanted (no translation), a
        language the summarizer reads itself needs no translator (unless the article is
        too short to summarize: its summary is then its translation)."""
        wanted = options.summarize and not options.translation
        skipped = self._reads_source if wanted and _long_enough_to_read(document) else set()

        def translator_for(language: str) -> ModelSpec | None:
            if language in skipped and not self.config.serves(language):
                return None
            return self.config.translator_for(language)

        return translator_for

    def _ensure_present(self, translated: list[_Prepared], summarize: bool) -> None:
        """Every model these articles need on disk before any loads (the translators of
        those `translated`, the summarizer if they `summarize`): one ModelError naming all
        that are missing (offline, or the hub unreachable), not one per model as each is
        loaded."""
        if not self._check_presence:
            return
        needed = [spec for item in translated for spec in item.routed.used]
        if summarize:
            needed.append(self.summarizer_spec)
        ensure_all_present(needed, self._progress)

    def _prepare(self, article: Article, options: RunOptions) -> _Prepared:
        """Read, detect each paragraph's language, route each paragraph to its translator."""
        started = time.perf_counter()
        document = read_article(article, self.config, options)
        paragraphs = document.paragraphs
        if options.source_language:
            language = options.source_language
            languages = [language] * len(paragraphs)
        else:
            language, sure = self._detect([document.text[:DOCUMENT_SAMPLE]])[0]
            if sure < UNSURE and not self.config.serves(language):
                raise InputError(
                    f"cannot tell the language of {{path}}: the detector's best guess, "
                    f"{language!r}, is {sure:.0%} sure",
                    path=article.name,
                    hint="name the article's language instead of detecting it",
                )
            languages = paragraph_languages(
                paragraphs, language, self._detect, supported=self.config.serves
            )
        translator_for = self._translator_for(document, options)
        routed = route(paragraphs, languages, translator_for)
        title = document.title
        # A title is too short to detect its language: it is in the article's.
        routed_title = route([title], [language], translator_for) if title else None
        seconds = time.perf_counter() - started
        return _Prepared(article.name, document, language, languages, routed, routed_title, seconds)

    def _finish(
        self, item: _Prepared, options: RunOptions, flags: list[Flag], summary: Summary | None
    ) -> Result:
        started = time.perf_counter()
        english = join_paragraphs(item.routed.english)
        # An article summarized from its own language is translated only when asked to be.
        skipped = item.from_source and not options.translation
        used = [] if skipped else item.routed.used
        # The article's own language names the translator; another one only serves quotes.
        own = self.config.serves(item.language)  # else it was read, not translated
        main = ((own and self.config.translator_for(item.language)) or used[0]) if used else None
        return Result(
            input=item.name,
            source_language=item.language,
            translated=bool(used),
            metadata=item.document.metadata,
            title_translation=(
                item.title.english[0] if item.title and item.title.used and not skipped else None
            ),
            source_text=item.document.text,
            translation=english if used else None,
            summary=summary.text if summary else None,
            summarized=summary.summarized if summary else False,
            summary_from=("source" if item.from_source else "translation") if summary else None,
            paragraph_languages=item.languages,
            sentences=sentence_pairs(item.routed),
            removed=list(item.document.removed),
            paywalled=item.document.paywalled,
            models={
                "translation": describe(main) if main else None,
                "summarization": describe(self.summarizer_spec) if summary else None,
            },
            checks=checks_of(flags, summary) if options.checks else None,
            stats={
                "translation": asdict(item.routed.stats),
                "summarization": asdict(summary.stats if summary else SummarizationStats()),
            },
            seconds=round(item.seconds + item.routed.seconds + time.perf_counter() - started, 3),
        )

    def fingerprint(self, options: RunOptions) -> str:
        """Identifies every model, setting and option that could shape an output of a run."""
        return run_fingerprint(self.config, self.summarizer_spec, self.model, options)

    def replica_arguments(self, threads: int | None = None) -> dict[str, Any]:
        """What builds the same Summarizer in another process (a cluster's worker): the
        same config, models and cache folder, where none was named here that machine's
        default; with `threads` per model instead of the config's. A model_loader or
        detector of the caller's own does not travel: refused."""
        if not self._check_presence or self._custom_detector:
            raise ValueError("a Summarizer with its own model_loader or detector cannot be copied")
        config = self.config if threads is None else replace(self.config, threads=threads)
        return {
            "config": config,
            "cache_dir": self._cache_dir,
            "use_cache": self._use_cache,
            "summarizer": self.summarizer_spec.name,
        }

    def close(self) -> None:
        self.cache.close()


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
            text, RunOptions(source_language=source_language, keep_boilerplate=keep_boilerplate)
        )
    finally:
        summarizer.close()


def _long_enough_to_read(document: Document) -> bool:
    """An article a chat summarizer may read in its own language: a shorter one may be its
    own summary, which must be in English, so it goes through translation."""
    return len(document.text) > SHORT_SOURCE_CHARACTERS


def _python_warning(message: CacheWarning | str) -> None:
    warnings.warn(message, UserWarning, stacklevel=3)
