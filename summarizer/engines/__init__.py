"""The only module that touches torch, transformers and ctranslate2, and only when a model
is used.

A fully cached run never constructs a tokenizer or a model, so it never pays for importing
torch. Model identity (what cache keys are made of) is computed from files on disk, without
loading anything.

Two engines run a model (models.toml `engine`): "torch" runs the transformers model as
published; "ctranslate2" converts it once into a quantized CTranslate2 model under the cache
folder and runs that, faster on a CPU. Both tokenize with the transformers
tokenizer, and their greedy float32 outputs are identical.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import pickle
import re
import shutil
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, Protocol

from summarizer.config import GENERATION_TYPES, ModelSpec
from summarizer.errors import ConfigError, ModelError

THREADS_ENV = "SUMMARIZER_THREADS"
# Bumped whenever the conversion itself changes, so that older converted folders are not
# reused (they stay on disk: deleting CACHE/ctranslate2 is always safe).
CONVERSION_VERSION = 1
# Written last into a converted folder: a folder without it is partial and never used.
CONVERSION_RECORD = "summarizer-conversion.json"
# A conversion's temporary folder older than this was left by a killed run.
_STALE_CONVERSION_SECONDS = 3600
_COMMIT = re.compile(r"^[0-9a-f]{40}$")
# Files this small are hashed whole for a local model's identity; weights by size and mtime.
_HASH_WHOLE_BELOW = 4 * 1024 * 1024


# One batch for generate(): its texts and its generate() settings.
Request = tuple[list[str], dict[str, Any]]


class Model(Protocol):
    """What the stages need from a model; tests substitute recording fakes."""

    spec: ModelSpec

    @property
    def identity(self) -> str: ...

    def count_tokens(self, text: str) -> int: ...

    def generate(self, texts: list[str], settings: dict[str, Any]) -> list[str]: ...

    @property
    def parallel_batches(self) -> int: ...

    def generate_batches(self, requests: Iterable[Request]) -> Iterator[list[str]]: ...


ProgressCallback = Callable[[str], None]


class _LazyModel:
    """What both engines share: a spec, a transformers tokenizer, an identity."""

    def __init__(
        self, spec: ModelSpec, on_progress: ProgressCallback | None, threads: int | None
    ) -> None:
        self.spec = spec
        self._on_progress = on_progress or (lambda message: None)
        self._threads = threads
        self._tokenizer: Any = None
        self._identity: str | None = None

    @property
    def loaded(self) -> bool:
        raise NotImplementedError

    @property
    def identity(self) -> str:
        """Computed from files on disk; kept once the model is loaded, when it can no longer
        change (a hub model's commit is known then), so that batches do not re-hash a local
        model's files."""
        if self._identity is not None:
            return self._identity
        identity = model_identity(self.spec)
        if self.loaded:
            self._identity = identity
        return identity

    def count_tokens(self, text: str) -> int:
        """Tokens the model would receive for `text`, special tokens included."""
        self._load()
        return len(self._tokenizer(text, add_special_tokens=True)["input_ids"])

    @property
    def parallel_batches(self) -> int:
        """How many batches the model runs at once; callers cut work into at least this
        many batches so that none of them idles."""
        return 1

    def generate(self, texts: list[str], settings: dict[str, Any]) -> list[str]:
        raise NotImplementedError

    def generate_batches(self, requests: Iterable[Request]) -> Iterator[list[str]]:
        """Each (texts, settings) request's outputs, in request order, as each completes."""
        for texts, settings in requests:
            yield self.generate(texts, settings)

    def _load(self) -> None:
        raise NotImplementedError


class TransformersModel(_LazyModel):
    """A seq2seq model and its tokenizer, run by torch; loaded on first use."""

    def __init__(
        self,
        spec: ModelSpec,
        on_progress: ProgressCallback | None = None,
        *,
        threads: int | None = None,
    ) -> None:
        """`threads`: [pipeline] threads from models.toml (see thread_count)."""
        super().__init__(spec, on_progress, threads)
        self._model: Any = None

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def generate(self, texts: list[str], settings: dict[str, Any]) -> list[str]:
        """One batched generate() call; outputs in the order of `texts`."""
        self._load()
        import torch

        inputs = self._tokenizer(texts, return_tensors="pt", padding=True)
        with torch.inference_mode():
            output_ids = self._model.generate(**inputs, **settings)
        decoded = self._tokenizer.batch_decode(output_ids, skip_special_tokens=True)
        return [text.strip() for text in decoded]

    def _load(self) -> None:
        if self._model is not None:
            return
        ensure_present(self.spec, self._on_progress)
        self._on_progress(f"loading {self.spec.name}")
        import torch

        torch.set_num_threads(thread_count(self._threads))
        self._tokenizer, self._model = load_pretrained(self.spec)


class CTranslate2Model(_LazyModel):
    """A seq2seq model converted once to CTranslate2 and run by it; loaded on first use.

    Tokenization stays with the transformers tokenizer: CTranslate2 takes and returns token
    strings. generate() settings are mapped so that greedy outputs match the torch engine's
    (see ctranslate2_options)."""

    def __init__(
        self,
        spec: ModelSpec,
        on_progress: ProgressCallback | None = None,
        *,
        cache_dir: str | os.PathLike[str] | None = None,
        threads: int | None = None,
    ) -> None:
        """`cache_dir`: where converted models are kept (default: the user cache folder).
        `threads`: [pipeline] threads from models.toml (see thread_count)."""
        super().__init__(spec, on_progress, threads)
        self._cache_dir = Path(cache_dir) if cache_dir is not None else None
        self._translator: Any = None
        # The model's own generation defaults (what generate() would apply) and the decoder
        # tokens HF forces, read from its generation config.
        self._defaults: dict[str, Any] = {}
        self._forced_bos: str | None = None
        self._forced_eos = False

    @property
    def loaded(self) -> bool:
        return self._translator is not None

    @property
    def parallel_batches(self) -> int:
        """A translator runs one batch per thread, each on one thread: its many short
        sentences make small matrix products, which gain little from a second thread (on
        2 cores, two batches side by side translated 1.3x faster than one batch after the
        other on both). A summarizer's few long chunks do gain: all threads on one batch."""
        if self.spec.task == "translation":
            return thread_count(self._threads)
        return 1

    @property
    def converted_folder(self) -> Path:
        """Where the converted model lives (or will, after the first load)."""
        return converted_folder(self.spec, self._cache_dir)

    def generate(self, texts: list[str], settings: dict[str, Any]) -> list[str]:
        """One batched translate_batch() call; outputs in the order of `texts`."""
        (outputs,) = self.generate_batches([(texts, settings)])
        return outputs

    def generate_batches(self, requests: Iterable[Request]) -> Iterator[list[str]]:
        """Up to parallel_batches requests run at once, each with its own settings; outputs
        in request order. Few are queued ahead, so that an interrupted run stops soon."""
        self._load()
        workers = self.parallel_batches
        running: deque[Callable[[], list[str]]] = deque()
        for texts, settings in requests:
            running.append(self._submit(texts, settings))
            if len(running) > workers:
                yield running.popleft()()
        while running:
            yield running.popleft()()

    def _submit(self, texts: list[str], settings: dict[str, Any]) -> Callable[[], list[str]]:
        """Starts one batch; the returned function waits for its decoded outputs."""
        options = ctranslate2_options({**self._defaults, **settings}, forced_eos=self._forced_eos)
        if options["max_decoding_length"] < 1:
            # No room for anything but the forced end of sentence: HF returns empty texts.
            return lambda: ["" for _ in texts]
        tokenizer = self._tokenizer
        source = [tokenizer.convert_ids_to_tokens(tokenizer.encode(text)) for text in texts]
        prefix = [[self._forced_bos] for _ in texts] if self._forced_bos else None
        # max_input_length=0: never truncate; the stages already keep inputs within limits.
        pending = self._translator.translate_batch(
            source,
            target_prefix=prefix,
            max_input_length=0,
            asynchronous=True,
            return_scores=False,
            **options,
        )

        def outputs() -> list[str]:
            decoded = [
                tokenizer.decode(
                    tokenizer.convert_tokens_to_ids(result.result().hypotheses[0]),
                    skip_special_tokens=True,
                )
                for result in pending
            ]
            return [text.strip() for text in decoded]

        return outputs

    def _load(self) -> None:
        if self._translator is not None:
            return
        unsupported = self.spec.unsupported_settings()
        if unsupported:
            raise ConfigError(
                f"model {self.spec.name!r}: the ctranslate2 engine cannot honour "
                f"{unsupported[0]}; remove it from [models.{self.spec.name}.generation] "
                "or run this model with the torch engine"
            )
        source = ensure_present(self.spec, self._on_progress)
        try:
            import ctranslate2
        except ImportError as exc:  # e.g. Intel macOS, for which no wheel is published
            raise ModelError(
                f"model {self.spec.name!r} is set to run with ctranslate2, which is not "
                "installed: pip install ctranslate2, or use --engine torch (or "
                'engine = "torch" in models.toml)'
            ) from exc
        supported = ctranslate2.get_supported_compute_types("cpu")
        if self.spec.compute_type not in supported:
            raise ModelError(
                f"model {self.spec.name!r}: this CPU cannot run compute_type "
                f"{self.spec.compute_type!r} with ctranslate2 (it runs: "
                f"{', '.join(sorted(supported))}); change compute_type in models.toml"
            )
        folder = ensure_converted(self.spec, source, self._cache_dir, self._on_progress)
        self._on_progress(f"loading {self.spec.name} (ctranslate2 {self.spec.compute_type})")
        threads = thread_count(self._threads)
        workers = self.parallel_batches
        options = {
            "device": "cpu",
            "compute_type": self.spec.compute_type,
            "inter_threads": workers,
            "intra_threads": max(1, threads // workers),
        }
        try:
            translator = ctranslate2.Translator(str(folder), **options)
        except (RuntimeError, ValueError, OSError):
            # Damaged after it was written (a truncated copy, a bad disk): convert again.
            _discard(folder)
            folder = ensure_converted(self.spec, source, self._cache_dir, self._on_progress)
            try:
                translator = ctranslate2.Translator(str(folder), **options)
            except (RuntimeError, ValueError, OSError) as exc:
                raise ModelError(
                    f"model {self.spec.name!r}: ctranslate2 cannot load its conversion "
                    f'in {folder} ({_first_line(exc)}); try engine = "torch" for it'
                ) from exc
        self._tokenizer = load_tokenizer(self.spec)
        generation = load_generation_config(self.spec)
        self._defaults = {
            key: value
            for key in GENERATION_TYPES
            if (value := getattr(generation, key, None)) is not None
        }
        bos_id = generation.forced_bos_token_id
        self._forced_bos = None if bos_id is None else self._tokenizer.convert_ids_to_tokens(bos_id)
        self._forced_eos = generation.forced_eos_token_id is not None
        self._translator = translator


def load_model(
    spec: ModelSpec,
    on_progress: ProgressCallback | None = None,
    *,
    cache_dir: str | os.PathLike[str] | None = None,
    threads: int | None = None,
) -> TransformersModel | CTranslate2Model:
    """A lazily loading model for `spec`, run by its engine: nothing is imported until it
    is used. `cache_dir` holds converted models (ctranslate2); `threads` see thread_count."""
    if spec.engine == "ctranslate2":
        return CTranslate2Model(spec, on_progress, cache_dir=cache_dir, threads=threads)
    return TransformersModel(spec, on_progress, threads=threads)


def ensure_present(spec: ModelSpec, on_progress: ProgressCallback) -> Path:
    """The folder holding the model's files, downloading a hub model first if allowed."""
    if not spec.is_local and not is_present_locally(spec):
        if offline():
            raise ModelError(
                f"model {spec.name!r} ({spec.model}) is not in the local Hugging "
                "Face cache and HF_HUB_OFFLINE is set: run "
                f"`summarizer models pull {spec.name}` with network access first"
            )
        on_progress(f"downloading {spec.model} from the Hugging Face hub")
        return pull(spec)
    if spec.is_local and not Path(spec.model).is_dir():
        raise ModelError(
            f"model {spec.name!r}: folder {spec.model} does not exist; "
            "fix `model` in models.toml or run `summarizer models list`"
        )
    return weights_folder(spec) or Path(spec.model)


def thread_count(configured: int | None = None) -> int:
    """Threads a model may use: $SUMMARIZER_THREADS, else [pipeline] threads, else
    $OMP_NUM_THREADS, else the number of physical cores.

    Physical, not logical: matrix products gain nothing from hyper-threads, and on a busy
    machine extra threads spin-wait for each other and make every step far slower."""
    value = os.environ.get(THREADS_ENV)
    if value:
        if not value.isdigit() or int(value) < 1:
            raise ConfigError(f"{THREADS_ENV} must be a whole number of at least 1, not {value!r}")
        return int(value)
    if configured is not None:
        return configured
    omp = os.environ.get("OMP_NUM_THREADS", "")
    if omp.isdigit() and int(omp) >= 1:
        return int(omp)
    return physical_cores()


def physical_cores() -> int:
    """Physical cores this process may run on (Linux: from sysfs; elsewhere: all CPUs)."""
    try:
        cpus = sorted(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1
    cores = set()
    for cpu in cpus:
        siblings = Path(f"/sys/devices/system/cpu/cpu{cpu}/topology/thread_siblings_list")
        try:
            cores.add(siblings.read_text(encoding="ascii").strip())
        except OSError:
            cores.add(str(cpu))
    return max(1, len(cores))


def load_pretrained(spec: ModelSpec) -> tuple[Any, Any]:
    """Tokenizer and model from a local folder or the local Hugging Face cache; no network."""
    transformers, options = _transformers_for(spec)
    with _load_errors(spec):
        tokenizer = transformers.AutoTokenizer.from_pretrained(spec.model, **options)
        model = transformers.AutoModelForSeq2SeqLM.from_pretrained(
            spec.model, **options, **_weight_options(spec)
        )
    model.eval()
    return tokenizer, model


def load_tokenizer(spec: ModelSpec) -> Any:
    """The model's transformers tokenizer; no network.

    A model type whose tokenizer class is known is loaded with that class directly: the
    class AutoTokenizer would pick, without the model configuration machinery that imports
    torch (a second of a ctranslate2 run's start, which needs no torch)."""
    transformers, options = _transformers_for(spec)
    with _load_errors(spec):
        known = known_tokenizer_class(spec)
        tokenizer_class = getattr(transformers, known) if known else transformers.AutoTokenizer
        return tokenizer_class.from_pretrained(spec.model, **options)


# model_type -> the tokenizer class transformers' AutoTokenizer maps it to (a test checks).
KNOWN_TOKENIZERS = {"marian": "MarianTokenizer", "bart": "RobertaTokenizer"}
# Names a tokenizer_config.json may give for those classes.
_TOKENIZER_ALIASES = {"BartTokenizer": "RobertaTokenizer"}


def known_tokenizer_class(spec: ModelSpec) -> str | None:
    """KNOWN_TOKENIZERS' class for the model, unless its files ask for anything else (another
    class, or code of their own): then None, and AutoTokenizer decides."""
    folder = weights_folder(spec)
    if folder is None:
        return None
    try:
        model_type = json.loads((folder / "config.json").read_text(encoding="utf-8"))["model_type"]
        tokenizer_config = folder / "tokenizer_config.json"
        declared = (
            json.loads(tokenizer_config.read_text(encoding="utf-8"))
            if tokenizer_config.is_file()
            else {}
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
    known = KNOWN_TOKENIZERS.get(model_type)
    if not isinstance(declared, dict) or known is None or "auto_map" in declared:
        return None
    named = str(declared.get("tokenizer_class") or known).removesuffix("Fast")
    return known if _TOKENIZER_ALIASES.get(named, named) == known else None


def load_generation_config(spec: ModelSpec) -> Any:
    """The generation defaults transformers' generate() applies for this model: its
    generation_config.json, else those derived from its config.json."""
    transformers, options = _transformers_for(spec)
    with _load_errors(spec):
        try:
            return transformers.GenerationConfig.from_pretrained(spec.model, **options)
        except OSError:
            config = transformers.AutoConfig.from_pretrained(spec.model, **options)
            return transformers.GenerationConfig.from_model_config(config)


def _transformers_for(spec: ModelSpec) -> tuple[Any, dict[str, Any]]:
    """transformers, quietened, and the from_pretrained() options that keep it offline."""
    if spec.is_local and not Path(spec.model).is_dir():
        raise ModelError(
            f"model {spec.name!r}: folder {spec.model} does not exist; "
            "fix `model` in models.toml or run `summarizer models list`"
        )
    import warnings

    import transformers

    # Marian's tokenizer suggests installing sacremoses, which it does not need for decoding.
    warnings.filterwarnings("ignore", message="Recommended: pip install sacremoses")
    transformers.utils.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    # Never run code shipped with a model; the files were fetched beforehand by pull().
    options: dict[str, Any] = {"trust_remote_code": False, "local_files_only": True}
    if not spec.is_local and spec.revision:
        options["revision"] = spec.revision
    return transformers, options


def _weight_options(spec: ModelSpec) -> dict[str, Any]:
    """Weights: safetensors whenever the folder has them (a pickle beside them is never
    opened); otherwise a pytorch_model.bin goes through PyTorch's weights-only unpickler,
    which refuses anything but tensors, so a malicious file fails instead of running."""
    weights = weights_folder(spec)
    has_safetensors = weights is not None and any(weights.glob("*.safetensors"))
    return {"use_safetensors": True if has_safetensors else None, "weights_only": True}


@contextlib.contextmanager
def _load_errors(spec: ModelSpec) -> Iterator[None]:
    """A model that cannot be loaded is one ModelError naming it and what to do."""
    try:
        yield
    except (OSError, ValueError, pickle.UnpicklingError) as exc:
        where = spec.model if spec.is_local else f"the local copy of {spec.model}"
        raise ModelError(
            f"model {spec.name!r}: {where} cannot be loaded ({_first_line(exc)}); "
            f"check the folder, or run `summarizer models pull {spec.name}` again"
        ) from exc


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes", "on")


def model_identity(spec: ModelSpec) -> str:
    """Names exactly which weights, run by which engine, produce an output: part of every
    cache key. "ENGINE:hub:ID@COMMIT" or "ENGINE:local:FOLDER@FINGERPRINT": readable in
    `cache info`, and what `cache clear --model` matches."""
    return f"{engine_label(spec)}:{weights_identity(spec)}"


def engine_label(spec: ModelSpec) -> str:
    """The engine part of an identity: "torch", or "ctranslate2-int8" (with compute type).

    torch runs float32 only, so its label stays the plain "torch" of earlier releases and
    their cached outputs stay valid."""
    if spec.engine == "torch":
        return "torch"
    return f"{spec.engine}-{spec.compute_type}"


def weights_identity(spec: ModelSpec) -> str:
    """Names the model's files, whatever runs them."""
    if spec.is_local:
        return f"local:{spec.model}@{folder_fingerprint(Path(spec.model))}"
    return f"hub:{spec.model}@{resolved_revision(spec) or spec.revision or 'main'}"


def weights_folder(spec: ModelSpec) -> Path | None:
    """The folder the model's files are loaded from; None when it is not on disk."""
    if spec.is_local:
        return Path(spec.model)
    commit = resolved_revision(spec)
    return hub_cache_folder(spec.model) / "snapshots" / commit if commit else None


def resolved_revision(spec: ModelSpec) -> str | None:
    """The commit a hub revision points to in the local cache, None if not downloaded."""
    revision = spec.revision or "main"
    if _COMMIT.match(revision):
        return revision
    ref = hub_cache_folder(spec.model) / "refs" / revision
    try:
        return ref.read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def hub_cache_folder(repo_id: str) -> Path:
    """Where huggingface_hub keeps a model's files (honours HF_HUB_CACHE and HF_HOME)."""
    from huggingface_hub import constants

    return Path(constants.HF_HUB_CACHE) / ("models--" + repo_id.replace("/", "--"))


def is_present_locally(spec: ModelSpec) -> bool:
    """True when the model can be loaded with no network."""
    if spec.is_local:
        return (Path(spec.model) / "config.json").is_file()
    commit = resolved_revision(spec)
    if commit is None:
        return False
    return (hub_cache_folder(spec.model) / "snapshots" / commit / "config.json").is_file()


def folder_fingerprint(folder: Path) -> str:
    """A hash of a local model folder's files: any change to them gives new cache keys."""
    digest = hashlib.sha256()
    try:
        files = sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))
        for path in files:
            stat = path.stat()
            digest.update(str(path.relative_to(folder)).encode("utf-8"))
            if stat.st_size < _HASH_WHOLE_BELOW:
                digest.update(path.read_bytes())
            else:
                digest.update(f"{stat.st_size}:{stat.st_mtime_ns}".encode())
    except OSError as exc:
        raise ModelError(f"cannot read model folder {folder}: {exc}") from exc
    return digest.hexdigest()[:16]


def pull(spec: ModelSpec) -> Path:
    """Download a hub model into the local Hugging Face cache for offline use."""
    if spec.is_local:
        if not is_present_locally(spec):
            raise ModelError(f"model {spec.name!r}: {spec.model} holds no config.json")
        return Path(spec.model)
    import logging

    from huggingface_hub import HfApi, snapshot_download

    # The hub client logs every retry; the user gets one line from us instead.
    logging.getLogger("huggingface_hub").setLevel(logging.ERROR)
    try:
        files = HfApi().list_repo_files(spec.model, revision=spec.revision)
        # Prefer safetensors: no pickle is ever loaded when the repository has them.
        weights = "*.safetensors" if any(f.endswith(".safetensors") for f in files) else "*.bin"
        return Path(
            snapshot_download(
                spec.model,
                revision=spec.revision,
                allow_patterns=["*.json", "*.spm", "*.model", "*.txt", weights],
            )
        )
    except Exception as exc:  # many types, all meaning "not downloaded"
        raise ModelError(
            f"could not download model {spec.name!r} ({spec.model}): {_download_failure(exc, spec)}"
        ) from exc


def _download_failure(exc: Exception, spec: ModelSpec) -> str:
    from huggingface_hub import errors

    if isinstance(exc, errors.OfflineModeIsEnabled):
        return "HF_HUB_OFFLINE is set; unset it to download"
    if isinstance(exc, errors.RepositoryNotFoundError):
        return "no such model on the hub (or it is private)"
    if isinstance(exc, errors.RevisionNotFoundError):
        return f"the hub has no revision {spec.revision!r}"
    return f"cannot reach the Hugging Face hub ({_first_line(exc)})"


def ctranslate2_options(settings: dict[str, Any], *, forced_eos: bool) -> dict[str, Any]:
    """generate() settings as CTranslate2 translate_batch() options, counted its way.

    Measured against transformers 5.24 on the tiny test models (greedy, float32):
    - transformers counts decoder lengths from the decoder start token; CTranslate2 counts
      generated tokens, a target prefix (BART's forced <s>) included but not the start token.
      So max_length M allows M-1 new tokens, and min_length m requires m-1.
    - with forced_eos_token_id, transformers spends the last new token on a forced </s>;
      CTranslate2 stops without one, so its limit is one token less.
    - CTranslate2's default min_decoding_length of 1 forbids </s> as the first token, where
      transformers allows it: the minimum is always given.
    - early_stopping=True (stop once num_beams hypotheses end) is CTranslate2's own beam
      stopping rule; transformers' default heuristic has no counterpart, so beam search
      (unlike greedy search) can differ slightly between engines.
    """
    new_tokens = settings.get("max_new_tokens")
    if new_tokens is None:
        new_tokens = settings.get("max_length", 20) - 1
    max_length = new_tokens - 1 if forced_eos else new_tokens
    min_length = max(settings.get("min_length", 0) - 1, settings.get("min_new_tokens") or 0, 0)
    options: dict[str, Any] = {
        "beam_size": settings.get("num_beams", 1),
        "length_penalty": float(settings.get("length_penalty", 1.0)),
        "repetition_penalty": float(settings.get("repetition_penalty", 1.0)),
        "no_repeat_ngram_size": settings.get("no_repeat_ngram_size", 0),
        "max_decoding_length": max_length,
        "min_decoding_length": min(min_length, max(max_length, 0)),
    }
    if settings.get("do_sample"):
        options["sampling_topk"] = settings.get("top_k", 50)
        options["sampling_topp"] = float(settings.get("top_p", 1.0))
        options["sampling_temperature"] = float(settings.get("temperature", 1.0))
    return options


def converted_folder(spec: ModelSpec, cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """CACHE/ctranslate2/NAME-HASH-COMPUTE_TYPE: one folder per model files and compute
    type; HASH names the files (weights_identity), so changed weights convert again."""
    from summarizer.cache import default_cache_dir

    root = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    material = f"{CONVERSION_VERSION}:{weights_identity(spec)}"
    digest = hashlib.sha256(material.encode("utf-8")).hexdigest()[:16]
    name = re.sub(r"[^A-Za-z0-9._-]", "_", Path(spec.model).name)[:48] or "model"
    return root / "ctranslate2" / f"{name}-{digest}-{spec.compute_type}"


def ensure_converted(
    spec: ModelSpec,
    source: Path,
    cache_dir: str | os.PathLike[str] | None,
    on_progress: ProgressCallback,
) -> Path:
    """The model converted for CTranslate2 at `spec.compute_type`, converting it once.

    The conversion is written into a temporary folder beside the target and renamed into
    place only when complete, so a killed or concurrent conversion never leaves a partial
    folder where a later run would use it. A folder without its record is set aside."""
    target = converted_folder(spec, cache_dir)
    weights = weights_identity(spec)
    if _is_complete(target, weights, spec.compute_type):
        return target
    if target.exists():
        _discard(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_conversions(target.parent)
    on_progress(f"converting {spec.name} to ctranslate2 {spec.compute_type} (once)")
    temporary = target.parent / f".tmp-{target.name}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        _convert(spec, source, temporary)
        record = {
            "model": spec.model,
            "weights": weights,
            "compute_type": spec.compute_type,
            "conversion": CONVERSION_VERSION,
            "ctranslate2": _ctranslate2_version(),
        }
        (temporary / CONVERSION_RECORD).write_text(json.dumps(record, indent=2) + "\n")
        try:
            os.rename(temporary, target)
        except OSError:
            # Another run finished the same conversion first: use theirs.
            if not _is_complete(target, weights, spec.compute_type):
                raise
    finally:
        shutil.rmtree(temporary, ignore_errors=True)
    return target


def _convert(spec: ModelSpec, source: Path, output: Path) -> None:
    import transformers
    from ctranslate2.converters import TransformersConverter

    _transformers_for(spec)  # quieten transformers as for any load
    # ctranslate2 4.8.5's BART converter reads config.normalize_before, which BartConfig
    # lost in transformers 5. BART normalizes after each block, which False says; set only
    # for the conversion, and only when transformers does not define it.
    patched = not hasattr(transformers.BartConfig, "normalize_before")
    if patched:
        transformers.BartConfig.normalize_before = False
    try:
        converter = TransformersConverter(str(source), trust_remote_code=False)
        converter.convert(str(output), quantization=spec.compute_type)
    except (OSError, ValueError, NotImplementedError, KeyError, AttributeError) as exc:
        raise ModelError(
            f"model {spec.name!r} cannot be converted for ctranslate2 ({_first_line(exc)}); "
            'use engine = "torch" for it in models.toml, or --engine torch'
        ) from exc
    finally:
        if patched:
            del transformers.BartConfig.normalize_before


def _is_complete(folder: Path, weights: str, compute_type: str) -> bool:
    try:
        record = json.loads((folder / CONVERSION_RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (
        isinstance(record, dict)
        and record.get("weights") == weights
        and record.get("compute_type") == compute_type
        and (folder / "model.bin").is_file()
    )


def _discard(folder: Path) -> None:
    """Move a broken folder out of the way first (one rename), then delete it."""
    aside = folder.parent / f".tmp-broken-{folder.name}-{uuid.uuid4().hex[:8]}"
    with contextlib.suppress(OSError):
        os.rename(folder, aside)
    shutil.rmtree(aside, ignore_errors=True)


def _remove_stale_conversions(root: Path) -> None:
    """Temporary folders that killed conversions left behind (not those in progress)."""
    cutoff = time.time() - _STALE_CONVERSION_SECONDS
    for path in root.glob(".tmp-*"):
        with contextlib.suppress(OSError):
            if path.stat().st_mtime < cutoff:
                shutil.rmtree(path, ignore_errors=True)


def _ctranslate2_version() -> str:
    import ctranslate2

    return ctranslate2.__version__
