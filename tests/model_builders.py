"""Random-weight Marian fr->en and BART models with trained tokenizers, built offline.

The hub is not reachable from the machines that run the tests and the benchmarks, so both
build their models from scratch: the tokenizers are trained in-process on invented text and
the weights are random but seeded. Two builds into different folders give byte-identical
files.

A `Recipe` says how the tokenizers are trained and what the models look like apart from their
layer sizes (`Dims`): TINY for the test session's models (tests/tiny_models.py; a few seconds
on a small CPU), REAL for the benchmarks' stand-ins for opus-mt-fr-en and distilbart-cnn-12-6
(benchmarks/models.py): their vocabulary sizes (trained tokens padded with fillers), configs
and generation defaults, and a logits bias that makes every output full-length text.

torch, transformers and the tokenizer trainers are imported by the functions that use them,
so that importing this module (a benchmark's --help) stays quick.
"""

from __future__ import annotations

import contextlib
import io
import json
import string
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Invented sentences about everyday news. French covers the accents the pipeline must keep intact
# (é, è, à, ç, œ, « »); English gives the target side and BART something to learn merges from.
FRENCH_CORPUS: tuple[str, ...] = (
    "Le conseil municipal a voté mardi soir le budget de la ville pour l'année prochaine.",
    "La météo annonce de fortes pluies sur la côte atlantique à partir de jeudi.",
    "Les trains régionaux circuleront à nouveau normalement après trois jours de grève.",
    "Une nouvelle bibliothèque ouvrira ses portes au cœur du quartier en septembre.",
    "Le maire a déclaré : « Nous voulons des rues plus sûres pour les enfants. »",
    "Les prix de l'énergie ont légèrement baissé au cours du dernier trimestre.",
    "L'équipe locale de football a remporté le match deux buts à un.",
    "Un festival de musique gratuit se tiendra sur la place de la gare ce week-end.",
    "Les agriculteurs s'inquiètent de la sécheresse qui touche la région depuis juin.",
    "Le gouvernement présentera mercredi un projet de loi sur le logement.",
    "Une exposition consacrée à la photographie de rue attire de nombreux visiteurs.",
    "Les élèves reprendront les cours lundi après deux semaines de vacances.",
    "Le pont sera fermé à la circulation pendant les travaux de rénovation.",
    "Une entreprise française a reçu un prix pour son vélo électrique léger.",
    "Le ministre a reconnu que « la situation reste fragile » dans les hôpitaux.",
    "Les pompiers ont maîtrisé un incendie dans un entrepôt près du port.",
    "Le marché de Noël accueillera cette année plus de cent exposants.",
    "La fréquentation des musées a augmenté de dix pour cent cet été.",
    "Un nouveau service de bus reliera l'aéroport au centre-ville dès avril.",
    "Les chercheurs ont découvert une espèce de papillon jusque-là inconnue.",
    "Le tribunal rendra sa décision sur l'affaire à la fin du mois.",
    "Les habitants sont invités à trier leurs déchets avec soin.",
    "Ça fait plaisir de voir autant de monde au concert du dimanche.",
    "Le garçon a reçu une médaille pour son courage lors de l'inondation.",
    "Les sœurs ont ouvert une boulangerie réputée pour ses croissants.",
    "Le chômage a reculé pour le deuxième mois consécutif selon l'institut.",
    "À Lyon, la fête des lumières a réuni des milliers de personnes.",
    "La région investira dans les pistes cyclables et les transports en commun.",
    "Le vœu du club est de rejoindre la première division l'an prochain.",
    "Il a neigé très tôt cette année dans les Alpes et les Pyrénées.",
    "Les négociations entre syndicats et patronat reprendront la semaine prochaine.",
    "Le théâtre municipal propose des places à prix réduit pour les étudiants.",
    "Une panne d'électricité a privé de courant plusieurs milliers de foyers.",
    "Les résultats des élections seront connus dimanche soir vers vingt heures.",
    "Le chef cuisinier a présenté une recette de pot-au-feu à la télévision.",
    "Selon la préfecture, la qualité de l'air s'est améliorée cette semaine.",
    "Les bénévoles ont nettoyé la plage après la tempête de la nuit dernière.",
    "Le français et l'anglais sont enseignés dès l'école primaire.",
    "Une œuvre d'art volée il y a vingt ans a été retrouvée chez un collectionneur.",
    "Le président a reçu ses homologues européens pour un sommet sur le climat.",
)

