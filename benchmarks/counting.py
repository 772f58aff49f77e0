"""Counting the tokens each path's model calls read and generate, so that the benchmark shows
its paths produced outputs of equal length instead of assuming it.

The engine wrappers reach into a loaded model's private attributes (its transformers model,
tokenizer or ctranslate2 translator): a benchmark may; nothing else should."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class TokenLog:
    """Per task, what one path's model calls produced: calls, inputs (sentences or chunks),
    their tokens, and content tokens (specials excluded) per output."""

    calls: dict[str, int] = field(default_factory=dict)
    input_tokens: dict[str, list[int]] = field(default_factory=dict)
    output_tokens: dict[str, list[int]] = field(default_factory=dict)

    def reset(self) -> None:
        self.calls.clear()
        self.input_tokens.clear()
        self.output_tokens.clear()

    def add(self, task: str, input_tokens: list[int], output_tokens: list[int]) -> None:
        self.calls[task] = self.calls.get(task, 0) + 1
        self.input_tokens.setdefault(task, []).extend(input_tokens)
        self.output_tokens.setdefault(task, []).extend(output_tokens)

    def summary(self) -> dict[str, dict[str, Any]]:
        return {
            task: {
                "calls": self.calls[task],
                "inputs": len(self.output_tokens[task]),
                "input_tokens": sum(self.input_tokens[task]),
                "output_tokens": sum(self.output_tokens[task]),
                "per_output": sorted(set(self.output_tokens[task])),
            }
            for task in sorted(self.calls)
        }


def content_counts(output_ids: Any, special_ids: list[int]) -> list[int]:
    """Generated tokens per row of a generate() result, special tokens excluded."""
    import torch

    special = torch.tensor(special_ids)
    return (~torch.isin(output_ids, special)).sum(dim=1).tolist()


def input_counts(input_ids: Any, pad_id: int) -> list[int]:
    return (input_ids != pad_id).sum(dim=1).tolist()


def count_torch_model(model: Any, task: str, log: TokenLog) -> None:
    """Wrap a loaded TransformersModel's generate() to count its tokens (one Python call and
    a sum per batch: nothing measurable)."""
    hf_model, tokenizer = model._model, model._tokenizer
    original = hf_model.generate
    specials = list(tokenizer.all_special_ids)

    def generate(*args: Any, **kwargs: Any) -> Any:
        output = original(*args, **kwargs)
        # A scored call (return_dict_in_generate) returns its ids as `sequences`.
        output_ids = getattr(output, "sequences", output)
        inputs = input_counts(kwargs["input_ids"], tokenizer.pad_token_id)
        log.add(task, inputs, content_counts(output_ids, specials))
        return output

    hf_model.generate = generate


class CountingTranslator:
    """Stands in for a ctranslate2.Translator (or a chat model's Generator): passes
    translate_batch() (generate_batch()) through, counting."""

    def __init__(self, translator: Any, task: str, log: TokenLog, specials: set[str]) -> None:
        self._translator, self._task, self._log, self._specials = translator, task, log, specials

    def translate_batch(self, source: list[list[str]], **options: Any) -> Any:
        return self._counted(self._translator.translate_batch, source, options)

    def generate_batch(self, prompts: list[list[str]], **options: Any) -> Any:
        return self._counted(self._translator.generate_batch, prompts, options)

    def _counted(self, call: Any, source: list[list[str]], options: dict[str, Any]) -> Any:
        results = call(source, **options)
        self._log.add(self._task, [len(tokens) for tokens in source], [])
        if options.get("asynchronous"):
            return [CountedResult(result, self) for result in results]
        for result in results:
            self.count_output(result)
        return results

    def count_output(self, result: Any) -> None:
        """A translation's hypothesis (its target prefix included, specials not counted), or
        a generation's new tokens (the engine leaves the prompt out of its result)."""
        tokens = result.sequences[0] if hasattr(result, "sequences") else result.hypotheses[0]
        count = sum(token not in self._specials for token in tokens)
        self._log.output_tokens[self._task].append(count)


class CountedResult:
    """An asynchronous translate_batch() result that counts its output when it is read."""

    def __init__(self, pending: Any, translator: CountingTranslator) -> None:
        self._pending, self._translator = pending, translator

    def result(self) -> Any:
        result = self._pending.result()
        self._translator.count_output(result)
        return result


def count_ctranslate2_model(model: Any, task: str, log: TokenLog) -> None:
    specials = set(model._tokenizer.all_special_tokens)
    model._translator = CountingTranslator(model._translator, task, log, specials)
