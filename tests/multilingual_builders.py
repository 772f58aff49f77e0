"""Random-weight M2M100, NLLB-200 and Qwen2 checkpoints with trained tokenizers, built offline.

Stand-ins for facebook/m2m100_418M, facebook/nllb-200-distilled-600M (an M2M100 model with
NLLB's tokenizer) and Qwen/Qwen2.5-0.5B-Instruct, for the tests of the engines that run them:
their configs, special ids, language tokens, chat template and generation defaults are the
published models', their layer sizes tiny. The tokenizers are trained in-process on invented
English, French, German and Spanish sentences and the weights are random but seeded, so the
whole build takes a few seconds and two builds give the same files.

A `MultilingualRecipe` says what the models look like apart from their layer sizes: TINY for
the tests, REAL for the benchmarks' stand-ins (benchmarks/multilingual_models.py): the
published vocabulary sizes (trained tokens padded with filler tokens, as tests/model_builders.py
pads Marian and BART), configs and generation defaults, and output rows that make every
output text (see favour_outputs).

torch, transformers and the tokenizer trainers are imported by the functions that use them,
like in tests/model_builders.py.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.model_builders import (
    BPE_SPACE,
    ENGLISH_CORPUS,
    FRENCH_CORPUS,
    REQUIRED_CHARS,
    SEED,
    SPM,
    TINY_DIMS,
    Dims,
    quiet,
    train_sentencepiece,
)

# Invented everyday news, with the letters the tokenizers must cover (ä ö ü ß, ñ á é í ó ú ¿ ¡).
GERMAN_CORPUS: tuple[str, ...] = (
    "Guten Tag, heute ist es draußen für die Jahreszeit sehr warm.",
    "Der Stadtrat hat am Dienstag den Haushalt für das nächste Jahr beschlossen.",
    "Für Donnerstag kündigt der Wetterdienst starken Regen an der Küste an.",
    "Nach drei Tagen Streik fahren die Regionalzüge wieder nach Fahrplan.",
    "Im Herbst öffnet eine neue Bücherei mitten im Viertel.",
    "Die Bürgermeisterin sagte: „Wir wollen sicherere Straßen für unsere Kinder.“",
    "Die Energiepreise sind im letzten Quartal leicht gesunken.",
    "Die örtliche Fußballmannschaft gewann das Spiel mit zwei zu eins.",
    "Am Wochenende findet auf dem Bahnhofsplatz ein kostenloses Musikfest statt.",
    "Die Bauern sorgen sich wegen der Trockenheit, die seit Juni anhält.",
    "Die Schüler kehren am Montag nach zwei Wochen Ferien in die Klassen zurück.",
    "Die Feuerwehr löschte in der Nacht einen Brand in einer Lagerhalle am Hafen.",
    "Auf dem Weihnachtsmarkt gibt es dieses Jahr mehr als hundert Stände.",
    "Forscher haben eine bisher unbekannte Schmetterlingsart entdeckt.",
    "Ein Stromausfall ließ mehrere tausend Haushalte ohne Licht.",
    "Die Gespräche zwischen Gewerkschaften und Arbeitgebern gehen nächste Woche weiter.",
)

SPANISH_CORPUS: tuple[str, ...] = (
    "El ayuntamiento aprobó el martes el presupuesto para el próximo año.",
    "Se esperan lluvias intensas en la costa a partir del jueves.",
    "Los trenes regionales vuelven a circular tras tres días de huelga.",
    "Una nueva biblioteca abrirá sus puertas en el barrio en septiembre.",
    "La alcaldesa dijo: «Queremos calles más seguras para los niños».",
    "¿Cuándo terminarán las obras del puente? Nadie lo sabe todavía.",
    "¡El equipo local ganó la final por dos goles a uno!",
    "Este fin de semana habrá un festival de música gratuito en la plaza.",
    "Los agricultores están preocupados por la sequía que afecta a la región.",
    "El Gobierno presentará el miércoles un proyecto de ley sobre vivienda.",
    "Los alumnos vuelven a clase el lunes después de dos semanas de vacaciones.",
    "Los bomberos apagaron un incendio en un almacén cerca del puerto.",
    "La señora Núñez recibió un premio por su trabajo con los niños del pueblo.",
    "Unos investigadores descubrieron una especie de mariposa desconocida.",
    "Un apagón dejó sin electricidad a varios miles de hogares el sábado.",
    "¿Habrá más autobuses nocturnos? El ayuntamiento lo decidirá en otoño.",
    "Mañana la temperatura subirá hasta treinta grados en el sur del país.",
)

MULTILINGUAL_CORPUS = ENGLISH_CORPUS + FRENCH_CORPUS + GERMAN_CORPUS + SPANISH_CORPUS
MULTILINGUAL_CHARS = REQUIRED_CHARS + "ßñÑáíóúÁÍÓÚ¿¡„“"

# The published models' special ids (fairseq's dictionary order).
SEQ2SEQ_IDS = {"bos_token_id": 0, "pad_token_id": 1, "eos_token_id": 2, "decoder_start_token_id": 2}
# M2M100Tokenizer's 8 "madeupword" ids after its language tokens: ctranslate2 appends them to
# the vocabulary, so the model has them too (m2m100_418M: 128004 + 100 + 8 = 128112 ids).
M2M100_MADEUP_WORDS = 8
# nllb-200-distilled-600M's model has 2 ids more than its tokenizer (256206 against 256204);
# ctranslate2 names them madeupword0 and 1.
NLLB_EXTRA_IDS = 2
# The weights' standard deviation: at the published 0.02 every input gives the same output
# (the decoder ignores the source or the prompt), so that the engines' agreement would prove
# nothing about the encoder or the prompt. At 0.3 outputs depend on the input and greedy
# float32 outputs still agree (at 1.0 near-ties made one in ten M2M100 outputs differ).
INIT_STD = 0.3
ENDOFTEXT, IM_START, IM_END = "<|endoftext|>", "<|im_start|>", "<|im_end|>"
# Qwen2.5's ChatML template, without its tool calls.
QWEN_CHAT_TEMPLATE = (
    "{%- if messages[0]['role'] == 'system' %}"
    "{{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}"
    "{%- else %}"
    "{{- '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}"
    "{%- endif %}"
    "{%- for message in messages %}"
    "{%- if not (loop.first and message['role'] == 'system') %}"
    "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}"
    "{%- endif %}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"
)


@dataclass(frozen=True)
class DecoderDims:
    """A decoder-only model's layer sizes."""

    hidden: int
    layers: int
    heads: int
    kv_heads: int
    ffn: int


