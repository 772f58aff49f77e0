"""models.toml -> typed, validated settings.

Every mistake in a user's file becomes one ConfigError naming the file, the table and the
key, so that nothing fails later, deep inside a model call.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from summarizer.errors import ConfigError, LanguageError

if TYPE_CHECKING:
    from summarizer.checks import Thresholds
    from summarizer.fetch import FetchSettings

CONFIG_ENV = "SUMMARIZER_CONFIG"
TASKS = ("translation", "summarization")
# How a model is driven: "seq2seq" (Marian, BART: text in, text out), "many-to-many" (M2M100,
# NLLB: told each input's language, forced to write the target's), "chat" (an instruction-
# tuned decoder-only LLM, prompted through its chat template). The task each kind serves.
KINDS = {"seq2seq": TASKS, "many-to-many": ("translation",), "chat": ("summarization",)}
# Where summaries are made from: the English translation, or (a chat summarizer that reads
# the article's language) the article itself.
SUMMARIZE_FROM = ("translation", "source")
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


# generate() settings a models.toml may set: each one's type and the values generate()
# accepts (inclusive bounds; `above` is exclusive). A closed list, so that a typo
# ("num_beam") is an error instead of a silently ignored setting, and a value generate()
# would choke on (num_beams = 0, temperature = 0) is an error before any model loads.
@dataclass(frozen=True)
class Setting:
    type: type
    minimum: float | None = None
    above: float | None = None
    maximum: float | None = None


GENERATION_SETTINGS: dict[str, Setting] = {
    "num_beams": Setting(int, minimum=1),
    "max_new_tokens": Setting(int, minimum=1),
    "min_new_tokens": Setting(int, minimum=0),
    "max_length": Setting(int, minimum=1),
    "min_length": Setting(int, minimum=0),
    "no_repeat_ngram_size": Setting(int, minimum=0),
    "encoder_no_repeat_ngram_size": Setting(int, minimum=0),
    "top_k": Setting(int, minimum=0),
    "length_penalty": Setting(float),
    "repetition_penalty": Setting(float, above=0),
    "temperature": Setting(float, above=0),
    "top_p": Setting(float, above=0, maximum=1),
    "early_stopping": Setting(bool),
    "do_sample": Setting(bool),
}
GENERATION_TYPES: dict[str, type] = {key: s.type for key, s in GENERATION_SETTINGS.items()}

# What the one retry of an output that failed a check changes in `generation` (issue 12),
# unless [models.NAME.retry] says otherwise: a wider beam, and penalties against the loops
# that fail checks most; for a summary, a wider beam without the push towards long output
# that invents most. A chat summarizer has none (a beam search costs an LLM several times
# its first attempt). An empty [models.NAME.retry] table turns retries off.
DEFAULT_RETRY: dict[str, dict[str, int | float | bool]] = {
    "translation": {"num_beams": 6, "repetition_penalty": 1.2, "no_repeat_ngram_size": 4},
    "summarization": {"num_beams": 6, "repetition_penalty": 1.2, "length_penalty": 1.0},
}
# Check thresholds a [models.NAME.checks] table may set (defaults: checks.Thresholds).
CHECK_SETTINGS: dict[str, Setting] = {
    "min_confidence": Setting(float, maximum=0),
    "min_length_ratio": Setting(float, above=0),
    "max_length_ratio": Setting(float, above=0),
}

DEFAULT_MAX_INPUT_TOKENS = 512
# A chat model's context, prompt and summary included, unless models.toml says otherwise:
# checkpoints allow 32k tokens, which a CPU would take minutes to read.
DEFAULT_CHAT_INPUT_TOKENS = 4096
DEFAULT_BATCH_SIZE = 8
# Far beyond any news article (a long feature is ~100 KB of text, a saved page ~1-2 MB);
# protects memory and model time from a wrong file.
DEFAULT_MAX_INPUT_BYTES = 10 * 1024 * 1024
# Larger limits are refused: no article is a gigabyte, and reading one would exhaust memory.
MAX_INPUT_BYTES_LIMIT = 1024 * 1024 * 1024


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
    # generate() settings replacing `generation`'s for the one retry of an output that
    # failed a check; None: DEFAULT_RETRY for its task; empty: no retry.
    retry: dict[str, int | float | bool] | None = None
    # Check thresholds (CHECK_SETTINGS); the ones not given keep checks.Thresholds' value.
    checks: dict[str, float] = field(default_factory=dict)
    # One of KINDS; None: told by the checkpoint's architecture (engines.model_kind).
    kind: str | None = None
    # The ISO 639-1 codes it reads: a many-to-many translator's (empty: every language of
    # its code table), a chat summarizer's (for summarize_from = "source").
    languages: list[str] = field(default_factory=list)
    # ISO code -> the model's own code, for a many-to-many translator's unusual cases.
    language_codes: dict[str, str] = field(default_factory=dict)
    # A chat summarizer's instructions, {sentences} and {text} filled in (summarize.py's
    # defaults when None): for a chunk, and for combining partial summaries.
    prompt: str | None = None
    reduce_prompt: str | None = None
    # The licence its weights are published under (shown by `models list`).
    licence: str | None = None

    def with_engine(self, engine: str) -> ModelSpec:
        """This model run by `engine` (--engine). A compute_type is chosen for its engine, so
        a model moved to another engine gets that engine's default (ctranslate2: int8)."""
        if engine not in ENGINES:
            raise ConfigError(f"unknown engine {engine!r}", hint=f"known: {', '.join(ENGINES)}")
        if engine == self.engine:
            return self
        return replace(self, engine=engine, compute_type=ENGINES[engine][0])

    def unsupported_settings(self) -> list[str]:
        """generate() settings (first attempt or retry) this model's engine cannot honour."""
        given = {**self.generation, **(self.retry or {})}
        return [key for key in UNSUPPORTED_SETTINGS[self.engine] if key in given]

    @property
    def retry_generation(self) -> dict[str, int | float | bool] | None:
        """generate() settings for a retry; None when they would change nothing."""
        default = {} if self.kind == "chat" else DEFAULT_RETRY.get(self.task, {})
        retry = default if self.retry is None else self.retry
        merged = {**self.generation, **retry}
        return None if merged == self.generation else merged

    @property
    def thresholds(self) -> Thresholds:
        from summarizer.checks import Thresholds

        return Thresholds(**self.checks)

    @property
    def output_settings(self) -> dict[str, int | float | bool | str]:
        """Every setting that can change an output: part of each cache key."""
        return self.output_settings_for(self.generation)

    def output_settings_for(
        self, generation: dict[str, Any]
    ) -> dict[str, int | float | bool | str]:
        """output_settings with `generation` in place of the model's own (a retry's)."""
        settings = {**generation, "max_input_tokens": self.max_input_tokens}
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
    # A URL input: seconds its whole download may take (redirects and waits included), and
    # how many times an answer "429 Too Many Requests" or "503" is waited out and retried.
    fetch_timeout: float = 60.0
    fetch_retries: int = 3
    # One of SUMMARIZE_FROM.
    summarize_from: str = "translation"

    def fetch_settings(self) -> FetchSettings:
        """The limits of a URL input's download."""
        from summarizer.fetch import FetchSettings

        return FetchSettings(
            connect_timeout=min(10.0, self.fetch_timeout),
            total_timeout=self.fetch_timeout,
            retries=self.fetch_retries,
        )

    def with_engine(self, engine: str | None) -> Config:
        """The same config with every model run by `engine` (--engine); None changes nothing."""
        if engine is None:
            return self
        models = {name: spec.with_engine(engine) for name, spec in self.models.items()}
        return replace(self, models=models)

    def with_translator(self, name: str | None) -> Config:
        """The same config with translator `name` (--translator) serving every language it
        reads: all of them for a many-to-many model or a multi-source one; its `source`, or
        its `languages`, only (the others keep their translators)."""
        if name is None:
            return self
        spec = self.models.get(name)
        if spec is None or spec.task != "translation":
            known = ", ".join(sorted(n for n, m in self.models.items() if m.task == "translation"))
            problem = f"no translator named {name!r} in {{path}}"
            raise ConfigError(problem, path=self.path, hint=f"known: {known}")
        if spec.kind != "many-to-many" and spec.source and len(spec.source) == 2:
            return replace(self, translators={**self.translators, spec.source: name})
        if spec.languages:
            return replace(
                self, translators={**self.translators, **dict.fromkeys(spec.languages, name)}
            )
        return replace(self, translators={FALLBACK_LANGUAGE: name})

    def translator_for(self, language: str) -> ModelSpec | None:
        """The translator for `language`, None when it already is the target language."""
        if language == self.target_language:
            return None
        name = self.translators.get(language) or self.translators.get(FALLBACK_LANGUAGE)
        if name is None:
            raise ConfigError(
                f"no translator for language {language!r} in {{path}}",
                path=self.path,
                hint=f'add {language} = "MODEL" (or "*" = "MODEL") under [pipeline.translators]',
            )
        return self.models[name]

    def serves(self, language: str) -> bool:
        """True when text in `language` needs no translator or has one (the fallback counts)."""
        return (
            language == self.target_language
            or language in self.translators
            or FALLBACK_LANGUAGE in self.translators
        )

    def source_language(self, code: str) -> str:
        """`code` as the ISO 639-1 code it names (see language.normalize_code), checked to be
        served; a LanguageError otherwise lists the languages that are."""
        from summarizer.language import normalize_code

        fallback = FALLBACK_LANGUAGE in self.translators
        served = sorted({*self.translators, self.target_language} - {FALLBACK_LANGUAGE})
        try:
            language = normalize_code(code)
        except LanguageError as exc:
            raise LanguageError(
                exc.problem, language=code, served=served, fallback=fallback
            ) from None
        if not self.serves(language):
            raise LanguageError(
                f"no translator in {self.path} serves {{language}}",
                language=code,
                served=served,
                hint=f'add {language} = "MODEL" (or "*" = "MODEL") under [pipeline.translators]',
            )
        return language

    def summarizer_model(self, name: str | None = None) -> ModelSpec:
        """The summarizer named on the command line, or the one [pipeline] names."""
        name = name or self.summarizer
        spec = self.models.get(name)
        if spec is None:
            known = ", ".join(
                sorted(n for n, m in self.models.items() if m.task == "summarization")
            )
            raise ConfigError(
                f"unknown summarizer {name!r} in {{path}}", path=self.path, hint=f"known: {known}"
            )
        if spec.task != "summarization":
            raise ConfigError(
                f"has task = {spec.task!r}, not a summarizer",
                path=self.path,
                table=f"models.{name}",
            )
        return spec


