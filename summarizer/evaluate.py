"""Measuring a translator or a summarizer on the user's own reference texts.

Translation: (source, reference) pairs, from a TSV file or two line-parallel files, each
source translated through the pipeline (so through the cache: a rerun computes nothing) and
the corpus scored with sacrebleu's chrF and BLEU, each with its signature string, so that two
figures can be compared. Summaries: articles and one reference summary each, scored with
ROUGE-1/2/L F1 (rouge-score, Porter stemming), averaged over the articles.

sacrebleu and rouge-score are the `eval` extra: imported here only, when scoring, and checked
before any model runs. corpora.py reads the inputs (re-exported here).

>>> pairs = read_pairs("pairs.tsv")
>>> evaluation = evaluate_translation(Summarizer(), pairs, corpus="pairs.tsv")
>>> evaluation.scores["BLEU"], evaluation.signatures["BLEU"]
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, TypeVar

from summarizer.config import ModelSpec
from summarizer.corpora import (
    Pair,
    SummaryCase,
    find_summary_cases,
    read_pairs,
    read_parallel,
    read_utf8,
)
from summarizer.documents import read_document
from summarizer.errors import InputError, ModelError, SummarizerError
from summarizer.files import printable
from summarizer.options import RunOptions
from summarizer.output import english_text
from summarizer.pipeline import Article, Result, Summarizer

# Lines translated per run_batch call: enough for full model batches, few enough that a
# 100k-line corpus never has all its documents in memory at once.
TRANSLATION_WINDOW = 256
# Articles per run_batch call, as in a folder run.
SUMMARY_WINDOW = 32
ROUGE_TYPES = ("rouge1", "rouge2", "rougeL")
EXTRA_HINT = (
    "install the eval extra: pip install '.[eval]' in the summarizer clone "
    "(or pip install sacrebleu rouge-score)"
)

# Item fields that one task never fills, left out of its JSON.
ITEM_FIELDS_UNUSED = {
    "translation": ("unsupported_claims", "reference_file"),
    "summarization": ("source",),
}

T = TypeVar("T")

__all__ = [
    "Evaluation",
    "Item",
    "ModelInfo",
    "Pair",
    "SummaryCase",
    "evaluate_summaries",
    "evaluate_translation",
    "find_summary_cases",
    "read_pairs",
    "read_parallel",
]


@dataclass
class Item:
    """One scored output."""

    # "CORPUS:LINE" for a translation pair, the article's path for a summary.
    input: str
    hypothesis: str
    reference: str
    # The language the pipeline found (or was given) for the source.
    source_language: str = ""
    # Sentence-level chrF and BLEU, or ROUGE F1 per type.
    scores: dict[str, float] = field(default_factory=dict)
    # The pipeline's count of flags; None when it ran no checks.
    flagged: int | None = None
    # Summaries: claims the checks found unsupported; None without checks or for translation.
    unsupported_claims: int | None = None
    # Translation: the source sentence. Summaries: the reference summary's file.
    source: str | None = None
    reference_file: str | None = None


@dataclass(frozen=True)
class ModelInfo:
    """What produced the outputs, in enough detail to tell two runs apart."""

    task: str
    name: str
    model: str
    revision: str | None
    engine: str
    compute_type: str
    # Every setting that shapes an output (generation settings, input limit).
    generation: dict[str, Any]
    # A failing output's retry settings (None: no retry) and, for a translator, the checks'
    # thresholds (a summary's claims have none).
    retry: dict[str, Any] | None
    checks: dict[str, float] | None


@dataclass
class Evaluation:
    """A corpus's figures, how they were computed, and each item's."""

    task: str
    corpus: str
    references: str
    scores: dict[str, float]
    # The corpus metrics' signatures; `item_signatures` those of the per-item scores.
    signatures: dict[str, str]
    item_signatures: dict[str, str]
    items: list[Item]
    models: list[ModelInfo]
    source_languages: dict[str, int]
    # Items the pipeline checked (0 when checks were off), and those with any flag.
    checked: int
    flagged: int
    # Summaries with a claim the checks found unsupported (None for translation).
    unsupported: int | None
    seconds: float
    # Cache look-ups, summed over the items: {"translation": {...}, "summarization": {...}}.
    stats: dict[str, dict[str, int]]

    @property
    def flagged_rate(self) -> float | None:
        """Share of items with flags; None when no item was checked."""
        return self.flagged / self.checked if self.checked else None

    def to_dict(self) -> dict[str, Any]:
        """The CLI's JSON: the figures first, then each item, without the fields that do
        not apply to this task."""
        data = asdict(self)
        items = data.pop("items")
        unused = ITEM_FIELDS_UNUSED[self.task]
        for item in items:
            for key in unused:
                del item[key]
        if self.task == "translation":
            del data["unsupported"]
        head = {key: data.pop(key) for key in ("task", "corpus", "references")}
        counts = {"count": len(self.items), "flagged_rate": self.flagged_rate}
        return {**head, **counts, **data, "items": items}


# -- running ------------------------------------------------------------------------------------


def evaluate_translation(
    summarizer: Summarizer,
    pairs: Sequence[Pair],
    *,
    corpus: str | Path,
    references: str | Path | None = None,
    source_language: str | None = None,
    checks: bool = True,
    on_done: Callable[[int], None] | None = None,
    window: int = TRANSLATION_WINDOW,
) -> Evaluation:
    """Translate every pair's source (in windows, sentences sharing model batches) and score
    the corpus. `on_done` is called with the number of pairs each window finished."""
    metrics = _translation_metrics()
    if not pairs:
        raise InputError("{path} has no lines to evaluate", path=corpus)
    # keep_boilerplate: a short line that looks like scraping debris is still a sentence.
    options = RunOptions(source_language, summarize=False, keep_boilerplate=True, checks=checks)
    shown = printable(corpus)
    tally = _Tally(summarizer, time.perf_counter())
    for chunk in _windows(pairs, window):
        articles = [Article(f"{shown}:{pair.line}", pair.source) for pair in chunk]
        for pair, outcome in zip(chunk, summarizer.run_batch(articles, options), strict=True):
            result = _succeeded(outcome, f"{shown}:{pair.line}")
            item = Item(
                input=f"{shown}:{pair.line}",
                hypothesis=english_text(result),
                reference=pair.reference,
                source=pair.source,
            )
            tally.add(item, result)
        if on_done is not None:
            on_done(len(chunk))
    scores, signatures, item_signatures = _score_translations(tally.items, metrics)
    reference_name = printable(references) if references is not None else shown
    return tally.evaluation(
        "translation", shown, reference_name, scores, signatures, item_signatures
    )


def evaluate_summaries(
    summarizer: Summarizer,
    cases: Sequence[SummaryCase],
    *,
    corpus: str,
    references: str,
    source_language: str | None = None,
    checks: bool = True,
    on_done: Callable[[int], None] | None = None,
    window: int = SUMMARY_WINDOW,
) -> Evaluation:
    """Summarize every article (in windows, their sentences sharing translation batches) and
    score each summary against its reference with ROUGE."""
    scorer = _rouge_scorer()
    if not cases:
        raise InputError("there are no articles to evaluate")
    texts = [read_utf8(case.reference).strip() for case in cases]
    for case, text in zip(cases, texts, strict=True):
        if not text:
            raise InputError("the reference summary {path} is empty", path=case.reference)
    options = RunOptions(source_language, summarize=True, checks=checks)
    limit = summarizer.config.max_input_bytes
    tally = _Tally(summarizer, time.perf_counter())
    for start in range(0, len(cases), window):
        chunk = cases[start : start + window]
        articles = [
            Article(printable(case.article), read_document(str(case.article), max_bytes=limit))
            for case in chunk
        ]
        outcomes = summarizer.run_batch(articles, options)
        for offset, (article, outcome) in enumerate(zip(articles, outcomes, strict=True)):
            result = _succeeded(outcome, article.name)
            item = Item(
                input=article.name,
                hypothesis=result.summary or "",
                reference=texts[start + offset],
                reference_file=printable(chunk[offset].reference),
            )
            tally.add(item, result)
        if on_done is not None:
            on_done(len(chunk))
    scores = _score_summaries(tally.items, scorer)
    signature = _rouge_signature()
    return tally.evaluation(
        "summarization", corpus, references, scores, {"ROUGE": signature}, {"ROUGE": signature}
    )


def _windows(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _succeeded(outcome: Result | SummarizerError, name: str) -> Result:
    """The result, or the failure raised: a corpus with an unscored item measures nothing.
    A model failure concerns every item and is raised as it is."""
    if isinstance(outcome, Result):
        return outcome
    if isinstance(outcome, ModelError) or printable(getattr(outcome, "path", "") or "") == name:
        raise outcome
    raise InputError(f"{{path}}: {outcome}", path=name) from outcome


@dataclass
class _Tally:
    """What the items of one run add up to, beside their scores."""

    summarizer: Summarizer
    started: float
    items: list[Item] = field(default_factory=list)
    languages: Counter[str] = field(default_factory=Counter)
    stats: dict[str, Counter[str]] = field(default_factory=dict)
    translators: list[str] = field(default_factory=list)
    checked: int = 0
    flagged: int = 0
    unsupported: int = 0

    def add(self, item: Item, result: Result) -> None:
        item.source_language = result.source_language
        self.languages[result.source_language] += 1
        for stage, counts in result.stats.items():
            # Counts add up; a mean (the translation's confidence) does not.
            totals = {key: value for key, value in counts.items() if type(value) is int}
            self.stats.setdefault(stage, Counter()).update(totals)
        translator = (result.models.get("translation") or {}).get("name")
        if translator and translator not in self.translators:
            self.translators.append(translator)
        # Result.checks: None (checks off) or {"translation": [...], "summary": [...],
        # "flagged": N}; absent from a Result before the fidelity checks.
        checks = getattr(result, "checks", None)
        if checks is not None:
            self.checked += 1
            item.flagged = checks["flagged"]
            self.flagged += bool(checks["flagged"])
            if result.summary is not None:
                item.unsupported_claims = len(checks["summary"])
                self.unsupported += bool(checks["summary"])
        self.items.append(item)

    def evaluation(self, task: str, corpus: str, references: str, *scoring: Any) -> Evaluation:
        scores, signatures, item_signatures = scoring
        config = self.summarizer.config
        specs = [config.models[name] for name in self.translators]
        if task == "summarization":
            specs.append(self.summarizer.summarizer_spec)
        return Evaluation(
            task=task,
            corpus=corpus,
            references=references,
            scores=scores,
            signatures=signatures,
            item_signatures=item_signatures,
            items=self.items,
            models=[describe_model(spec) for spec in specs],
            source_languages=dict(self.languages.most_common()),
            checked=self.checked,
            flagged=self.flagged,
            unsupported=self.unsupported if task == "summarization" else None,
            seconds=round(time.perf_counter() - self.started, 3),
            stats={stage: dict(counts) for stage, counts in self.stats.items()},
        )


def describe_model(spec: ModelSpec) -> ModelInfo:
    return ModelInfo(
        task=spec.task,
        name=spec.name,
        model=spec.model,
        revision=spec.revision,
        engine=spec.engine,
        compute_type=spec.compute_type,
        generation=dict(sorted(spec.output_settings.items())),
        retry=dict(sorted(spec.retry_generation.items())) if spec.retry_generation else None,
        checks=asdict(spec.thresholds) if spec.task == "translation" else None,
    )


# -- scoring ------------------------------------------------------------------------------------


def _missing_extra(package: str) -> SummarizerError:
    return SummarizerError(f"scoring needs {package}, which is not installed", hint=EXTRA_HINT)


def _translation_metrics() -> tuple[Any, Any]:
    """sacrebleu's BLEU and CHRF classes; a SummarizerError when the extra is missing."""
    try:
        from sacrebleu.metrics import BLEU, CHRF
    except ImportError:
        raise _missing_extra("sacrebleu") from None
    return BLEU, CHRF


