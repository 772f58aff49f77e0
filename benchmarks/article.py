"""One article, three ways: the naive path against summarizer's torch and ctranslate2 engines.

    python benchmarks/article.py                  # real shapes (builds them once, slow)
    python benchmarks/article.py --quick          # tiny shapes: a smoke test of the script
    python benchmarks/article.py --build-only     # build, convert, load and try the models
    python benchmarks/article.py --article FILE   # another article (e.g. a real one)

The hub is not reachable here, so the models are random-weight stand-ins in the real shapes
of opus-mt-fr-en (Marian) and distilbart-cnn-12-6 (BART), with tokenizers trained in-process
on the project's own invented texts (tests/tiny_models.py, tests/articles.py) and padded with
filler tokens to the real vocabulary sizes, so embeddings and output projections cost what
the real ones do. They are built once under --models-dir (git-ignored) and reused. The
tokenizers learned the built-in article's words (~1.3 pieces a word, as opus-mt's); an
--article they never saw splits into ~2.5 pieces a word, longer inputs than the real models
would get (the report prints words and tokens).

Random weights decide nothing, so output lengths are forced equal in every path:
- each model's final_logits_bias (zero in the real models, added at the same cost) gives
  -1e4 to end-of-sentence, padding and unknown, so no output stops early, and +10 to some
  trained tokens over fillers, so outputs are text: for BART every trained token, for
  Marian the whole-word pieces that BART reads as one token each, so every path's English
  text has the same length in BART tokens, hence the same chunks and summary lengths;
- translation runs with min_new_tokens = max_new_tokens = L (--translation-tokens) in every
  path; summaries use the pipeline's own per-chunk scaled_lengths, run to max_length.
The number of tokens each path generated is counted (from the token ids the engines
return) and printed, so equal lengths are shown, not assumed.

Timed, with models loaded and warmed up beforehand, on the same article, repeats interleaved
(naive, torch, ctranslate2, ...), medians reported:
- naive: transformers generate() one sentence at a time, then one chunk at a time, beam 4,
  no cache (the old pipelines);
- torch / ctranslate2: Summarizer.run() with that engine, a fresh empty cache each run.
Then, in child processes: a second `summarizer summarize` on a filled cache (wall time, and
with -X importtime whether torch or transformers was imported), and the time from launching
`summarizer summarize` (ctranslate2, models converted, new article) to the start of its first
translate_batch() call, reported by a wrapper around the translator that ends the process
there.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from summarizer.config import Config, ModelSpec, load_config  # noqa: E402
from summarizer.documents import Document, join_paragraphs, parse_text, read_document  # noqa: E402
from summarizer.engine import ensure_converted, load_model, thread_count  # noqa: E402
from summarizer.options import RunOptions  # noqa: E402
from summarizer.pipeline import Summarizer  # noqa: E402
from summarizer.segment import pack_chunks, split_sentences  # noqa: E402
from summarizer.summarize import MAX_ROUNDS, SHORT_TEXT_TOKENS, scaled_lengths  # noqa: E402
from summarizer.translate import join_translated, segments_of  # noqa: E402
from tests.articles import (  # noqa: E402
    ENGLISH_ARTICLE,
    FRENCH_ARTICLE,
    FRENCH_ARTICLE_WITH_ENGLISH_QUOTE,
    FRENCH_PARAGRAPHS,
    SCRAPED_ENGLISH_ARTICLE,
    french_article,
    long_french_article,
)
from tests.processes import child_env, imported_modules  # noqa: E402
from tests.tiny_models import (  # noqa: E402
    ENGLISH_CORPUS,
    FRENCH_CORPUS,
    save_marian_tokenizer,
    train_sentencepiece,
)

# Bump when the build changes: models built by an older version are rebuilt.
BUILD_VERSION = 2
SEED = 0
MARIAN_VOCAB = 59514  # opus-mt-fr-en: pieces, </s>=0, <unk>=1, <pad>=59513 last
BART_VOCAB = 50264  # distilbart-cnn-12-6's config; its tokenizer has <mask>=50264 beyond it
WORD_BIAS = 10.0
NEVER_BIAS = -1e4
SPM = "\u2581"  # SentencePiece's word start
BPE_SPACE = "\u0120"  # byte-level BPE's space
SHIPPED_CONFIG = ROOT / "models.toml"
TRANSLATOR, SUMMARIZER = "opus-mt-fr-en", "distilbart-cnn"
# Tokens every translation is forced to (--translation-tokens); benchmarks/folder.py too.
DEFAULT_TOKENS = 24
PATHS = ("naive", "torch", "ctranslate2")
TASKS = ("translate", "translate+summarize")
# Targets, as speedups of the ctranslate2 engine (models.toml's default) over naive.
TARGET_TRANSLATE, TARGET_FULL = 15.0, 8.0
TARGET_CACHED_SECONDS, TARGET_FIRST_BATCH_SECONDS = 0.5, 3.0
# Lets one engine's idle OpenMP threads stop spinning before the other engine's run.
PAUSE_SECONDS = 0.5


@dataclass(frozen=True)
class Dims:
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


SHAPES: dict[str, dict[str, Dims]] = {
    "real": {"marian": Dims(512, 6, 6, 8, 2048), "bart": Dims(1024, 12, 6, 16, 4096)},
    "quick": {"marian": Dims(32, 2, 2, 4, 64), "bart": Dims(32, 2, 2, 4, 64)},
}


# --- models -------------------------------------------------------------------------------


def training_texts() -> list[str]:
    """The project's invented texts, one paragraph a line: what the tokenizers learn from."""
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


