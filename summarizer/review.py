"""Checks stage, between translation and summary (issue 12): every translated segment is
checked (numbers, repetition, untranslated, length, confidence: see checks.py); one that
fails is translated once more with its translator's safer `retry` settings and the better
of the two kept: the one with fewer problems, then the surer. What is still doubtful is
flagged with its reasons, so that a reader knows which sentences to check.

Retries go through the cache under their own settings, so a rerun makes the same choices
from cache hits alone."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from summarizer.cache import Cache
from summarizer.checks import Thresholds, check_translation, needs_language_check
from summarizer.config import ModelSpec
from summarizer.engines import Model
from summarizer.errors import SummarizerError
from summarizer.translate import (
    Routed,
    SegmentKey,
    Translation,
    group_by_translator,
    rejoin,
    segments_of,
    source_tag,
    translate_segments,
)

Detect = Callable[[Sequence[str]], list[tuple[str, float]]]


@dataclass
class Flag:
    """A sentence still doubtful after its retry: one item of a result's checks."""

    # Its place in the source text: paragraph, then sentence within that paragraph.
    paragraph: int
    sentence: int
    source: str
    translation: str
    # The checks it fails, in checks.PROBLEMS order.
    problems: list[str]
    confidence: float | None
    retried: bool


@dataclass
class _Verdict:
    translation: Translation
    problems: list[str]
    retried: bool = False

    def better_than(self, other: _Verdict) -> bool:
        """Fewer problems, then a higher confidence; a tie keeps the other (the first)."""
        mine, theirs = self.translation.confidence, other.translation.confidence
        if len(self.problems) != len(other.problems):
            return len(self.problems) < len(other.problems)
        return mine is not None and (theirs is None or mine > theirs)


def review_documents(
    documents: list[Routed],
    model_for: Callable[[ModelSpec], Model],
    cache: Cache,
    detect: Detect,
    target_language: str,
    failures: list[SummarizerError | None],
) -> list[list[Flag]]:
    """Each document's flags; its translations, `english` and stats updated with the kept
    candidates. Documents whose translation failed (`failures`) are left alone; a failure
    here (a retry's model) is written into `failures` for the documents it concerns."""
    flags: list[list[Flag]] = [[] for _ in documents]
    for translator, members in group_by_translator(documents):
        group = [index for index in members if failures[index] is None]
        try:
            verdicts = _review_group(
                translator, [documents[i] for i in group], model_for, cache, detect, target_language
            )
        except SummarizerError as exc:
            for index in group:
                failures[index] = exc
            continue
        for index in group:
            flags[index].extend(_apply(documents[index], translator, verdicts))
    for flagged in flags:
        flagged.sort(key=lambda flag: (flag.paragraph, flag.sentence))
    return flags


def _review_group(
    translator: ModelSpec,
    group: list[Routed],
    model_for: Callable[[ModelSpec], Model],
    cache: Cache,
    detect: Detect,
    target_language: str,
) -> dict[SegmentKey, _Verdict]:
    """Every segment `translator` served in `group` (with its paragraph's language),
    checked, and retried where it fails."""
    started = time.perf_counter()
    # Each distinct segment's first-pass translation, from the first document that holds it.
    first: dict[SegmentKey, Translation] = {}
    for document in group:
        for index in document.served_by(translator):
            for segment in segments_of(document.sentences[index]):
                key = (document.languages[index], segment)
                first.setdefault(key, document.translations[key])
    check = _Checker(translator.thresholds, detect, target_language)
    verdicts = check(first)
    failing = [key for key, verdict in verdicts.items() if verdict.problems]
    retry = translator.retry_generation
    second: dict[SegmentKey, Translation] = {}
    if failing and retry is not None:
        tag = source_tag(translator)
        inputs = {tag(language, segment): (language, segment) for language, segment in failing}
        try:
            retried, _computed = translate_segments(
                list(inputs), model_for(translator), cache, generation=retry
            )
            second = {inputs[tagged]: translation for tagged, translation in retried.items()}
        except SummarizerError:
            # The first attempts stand, flagged and not retried: one failing retry must
            # not fail every document that shares this translator.
            second = {}
        for key, candidate in check(second).items():
            kept = candidate if candidate.better_than(verdicts[key]) else verdicts[key]
            kept.retried = True
            verdicts[key] = kept
    elapsed = time.perf_counter() - started
    for document in group:
        document.seconds += elapsed / len(group)
    return verdicts


class _Checker:
    """check_translation over many segments, their outputs' languages detected in one call."""

    def __init__(self, thresholds: Thresholds, detect: Detect, target_language: str) -> None:
        self._thresholds = thresholds
        self._detect = detect
        self._target = target_language

    def __call__(self, translations: dict[SegmentKey, Translation]) -> dict[SegmentKey, _Verdict]:
        outputs = list(
            dict.fromkeys(t.text for t in translations.values() if needs_language_check(t.text))
        )
        detected = dict(zip(outputs, self._detect(outputs) if outputs else [], strict=True))
        return {
            (language, segment): _Verdict(
                translation,
                check_translation(
                    segment,
                    translation.text,
                    translation.confidence,
                    source_language=language,
                    target_language=self._target,
                    thresholds=self._thresholds,
                    detected=detected.get(translation.text),
                ),
            )
            for (language, segment), translation in translations.items()
        }


def _apply(
    document: Routed, translator: ModelSpec, verdicts: dict[SegmentKey, _Verdict]
) -> list[Flag]:
    """The kept candidates into `document`; its flags for the paragraphs of `translator`."""
    flags = []
    retried = set()
    for index in document.served_by(translator):
        for position, sentence in enumerate(document.sentences[index]):
            key = (document.languages[index], sentence)
            verdict = verdicts.get(key)
            if verdict is None:
                continue  # not translatable: passed through as it is
            document.translations[key] = verdict.translation
            if verdict.retried:
                retried.add(key)
            if verdict.problems:
                flags.append(
                    Flag(
                        paragraph=index,
                        sentence=position,
                        source=sentence,
                        translation=verdict.translation.text,
                        problems=list(verdict.problems),
                        confidence=_shown(verdict.translation.confidence),
                        retried=verdict.retried,
                    )
                )
    document.stats.retried += len(retried)
    rejoin(document, translator)
    return flags


def _shown(confidence: float | None) -> float | None:
    """A confidence as results show it: four decimals, so that float noise (another thread
    count, another machine) does not change an output; decisions use the exact value."""
    return None if confidence is None else round(confidence, 4)
