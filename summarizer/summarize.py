"""Summarization stage: token-aware chunks, each summarized (and cached), partial summaries
reduced until one summary remains (map-reduce). The final summary is cached too, so a
repeated article needs neither a tokenizer nor a model. Many texts are summarized in
lockstep, each round's chunks of all of them in shared batches; each chunk's summary depends
on that chunk alone, so a text's summary is the one it gets alone.

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
from summarizer.prompts import DEFAULT_LENGTH, Request
from summarizer.segment import pack_chunks, split_sentences

TASK = "summarization"
FINAL_TASK = "summary"
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
    length: str = DEFAULT_LENGTH,
) -> Summary:
    """One English summary of `text` (paragraphs separated by blank lines), of `length`
    (prompts.LENGTHS); with `check`, its unsupported claims found, and a second attempt
    made when there are some."""
    (outcome,) = summarize_texts([text], model, cache, on_chunks, check=check, length=length)
    if isinstance(outcome, SummarizerError):
        raise outcome
    return outcome


def summarize_texts(
    texts: list[str],
    model: Model,
    cache: Cache,
    on_chunks: Callable[[int], None] | None = None,
    *,
    check: bool = False,
    length: str = DEFAULT_LENGTH,
) -> list[Summary | SummarizerError]:
    """summarize_text for many texts at once, their chunks in shared batches: each text's
    Summary (the same as it would get alone), or in its place the SummarizerError it met;
    the others complete. `on_chunks` is told the number of chunks of each pass that needs
    the model (the first, then the retries with `check`)."""
    distinct = list(dict.fromkeys(texts))
    stats = {text: SummarizationStats() for text in distinct}
    request = Request(model, model.spec.generation, length)
    outcomes = _final_summaries(distinct, request, cache, on_chunks, stats)
    if check:
        _retry_claims(outcomes, request, cache, on_chunks, stats)
    seen: set[str] = set()
    results: list[Summary | SummarizerError] = []
    for text in texts:
        results.append(_repeated(outcomes[text]) if text in seen else outcomes[text])
        seen.add(text)
    return results


def _repeated(outcome: Summary | SummarizerError) -> Summary | SummarizerError:
    """A text given again: summarized once, for its first place. Like a chunk several texts
    share, it needed the model for that one only: its other places' look-ups (the final
    summary's, and the retry's when there was one) are all hits, as one by one."""
    if isinstance(outcome, SummarizerError):
        return outcome
    first = outcome.stats
    stats = SummarizationStats(first.chunks, 1 + first.retried, 0, first.retried)
    return Summary(outcome.text, outcome.summarized, stats, list(outcome.claims))


def _retry_claims(
    outcomes: dict[str, Summary | SummarizerError],
    first_request: Request,
    cache: Cache,
    on_chunks: Callable[[int], None] | None,
    stats: dict[str, SummarizationStats],
) -> None:
    """Each summary's unsupported claims found; those that have some made once more with
    the retry settings, in shared batches, and the one with fewer claims kept."""
    firsts = {t: s for t, s in outcomes.items() if isinstance(s, Summary) and s.summarized}
    for text, first in firsts.items():
        first.claims = unsupported_claims(first.text, text)
    model = first_request.model
    retry = model.spec.retry_generation
    again = [text for text, first in firsts.items() if first.claims]
    if retry is None or not again:
        return
    for text in again:
        stats[text].retried = 1
    request = Request(model, retry, first_request.length)
    seconds = _final_summaries(again, request, cache, on_chunks, stats)
    for text, second in seconds.items():
        if isinstance(second, Summary):
            second.claims = unsupported_claims(second.text, text)
            if len(second.claims) >= len(firsts[text].claims):
                continue
        outcomes[text] = second


def _final_summaries(
    texts: list[str],
    request: Request,
    cache: Cache,
    on_chunks: Callable[[int], None] | None,
    stats: dict[str, SummarizationStats],
) -> dict[str, Summary | SummarizerError]:
    """Each text's summary as `request` asks for it, from its cached record when
    there is one (then neither a tokenizer nor a model is needed); the others made together
    and each stored as soon as it is done."""
    failed: dict[str, SummarizerError] = {}

    def compute(misses: list[str]) -> Iterator[dict[str, str]]:
        for text, outcome in _map_reduce(misses, request, cache, on_chunks, stats):
            if isinstance(outcome, SummarizerError):
                failed[text] = outcome
                continue
            chunks = stats[text].chunks
            record = {"summary": outcome.text, "summarized": outcome.summarized, "chunks": chunks}
            yield {text: json.dumps(record, ensure_ascii=False)}

    settings = request.key_settings()
    lookup = cache.get_or_compute(
        FINAL_TASK, lambda: request.model.identity, settings, texts, compute, partial=True
    )
    computed = set(lookup.computed)
    outcomes: dict[str, Summary | SummarizerError] = {}
    for text in texts:
        if text in failed:
            outcomes[text] = failed[text]
            continue
        record = json.loads(lookup.values[text])
        if text in computed:
            stats[text].cache_misses += 1
        else:
            stats[text].chunks = record["chunks"]
            stats[text].cache_hits += 1
        outcomes[text] = Summary(record["summary"], record["summarized"], stats[text])
    return outcomes


def _map_reduce(
    texts: list[str],
    request: Request,
    cache: Cache,
    on_chunks: Callable[[int], None] | None,
    stats: dict[str, SummarizationStats],
) -> Iterator[tuple[str, Summary | SummarizerError]]:
    """Each text's summary, or its error, as soon as the text is done. A SummarizerError
    the model raises fails every text not done yet; any other exception propagates."""
    unfinished = dict.fromkeys(texts)
    try:
        for text, outcome in _rounds(texts, request, cache, on_chunks, stats):
            del unfinished[text]
            yield text, outcome
    except SummarizerError as exc:
        for text in unfinished:
            yield text, exc


def _rounds(
    texts: list[str],
    request: Request,
    cache: Cache,
    on_chunks: Callable[[int], None] | None,
    stats: dict[str, SummarizationStats],
) -> Iterator[tuple[str, Summary | SummarizerError]]:
    """Map-reduce in lockstep: each round, the chunks of every text not done yet are
    summarized together, and a text's summaries joined and cut into chunks again until one
    remains; a text shorter than a summary would be is its own summary."""
    request.check_room()
    chunks_of: dict[str, list[str]] = {}
    for text in texts:
        if request.text_tokens(text) <= request.shortest:
            yield text, Summary(text, summarized=False, stats=stats[text])
            continue
        sentences = [s for p in text.split("\n\n") for s in split_sentences(p, "en")]
        chunks_of[text] = pack_chunks(sentences, request.limit, request.count_tokens)
        stats[text].chunks = len(chunks_of[text])
    total = sum(map(len, chunks_of.values()))
    if on_chunks and total:
        on_chunks(total)
    partials_of = _summarize_chunks(chunks_of, request, cache, stats, reduce=False)
    for _round in range(MAX_ROUNDS):
        chunks_of = {}
        for text, partials in partials_of.items():
            if len(partials) == 1:
                yield text, Summary(partials[0], summarized=True, stats=stats[text])
            else:
                chunks_of[text] = _rechunk(partials, request)
        if not chunks_of:
            return
        partials_of = _summarize_chunks(chunks_of, request, cache, stats, reduce=True)
    for text in partials_of:
        hint = "check the summarizer"
        yield text, SummarizerError("the summaries did not get shorter", hint=hint)


def _rechunk(partials: list[str], request: Request) -> list[str]:
    """A reduce round's chunks: the partial summaries joined, cut again where too long."""
    joined = " ".join(partials)

    def count(chunk: str) -> int:
        return request.count_tokens(chunk, reduce=True)

    if count(joined) <= request.limit:
        return [joined]
    return pack_chunks(split_sentences(joined, "en"), request.limit, count)


