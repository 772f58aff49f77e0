"""Converting a transformers model once into a CTranslate2 model under the cache folder.

A converted folder is named by the model's files and compute type, written beside its
place and renamed in only when complete, and used only when its record matches."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from summarizer.config import ModelSpec
from summarizer.engines.files import first_line, weights_identity
from summarizer.engines.transformers_engine import load_errors, transformers_for, weight_options
from summarizer.errors import ModelError

if TYPE_CHECKING:
    from summarizer.engines import ProgressCallback

# Bumped whenever the conversion itself changes, so that older converted folders are not
# reused (they stay on disk: deleting CACHE/ctranslate2 is always safe).
CONVERSION_VERSION = 1
# Written last into a converted folder: a folder without it is partial and never used.
CONVERSION_RECORD = "summarizer-conversion.json"
# A conversion's temporary folder older than this was left by a killed run.
_STALE_CONVERSION_SECONDS = 3600

# Writes the model `spec` (its files in `source`) converted into the folder `output`.
Converter = Callable[[ModelSpec, Path, Path], None]


def converted_folder(spec: ModelSpec, cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """CACHE/ctranslate2/NAME-HASH-COMPUTE_TYPE: one folder per model files and compute
    type; HASH names the files (weights_identity), so changed weights convert again."""
    from summarizer.cache import default_cache_dir

    root = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    material = f"{CONVERSION_VERSION}:{weights_identity(spec)}"
    digest = hashlib.sha256(material.encode("utf-8")).hexdigest()[:16]
    name = re.sub(r"[^A-Za-z0-9._-]", "_", Path(spec.model).name)[:48] or "model"
    return root / "ctranslate2" / f"{name}-{digest}-{spec.compute_type}"


def convert_model(spec: ModelSpec, source: Path, output: Path) -> None:
    """The real Converter: ctranslate2's TransformersConverter, quantized to compute_type."""
    import transformers
    from ctranslate2.converters import TransformersConverter

    transformers_for(spec)  # quieten transformers as for any load
    # ctranslate2 4.8.5's BART converter reads config.normalize_before, which BartConfig
    # lost in transformers 5. BART normalizes after each block, which False says; set only
    # for the conversion, and only when transformers does not define it.
    patched = not hasattr(transformers.BartConfig, "normalize_before")
    if patched:
        transformers.BartConfig.normalize_before = False
    try:
        _converter(TransformersConverter, spec, source).convert(
            str(output), quantization=spec.compute_type
        )
    except ModelError:
        raise
    except (OSError, ValueError, NotImplementedError, KeyError, AttributeError) as exc:
        raise ModelError(
            f"{{model}} cannot be converted for ctranslate2 ({first_line(exc)})",
            model=spec.name,
            engine="ctranslate2",
            hint='use engine = "torch" for it in models.toml',
        ) from exc
    finally:
        if patched:
            del transformers.BartConfig.normalize_before


def _converter(base: type, spec: ModelSpec, source: Path) -> Any:
    """ctranslate2's converter, loading the model's files as the torch engine does: weights
    through weight_options (safetensors first, a pickle only through the weights-only
    unpickler), never code shipped with the model, and a failure to load the user's files
    is the torch engine's one line (load_errors): the other engine would fail the same way."""

    class SafeConverter(base):  # type: ignore[misc, valid-type]
        def load_model(self, model_class: Any, path: str, **kwargs: Any) -> Any:
            with load_errors(spec, "weights"):
                return model_class.from_pretrained(
                    path, **kwargs, local_files_only=True, **weight_options(spec)
                )

        def load_tokenizer(self, tokenizer_class: Any, path: str, **kwargs: Any) -> Any:
            with load_errors(spec, "tokenizer"):
                return tokenizer_class.from_pretrained(path, **kwargs, local_files_only=True)

    return SafeConverter(str(source), trust_remote_code=False)


def ensure_converted(
    spec: ModelSpec,
    source: Path,
    cache_dir: str | os.PathLike[str] | None,
    on_progress: ProgressCallback,
    *,
    convert: Converter = convert_model,
    on_warning: Callable[[str], None] | None = None,
) -> Path:
    """The model converted for CTranslate2 at `spec.compute_type`, converting it once.

    The conversion is written into a temporary folder beside the target and renamed into
    place only when complete, so a killed or concurrent conversion never leaves a partial
    folder where a later run would use it. A folder without its record is set aside.
    `convert` writes the conversion (tests pass one that fails or races another run).
    A cache folder that cannot hold conversions (a file, a path under /proc, a read-only
    disk) does not stop the run: the conversion goes to a temporary folder, and
    `on_warning` says so."""
    target = converted_folder(spec, cache_dir)
    weights = weights_identity(spec)
    if _is_complete(target, weights, spec.compute_type):
        return target
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        fallback = _temporary_root()
        if on_warning is None or Path(cache_dir or "") == fallback:
            raise ModelError(
                f"model {spec.name!r}: cannot write its ctranslate2 conversion in "
                f"{target.parent} ({exc.strerror or exc})"
            ) from exc
        on_warning(
            f"cannot keep converted models in {target.parent} ({exc.strerror or exc}); "
            f"converting into {fallback} instead"
        )
        return ensure_converted(spec, source, fallback, on_progress, convert=convert)
    if target.exists():
        discard(target)
    _remove_stale_conversions(target.parent)
    on_progress(f"converting {spec.name} to ctranslate2 {spec.compute_type} (once)")
    temporary = target.parent / f".tmp-{target.name}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        convert(spec, source, temporary)
        _write_record(temporary, spec, weights)
        try:
            os.rename(temporary, target)
        except OSError:
            # Another run finished the same conversion first: use theirs.
            if not _is_complete(target, weights, spec.compute_type):
                raise
    finally:
        shutil.rmtree(temporary, ignore_errors=True)
    return target


def _temporary_root() -> Path:
    """Where conversions go when the cache folder cannot hold them: this user's own folder
    in the system's temporary folder."""
    user = os.getuid() if hasattr(os, "getuid") else os.getpid()
    return Path(tempfile.gettempdir()) / f"summarizer-{user}"


def discard(folder: Path) -> None:
    """Move a broken folder out of the way first (one rename), then delete it."""
    aside = folder.parent / f".tmp-broken-{folder.name}-{uuid.uuid4().hex[:8]}"
    with contextlib.suppress(OSError):
        os.rename(folder, aside)
    shutil.rmtree(aside, ignore_errors=True)


def _write_record(folder: Path, spec: ModelSpec, weights: str) -> None:
    """The record that makes `folder` a complete conversion of these weights."""
    import ctranslate2

    record = {
        "model": spec.model,
        "weights": weights,
        "compute_type": spec.compute_type,
        "conversion": CONVERSION_VERSION,
        "ctranslate2": ctranslate2.__version__,
    }
    (folder / CONVERSION_RECORD).write_text(json.dumps(record, indent=2) + "\n")


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


def _remove_stale_conversions(root: Path) -> None:
    """Temporary folders that killed conversions left behind (not those in progress)."""
    cutoff = time.time() - _STALE_CONVERSION_SECONDS
    for path in root.glob(".tmp-*"):
        with contextlib.suppress(OSError):
            if path.stat().st_mtime < cutoff:
                shutil.rmtree(path, ignore_errors=True)
