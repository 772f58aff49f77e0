"""How a summarizer is asked for a summary of one length (--length): a BART summarizer by its
length settings, a chat summarizer by a prompt that names the number of sentences, put in the
model's chat template by the engine, and a bound on its new tokens.

Everything here that shapes an output is part of the cache keys (key_settings)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from summarizer.config import Config, ModelSpec
from summarizer.engines import Model, context_length, model_kind
from summarizer.errors import ConfigError

# Bumped when the way prompts are built changes (their wording is in the keys anyway).
PROMPT_VERSION = 1
DEFAULT_PROMPT = (
    "Summarize the following news article in English in {sentences} sentences. Keep to the "
    "facts it states, with names, numbers, dates and places exactly as written; add no "
    "opinion and nothing it does not say. Write only the summary.\n\n{text}"
)
DEFAULT_REDUCE_PROMPT = (
    "The following texts summarize consecutive parts of one news article. Combine them into "
    "one English summary of {sentences} sentences. Keep to the facts they state, with names, "
    "numbers, dates and places exactly as written; add nothing they do not say. Write only "
    "the summary.\n\n{text}"
)
# A chat summarizer's bound on new tokens when its generation table gives none.
DEFAULT_CHAT_NEW_TOKENS = 256


@dataclass(frozen=True)
class Length:
    # Sentences a chat summarizer is asked for.
    sentences: int
    # A summarizer's length settings (BART's min/max_length, a chat model's max_new_tokens)
    # are multiplied by it.
    factor: float


LENGTHS = {"short": Length(2, 0.5), "medium": Length(4, 1.0), "long": Length(8, 2.0)}
DEFAULT_LENGTH = "medium"


class Request:
    """One summarizer asked for summaries of one length with `generation` settings (its own,
    or its retry's): the settings, cache-key settings and input of each chunk."""

    def __init__(self, model: Model, generation: dict[str, Any], length: str) -> None:
        self.model = model
        self.chat = model_kind(model.spec) == "chat"
        self.length = length
        self.settings = _length_settings(generation, LENGTHS[length], chat=self.chat)
        spec = model.spec
        self._prompts = prompts_of(spec)
        limit = spec.max_input_tokens
        if self.chat:
            # The prompt and the summary share the context with the text.
            limit = min(limit, context_length(spec) or limit) - self.settings["max_new_tokens"]
        self.limit = max(1, limit)

    def check_room(self) -> None:
        """A chat summarizer's context must hold its prompt, a summary, and text enough for
        the map-reduce to converge: two partial summaries at least, else every reduce step
        would be as long as the one before."""
        if not self.chat:
            return
        summary = self.settings["max_new_tokens"]
        prompt = max(self.count_tokens(""), self.count_tokens("", reduce=True))
        if self.limit - prompt < 2 * summary:
            spec = self.model.spec
            raise ConfigError(
                f"is {spec.max_input_tokens}: after the prompt ({prompt} tokens) and the "
                f"summary ({summary}), {self.limit - prompt} tokens are left for the text, "
                f"fewer than two summaries' worth",
                table=f"models.{spec.name}",
                key="max_input_tokens",
                hint="raise it, or lower max_new_tokens, or ask for shorter summaries",
            )

    def key_settings(self, *, reduce: bool | None = None) -> dict[str, Any]:
        """Every setting that shapes an output, for the cache keys: a chunk's (`reduce`
        False) or a combination's (True) prompt, and both for a final summary (None). A
        BART summarizer of the default length keeps the keys it always had."""
        settings = self.model.spec.output_settings_for(self.settings)
        if self.chat:
            prompts = {"prompt": self._prompts[0], "reduce_prompt": self._prompts[1]}
            if reduce is not None:
                prompts = {"prompt": self._prompts[reduce]}
            settings |= {**prompts, "prompt_version": PROMPT_VERSION, "length": self.length}
        return settings

    def input(self, text: str, *, reduce: bool = False) -> str:
        """What the model receives for `text`: for a chat model, its prompt."""
        if not self.chat:
            return text
        return self._prompts[reduce].format(text=text, sentences=LENGTHS[self.length].sentences)

    def count_tokens(self, text: str, *, reduce: bool = False) -> int:
        return self.model.count_tokens(self.input(text, reduce=reduce))

    def text_tokens(self, text: str) -> int:
        """The tokens of `text` alone, its prompt left out."""
        if not self.chat:
            return self.model.count_tokens(text)
        return self.count_tokens(text) - self.count_tokens("")

    def chunk_settings(self, input_tokens: int) -> dict[str, Any]:
        """generate() settings for one chunk: BART's length bounds scaled down for a short
        chunk, so that none is padded with invention; a chat model's as they are."""
        return dict(self.settings) if self.chat else scaled_lengths(self.settings, input_tokens)

    @property
    def shortest(self) -> int:
        """A text this short (in tokens) is its own summary."""
        return max(self.settings.get("min_length", 0), SHORT_TEXT_TOKENS)


def reads_source(config: Config, spec: ModelSpec, warn: Callable[[str], None]) -> set[str]:
    """The languages summarizer `spec` reads articles in, which it then summarizes without
    their translation: those it lists, with summarize_from = "source", for a chat model.
    A setting that cannot apply is said, not silently ignored."""
    if config.summarize_from != "source":
        return set()
    if model_kind(spec) == "chat" and spec.languages:
        return set(spec.languages) - {config.target_language}
    warn(
        f'summarize_from = "source" needs a chat summarizer that lists the languages it '
        f"reads; {spec.name} summarizes the English translation"
    )
    return set()


def prompt_material(spec: ModelSpec) -> list[Any]:
    """A chat summarizer's prompts, for a folder run's resume fingerprint; nothing for
    other models (their fingerprints stay as they were)."""
    if model_kind(spec) != "chat":
        return []
    return [[*prompts_of(spec), PROMPT_VERSION]]


def prompts_of(spec: ModelSpec) -> tuple[str, str]:
    """A chat summarizer's prompts for a chunk and for combining partial summaries: its
    own, else the built-in ones (indexed by `reduce`)."""
    return (spec.prompt or DEFAULT_PROMPT, spec.reduce_prompt or DEFAULT_REDUCE_PROMPT)


def _length_settings(generation: dict[str, Any], length: Length, *, chat: bool) -> dict[str, Any]:
    """`generation` for `length`: a chat model greedy unless told otherwise, its new tokens
    bounded; the length settings multiplied by the length's factor."""
    settings = dict(generation)
    if chat:
        settings = {"do_sample": False, **settings}
        settings.pop("max_length", None)
        settings.pop("min_length", None)
        settings.setdefault("max_new_tokens", DEFAULT_CHAT_NEW_TOKENS)
    if length.factor != 1:
        for key in ("max_length", "min_length", "max_new_tokens", "min_new_tokens"):
            if key in settings:
                settings[key] = max(1, math.ceil(settings[key] * length.factor))
    return settings


# A summary may use at most this share of its input's tokens...
MAX_SUMMARY_SHARE = 0.5
# ...but never fewer tokens than this.
MIN_SUMMARY_TOKENS = 8
# A text this short (or shorter than the configured min_length) is its own summary.
SHORT_TEXT_TOKENS = 2 * MIN_SUMMARY_TOKENS
# An article up to this many characters is summarized from its translation even on the
# source route: it could be its own summary, which must be in English. Characters, not
# words: Chinese and Japanese put no spaces between words; a token takes 1-5 of them.
SHORT_SOURCE_CHARACTERS = 5 * SHORT_TEXT_TOKENS


def scaled_lengths(settings: dict[str, Any], input_tokens: int) -> dict[str, Any]:
    """Summary length bounds scaled down for a short input, so none is padded with invention."""
    scaled = dict(settings)
    ceiling = max(MIN_SUMMARY_TOKENS, int(input_tokens * MAX_SUMMARY_SHARE))
    scaled["max_length"] = min(settings.get("max_length", ceiling), ceiling)
    scaled["min_length"] = min(settings.get("min_length", 0), scaled["max_length"] // 2)
    scaled.pop("max_new_tokens", None)
    scaled.pop("min_new_tokens", None)
    return scaled
