"""Summarization stage: token-aware chunks, each summarized (and cached), partial summaries
reduced until one summary remains (map-reduce). The final summary is cached too, so a
repeated article needs neither a tokenizer nor a model.

With checks on, the numbers and names a summary states that its text never has are its
unsupported claims (claims.unsupported_claims); such a summary is made once more with the
summarizer's safer `retry` settings, and the one with fewer claims kept (issue 12)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from summarizer.cache import Cache
from summarizer.claims import Claim, unsupported_claims
from summarizer.engines import Model
from summarizer.errors import SummarizerError
from summarizer.segment import pack_chunks, split_sentences

TASK = "summarization"
FINAL_TASK = "summary"
# A summary may use at most this share of its input's tokens...
MAX_SUMMARY_SHARE = 0.5
# ...but never fewer tokens than this.
MIN_SUMMARY_TOKENS = 8
# A text this short (or shorter than the configured min_length) is its own summary.
SHORT_TEXT_TOKENS = 2 * MIN_SUMMARY_TOKENS
MAX_ROUNDS = 12


@dataclass
class SummarizationStats:
    # Chunks the article was cut into for the first (map) round.
    chunks: int = 0
    # Look-ups of the final summary and of chunk summaries that were served from the cache.
    cache_hits: int = 0
    # Look-ups that needed the model.
    cache_misses: int = 0
    # 1 when the summary was made a second time because it had unsupported claims.
    retried: int = 0


@dataclass
class Summary:
    text: str
    # False when the input was already shorter than a summary would be and is returned as is.
    summarized: bool
    stats: SummarizationStats
    # Numbers and names it states that its text never has (found only with checks on).
    claims: list[Claim] = field(default_factory=list)


def summarize_text(
    text: str,
    model: Model,
    cache: Cache,
    on_chunks: Callable[[int], None] | None = None,
    *,
    check: bool = False,
) -> Summary:
    """One English summary of `text` (paragraphs separated by blank lines); with `check`,
    its unsupported claims found, and a second attempt made when there are some."""
    stats = SummarizationStats()
    first = _final_summary(text, model, cache, on_chunks, model.spec.generation, stats)
    if not check or not first.summarized:
        return first
    first.claims = unsupported_claims(first.text, text)
    retry = model.spec.retry_generation
    if not first.claims or retry is None:
        return first
    stats.retried = 1
    second = _final_summary(text, model, cache, on_chunks, retry, stats)
    second.claims = unsupported_claims(second.text, text)
    return second if len(second.claims) < len(first.claims) else first


def _final_summary(
    text: str,
    model: Model,
    cache: Cache,
    on_chunks: Callable[[int], None] | None,
    generation: dict[str, Any],
    stats: SummarizationStats,
) -> Summary:
    """The summary made with `generation` settings, from its cached record when there is
    one (then neither a tokenizer nor a model is needed)."""

    def compute(misses: list[str]) -> Iterator[dict[str, str]]:
        summary = _summarize(text, model, cache, stats, on_chunks, generation)
        record = {"summary": summary.text, "summarized": summary.summarized, "chunks": stats.chunks}
        yield {text: json.dumps(record, ensure_ascii=False)}

    settings = model.spec.output_settings_for(generation)
    lookup = cache.get_or_compute(FINAL_TASK, lambda: model.identity, settings, [text], compute)
    record = json.loads(lookup.values[text])
    if lookup.computed:
        stats.cache_misses += 1
    else:
        stats.chunks = record["chunks"]
        stats.cache_hits += 1
    return Summary(record["summary"], record["summarized"], stats)


def _summarize(
    text: str,
    model: Model,
    cache: Cache,
    stats: SummarizationStats,
    on_chunks: Callable[[int], None] | None,
    generation: dict[str, Any],
) -> Summary:
    """Map-reduce: chunks summarized, their summaries joined and summarized again until one
    remains; a text shorter than a summary would be is returned as it is."""
    settings = dict(generation)
    limit = model.spec.max_input_tokens
    if model.count_tokens(text) <= max(settings.get("min_length", 0), SHORT_TEXT_TOKENS):
        return Summary(text, summarized=False, stats=stats)
    sentences = [s for p in text.split("\n\n") for s in split_sentences(p, "en")]
    chunks = pack_chunks(sentences, limit, model.count_tokens)
    stats.chunks = len(chunks)
    if on_chunks:
        on_chunks(len(chunks))
    partials = _summarize_chunks(chunks, model, cache, settings, stats)
    for _round in range(MAX_ROUNDS):
        if len(partials) == 1:
            return Summary(partials[0], summarized=True, stats=stats)
        joined = " ".join(partials)
        if model.count_tokens(joined) <= limit:
            chunks = [joined]
        else:
            chunks = pack_chunks(split_sentences(joined, "en"), limit, model.count_tokens)
        partials = _summarize_chunks(chunks, model, cache, settings, stats)
    raise SummarizerError("the summaries did not get shorter", hint="check the summarizer")


def _summarize_chunks(
    chunks: list[str],
    model: Model,
    cache: Cache,
    settings: dict[str, Any],
    stats: SummarizationStats,
) -> list[str]:
    """One summary per chunk; the uncached ones in length-sorted batches, each stored as it
    is done. Each chunk's summary lengths are scaled to the chunk alone, and only chunks
    with equal lengths share a batch: a summary never depends on its batch companions, nor
    on which chunks the cache held (issue 11)."""

    key_settings = model.spec.output_settings_for(settings)

    def compute(misses: list[str]) -> Iterator[dict[str, str]]:
        groups: dict[str, tuple[dict[str, Any], list[str]]] = {}
        for chunk in sorted(misses, key=len):
            lengths = scaled_lengths(settings, model.count_tokens(chunk))
            key = json.dumps(lengths, sort_keys=True)
            groups.setdefault(key, (lengths, []))[1].append(chunk)
        for lengths, group in groups.values():
            for start in range(0, len(group), model.spec.batch_size):
                batch = group[start : start + model.spec.batch_size]
                yield dict(zip(batch, model.generate(batch, lengths), strict=True))

    lookup = cache.get_or_compute(TASK, lambda: model.identity, key_settings, chunks, compute)
    stats.cache_hits += len(chunks) - len(lookup.computed)
    stats.cache_misses += len(lookup.computed)
    return [lookup.values[chunk] for chunk in chunks]


def scaled_lengths(settings: dict[str, Any], input_tokens: int) -> dict[str, Any]:
    """Summary length bounds scaled down for a short input, so none is padded with invention."""
    scaled = dict(settings)
    ceiling = max(MIN_SUMMARY_TOKENS, int(input_tokens * MAX_SUMMARY_SHARE))
    scaled["max_length"] = min(settings.get("max_length", ceiling), ceiling)
    scaled["min_length"] = min(settings.get("min_length", 0), scaled["max_length"] // 2)
    scaled.pop("max_new_tokens", None)
    scaled.pop("min_new_tokens", None)
    return scaled
