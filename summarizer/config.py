"""models.toml -> typed, validated settings.

Every mistake in a user's file becomes one ConfigError naming the file, the table and the
key, so that nothing fails later, deep inside a model call.
"""

from __future__ import annotations

import os
import tomllib
import types
import typing
from dataclasses import dataclass, field, fields, replace
from importlib import resources
from pathlib import Path
from typing import Any

from summarizer.errors import ConfigError

CONFIG_ENV = "SUMMARIZER_CONFIG"
TASKS = ("translation", "summarization")
FALLBACK_LANGUAGE = "*"

# What runs a model, and the compute types each engine accepts (its default first).
# torch runs float32 only: its CPU quantization (torch.ao.quantization) is deprecated, and
# ctranslate2's int8 is the fast path. "auto"/"default" are left out on purpose: the
# compute type is part of every cache key, so it must name what actually runs.
ENGINES: dict[str, tuple[str, ...]] = {
    "torch": ("float32",),
    "ctranslate2": (
        "int8",
        "int8_float32",
        "int8_float16",
        "int8_bfloat16",
        "int16",
        "float16",
        "bfloat16",
        "float32",
    ),
}
DEFAULT_ENGINE = "torch"
# generate() settings an engine cannot honour; naming one is a config error, not a silent
# difference between engines.
UNSUPPORTED_SETTINGS: dict[str, tuple[str, ...]] = {
    "torch": (),
    "ctranslate2": ("encoder_no_repeat_ngram_size",),
}

# generate() settings a models.toml may set, with the type each must have. A closed list
# so that a typo ("num_beam") is an error instead of a silently ignored setting.
GENERATION_TYPES: dict[str, type] = {
    "num_beams": int,
    "max_new_tokens": int,
    "min_new_tokens": int,
    "max_length": int,
    "min_length": int,
    "no_repeat_ngram_size": int,
    "encoder_no_repeat_ngram_size": int,
    "top_k": int,
    "length_penalty": float,
    "repetition_penalty": float,
    "temperature": float,
    "top_p": float,
    "early_stopping": bool,
    "do_sample": bool,
}

DEFAULT_MAX_INPUT_TOKENS = 512
DEFAULT_BATCH_SIZE = 8
# Far beyond any news article (a long feature is ~100 KB of text, a saved page ~1-2 MB);
# protects memory and model time from a wrong file.
DEFAULT_MAX_INPUT_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class ModelSpec:
    """One [models.NAME] table."""

    name: str
    task: str
    # Hub id ("Helsinki-NLP/opus-mt-fr-en") or, for a local model, its absolute folder.
    model: str
    # True when `model` is a folder on disk rather than a hub id.
    is_local: bool = False
    # Branch, tag or commit on the hub; None means the hub's default branch.
    revision: str | None = None
    source: str | None = None
    target: str | None = None
    # Longest input, in the model's own tokens, that one generate() call may receive.
    max_input_tokens: int = DEFAULT_MAX_INPUT_TOKENS
    # Segments per generate() call.
    batch_size: int = DEFAULT_BATCH_SIZE
    # Put before every input, for a model with several target languages that needs to be
    # told which one to produce (e.g. ">>eng<<"); None for the usual one-target models.
    target_token: str | None = None
    # Passed to generate(); the stages bound the length settings per input.
    generation: dict[str, int | float | bool] = field(default_factory=dict)
    # "torch" or "ctranslate2" (see ENGINES).
    engine: str = DEFAULT_ENGINE
    # Weights and arithmetic: "float32", or for ctranslate2 "int8" and the others in ENGINES.
    compute_type: str = "float32"

    def with_engine(self, engine: str) -> ModelSpec:
        """This model run by `engine` (--engine). A compute_type is chosen for its engine, so
        a model moved to another engine gets that engine's default (ctranslate2: int8)."""
        if engine not in ENGINES:
            raise ConfigError(f"unknown engine {engine!r}; known: {', '.join(ENGINES)}")
        if engine == self.engine:
            return self
        return replace(self, engine=engine, compute_type=ENGINES[engine][0])

    def unsupported_settings(self) -> list[str]:
        """generate() settings this model's engine cannot honour."""
        return [key for key in UNSUPPORTED_SETTINGS[self.engine] if key in self.generation]

    @property
    def output_settings(self) -> dict[str, int | float | bool | str]:
        """Every setting that can change an output: part of each cache key."""
        settings = {**self.generation, "max_input_tokens": self.max_input_tokens}
        if self.target_token:
            settings["target_token"] = self.target_token
        return settings