def _summarize_chunks(
    chunks_of: dict[str, list[str]],
    request: Request,
    cache: Cache,
    stats: dict[str, SummarizationStats],
    *,
    reduce: bool,
) -> dict[str, list[str]]:
    """One summary per chunk of each text (`reduce`: of partial summaries); the uncached
    ones, of all the texts together, in length-sorted batches, each stored as it is done.
    Each chunk's summary lengths are scaled to the chunk alone, and only chunks with equal
    lengths share a batch: a summary never depends on its batch companions, nor on which
    chunks the cache held (issue 11)."""
    model = request.model

    def compute(misses: list[str]) -> Iterator[dict[str, str]]:
        groups: dict[str, tuple[dict[str, Any], list[str]]] = {}
        for chunk in sorted(misses, key=len):
            lengths = request.chunk_settings(request.count_tokens(chunk, reduce=reduce))
            key = json.dumps(lengths, sort_keys=True)
            groups.setdefault(key, (lengths, []))[1].append(chunk)
        for lengths, group in groups.values():
            for start in range(0, len(group), model.spec.batch_size):
                batch = group[start : start + model.spec.batch_size]
                inputs = [request.input(chunk, reduce=reduce) for chunk in batch]
                yield dict(zip(batch, model.generate(inputs, lengths), strict=True))

    every = [chunk for chunks in chunks_of.values() for chunk in chunks]
    key_settings = request.key_settings(reduce=reduce)
    lookup = cache.get_or_compute(TASK, lambda: model.identity, key_settings, every, compute)
    unclaimed = set(lookup.computed)
    for text, chunks in chunks_of.items():
        # A chunk several texts share is a miss for the first of them only (as in
        # translate.py): the model made it once.
        misses = unclaimed.intersection(chunks)
        unclaimed -= misses
        stats[text].cache_misses += len(misses)
        stats[text].cache_hits += len(chunks) - len(misses)
    return {text: [lookup.values[c] for c in chunks] for text, chunks in chunks_of.items()}