def train_marian_sentencepiece(texts: list[str]) -> bytes:
    """tests/tiny_models.py's SentencePiece, but BPE: on so small a corpus unigram stops at
    ~850 pieces and cuts French words into ~2 pieces each, where opus-mt's 59k pieces take
    ~1.3 per word (so do these, on shipped text)."""
    return train_sentencepiece(texts, vocab_size=8000, model_type="bpe", max_sentence_length=8192)


def build_bart(folder: Path, dims: Dims, texts: list[str]) -> dict[str, int]:
    """distilbart-cnn-12-6's shape: byte-level BPE padded with fillers to 50265 tokens."""
    import torch
    from tokenizers import ByteLevelBPETokenizer
    from transformers import (
        BartConfig,
        BartForConditionalGeneration,
        BartTokenizer,
        GenerationConfig,
    )

    folder.mkdir(parents=True)
    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(
        texts,
        vocab_size=8000,
        min_frequency=2,
        special_tokens=["<s>", "<pad>", "</s>", "<unk>"],
        show_progress=False,
    )
    bpe.save_model(str(folder))
    vocab = json.loads((folder / "vocab.json").read_text(encoding="utf-8"))
    trained = len(vocab)
    # Fillers: never produced from text (no merge makes them), decoded as " filler123".
    for index in range(trained, BART_VOCAB):
        vocab[f"{BPE_SPACE}filler{index}"] = index
    vocab["<mask>"] = BART_VOCAB
    if len(vocab) != BART_VOCAB + 1:
        raise SystemExit("BART filler tokens collide with trained ones")
    (folder / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    tokenizer = BartTokenizer(
        vocab=str(folder / "vocab.json"),
        merges=str(folder / "merges.txt"),
        model_max_length=1024,
        model_input_names=["input_ids", "attention_mask"],
    )
    tokenizer.save_pretrained(folder)

    ids = {"bos_token_id": 0, "pad_token_id": 1, "eos_token_id": 2, "decoder_start_token_id": 2}
    forced = {"forced_bos_token_id": 0, "forced_eos_token_id": 2}
    config = BartConfig(
        vocab_size=BART_VOCAB,
        max_position_embeddings=1024,
        activation_function="gelu",
        **ids,
        **forced,
        **dims.config(),
    )
    torch.manual_seed(SEED)
    model = BartForConditionalGeneration(config)
    bias = torch.zeros(BART_VOCAB)
    bias[4:trained] = WORD_BIAS
    bias[:4] = NEVER_BIAS
    with torch.no_grad():
        model.final_logits_bias.copy_(bias.unsqueeze(0))
    # distilbart-cnn's published generation defaults (the pipeline passes its own anyway).
    model.generation_config = GenerationConfig(
        **ids,
        **forced,
        num_beams=4,
        length_penalty=2.0,
        min_length=56,
        max_length=142,
        no_repeat_ngram_size=3,
        early_stopping=True,
    )
    model.save_pretrained(folder)
    return {"trained_tokens": trained, "favoured_tokens": trained - 4}


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


def build_marian(folder: Path, dims: Dims, texts: list[str], bart_folder: Path) -> dict[str, int]:
    """opus-mt-fr-en's shape: one joint SentencePiece model, vocab.json padded with fillers
    to 59514 ids, <pad> last (Marian's decoder start)."""
    import sentencepiece as spm
    import torch
    from transformers import GenerationConfig, MarianConfig, MarianMTModel

    folder.mkdir(parents=True)
    model_bytes = train_marian_sentencepiece(texts)
    for name in ("source.spm", "target.spm"):
        (folder / name).write_bytes(model_bytes)
    processor = spm.SentencePieceProcessor(model_proto=model_bytes)
    pieces = [processor.id_to_piece(i) for i in range(processor.get_piece_size())]
    vocab = {piece: index for index, piece in enumerate(pieces)}
    pad_id = MARIAN_VOCAB - 1
    # Fillers: SentencePiece never produces them; MarianTokenizer decodes them as " filler123".
    for index in range(len(pieces), pad_id):
        vocab[f"{SPM}filler{index}"] = index
    vocab["<pad>"] = pad_id
    if len(vocab) != MARIAN_VOCAB:
        raise SystemExit("Marian filler tokens collide with trained pieces")
    save_marian_tokenizer(folder, vocab)

    config = MarianConfig(
        vocab_size=MARIAN_VOCAB,
        max_position_embeddings=512,
        activation_function="swish",
        scale_embedding=True,
        pad_token_id=pad_id,
        eos_token_id=0,
        decoder_start_token_id=pad_id,
        forced_eos_token_id=0,
        **dims.config(),
    )
    torch.manual_seed(SEED)
    model = MarianMTModel(config)
    words = one_bart_token_words(pieces, bart_folder)
    if len(words) < 20:
        raise SystemExit(f"only {len(words)} Marian pieces are one BART token; widen the corpus")
    bias = torch.zeros(MARIAN_VOCAB)
    bias[words] = WORD_BIAS
    bias[[0, 1, pad_id]] = NEVER_BIAS
    with torch.no_grad():
        model.final_logits_bias.copy_(bias.unsqueeze(0))
    # opus-mt-fr-en's generation_config.json.
    model.generation_config = GenerationConfig(
        bos_token_id=0,
        decoder_start_token_id=pad_id,
        eos_token_id=0,
        forced_eos_token_id=0,
        pad_token_id=pad_id,
        bad_words_ids=[[pad_id]],
        max_length=512,
        num_beams=4,
    )
    model.save_pretrained(folder)
    return {"trained_pieces": len(pieces), "favoured_pieces": len(words)}


def check_decoding(folder: Path, vocab_size: int) -> None:
    """Every id the model can emit decodes without error (fillers included)."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(folder)
    text = tokenizer.decode(list(range(vocab_size)), skip_special_tokens=True)
    if f"filler{vocab_size - 2}" not in text:
        raise SystemExit(f"{folder}: filler tokens do not decode as expected")


@contextlib.contextmanager
def quiet_transformers() -> Iterator[None]:
    """No shard-writing bars or sacremoses hints in the benchmark's output."""
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Recommended: pip install sacremoses")
        yield


def build_key(shape: str) -> dict[str, Any]:
    """What the built models depend on: a different key rebuilds them."""
    texts = "\n".join(training_texts()).encode("utf-8")
    return {
        "version": BUILD_VERSION,
        "shape": shape,
        "dims": {name: asdict(dims) for name, dims in SHAPES[shape].items()},
        "vocab": {"marian": MARIAN_VOCAB, "bart": BART_VOCAB},
        "seed": SEED,
        "bias": [WORD_BIAS, NEVER_BIAS],
        "texts": hashlib.sha256(texts).hexdigest()[:16],
    }


def folder_size(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def ensure_models(root: Path, shape: str) -> dict[str, Any]:
    """The models for `shape` under root/shape, built unless an identical build is there."""
    folder = root / shape
    record_path = folder / "build.json"
    key = build_key(shape)
    with contextlib.suppress(OSError, ValueError):
        record = json.loads(record_path.read_text(encoding="utf-8"))
        if record.get("key") == key:
            record["reused"] = True
            return record
    shutil.rmtree(folder, ignore_errors=True)
    texts = training_texts()
    print(f"building {shape}-shape random models in {folder} (once)", flush=True)
    record: dict[str, Any] = {"key": key, "seconds": {}, "bytes": {}}
    with quiet_transformers():
        started = time.perf_counter()
        record["bart"] = build_bart(folder / "bart", SHAPES[shape]["bart"], texts)
        record["seconds"]["bart"] = round(time.perf_counter() - started, 1)
        started = time.perf_counter()
        record["marian"] = build_marian(
            folder / "marian", SHAPES[shape]["marian"], texts, folder / "bart"
        )
        record["seconds"]["marian"] = round(time.perf_counter() - started, 1)
        check_decoding(folder / "marian", MARIAN_VOCAB)
        check_decoding(folder / "bart", BART_VOCAB)
    for name in ("marian", "bart"):
        record["bytes"][name] = folder_size(folder / name)
    record_path.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    record["reused"] = False
    return record


def toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return json.dumps(str(value))


def write_config(path: Path, models: Path, translation_tokens: int) -> Path:
    """The shipped models.toml's settings for opus-mt-fr-en and distilbart-cnn, pointed at
    the random models, with translation lengths forced to `translation_tokens`."""
    shipped = load_config(SHIPPED_CONFIG)
    translator, summarizer = shipped.models[TRANSLATOR], shipped.models[SUMMARIZER]
    translation = {
        **translator.generation,
        "max_new_tokens": translation_tokens,
        "min_new_tokens": translation_tokens,
    }
    lines = [
        "[pipeline]",
        'target_language = "en"',
        f"summarizer = {toml_value(SUMMARIZER)}",
        "",
        "[pipeline.translators]",
        f"fr = {toml_value(TRANSLATOR)}",
    ]
    for spec, folder, generation in (
        (translator, models / "marian", translation),
        (summarizer, models / "bart", summarizer.generation),
    ):
        table = {
            "task": spec.task,
            "source": spec.source,
            "target": spec.target,
            "model": str(folder),
            "max_input_tokens": spec.max_input_tokens,
            "batch_size": spec.batch_size,
        }
        lines += ["", f"[models.{spec.name}]"]
        lines += [f"{key} = {toml_value(value)}" for key, value in table.items() if value]
        lines += ["", f"[models.{spec.name}.generation]"]
        lines += [f"{key} = {toml_value(value)}" for key, value in generation.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def convert_once(config: Config, models: Path) -> dict[str, float]:
    """Both models converted to ctranslate2 int8 as the pipeline does, once per build: the
    seconds each conversion took, kept in build.json for later runs to report."""
    from summarizer.engine import converted_folder

    record_path = models / "build.json"
    record = json.loads(record_path.read_text(encoding="utf-8"))
    seconds = record.setdefault("conversion_seconds", {})
    for spec in config.with_engine("ctranslate2").models.values():
        if (converted_folder(spec, models / "ct2-cache") / "model.bin").is_file():
            continue
        started = time.perf_counter()
        with quiet_transformers():
            ensure_converted(spec, Path(spec.model), models / "ct2-cache", lambda message: None)
        seconds[spec.name] = round(time.perf_counter() - started, 1)
        record_path.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return seconds


# --- counting generated tokens ----------------------------------------------------------


@dataclass
class TokenLog:
    """Per task, what one path's model calls produced: calls, inputs (sentences or chunks),
    their tokens, and content tokens (specials excluded) per output."""

    calls: dict[str, int] = field(default_factory=dict)
    input_tokens: dict[str, list[int]] = field(default_factory=dict)
    output_tokens: dict[str, list[int]] = field(default_factory=dict)

    def reset(self) -> None:
        self.calls.clear()
        self.input_tokens.clear()
        self.output_tokens.clear()

    def add(self, task: str, input_tokens: list[int], output_tokens: list[int]) -> None:
        self.calls[task] = self.calls.get(task, 0) + 1
        self.input_tokens.setdefault(task, []).extend(input_tokens)
        self.output_tokens.setdefault(task, []).extend(output_tokens)

    def summary(self) -> dict[str, dict[str, Any]]:
        return {
            task: {
                "calls": self.calls[task],
                "inputs": len(self.output_tokens[task]),
                "input_tokens": sum(self.input_tokens[task]),
                "output_tokens": sum(self.output_tokens[task]),
                "per_output": sorted(set(self.output_tokens[task])),
            }
            for task in sorted(self.calls)
        }


def content_counts(output_ids: Any, special_ids: list[int]) -> list[int]:
    """Generated tokens per row of a generate() result, special tokens excluded."""
    import torch

    special = torch.tensor(special_ids)
    return (~torch.isin(output_ids, special)).sum(dim=1).tolist()


def input_counts(input_ids: Any, pad_id: int) -> list[int]:
    return (input_ids != pad_id).sum(dim=1).tolist()


def count_torch_model(model: Any, task: str, log: TokenLog) -> None:
    """Wrap a loaded TransformersModel's generate() to count its tokens (one Python call and
    a sum per batch: nothing measurable)."""
    hf_model, tokenizer = model._model, model._tokenizer
    original = hf_model.generate
    specials = list(tokenizer.all_special_ids)

    def generate(*args: Any, **kwargs: Any) -> Any:
        output_ids = original(*args, **kwargs)
        inputs = input_counts(kwargs["input_ids"], tokenizer.pad_token_id)
        log.add(task, inputs, content_counts(output_ids, specials))
        return output_ids

    hf_model.generate = generate


class CountingTranslator:
    """Stands in for a ctranslate2.Translator: passes translate_batch() through, counting."""

    def __init__(self, translator: Any, task: str, log: TokenLog, specials: set[str]) -> None:
        self._translator, self._task, self._log, self._specials = translator, task, log, specials

    def translate_batch(self, source: list[list[str]], **options: Any) -> Any:
        results = self._translator.translate_batch(source, **options)
        self._log.add(self._task, [len(tokens) for tokens in source], [])
        if options.get("asynchronous"):
            return [CountedResult(result, self) for result in results]
        for result in results:
            self.count_output(result)
        return results

    def count_output(self, result: Any) -> None:
        tokens = sum(token not in self._specials for token in result.hypotheses[0])
        self._log.output_tokens[self._task].append(tokens)


class CountedResult:
    """An asynchronous translate_batch() result that counts its output when it is read."""

    def __init__(self, pending: Any, translator: CountingTranslator) -> None:
        self._pending, self._translator = pending, translator

    def result(self) -> Any:
        result = self._pending.result()
        self._translator.count_output(result)
        return result


def count_ctranslate2_model(model: Any, task: str, log: TokenLog) -> None:
    specials = set(model._tokenizer.all_special_tokens)
    model._translator = CountingTranslator(model._translator, task, log, specials)


# --- the three paths ----------------------------------------------------------------------


class NaivePath:
    """The old pipelines: transformers models called directly, one sentence (then one chunk)
    per generate() call, beam 4, no cache."""

    def __init__(self, config: Config, threads: int) -> None:
        import torch
        from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

        torch.set_num_threads(threads)
        self.translator = config.models[TRANSLATOR]
        self.summarizer = config.models[SUMMARIZER]
        self.models = {}
        for spec in (self.translator, self.summarizer):
            tokenizer = AutoTokenizer.from_pretrained(spec.model)
            model = AutoModelForSeq2SeqLM.from_pretrained(spec.model).eval()
            self.models[spec.name] = (tokenizer, model)
        self.log = TokenLog()

    def _generate(self, spec: ModelSpec, text: str, settings: dict[str, Any]) -> str:
        tokenizer, model = self.models[spec.name]
        inputs = tokenizer(text, return_tensors="pt")
        output_ids = model.generate(**inputs, **settings)
        task = "translation" if spec is self.translator else "summarization"
        outputs = content_counts(output_ids, list(tokenizer.all_special_ids))
        self.log.add(task, [inputs["input_ids"].shape[1]], outputs)
        return tokenizer.decode(output_ids[0], skip_special_tokens=True).strip()

    def count_tokens(self, spec: ModelSpec, text: str) -> int:
        tokenizer, _model = self.models[spec.name]
        return len(tokenizer(text)["input_ids"])

    def run(self, document: Document, *, summarize: bool) -> str:
        """Every sentence translated alone; then every chunk summarized alone, as the
        pipeline chunks and reduces, with its per-chunk lengths (scaled_lengths)."""
        sentences = [split_sentences(p, "fr") for p in document.paragraphs]
        settings = dict(self.translator.generation)
        translations = {}
        for segment in (s for each in sentences for s in segments_of(each)):  # repeats too
            translations[segment] = self._generate(self.translator, segment, settings)
        english = join_paragraphs([join_translated(each, translations) for each in sentences])
        if not summarize:
            return english
        spec = self.summarizer
        settings = dict(spec.generation)

        def count(text: str) -> int:
            return self.count_tokens(spec, text)

        if count(english) <= max(settings.get("min_length", 0), SHORT_TEXT_TOKENS):
            return english
        parts = [s for p in english.split("\n\n") for s in split_sentences(p, "en")]
        chunks = pack_chunks(parts, spec.max_input_tokens, count)
        for _round in range(MAX_ROUNDS):
            partials = [
                self._generate(spec, chunk, scaled_lengths(settings, count(chunk)))
                for chunk in chunks
            ]
            if len(partials) == 1:
                return partials[0]
            joined = " ".join(partials)
            if count(joined) <= spec.max_input_tokens:
                chunks = [joined]
            else:
                sentences_en = split_sentences(joined, "en")
                chunks = pack_chunks(sentences_en, spec.max_input_tokens, count)
        raise SystemExit("naive summarization did not converge")


class EnginePath:
    """Summarizer.run() with every model on one engine, models loaded once and shared by
    a new Summarizer per run, each with a fresh, empty cache."""

    def __init__(self, config: Config, engine: str, ct2_cache: Path) -> None:
        self.config, self.engine = config, engine
        self.models: dict[str, Any] = {}
        self.ct2_cache = ct2_cache
        self.log = TokenLog()

    def loader(self, spec: ModelSpec, progress: Callable[[str], None]) -> Any:
        if spec.name not in self.models:
            self.models[spec.name] = load_model(
                spec, progress, cache_dir=self.ct2_cache, threads=self.config.threads
            )
        return self.models[spec.name]

    def summarizer(self, cache_dir: Path) -> Summarizer:
        return Summarizer(
            self.config, cache_dir=cache_dir, engine=self.engine, model_loader=self.loader
        )

    def start_counting(self) -> None:
        """After the warm-up, when the models are loaded."""
        for name, model in self.models.items():
            task = "translation" if name == TRANSLATOR else "summarization"
            if self.engine == "torch":
                count_torch_model(model, task, self.log)
            else:
                count_ctranslate2_model(model, task, self.log)


def fresh_cache(workdir: Path, name: str, ct2_cache: Path) -> Path:
    """An empty cache folder whose ctranslate2/ is the one holding the converted models."""
    folder = workdir / name
    folder.mkdir(parents=True)
    (folder / "ctranslate2").symlink_to(ct2_cache / "ctranslate2", target_is_directory=True)
    return folder


# --- child processes ------------------------------------------------------------------------

# Runs the summarizer command line as `python -m summarizer` does, with the ctranslate2
# translator wrapped so that its first translate_batch() call prints the wall-clock time and
# ends the process (the rest of the run is not what is measured).
FIRST_BATCH_PROBE = """
import os, sys, time
from summarizer import engine
from summarizer.cli import main

class FirstBatch:
    def __init__(self, translator):
        self.translator = translator
    def translate_batch(self, *args, **kwargs):
        print(f"first-batch {time.time():.6f}", flush=True)
        os._exit(0)

load = engine.CTranslate2Model._load
def probed_load(self):
    load(self)
    if not isinstance(self._translator, FirstBatch):
        self._translator = FirstBatch(self._translator)

engine.CTranslate2Model._load = probed_load
sys.argv = ["summarizer", *sys.argv[1:]]
main()
"""


def summarize_args(article: Path, config: Path, cache: Path) -> list[str]:
    return [
        "-m",
        "summarizer",
        "summarize",
        str(article),
        "--config",
        str(config),
        "--engine",
        "ctranslate2",
        "--cache-dir",
        str(cache),
        "--format",
        "json",
        "-q",
    ]


def cached_reruns(article: Path, config: Path, cache: Path, repeats: int) -> dict[str, Any]:
    """`summarizer summarize` again on a cache a full run filled: wall time from launch to
    exit, and (in one more run, with -X importtime) the engine modules it imported."""
    env = child_env()
    command = [sys.executable, *summarize_args(article, config, cache)]
    seconds, misses = [], []
    for _ in range(repeats):
        started = time.perf_counter()
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
        seconds.append(time.perf_counter() - started)
        if done.returncode != 0:
            raise SystemExit(f"cached rerun failed: {done.stderr.strip()}")
        stats = json.loads(done.stdout)["stats"]
        misses.append(stats["translation"]["cache_misses"] + stats["summarization"]["cache_misses"])
    command.insert(1, "-X")
    command.insert(2, "importtime")
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    modules = imported_modules(done.stderr)
    engines = sorted({m.split(".")[0] for m in modules} & {"torch", "transformers", "ctranslate2"})
    return {
        "seconds": seconds,
        "median": statistics.median(seconds),
        "cache_misses": misses,
        "engine_modules_imported": engines,
    }


def first_batch_latency(
    article: Path, config: Path, workdir: Path, ct2_cache: Path, repeats: int
) -> dict[str, Any]:
    """Launch to the first translate_batch() call of a ctranslate2 run of a new article,
    models already converted (each run gets an empty cache holding only the conversions)."""
    env = child_env()
    seconds = []
    for repeat in range(repeats):
        cache = fresh_cache(workdir, f"latency-{repeat}", ct2_cache)
        args = summarize_args(article, config, cache)[2:]  # what follows "-m summarizer"
        launched = time.time()
        done = subprocess.run(
            [sys.executable, "-c", FIRST_BATCH_PROBE, *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        lines = [line for line in done.stdout.splitlines() if line.startswith("first-batch ")]
        if not lines:
            raise SystemExit(f"no first batch seen: {done.stderr.strip()[-2000:]}")
        seconds.append(float(lines[0].split()[1]) - launched)
    return {"seconds": seconds, "median": statistics.median(seconds)}


# --- the run ------------------------------------------------------------------------------


def builtin_article() -> str:
    """28 sentences of the project's invented French news (tests/articles.py)."""
    return (
        FRENCH_ARTICLE.strip()
        + "\n\n"
        + " ".join(FRENCH_PARAGRAPHS)
        + "\n\n"
        + french_article(7, 14).strip()
        + "\n"
    )


def warm_up_text() -> str:
    """A different text, for the untimed first run that loads every model."""
    return " ".join(FRENCH_CORPUS[:6]) + "\n\n" + " ".join(FRENCH_CORPUS[6:12]) + "\n"


def timed(run: Callable[[], Any]) -> tuple[float, Any]:
    gc.collect()
    time.sleep(PAUSE_SECONDS)
    started = time.perf_counter()
    value = run()
    return time.perf_counter() - started, value


def machine() -> dict[str, Any]:
    import ctranslate2
    import torch
    import transformers

    return {
        "cpus": os.cpu_count(),
        "processor": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "ctranslate2": ctranslate2.__version__,
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
        "summarizer_threads": os.environ.get("SUMMARIZER_THREADS"),
    }


def build_only(models: Path, shape: str, workdir: Path, record: dict[str, Any]) -> None:
    """Load both models in both engines and run each once: one sentence translated, one
    paragraph summarized (with the lengths the pipeline would give it)."""
    config_path = write_config(workdir / "models.toml", models, DEFAULT_TOKENS)
    config = load_config(config_path)
    conversions = convert_once(config, models)
    print(f"ctranslate2 int8 conversion seconds: {conversions}")
    inputs = {TRANSLATOR: FRENCH_CORPUS[0], SUMMARIZER: " ".join(ENGLISH_CORPUS[:8])}
    for engine in ("torch", "ctranslate2"):
        for name, text in inputs.items():
            spec = config.with_engine(engine).models[name]
            with quiet_transformers():
                model = load_model(spec, cache_dir=models / "ct2-cache", threads=config.threads)
                started = time.perf_counter()
                tokens = model.count_tokens(text)
                loaded = time.perf_counter() - started
                settings = dict(spec.generation)
                if name == SUMMARIZER:
                    settings = scaled_lengths(settings, tokens)
                started = time.perf_counter()
                (output,) = model.generate([text], settings)
            print(
                f"{engine} {name}: loaded in {loaded:.1f} s, ran in "
                f"{time.perf_counter() - started:.2f} s: {output[:50]!r}..."
            )
    sizes = {name: round(size / 2**20) for name, size in record["bytes"].items()}
    ct2 = folder_size(models / "ct2-cache")
    print(f"sizes on disk (MiB): {sizes}, ctranslate2 int8 conversions: {ct2 / 2**20:.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="interleaved runs per path")
    parser.add_argument("--quick", action="store_true", help="tiny shapes: a smoke test")
    parser.add_argument("--build-only", action="store_true", help="build and try the models")
    parser.add_argument("--models-dir", type=Path, default=ROOT / "benchmarks" / ".models")
    parser.add_argument("--article", type=Path, help="a French article (default: built in)")
    parser.add_argument("--translation-tokens", type=int, default=DEFAULT_TOKENS, metavar="L")
    parser.add_argument("--json", type=Path, help="default: benchmarks/results/article.json")
    args = parser.parse_args()
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    shape = "quick" if args.quick else "real"
    json_path = (
        args.json or ROOT / "benchmarks" / "results" / f"article{'-quick' * args.quick}.json"
    )

    record = ensure_models(args.models_dir.resolve(), shape)
    models = args.models_dir.resolve() / shape
    built = "reused" if record["reused"] else "built"
    print(f"models {built}: {models} (build seconds {record['seconds']})")
    with tempfile.TemporaryDirectory(prefix="summarizer-article-") as tmp:
        workdir = Path(tmp)
        if args.build_only:
            build_only(models, shape, workdir, record)
            return
        results = benchmark(args, shape, models, record, workdir)
    report(results)
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {json_path}")


def warm_up(
    naive: NaivePath, engines: dict[str, EnginePath], workdir: Path, ct2_cache: Path
) -> None:
    """Load every model and run it once on another text, before any clock starts."""
    warm = warm_up_text()
    naive.run(parse_text(warm), summarize=True)
    naive.log.reset()
    for name, path in engines.items():
        summarizer = path.summarizer(fresh_cache(workdir, f"warm-{name}", ct2_cache))
        summarizer.run(warm, RunOptions(summarize=True))
        summarizer.close()
        path.start_counting()


def time_runs(
    naive: NaivePath,
    engines: dict[str, EnginePath],
    document: Document,
    repeats: int,
    workdir: Path,
    ct2_cache: Path,
) -> tuple[dict, dict, dict[str, set[int]], Path]:
    """Per repeat, per task: naive, torch, ctranslate2 in turn. Seconds and generated tokens
    per task and path, sentences translated per path, and the cache a full ctranslate2 run
    filled (for the cached rerun)."""
    seconds: dict[str, dict[str, list[float]]] = {t: {p: [] for p in PATHS} for t in TASKS}
    tokens: dict[str, dict[str, list[Any]]] = {t: {p: [] for p in PATHS} for t in TASKS}
    segments: dict[str, set[int]] = {p: set() for p in PATHS}
    full_cache = workdir
    for repeat in range(repeats):
        for task in TASKS:
            full = task == "translate+summarize"
            naive.log.reset()
            elapsed, _ = timed(lambda full=full: naive.run(document, summarize=full))
            seconds[task]["naive"].append(elapsed)
            tokens[task]["naive"].append(naive.log.summary())
            segments["naive"].add(naive.log.summary()["translation"]["inputs"])
            for name, path in engines.items():
                cache = fresh_cache(workdir, f"{name}-{task}-{repeat}", ct2_cache)
                summarizer = path.summarizer(cache)
                path.log.reset()
                elapsed, result = timed(
                    lambda s=summarizer, full=full: s.run(document, RunOptions(summarize=full))
                )
                summarizer.close()
                seconds[task][name].append(elapsed)
                tokens[task][name].append(path.log.summary())
                segments[name].add(result.stats["translation"]["segments"])
                if full and name == "ctranslate2":
                    full_cache = cache
        print(f"repeat {repeat + 1}/{repeats} done", flush=True)
    return seconds, tokens, segments, full_cache


def benchmark(
    args: argparse.Namespace, shape: str, models: Path, record: dict[str, Any], workdir: Path
) -> dict[str, Any]:
    length = args.translation_tokens
    config_path = write_config(workdir / "models.toml", models, length)
    config = load_config(config_path)
    ct2_cache = models / "ct2-cache"
    conversions = convert_once(config, models)
    if args.article:
        article_path = args.article.resolve()
    else:
        article_path = workdir / "article.txt"
        article_path.write_text(builtin_article(), encoding="utf-8")
    document = read_document(str(article_path))
    threads = thread_count(config.threads)

    with quiet_transformers():
        naive = NaivePath(config, threads)
        engines = {name: EnginePath(config, name, ct2_cache) for name in PATHS[1:]}
        warm_up(naive, engines, workdir, ct2_cache)
        segments = [s for p in document.paragraphs for s in segments_of(split_sentences(p, "fr"))]
        source_tokens = [naive.count_tokens(naive.translator, s) for s in segments]
        shortest_bound = 2 * min(source_tokens) + 16
        if shortest_bound < length:
            print(f"warning: the pipeline caps some sentences at {shortest_bound} < L={length}")
        runs = time_runs(naive, engines, document, args.repeats, workdir, ct2_cache)
        seconds, tokens, segment_counts, last_full_cache = runs

    cached = cached_reruns(article_path, config_path, last_full_cache, args.repeats)
    latency = first_batch_latency(article_path, config_path, workdir, ct2_cache, args.repeats)
    medians = {
        t: {p: statistics.median(v) for p, v in by_path.items()} for t, by_path in seconds.items()
    }
    speedups = {
        t: {p: by_path["naive"] / by_path[p] for p in PATHS} for t, by_path in medians.items()
    }
    targets = [
        target(
            "translate: ctranslate2 vs naive",
            speedups["translate"]["ctranslate2"],
            ">=",
            TARGET_TRANSLATE,
        ),
        target(
            "translate+summarize: ctranslate2 vs naive",
            speedups["translate+summarize"]["ctranslate2"],
            ">=",
            TARGET_FULL,
        ),
        target("cached rerun wall seconds", cached["median"], "<=", TARGET_CACHED_SECONDS),
        target(
            "cached rerun imports neither torch nor transformers",
            not {"torch", "transformers"} & set(cached["engine_modules_imported"]),
            "==",
            True,
        ),
        target(
            "ctranslate2 first batch, seconds after launch",
            latency["median"],
            "<=",
            TARGET_FIRST_BATCH_SECONDS,
        ),
    ]
    return {
        "shape": shape,
        "machine": machine(),
        "threads": threads,
        "repeats": args.repeats,
        "article": {
            "source": str(args.article) if args.article else "built in (tests/articles.py)",
            "paragraphs": len(document.paragraphs),
            "segments": len(segments),
            "segments_per_path": {p: sorted(c) for p, c in segment_counts.items()},
            "source_tokens": sum(source_tokens),
            "words": len(document.text.split()),
        },
        "forced_lengths": {
            "translation_new_tokens": length,
            "pipeline_bound_for_shortest_sentence": shortest_bound,
            "summarization": config.models[SUMMARIZER].generation,
        },
        "models": {
            "dims": record["key"]["dims"],
            "vocab": record["key"]["vocab"],
            "tokenizers": {"marian": record["marian"], "bart": record["bart"]},
            "build_seconds": record["seconds"],
            "bytes": record["bytes"],
            "conversion_seconds": conversions,
        },
        "seconds": seconds,
        "median_seconds": medians,
        "speedup_vs_naive": speedups,
        "generated_tokens": tokens,
        "cached_rerun": cached,
        "first_batch": latency,
        "targets": targets,
    }


def target(name: str, value: float | bool, op: str, limit: float | bool) -> dict[str, Any]:
    passed = {">=": value >= limit, "<=": value <= limit, "==": value == limit}[op]
    return {"name": name, "value": value, "op": op, "limit": limit, "pass": bool(passed)}


def report(results: dict[str, Any]) -> None:
    m = results["machine"]
    print()
    print(
        f"machine: {m['cpus']} CPUs, python {m['python']}, torch {m['torch']}, "
        f"transformers {m['transformers']}, ctranslate2 {m['ctranslate2']}; "
        f"threads per model: {results['threads']}; shapes: {results['shape']}"
    )
    a = results["article"]
    print(
        f"article: {a['source']}: {a['paragraphs']} paragraphs, {a['segments']} sentences, "
        f"{a['words']} words, {a['source_tokens']} Marian tokens; repeats: {results['repeats']}"
    )
    uneven = {p: c for p, c in a["segments_per_path"].items() if c != [a["segments"]]}
    if uneven:
        print(f"warning: the paths translated different numbers of sentences: {uneven}")
    print(f"\n{'task':<22}{'path':<13}{'median s':>10}{'vs naive':>10}   runs (s)")
    for task, by_path in results["seconds"].items():
        for path, runs in by_path.items():
            median = results["median_seconds"][task][path]
            ratio = results["speedup_vs_naive"][task][path]
            listed = " ".join(f"{s:.2f}" for s in runs)
            print(f"{task:<22}{path:<13}{median:>10.2f}{ratio:>9.1f}x   {listed}")
    print("\ngenerated tokens (content tokens, specials excluded; per run, identical runs merged):")
    for task, by_path in results["generated_tokens"].items():
        for path, runs in by_path.items():
            distinct = {json.dumps(run, sort_keys=True) for run in runs}
            for run in map(json.loads, sorted(distinct)):
                parts = [
                    f"{name}: {v['inputs']} inputs ({v['input_tokens']} tokens) in "
                    f"{v['calls']} calls -> {v['output_tokens']} tokens "
                    f"(each {'/'.join(map(str, v['per_output']))})"
                    for name, v in run.items()
                ]
                print(f"  {task:<20}{path:<13}{'; '.join(parts)}")
    c, f = results["cached_rerun"], results["first_batch"]
    imported = ", ".join(c["engine_modules_imported"]) or "none"
    print(
        f"\ncached rerun (subprocess, launch to exit): median {c['median']:.3f} s "
        f"({' '.join(f'{s:.3f}' for s in c['seconds'])}); cache misses {c['cache_misses']}; "
        f"engine modules imported: {imported}"
    )
    print(
        f"ctranslate2 first batch after launch: median {f['median']:.2f} s "
        f"({' '.join(f'{s:.2f}' for s in f['seconds'])})"
    )
    conv = results["models"]["conversion_seconds"]
    print(f"ctranslate2 int8 conversion seconds (once per build, not timed above): {conv}")
    print()
    for item in results["targets"]:
        value = item["value"]
        shown = f"{value:.3g}" if isinstance(value, float) else str(value)
        verdict = "PASS" if item["pass"] else "FAIL"
        print(f"{verdict}  {item['name']}: {shown} (target {item['op']} {item['limit']})")
    if results["shape"] == "quick":
        print("(quick shapes: the targets are for real shapes and mean nothing here)")


if __name__ == "__main__":
    main()
