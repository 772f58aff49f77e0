"""Translation stage, in one place: each paragraph routed to its translator (or left as it
is), its sentences looked up in the cache, only the misses translated in length-sorted
batches shared by every document of a run, each batch stored as soon as it is done, and
the paragraphs reassembled in their places. Each translation depends on its sentence alone:
its output bound comes from its own length, and only sentences with the same bound share a
batch."""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from summarizer.batching import bounded_settings, plan_batches
from summarizer.cache import Cache, Lookup
from summarizer.config import ModelSpec
from summarizer.engines import Generation, Model, model_kind, source_code, target_token
from summarizer.errors import SummarizerError
from summarizer.segment import is_translatable, split_sentences, split_to_fit

TASK = "translation"


@dataclass
class TranslationStats:
    # Translatable segments (sentences) in the document.
    segments: int = 0
    # Segments served without a model call (from the cache, or repeated in the document).
    cache_hits: int = 0
    # Distinct segments the model translated.
    cache_misses: int = 0
    # Segments translated a second time, with safer settings, because a check failed.
    retried: int = 0
    # The mean of its segments' confidences (mean token log-probability; None: no segment).
    confidence: float | None = None


@dataclass(frozen=True)
class Translation:
    """One segment's translation and the model's confidence in it (see engines.Generation);
    kept in the cache as a JSON record."""

    text: str
    confidence: float | None

    def encode(self) -> str:
        return json.dumps({"text": self.text, "confidence": self.confidence}, ensure_ascii=False)

    @classmethod
    def decode(cls, value: str) -> Translation:
        record = json.loads(value)
        return cls(record["text"], record["confidence"])


def join_pieces(values: list[str]) -> str:
    """A long segment's translation from its pieces': the texts joined, and the confidence of
    the least sure piece, since a segment is as doubtful as its worst part."""
    pieces = [Translation.decode(value) for value in values]
    scores = [piece.confidence for piece in pieces if piece.confidence is not None]
    text = " ".join(piece.text for piece in pieces)
    return Translation(text, min(scores) if scores else None).encode()


# A segment with the language of its paragraph.
SegmentKey = tuple[str, str]


@dataclass
class Routed:
    """One document's paragraphs, each with its translator and its sentences; `english`
    fills in as the translators finish."""

    paragraphs: list[str]
    # Each paragraph's language.
    languages: list[str]
    # None: the paragraph is already in the target language.
    translators: list[ModelSpec | None]
    # Each paragraph's sentences; empty when it is not translated.
    sentences: list[list[str]]
    english: list[str]
    # Each translated segment's translation, by (its paragraph's language, segment): a
    # sentence written alike in two languages is two inputs to a many-to-many model.
    translations: dict[SegmentKey, Translation] = field(default_factory=dict)
    stats: TranslationStats = field(default_factory=TranslationStats)
    # This document's share of the time of the batches it shared with others.
    seconds: float = 0.0

    @property
    def used(self) -> list[ModelSpec]:
        """The translators of its paragraphs, one entry per translated paragraph."""
        return [spec for spec in self.translators if spec is not None]

    def served_by(self, translator: ModelSpec) -> list[int]:
        """The indexes of the paragraphs `translator` serves."""
        return [
            index
            for index, spec in enumerate(self.translators)
            if spec is not None and spec.name == translator.name
        ]

    def inputs_for(self, translator: ModelSpec, tag: SourceTag) -> list[tuple[SegmentKey, str]]:
        """Each segment `translator` must see of this document, repeats included (for the
        stats), with what the translator receives for it (see source_tag)."""
        return [
            ((self.languages[index], segment), tag(self.languages[index], segment))
            for index in self.served_by(translator)
            for segment in segments_of(self.sentences[index])
        ]


# (language, segment) -> what a translator receives for the segment.
SourceTag = Callable[[str, str], str]