TINY_DECODER_DIMS = DecoderDims(hidden=32, layers=2, heads=4, kv_heads=2, ffn=64)
# Qwen2.5's special tokens after its 151643 regular ones (<|endoftext|> first): the REAL
# recipe has them all, the tiny one the three that chat and generation use.
QWEN_SPECIALS = (
    ENDOFTEXT,
    IM_START,
    IM_END,
    "<|object_ref_start|>",
    "<|object_ref_end|>",
    "<|box_start|>",
    "<|box_end|>",
    "<|quad_start|>",
    "<|quad_end|>",
    "<|vision_start|>",
    "<|vision_end|>",
    "<|vision_pad|>",
    "<|image_pad|>",
    "<|video_pad|>",
    "<tool_call>",
    "</tool_call>",
    "<|fim_prefix|>",
    "<|fim_middle|>",
    "<|fim_suffix|>",
    "<|fim_pad|>",
    "<|repo_name|>",
    "<|file_sep|>",
)
# A published recipe's output rows: those of the favoured tokens keep their random values,
# every other row (fillers, specials, untrained or unwanted tokens) is multiplied by this.
# Their logits are then a thousand times smaller than the favoured tokens', some of which
# are well above zero at every step (given a few dozen of them), so the best tokens of every
# step are favoured ones (a test checks it, and the benchmarks count what was generated).
OTHER_ROWS_SCALE = 1e-3


@dataclass(frozen=True)
class MultilingualRecipe:
    """How the NLLB and Qwen2 models are built, apart from their layer sizes and texts."""

    # The BPE vocabulary sizes the tokenizers are trained to (bounds: the trainer stops
    # earlier on a small corpus).
    nllb_tokens: int = 600
    qwen_tokens: int = 800
    # NLLB's tokenizer entries (trained tokens, fillers, then the 202 languages and <mask>);
    # Qwen's regular tokens (trained, then fillers; its specials come after) and its model's
    # rows. None: the trained tokens only, and as many rows as the tokenizer has entries.
    nllb_vocab: int | None = None
    qwen_vocab: int | None = None
    qwen_rows: int | None = None
    # The weights' standard deviation.
    init_std: float = INIT_STD
    # Qwen's full list of specials and its published generation defaults, and every output
    # row but the favoured tokens' shrunk (favour_outputs): outputs are words.
    published: bool = False


