"""Tiny random-weight seq2seq models for the test session.

The test machines cannot reach the Hugging Face hub, so the tests build miniature stand-ins for a
Marian fr->en translator and a BART summarizer from scratch: the tokenizers are trained in-process
on a small invented corpus and the weights are random but seeded. Two builds into different
folders give byte-identical files, and the whole build takes a few seconds on a small CPU.
"""

from __future__ import annotations

import contextlib
import io
import json
import pathlib
import string
import warnings
from collections.abc import Iterator, Sequence
from typing import Any

import sentencepiece as spm
import torch
from tokenizers import ByteLevelBPETokenizer
from transformers import (
    BartConfig,
    BartForConditionalGeneration,
    BartTokenizer,
    GenerationConfig,
    MarianConfig,
    MarianMTModel,
    MarianTokenizer,
)
from transformers.utils import logging as hf_logging

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

TINY_DIMS: dict[str, int] = {
    "d_model": 32,
    "encoder_layers": 2,
    "decoder_layers": 2,
    "encoder_attention_heads": 4,
    "decoder_attention_heads": 4,
    "encoder_ffn_dim": 64,
    "decoder_ffn_dim": 64,
}


def train_sentencepiece(
    sentences: Sequence[str], vocab_size: int, model_type: str = "unigram", **options: Any
) -> bytes:
    """Train a SentencePiece model in memory; one thread and a fixed seed keep it stable.

    The ids are laid out like the Opus-MT models: ``</s>`` = 0, ``<unk>`` = 1, no ``<s>``/pad
    (Marian's pad is appended after the last piece in ``vocab.json``). `options` go to the
    trainer as they are (the benchmarks' larger models need a few).
    """
    spm.set_random_generator_seed(0)
    buffer = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(sentences),
        model_writer=buffer,
        model_type=model_type,
        vocab_size=vocab_size,
        hard_vocab_limit=False,
        character_coverage=1.0,
        required_chars=REQUIRED_CHARS,
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


def save_marian_tokenizer(folder: pathlib.Path, vocab: dict[str, int]) -> None:
    """vocab.json and a fr->en MarianTokenizer's files, beside the folder's source.spm and
    target.spm."""
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


def _build_marian(folder: pathlib.Path) -> None:
    """Marian fr->en: shared source/target SentencePiece model, Opus-MT style vocab and ids."""
    folder.mkdir(parents=True, exist_ok=True)
    spm_bytes = train_sentencepiece(FRENCH_CORPUS + ENGLISH_CORPUS, vocab_size=400)
    # One joint model for both sides: transformers 5 decodes with the *source* spm when the vocab
    # is shared, so distinct models could render target-only pieces as unknown.
    for name in ("source.spm", "target.spm"):
        (folder / name).write_bytes(spm_bytes)
    processor = spm.SentencePieceProcessor(model_proto=spm_bytes)
    vocab = {processor.id_to_piece(i): i for i in range(processor.get_piece_size())}
    pad_id = len(vocab)
    vocab["<pad>"] = pad_id
    save_marian_tokenizer(folder, vocab)

    config = MarianConfig(
        vocab_size=len(vocab),
        max_position_embeddings=512,
        pad_token_id=pad_id,
        eos_token_id=0,
        decoder_start_token_id=pad_id,
        **TINY_DIMS,
    )
    torch.manual_seed(0)
    model = MarianMTModel(config)
    model.generation_config = GenerationConfig(
        decoder_start_token_id=pad_id,
        eos_token_id=0,
        forced_eos_token_id=0,
        pad_token_id=pad_id,
        bad_words_ids=[[pad_id]],
    )
    model.save_pretrained(folder)


def _build_bart(folder: pathlib.Path) -> None:
    """BART: byte-level BPE with the usual ids (<s>=0, <pad>=1, </s>=2, <unk>=3, <mask> last)."""
    folder.mkdir(parents=True, exist_ok=True)
    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(
        ENGLISH_CORPUS + FRENCH_CORPUS,
        vocab_size=500,
        min_frequency=2,
        special_tokens=["<s>", "<pad>", "</s>", "<unk>"],
        show_progress=False,
    )
    bpe.save_model(str(folder))
    vocab = json.loads((folder / "vocab.json").read_text(encoding="utf-8"))
    vocab["<mask>"] = len(vocab)
    (folder / "vocab.json").write_text(
        json.dumps(vocab, ensure_ascii=False) + "\n", encoding="utf-8"
    )

    tokenizer = BartTokenizer(
        vocab=str(folder / "vocab.json"),
        merges=str(folder / "merges.txt"),
        model_max_length=1024,
        model_input_names=["input_ids", "attention_mask"],
    )
    tokenizer.save_pretrained(folder)

    config = BartConfig(
        vocab_size=len(vocab),
        max_position_embeddings=1024,
        bos_token_id=0,
        pad_token_id=1,
        eos_token_id=2,
        decoder_start_token_id=2,
        forced_bos_token_id=0,
        forced_eos_token_id=2,
        **TINY_DIMS,
    )
    torch.manual_seed(0)
    model = BartForConditionalGeneration(config)
    model.generation_config = GenerationConfig(
        bos_token_id=0,
        pad_token_id=1,
        eos_token_id=2,
        decoder_start_token_id=2,
        forced_bos_token_id=0,
        forced_eos_token_id=2,
    )
    model.save_pretrained(folder)


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Hide the "Writing model shards" bar and the sacremoses hint; restore global state after."""
    bars_were_enabled = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Recommended: pip install sacremoses")
            yield
    finally:
        if bars_were_enabled:
            hf_logging.enable_progress_bar()


def build_tiny_models(root: pathlib.Path) -> dict[str, pathlib.Path]:
    """Build tiny random-weight models for the test session.

    Returns ``{"marian": folder, "bart": folder}``, both under ``root`` and loadable with
    ``AutoTokenizer`` / ``AutoModelForSeq2SeqLM.from_pretrained(folder)``.
    """
    folders = {"marian": root / "marian", "bart": root / "bart"}
    with _quiet():
        _build_marian(folders["marian"])
        _build_bart(folders["bart"])
    return folders


TINY_CONFIG = """\
[pipeline]
target_language = "en"
summarizer = "tiny-bart"

[pipeline.translators]
fr = "tiny-marian"

[models.tiny-marian]
task = "translation"
source = "fr"
target = "en"
model = "{marian}"
max_input_tokens = 64
batch_size = 16

[models.tiny-marian.generation]
num_beams = 2
max_new_tokens = 48

[models.tiny-bart]
task = "summarization"
target = "en"
model = "{bart}"
max_input_tokens = 128
batch_size = 2

[models.tiny-bart.generation]
num_beams = 2
min_length = 4
max_length = 24
no_repeat_ngram_size = 3
"""


def write_tiny_config(path: pathlib.Path, folders: dict[str, pathlib.Path]) -> pathlib.Path:
    """A models.toml that serves French with the tiny models."""
    path.write_text(TINY_CONFIG.format(**folders), encoding="utf-8")
    return path


if __name__ == "__main__":
    # python -m tests.tiny_models DIR: tiny models and DIR/tiny.toml, to try the CLI by hand.
    import sys

    target = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "tiny-models").resolve()
    config = write_tiny_config(target / "tiny.toml", build_tiny_models(target))
    print(f"summarizer summarize ARTICLE --config {config}")
