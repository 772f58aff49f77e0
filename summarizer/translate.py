"""Translation stage: sentences looked up in the cache, only the misses translated, in
length-sorted batches, each batch written back to the cache as soon as it is done."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from summarizer.cache import Cache, make_key
from summarizer.engine import Model
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


def translate_paragraphs(
    paragraphs: list[str],
    language: str,
    model: Model,
    cache: Cache,
    on_batch: Callable[[int, int], None] | None = None,
) -> tuple[list[str], TranslationStats]:
    """Paragraphs translated sentence by sentence; same number and order of paragraphs."""
    sentences = [split_sentences(paragraph, language) for paragraph in paragraphs]
    segments = [s for paragraph in sentences for s in paragraph if is_translatable(s)]
    translations, stats = translate_segments(segments, model, cache, on_batch)
    translated = [
        " ".join(translations.get(sentence, sentence) for sentence in paragraph)
        for paragraph in sentences
    ]
    return translated, stats


def translate_segments(
    segments: list[str],
    model: Model,
    cache: Cache,
    on_batch: Callable[[int, int], None] | None = None,
) -> tuple[dict[str, str], TranslationStats]:
    """segment -> translation for every segment; the model sees each miss once."""
    stats = TranslationStats(segments=len(segments))
    settings = dict(model.spec.generation)
    unique = list(dict.fromkeys(segments))
    identity = model.identity
    keys = {segment: _key(identity, model, segment) for segment in unique}
    cached = cache.get_many(keys.values())
    translations = {s: cached[keys[s]] for s in unique if keys[s] in cached}
    misses = [segment for segment in unique if segment not in translations]
    stats.cache_misses = len(misses)
    stats.cache_hits = stats.segments - stats.cache_misses
    if misses:
        translations.update(_translate_misses(misses, model, cache, settings, on_batch))
    return translations, stats


def _translate_misses(
    misses: list[str],
    model: Model,
    cache: Cache,
    settings: dict[str, Any],
    on_batch: Callable[[int, int], None] | None,
) -> dict[str, str]:
    limit = model.spec.max_input_tokens

    def count_tokens(text: str) -> int:
        return model.count_tokens(model_input(model, text))

    # A segment over the model's input limit is translated in pieces, never truncated.
    pieces_of = {segment: split_to_fit(segment, limit, count_tokens) for segment in misses}
    pieces = sorted({p for parts in pieces_of.values() for p in parts}, key=len)
    # Keys are made after loading: a hub model's resolved commit is only known then.
    identity = model.identity
    done: dict[str, str] = {}
    finished: set[str] = set()
    batch_size = model.spec.batch_size
    for start in range(0, len(pieces), batch_size):
        batch = pieces[start : start + batch_size]
        inputs = [model_input(model, piece) for piece in batch]
        batch_settings = bounded_settings(settings, max(model.count_tokens(p) for p in inputs))
        done.update(zip(batch, model.generate(inputs, batch_settings), strict=True))
        complete = {
            segment: " ".join(done[p] for p in parts)
            for segment, parts in pieces_of.items()
            if segment not in finished and all(p in done for p in parts)
        }
        cache.put_many(
            TASK, identity, {_key(identity, model, s): text for s, text in complete.items()}
        )
        finished.update(complete)
        if on_batch:
            on_batch(min(start + batch_size, len(pieces)), len(pieces))
    return {segment: " ".join(done[p] for p in parts) for segment, parts in pieces_of.items()}


def model_input(model: Model, text: str) -> str:
    """What the model receives for `text`: a multi-target model's target token comes first
    (e.g. ">>eng<< ..."), as its model card requires."""
    token = model.spec.target_token
    return f"{token} {text}" if token else text


def _key(identity: str, model: Model, segment: str) -> str:
    """The cache key of a segment's translation; the target token is part of the input."""
    settings: dict[str, Any] = dict(model.spec.generation)
    if model.spec.target_token:
        settings["target_token"] = model.spec.target_token
    return make_key(TASK, identity, settings, segment)


def bounded_settings(settings: dict[str, Any], longest_input_tokens: int) -> dict[str, Any]:
    """generate() settings with max_new_tokens bounded by the batch's longest input."""
    bound = OUTPUT_LENGTH_FACTOR * longest_input_tokens + OUTPUT_LENGTH_SLACK
    bounded = dict(settings)
    bounded["max_new_tokens"] = min(settings.get("max_new_tokens", bound), bound)
    bounded.pop("max_length", None)
    return bounded
