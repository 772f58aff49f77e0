"""models.toml tables -> a validated Config.

Every mistake in a user's file becomes one ConfigError naming the file, the table and the
key, raised before any model loads, so that nothing fails later, deep inside a model call.
"""

from __future__ import annotations

import math
import re
import types
import typing
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

from summarizer.config import (
    CHECK_SETTINGS,
    DEFAULT_BATCH_SIZE,
    DEFAULT_CHAT_INPUT_TOKENS,
    DEFAULT_ENGINE,
    DEFAULT_MAX_INPUT_BYTES,
    DEFAULT_MAX_INPUT_TOKENS,
    ENGINES,
    GENERATION_SETTINGS,
    MAX_INPUT_BYTES_LIMIT,
    SUMMARIZE_FROM,
    TASKS,
    UNSUPPORTED_SETTINGS,
    Config,
    ModelSpec,
    Setting,
    expand_path,
)
from summarizer.config_models import declared_kind, language_codes, languages, prompt
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
    _check_keys(data, {"pipeline": dict, "models": dict}, path, "")
    pipeline = data.get("pipeline")
    if pipeline is None:
        raise ConfigError("missing table [pipeline]", path=path)
    _check_keys(pipeline, PIPELINE_KEYS, path, "pipeline")
    models_table = data.get("models") or {}

    models = {}
    for name, table in models_table.items():
        if not isinstance(table, dict):
            raise ConfigError(
                f"expected a table [models.{name}]", path=path, table="models", key=name
            )
        models[name] = _parse_model(name, table, path)

    limits = _pipeline_limits(pipeline, path)
    target_language = pipeline.get("target_language", "en")
    summarizer = pipeline.get("summarizer")
    if summarizer is None:
        raise ConfigError(
            "missing", path=path, table="pipeline", key="summarizer", hint="name a [models.*] table"
        )
    _check_reference(summarizer, "summarization", models, path, "pipeline", "summarizer")
    summarize_from = pipeline.get("summarize_from", "translation")
    if summarize_from not in SUMMARIZE_FROM:
        problem = f"{summarize_from!r} is not one of {', '.join(SUMMARIZE_FROM)}"
        raise ConfigError(problem, path=path, table="pipeline", key="summarize_from")

    # A many-to-many translator is forced to write the target language.
    for name, spec in models.items():
        if spec.kind == "many-to-many" and spec.target is None:
            models[name] = replace(spec, target=target_language)
    translators = pipeline.get("translators", {})
    for language, name in translators.items():
        where = {"path": path, "table": "pipeline.translators", "key": language}
        if not isinstance(name, str):
            raise ConfigError("expected a model name (string)", **where)
        _check_reference(name, "translation", models, **where)
        spec = models[name]
        if spec.target is not None and spec.target != target_language:
            raise ConfigError(
                f"model {name!r} translates to {spec.target!r}, "
                f"but [pipeline] target_language is {target_language!r}",
                **where,
            )

    return Config(
        path=path,
        target_language=target_language,
        summarizer=summarizer,
        translators=dict(translators),
        models=models,
        summarize_from=summarize_from,
        **limits,
    )


def _pipeline_limits(pipeline: dict[str, Any], path: Path) -> dict[str, Any]:
    """[pipeline]'s numbers, each checked against its range."""
    threads = pipeline.get("threads")
    if threads is not None and threads < 1:
        raise ConfigError("must be at least 1", path=path, table="pipeline", key="threads")
    max_input_bytes = pipeline.get("max_input_bytes", DEFAULT_MAX_INPUT_BYTES)
    if not 1 <= max_input_bytes <= MAX_INPUT_BYTES_LIMIT:
        raise ConfigError(
            f"must be at least 1 and at most {MAX_INPUT_BYTES_LIMIT} (1 GiB)",
            path=path,
            table="pipeline",
            key="max_input_bytes",
        )
    fetch_timeout = pipeline.get("fetch_timeout", 60.0)
    fetch_retries = pipeline.get("fetch_retries", 3)
    _check_range(fetch_timeout, 0.1, 3600, path, "fetch_timeout", "seconds")
    _check_range(fetch_retries, 0, 10, path, "fetch_retries", "retries")
    return {
        "threads": threads,
        "max_input_bytes": max_input_bytes,
        "fetch_timeout": float(fetch_timeout),
        "fetch_retries": fetch_retries,
    }


