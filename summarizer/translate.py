"""Translation stage, in one place: each paragraph routed to its translator (or left as it
is), its sentences looked up in the cache, only the misses translated in length-sorted
batches shared by every document of a run, each batch stored as soon as it is done, and
the paragraphs reassembled in their places."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from summarizer.cache import Cache, Lookup
from summarizer.config import ModelSpec
from summarizer.engines import Model, Request
from summarizer.errors import SummarizerError
from summarizer.segment import is_translatable, split_sentences, split_to_fit

TASK = "translation"
# Translations rarely run past twice their source length; a runaway repetition is stopped
# there instead of at the model's 512-token ceiling.
OUTPUT_LENGTH_FACTOR = 2
OUTPUT_LENGTH_SLACK = 16


@dataclass
class TranslationStats:
    # Translatable segments (sentences) in the document.
    segments: int = 0
    # Segments served without a model call (from the cache, or repeated in the document).
    cache_hits: int = 0
    # Distinct segments the model translated.
    cache_misses: int = 0


@dataclass
class Routed:
    """One document's paragraphs, each with its translator and its sentences; `english`
    fills in as the translators finish."""

    paragraphs: list[str]
    # None: the paragraph is already in the target language.
    translators: list[ModelSpec | None]
    # Each paragraph's sentences; empty when it is not translated.
    sentences: list[list[str]]
    english: list[str]
    stats: TranslationStats = field(default_factory=TranslationStats)
    # This document's share of the time of the batches it shared with others.
    seconds: float = 0.0

    @property
    def used(self) -> list[ModelSpec]:
        """The translators of its paragraphs, one entry per translated paragraph."""
        return [spec for spec in self.translators if spec is not None]

    def segments_for(self, translator: ModelSpec) -> list[str]:
        """What `translator` must see of this document, repeats included (for the stats)."""
        return [
            segment
            for spec, sentences in zip(self.translators, self.sentences, strict=True)
            if spec is not None and spec.name == translator.name
            for segment in segments_of(sentences)
        ]


def route(
    paragraphs: Sequence[str],
    languages: Sequence[str],
    translator_for: Callable[[str], ModelSpec | None],
) -> Routed:
    """Each paragraph with the translator for its language (`config.translator_for`).

    Every translator is looked up before any work, so a missing one fails at once."""
    routes = {language: translator_for(language) for language in dict.fromkeys(languages)}
    translators = [routes[language] for language in languages]
    sentences = [
        split_sentences(paragraph, language) if spec else []
        for paragraph, language, spec in zip(paragraphs, languages, translators, strict=True)
    ]
    return Routed(list(paragraphs), translators, sentences, english=list(paragraphs))


def segments_of(sentences: list[str]) -> list[str]:
    """The sentences a model must see; empty and punctuation-only ones pass through."""
    return [sentence for sentence in sentences if is_translatable(sentence)]


def join_translated(sentences: list[str], translations: dict[str, str]) -> str:
    """One paragraph from its sentences' translations; untranslated ones stay as they are."""
    return " ".join(translations.get(sentence, sentence) for sentence in sentences)


def translate_documents(
    documents: list[Routed],
    model_for: Callable[[ModelSpec], Model],
    cache: Cache,
    *,
    on_segments: Callable[[int], None] | None = None,
    on_progress: Callable[[str], None] | None = None,
) -> list[SummarizerError | None]:
    """Fill in every document's `english`, `stats` and `seconds`; each translator serves
    the paragraphs of all documents in shared batches.

    A failure (a model that does not load, say) concerns the documents that translator
    serves: it is returned in their places and the other translators go on.
    """
    failures: list[SummarizerError | None] = [None] * len(documents)
    for translator, members in _group_by_translator(documents):
        try:
            _translate_group(
                translator,
                [documents[index] for index in members],
                functools.partial(model_for, translator),
                cache,
                on_segments or (lambda count: None),
                on_progress or (lambda message: None),
            )
        except SummarizerError as exc:
            for index in members:
                failures[index] = exc
    return failures


def _group_by_translator(documents: list[Routed]) -> list[tuple[ModelSpec, list[int]]]:
    """Each translator in use, with the indexes of the documents it has paragraphs in."""
    groups: dict[str, tuple[ModelSpec, list[int]]] = {}
    for index, document in enumerate(documents):
        for spec in document.used:
            members = groups.setdefault(spec.name, (spec, []))[1]
            if not members or members[-1] != index:
                members.append(index)
    return list(groups.values())


