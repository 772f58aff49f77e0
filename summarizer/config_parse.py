"""models.toml tables -> a validated Config.

Every mistake in a user's file becomes one ConfigError naming the file, the table and the
key, raised before any model loads, so that nothing fails later, deep inside a model call.
"""

from __future__ import annotations

import math
import re
import types
import typing
from dataclasses import fields
from pathlib import Path
from typing import Any

from summarizer.config import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_ENGINE,
    DEFAULT_MAX_INPUT_BYTES,
    DEFAULT_MAX_INPUT_TOKENS,
    ENGINES,
    GENERATION_SETTINGS,
    GENERATION_TYPES,
    MAX_INPUT_BYTES_LIMIT,
    TASKS,
    UNSUPPORTED_SETTINGS,
    Config,
    ModelSpec,
    expand_path,
)
from summarizer.errors import ConfigError

# A hub id: "name" or "owner/name", letters, digits, "-", "_", "." (the hub's own rule).
_HUB_ID = re.compile(
    r"^(?!.*(--|\.\.))[A-Za-z0-9](?:[\w.-]{0,94}[A-Za-z0-9])?"
    r"(?:/[A-Za-z0-9](?:[\w.-]{0,94}[A-Za-z0-9])?)?$"
)


# The keys each table may hold are the dataclasses' own fields, with their types: a field
# added to ModelSpec or Config is a models.toml key at once, with no second list to keep.
# Fields that are not written in models.toml are left out.
def _key_types(cls: type, derived: tuple[str, ...]) -> dict[str, type]:
    hints = typing.get_type_hints(cls)
    return {f.name: _plain_type(hints[f.name]) for f in fields(cls) if f.name not in derived}


def _plain_type(hint: Any) -> type:
    """`str | None` -> str, `dict[str, int]` -> dict: what a TOML value must be."""
    if isinstance(hint, types.UnionType):
        (kind,) = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        return _plain_type(kind)
    return typing.get_origin(hint) or hint


PIPELINE_KEYS = _key_types(Config, derived=("path", "models"))
MODEL_KEYS = _key_types(ModelSpec, derived=("name", "is_local"))


def parse_config(data: dict[str, Any], path: Path) -> Config:
    """Validate the parsed TOML; `path` anchors relative model folders and error messages."""
    _check_keys(data, {"pipeline": dict, "models": dict}, path, "top level")
    pipeline = data.get("pipeline")
    if pipeline is None:
        raise ConfigError(f"{path}: missing table [pipeline]")
    _check_keys(pipeline, PIPELINE_KEYS, path, "[pipeline]")
    models_table = data.get("models") or {}

    models = {}
    for name, table in models_table.items():
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: [models] {name}: expected a table [models.{name}]")
        models[name] = _parse_model(name, table, path)

    threads = pipeline.get("threads")
    if threads is not None and threads < 1:
        raise ConfigError(f"{path}: [pipeline] threads: must be at least 1")
    target_language = pipeline.get("target_language", "en")
    max_input_bytes = pipeline.get("max_input_bytes", DEFAULT_MAX_INPUT_BYTES)
    if not 1 <= max_input_bytes <= MAX_INPUT_BYTES_LIMIT:
        raise ConfigError(
            f"{path}: [pipeline] max_input_bytes: must be at least 1 and at most "
            f"{MAX_INPUT_BYTES_LIMIT} (1 GiB)"
        )
    summarizer = pipeline.get("summarizer")
    if summarizer is None:
        raise ConfigError(f"{path}: [pipeline] summarizer: missing (name a [models.*] table)")
    _check_reference(summarizer, "summarization", models, path, "[pipeline] summarizer")

    translators = pipeline.get("translators", {})
    for language, name in translators.items():
        where = f"[pipeline.translators] {language}"
        if not isinstance(name, str):
            raise ConfigError(f"{path}: {where}: expected a model name (string)")
        _check_reference(name, "translation", models, path, where)
        spec = models[name]
        if spec.target is not None and spec.target != target_language:
            raise ConfigError(
                f"{path}: {where}: model {name!r} translates to {spec.target!r}, "
                f"but [pipeline] target_language is {target_language!r}"
            )

    return Config(
        path=path,
        target_language=target_language,
        summarizer=summarizer,
        translators=dict(translators),
        models=models,
        max_input_bytes=max_input_bytes,
        threads=threads,
    )


