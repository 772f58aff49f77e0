"""The only module that touches torch and transformers, and only when a model is used.

A fully cached run never constructs a tokenizer or a model, so it never pays for importing
torch. Model identity (what cache keys are made of) is computed from files on disk, without
loading anything.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from summarizer.config import ModelSpec
from summarizer.errors import ModelError

ENGINE = "torch"
_COMMIT = re.compile(r"^[0-9a-f]{40}$")
# Files this small are hashed whole for a local model's identity; weights by size and mtime.
_HASH_WHOLE_BELOW = 4 * 1024 * 1024


class Model(Protocol):
    """What the stages need from a model; tests substitute recording fakes."""

    spec: ModelSpec

    @property
    def identity(self) -> str: ...

    def count_tokens(self, text: str) -> int: ...

    def generate(self, texts: list[str], settings: dict[str, Any]) -> list[str]: ...


ProgressCallback = Callable[[str], None]


class TransformersModel:
    """A seq2seq model and its tokenizer, loaded on first use."""

    def __init__(self, spec: ModelSpec, on_progress: ProgressCallback | None = None) -> None:
        self.spec = spec
        self._on_progress = on_progress or (lambda message: None)
        self._tokenizer: Any = None
        self._model: Any = None

    @property
    def identity(self) -> str:
        return model_identity(self.spec)

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def count_tokens(self, text: str) -> int:
        """Tokens the model would receive for `text`, special tokens included."""
        self._load()
        return len(self._tokenizer(text, add_special_tokens=True)["input_ids"])

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
        if not self.spec.is_local and not is_present_locally(self.spec):
            if offline():
                raise ModelError(
                    f"model {self.spec.name!r} ({self.spec.model}) is not in the local Hugging "
                    "Face cache and HF_HUB_OFFLINE is set: run "
                    f"`summarizer models pull {self.spec.name}` with network access first"
                )
            self._on_progress(f"downloading {self.spec.model} from the Hugging Face hub")
            pull(self.spec)
        self._on_progress(f"loading {self.spec.name}")
        self._tokenizer, self._model = load_pretrained(self.spec)


def load_model(spec: ModelSpec, on_progress: ProgressCallback | None = None) -> TransformersModel:
    """A lazily loading model for `spec`: nothing is imported until it is used."""
    return TransformersModel(spec, on_progress)


def load_pretrained(spec: ModelSpec) -> tuple[Any, Any]:
    """Tokenizer and model from a local folder or the local Hugging Face cache; no network."""
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
    # Weights: safetensors whenever the folder has them (a pickle beside them is never
    # opened); otherwise a pytorch_model.bin goes through PyTorch's weights-only unpickler,
    # which refuses anything but tensors, so a malicious file fails instead of running.
    weights = weights_folder(spec)
    has_safetensors = weights is not None and any(weights.glob("*.safetensors"))
    weight_options = {"use_safetensors": True if has_safetensors else None, "weights_only": True}
    try:
        tokenizer = transformers.AutoTokenizer.from_pretrained(spec.model, **options)
        model = transformers.AutoModelForSeq2SeqLM.from_pretrained(
            spec.model, **options, **weight_options
        )
    except (OSError, ValueError, pickle.UnpicklingError) as exc:
        where = spec.model if spec.is_local else f"the local copy of {spec.model}"
        raise ModelError(
            f"model {spec.name!r}: {where} cannot be loaded ({_first_line(exc)}); "
            f"check the folder, or run `summarizer models pull {spec.name}` again"
        ) from exc
    model.eval()
    return tokenizer, model


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes", "on")


def model_identity(spec: ModelSpec) -> str:
    """Names exactly which weights produce an output: part of every cache key.

    "ENGINE:hub:ID@COMMIT" or "ENGINE:local:FOLDER@FINGERPRINT": readable in `cache info`,
    and what `cache clear --model` matches."""
    if spec.is_local:
        return f"{ENGINE}:local:{spec.model}@{folder_fingerprint(Path(spec.model))}"
    return f"{ENGINE}:hub:{spec.model}@{resolved_revision(spec) or spec.revision or 'main'}"


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