def _translate_group(
    translator: ModelSpec,
    group: list[Routed],
    load: Callable[[], Model],
    cache: Cache,
    on_segments: Callable[[int], None],
    on_progress: Callable[[str], None],
) -> None:
    """The paragraphs one translator serves, for many documents, in shared batches."""
    started = time.perf_counter()
    segments_by_document = [document.segments_for(translator) for document in group]
    segments = [segment for segments_ in segments_by_document for segment in segments_]
    model = load()
    reported = 0

    def report_batch(done: int, total: int) -> None:
        nonlocal reported
        on_segments(done - reported)
        reported = done
        on_progress(f"translated {done}/{total} segments with {translator.name}")

    lookup = translate_segments(segments, model, cache, report_batch)
    on_segments(len(segments) - reported)
    elapsed = time.perf_counter() - started
    computed, claimed = set(lookup.computed), set()
    for document, document_segments in zip(group, segments_by_document, strict=True):
        # A segment several documents share is a miss for the first of them only.
        misses = (set(document_segments) & computed) - claimed
        claimed |= misses
        document.stats.segments += len(document_segments)
        document.stats.cache_misses += len(misses)
        document.stats.cache_hits += len(document_segments) - len(misses)
        for index, spec in enumerate(document.translators):
            if spec is not None and spec.name == translator.name:
                document.english[index] = join_translated(document.sentences[index], lookup.values)
        # The shared batches' time, shared out by each document's number of segments.
        document.seconds += elapsed * len(document_segments) / max(1, len(segments))


def translate_segments(
    segments: list[str],
    model: Model,
    cache: Cache,
    on_batch: Callable[[int, int], None] | None = None,
) -> Lookup:
    """Every segment's translation, and which ones the model translated now.

    Segments may come from many documents: each distinct one is looked up once, and the
    misses share length-sorted batches.
    """
    return cache.get_or_compute(
        TASK,
        lambda: model.identity,
        model.spec.output_settings,
        segments,
        functools.partial(_translate_misses, model=model, on_batch=on_batch),
    )


def _translate_misses(
    misses: list[str],
    model: Model,
    on_batch: Callable[[int, int], None] | None,
) -> Iterator[dict[str, str]]:
    """Yields the segments each batch completes (a long one is done with its last piece)."""
    settings = dict(model.spec.generation)
    limit = model.spec.max_input_tokens

    # Each piece is counted once: to fit it, then to bound its batch's output.
    @functools.cache
    def count_tokens(text: str) -> int:
        return model.count_tokens(model_input(model, text))

    # A segment over the model's input limit is translated in pieces, never truncated.
    pieces_of = {segment: split_to_fit(segment, limit, count_tokens) for segment in misses}
    pieces = sorted({p for parts in pieces_of.values() for p in parts}, key=len)
    batches = plan_batches(pieces, model.spec.batch_size, model.parallel_batches)

    def requests() -> Iterator[Request]:
        for batch in batches:
            inputs = [model_input(model, piece) for piece in batch]
            yield inputs, bounded_settings(settings, max(map(count_tokens, batch)))

    done: dict[str, str] = {}
    finished: set[str] = set()
    for batch, outputs in zip(batches, model.generate_batches(requests()), strict=True):
        done.update(zip(batch, outputs, strict=True))
        complete = {
            segment: " ".join(done[p] for p in parts)
            for segment, parts in pieces_of.items()
            if segment not in finished and all(p in done for p in parts)
        }
        yield complete  # stored before this generator goes on
        finished.update(complete)
        if on_batch:
            on_batch(len(finished), len(misses))


def plan_batches(pieces: list[str], batch_size: int, parallel: int = 1) -> list[list[str]]:
    """Length-sorted pieces cut into batches of at most `batch_size`, of even sizes, their
    number a multiple of `parallel` where there are enough pieces: a model that runs
    batches side by side gets work for every thread, even from a short article."""
    count = -(-len(pieces) // batch_size)
    count = min(len(pieces), -(-count // parallel) * parallel)
    if count == 0:
        return []
    size, extra = divmod(len(pieces), count)
    batches, start = [], 0
    for index in range(count):
        end = start + size + (1 if index < extra else 0)
        batches.append(pieces[start:end])
        start = end
    return batches


def model_input(model: Model, text: str) -> str:
    """What the model receives for `text`: a multi-target model's target token comes first
    (e.g. ">>eng<< ..."), as its model card requires."""
    token = model.spec.target_token
    return f"{token} {text}" if token else text


def bounded_settings(settings: dict[str, Any], longest_input_tokens: int) -> dict[str, Any]:
    """generate() settings with max_new_tokens bounded by the batch's longest input."""
    bound = OUTPUT_LENGTH_FACTOR * longest_input_tokens + OUTPUT_LENGTH_SLACK
    bounded = dict(settings)
    bounded["max_new_tokens"] = min(settings.get("max_new_tokens", bound), bound)
    bounded.pop("max_length", None)
    return bounded