TINY_MULTILINGUAL = MultilingualRecipe()
# nllb-200-distilled-600M: 256204 tokenizer entries, 256206 ids; Qwen2.5-0.5B-Instruct: 151643
# regular tokens, 22 specials, 151936 rows. The published init_std (0.02): the benchmarks
# need the cost of the shapes, not outputs that depend on the input.
REAL_MULTILINGUAL = MultilingualRecipe(
    nllb_tokens=8000,
    qwen_tokens=8000,
    nllb_vocab=256204,
    qwen_vocab=151643,
    qwen_rows=151936,
    init_std=0.02,
    published=True,
)


def build_multilingual_models(root: Path) -> dict[str, Path]:
    """The three tiny models under `root`: ``{"m2m100": folder, "nllb": folder, "qwen2":
    folder}``, each loadable with AutoTokenizer and its Auto model class."""
    folders = {name: root / name for name in ("m2m100", "nllb", "qwen2")}
    with quiet():
        build_m2m100(folders["m2m100"])
        build_nllb(folders["nllb"])
        build_qwen2(folders["qwen2"])
    return folders


def build_m2m100(folder: Path, dims: Dims = TINY_DIMS) -> dict[str, int]:
    """An M2M100 model with a real M2M100Tokenizer: a SentencePiece BPE model, a fairseq
    vocab.json (<s>, <pad>, </s>, <unk>, then the pieces), and the 100 ``__xx__`` language
    tokens that the tokenizer numbers after the vocabulary."""
    import sentencepiece as spm
    from transformers import M2M100Tokenizer

    folder.mkdir(parents=True, exist_ok=True)
    model_bytes = train_sentencepiece(
        MULTILINGUAL_CORPUS, 600, "bpe", required_chars=MULTILINGUAL_CHARS
    )
    (folder / "sentencepiece.bpe.model").write_bytes(model_bytes)
    processor = spm.SentencePieceProcessor(model_proto=model_bytes)
    vocab = {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3}
    for index in range(processor.get_piece_size()):
        vocab.setdefault(processor.id_to_piece(index), len(vocab))
    (folder / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    tokenizer = M2M100Tokenizer(
        vocab_file=str(folder / "vocab.json"),
        spm_file=str(folder / "sentencepiece.bpe.model"),
        model_max_length=1024,
    )
    # Registered as added tokens, at the ids the tokenizer gives them: transformers 5 leaves
    # them out of get_vocab() otherwise, and ctranslate2 then converts a vocabulary without
    # them (its M2M100 loader looks for them in the special_tokens_map that 5.x dropped).
    tokenizer.add_tokens(list(tokenizer.lang_token_to_id), special_tokens=True)
    if tokenizer.convert_tokens_to_ids("__zu__") != len(tokenizer) - 1:
        raise RuntimeError("M2M100 language tokens moved")
    tokenizer.save_pretrained(folder)
    vocab_size = len(tokenizer) + M2M100_MADEUP_WORDS
    # m2m100_418M's generation defaults, without a forced target language.
    generation = {"max_length": 200, "num_beams": 5, "early_stopping": True}
    save_m2m100_model(folder, dims, vocab_size, generation)
    return {"trained_pieces": processor.get_piece_size(), "vocab_size": vocab_size}


def build_nllb(
    folder: Path,
    dims: Dims = TINY_DIMS,
    recipe: MultilingualRecipe = TINY_MULTILINGUAL,
    *,
    texts: Sequence[str] = MULTILINGUAL_CORPUS,
    favoured_words: Sequence[str] = (),
) -> dict[str, int]:
    """An M2M100 model with NLLB-200's tokenizer: a SentencePiece-style BPE (▁ word starts)
    with fairseq's <s>=0, <pad>=1, </s>=2, <unk>=3, then the 202 FLORES-200 language codes
    and <mask>, as in nllb-200-distilled-600M. Non-legacy: ``[lang] text </s>``.

    A published recipe favours the tokens of `favoured_words` that are one piece each
    (``▁word``), so that translations are made of those words."""
    from transformers import NllbTokenizer
    from transformers.models.nllb.tokenization_nllb import FAIRSEQ_LANGUAGE_CODES

    folder.mkdir(parents=True, exist_ok=True)
    special = ["<s>", "<pad>", "</s>", "<unk>"]
    vocab, merges = train_bpe(
        NllbTokenizer().backend_tokenizer,
        recipe.nllb_tokens,
        special,
        list(MULTILINGUAL_CHARS),
        unk="<unk>",
        texts=texts,
    )
    trained = len(vocab)
    languages = [*FAIRSEQ_LANGUAGE_CODES, "<mask>"]
    # Decoded as " filler123"; no merge makes them, so no text produces them.
    fillers = (recipe.nllb_vocab or trained + len(languages)) - len(languages)
    for index in range(trained, fillers):
        vocab[f"{SPM}filler{index}"] = index
    if len(vocab) != fillers:
        raise RuntimeError("NLLB filler tokens collide with trained ones")
    # In the vocabulary itself, so that the languages and then <mask> keep the published order.
    for token in languages:
        vocab[token] = len(vocab)
    tokenizer = NllbTokenizer(vocab=vocab, merges=merges, model_max_length=1024)
    if tokenizer.convert_tokens_to_ids("<mask>") != len(tokenizer) - 1:
        raise RuntimeError("NLLB special tokens moved")
    tokenizer.save_pretrained(folder)
    vocab_size = len(tokenizer) + NLLB_EXTRA_IDS
    record = {"trained_tokens": trained, "vocab_size": vocab_size}
    favoured = None
    if recipe.published:
        favoured = [vocab[SPM + word] for word in favoured_words if SPM + word in vocab]
        if len(favoured) < 20:
            raise RuntimeError(f"only {len(favoured)} favoured words are one NLLB piece")
        record["favoured_tokens"] = len(favoured)
    save_m2m100_model(
        folder, dims, vocab_size, {"max_length": 200}, recipe.init_std, favoured=favoured
    )
    return record


def save_m2m100_model(
    folder: Path,
    dims: Dims,
    vocab_size: int,
    generation: dict[str, Any],
    init_std: float = INIT_STD,
    *,
    favoured: Sequence[int] | None = None,
) -> None:
    """A seeded M2M100ForConditionalGeneration (the published configs' defaults: ReLU, scaled
    embeddings, tied output layer, 1024 positions) and its generation_config.json; the
    `favoured` tokens' output rows kept and the others shrunk (favour_outputs)."""
    import torch
    from transformers import GenerationConfig, M2M100Config, M2M100ForConditionalGeneration

    config = M2M100Config(
        vocab_size=vocab_size,
        max_position_embeddings=1024,
        init_std=init_std,
        **SEQ2SEQ_IDS,
        **dims.config(),
    )
    torch.manual_seed(SEED)
    model = M2M100ForConditionalGeneration(config)
    model.generation_config = GenerationConfig(**SEQ2SEQ_IDS, **generation)
    if favoured is not None:
        favour_outputs(model, favoured)
    model.save_pretrained(folder)


def favour_outputs(model: Any, favoured: Sequence[int]) -> None:
    """Every output row but the `favoured` tokens' multiplied by OTHER_ROWS_SCALE, so that
    outputs are made of favoured tokens. M2M100 has no final_logits_bias (the REAL Marian and
    BART models' way) and Qwen2 no output bias: this changes values only, so the model
    costs what the published one does. The rows are the input embeddings too (tied, as
    published): inputs other than favoured tokens are near zero, which random weights do
    not mind."""
    import torch

    weight = model.get_output_embeddings().weight
    if weight.data_ptr() != model.get_input_embeddings().weight.data_ptr():
        raise RuntimeError("the output layer is not tied to the embeddings")
    others = torch.ones(weight.shape[0], dtype=torch.bool)
    others[list(favoured)] = False
    with torch.no_grad():
        weight[others] *= OTHER_ROWS_SCALE


def train_bpe(
    pipeline: Any,
    vocab_size: int,
    special_tokens: Sequence[str],
    alphabet: Sequence[str],
    unk: str | None = None,
    texts: Sequence[str] = MULTILINGUAL_CORPUS,
) -> tuple[dict[str, int], list[tuple[str, str]]]:
    """A BPE vocabulary and merges trained on `texts` through a tokenizer's own normalizer
    and pre-tokenizer (`pipeline`, a tokenizers.Tokenizer): the special tokens first."""
    from tokenizers import Tokenizer, models, trainers

    tokenizer = Tokenizer(models.BPE(unk_token=unk))
    if pipeline.normalizer is not None:
        tokenizer.normalizer = pipeline.normalizer
    tokenizer.pre_tokenizer = pipeline.pre_tokenizer
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=2,
        special_tokens=list(special_tokens),
        initial_alphabet=list(alphabet),
        show_progress=False,
    )
    tokenizer.train_from_iterator(texts, trainer=trainer)
    model = json.loads(tokenizer.to_str())["model"]
    return model["vocab"], [tuple(pair) for pair in model["merges"]]


