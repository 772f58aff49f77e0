"""Each model output depends only on its own input and the settings in its cache key: never
on the inputs that share its batch, nor on what the cache held. And an interrupted long
sentence keeps the pieces it finished (issue 11, points 6 and 7)."""

from __future__ import annotations

import dataclasses

import pytest

from summarizer import Summarizer
from summarizer.cache import Cache, NullCache
from summarizer.config import load_config
from summarizer.engines import load_model
from summarizer.options import RunOptions
from summarizer.pipeline import Article
from summarizer.segment import pack_chunks, split_sentences
from summarizer.summarize import summarize_text
from summarizer.translate import Translation, translate_segments
from tests.fakes import CappedSummarizer, FakeModel, spec, translate_one

SHORT = "Le maire a parlé hier soir."
SHORTER = ["Bonjour.", "Merci à tous.", "Il pleut."]
# Longer, in the same length bucket: the same output bound, so a batch padded for them.
SAME_BUCKET = ["La maire a parlé hier soir.", "Le maire a bien parlé hier soir."]
LONGER = [
    "Le conseil municipal de Villeneuve a adopté mardi soir un plan de rénovation des écoles "
    "de la ville.",
    "Les travaux commenceront en juillet, pendant les vacances scolaires, et dureront deux "
    "mois au moins.",
    "L'opposition a salué l'ambition du plan mais s'inquiète de son coût pour la commune.",
]


# Many batch mixes through both engines: 4 s, in the long run.
@pytest.mark.slow
def test_a_segment_translates_the_same_alone_and_beside_longer_or_shorter_ones(engine_config):
    spec_ = load_config(engine_config).models["tiny-marian"]
    # Room for bounds that differ from segment to segment (the tiny config caps them all
    # at 48 new tokens).
    spec_ = dataclasses.replace(spec_, generation={**spec_.generation, "max_new_tokens": 160})
    model = load_model(spec_)
    counts = {text: model.count_tokens(text) for text in [SHORT, *SHORTER, *SAME_BUCKET, *LONGER]}
    assert all(counts[text] < counts[SHORT] for text in SHORTER)
    assert all(counts[SHORT] < counts[text] <= 16 for text in SAME_BUCKET)
    assert all(counts[text] > 2 * counts[SHORT] for text in LONGER)

    def translated_in(batch: list[str]) -> str:
        return translate_segments(batch, model, NullCache())[0][SHORT].text

    alone = translated_in([SHORT])
    assert translated_in([*LONGER, SHORT]) == alone
    assert translated_in([SHORT, *SHORTER]) == alone
    assert translated_in([*SAME_BUCKET, SHORT]) == alone
    assert translated_in([*SHORTER, SHORT, *SAME_BUCKET, *LONGER]) == alone


def story(sentences: int, topic: str = "story") -> str:
    return " ".join(
        f"Sentence number {i} tells part of the {topic} today." for i in range(sentences)
    )


def capped(**overrides) -> CappedSummarizer:
    settings = {"max_input_tokens": 40, "batch_size": 4}
    return CappedSummarizer(spec("summarization", **{**settings, **overrides}))


def test_a_chunk_summary_is_the_same_whatever_chunks_share_its_batch():
    # Long chunks and a short last one: they used to share a batch, cut to the short one's cap.
    model = capped()
    text = story(14)
    summarize_text(text, model, NullCache())
    first_round = pack_chunks(split_sentences(text, "en"), 40, model.count_tokens)
    assert len(first_round) == 4  # one batch's worth
    assert len({model.count_tokens(chunk) for chunk in first_round}) > 1
    for chunk in first_round:
        alone = capped()
        summarize_text(chunk, alone, NullCache())
        assert alone.summaries[chunk] == model.summaries[chunk]


def test_no_cache_and_a_fresh_cache_give_the_same_summary_of_a_long_article(tmp_path, tiny_config):
    # A wire story and its update share their first chunks: with a cache the update reuses
    # them, without one it computes them again, beside other chunks.
    first = story(14)
    update = story(12) + " " + story(5, "update")
    summaries = {}
    for use_cache in (False, True):
        model = capped()
        summarizer = Summarizer(
            tiny_config,
            cache_dir=tmp_path / f"cache-{use_cache}",
            use_cache=use_cache,
            model_loader=lambda _spec, _progress=None, model=model: model,
        )
        articles = [Article("first", first), Article("update", update)]
        results = summarizer.run_batch(articles, RunOptions(source_language="en"))
        summaries[use_cache] = [result.summary for result in results]
        summarizer.close()
    assert summaries[False] == summaries[True]


class StopsAfter(FakeModel):
    """Ctrl-C arriving while the model works on batch number `batches` + 1."""

    def __init__(self, spec_, batches: int) -> None:
        super().__init__(spec_)
        self.allowed = batches

    def generate(self, texts, settings):
        if self.calls == self.allowed:
            raise KeyboardInterrupt
        return super().generate(texts, settings)


LONG_SENTENCE = ", ".join(f"le témoin numéro {i} a parlé" for i in range(40)) + "."


def test_an_interrupted_long_sentence_keeps_its_finished_pieces_and_the_rerun_does_the_rest(
    tmp_path,
):
    cache = Cache(tmp_path / "c")
    settings = {"max_input_tokens": 16, "batch_size": 2}
    interrupted = StopsAfter(spec(**settings), batches=3)
    with pytest.raises(KeyboardInterrupt):
        translate_one([LONG_SENTENCE], "fr", interrupted, cache)
    finished = [piece for batch in interrupted.batches for piece in batch]
    assert len(finished) == 6

    rerun = FakeModel(spec(**settings))
    translated, stats = translate_one([LONG_SENTENCE], "fr", rerun, cache)
    asked = [piece for batch in rerun.batches for piece in batch]
    assert asked and not set(asked) & set(finished)
    assert translated[0].replace("[", "").replace("]", "").split() == LONG_SENTENCE.split()
    assert (stats.segments, stats.cache_misses, stats.cache_hits) == (1, 1, 0)

    # Whole now: a third run needs neither the model nor its tokenizer, and counts a hit.
    third = FakeModel(spec(**settings))
    again, stats = translate_one([LONG_SENTENCE], "fr", third, cache)
    assert again == translated
    assert third.calls == 0 and third.token_counts == 0
    assert (stats.cache_misses, stats.cache_hits) == (0, 1)


def test_a_long_sentence_whose_pieces_are_all_cached_is_a_hit(tmp_path):
    cache = Cache(tmp_path / "c")
    settings = {"max_input_tokens": 16, "batch_size": 2}
    first = FakeModel(spec(**settings))
    translate_one([LONG_SENTENCE], "fr", first, cache)
    pieces = [piece for batch in first.batches for piece in batch]
    # Another sentence made of the same pieces: nothing to ask the model.
    other = " ".join([*pieces[-2::-1], pieces[-1]])
    model = FakeModel(spec(**settings))
    _, stats = translate_one([other], "fr", model, cache)
    assert model.calls == 0
    assert (stats.segments, stats.cache_misses, stats.cache_hits) == (1, 0, 1)


def test_a_segment_that_fits_is_stored_under_the_same_key_as_before(tmp_path):
    from summarizer.cache import make_key

    cache = Cache(tmp_path / "c")
    model = FakeModel(spec())
    translate_one([SHORT], "fr", model, cache)
    key = make_key("translation", model.identity, model.spec.output_settings, SHORT)
    assert cache.get_many([key]) == {key: Translation(f"[{SHORT}]", -0.1).encode()}
