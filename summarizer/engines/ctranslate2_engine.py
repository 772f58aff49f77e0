"""The ctranslate2 engine: the model converted once into a quantized CTranslate2 model
(see ctranslate2_conversion) and run by it, faster on a CPU.

Tokenization stays with the transformers tokenizer, and generate() settings are mapped so
that greedy float32 outputs equal the torch engine's."""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from summarizer.config import GENERATION_TYPES, ModelSpec
from summarizer.engines.base import Generation, _LazyModel
from summarizer.engines.confidence import ctranslate2_confidence
from summarizer.engines.ctranslate2_conversion import (
    Converter,
    convert_model,
    converted_folder,
    discard,
    ensure_converted,
)
from summarizer.engines.files import ensure_present, first_line
from summarizer.engines.threads import thread_count
from summarizer.engines.transformers_engine import load_generation_config, load_tokenizer
from summarizer.errors import ConfigError, ModelError

if TYPE_CHECKING:
    from summarizer.engines import ProgressCallback, Request

# What ctranslate2.Translator raises for a converted folder it cannot load.
_LOAD_FAILURES = (RuntimeError, ValueError, OSError)


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
        convert: Converter = convert_model,
        on_warning: Callable[[str], None] | None = None,
    ) -> None:
        """`cache_dir`: where converted models are kept (default: the user cache folder).
        `threads`: [pipeline] threads from models.toml (see thread_count).
        `convert`: what writes a conversion (see ensure_converted).
        `on_warning`: told when conversions must go to a temporary folder instead."""
        super().__init__(spec, on_progress, threads)
        self._cache_dir = Path(cache_dir) if cache_dir is not None else None
        self._convert = convert
        self._on_warning = on_warning
        self._translator: Any = None
        # The model's own generation defaults (what generate() would apply) and the decoder
        # tokens HF forces, read from its generation config.
        self._defaults: dict[str, Any] = {}
        self._forced_bos: str | None = None
        self._forced_eos = False
        # The tokens that end an output (a chat model's end of turn and end of text).
        self._end_tokens: list[str] = []

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
        self._load()
        return [output.text for output in self._submit(texts, settings, scored=False)()]

    def generate_batches(self, requests: Iterable[Request]) -> Iterator[list[Generation]]:
        """Up to parallel_batches requests run at once, each with its own settings; outputs
        with their confidences, in request order. Few are queued ahead, so that an
        interrupted run stops soon."""
        self._load()
        workers = self.parallel_batches
        running: deque[Callable[[], list[Generation]]] = deque()
        for texts, settings in requests:
            running.append(self._submit(texts, settings, scored=True))
            if len(running) > workers:
                yield running.popleft()()
        while running:
            yield running.popleft()()

    def _submit(
        self, texts: list[str], settings: dict[str, Any], *, scored: bool
    ) -> Callable[[], list[Generation]]:
        """Starts one batch; the returned function waits for its decoded outputs, with their
        confidences when `scored` (see ctranslate2_confidence)."""
        options = ctranslate2_options({**self._defaults, **settings}, forced_eos=self._forced_eos)
        if options["max_decoding_length"] < 1:
            # No room for anything but the forced end of sentence: HF returns empty texts.
            return lambda: [Generation("", None) for _ in texts]
        tokenizer = self._tokenizer
        source = [tokenizer.convert_ids_to_tokens(self._encode(text)) for text in texts]
        prefix_token = self._target_token or self._forced_bos
        prefix = [[prefix_token] for _ in texts] if prefix_token else None
        # max_input_length=0: never truncate; the stages already keep inputs within limits.
        # return_end_token changes what is returned, not what is decoded: with it, the
        # hypothesis is as long as the length that divides its score.
        common = {"asynchronous": True, "return_scores": scored, "return_end_token": scored}
        if self._kind == "chat":
            pending = self._translator.generate_batch(
                source, **common, **generator_options(options, self._end_tokens)
            )
        else:
            pending = self._translator.translate_batch(
                source, target_prefix=prefix, max_input_length=0, **common, **options
            )
        prefix_length = 1 if prefix and self._kind != "chat" else 0

        def outputs() -> list[Generation]:
            return [
                self._output(result.result(), scored, prefix_length, options["length_penalty"])
                for result in pending
            ]

        return outputs

    def _output(
        self, result: Any, scored: bool, prefix_length: int, length_penalty: float
    ) -> Generation:
        """One translate_batch() result as text, decoded as the torch engine decodes."""
        tokens = result.sequences[0] if self._kind == "chat" else result.hypotheses[0]
        confidence = None
        if scored:
            confidence = ctranslate2_confidence(
                result.scores[0], len(tokens), prefix_length, length_penalty
            )
            if tokens and tokens[-1] in self._end_tokens:
                tokens = tokens[:-1]
        ids = self._tokenizer.convert_tokens_to_ids(tokens)
        text = self._tokenizer.decode(ids, skip_special_tokens=True)
        return Generation(text.strip(), confidence)

    def _load(self) -> None:
        """Checks, converts once, opens the translator, then reads the tokenizer and the
        generation defaults; the model counts as loaded only when all of them are."""
        if self._translator is not None:
            return
        self._check_settings()
        source = ensure_present(self.spec, self._on_progress)
        ctranslate2 = _import_ctranslate2(self.spec)
        _check_compute_type(ctranslate2, self.spec)
        self._read_kind()
        translator = self._open_translator(ctranslate2, source)
        self._tokenizer = load_tokenizer(self.spec)
        self._read_generation_config()
        self._translator = translator

    def _check_settings(self) -> None:
        unsupported = self.spec.unsupported_settings()
        if unsupported:
            part = "generation" if unsupported[0] in self.spec.generation else "retry"
            raise ConfigError(
                "the ctranslate2 engine cannot honour it",
                table=f"models.{self.spec.name}.{part}",
                key=unsupported[0],
                hint="remove it or run this model with the torch engine",
            )

    def _open_translator(self, ctranslate2: Any, source: Path) -> Any:
        """A translator on the converted model; a conversion damaged after it was written
        (a truncated copy, a bad disk) is converted again, once."""
        folder = self._ensure_converted(source)
        self._on_progress(f"loading {self.spec.name} (ctranslate2 {self.spec.compute_type})")
        threads = thread_count(self._threads)
        workers = self.parallel_batches
        options = {
            "device": "cpu",
            "compute_type": self.spec.compute_type,
            "inter_threads": workers,
            "intra_threads": max(1, threads // workers),
        }
        # A decoder-only model is a Generator, a sequence-to-sequence one a Translator.
        runtime = ctranslate2.Generator if self._kind == "chat" else ctranslate2.Translator
        try:
            return runtime(str(folder), **options)
        except _LOAD_FAILURES:
            discard(folder)
        folder = self._ensure_converted(source)
        try:
            return runtime(str(folder), **options)
        except _LOAD_FAILURES as exc:
            raise ModelError(
                f"ctranslate2 cannot load its conversion in {folder} ({first_line(exc)})",
                model=self.spec.name,
                engine="ctranslate2",
                hint='try engine = "torch" for it',
            ) from exc

    def _ensure_converted(self, source: Path) -> Path:
        return ensure_converted(
            self.spec,
            source,
            self._cache_dir,
            self._on_progress,
            convert=self._convert,
            on_warning=self._on_warning,
        )

    def _read_generation_config(self) -> None:
        """The defaults HF's generate() would apply, and the tokens it forces."""
        generation = load_generation_config(self.spec)
        self._defaults = {
            key: value
            for key in GENERATION_TYPES
            if (value := getattr(generation, key, None)) is not None
        }
        bos_id = generation.forced_bos_token_id
        self._forced_bos = None if bos_id is None else self._tokenizer.convert_ids_to_tokens(bos_id)
        self._forced_eos = generation.forced_eos_token_id is not None
        eos = generation.eos_token_id
        eos_ids = eos if isinstance(eos, list) else [] if eos is None else [eos]
        tokens = self._tokenizer.convert_ids_to_tokens(eos_ids)
        self._end_tokens = tokens or [self._tokenizer.eos_token]


def _import_ctranslate2(spec: ModelSpec) -> Any:
    try:
        import ctranslate2
    except ImportError as exc:  # e.g. Intel macOS, for which no wheel is published
        raise ModelError(
            "{model} is set to run with ctranslate2, which is not installed",
            model=spec.name,
            engine="ctranslate2",
            hint='pip install ctranslate2, or use engine = "torch" in models.toml',
        ) from exc
    return ctranslate2


def _check_compute_type(ctranslate2: Any, spec: ModelSpec) -> None:
    supported = ctranslate2.get_supported_compute_types("cpu")
    if spec.compute_type not in supported:
        raise ModelError(
            f"this CPU cannot run compute_type {spec.compute_type!r} with ctranslate2 "
            f"(it runs: {', '.join(sorted(supported))})",
            model=spec.name,
            hint="change compute_type in models.toml",
        )


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


def generator_options(options: dict[str, Any], end_tokens: list[str]) -> dict[str, Any]:
    """translate_batch() options (ctranslate2_options) as a Generator's generate_batch()
    takes them: the prompt is not part of the result, and its lengths count only the
    generated tokens, as max_new_tokens does."""
    generator = dict(options)
    generator["max_length"] = generator.pop("max_decoding_length")
    generator["min_length"] = generator.pop("min_decoding_length")
    return {**generator, "include_prompt_in_result": False, "end_token": end_tokens}