ENGLISH_CORPUS: tuple[str, ...] = (
    "The city council approved next year's budget on Tuesday evening.",
    "Forecasters expect heavy rain along the Atlantic coast from Thursday.",
    "Regional trains will run normally again after a three-day strike.",
    "A new library will open in the heart of the neighbourhood in September.",
    'The mayor said: "We want safer streets for our children."',
    "Energy prices fell slightly over the last quarter.",
    "The local football team won the match two goals to one.",
    "A free music festival will take place in the station square this weekend.",
    "Farmers are worried about the drought affecting the region since June.",
    "The government will present a housing bill on Wednesday.",
    "An exhibition about street photography is drawing many visitors.",
    "Pupils will return to class on Monday after a two-week holiday.",
    "The bridge will be closed to traffic during the renovation work.",
    "A French company won an award for its light electric bicycle.",
    'The minister admitted that "the situation remains fragile" in hospitals.',
    "Firefighters brought a warehouse fire near the harbour under control.",
    "This year the Christmas market will host more than one hundred stalls.",
    "Museum attendance rose by ten percent this summer.",
    "A new bus service will link the airport to the city centre from April.",
    "Researchers have discovered a previously unknown species of butterfly.",
    "The court will deliver its ruling on the case at the end of the month.",
    "Residents are asked to sort their waste carefully.",
    "It is great to see so many people at the Sunday concert.",
    "The boy received a medal for his bravery during the flood.",
    "The sisters opened a bakery known for its croissants.",
    "Unemployment fell for the second month in a row, the institute said.",
    "In Lyon, the festival of lights brought together thousands of people.",
    "The region will invest in cycle lanes and public transport.",
    "The club hopes to reach the first division next year.",
    "Snow arrived very early this year in the Alps and the Pyrenees.",
    "Talks between unions and employers will resume next week.",
    "The municipal theatre offers cheaper tickets for students.",
    "A power cut left several thousand homes without electricity.",
    "Election results will be known on Sunday evening around eight o'clock.",
    "The chef presented a recipe for a traditional stew on television.",
    "According to officials, air quality improved this week.",
    "Volunteers cleaned the beach after last night's storm.",
    "French and English are taught from primary school onwards.",
    "A work of art stolen twenty years ago was found at a collector's home.",
    "The president welcomed his European counterparts for a climate summit.",
)

# Letters the corpus may not happen to contain, so any French/English text maps to real pieces
# instead of <unk> (e.g. a capital "B" that no invented sentence starts with).
REQUIRED_CHARS = (
    string.ascii_letters
    + string.digits
    + "àâäçéèêëîïôöùûüÿœæÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸŒÆ«»\u2019"
    + "!\"#$%&'()*+,-./:;?@[]_"
)

SEED = 0
SPM = "\u2581"  # SentencePiece's word start
BPE_SPACE = "\u0120"  # byte-level BPE's space
# REAL models' final_logits_bias: the favoured text tokens, and the ids never to generate.
WORD_BIAS = 10.0
NEVER_BIAS = -1e4


@dataclass(frozen=True)
class Dims:
    """One model's layer sizes."""

    d_model: int
    encoder_layers: int
    decoder_layers: int
    heads: int
    ffn: int

    def config(self) -> dict[str, int]:
        return {
            "d_model": self.d_model,
            "encoder_layers": self.encoder_layers,
            "decoder_layers": self.decoder_layers,
            "encoder_attention_heads": self.heads,
            "decoder_attention_heads": self.heads,
            "encoder_ffn_dim": self.ffn,
            "decoder_ffn_dim": self.ffn,
        }


TINY_DIMS = Dims(d_model=32, encoder_layers=2, decoder_layers=2, heads=4, ffn=64)


