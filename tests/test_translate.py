import pytest

from summarizer.batching import bounded_settings, length_bucket, plan_batches
from summarizer.cache import Cache
from summarizer.translate import translate_segments
from tests.fakes import FakeModel, spec, translate_one

PARAGRAPHS = [
    "Le maire a parlé. Il a promis des travaux !",
    "« — »",
    "...",
    "Une phrase assez longue pour remplir un lot entier de mots ici.",
    "Court. Le maire a parlé.",
]


def run(paragraphs, tmp_path, **overrides):
    model = FakeModel(spec(**overrides))
    translated, stats = translate_one(paragraphs, "fr", model, Cache(tmp_path / "c"))
    return model, translated, stats


def test_no_empty_or_punctuation_only_segment_reaches_the_model(tmp_path):
    model, translated, _ = run(PARAGRAPHS, tmp_path)
    sent = [text for batch in model.batches for text in batch]
    assert all(any(c.isalnum() for c in text) for text in sent)
    assert "« — »" not in sent and "..." not in sent
    # Passed through untouched, in place.
    assert translated[1:3] == ["« — »", "..."]


def test_paragraph_count_and_order_are_kept(tmp_path):
    _, translated, _ = run(PARAGRAPHS, tmp_path)
    assert len(translated) == len(PARAGRAPHS)
    assert translated[0] == "[Le maire a parlé.] [Il a promis des travaux !]"
    assert translated[4] == "[Court.] [Le maire a parlé.]"


def test_batches_are_sorted_by_length_and_bounded_by_batch_size(tmp_path):
    paragraphs = [" ".join(f"Phrase {'très ' * (i % 7)}numéro {i}." for i in range(20))]
    model, _, _ = run(paragraphs, tmp_path, batch_size=4, max_input_tokens=64)
    sent = [text for batch in model.batches for text in batch]
    assert all(len(batch) <= 4 for batch in model.batches)
    assert [len(t) for t in sent] == sorted(len(t) for t in sent)
    assert len(sent) == 20