def source_tag(translator: ModelSpec) -> SourceTag:
    """A many-to-many translator is told each segment's language: its input starts with its
    code for the language ("fra_Latn Le conseil ..."), so that one batch can mix languages
    and cache keys tell them apart. Other translators receive the segment as it is."""
    if model_kind(translator) != "many-to-many":
        return lambda language, segment: segment
    codes: dict[str, str] = {}

    def tag(language: str, segment: str) -> str:
        if language not in codes:
            codes[language] = source_code(translator, language)
        return f"{codes[language]} {segment}"

    return tag


def route(
    paragraphs: Sequence[str],
    languages: Sequence[str],
    translator_for: Callable[[str], ModelSpec | None],
) -> Routed:
    """Each paragraph with the translator for its language (`config.translator_for`).

    Every translator is looked up before any work, and a many-to-many one's code for the
    language, so that a missing one fails this document at once, and it alone."""
    routes = {language: translator_for(language) for language in dict.fromkeys(languages)}
    for language, spec in routes.items():
        if spec is not None and model_kind(spec) == "many-to-many":
            source_code(spec, language)
    translators = [routes[language] for language in languages]
    sentences = [
        split_sentences(paragraph, language) if spec else []
        for paragraph, language, spec in zip(paragraphs, languages, translators, strict=True)
    ]
    return Routed(
        list(paragraphs), list(languages), translators, sentences, english=list(paragraphs)
    )


def segments_of(sentences: list[str]) -> list[str]:
    """The sentences a model must see; empty and punctuation-only ones pass through."""
    return [sentence for sentence in sentences if is_translatable(sentence)]


def join_translated(
    sentences: list[str], language: str, translations: dict[SegmentKey, Translation]
) -> str:
    """One paragraph in `language` from its sentences' translations; untranslated ones stay
    as they are."""
    return " ".join(
        translations[(language, sentence)].text
        if (language, sentence) in translations
        else sentence
        for sentence in sentences
    )


def rejoin(document: Routed, translator: ModelSpec) -> None:
    """The paragraphs `translator` serves again from the document's `translations`, and the
    mean confidence of the segments translated so far."""
    for index in document.served_by(translator):
        document.english[index] = join_translated(
            document.sentences[index], document.languages[index], document.translations
        )
    scores = [t.confidence for t in document.translations.values() if t.confidence is not None]
    document.stats.confidence = round(sum(scores) / len(scores), 4) if scores else None


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
    for translator, members in group_by_translator(documents):
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


def group_by_translator(documents: list[Routed]) -> list[tuple[ModelSpec, list[int]]]:
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
    tag = source_tag(translator)
    pairs_by_document = [document.inputs_for(translator, tag) for document in group]
    segments = [tagged for pairs in pairs_by_document for _segment, tagged in pairs]
    model = load()
    reported = 0

    def report_batch(done: int, total: int) -> None:
        nonlocal reported
        on_segments(done - reported)
        reported = done
        on_progress(f"translated {done}/{total} segments with {translator.name}")

    translated, computed = translate_segments(segments, model, cache, report_batch)
    on_segments(len(segments) - reported)
    elapsed = time.perf_counter() - started
    claimed: set[str] = set()
    for document, pairs in zip(group, pairs_by_document, strict=True):
        document_segments = [tagged for _segment, tagged in pairs]
        # A segment several documents share is a miss for the first of them only.
        misses = (set(document_segments) & computed) - claimed
        claimed |= misses
        document.stats.segments += len(document_segments)
        document.stats.cache_misses += len(misses)
        document.stats.cache_hits += len(document_segments) - len(misses)
        document.translations.update((key, translated[tagged]) for key, tagged in pairs)
        rejoin(document, translator)
        # The shared batches' time, shared out by each document's number of segments.
        document.seconds += elapsed * len(document_segments) / max(1, len(segments))