@dataclass(frozen=True)
class Recipe:
    """How a pair of models is built, apart from their layer sizes."""

    # Marian's SentencePiece model: its type and vocabulary size (a bound: the trainer stops
    # earlier on a small corpus).
    marian_model_type: str
    marian_pieces: int
    # BART's byte-level BPE vocabulary size (also a bound).
    bart_tokens: int
    # The models' vocabulary sizes, trained tokens padded with filler tokens that no text
    # produces; None: the trained tokens only. Marian's <pad> is its last id; BART's <mask>
    # is the id after its last, as in distilbart-cnn's tokenizer.
    marian_vocab: int | None = None
    bart_vocab: int | None = None
    # The published models' configs and generation defaults, and a final_logits_bias (zero in
    # the published models, so it costs what theirs does) that never ends an output early and
    # favours text tokens over fillers: outputs are as long as the length settings allow.
    published: bool = False


TINY = Recipe(marian_model_type="unigram", marian_pieces=400, bart_tokens=500)
# opus-mt-fr-en has 59514 ids (</s>=0, <unk>=1, <pad>=59513); distilbart-cnn-12-6's config
# 50264 (its tokenizer's <mask> is 50264). BPE for Marian: on so small a corpus unigram stops
# at ~850 pieces and cuts French words into ~2 pieces each, where opus-mt's 59k pieces take
# ~1.3 a word (so do these, on the texts they learned).
REAL = Recipe(
    marian_model_type="bpe",
    marian_pieces=8000,
    bart_tokens=8000,
    marian_vocab=59514,
    bart_vocab=50264,
    published=True,
)


def real_texts() -> list[str]:
    """What REAL tokenizers learn: the project's invented texts, one paragraph a line."""
    from tests.articles import (
        ENGLISH_ARTICLE,
        FRENCH_ARTICLE,
        FRENCH_ARTICLE_WITH_ENGLISH_QUOTE,
        FRENCH_PARAGRAPHS,
        SCRAPED_ENGLISH_ARTICLE,
        french_article,
        long_french_article,
    )

    texts = [
        *FRENCH_CORPUS,
        *ENGLISH_CORPUS,
        FRENCH_ARTICLE,
        ENGLISH_ARTICLE,
        *FRENCH_PARAGRAPHS,
        FRENCH_ARTICLE_WITH_ENGLISH_QUOTE,
        SCRAPED_ENGLISH_ARTICLE,
        long_french_article(5, 25),
        *(french_article(number, 12) for number in range(12)),
    ]
    return [line.strip() for text in texts for line in text.split("\n\n") if line.strip()]


def train_sentencepiece(
    sentences: Sequence[str],
    vocab_size: int,
    model_type: str = "unigram",
    required_chars: str = REQUIRED_CHARS,
    **options: Any,
) -> bytes:
    """Train a SentencePiece model in memory; one thread and a fixed seed keep it stable.

    The ids are laid out like the Opus-MT models: ``</s>`` = 0, ``<unk>`` = 1, no ``<s>``/pad
    (Marian's pad is appended after the last piece in ``vocab.json``). `required_chars` are
    pieces even where the sentences lack them; `options` go to the trainer as they are.
    """
    import sentencepiece as spm

    spm.set_random_generator_seed(SEED)
    buffer = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(sentences),
        model_writer=buffer,
        model_type=model_type,
        vocab_size=vocab_size,
        hard_vocab_limit=False,
        character_coverage=1.0,
        required_chars=required_chars,
        num_threads=1,
        shuffle_input_sentence=False,
        eos_id=0,
        unk_id=1,
        bos_id=-1,
        pad_id=-1,
        minloglevel=2,
        **options,
    )
    return buffer.getvalue()


