"""Each output's confidence (engines.Generation), on both engines: the mean log-probability
of the tokens the model generated, recomputed here independently of the engines' own code.

That greedy float32 confidences are the same on both engines is checked beside their equal
outputs, in test_ctranslate2.py (test_length_settings_mean_the_same_for_both_engines).
"""

from __future__ import annotations

import itertools
import math
from types import SimpleNamespace

import pytest

from summarizer.config import ModelSpec, load_config
from summarizer.engines import Generation, TransformersModel, load_model
from summarizer.engines.confidence import transformers_confidences
from summarizer.engines.ctranslate2_engine import ctranslate2_options
from tests.model_builders import FRENCH_CORPUS

TEXTS = [*FRENCH_CORPUS[:3], "Oui, merci."]


@pytest.fixture(scope="session")
def translators(tiny_ctranslate2):
    """The tiny translator on each engine, loaded once: torch, and ctranslate2 at int8 (as
    the shipped models.toml runs it) from the session's conversions."""
    config, conversions = tiny_ctranslate2
    spec = load_config(config).models["tiny-marian"]
    return {
        "torch": load_model(spec.with_engine("torch")),
        "ctranslate2": load_model(spec, cache_dir=conversions),
    }


@pytest.mark.parametrize("beams", [1, 3])
@pytest.mark.parametrize("engine", ["torch", "ctranslate2"])
def test_every_output_has_a_finite_confidence_at_most_zero_in_request_order(
    engine, beams, translators
):
    model = translators[engine]
    requests = [
        (TEXTS[:3], {"num_beams": beams, "max_new_tokens": 5}),
        (TEXTS[3:], {"num_beams": beams, "max_new_tokens": 12}),
        (list(FRENCH_CORPUS[4:9]), {"num_beams": beams, "max_new_tokens": 8}),
    ]
    batches = list(model.generate_batches(iter(requests)))
    assert [len(outputs) for outputs in batches] == [len(texts) for texts, _ in requests]
    for (texts, settings), outputs in zip(requests, batches, strict=True):
        assert all(isinstance(output, Generation) for output in outputs)
        # The texts are generate()'s, in order (each request's have their own length).
        assert [output.text for output in outputs] == model.generate(texts, settings)
        for output in outputs:
            assert math.isfinite(output.confidence) and output.confidence <= 0
    assert len({outputs[0].text for outputs in batches}) == 3


@pytest.mark.parametrize("beams", [1, 2])
@pytest.mark.parametrize("engine", ["torch", "ctranslate2"])
def test_a_confidence_does_not_depend_on_its_batch_companions(engine, beams, translators):
    """The same input alone and between longer ones (padded, run together): the same
    confidence, at the right place."""
    model = translators[engine]
    texts = [FRENCH_CORPUS[4] + " " + FRENCH_CORPUS[5], "Oui, merci.", FRENCH_CORPUS[0]]
    settings = {"num_beams": beams, "max_new_tokens": 20}
    alone = [next(model.generate_batches([([text], settings)]))[0] for text in texts]
    (together,) = model.generate_batches([(texts, settings)])
    assert [output.text for output in together] == [output.text for output in alone]
    expected = [output.confidence for output in alone]
    assert [output.confidence for output in together] == pytest.approx(expected, abs=1e-6)
    # The inputs' confidences lie further apart than that: a swap would show.
    assert min(abs(a - b) for a, b in itertools.combinations(expected, 2)) > 1e-5


def test_torch_confidence_is_the_mean_log_probability_of_the_generated_tokens(tiny_models):
    """Recomputed from one forward pass of the model over its own output (teacher forcing):
    log-softmax over the tokens generation may choose (not the ones generation_config bans,
    as ctranslate2's Marian has no <pad>), averaged over the generated tokens up to and
    including the end of sentence, but not the end of sentence forced at the length limit."""
    import torch

    spec = ModelSpec(name="m", task="translation", model=str(tiny_models["marian"]), is_local=True)
    model = TransformersModel(spec)
    model._load()
    hf, config = model._model, model._model.generation_config
    inputs = model._tokenizer(TEXTS, return_tensors="pt", padding=True)
    ends = set()
    for eos_bias in (0.0, 0.5):  # as built: every output runs to the limit; biased: ends early
        with torch.no_grad():
            hf.final_logits_bias[0, config.eos_token_id] += eos_bias
        for beams in (1, 2):
            settings = {"num_beams": beams, "max_new_tokens": 9}
            (outputs,) = model.generate_batches([(TEXTS, settings)])
            with torch.no_grad():
                sequences = hf.generate(**inputs, **settings)
                logits = hf(**inputs, decoder_input_ids=sequences[:, :-1]).logits
            assert model._decode(sequences) == [output.text for output in outputs]
            for (banned,) in config.bad_words_ids:
                logits[..., banned] = -math.inf
            generated = sequences[:, 1:]
            log_probs = logits.log_softmax(-1).gather(2, generated.unsqueeze(2)).squeeze(2)
            for row, output in enumerate(outputs):
                end = generated[row].tolist().index(config.eos_token_id) + 1
                counted = end - 1 if end == settings["max_new_tokens"] else end
                expected = log_probs[row, :counted].mean().item()
                assert output.confidence == pytest.approx(expected, abs=1e-5)
                ends.add(end)
    assert {9, 2} <= ends  # both kinds of ending were scored


