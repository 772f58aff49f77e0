"""The torch engine: a transformers seq2seq model run as published, and the transformers
loaders both engines use (tokenizer, generation config).

transformers is imported inside the functions that need it: importing it costs seconds."""

from __future__ import annotations

import contextlib
import json
import pickle
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from summarizer.config import ModelSpec
from summarizer.engines.base import Generation, _LazyModel
from summarizer.engines.confidence import transformers_confidences
from summarizer.engines.families import model_kind
from summarizer.engines.files import (
    check_local_folder,
    ensure_present,
    first_line,
    weights_folder,
)
from summarizer.engines.threads import thread_count
from summarizer.errors import ModelError

if TYPE_CHECKING:
    from summarizer.engines import ProgressCallback

# model_type -> the tokenizer class transformers' AutoTokenizer maps it to (a test checks).
KNOWN_TOKENIZERS = {"marian": "MarianTokenizer", "bart": "RobertaTokenizer"}
# Names a tokenizer_config.json may give for those classes.
_TOKENIZER_ALIASES = {"BartTokenizer": "RobertaTokenizer"}


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

        inputs = self._inputs(texts)
        with torch.inference_mode():
            output_ids = self._model.generate(**inputs, **self._settings(settings))
        return self._decode(output_ids, inputs)

    def _generate_scored(self, texts: list[str], settings: dict[str, Any]) -> list[Generation]:
        """generate() keeping every step's scores, to compute each output's confidence
        (see confidence.py); the outputs are generate()'s."""
        self._load()
        import torch

        inputs = self._inputs(texts)
        with torch.inference_mode():
            output = self._model.generate(
                **inputs,
                **self._settings(settings),
                output_scores=True,
                return_dict_in_generate=True,
            )
            eos = self._model.generation_config.eos_token_id
            confidences = transformers_confidences(output, eos)
        outputs = self._decode(output.sequences, inputs)
        return [Generation(text, c) for text, c in zip(outputs, confidences, strict=True)]

    def _inputs(self, texts: list[str]) -> Any:
        """The batch's ids, padded: on the right for an encoder, on the left for a
        decoder-only model, whose outputs continue its inputs."""
        side = "left" if self._kind == "chat" else "right"
        ids = [self._encode(text) for text in texts]
        if self._tokenizer.pad_token is None:  # some chat checkpoints name none
            self._tokenizer.pad_token = self._tokenizer.eos_token
        return self._tokenizer.pad(
            {"input_ids": ids}, padding=True, padding_side=side, return_tensors="pt"
        )

    def _settings(self, settings: dict[str, Any]) -> dict[str, Any]:
        """generate() settings, with a many-to-many translator's target language forced."""
        if self._target_token is None:
            return settings
        forced = self._tokenizer.convert_tokens_to_ids(self._target_token)
        return {**settings, "forced_bos_token_id": forced}

    def _decode(self, output_ids: Any, inputs: Any = None) -> list[str]:
        if inputs is not None and self._kind == "chat":  # the prompt comes first
            output_ids = output_ids[:, inputs["input_ids"].shape[1] :]
        decoded = self._tokenizer.batch_decode(output_ids, skip_special_tokens=True)
        return [text.strip() for text in decoded]

    def _load(self) -> None:
        if self._model is not None:
            return
        ensure_present(self.spec, self._on_progress)
        self._on_progress(f"loading {self.spec.name}")
        import torch

        torch.set_num_threads(thread_count(self._threads))
        tokenizer, model = load_pretrained(self.spec)
        self._tokenizer = tokenizer
        self._read_kind()
        self._model = model


def load_pretrained(spec: ModelSpec) -> tuple[Any, Any]:
    """Tokenizer and model from a local folder or the local Hugging Face cache; no network."""
    transformers, options = transformers_for(spec)
    with load_errors(spec, "tokenizer"):
        tokenizer = transformers.AutoTokenizer.from_pretrained(spec.model, **options)
    auto_class = "AutoModelForCausalLM" if model_kind(spec) == "chat" else "AutoModelForSeq2SeqLM"
    with load_errors(spec, "weights"):
        model = getattr(transformers, auto_class).from_pretrained(
            spec.model, **options, **weight_options(spec)
        )
    model.eval()
    return tokenizer, model


def load_tokenizer(spec: ModelSpec) -> Any:
    """The model's transformers tokenizer; no network.

    A model type whose tokenizer class is known is loaded with that class directly: the
    class AutoTokenizer would pick, without the model configuration machinery that imports
    torch (a second of a ctranslate2 run's start, which needs no torch)."""
    transformers, options = transformers_for(spec)
    with load_errors(spec, "tokenizer"):
        known = known_tokenizer_class(spec)
        tokenizer_class = getattr(transformers, known) if known else transformers.AutoTokenizer
        return tokenizer_class.from_pretrained(spec.model, **options)


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
    transformers, options = transformers_for(spec)
    with load_errors(spec, "configuration"):
        try:
            return transformers.GenerationConfig.from_pretrained(spec.model, **options)
        except OSError:
            config = transformers.AutoConfig.from_pretrained(spec.model, **options)
            return transformers.GenerationConfig.from_model_config(config)


def transformers_for(spec: ModelSpec) -> tuple[Any, dict[str, Any]]:
    """transformers, quietened, and the from_pretrained() options that keep it offline."""
    check_local_folder(spec)
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


def weight_options(spec: ModelSpec) -> dict[str, Any]:
    """Weights: safetensors whenever the folder has them (a pickle beside them is never
    opened); otherwise a pytorch_model.bin goes through PyTorch's weights-only unpickler,
    which refuses anything but tensors, so a malicious file fails instead of running. Both
    engines load weights with these options (the ctranslate2 conversion too)."""
    weights = weights_folder(spec)
    has_safetensors = weights is not None and any(weights.glob("*.safetensors"))
    return {"use_safetensors": True if has_safetensors else None, "weights_only": True}


# What each part of a model needs when it cannot be loaded.
_LOAD_HINTS = {
    "tokenizer": "the folder needs the tokenizer files saved with the model "
    "(tokenizer_config.json and its vocabulary)",
    "weights": "check the folder's weight files",
    "configuration": "check the folder's config.json",
}


@contextlib.contextmanager
def load_errors(spec: ModelSpec, part: str) -> Iterator[None]:
    """A model whose `part` ("tokenizer", "weights", "configuration") cannot be loaded is
    one ModelError naming it and what to do.

    transformers, tokenizers, safetensors and torch raise many types for damaged or missing
    files (SafetensorError for a truncated file, TypeError for a missing vocabulary): any
    of them while reading the user's files is that failure, the cause kept for --debug."""
    try:
        yield
    except ModelError:
        raise
    except Exception as exc:
        where = spec.model if spec.is_local else f"the local copy of {spec.model}"
        hint = _LOAD_HINTS[part]
        if isinstance(exc, pickle.UnpicklingError):
            # PyTorch's message explains how to load the file anyway, which would run
            # whatever it holds: it never reaches the user.
            what = "the pickle weights hold more than tensors: refused, as loading could run code"
            hint = "use a copy of the model with safetensors weights"
        else:
            what = first_line(exc)
            if not spec.is_local:
                hint = f"{hint}, or run `summarizer models pull {spec.name}` again"
        raise ModelError(
            f"{where}: its {part} cannot be loaded ({what})",
            model=spec.name,
            hint=hint,
        ) from exc
