import json
import sqlite3

from summarizer.cache import Cache
from summarizer.summarize import scaled_lengths, summarize_text
from tests.fakes import FakeSummarizer, spec


def article(sentences: int) -> str:
    return " ".join(f"Sentence number {i} tells part of the story." for i in range(sentences))


def summarizer(**overrides):
    return FakeSummarizer(spec("summarization", **overrides))


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