def default_config_path() -> Path:
    """The registry shipped with the package (the repository's models.toml in a checkout)."""
    packaged = resources.files("summarizer") / "models.toml"
    if packaged.is_file():
        return Path(str(packaged))
    return Path(__file__).resolve().parent.parent / "models.toml"


def find_config(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The `explicit` file, then $SUMMARIZER_CONFIG, then ./models.toml, then the packaged
    default. A missing file is named with where it came from: the variable is read here (not
    by the command line's option), so that its message can name it."""
    for candidate, origin in (
        (explicit, ""),
        (os.environ.get(CONFIG_ENV), f" (from {CONFIG_ENV})"),
    ):
        if candidate:
            path = expand_path(str(candidate), Path(candidate))
            if not path.exists():
                raise ConfigError(f"config file not found: {{path}}{origin}", path=path)
            if not path.is_file():
                raise ConfigError(f"config file {{path}} is not a regular file{origin}", path=path)
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
        raise ConfigError(
            f"cannot read config file {{path}}: {exc.strerror or exc}", path=path
        ) from exc
    except UnicodeDecodeError as exc:
        raise ConfigError("config file {path} is not UTF-8 text", path=path) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{{path}} is not valid TOML: {exc}", path=path) from exc
    except RecursionError as exc:
        raise ConfigError("{path} is not valid TOML: nested too deeply", path=path) from exc
    from summarizer.config_parse import parse_config

    return parse_config(data, path)


def expand_path(
    value: str, path: str | Path, table: str | None = None, key: str | None = None
) -> Path:
    """`~` and `~user` expanded; an unknown user is a ConfigError about the config file
    `path` (and its TABLE and KEY when the value is a setting, else its own name), not a
    RuntimeError."""
    try:
        return Path(value).expanduser()
    except RuntimeError as exc:
        problem = f"cannot expand {value.split('/')[0]!r} ({exc})"
        if table is None:
            problem = f"config file {{path}}: {problem}"
        raise ConfigError(problem, path=path, table=table, key=key) from exc
