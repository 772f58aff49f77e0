"""Recording stand-ins for models, to check exactly what reaches a model."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from summarizer.cache import Cache
from summarizer.config import ModelSpec
from summarizer.engines import Generation
from summarizer.translate import route, translate_documents


class FakeModel:
    """Counts one token per word (+1 for end of sentence); records every generate() call."""

    def __init__(self, spec: ModelSpec, parallel_batches: int = 1) -> None:
        self.spec = spec
        self.parallel_batches = parallel_batches
        self.batches: list[list[str]] = []
        self.settings: list[dict[str, Any]] = []
        self.token_counts = 0

    @property
    def identity(self) -> str:
        return f"fake:{self.spec.name}"

    def count_tokens(self, text: str) -> int:
        self.token_counts += 1
        return len(text.split()) + 1

    def generate(self, texts: list[str], settings: dict[str, Any]) -> list[str]:
        self.batches.append(list(texts))
        self.settings.append(dict(settings))
        return [self.respond(text) for text in texts]

    def generate_batches(
        self, requests: Iterable[tuple[list[str], dict[str, Any]]]
    ) -> Iterator[list[Generation]]:
        for texts, settings in requests:
            outputs = self.generate(texts, settings)
            scored = zip(outputs, map(self.confidence, texts), strict=True)
            yield [Generation(output, confidence) for output, confidence in scored]

    def respond(self, text: str) -> str:
        return f"[{text}]"

    def confidence(self, text: str) -> float:
        return -0.1

    @property
    def calls(self) -> int:
        return len(self.batches)


class FakeSummarizer(FakeModel):
    """Answers with the first half of its input's words, so summaries shrink as real ones do."""

    def respond(self, text: str) -> str:
        words = text.split()
        return " ".join(words[: max(1, len(words) // 2)])


class NeverShorter(FakeSummarizer):
    """Gives back unchanged every input that holds the word "endless": the summaries of a
    text about it never get shorter."""

    def respond(self, text: str) -> str:
        return text if "endless" in text else super().respond(text)


class CappedSummarizer(FakeSummarizer):
    """Summarizes as FakeSummarizer does, cut to the max_length it is given, and remembers
    each chunk's summary."""

    def __init__(self, spec_: ModelSpec) -> None:
        super().__init__(spec_)
        self.summaries: dict[str, str] = {}

    def generate(self, texts: list[str], settings: dict[str, Any]) -> list[str]:
        self.batches.append(list(texts))
        self.settings.append(dict(settings))
        outputs = [" ".join(self.respond(t).split()[: settings["max_length"]]) for t in texts]
        self.summaries.update(zip(texts, outputs, strict=True))
        return outputs


class InventingSummarizer(FakeSummarizer):
    """Summarizes with the first half of the words, after a sentence that states a year and
    a name the text never has; on a retry (unless `stubborn`) without it. With `about`,
    only inputs that hold that word get the sentence."""

    def __init__(self, spec_: ModelSpec, *, stubborn: bool = False, about: str = "") -> None:
        super().__init__(spec_)
        self.stubborn = stubborn
        self.about = about
        self.retries = 0

    def generate(self, texts: list[str], settings: dict[str, Any]) -> list[str]:
        self.batches.append(list(texts))
        self.settings.append(dict(settings))
        retry = is_retry(settings)
        self.retries += retry
        honest = retry and not self.stubborn
        invented = "" if honest else "In 1987 the mayor met Pauline Dufresnoy. "
        return [(invented if self.about in t else "") + self.respond(t) for t in texts]


def is_retry(settings: dict[str, Any]) -> bool:
    """Whether generate() got a retry's settings (the default retries' penalty)."""
    return settings.get("repetition_penalty", 1.0) != 1.0


def spec(task: str = "translation", **overrides: Any) -> ModelSpec:
    values: dict[str, Any] = {
        "name": f"fake-{task}",
        "task": task,
        "model": "fake/model",
        "source": "fr" if task == "translation" else None,
        "target": "en",
        "max_input_tokens": 16,
        "batch_size": 3,
        "generation": {"num_beams": 2, "max_new_tokens": 512}
        if task == "translation"
        else {"num_beams": 2, "min_length": 5, "max_length": 20},
    }
    values.update(overrides)
    return ModelSpec(**values)


def translate_one(paragraphs: list[str], language: str, model: FakeModel, cache: Cache):
    """One document through translate.py's entry point (route, then translate_documents),
    every paragraph routed to `model`: (its translated paragraphs, its TranslationStats)."""
    document = route(paragraphs, [language] * len(paragraphs), lambda _language: model.spec)
    (failure,) = translate_documents([document], lambda _spec: model, cache)
    if failure is not None:
        raise failure
    return document.english, document.stats