def _parse_model(name: str, table: dict[str, Any], path: Path) -> ModelSpec:
    where = f"[models.{name}]"
    _check_keys(table, MODEL_KEYS, path, where)
    for required in ("task", "model"):
        if required not in table:
            raise ConfigError(f"{path}: {where} {required}: missing")
    if table["task"] not in TASKS:
        raise ConfigError(
            f"{path}: {where} task: {table['task']!r} is not one of {', '.join(TASKS)}"
        )
    if table["task"] == "translation" and "source" not in table:
        raise ConfigError(f"{path}: {where} source: missing (the language it translates from)")
    for key in ("max_input_tokens", "batch_size"):
        if key in table and table[key] < 1:
            raise ConfigError(f"{path}: {where} {key}: must be at least 1")

    generation = table.get("generation", {})
    _check_generation(generation, path, f"[models.{name}.generation]")
    engine = table.get("engine", DEFAULT_ENGINE)
    if engine not in ENGINES:
        raise ConfigError(f"{path}: {where} engine: {engine!r} is not one of {', '.join(ENGINES)}")
    compute_type = table.get("compute_type", ENGINES[engine][0])
    if compute_type not in ENGINES[engine]:
        raise ConfigError(
            f"{path}: {where} compute_type: {compute_type!r} is not one the {engine} engine "
            f"runs ({', '.join(ENGINES[engine])})"
        )
    for key in UNSUPPORTED_SETTINGS[engine]:
        if key in generation:
            raise ConfigError(
                f"{path}: [models.{name}.generation] {key}: not supported by the {engine} "
                'engine; remove it or use engine = "torch"'
            )

    model, is_local = _resolve_model_location(table["model"], path, where)
    return ModelSpec(
        name=name,
        task=table["task"],
        model=model,
        is_local=is_local,
        revision=table.get("revision"),
        source=table.get("source"),
        target=table.get("target"),
        max_input_tokens=table.get("max_input_tokens", DEFAULT_MAX_INPUT_TOKENS),
        batch_size=table.get("batch_size", DEFAULT_BATCH_SIZE),
        target_token=table.get("target_token"),
        generation=dict(generation),
        engine=engine,
        compute_type=compute_type,
    )


def _resolve_model_location(value: str, config_path: Path, where: str) -> tuple[str, bool]:
    """Local when the value names an existing folder, or looks like a path (starts with
    ".", "~" or "/", or has a "/" under an existing folder: "models/x" beside a "models"
    folder is a typo of a local model, never a hub id to wait for); else a hub id."""
    candidate = expand_path(value, f"{config_path}: {where} model")
    if not candidate.is_absolute():
        candidate = config_path.resolve().parent / candidate
    looks_like_path = value.startswith((".", "~")) or Path(value).is_absolute()
    if looks_like_path or candidate.is_dir() or ("/" in value and candidate.parent.is_dir()):
        return str(candidate.resolve()), True
    if not _HUB_ID.match(value):
        raise ConfigError(
            f"{config_path}: {where} model: {value!r} is neither a folder nor a hub id "
            "such as 'Helsinki-NLP/opus-mt-fr-en'"
        )
    return value, False


def _check_reference(
    name: str, task: str, models: dict[str, ModelSpec], path: Path, where: str
) -> None:
    spec = models.get(name)
    if spec is None:
        known = ", ".join(sorted(models)) or "none"
        raise ConfigError(f"{path}: {where}: no model named {name!r} (declared: {known})")
    if spec.task != task:
        raise ConfigError(
            f"{path}: {where}: model {name!r} has task = {spec.task!r}, expected {task!r}"
        )


def _check_keys(table: dict[str, Any], allowed: dict[str, type], path: Path, where: str) -> None:
    for key, value in table.items():
        expected = allowed.get(key)
        if expected is None:
            raise ConfigError(
                f"{path}: {where} {key}: unknown key (allowed: {', '.join(sorted(allowed))})"
            )
        if not _has_type(value, expected):
            raise ConfigError(
                f"{path}: {where} {key}: expected {_type_name(expected)}, "
                f"got {type(value).__name__} {value!r}"
            )


def _check_generation(generation: dict[str, Any], path: Path, where: str) -> None:
    _check_keys(generation, GENERATION_TYPES, path, where)
    for key, value in generation.items():
        setting = GENERATION_SETTINGS[key]
        if setting.type is bool:
            continue
        bounds = [
            f"at least {setting.minimum}" if setting.minimum is not None else "",
            f"above {setting.above}" if setting.above is not None else "",
            f"at most {setting.maximum}" if setting.maximum is not None else "",
        ]
        if (
            not math.isfinite(value)
            or (setting.minimum is not None and value < setting.minimum)
            or (setting.above is not None and value <= setting.above)
            or (setting.maximum is not None and value > setting.maximum)
        ):
            rule = " and ".join(bound for bound in bounds if bound) or "a finite number"
            raise ConfigError(f"{path}: {where} {key}: must be {rule}, not {value!r}")


def _has_type(value: Any, expected: type) -> bool:
    # TOML gives bool for true/false, and bool is a subclass of int in Python.
    if expected is bool:
        return isinstance(value, bool)
    if expected is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if expected is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, expected)


def _type_name(expected: type) -> str:
    return {dict: "a table", str: "a string", int: "an integer", float: "a number"}.get(
        expected, "true or false"
    )
