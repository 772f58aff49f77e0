"""Translation stage: sentences looked up in the cache, only the misses translated, in
length-sorted batches, each batch written back to the cache as soon as it is done."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from summarizer.cache import Cache, make_key
from summarizer.engines import Model, Request
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


def split_document(paragraphs: list[str], language: str) -> list[list[str]]:
    """Each paragraph's sentences: the units sent to the translator."""
    return [split_sentences(paragraph, language) for paragraph in paragraphs]


def translatable_segments(sentences: list[list[str]]) -> list[str]:
    """The sentences a model must see; empty and punctuation-only ones pass through."""
    return [s for paragraph in sentences for s in paragraph if is_translatable(s)]


def assemble(sentences: list[list[str]], translations: dict[str, str]) -> list[str]:
    """Translated paragraphs, in the source's number and order."""
    return [
        " ".join(translations.get(sentence, sentence) for sentence in paragraph)
        for paragraph in sentences
    ]


def translate_paragraphs(
    paragraphs: list[str],
    language: str,
    model: Model,
    cache: Cache,
    on_batch: Callable[[int, int], None] | None = None,
) -> tuple[list[str], TranslationStats]:
    """Paragraphs translated sentence by sentence; same number and order of paragraphs."""
    sentences = split_document(paragraphs, language)
    segments = translatable_segments(sentences)
    translations, computed = translate_segments(segments, model, cache, on_batch)
    stats = TranslationStats(segments=len(segments), cache_misses=len(computed))
    stats.cache_hits = stats.segments - stats.cache_misses
    return assemble(sentences, translations), stats


def translate_segments(
    segments: list[str],
    model: Model,
    cache: Cache,
    on_batch: Callable[[int, int], None] | None = None,
) -> tuple[dict[str, str], set[str]]:
    """segment -> translation for every segment, and the set the model translated now.

    Segments may come from many documents: each distinct one is looked up once, and the
    misses share length-sorted batches.
    """
    key_settings = model.spec.output_settings
    unique = list(dict.fromkeys(segments))
    identity = model.identity
    keys = {segment: make_key(TASK, identity, key_settings, segment) for segment in unique}
    cached = cache.get_many(keys.values())
    translations = {s: cached[keys[s]] for s in unique if keys[s] in cached}
    misses = [segment for segment in unique if segment not in translations]
    if misses:
        translations.update(_translate_misses(misses, model, cache, on_batch))
    return translations, set(misses)


def _translate_misses(
    misses: list[str],
    model: Model,
    cache: Cache,
    on_batch: Callable[[int, int], None] | None,
) -> dict[str, str]:
    settings = dict(model.spec.generation)
    key_settings = model.spec.output_settings
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

    # Keys are made after loading: a hub model's resolved commit is only known then.
    identity = model.identity
    done: dict[str, str] = {}
    finished: set[str] = set()
    for batch, outputs in zip(batches, model.generate_batches(requests()), strict=True):
        done.update(zip(batch, outputs, strict=True))
        complete = {
            segment: " ".join(done[p] for p in parts)
            for segment, parts in pieces_of.items()
            if segment not in finished and all(p in done for p in parts)
        }
        cache.put_many(
            TASK,
            identity,
            {make_key(TASK, identity, key_settings, s): text for s, text in complete.items()},
        )
        finished.update(complete)
        if on_batch:
            on_batch(len(finished), len(misses))
    return {segment: " ".join(done[p] for p in parts) for segment, parts in pieces_of.items()}


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
