"""What kind of model a checkpoint is, and how a many-to-many translator names languages:
read from its files (config.json, tokenizer_config.json) without loading anything, so that
a cached run still knows how its cache keys are made."""

from __future__ import annotations

import json
from typing import Any

from summarizer.config import ModelSpec
from summarizer.config_models import architecture_kind
from summarizer.engines.files import weights_folder
from summarizer.errors import ConfigError
from summarizer.language_codes import (
    FLORES_200,
    M2M100,
    language_token,
    languages_read,
    model_language_code,
)


def model_kind(spec: ModelSpec) -> str:
    """The spec's kind, else its checkpoint's (once on disk), else "seq2seq"."""
    if spec.kind is not None:
        return spec.kind
    folder = weights_folder(spec)
    return (architecture_kind(folder) if folder else None) or "seq2seq"


def language_scheme(spec: ModelSpec) -> str:
    """How a many-to-many translator names languages: NLLB's tokenizer reads FLORES-200
    codes, M2M100's ISO codes. Before a hub model is downloaded (for `models list`), its
    name tells; the cache keys are only made once its files are here."""
    tokenizer_class = _json(spec, "tokenizer_config.json").get("tokenizer_class")
    if not isinstance(tokenizer_class, str):
        tokenizer_class = "Nllb" if "nllb" in spec.model.lower() else ""
    return FLORES_200 if tokenizer_class.startswith("Nllb") else M2M100


def source_code(spec: ModelSpec, language: str) -> str:
    """A many-to-many translator's code for `language`; a ConfigError when it has none."""
    if spec.languages and language not in spec.languages:
        raise ConfigError(
            f"translator {spec.name!r} is not set to read {language!r} "
            f"(its languages: {', '.join(spec.languages)})",
            hint=f"add {language!r} to [models.{spec.name}] languages, or route "
            "the language to another translator",
        )
    return _model_code(spec, language_scheme(spec), language)


def target_token(spec: ModelSpec) -> str:
    """The token a many-to-many translator is forced to start its output with."""
    scheme = language_scheme(spec)
    target = spec.target or "en"  # config_parse gives it [pipeline] target_language
    return language_token(scheme, _model_code(spec, scheme, target, target=True))


def _model_code(spec: ModelSpec, scheme: str, language: str, *, target: bool = False) -> str:
    """The model's code for `language` (its table's, or its override); a ConfigError naming
    the table to add it to when it has none (a source language may also go elsewhere)."""
    code = model_language_code(scheme, language, spec.language_codes)
    if code is None:
        what = f"its target {language!r}" if target else repr(language)
        hint = f'add {language} = "CODE" under [models.{spec.name}.language_codes]'
        raise ConfigError(
            f"translator {spec.name!r} has no language code for {what}",
            hint=hint if target else f"{hint}, or route the language to another translator",
        )
    return code


def languages_of(spec: ModelSpec) -> list[str]:
    """The ISO codes a model reads, as `models list` shows them."""
    if spec.languages:
        return list(spec.languages)
    if spec.task == "translation" and model_kind(spec) == "many-to-many":
        return languages_read(language_scheme(spec), spec.language_codes)
    return [spec.source] if spec.source else []


def context_length(spec: ModelSpec) -> int | None:
    """The checkpoint's longest input (config.json max_position_embeddings); None unknown."""
    value = _json(spec, "config.json").get("max_position_embeddings")
    return value if isinstance(value, int) and value > 0 else None


def _json(spec: ModelSpec, name: str) -> dict[str, Any]:
    folder = weights_folder(spec)
    try:
        data = json.loads((folder / name).read_text(encoding="utf-8")) if folder else {}
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