def _score_translations(
    items: list[Item], metrics: tuple[Any, Any]
) -> tuple[dict[str, float], dict[str, str], dict[str, str]]:
    """Corpus chrF and BLEU with their signatures; each item's sentence-level scores (BLEU
    with effective order, as sacrebleu's sentence_bleu, since a sentence rarely has a 4-gram
    match)."""
    bleu, chrf = metrics
    hypotheses = [item.hypothesis for item in items]
    references = [[item.reference for item in items]]
    scores, signatures, item_signatures = {}, {}, {}
    for corpus_metric, item_metric in ((chrf(), chrf()), (bleu(), bleu(effective_order=True))):
        score = corpus_metric.corpus_score(hypotheses, references)
        scores[score.name] = score.score
        signatures[score.name] = str(corpus_metric.get_signature())
        for item in items:
            item.scores[score.name] = item_metric.sentence_score(
                item.hypothesis, [item.reference]
            ).score
        item_signatures[score.name] = str(item_metric.get_signature())
    return scores, signatures, item_signatures


def _rouge_scorer() -> Any:
    try:
        from rouge_score import rouge_scorer
    except ImportError:
        raise _missing_extra("rouge-score") from None
    return rouge_scorer.RougeScorer(list(ROUGE_TYPES), use_stemmer=True)


def _rouge_signature() -> str:
    """What the ROUGE figures depend on, in sacrebleu's signature style."""
    version = metadata.version("rouge-score")
    return f"types:{','.join(ROUGE_TYPES)}|measure:f1|stemmer:porter|mean:items|version:{version}"


def _score_summaries(items: list[Item], scorer: Any) -> dict[str, float]:
    """Each item's ROUGE F1 per type, and their mean over the items."""
    for item in items:
        scores = scorer.score(item.reference, item.hypothesis)
        item.scores = {kind: scores[kind].fmeasure for kind in ROUGE_TYPES}
    return {
        kind: math.fsum(item.scores[kind] for item in items) / len(items) for kind in ROUGE_TYPES
    }
