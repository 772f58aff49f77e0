import json
import sqlite3

import pytest

from summarizer.cache import Cache
from summarizer.errors import ModelError, SummarizerError
from summarizer.prompts import scaled_lengths
from summarizer.summarize import SummarizationStats, summarize_text, summarize_texts
from tests.fakes import (
    CappedSummarizer,
    FakeSummarizer,
    InventingSummarizer,
    NeverShorter,
    is_retry,
    spec,
)


def article(sentences: int, topic: str = "story") -> str:
    return " ".join(f"Sentence number {i} tells part of the {topic}." for i in range(sentences))


def summarizer(**overrides):
    return FakeSummarizer(spec("summarization", **overrides))


# Chunks of a few sentences, several rounds for the longer texts.
SMALL_CHUNKS = {"max_input_tokens": 40, "batch_size": 4}
TOPICS = ["election", "harbour", "budget"]
# Three long texts, one that is its own summary, one that fits in one chunk.
TEXTS = [
    article(30, "election"),
    "A short note.",
    article(60, "harbour"),
    article(2, "storm"),
    article(45, "budget"),
]


def test_long_text_is_chunked_within_the_limit_and_reduced_to_one_summary(tmp_path):
    model = summarizer(max_input_tokens=40, batch_size=4)
    summary = summarize_text(article(60), model, Cache(tmp_path / "c"))
    first_round = model.batches[: (summary.stats.chunks + 3) // 4]
    assert summary.stats.chunks > 1
    assert all(model.count_tokens(text) <= 40 for batch in model.batches for text in batch)
    assert sum(len(batch) for batch in first_round) == summary.stats.chunks
    # Several rounds: the partial summaries did not fit in one input at first.
    assert len(model.batches) > len(first_round) + 1
    assert summary.summarized and summary.text


def test_text_shorter_than_a_summary_is_returned_as_is(tmp_path):
    model = summarizer()
    summary = summarize_text("A short note.", model, Cache(tmp_path / "c"))
    assert summary.text == "A short note."
    assert not summary.summarized
    assert model.calls == 0


def test_summary_lengths_are_scaled_down_for_short_inputs():
    settings = {"num_beams": 4, "min_length": 56, "max_length": 142}
    assert scaled_lengths(settings, 1000) == {"num_beams": 4, "min_length": 56, "max_length": 142}
    short = scaled_lengths(settings, 40)
    assert short["max_length"] == 20 and short["min_length"] == 10


def test_short_chunk_gets_scaled_lengths_in_generate(tmp_path):
    model = summarizer(max_input_tokens=100, generation={"min_length": 5, "max_length": 100})
    summarize_text(article(2), model, Cache(tmp_path / "c"))
    (settings,) = model.settings
    tokens = model.count_tokens(article(2))
    assert settings["max_length"] == tokens // 2
    assert settings["min_length"] <= settings["max_length"] // 2


def test_cached_final_summary_needs_no_tokenizer_or_model(tmp_path):
    cache = Cache(tmp_path / "c")
    first = summarize_text(article(60), summarizer(max_input_tokens=40), cache)
    model = summarizer(max_input_tokens=40)
    second = summarize_text(article(60), model, cache)
    assert second.text == first.text
    assert second.stats.chunks == first.stats.chunks
    assert (second.stats.cache_hits, second.stats.cache_misses) == (1, 0)
    assert model.calls == 0 and model.token_counts == 0


def test_chunk_summaries_are_reused_when_only_the_end_changes(tmp_path):
    cache = Cache(tmp_path / "c")
    summarize_text(article(60), summarizer(max_input_tokens=40), cache)
    model = summarizer(max_input_tokens=40)
    stats = summarize_text(article(60) + " One more sentence.", model, cache).stats
    assert stats.cache_hits >= stats.chunks - 1


def test_final_record_is_stored_as_json_text(tmp_path):
    cache = Cache(tmp_path / "c")
    summarize_text(article(10), summarizer(), cache)
    cache.close()
    with sqlite3.connect(cache.path) as connection:
        rows = connection.execute("SELECT value FROM entries WHERE task = 'summary'").fetchall()
    (record,) = [json.loads(value) for (value,) in rows]
    assert set(record) == {"summary", "summarized", "chunks"}


# -- many texts at once --------------------------------------------------------------------


def test_texts_summarized_together_get_the_summaries_each_gets_alone(tmp_path):
    # Summaries cut to the max_length each chunk is given: bounds taken from a batch, or
    # another text's summary given back, would show.
    together = summarize_texts(
        TEXTS, CappedSummarizer(spec("summarization", **SMALL_CHUNKS)), Cache(tmp_path / "t")
    )
    cache = Cache(tmp_path / "a")
    alone = [
        summarize_text(text, CappedSummarizer(spec("summarization", **SMALL_CHUNKS)), cache)
        for text in TEXTS
    ]
    assert [(s.text, s.summarized) for s in together] == [(s.text, s.summarized) for s in alone]
    assert [s.summarized for s in together] == [True, False, True, True, True]


def test_chunks_of_different_texts_share_batches(tmp_path):
    model = summarizer(**SMALL_CHUNKS)
    reported = []
    outcomes = summarize_texts(TEXTS, model, Cache(tmp_path / "c"), reported.append)
    topics = [{t for t in TOPICS if any(t in chunk for chunk in batch)} for batch in model.batches]
    assert any(len(found) > 1 for found in topics)
    assert all(len(batch) <= 4 for batch in model.batches)
    calls_alone = 0
    for i, text in enumerate(TEXTS):
        alone = summarizer(**SMALL_CHUNKS)
        summarize_text(text, alone, Cache(tmp_path / f"alone-{i}"))
        calls_alone += alone.calls
    assert model.calls < calls_alone
    # Told once, of every text's first-round chunks.
    assert reported == [sum(summary.stats.chunks for summary in outcomes)] and reported[0] > 3


def test_each_text_has_the_stats_it_has_alone(tmp_path):
    def warmed(folder):
        # Part of the work done before: one text's final summary, another's first chunks.
        cache = Cache(folder)
        summarize_text(TEXTS[0], summarizer(**SMALL_CHUNKS), cache)
        summarize_text(article(20, "harbour"), summarizer(**SMALL_CHUNKS), cache)
        return cache

    together_cache, alone_cache = warmed(tmp_path / "t"), warmed(tmp_path / "a")
    runs = []
    for _run in range(2):  # the second with everything cached
        together = summarize_texts(TEXTS, summarizer(**SMALL_CHUNKS), together_cache)
        alone = [summarize_text(t, summarizer(**SMALL_CHUNKS), alone_cache) for t in TEXTS]
        assert [s.stats for s in together] == [s.stats for s in alone]
        runs.append([summary.stats for summary in together])
    first, cached = runs
    election, harbour = first[0], first[2]
    assert election == SummarizationStats(chunks=election.chunks, cache_hits=1)
    assert harbour.cache_hits > 1 and harbour.cache_misses > 1
    assert all(s == SummarizationStats(s.chunks, cache_hits=1) for s in cached)


def test_a_chunk_texts_share_is_a_miss_for_the_first_of_them_only(tmp_path):
    # The longer text begins with the shorter one's chunks; the shorter one comes twice.
    texts = [article(20, "harbour"), article(60, "harbour"), article(20, "harbour")]
    together = summarize_texts(texts, summarizer(**SMALL_CHUNKS), Cache(tmp_path / "t"))
    cache = Cache(tmp_path / "a")
    alone = [summarize_text(text, summarizer(**SMALL_CHUNKS), cache) for text in texts]
    assert [s.stats for s in together] == [s.stats for s in alone]
    first, longer, again = (summary.stats for summary in together)
    assert longer.cache_hits >= first.chunks - 1
    assert again == SummarizationStats(chunks=first.chunks, cache_hits=1)
    assert together[2].text == together[0].text


def test_a_text_whose_summaries_never_get_shorter_fails_alone(tmp_path):
    texts = [article(30, "election"), article(30, "endless"), article(60, "harbour")]
    model = NeverShorter(spec("summarization", **SMALL_CHUNKS))
    outcomes = summarize_texts(texts, model, Cache(tmp_path / "c"))
    assert isinstance(outcomes[1], SummarizerError)
    assert "did not get shorter" in str(outcomes[1])
    cache = Cache(tmp_path / "a")
    alone = [summarize_text(text, summarizer(**SMALL_CHUNKS), cache) for text in texts[::2]]
    assert [(s.text, s.stats) for s in outcomes[::2]] == [(s.text, s.stats) for s in alone]
    with pytest.raises(SummarizerError, match="did not get shorter"):
        summarize_text(texts[1], NeverShorter(spec("summarization", **SMALL_CHUNKS)), cache)


class FailsOn(FakeSummarizer):
    """Raises `error` for any batch that holds an input about "broken"."""

    def __init__(self, spec_, error):
        super().__init__(spec_)
        self.error = error

    def generate(self, texts, settings):
        if any("broken" in text for text in texts):
            raise self.error
        return super().generate(texts, settings)


def test_a_model_error_fails_the_texts_not_done_yet_and_only_those(tmp_path):
    cache = Cache(tmp_path / "c")
    done = summarize_text(article(45, "budget"), summarizer(**SMALL_CHUNKS), cache)
    texts = [article(30, "broken"), "A short note.", article(45, "budget"), article(30, "harbour")]
    error = ModelError("the summarizer ran out of memory", model="fake-summarization")
    outcomes = summarize_texts(texts, FailsOn(spec("summarization", **SMALL_CHUNKS), error), cache)
    assert outcomes[0] is error and outcomes[3] is error
    assert outcomes[1].text == "A short note." and outcomes[2].text == done.text
    # Anything but a SummarizerError is not the texts' failure: it propagates.
    crash = FailsOn(spec("summarization", **SMALL_CHUNKS), RuntimeError("a bug"))
    with pytest.raises(RuntimeError, match="a bug"):
        summarize_texts(texts, crash, Cache(tmp_path / "other"))


def test_retries_are_batched_and_each_text_keeps_what_it_keeps_alone(tmp_path):
    # The reports' summaries state a year and a name their texts never have; the retry's
    # do not. The budget's have no claims: it is not retried.
    texts = [article(30, "fire report"), article(30, "budget"), article(45, "flood report")]

    def inventing():
        return InventingSummarizer(spec("summarization", **SMALL_CHUNKS), about="report")

    model = inventing()
    together = summarize_texts(texts, model, Cache(tmp_path / "t"), check=True)
    cache = Cache(tmp_path / "a")
    alone, retry_calls_alone = [], 0
    for text in texts:
        alone_model = inventing()
        alone.append(summarize_text(text, alone_model, cache, check=True))
        retry_calls_alone += sum(map(is_retry, alone_model.settings))
    assert [(s.text, s.claims, s.stats) for s in together] == [
        (s.text, s.claims, s.stats) for s in alone
    ]
    assert [summary.stats.retried for summary in together] == [1, 0, 1]
    assert all(not summary.claims for summary in together)
    retried = [
        b for b, settings in zip(model.batches, model.settings, strict=True) if is_retry(settings)
    ]
    assert any(
        any("fire" in chunk for chunk in batch) and any("flood" in chunk for chunk in batch)
        for batch in retried
    )
    assert not any("budget" in chunk for batch in retried for chunk in batch)
    assert len(retried) < retry_calls_alone