def _check_range(value: float, low: float, high: float, path: Path, key: str, unit: str) -> None:
    if not low <= value <= high:
        raise ConfigError(
            f"must be at least {low:g} and at most {high:g} {unit}",
            path=path,
            table="pipeline",
            key=key,
        )


def _parse_model(name: str, table: dict[str, Any], path: Path) -> ModelSpec:
    where = f"models.{name}"
    _check_keys(table, MODEL_KEYS, path, where)
    for required in ("task", "model"):
        if required not in table:
            raise ConfigError("missing", path=path, table=where, key=required)
    if table["task"] not in TASKS:
        problem = f"{table['task']!r} is not one of {', '.join(TASKS)}"
        raise ConfigError(problem, path=path, table=where, key="task")
    model, is_local = _resolve_model_location(table["model"], path, where)
    kind = _model_kind(table, model, is_local, path, where)
    for key in ("max_input_tokens", "batch_size"):
        if key in table and table[key] < 1:
            raise ConfigError("must be at least 1", path=path, table=where, key=key)
    generation = table.get("generation", {})
    _check_generation(generation, path, f"models.{name}.generation")
    retry = table.get("retry")
    if retry is not None:
        _check_generation(retry, path, f"models.{name}.retry")
    checks = table.get("checks", {})
    if checks and table["task"] != "translation":
        problem = "only translators have check thresholds (a summary's claims have none)"
        raise ConfigError(problem, path=path, table=where, key="checks")
    _check_thresholds(checks, path, f"models.{name}.checks")
    engine = table.get("engine", DEFAULT_ENGINE)
    if engine not in ENGINES:
        problem = f"{engine!r} is not one of {', '.join(ENGINES)}"
        raise ConfigError(problem, path=path, table=where, key="engine")
    compute_type = table.get("compute_type", ENGINES[engine][0])
    if compute_type not in ENGINES[engine]:
        problem = (
            f"{compute_type!r} is not one the {engine} engine runs ({', '.join(ENGINES[engine])})"
        )
        raise ConfigError(problem, path=path, table=where, key="compute_type")
    _check_engine_settings(engine, {"generation": generation, "retry": retry or {}}, path, where)
    default_limit = DEFAULT_CHAT_INPUT_TOKENS if kind == "chat" else DEFAULT_MAX_INPUT_TOKENS
    return ModelSpec(
        name=name,
        task=table["task"],
        model=model,
        is_local=is_local,
        revision=table.get("revision"),
        source=table.get("source"),
        target=table.get("target"),
        max_input_tokens=table.get("max_input_tokens", default_limit),
        batch_size=table.get("batch_size", DEFAULT_BATCH_SIZE),
        target_token=table.get("target_token"),
        generation=dict(generation),
        engine=engine,
        compute_type=compute_type,
        retry=dict(retry) if retry is not None else None,
        checks={key: float(value) for key, value in checks.items()},
        kind=kind,
        languages=languages(table.get("languages", []), path, where),
        language_codes=language_codes(table.get("language_codes", {}), path, where),
        prompt=prompt(table, "prompt", kind, path, where),
        reduce_prompt=prompt(table, "reduce_prompt", kind, path, where),
        licence=table.get("licence"),
    )


def _model_kind(
    table: dict[str, Any], model: str, is_local: bool, path: Path, where: str
) -> str | None:
    """The model's kind (declared, else its checkpoint's), and the keys that depend on it."""
    checkpoint = None if "kind" in table else _checkpoint(model, is_local, table.get("revision"))
    kind = declared_kind(table, checkpoint, path, where)
    if kind == "many-to-many" and "target_token" in table:
        problem = "a many-to-many model is told its target language itself: remove it"
        raise ConfigError(problem, path=path, table=where, key="target_token")
    if table["task"] == "translation" and "source" not in table and kind != "many-to-many":
        problem = (
            "missing (the language it translates from; a many-to-many model says "
            'kind = "many-to-many" instead)'
        )
        raise ConfigError(problem, path=path, table=where, key="source")
    return kind


