"""The tiny M2M100, NLLB and Qwen2 checkpoints (tests/multilingual_builders.py).

What engine code relies on: the tokenizers' language tokens and chat template, every id within
the model's vocabulary, and greedy float32 outputs of ctranslate2 equal to transformers' with
the arguments mapped as below (the conversions take well under a second each).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest

from tests.model_builders import ENGLISH_CORPUS
from tests.multilingual_builders import (
    ENDOFTEXT,
    GERMAN_CORPUS,
    IM_END,
    SPANISH_CORPUS,
    MultilingualRecipe,
    build_multilingual_models,
    build_nllb,
    build_qwen2,
)

SOURCES = {
    "de": "Die Feuerwehr löschte in der Nacht einen Brand in der Küche.",
    "es": "¿Cuándo abrirá la biblioteca? ¡Mañana, dijo la señora Núñez!",
    "fr": "Le conseil municipal a voté le budget de la ville.",
}
LANGUAGE_TOKENS = {
    "m2m100": ({"de": "__de__", "es": "__es__", "fr": "__fr__"}, "__en__"),
    "nllb": ({"de": "deu_Latn", "es": "spa_Latn", "fr": "fra_Latn"}, "eng_Latn"),
}
NEW_TOKENS = 16


def load(folder: Path, model_class: str | None = None):
    import transformers

    tokenizer = transformers.AutoTokenizer.from_pretrained(folder)
    if model_class is None:
        return tokenizer, transformers.AutoConfig.from_pretrained(folder)
    return tokenizer, getattr(transformers, model_class).from_pretrained(folder)


def convert(folder: Path, target: Path) -> Path:
    """The float32 conversion, as the ctranslate2 engine makes it."""
    import ctranslate2

    ctranslate2.converters.TransformersConverter(str(folder)).convert(
        str(target), quantization="float32"
    )
    return target


@pytest.mark.parametrize("name", ["m2m100", "nllb"])
def test_translation_tokenizers_start_with_the_source_language(tiny_multilingual, name):
    tokenizer, _ = load(tiny_multilingual[name])
    assert type(tokenizer).__name__ == {"m2m100": "M2M100Tokenizer", "nllb": "NllbTokenizer"}[name]
    sources, _ = LANGUAGE_TOKENS[name]
    tokenizer.src_lang = sources["de"].strip("_")
    ids = tokenizer("Guten Tag")["input_ids"]
    assert tokenizer.convert_ids_to_tokens([ids[0], ids[-1]]) == [sources["de"], "</s>"]
    assert tokenizer.decode(ids, skip_special_tokens=True) == "Guten Tag"
    # The published ids, and no letter of the invented German or Spanish unknown.
    assert tokenizer.convert_tokens_to_ids(["<s>", "<pad>", "</s>", "<unk>"]) == [0, 1, 2, 3]
    for text in GERMAN_CORPUS + SPANISH_CORPUS:
        assert tokenizer.unk_token_id not in tokenizer(text)["input_ids"], text


@pytest.mark.parametrize("name", ["m2m100", "nllb", "qwen2"])
def test_every_token_id_is_within_the_models_vocabulary(tiny_multilingual, name):
    tokenizer, config = load(tiny_multilingual[name])
    ids = [*tokenizer.get_vocab().values(), *tokenizer.all_special_ids]
    assert len(tokenizer) <= config.vocab_size
    assert max(ids) < config.vocab_size
    if name != "qwen2":
        sources, target = LANGUAGE_TOKENS[name]
        for token in [*sources.values(), target]:
            assert tokenizer.convert_tokens_to_ids(token) in ids
        ends = (config.bos_token_id, config.pad_token_id, config.eos_token_id)
        assert (*ends, config.decoder_start_token_id) == (0, 1, 2, 2)


def test_qwen2_chat_template_is_chatml(tiny_multilingual):
    tokenizer, config = load(tiny_multilingual["qwen2"])
    user = [{"role": "user", "content": "Summarize: Der Stadtrat tagt."}]
    prompt = tokenizer.apply_chat_template(user, add_generation_prompt=True, tokenize=False)
    assert prompt == (
        "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
        "<|im_start|>user\nSummarize: Der Stadtrat tagt.<|im_end|>\n<|im_start|>assistant\n"
    )
    system = [{"role": "system", "content": "Be brief."}, *user]
    prompt = tokenizer.apply_chat_template(system, tokenize=False)
    assert prompt.startswith("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\n")
    assert prompt.endswith("tagt.<|im_end|>\n")
    assert (tokenizer.eos_token, tokenizer.pad_token) == (IM_END, ENDOFTEXT)
    special = tokenizer.convert_tokens_to_ids([ENDOFTEXT, "<|im_start|>", IM_END])
    assert tokenizer("<|im_start|>user")["input_ids"][0] == special[1]
    assert special == [config.bos_token_id, special[0] + 1, config.eos_token_id]


def test_qwen2_generates_text_greedily_without_warnings(tiny_multilingual):
    folder = tiny_multilingual["qwen2"]
    tokenizer, model = load(folder, "AutoModelForCausalLM")
    generation = json.loads((folder / "generation_config.json").read_text(encoding="utf-8"))
    assert generation["eos_token_id"] == tokenizer.convert_tokens_to_ids([IM_END, ENDOFTEXT])
    assert not {"temperature", "top_p", "top_k", "repetition_penalty"} & set(generation)
    messages = [{"role": "user", "content": "Summarize: " + SOURCES["de"]}]
    inputs = tokenizer.apply_chat_template(
        messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        output = model.generate(**inputs, max_new_tokens=20)
    new = output[0, inputs["input_ids"].shape[1] :]
    assert tokenizer.decode(new, skip_special_tokens=True).strip()


@pytest.mark.parametrize("name", ["m2m100", "nllb"])
def test_greedy_translations_agree_between_engines(tiny_multilingual, tmp_path, name):
    """max_decoding_length = max_new_tokens: both count the forced target language token
    (target_prefix in ctranslate2); neither forces a final </s>."""
    import ctranslate2

    folder = tiny_multilingual[name]
    tokenizer, model = load(folder, "AutoModelForSeq2SeqLM")
    converted = convert(folder, tmp_path / "ct2")
    vocabulary = json.loads((converted / "shared_vocabulary.json").read_text(encoding="utf-8"))
    ids = {token: index for index, token in enumerate(vocabulary)}
    translator = ctranslate2.Translator(str(converted), compute_type="float32")
    sources, target = LANGUAGE_TOKENS[name]
    outputs = set()
    for language, text in SOURCES.items():
        tokenizer.src_lang = sources[language].strip("_")
        inputs = tokenizer(text, return_tensors="pt")
        forced = tokenizer.convert_tokens_to_ids(target)
        expected = model.generate(
            **inputs, forced_bos_token_id=forced, num_beams=1, max_new_tokens=NEW_TOKENS
        )[0].tolist()
        result = translator.translate_batch(
            [tokenizer.convert_ids_to_tokens(inputs["input_ids"][0])],
            target_prefix=[[target]],
            beam_size=1,
            max_decoding_length=NEW_TOKENS,
            max_input_length=0,
            return_end_token=True,
        )[0]
        # transformers' output starts with the decoder start token, ctranslate2's after it.
        got = [model.config.decoder_start_token_id] + [ids[t] for t in result.hypotheses[0]]
        assert got == expected
        outputs.add(tuple(got))
    # Outputs that depend on the source: the agreement covers the encoder too.
    assert len(outputs) == len(SOURCES)


def test_greedy_generations_agree_between_engines(tiny_multilingual, tmp_path):
    """max_length = max_new_tokens with include_prompt_in_result=False (the prompt is not
    counted); end_token = generation_config's eos_token_id list (ctranslate2 otherwise stops
    at the tokenizer's eos_token only); min_length 0, the default, lets an end token come
    first, as in transformers."""
    import ctranslate2
    import torch

    folder = tiny_multilingual["qwen2"]
    tokenizer, model = load(folder, "AutoModelForCausalLM")
    generator = ctranslate2.Generator(str(convert(folder, tmp_path / "ct2")))

    def both(prompt: list[int], end_ids: list[int]) -> tuple[list[int], list[int]]:
        expected = model.generate(
            torch.tensor([prompt]), max_new_tokens=NEW_TOKENS, eos_token_id=end_ids
        )[0, len(prompt) :].tolist()
        result = generator.generate_batch(
            [tokenizer.convert_ids_to_tokens(prompt)],
            max_length=NEW_TOKENS,
            sampling_topk=1,
            include_prompt_in_result=False,
            end_token=end_ids,
            return_end_token=True,
        )[0]
        return expected, result.sequences_ids[0]

    ends = tokenizer.convert_tokens_to_ids([IM_END, ENDOFTEXT])
    outputs = set()
    for text in SOURCES.values():
        messages = [{"role": "user", "content": "Summarize: " + text}]
        prompt = tokenizer.apply_chat_template(
            messages, add_generation_prompt=True, return_dict=True
        )["input_ids"]
        expected, got = both(prompt, ends)
        assert got == expected
        assert len(expected) == NEW_TOKENS or expected[-1] in ends
        outputs.add(tuple(expected))
        # With the first token as an end token too, both engines stop at once.
        expected, got = both(prompt, [*ends, expected[0]])
        assert got == expected == expected[:1]
    assert len(outputs) == len(SOURCES)


@pytest.mark.slow
def test_two_builds_give_the_same_files(tiny_multilingual, tmp_path):
    again = build_multilingual_models(tmp_path)
    for name, folder in tiny_multilingual.items():
        files = sorted(path.name for path in folder.iterdir())
        assert files == sorted(path.name for path in again[name].iterdir())
        for file in files:
            assert (folder / file).read_bytes() == (again[name] / file).read_bytes(), file


# The benchmarks' REAL recipe with small paddings: its vocabularies and favoured outputs.
PADDED = MultilingualRecipe(
    nllb_vocab=1200, qwen_vocab=1000, qwen_rows=1100, init_std=0.02, published=True
)


def test_a_published_recipe_pads_vocabularies_and_writes_only_favoured_tokens(tmp_path):
    """What the benchmarks rely on: the vocabularies have the sizes asked for, their fillers
    decode and no text produces them, and ctranslate2 int8 outputs held to a length are made
    of the favoured tokens alone (NLLB: the words asked for; Qwen: its trained words)."""
    import ctranslate2
    import transformers

    words = sorted({word for text in ENGLISH_CORPUS for word in text.split() if word.isalpha()})
    nllb = build_nllb(tmp_path / "nllb", recipe=PADDED, favoured_words=words)
    qwen = build_qwen2(tmp_path / "qwen2", recipe=PADDED)
    assert nllb["vocab_size"] == PADDED.nllb_vocab + 2 and qwen["vocab_size"] == PADDED.qwen_rows
    tokenizer = transformers.AutoTokenizer.from_pretrained(tmp_path / "nllb")
    assert len(tokenizer) == PADDED.nllb_vocab
    assert tokenizer.convert_tokens_to_ids(["eng_Latn", "<mask>"])[1] == len(tokenizer) - 1
    filler = nllb["trained_tokens"]
    assert tokenizer.decode([filler]).strip() == f"filler{filler}"
    favoured = {tokenizer.convert_tokens_to_ids("\u2581" + w) for w in words} - {3}
    assert len(favoured) == nllb["favoured_tokens"] >= 20
    tokenizer.src_lang = "fra_Latn"
    translator = ctranslate2.Translator(str(convert(tmp_path / "nllb", tmp_path / "nllb-ct2")))
    source = [tokenizer.convert_ids_to_tokens(tokenizer(s)["input_ids"]) for s in SOURCES.values()]
    results = translator.translate_batch(
        source,
        target_prefix=[["eng_Latn"]] * len(source),
        beam_size=4,
        max_decoding_length=NEW_TOKENS,
        min_decoding_length=NEW_TOKENS,
        max_input_length=0,
    )
    for result in results:
        ids = tokenizer.convert_tokens_to_ids(result.hypotheses[0][1:])
        assert len(ids) == NEW_TOKENS - 1 and set(ids) <= favoured

    tokenizer = transformers.AutoTokenizer.from_pretrained(tmp_path / "qwen2")
    assert len(tokenizer) == PADDED.qwen_vocab + 22
    assert tokenizer.convert_tokens_to_ids(ENDOFTEXT) == PADDED.qwen_vocab
    text = " ".join(ENGLISH_CORPUS + SPANISH_CORPUS)
    assert max(tokenizer(text)["input_ids"]) < qwen["trained_tokens"]
    generator = ctranslate2.Generator(str(convert(tmp_path / "qwen2", tmp_path / "qwen2-ct2")))
    messages = [{"role": "user", "content": "Summarize: " + SOURCES["fr"]}]
    prompt = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
    ends = tokenizer.convert_tokens_to_ids([IM_END, ENDOFTEXT])
    (result,) = generator.generate_batch(
        [tokenizer.convert_ids_to_tokens(tokenizer(prompt)["input_ids"])],
        max_length=NEW_TOKENS,
        min_length=NEW_TOKENS,
        end_token=ends,
        include_prompt_in_result=False,
        repetition_penalty=1.1,
    )
    assert len(result.sequences_ids[0]) == NEW_TOKENS
    assert max(result.sequences_ids[0]) < qwen["trained_tokens"]
    assert all(token[0] == "\u0120" and token[1:].isalpha() for token in result.sequences[0])