def translate_segments(
    segments: list[str],
    model: Model,
    cache: Cache,
    on_batch: Callable[[int, int], None] | None = None,
    *,
    generation: dict[str, Any] | None = None,
) -> tuple[dict[str, Translation], set[str]]:
    """Every segment's translation, and which ones the model translated now.

    Segments may come from many documents: each distinct one is looked up once, and the
    misses share batches of similar length. A segment over the model's input limit is
    translated in pieces, never truncated; each piece is kept as its batch finishes.
    `on_batch(done, total)` counts the segments done after each batch. `generation`
    replaces the model's generate() settings (a retry's), cached under their own keys.
    """
    limit = model.spec.max_input_tokens
    settings = dict(model.spec.generation if generation is None else generation)
    key_settings = model.spec.output_settings_for(settings)
    tagged = model_kind(model.spec) == "many-to-many"
    if tagged:  # the source code is in each input (source_tag), the target's here
        key_settings["forced_target"] = target_token(model.spec)

    # Each piece is counted once: to fit it, then to bound its output.
    @functools.cache
    def count_tokens(text: str) -> int:
        return model.count_tokens(model_input(model, text))

    pieces_of: dict[str, list[str]] = {}

    def split(segment: str) -> list[str]:
        """A segment's pieces; a many-to-many translator's each start with its code."""
        code, text = segment.split(" ", 1) if tagged else ("", segment)

        def with_code(piece: str) -> str:
            return f"{code} {piece}" if tagged else piece

        pieces = split_to_fit(text, limit, lambda piece: count_tokens(with_code(piece)))
        pieces_of[segment] = [with_code(piece) for piece in pieces]
        return pieces_of[segment]

    def compute(pieces: list[str]) -> Iterator[dict[str, str]]:
        progress = _Progress(pieces_of, pieces)
        for done in _translate_pieces(pieces, model, settings, count_tokens):
            yield {piece: output.encode() for piece, output in done.items()}
            if on_batch:  # after the batch is stored
                on_batch(progress.finish(done), len(pieces_of))

    lookup: Lookup = cache.get_or_compute(
        TASK, lambda: model.identity, key_settings, segments, compute, split=split, join=join_pieces
    )
    values = {segment: Translation.decode(value) for segment, value in lookup.values.items()}
    return values, set(lookup.computed)


class _Progress:
    """How many segments are done, as their pieces' batches finish."""

    def __init__(self, pieces_of: dict[str, list[str]], todo: list[str]) -> None:
        self._left = {
            segment: set(parts).intersection(todo) for segment, parts in pieces_of.items()
        }
        self._segments_of: dict[str, list[str]] = {}
        for segment, parts in self._left.items():
            for piece in parts:
                self._segments_of.setdefault(piece, []).append(segment)
        self.done = sum(not parts for parts in self._left.values())

    def finish(self, pieces: Iterable[str]) -> int:
        """The number of segments done once `pieces` are."""
        for piece in pieces:
            for segment in self._segments_of.pop(piece, ()):
                self._left[segment].discard(piece)
                self.done += not self._left[segment]
        return self.done


def _translate_pieces(
    pieces: list[str],
    model: Model,
    settings: dict[str, Any],
    count_tokens: Callable[[str], int],
) -> Iterator[dict[str, Translation]]:
    """Yields each batch's translations as it finishes. Pieces of similar length share a
    batch, and only pieces with the same output bound: each translation depends on its
    piece alone, never on its batch companions (issue 11)."""
    bounded = {piece: bounded_settings(settings, count_tokens(piece)) for piece in pieces}
    ordered = sorted(pieces, key=lambda piece: (count_tokens(piece), len(piece)))
    batches = plan_batches(
        ordered,
        model.spec.batch_size,
        model.parallel_batches,
        group=lambda piece: bounded[piece]["max_new_tokens"],
    )
    requests = (
        ([model_input(model, piece) for piece in batch], bounded[batch[0]]) for batch in batches
    )
    for batch, outputs in zip(batches, model.generate_batches(requests), strict=True):
        yield {piece: _translation(output) for piece, output in zip(batch, outputs, strict=True)}


def _translation(output: Generation) -> Translation:
    return Translation(output.text, output.confidence)


def model_input(model: Model, text: str) -> str:
    """What the model receives for `text`: a multi-target model's target token comes first
    (e.g. ">>eng<< ..."), as its model card requires."""
    token = model.spec.target_token
    return f"{token} {text}" if token else text
