"""A model's files: where they are, whether they are on disk, fetching them, and the
identity that names them in cache keys.

Identity is computed from files on disk without loading anything, so a fully cached run
never imports torch. huggingface_hub is imported only when a hub model is looked up."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from summarizer.config import ModelSpec
from summarizer.errors import ModelError

if TYPE_CHECKING:
    from summarizer.engines import ProgressCallback

_COMMIT = re.compile(r"^[0-9a-f]{40}$")
# Files this small are hashed whole for a local model's identity; weights by size and mtime.
HASH_WHOLE_BELOW = 4 * 1024 * 1024


def ensure_present(spec: ModelSpec, on_progress: ProgressCallback) -> Path:
    """The folder holding the model's files, downloading a hub model first if allowed."""
    check_local_folder(spec)
    if not spec.is_local and not is_present_locally(spec):
        if offline():
            raise ModelError(
                f"{{model}} ({spec.model}) is not in the local Hugging Face cache and "
                "HF_HUB_OFFLINE is set",
                model=spec.name,
                hint=f"run `summarizer models pull {spec.name}` with network access first",
            )
        on_progress(f"downloading {spec.model} from the Hugging Face hub")
        return pull(spec)
    return weights_folder(spec) or Path(spec.model)


def check_local_folder(spec: ModelSpec) -> None:
    """A local model whose folder is gone, or is no model folder (no config.json: a typo,
    or `model = "~"`, whose files would otherwise all be hashed first), is one error naming
    the fix, at once."""
    if not spec.is_local:
        return
    folder = Path(spec.model)
    if not folder.is_dir():
        problem = f"folder {spec.model} does not exist"
    elif not (folder / "config.json").is_file():
        problem = f"folder {spec.model} is not a model folder (it holds no config.json)"
    else:
        return
    raise ModelError(
        problem,
        model=spec.name,
        hint="fix `model` in models.toml or run `summarizer models list`",
    )


def ensure_all_present(specs: Iterable[ModelSpec], on_progress: ProgressCallback) -> None:
    """Every model of `specs` on disk before any is loaded, downloading hub models first if
    allowed; otherwise one ModelError naming every model that is missing, not only the
    first. Cheap when all are there: a few file lookups, nothing imported but
    huggingface_hub's constants."""
    by_name = {spec.name: spec for spec in specs}
    for spec in by_name.values():
        check_local_folder(spec)
    missing = [spec for spec in by_name.values() if not is_present_locally(spec)]
    if missing and offline():
        raise _missing_models(missing, "not downloaded, and HF_HUB_OFFLINE is set", "")
    failures: list[tuple[ModelSpec, ModelError]] = []
    for spec in missing:
        on_progress(f"downloading {spec.model} from the Hugging Face hub")
        try:
            pull(spec)
        except ModelError as exc:
            failures.append((spec, exc))
    if failures:
        spec, first = failures[0]
        cause = first.__cause__
        why = _download_failure(cause, spec) if isinstance(cause, Exception) else first.problem
        raise _missing_models(
            [spec for spec, _ in failures],
            f"could not download: {why}",
            ", or set HF_HUB_OFFLINE=1 to use only downloaded models",
        )


def _missing_models(specs: list[ModelSpec], why: str, more: str) -> ModelError:
    names = [spec.name for spec in specs]
    listing = ", ".join(f"{spec.name} ({spec.model})" for spec in specs)
    return ModelError(
        f"{'model' if len(specs) == 1 else 'models'} {listing}: {why}",
        missing=names,
        hint=f"run `summarizer models pull {' '.join(names)}` with network access, "
        f"or set `model` to a local folder in models.toml{more}",
    )


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
        check_local_folder(spec)
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
            if stat.st_size < HASH_WHOLE_BELOW:
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
            raise ModelError(f"{spec.model} holds no config.json", model=spec.name)
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
                allow_patterns=["*.json", "*.spm", "*.model", "*.txt", "*.jinja", weights],
            )
        )
    except Exception as exc:  # many types, all meaning "not downloaded"
        raise ModelError(
            f"could not download {{model}} ({spec.model}): {_download_failure(exc, spec)}",
            model=spec.name,
        ) from exc


def _download_failure(exc: Exception, spec: ModelSpec) -> str:
    from huggingface_hub import errors

    if isinstance(exc, errors.OfflineModeIsEnabled):
        return "HF_HUB_OFFLINE is set; unset it to download"
    if isinstance(exc, errors.RepositoryNotFoundError):
        return "no such model on the hub (or it is private)"
    if isinstance(exc, errors.RevisionNotFoundError):
        return f"the hub has no revision {spec.revision!r}"
    return f"cannot reach the Hugging Face hub ({first_line(exc)})"


def first_line(exc: BaseException) -> str:
    """An exception's first line, for the one-line errors every load failure becomes."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