@dataclass(frozen=True)
class Config:
    """A whole models.toml: which models exist and which one serves each step."""

    path: Path
    target_language: str
    summarizer: str
    # Source language code -> [models.*] name; "*" is the fallback for other languages.
    translators: dict[str, str]
    models: dict[str, ModelSpec]
    # Larger inputs (files, stdin or strings, in bytes) are refused before any work.
    max_input_bytes: int = DEFAULT_MAX_INPUT_BYTES
    # Threads each model may use; None: $SUMMARIZER_THREADS, $OMP_NUM_THREADS, or the
    # number of physical cores (see engine.thread_count).
    threads: int | None = None

    def with_engine(self, engine: str | None) -> Config:
        """The same config with every model run by `engine` (--engine); None changes nothing."""
        if engine is None:
            return self
        models = {name: spec.with_engine(engine) for name, spec in self.models.items()}
        return replace(self, models=models)

    def translator_for(self, language: str) -> ModelSpec | None:
        """The translator for `language`, None when it already is the target language."""
        if language == self.target_language:
            return None
        name = self.translators.get(language) or self.translators.get(FALLBACK_LANGUAGE)
        if name is None:
            raise ConfigError(
                f"no translator for language {language!r} in {self.path}: add "
                f'{language} = "MODEL" (or "*" = "MODEL") under [pipeline.translators]'
            )
        return self.models[name]

    def serves(self, language: str) -> bool:
        """True when text in `language` needs no translator or has one (the fallback counts)."""
        return (
            language == self.target_language
            or language in self.translators
            or FALLBACK_LANGUAGE in self.translators
        )

    def summarizer_model(self, name: str | None = None) -> ModelSpec:
        """The summarizer named on the command line, or the one [pipeline] names."""
        name = name or self.summarizer
        spec = self.models.get(name)
        if spec is None:
            known = ", ".join(
                sorted(n for n, m in self.models.items() if m.task == "summarization")
            )
            raise ConfigError(f"unknown summarizer {name!r} in {self.path}; known: {known}")
        if spec.task != "summarization":
            raise ConfigError(
                f"{self.path}: [models.{name}] has task = {spec.task!r}, not a summarizer"
            )
        return spec


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


def default_config_path() -> Path:
    """The registry shipped with the package (the repository's models.toml in a checkout)."""
    packaged = resources.files("summarizer") / "models.toml"
    if packaged.is_file():
        return Path(str(packaged))
    return Path(__file__).resolve().parent.parent / "models.toml"


def find_config(explicit: str | os.PathLike[str] | None = None) -> Path:
    """--config, then $SUMMARIZER_CONFIG, then ./models.toml, then the packaged default."""
    for candidate, origin in ((explicit, "--config"), (os.environ.get(CONFIG_ENV), CONFIG_ENV)):
        if candidate:
            path = Path(candidate).expanduser()
            if not path.is_file():
                raise ConfigError(f"config file not found: {path} (from {origin})")
            return path
    local = Path("models.toml")
    if local.is_file():
        return local
    return default_config_path()


def load_config(explicit: str | os.PathLike[str] | None = None) -> Config:
    """Find, read and validate a models.toml."""
    path = find_config(explicit)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"config file {path} is not UTF-8 text") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from exc
    return parse_config(data, path)


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
    if max_input_bytes < 1:
        raise ConfigError(f"{path}: [pipeline] max_input_bytes: must be at least 1")
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
    _check_keys(generation, GENERATION_TYPES, path, f"[models.{name}.generation]")
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

    model, is_local = _resolve_model_location(table["model"], path)
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


def _resolve_model_location(value: str, config_path: Path) -> tuple[str, bool]:
    """A path-like value or an existing folder beside the config is local; the rest is a hub id."""
    looks_like_path = value.startswith((".", "~")) or Path(value).is_absolute()
    candidate = Path(value).expanduser()
    if not candidate.is_absolute():
        candidate = config_path.resolve().parent / candidate
    if looks_like_path or candidate.is_dir():
        return str(candidate.resolve()), True
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