def _checkpoint(model: str, is_local: bool, revision: str | None) -> Path | None:
    """The folder of the model's files when they are on disk (a hub model once
    downloaded), where its config.json tells its kind."""
    if is_local:
        return Path(model)
    from summarizer.engines.files import weights_folder

    return weights_folder(ModelSpec(name="", task="", model=model, revision=revision))


def _check_engine_settings(
    engine: str, tables: dict[str, dict[str, Any]], path: Path, where: str
) -> None:
    """No generate() setting the engine cannot honour, in any of the model's `tables`."""
    for key in UNSUPPORTED_SETTINGS[engine]:
        for part, settings in tables.items():
            if key in settings:
                raise ConfigError(
                    f"not supported by the {engine} engine",
                    path=path,
                    table=f"{where}.{part}",
                    key=key,
                    hint='remove it or use engine = "torch"',
                )


def _resolve_model_location(value: str, config_path: Path, table: str) -> tuple[str, bool]:
    """Local when the value names an existing folder, or looks like a path (starts with
    ".", "~" or "/", or has a "/" under an existing folder: "models/x" beside a "models"
    folder is a typo of a local model, never a hub id to wait for); else a hub id."""
    candidate = expand_path(value, config_path, table, "model")
    if not candidate.is_absolute():
        candidate = config_path.resolve().parent / candidate
    looks_like_path = value.startswith((".", "~")) or Path(value).is_absolute()
    if looks_like_path or candidate.is_dir() or ("/" in value and candidate.parent.is_dir()):
        return str(candidate.resolve()), True
    if not _HUB_ID.match(value):
        raise ConfigError(
            f"{value!r} is neither a folder nor a hub id such as 'Helsinki-NLP/opus-mt-fr-en'",
            path=config_path,
            table=table,
            key="model",
        )
    return value, False


def _check_reference(
    name: str, task: str, models: dict[str, ModelSpec], path: Path, table: str, key: str
) -> None:
    spec = models.get(name)
    if spec is None:
        known = ", ".join(sorted(models)) or "none"
        problem = f"no model named {name!r} (declared: {known})"
        raise ConfigError(problem, path=path, table=table, key=key)
    if spec.task != task:
        problem = f"model {name!r} has task = {spec.task!r}, expected {task!r}"
        raise ConfigError(problem, path=path, table=table, key=key)


def _check_keys(table: dict[str, Any], allowed: dict[str, type], path: Path, where: str) -> None:
    """Every key known and of its type; `where` is the table's name, "" at the top level."""
    for key, value in table.items():
        expected = allowed.get(key)
        if expected is None:
            problem = f"unknown key (allowed: {', '.join(sorted(allowed))})"
            raise ConfigError(problem, path=path, table=where, key=key)
        if not _has_type(value, expected):
            problem = f"expected {_type_name(expected)}, got {type(value).__name__} {value!r}"
            raise ConfigError(problem, path=path, table=where, key=key)


def _check_thresholds(checks: dict[str, Any], path: Path, where: str) -> None:
    _check_settings(checks, CHECK_SETTINGS, path, where)
    from summarizer.checks import Thresholds

    # A bound not given is the default's, which the other must still fit.
    defaults = Thresholds()
    low = checks.get("min_length_ratio", defaults.min_length_ratio)
    high = checks.get("max_length_ratio", defaults.max_length_ratio)
    if low >= high:
        key = "max_length_ratio" if "max_length_ratio" in checks else "min_length_ratio"
        problem = f"min_length_ratio ({low!r}) must be below max_length_ratio ({high!r})"
        raise ConfigError(problem, path=path, table=where, key=key)


def _check_generation(generation: dict[str, Any], path: Path, where: str) -> None:
    _check_settings(generation, GENERATION_SETTINGS, path, where)


def _check_settings(
    values: dict[str, Any], settings: dict[str, Setting], path: Path, where: str
) -> None:
    """Every key one of `settings`, of its type and within its bounds."""
    _check_keys(values, {key: setting.type for key, setting in settings.items()}, path, where)
    for key, value in values.items():
        setting = settings[key]
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
            problem = f"must be {rule}, not {value!r}"
            raise ConfigError(problem, path=path, table=where, key=key)


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
    names = {dict: "a table", list: "a list", str: "a string", int: "an integer", float: "a number"}
    return names.get(expected, "true or false")
