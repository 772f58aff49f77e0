"""The benchmarks' real-shape models: built once under a models folder and reused, a
models.toml with the shipped settings pointed at them, and their ctranslate2 conversions."""

from __future__ import annotations

import contextlib
import hashlib
import json
import shutil
import time
from collections.abc import Collection
from dataclasses import asdict
from pathlib import Path
from typing import Any

from summarizer.config import ENGINES, Config, load_config
from summarizer.engines import converted_folder, ensure_converted
from tests.model_builders import (
    NEVER_BIAS,
    REAL,
    SEED,
    TINY_DIMS,
    WORD_BIAS,
    Dims,
    build_bart,
    build_marian,
    check_decoding,
    quiet,
    real_texts,
)

ROOT = Path(__file__).resolve().parent.parent
MODELS_DIR = ROOT / "benchmarks" / ".models"
RESULTS_DIR = ROOT / "benchmarks" / "results"
SHIPPED_CONFIG = ROOT / "models.toml"
TRANSLATOR, SUMMARIZER = "opus-mt-fr-en", "distilbart-cnn"
# Bump when the build changes: models built by an older version are rebuilt.
BUILD_VERSION = 2
# Tokens every translation is forced to (article's --translation-tokens; folder's too).
DEFAULT_TOKENS = 24
# Layer sizes: opus-mt-fr-en's and distilbart-cnn-12-6's, or the tests' tiny ones (--quick),
# both with the REAL recipe's vocabularies.
SHAPES: dict[str, dict[str, Dims]] = {
    "real": {"marian": Dims(512, 6, 6, 8, 2048), "bart": Dims(1024, 12, 6, 16, 4096)},
    "quick": {"marian": TINY_DIMS, "bart": TINY_DIMS},
}


def build_key(shape: str) -> dict[str, Any]:
    """What the built models depend on: a different key rebuilds them."""
    texts = "\n".join(real_texts()).encode("utf-8")
    return {
        "version": BUILD_VERSION,
        "shape": shape,
        "dims": {name: asdict(dims) for name, dims in SHAPES[shape].items()},
        "vocab": {"marian": REAL.marian_vocab, "bart": REAL.bart_vocab},
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
    texts = real_texts()
    dims = SHAPES[shape]
    print(f"building {shape}-shape random models in {folder} (once)", flush=True)
    record: dict[str, Any] = {"key": key, "seconds": {}, "bytes": {}}
    with quiet():
        started = time.perf_counter()
        # BART first: Marian's favoured pieces are the words BART reads as one token.
        record["bart"] = build_bart(folder / "bart", dims["bart"], texts, REAL)
        record["seconds"]["bart"] = round(time.perf_counter() - started, 1)
        started = time.perf_counter()
        record["marian"] = build_marian(
            folder / "marian", dims["marian"], texts, REAL, bart_folder=folder / "bart"
        )
        record["seconds"]["marian"] = round(time.perf_counter() - started, 1)
        check_decoding(folder / "marian", REAL.marian_vocab)
        check_decoding(folder / "bart", REAL.bart_vocab)
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


def write_config(
    path: Path, models: Path, translation_tokens: int, engine: str | None = None
) -> Path:
    """The shipped models.toml's settings for opus-mt-fr-en and distilbart-cnn, pointed at
    the random models, with translation lengths forced to `translation_tokens`; `engine`:
    run by it with its default compute type (None: the table says no engine)."""
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
            "engine": engine,
            "compute_type": ENGINES[engine][0] if engine else None,
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


def convert_once(
    config: Config,
    models: Path,
    record_name: str = "build.json",
    names: Collection[str] | None = None,
) -> dict[str, float]:
    """The config's models (or those `names`) converted to ctranslate2 int8 as the pipeline
    does, once per build: the seconds each conversion took, kept in the build's record
    (`record_name`) for later runs to report."""
    record_path = models / record_name
    record = json.loads(record_path.read_text(encoding="utf-8"))
    seconds = record.setdefault("conversion_seconds", {})
    for spec in config.with_engine("ctranslate2").models.values():
        if names is not None and spec.name not in names:
            continue
        if (converted_folder(spec, models / "ct2-cache") / "model.bin").is_file():
            continue
        started = time.perf_counter()
        with quiet():
            ensure_converted(spec, Path(spec.model), models / "ct2-cache", lambda message: None)
        seconds[spec.name] = round(time.perf_counter() - started, 1)
        record_path.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return seconds
