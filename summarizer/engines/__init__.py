"""The only package that touches torch, transformers and ctranslate2, and only when a model
is used.

A fully cached run never constructs a tokenizer or a model, so it never pays for importing
torch. Model identity (what cache keys are made of) is computed from files on disk, without
loading anything (files.py).

Two engines run a model (models.toml `engine`): "torch" runs the transformers model as
published (transformers_engine.py); "ctranslate2" converts it once into a quantized
CTranslate2 model under the cache folder and runs that, faster on a CPU
(ctranslate2_engine.py, ctranslate2_conversion.py). Both tokenize with the transformers
tokenizer, and their greedy float32 outputs are identical, and so, to float noise, are the
confidences they give them (confidence.py).

Importing this package imports none of them: every module here imports its heavy library
inside the function that needs it (a test checks).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Protocol

from summarizer.config import ModelSpec
from summarizer.engines.base import Generation
from summarizer.engines.ctranslate2_conversion import (
    CONVERSION_RECORD,
    CONVERSION_VERSION,
    Converter,
    convert_model,
    converted_folder,
    ensure_converted,
)
from summarizer.engines.ctranslate2_engine import CTranslate2Model, ctranslate2_options
from summarizer.engines.families import (
    context_length,
    language_scheme,
    languages_of,
    model_kind,
    source_code,
    target_token,
)
from summarizer.engines.files import (
    engine_label,
    ensure_all_present,
    ensure_present,
    folder_fingerprint,
    hub_cache_folder,
    is_present_locally,
    model_identity,
    pull,
    resolved_revision,
    weights_folder,
    weights_identity,
)
from summarizer.engines.threads import THREADS_ENV, physical_cores, thread_count
from summarizer.engines.transformers_engine import (
    KNOWN_TOKENIZERS,
    TransformersModel,
    load_generation_config,
    load_pretrained,
    load_tokenizer,
)

# One batch for generate(): its texts and its generate() settings.
Request = tuple[list[str], dict[str, Any]]
ProgressCallback = Callable[[str], None]


class Model(Protocol):
    """What the stages need from a model; tests substitute recording fakes.

    generate() gives texts only; generate_batches() also scores each output (Generation's
    confidence, see confidence.py), which costs time generate() does not spend."""

    spec: ModelSpec

    @property
    def identity(self) -> str: ...

    def count_tokens(self, text: str) -> int: ...

    def generate(self, texts: list[str], settings: dict[str, Any]) -> list[str]: ...

    @property
    def parallel_batches(self) -> int: ...

    def generate_batches(self, requests: Iterable[Request]) -> Iterator[list[Generation]]: ...


def load_model(
    spec: ModelSpec,
    on_progress: ProgressCallback | None = None,
    *,
    cache_dir: str | os.PathLike[str] | None = None,
    threads: int | None = None,
    convert: Converter = convert_model,
    on_warning: Callable[[str], None] | None = None,
) -> TransformersModel | CTranslate2Model:
    """A lazily loading model for `spec`, run by its engine: nothing is imported until it
    is used. `cache_dir` holds converted models (ctranslate2); `threads` see thread_count;
    `convert` writes a ctranslate2 conversion (see ensure_converted); `on_warning` is told
    when conversions cannot be kept in `cache_dir`."""
    if spec.engine == "ctranslate2":
        return CTranslate2Model(
            spec,
            on_progress,
            cache_dir=cache_dir,
            threads=threads,
            convert=convert,
            on_warning=on_warning,
        )
    return TransformersModel(spec, on_progress, threads=threads)


__all__ = [
    "CONVERSION_RECORD",
    "CONVERSION_VERSION",
    "KNOWN_TOKENIZERS",
    "THREADS_ENV",
    "CTranslate2Model",
    "Converter",
    "Generation",
    "Model",
    "ProgressCallback",
    "Request",
    "TransformersModel",
    "context_length",
    "convert_model",
    "converted_folder",
    "ctranslate2_options",
    "engine_label",
    "ensure_all_present",
    "ensure_converted",
    "ensure_present",
    "folder_fingerprint",
    "hub_cache_folder",
    "is_present_locally",
    "language_scheme",
    "languages_of",
    "load_generation_config",
    "load_model",
    "load_pretrained",
    "load_tokenizer",
    "model_identity",
    "model_kind",
    "physical_cores",
    "pull",
    "resolved_revision",
    "source_code",
    "target_token",
    "thread_count",
    "weights_folder",
    "weights_identity",
]