def build_qwen2(
    folder: Path,
    dims: DecoderDims = TINY_DECODER_DIMS,
    recipe: MultilingualRecipe = TINY_MULTILINGUAL,
    *,
    texts: Sequence[str] = MULTILINGUAL_CORPUS,
) -> dict[str, int]:
    """A Qwen2ForCausalLM with a byte-level BPE Qwen2Tokenizer (Qwen's pre-tokenizer; its
    special tokens after the trained ones), a ChatML chat template and Qwen2.5-Instruct's
    config. Its generation defaults are kept greedy, or with a published recipe are the
    published ones (sampling, which the summarize stage turns off, and a repetition
    penalty), and its trained whole-word tokens are favoured over every other token."""
    import torch
    from tokenizers import pre_tokenizers
    from transformers import GenerationConfig, Qwen2Config, Qwen2ForCausalLM, Qwen2Tokenizer

    folder.mkdir(parents=True, exist_ok=True)
    alphabet = pre_tokenizers.ByteLevel.alphabet()
    vocab, merges = train_bpe(
        Qwen2Tokenizer().backend_tokenizer, recipe.qwen_tokens, [], alphabet, texts=texts
    )
    trained = len(vocab)
    # Decoded as " filler123"; no merge makes them, so no text produces them.
    for index in range(trained, recipe.qwen_vocab or trained):
        vocab[f"{BPE_SPACE}filler{index}"] = index
    if len(vocab) != (recipe.qwen_vocab or trained):
        raise RuntimeError("Qwen filler tokens collide with trained ones")
    specials = QWEN_SPECIALS if recipe.published else QWEN_SPECIALS[:3]
    for token in specials:
        vocab[token] = len(vocab)
    tokenizer = Qwen2Tokenizer(
        vocab=vocab,
        merges=merges,
        unk_token=None,
        eos_token=IM_END,
        pad_token=ENDOFTEXT,
        extra_special_tokens=[token for token in specials if token != ENDOFTEXT],
        model_max_length=131072,
    )
    tokenizer.chat_template = QWEN_CHAT_TEMPLATE
    tokenizer.save_pretrained(folder)
    endoftext, im_end = vocab[ENDOFTEXT], vocab[IM_END]
    config = Qwen2Config(
        vocab_size=recipe.qwen_rows or len(tokenizer),
        hidden_size=dims.hidden,
        num_hidden_layers=dims.layers,
        num_attention_heads=dims.heads,
        num_key_value_heads=dims.kv_heads,
        intermediate_size=dims.ffn,
        max_position_embeddings=32768,
        rope_parameters={"rope_type": "default", "rope_theta": 1000000.0},
        rms_norm_eps=1e-6,
        tie_word_embeddings=True,
        initializer_range=recipe.init_std,
        bos_token_id=endoftext,
        eos_token_id=im_end,
    )
    torch.manual_seed(SEED)
    model = Qwen2ForCausalLM(config)
    # Qwen2.5-Instruct's generation_config.json; greedy without its sampling settings (the
    # default: do_sample false is then not written).
    ids = {"bos_token_id": endoftext, "pad_token_id": endoftext}
    ids["eos_token_id"] = [im_end, endoftext]
    published: dict[str, Any] = {}
    record = {"trained_tokens": trained, "vocab_size": config.vocab_size}
    if recipe.published:
        published = {"do_sample": True, "temperature": 0.7, "top_p": 0.8, "top_k": 20}
        published["repetition_penalty"] = 1.1
        # Whole words (" council"): a summary is words, as long as its tokens, and the partial
        # summaries of a long article give its reduce rounds as much to read as real ones.
        words = [i for t, i in vocab.items() if t[0] == BPE_SPACE and t[1:].isalpha()]
        words = [index for index in words if index < trained]
        if len(words) < 20:
            raise RuntimeError(f"only {len(words)} trained Qwen tokens are whole words")
        favour_outputs(model, words)
        record["favoured_tokens"] = len(words)
    model.generation_config = GenerationConfig(**ids, **published)
    model.save_pretrained(folder)
    return record


if __name__ == "__main__":
    # python -m tests.multilingual_builders DIR: the three tiny models, to try them by hand.
    import sys

    target = Path(sys.argv[1] if len(sys.argv) > 1 else "tiny-multilingual").resolve()
    for name, built in build_multilingual_models(target).items():
        print(f"{name}: {built}")