@pytest.mark.parametrize("length_penalty", [0.0, 1.0, 2.0])
@pytest.mark.parametrize("beams", [1, 2])
def test_ctranslate2_confidence_is_the_mean_log_probability_of_the_generated_tokens(
    beams, length_penalty, translators
):
    """Recomputed by ctranslate2's own scoring of the output it generated (score_batch:
    teacher forcing, each token's log-probability and then the end of sentence's, which these
    outputs, cut at the length limit, did not generate). The length penalty that divides
    ctranslate2's score changes no confidence."""
    model = translators["ctranslate2"]
    settings = {"num_beams": beams, "max_new_tokens": 9, "length_penalty": length_penalty}
    (outputs,) = model.generate_batches([(TEXTS, settings)])
    tokenizer, translator = model._tokenizer, model._translator
    source = [tokenizer.convert_ids_to_tokens(tokenizer.encode(text)) for text in TEXTS]
    options = ctranslate2_options({**model._defaults, **settings}, forced_eos=model._forced_eos)
    results = translator.translate_batch(source, max_input_length=0, **options)
    hypotheses = [result.hypotheses[0] for result in results]
    assert {len(tokens) for tokens in hypotheses} == {options["max_decoding_length"]}
    for scored, output in zip(translator.score_batch(source, hypotheses), outputs, strict=True):
        assert scored.tokens[-1] == "</s>"
        expected = sum(scored.log_probs[:-1]) / (len(scored.log_probs) - 1)
        assert output.confidence == pytest.approx(expected, abs=1e-5)


def test_torch_scores_count_neither_forced_tokens_nor_what_follows_an_end():
    """generate()'s scores as transformers returns them for a batch whose rows end at
    different steps: a greedy row that ended is padded, a beam row's later steps have beam
    index -1, and a step that allows one token only (a forced BOS or end of sentence) is
    not the model's choice."""
    import torch

    eos, pad = 0, 3

    def step(*rows):  # logits per row; None: every token but the first banned (forced)
        full = [[0.0, -math.inf, -math.inf, -math.inf] if r is None else r for r in rows]
        return torch.tensor(full)

    def log_prob(row, token):
        return torch.tensor(row).log_softmax(-1)[token].item()

    a, b, c = [1.0, 2.0, 0.5, -math.inf], [0.0, 1.0, 3.0, -math.inf], [2.0, 0.0, 1.0, -math.inf]
    greedy = SimpleNamespace(
        # decoder start, then: row 0 ends at step 2 and is padded; row 1 is forced to end.
        sequences=torch.tensor([[pad, 1, eos, pad], [pad, 2, 2, eos]]),
        scores=(step(a, b), step(a, c), step(b, None)),
    )
    assert transformers_confidences(greedy, eos) == pytest.approx(
        [(log_prob(a, 1) + log_prob(a, eos)) / 2, (log_prob(b, 2) + log_prob(c, 2)) / 2]
    )
    beam = SimpleNamespace(
        sequences=torch.tensor([[pad, 1, eos, pad], [pad, 2, 1, eos]]),
        # two beams per input; the search ran a step past these outputs
        scores=(step(a, b, c, a), step(b, a, a, c), step(c, c, b, b), step(a, a, a, a)),
        beam_indices=torch.tensor([[1, 0, -1, -1], [2, 3, 3, -1]]),
    )
    expected = [
        (log_prob(b, 1) + log_prob(b, eos)) / 2,
        (log_prob(c, 2) + log_prob(c, 1) + log_prob(b, eos)) / 3,
    ]
    assert transformers_confidences(beam, [eos]) == pytest.approx(expected)
    assert transformers_confidences(beam, None) == pytest.approx(expected)  # -1 says it alone
    forced_only = SimpleNamespace(sequences=torch.tensor([[pad, eos]]), scores=(step(None),))
    assert transformers_confidences(forced_only, eos) == [None]