@pytest.mark.parametrize("count", [0, 1, 2, 3, 5, 16, 17, 33, 64, 100])
@pytest.mark.parametrize(("batch_size", "parallel"), [(1, 1), (4, 1), (16, 1), (16, 2), (32, 3)])
def test_batches_keep_order_stay_within_size_and_give_every_thread_work(
    count, batch_size, parallel
):
    pieces = [f"p{i}" for i in range(count)]
    batches = plan_batches(pieces, batch_size, parallel)
    assert [p for batch in batches for p in batch] == pieces
    assert all(1 <= len(batch) <= batch_size for batch in batches)
    assert max(map(len, batches), default=0) - min(map(len, batches), default=0) <= 1
    fewest = -(-count // batch_size)
    assert len(batches) == min(count, -(-fewest // parallel) * parallel)


def test_a_model_running_two_batches_at_once_gets_two_from_a_short_paragraph(tmp_path):
    paragraph = "Un. Deux mots. Trois mots ici. Quatre mots sont ici. Cinq mots sont bien ici."
    model = FakeModel(spec(batch_size=16), parallel_batches=2)
    translated, _ = translate_one([paragraph], "fr", model, Cache(tmp_path / "c"))
    assert [len(batch) for batch in model.batches] == [3, 2]
    assert translated[0].count("[") == 5


def test_long_segment_is_split_to_fit_and_nothing_is_truncated(tmp_path):
    sentence = " ".join(f"mot{i}" for i in range(50)) + "."
    model, translated, stats = run([sentence], tmp_path, max_input_tokens=16)
    sent = [text for batch in model.batches for text in batch]
    assert len(sent) > 1
    assert all(model.count_tokens(text) <= 16 for text in sent)
    assert translated[0].replace("[", "").replace("]", "").split() == sentence.split()
    assert stats.segments == 1 and stats.cache_misses == 1


def test_max_new_tokens_is_bounded_by_each_segments_own_length(tmp_path):
    long = " ".join(["mot"] * 19) + "."
    paragraphs = ["Bonjour à tous.", "Un deux trois quatre cinq six.", long]
    model, _, _ = run(paragraphs, tmp_path, max_input_tokens=64)
    # 4 and 7 tokens round up to 16, 20 to 24: two bounds, never in one batch.
    assert model.batches == [["Bonjour à tous.", "Un deux trois quatre cinq six."], [long]]
    bounds = [settings["max_new_tokens"] for settings in model.settings]
    assert bounds == [2 * 16 + 16, 2 * 24 + 16]
    assert all(settings["num_beams"] == 2 for settings in model.settings)


@pytest.mark.parametrize(
    ("tokens", "bucket"),
    [(1, 16), (16, 16), (17, 24), (24, 24), (25, 32), (33, 48), (49, 64), (65, 96), (97, 128)],
)
def test_output_bounds_round_input_lengths_up_to_a_coarse_bucket(tokens, bucket):
    assert length_bucket(tokens) == bucket
    assert bounded_settings({"max_new_tokens": 512}, tokens)["max_new_tokens"] == 2 * bucket + 16
    assert bounded_settings({"max_new_tokens": 20}, tokens)["max_new_tokens"] == 20


def test_pieces_with_different_bounds_never_share_a_batch():
    pieces = [f"p{i}" for i in range(10)]
    group = {piece: index // 4 for index, piece in enumerate(pieces)}.get
    batches = plan_batches(pieces, 3, 2, group=group)
    assert [p for batch in batches for p in batch] == pieces
    assert all(len({group(p) for p in batch}) == 1 for batch in batches)
    assert all(len(batch) <= 3 for batch in batches) and len(batches) % 2 == 0


def test_second_run_is_served_from_the_cache_without_model_calls(tmp_path):
    cache = Cache(tmp_path / "c")
    first = FakeModel(spec())
    out1, stats1 = translate_one(PARAGRAPHS, "fr", first, cache)
    second = FakeModel(spec())
    out2, stats2 = translate_one(PARAGRAPHS, "fr", second, cache)
    assert out1 == out2
    assert second.calls == 0 and second.token_counts == 0
    assert (stats2.segments, stats2.cache_hits, stats2.cache_misses) == (stats1.segments, 5, 0)


def test_repeated_sentence_is_translated_once_and_counted_as_a_hit(tmp_path):
    model, _, stats = run(PARAGRAPHS, tmp_path)
    sent = [text for batch in model.batches for text in batch]
    assert sent.count("Le maire a parlé.") == 1
    assert (stats.segments, stats.cache_misses, stats.cache_hits) == (5, 4, 1)


def test_changed_generation_setting_misses_the_cache(tmp_path):
    cache = Cache(tmp_path / "c")
    translate_one(PARAGRAPHS, "fr", FakeModel(spec()), cache)
    changed = FakeModel(spec(generation={"num_beams": 3, "max_new_tokens": 512}))
    _, stats = translate_one(PARAGRAPHS, "fr", changed, cache)
    assert stats.cache_misses == 4 and changed.calls > 0


def test_each_batch_is_cached_as_soon_as_it_is_translated(tmp_path):
    cache = Cache(tmp_path / "c")

    class FailsOnSecondBatch(FakeModel):
        def generate(self, texts, settings):
            if self.calls == 1:
                raise RuntimeError("killed")
            return super().generate(texts, settings)

    paragraphs = [" ".join(f"Phrase numéro {i}." for i in range(6))]
    with pytest.raises(RuntimeError, match="killed"):
        translate_one(paragraphs, "fr", FailsOnSecondBatch(spec(batch_size=3)), cache)
    again = FakeModel(spec(batch_size=3))
    _, stats = translate_one(paragraphs, "fr", again, cache)
    assert (stats.cache_hits, stats.cache_misses) == (3, 3)


def test_a_target_token_starts_every_input_and_is_part_of_the_cache_key(tmp_path):
    cache = Cache(tmp_path / "c")
    plain = FakeModel(spec())
    translate_one(["Le maire a parlé."], "fr", plain, cache)
    tagged = FakeModel(spec(target_token=">>eng<<"))
    translated, stats = translate_one(["Le maire a parlé."], "fr", tagged, cache)
    # Not served the untagged model's cached output: the token changes the input.
    assert stats.cache_misses == 1
    assert tagged.batches == [[">>eng<< Le maire a parlé."]]
    assert translated == ["[>>eng<< Le maire a parlé.]"]


def test_the_target_token_counts_against_the_input_limit(tmp_path):
    # FakeModel counts one token per word (+1): ">>eng<<" makes 8 words 10 tokens, over 9.
    sentence = "Un deux trois quatre cinq six sept huit."
    model = FakeModel(spec(target_token=">>eng<<", max_input_tokens=9))
    translate_one([sentence], "fr", model, Cache(tmp_path / "c"))
    sent = [text for batch in model.batches for text in batch]
    assert len(sent) > 1 and all(model.count_tokens(text) <= 9 for text in sent)
    assert all(text.startswith(">>eng<< ") for text in sent)


def test_a_long_segment_is_as_sure_as_its_least_sure_piece(tmp_path):
    class UnsureOfTheEnd(FakeModel):
        def confidence(self, text: str) -> float:
            return -3.0 if "fin" in text else -0.5

    model = UnsureOfTheEnd(spec(max_input_tokens=16))
    long_sentence = "Le maire " + " ".join(f"mot{i}," for i in range(40)) + " et voici la fin."
    cache = Cache(tmp_path / "c")
    translated, _computed = translate_segments([long_sentence], model, cache)
    assert len(model.batches[0]) + sum(map(len, model.batches[1:])) > 1  # it was cut
    assert translated[long_sentence].confidence == -3.0
    # The whole segment's record, stored once its last piece was done, says the same.
    again, computed = translate_segments([long_sentence], FakeModel(model.spec), cache)
    assert not computed and again[long_sentence].confidence == -3.0
