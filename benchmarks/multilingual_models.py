"""The multilingual benchmark's models: random-weight stand-ins in the real shapes of
nllb-200-distilled-600M and Qwen2.5-0.5B-Instruct (tests/multilingual_builders.py's REAL
recipe), built once beside the opus-mt-fr-en and distilbart-cnn ones (benchmarks/models.py),
and a models.toml that runs all four with ctranslate2 int8.

Equal lengths, as in the article benchmark: NLLB favours the words that the Marian model
favours (whole words that BART reads as one token each), so both translators write text of
the same kind, one word per generated token; Qwen favours the whole words it trained. Both
have the published vocabularies, so their embeddings and output layers cost what the real
ones do.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import shutil
import time
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from benchmarks.models import folder_size, toml_value, write_config
from tests.model_builders import SEED, SPM, TINY_DIMS, WORD_BIAS, Dims, quiet, real_texts
from tests.multilingual_builders import (
    REAL_MULTILINGUAL,
    TINY_DECODER_DIMS,
    DecoderDims,
    build_nllb,
    build_qwen2,
)

NLLB, QWEN = "nllb-200-distilled-600M", "qwen2.5-0.5b-instruct"
# Bump when the build changes: models built by an older version are rebuilt.
BUILD_VERSION = 2
RECORD = "multilingual-build.json"
# New tokens every Qwen summary is forced to (about distilbart-cnn's max_length).
SUMMARY_TOKENS = 142
# A chat summarizer's context, prompt and summary included (config.DEFAULT_CHAT_INPUT_TOKENS).
QWEN_INPUT_TOKENS = 4096
# The published layer sizes and vocabularies, or (--quick) the tests' tiny layers and the
# trained tokens only: padded, NLLB's 256k-entry vocabulary alone takes ten seconds to build
# and convert, and a smoke test needs the script to run, not the figures.
RECIPES = {
    "real": REAL_MULTILINGUAL,
    "quick": replace(REAL_MULTILINGUAL, nllb_vocab=None, qwen_vocab=None, qwen_rows=None),
}
SHAPES: dict[str, dict[str, Any]] = {
    "real": {
        "nllb": Dims(d_model=1024, encoder_layers=12, decoder_layers=12, heads=16, ffn=4096),
        "qwen2": DecoderDims(hidden=896, layers=24, heads=14, kv_heads=2, ffn=4864),
    },
    "quick": {"nllb": TINY_DIMS, "qwen2": TINY_DECODER_DIMS},
}


def marian_favoured_words(marian: Path) -> list[str]:
    """The words the Marian model's final_logits_bias favours (tests/model_builders.py):
    its pieces ``▁word`` that BART reads as one token, read back from the built files."""
    from safetensors import safe_open

    with safe_open(str(marian / "model.safetensors"), "pt") as weights:
        bias = weights.get_tensor("final_logits_bias")[0]
    vocab = json.loads((marian / "vocab.json").read_text(encoding="utf-8"))
    pieces = {index: piece for piece, index in vocab.items()}
    favoured = (bias == WORD_BIAS).nonzero().flatten().tolist()
    return [pieces[index].removeprefix(SPM) for index in favoured]


def build_key(shape: str, words: list[str], base_key: dict[str, Any]) -> dict[str, Any]:
    """What the built models depend on (the Marian model's favoured words among them):
    a different key rebuilds them."""
    texts = "\n".join(real_texts()).encode("utf-8")
    base = json.dumps(base_key, sort_keys=True).encode("utf-8")
    return {
        "version": BUILD_VERSION,
        "shape": shape,
        "dims": {name: asdict(dims) for name, dims in SHAPES[shape].items()},
        "recipe": asdict(RECIPES[shape]),
        "seed": SEED,
        "texts": hashlib.sha256(texts).hexdigest()[:16],
        "favoured_words": hashlib.sha256("\n".join(words).encode("utf-8")).hexdigest()[:16],
        "opus_distilbart_build": hashlib.sha256(base).hexdigest()[:16],
    }


def ensure_multilingual_models(folder: Path, shape: str, base_key: dict[str, Any]) -> dict:
    """NLLB and Qwen2 in `folder` (beside marian/ and bart/, built by ensure_models), built
    unless an identical build is there; a rebuild drops the old build's conversions."""
    record_path = folder / RECORD
    words = marian_favoured_words(folder / "marian")
    key = build_key(shape, words, base_key)
    with contextlib.suppress(OSError, ValueError):
        record = json.loads(record_path.read_text(encoding="utf-8"))
        if record.get("key") == key:
            record["reused"] = True
            return record
    for name in ("nllb", "qwen2"):
        shutil.rmtree(folder / name, ignore_errors=True)
        for old in (folder / "ct2-cache" / "ctranslate2").glob(f"{name}-*"):
            shutil.rmtree(old, ignore_errors=True)
    record_path.unlink(missing_ok=True)
    dims, recipe, texts = SHAPES[shape], RECIPES[shape], real_texts()
    print(f"building {shape}-shape NLLB and Qwen2 random models in {folder} (once)", flush=True)
    record: dict[str, Any] = {"key": key, "seconds": {}, "bytes": {}}
    with quiet():
        started = time.perf_counter()
        record["nllb"] = build_nllb(
            folder / "nllb", dims["nllb"], recipe, texts=texts, favoured_words=words
        )
        record["seconds"]["nllb"] = round(time.perf_counter() - started, 1)
        started = time.perf_counter()
        record["qwen2"] = build_qwen2(folder / "qwen2", dims["qwen2"], recipe, texts=texts)
        record["seconds"]["qwen2"] = round(time.perf_counter() - started, 1)
    record["nllb"]["marian_favoured_words"] = len(words)
    for name in ("nllb", "qwen2"):
        record["bytes"][name] = folder_size(folder / name)
    record_path.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    record["reused"] = False
    return record


def write_multilingual_config(
    path: Path, models: Path, translation_tokens: int, summary_tokens: int
) -> Path:
    """benchmarks.models.write_config's opus-mt-fr-en and distilbart-cnn, and the NLLB and
    Qwen stand-ins, all on ctranslate2 int8. NLLB translates as opus-mt does (beam 4, forced
    to `translation_tokens`); Qwen summarizes greedily (the chat default), forced to
    `summary_tokens` new tokens."""
    write_config(path, models, translation_tokens, engine="ctranslate2")
    tables: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
        NLLB: (
            {
                "kind": "many-to-many",
                "task": "translation",
                "target": "en",
                "model": str(models / "nllb"),
                "max_input_tokens": 512,
                "batch_size": 32,
                "licence": "CC-BY-NC-4.0",
            },
            {
                "num_beams": 4,
                "max_new_tokens": translation_tokens,
                "min_new_tokens": translation_tokens,
            },
        ),
        QWEN: (
            {
                "kind": "chat",
                "task": "summarization",
                "target": "en",
                "model": str(models / "qwen2"),
                "max_input_tokens": QWEN_INPUT_TOKENS,
                "batch_size": 4,
                "licence": "Apache-2.0",
            },
            {"max_new_tokens": summary_tokens, "min_new_tokens": summary_tokens},
        ),
    }
    lines = []
    for name, (table, generation) in tables.items():
        table = {"engine": "ctranslate2", "compute_type": "int8", **table}
        lines += ["", f"[models.{json.dumps(name)}]"]
        lines += [f"{key} = {toml_value(value)}" for key, value in table.items()]
        lines += ["", f"[models.{json.dumps(name)}.generation]"]
        lines += [f"{key} = {toml_value(value)}" for key, value in generation.items()]
    with path.open("a", encoding="utf-8") as file:
        file.write("\n".join(lines) + "\n")
    return path
