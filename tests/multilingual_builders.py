"""Random-weight M2M100, NLLB-200 and Qwen2 checkpoints with trained tokenizers, built offline.

Stand-ins for facebook/m2m100_418M, facebook/nllb-200-distilled-600M (an M2M100 model with
NLLB's tokenizer) and Qwen/Qwen2.5-0.5B-Instruct, for the tests of the engines that run them:
their configs, special ids, language tokens, chat template and generation defaults are the
published models', their layer sizes tiny. The tokenizers are trained in-process on invented
English, French, German and Spanish sentences and the weights are random but seeded, so the
whole build takes a few seconds and two builds give the same files.

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
    ENGLISH_CORPUS,
    FRENCH_CORPUS,
    REQUIRED_CHARS,
    SEED,
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


def build_nllb(folder: Path, dims: Dims = TINY_DIMS) -> dict[str, int]:
    """An M2M100 model with NLLB-200's tokenizer: a SentencePiece-style BPE (▁ word starts)
    with fairseq's <s>=0, <pad>=1, </s>=2, <unk>=3, then the 202 FLORES-200 language codes
    and <mask>, as in nllb-200-distilled-600M. Non-legacy: ``[lang] text </s>``."""
    from transformers import NllbTokenizer
    from transformers.models.nllb.tokenization_nllb import FAIRSEQ_LANGUAGE_CODES

    folder.mkdir(parents=True, exist_ok=True)
    special = ["<s>", "<pad>", "</s>", "<unk>"]
    vocab, merges = train_bpe(
        NllbTokenizer().backend_tokenizer, 600, special, list(MULTILINGUAL_CHARS), unk="<unk>"
    )
    trained = len(vocab)
    # In the vocabulary itself, so that the languages and then <mask> keep the published order.
    for token in [*FAIRSEQ_LANGUAGE_CODES, "<mask>"]:
        vocab[token] = len(vocab)
    tokenizer = NllbTokenizer(vocab=vocab, merges=merges, model_max_length=1024)
    if tokenizer.convert_tokens_to_ids("<mask>") != len(tokenizer) - 1:
        raise RuntimeError("NLLB special tokens moved")
    tokenizer.save_pretrained(folder)
    vocab_size = len(tokenizer) + NLLB_EXTRA_IDS
    save_m2m100_model(folder, dims, vocab_size, {"max_length": 200})
    return {"trained_tokens": trained, "vocab_size": vocab_size}


def save_m2m100_model(
    folder: Path, dims: Dims, vocab_size: int, generation: dict[str, Any]
) -> None:
    """A seeded M2M100ForConditionalGeneration (the published configs' defaults: ReLU, scaled
    embeddings, tied output layer, 1024 positions; INIT_STD) and its generation_config.json."""
    import torch
    from transformers import GenerationConfig, M2M100Config, M2M100ForConditionalGeneration

    config = M2M100Config(
        vocab_size=vocab_size,
        max_position_embeddings=1024,
        init_std=INIT_STD,
        **SEQ2SEQ_IDS,
        **dims.config(),
    )
    torch.manual_seed(SEED)
    model = M2M100ForConditionalGeneration(config)
    model.generation_config = GenerationConfig(**SEQ2SEQ_IDS, **generation)
    model.save_pretrained(folder)


def train_bpe(
    pipeline: Any,
    vocab_size: int,
    special_tokens: Sequence[str],
    alphabet: Sequence[str],
    unk: str | None = None,
) -> tuple[dict[str, int], list[tuple[str, str]]]:
    """A BPE vocabulary and merges trained on the corpus through a tokenizer's own normalizer
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
    tokenizer.train_from_iterator(MULTILINGUAL_CORPUS, trainer=trainer)
    model = json.loads(tokenizer.to_str())["model"]
    return model["vocab"], [tuple(pair) for pair in model["merges"]]


def build_qwen2(folder: Path, dims: DecoderDims = TINY_DECODER_DIMS) -> dict[str, int]:
    """A Qwen2ForCausalLM with a byte-level BPE Qwen2Tokenizer (Qwen's pre-tokenizer; its
    special tokens after the trained ones), a ChatML chat template and Qwen2.5-Instruct's
    config and generation defaults, kept greedy."""
    import torch
    from tokenizers import pre_tokenizers
    from transformers import GenerationConfig, Qwen2Config, Qwen2ForCausalLM, Qwen2Tokenizer

    folder.mkdir(parents=True, exist_ok=True)
    alphabet = pre_tokenizers.ByteLevel.alphabet()
    vocab, merges = train_bpe(Qwen2Tokenizer().backend_tokenizer, 800, [], alphabet)
    trained = len(vocab)
    for token in (ENDOFTEXT, IM_START, IM_END):
        vocab[token] = len(vocab)
    tokenizer = Qwen2Tokenizer(
        vocab=vocab,
        merges=merges,
        unk_token=None,
        eos_token=IM_END,
        pad_token=ENDOFTEXT,
        extra_special_tokens=[IM_START, IM_END],
        model_max_length=131072,
    )
    tokenizer.chat_template = QWEN_CHAT_TEMPLATE
    tokenizer.save_pretrained(folder)
    endoftext, im_end = vocab[ENDOFTEXT], vocab[IM_END]
    config = Qwen2Config(
        vocab_size=len(tokenizer),
        hidden_size=dims.hidden,
        num_hidden_layers=dims.layers,
        num_attention_heads=dims.heads,
        num_key_value_heads=dims.kv_heads,
        intermediate_size=dims.ffn,
        max_position_embeddings=32768,
        rope_parameters={"rope_type": "default", "rope_theta": 1000000.0},
        rms_norm_eps=1e-6,
        tie_word_embeddings=True,
        initializer_range=INIT_STD,
        bos_token_id=endoftext,
        eos_token_id=im_end,
    )
    torch.manual_seed(SEED)
    model = Qwen2ForCausalLM(config)
    # Qwen2.5-Instruct's generation_config.json without its sampling settings: greedy, the
    # default (do_sample false is then not written).
    model.generation_config = GenerationConfig(
        bos_token_id=endoftext, pad_token_id=endoftext, eos_token_id=[im_end, endoftext]
    )
    model.save_pretrained(folder)
    return {"trained_tokens": trained, "vocab_size": len(tokenizer)}


if __name__ == "__main__":
    # python -m tests.multilingual_builders DIR: the three tiny models, to try them by hand.
    import sys

    target = Path(sys.argv[1] if len(sys.argv) > 1 else "tiny-multilingual").resolve()
    for name, built in build_multilingual_models(target).items():
        print(f"{name}: {built}")
