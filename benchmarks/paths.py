"""The three paths the article benchmark times: the naive one (transformers called directly,
as the old pipelines did) and summarizer's Summarizer.run() on either engine.

The naive path re-implements the pipeline's steps on purpose, from the pipeline's most stable
parts only: sentence splitting and chunk packing (summarizer.segment), and the summaries'
per-chunk lengths (summarizer.prompts.scaled_lengths: the paths' outputs must have the same
lengths, so it follows whatever the pipeline does there)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.counting import (
    TokenLog,
    content_counts,
    count_ctranslate2_model,
    count_torch_model,
)
from benchmarks.models import SUMMARIZER, TRANSLATOR
from summarizer.config import Config, ModelSpec
from summarizer.documents import Document, join_paragraphs
from summarizer.engines import load_model
from summarizer.options import RunOptions
from summarizer.pipeline import Summarizer
from summarizer.prompts import SHORT_TEXT_TOKENS, scaled_lengths
from summarizer.segment import is_translatable, pack_chunks, split_sentences
from summarizer.summarize import MAX_ROUNDS


def sentences_of(document: Document, language: str = "fr") -> list[list[str]]:
    """Each paragraph's sentences, as the pipeline sends them to a translator."""
    return [split_sentences(paragraph, language) for paragraph in document.paragraphs]


def translatable(sentences: list[list[str]]) -> list[str]:
    """The sentences a model must see (repeats included); punctuation-only ones pass through."""
    return [s for paragraph in sentences for s in paragraph if is_translatable(s)]


class NaivePath:
    """The old pipelines: transformers models called directly, one sentence (then one chunk)
    per generate() call, beam 4, no cache."""

    def __init__(self, config: Config, threads: int) -> None:
        import torch
        from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

        torch.set_num_threads(threads)
        self.translator = config.models[TRANSLATOR]
        self.summarizer = config.models[SUMMARIZER]
        self.models = {}
        for spec in (self.translator, self.summarizer):
            tokenizer = AutoTokenizer.from_pretrained(spec.model)
            model = AutoModelForSeq2SeqLM.from_pretrained(spec.model).eval()
            self.models[spec.name] = (tokenizer, model)
        self.log = TokenLog()

    def _generate(self, spec: ModelSpec, text: str, settings: dict[str, Any]) -> str:
        tokenizer, model = self.models[spec.name]
        inputs = tokenizer(text, return_tensors="pt")
        output_ids = model.generate(**inputs, **settings)
        task = "translation" if spec is self.translator else "summarization"
        outputs = content_counts(output_ids, list(tokenizer.all_special_ids))
        self.log.add(task, [inputs["input_ids"].shape[1]], outputs)
        return tokenizer.decode(output_ids[0], skip_special_tokens=True).strip()

    def count_tokens(self, spec: ModelSpec, text: str) -> int:
        tokenizer, _model = self.models[spec.name]
        return len(tokenizer(text)["input_ids"])

    def run(self, document: Document, *, summarize: bool) -> str:
        """Every sentence translated alone (repeated ones again); then every chunk summarized
        alone, as the pipeline chunks and reduces, with its per-chunk lengths."""
        sentences = sentences_of(document)
        settings = dict(self.translator.generation)
        translations = {
            s: self._generate(self.translator, s, settings) for s in translatable(sentences)
        }
        english = join_paragraphs(
            [" ".join(translations.get(s, s) for s in paragraph) for paragraph in sentences]
        )
        if not summarize:
            return english
        return self.summarize(english)

    def summarize(self, english: str) -> str:
        spec = self.summarizer
        settings = dict(spec.generation)

        def count(text: str) -> int:
            return self.count_tokens(spec, text)

        if count(english) <= max(settings.get("min_length", 0), SHORT_TEXT_TOKENS):
            return english
        parts = [s for p in english.split("\n\n") for s in split_sentences(p, "en")]
        chunks = pack_chunks(parts, spec.max_input_tokens, count)
        for _round in range(MAX_ROUNDS):
            partials = [
                self._generate(spec, chunk, scaled_lengths(settings, count(chunk)))
                for chunk in chunks
            ]
            if len(partials) == 1:
                return partials[0]
            joined = " ".join(partials)
            if count(joined) <= spec.max_input_tokens:
                chunks = [joined]
            else:
                chunks = pack_chunks(split_sentences(joined, "en"), spec.max_input_tokens, count)
        raise SystemExit("naive summarization did not converge")


class EnginePath:
    """Summarizer.run() with every model on one engine, models loaded once and shared by
    a new Summarizer per run, each with a fresh, empty cache."""

    def __init__(self, config: Config, engine: str, ct2_cache: Path) -> None:
        self.config, self.engine = config, engine
        self.models: dict[str, Any] = {}
        self.ct2_cache = ct2_cache
        self.log = TokenLog()

    def loader(self, spec: ModelSpec, progress: Callable[[str], None]) -> Any:
        if spec.name not in self.models:
            self.models[spec.name] = load_model(
                spec, progress, cache_dir=self.ct2_cache, threads=self.config.threads
            )
        return self.models[spec.name]

    def summarizer(self, cache_dir: Path) -> Summarizer:
        return Summarizer(
            self.config, cache_dir=cache_dir, engine=self.engine, model_loader=self.loader
        )

    def start_counting(self) -> None:
        """After the warm-up, when the models are loaded."""
        for name, model in self.models.items():
            task = "translation" if name == TRANSLATOR else "summarization"
            if self.engine == "torch":
                count_torch_model(model, task, self.log)
            else:
                count_ctranslate2_model(model, task, self.log)


def run_article(summarizer: Summarizer, text: str | Document, *, summarize: bool) -> Any:
    """The benchmark's one call of Summarizer.run(). Without the checks: the naive path has
    none, and random weights fail them all, so every sentence would be translated twice
    (their cost is measured by `python -m benchmarks.checks --pipeline`)."""
    return summarizer.run(text, RunOptions(summarize=summarize, checks=False))


def fresh_cache(workdir: Path, name: str, ct2_cache: Path) -> Path:
    """An empty cache folder whose ctranslate2/ is the one holding the converted models."""
    folder = workdir / name
    folder.mkdir(parents=True)
    (folder / "ctranslate2").symlink_to(ct2_cache / "ctranslate2", target_is_directory=True)
    return folder
