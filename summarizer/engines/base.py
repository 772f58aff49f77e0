"""What both engines share: a spec, a transformers tokenizer loaded on first use, and an
identity computed from files on disk."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from summarizer.config import ModelSpec
from summarizer.engines.families import language_scheme, model_kind, target_token
from summarizer.engines.files import model_identity
from summarizer.errors import ModelError
from summarizer.language_codes import language_token

if TYPE_CHECKING:
    from summarizer.engines import ProgressCallback, Request


@dataclass(frozen=True)
class Generation:
    """One output of a model and how sure the model was of it."""

    text: str
    # Mean natural-log probability per generated token (end-of-sentence included; forced
    # tokens such as a decoder start or a forced BOS/language token excluded). 0 is certain;
    # lower is less sure. None when the output was not generated (nothing to score).
    confidence: float | None


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
        # model_kind's answer, and a many-to-many translator's forced first token: read
        # when the model loads, from its files.
        self._kind = "seq2seq"
        self._target_token: str | None = None
        self._scheme = ""
        # Language tokens found in the tokenizer (checked once each).
        self._known_languages: set[str] = set()

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
        return len(self._encode(text))

    def _read_kind(self) -> None:
        """The kind, and the target token of a many-to-many translator (from its files)."""
        self._kind = model_kind(self.spec)
        if self._kind == "many-to-many":
            self._target_token = target_token(self.spec)
            self._scheme = language_scheme(self.spec)

    def _encode(self, text: str) -> list[int]:
        """The ids the model receives for `text`. A many-to-many translator's text starts
        with its language code ("fr Bonjour"), set as the tokenizer's source language, which
        adds the model's language token; a chat model's text is the user's message, put in
        the model's chat template."""
        tokenizer = self._tokenizer
        if self._kind == "many-to-many":
            code, _, text = text.partition(" ")
            self._check_language(language_token(self._scheme, code))
            self._check_language(self._target_token or "")
            tokenizer.src_lang = code
        elif self._kind == "chat":
            if not tokenizer.chat_template:
                raise ModelError(
                    "its tokenizer has no chat template",
                    model=self.spec.name,
                    hint="use an instruction-tuned (chat) checkpoint, whose files include one",
                )
            message = [{"role": "user", "content": text}]
            text = tokenizer.apply_chat_template(
                message, add_generation_prompt=True, tokenize=False
            )
            return list(tokenizer(text, add_special_tokens=False)["input_ids"])
        return list(tokenizer(text, add_special_tokens=True)["input_ids"])

    def _check_language(self, token: str) -> None:
        """A language token the tokenizer lacks would be read as unknown text: refused."""
        if token in self._known_languages:
            return
        tokenizer = self._tokenizer
        if tokenizer.convert_tokens_to_ids(token) in (None, tokenizer.unk_token_id):
            name = self.spec.name
            raise ModelError(
                f"its tokenizer has no language token {token!r}",
                model=name,
                hint=f"correct the code under [models.{name}.language_codes]",
            )
        self._known_languages.add(token)

    @property
    def parallel_batches(self) -> int:
        """How many batches the model runs at once; callers cut work into at least this
        many batches so that none of them idles."""
        return 1

    def generate(self, texts: list[str], settings: dict[str, Any]) -> list[str]:
        raise NotImplementedError

    def generate_batches(self, requests: Iterable[Request]) -> Iterator[list[Generation]]:
        """Each (texts, settings) request's outputs with their confidences, in request order,
        as each completes."""
        for texts, settings in requests:
            yield self._generate_scored(texts, settings)

    def _generate_scored(self, texts: list[str], settings: dict[str, Any]) -> list[Generation]:
        """generate()'s outputs, each with its confidence; scoring costs what generate() does
        not pay, so only callers that use the confidence ask for it."""
        raise NotImplementedError

    def _load(self) -> None:
        raise NotImplementedError