def save_marian_tokenizer(folder: Path, vocab: dict[str, int]) -> None:
    """vocab.json and a fr->en MarianTokenizer's files, beside the folder's source.spm and
    target.spm."""
    from transformers import MarianTokenizer

    (folder / "vocab.json").write_text(
        json.dumps(vocab, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    tokenizer = MarianTokenizer(
        source_spm=str(folder / "source.spm"),
        target_spm=str(folder / "target.spm"),
        vocab=str(folder / "vocab.json"),
        source_lang="fr",
        target_lang="en",
        model_max_length=512,
    )
    tokenizer.save_pretrained(folder)


def write_marian_tokenizer(folder: Path, texts: Sequence[str], recipe: Recipe) -> list[str]:
    """One joint SentencePiece model for both sides and an Opus-MT style vocab.json (<pad>
    last, fillers before it): the trained pieces, in id order."""
    import sentencepiece as spm

    model_bytes = train_sentencepiece(
        texts, recipe.marian_pieces, recipe.marian_model_type, max_sentence_length=8192
    )
    # One joint model for both sides: transformers 5 decodes with the *source* spm when the vocab
    # is shared, so distinct models could render target-only pieces as unknown.
    for name in ("source.spm", "target.spm"):
        (folder / name).write_bytes(model_bytes)
    processor = spm.SentencePieceProcessor(model_proto=model_bytes)
    pieces = [processor.id_to_piece(i) for i in range(processor.get_piece_size())]
    vocab = {piece: index for index, piece in enumerate(pieces)}
    pad_id = (recipe.marian_vocab or len(pieces) + 1) - 1
    # MarianTokenizer decodes the fillers as " filler123"; SentencePiece never produces them.
    for index in range(len(pieces), pad_id):
        vocab[f"{SPM}filler{index}"] = index
    vocab["<pad>"] = pad_id
    if len(vocab) != pad_id + 1:
        raise RuntimeError("Marian filler tokens collide with trained pieces")
    save_marian_tokenizer(folder, vocab)
    return pieces


def build_marian(
    folder: Path,
    dims: Dims,
    texts: Sequence[str],
    recipe: Recipe = TINY,
    *,
    bart_folder: Path | None = None,
) -> dict[str, int]:
    """A Marian fr->en model and its tokenizer in `folder`. A published recipe favours the
    whole-word pieces that the BART tokenizer in `bart_folder` reads as one token each, so
    that translations have a known length in BART tokens."""
    import torch
    from transformers import GenerationConfig, MarianConfig, MarianMTModel

    folder.mkdir(parents=True, exist_ok=True)
    pieces = write_marian_tokenizer(folder, texts, recipe)
    vocab_size = recipe.marian_vocab or len(pieces) + 1
    pad_id = vocab_size - 1
    ids = {"pad_token_id": pad_id, "eos_token_id": 0, "decoder_start_token_id": pad_id}
    generation = {**ids, "forced_eos_token_id": 0, "bad_words_ids": [[pad_id]]}
    published: dict[str, Any] = {}
    if recipe.published:
        published = {"activation_function": "swish", "scale_embedding": True}
        published["forced_eos_token_id"] = 0
        # opus-mt-fr-en's generation_config.json.
        generation |= {"bos_token_id": 0, "max_length": 512, "num_beams": 4}
    config = MarianConfig(
        vocab_size=vocab_size, max_position_embeddings=512, **ids, **published, **dims.config()
    )
    torch.manual_seed(SEED)
    model = MarianMTModel(config)
    model.generation_config = GenerationConfig(**generation)
    record = {"trained_pieces": len(pieces)}
    if recipe.published:
        if bart_folder is None:
            raise ValueError("a published recipe's Marian model needs the BART tokenizer")
        words = one_bart_token_words(pieces, bart_folder)
        if len(words) < 20:
            raise RuntimeError(f"only {len(words)} Marian pieces are one BART token")
        set_logits_bias(model, vocab_size, favoured=words, never=[0, 1, pad_id])
        record["favoured_pieces"] = len(words)
    model.save_pretrained(folder)
    return record


def write_bart_tokenizer(folder: Path, texts: Sequence[str], recipe: Recipe) -> int:
    """Byte-level BPE with BART's ids (<s>=0, <pad>=1, </s>=2, <unk>=3, fillers, <mask>
    last): the number of trained tokens."""
    from tokenizers import ByteLevelBPETokenizer
    from transformers import BartTokenizer

    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(
        texts,
        vocab_size=recipe.bart_tokens,
        min_frequency=2,
        special_tokens=["<s>", "<pad>", "</s>", "<unk>"],
        show_progress=False,
    )
    bpe.save_model(str(folder))
    vocab = json.loads((folder / "vocab.json").read_text(encoding="utf-8"))
    trained = len(vocab)
    mask_id = recipe.bart_vocab or trained
    # Never produced from text (no merge makes them), decoded as " filler123".
    for index in range(trained, mask_id):
        vocab[f"{BPE_SPACE}filler{index}"] = index
    vocab["<mask>"] = mask_id
    if len(vocab) != mask_id + 1:
        raise RuntimeError("BART filler tokens collide with trained ones")
    (folder / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    tokenizer = BartTokenizer(
        vocab=str(folder / "vocab.json"),
        merges=str(folder / "merges.txt"),
        model_max_length=1024,
        model_input_names=["input_ids", "attention_mask"],
    )
    tokenizer.save_pretrained(folder)
    return trained


def build_bart(
    folder: Path, dims: Dims, texts: Sequence[str], recipe: Recipe = TINY
) -> dict[str, int]:
    """A BART summarizer and its tokenizer in `folder`. A published recipe favours every
    trained token over the fillers."""
    import torch
    from transformers import BartConfig, BartForConditionalGeneration, GenerationConfig

    folder.mkdir(parents=True, exist_ok=True)
    trained = write_bart_tokenizer(folder, texts, recipe)
    vocab_size = recipe.bart_vocab or trained + 1
    ids = {"bos_token_id": 0, "pad_token_id": 1, "eos_token_id": 2, "decoder_start_token_id": 2}
    forced = {"forced_bos_token_id": 0, "forced_eos_token_id": 2}
    generation: dict[str, Any] = {**ids, **forced}
    if recipe.published:
        # distilbart-cnn's published generation defaults (the pipeline passes its own anyway).
        generation |= {
            "num_beams": 4,
            "length_penalty": 2.0,
            "min_length": 56,
            "max_length": 142,
            "no_repeat_ngram_size": 3,
            "early_stopping": True,
        }
    config = BartConfig(
        vocab_size=vocab_size, max_position_embeddings=1024, **ids, **forced, **dims.config()
    )
    torch.manual_seed(SEED)
    model = BartForConditionalGeneration(config)
    model.generation_config = GenerationConfig(**generation)
    record = {"trained_tokens": trained}
    if recipe.published:
        set_logits_bias(model, vocab_size, favoured=range(4, trained), never=range(4))
        record["favoured_tokens"] = trained - 4
    model.save_pretrained(folder)
    return record


def set_logits_bias(
    model: Any, vocab_size: int, *, favoured: Sequence[int], never: Sequence[int]
) -> None:
    import torch

    bias = torch.zeros(vocab_size)
    bias[list(favoured)] = WORD_BIAS
    bias[list(never)] = NEVER_BIAS
    with torch.no_grad():
        model.final_logits_bias.copy_(bias.unsqueeze(0))


def one_bart_token_words(pieces: list[str], bart_folder: Path) -> list[int]:
    """Ids of SentencePiece pieces that are a whole word which BART reads as one token, with
    or without a space before it: text made of them has a known length in BART tokens."""
    from transformers import AutoTokenizer

    bart = AutoTokenizer.from_pretrained(bart_folder)
    chosen = []
    for index, piece in enumerate(pieces):
        word = piece[1:]
        if not (piece.startswith(SPM) and word.isalpha()):
            continue
        spaced = bart(" " + word, add_special_tokens=False)["input_ids"]
        bare = bart(word, add_special_tokens=False)["input_ids"]
        if len(spaced) == 1 and len(bare) == 1:
            chosen.append(index)
    return chosen


def check_decoding(folder: Path, vocab_size: int) -> None:
    """Every id of a padded vocabulary decodes without error, fillers included."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(folder)
    text = tokenizer.decode(list(range(vocab_size)), skip_special_tokens=True)
    if f"filler{vocab_size - 2}" not in text:
        raise RuntimeError(f"{folder}: filler tokens do not decode as expected")


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """No shard-writing bars, info logs or sacremoses hints; global state restored after."""
    from transformers.utils import logging as hf_logging

    bars_were_enabled = hf_logging.is_progress_bar_enabled()
    verbosity = hf_logging.get_verbosity()
    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Recommended: pip install sacremoses")
            yield
    finally:
        hf_logging.set_verbosity(verbosity)
        if bars_were_enabled:
            hf_logging.enable_progress_bar()
