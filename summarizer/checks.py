"""Model-free checks of each translated segment, and of the claims of a summary (issue 12).

A journalist cannot reread every sentence against its source; these checks say which ones
to reread. They run on every translated sentence, so each is a few regular expressions and
counts (tens of microseconds), never a model: the caller detects the output's language in
one batch (only for outputs `needs_language_check` accepts) and passes the detection in.

The rules borrow from two corpus cleaners, without their dependencies (models, KenLM,
fastspell): OpusFilter (Helsinki-NLP) for repetition, length ratio and language
identification, bicleaner-hardrules (bitextor) for identical sides and the letters a
repetition must have. Each rule's docstring says which it follows and how it differs.
A check errs towards silence: a false alarm on a sound sentence costs the journalist's
trust in every other alarm.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from dataclasses import dataclass
from itertools import islice

from summarizer.numbers import missing_numbers
from summarizer.segment import is_translatable

PROBLEMS = ("numbers", "repetition", "untranslated", "length", "confidence")  # report order

# Fewer words than this and neither a copy nor a language can be told: a short line of
# names ("Emmanuel Macron, à Berlin.") is rightly the same in any language, and the
# language detector misreads it. (language.py asks 6 whitespace-separated words of a
# paragraph before trusting a detection; a sentence-level check can afford fewer, since
# the confidence floor below still has to be met.)
MIN_CHECKED_WORDS = 4
# The detector must be this sure of another language, as in language.py: short lines of
# names get less; most French sentences left as they are get more (31 of the tests' 36).
MIN_WRONG_LANGUAGE_CONFIDENCE = 0.9
# Below this many characters of source, length ratios vary too much to mean anything.
MIN_LENGTH_CHECKED_CHARS = 20
# difflib's ratio at or above which an output is the source, nearly copied.
COPY_SIMILARITY = 0.9


@dataclass(frozen=True)
class Thresholds:
    min_confidence: float = -1.5  # mean token log-prob below this -> "confidence"
    min_length_ratio: float = 0.5  # output/source character ratio outside -> "length"
    max_length_ratio: float = 2.0


def check_translation(
    source: str,
    output: str,
    confidence: float | None,
    *,
    source_language: str,
    target_language: str,
    thresholds: Thresholds,
    detected: tuple[str, float] | None = None,
) -> list[str]:
    """The problems of one translated segment, in PROBLEMS order; [] when it looks right.

    `detected` is the output's detected (language, confidence), or None when it was not
    detected (too short, see `needs_language_check`). A copy the detector is sure is in the
    target language is no problem: an English sentence quoted in a French paragraph."""
    problems = []
    if missing_numbers(source, source_language, output, target_language):
        problems.append("numbers")
    if has_repetition(source, output):
        problems.append("repetition")
    already_in_target = (
        detected is not None
        and detected[0] == target_language
        and detected[1] >= MIN_WRONG_LANGUAGE_CONFIDENCE
    )
    if in_wrong_language(detected, target_language) or (
        not already_in_target and is_copy(source, output)
    ):
        problems.append("untranslated")
    if not length_ratio_ok(source, output, thresholds):
        problems.append("length")
    if confidence is not None and confidence < thresholds.min_confidence:
        problems.append("confidence")
    return problems


def needs_language_check(output: str) -> bool:
    """Whether `output` is long enough (MIN_CHECKED_WORDS words with letters) for a
    language detector to be trusted; the caller detects only those, in one batch."""
    lettered = _LETTERED_WORD.finditer(output)
    return sum(1 for _ in islice(lettered, MIN_CHECKED_WORDS)) == MIN_CHECKED_WORDS


# --- repetition -------------------------------------------------------------------------

# Words for the repetition rules: lowercased, punctuation between them ignored.
_WORD = re.compile(r"\w+")
_LETTER = re.compile(r"[^\W\d_]")
# OpusFilter's RepetitionFilter pattern (threshold 2, min_length 3, max_length 100): a
# stretch of 3 to 100 characters starting with a non-space, then itself twice more with
# optional spaces between. Run only inside single words (see `_repeats`).
_REPEATED_STRETCH = re.compile(r"(\S.{2,99}?)(?: *\1){2,}")
_MIN_LOOPING_WORD = 9  # 3 times 3 characters
_MAX_STRETCH_CHARS = 100
_MAX_CYCLE_WORDS = 8
_MIN_NGRAM_COUNT = 4
# Words of 4+ letters that a sound English sentence may well use four times: an n-gram of
# only short or function words ("of the", "that") never counts as repeated.
_FUNCTION_WORDS = frozenset(
    {"that", "this", "these", "those", "what", "which", "when", "where", "while"}
    | {"with", "from", "into", "about", "after", "before", "over", "than", "then"}
    | {"have", "been", "being", "were", "will", "would", "does", "said", "says"}
    | {"they", "them", "their", "there", "some", "more", "most", "other", "such"}
    | {"also", "only", "very", "just", "each", "both"}
)


def has_repetition(source: str, output: str) -> bool:
    """Whether the output loops, as a translation model stuck in a cycle does.

    (a) After OpusFilter's RepetitionFilter: a stretch of 3..100 characters starting with a
        non-space, written 3 times in a row, in an output whose source has no such run.
        Looked for word by word (the same 1+ words 3 times, punctuation between words
        ignored: "the the the", "of the State of the State of the State") and, with
        OpusFilter's own pattern, inside single words ("blablabla"): that pattern over a
        whole sentence costs 0.3-0.5 ms. As in bicleaner's no_repeated_words, the
        repeated stretch must contain a letter ("1,000,000,000" is no loop).
    (b) The output ends in a cycle of 1..8 words repeated at least 3 times ("no no no"),
        which (a) misses when the words are short; again only when the source does not.
    (c) A word n-gram (n = 1..4, lowercased) with a word of 4+ letters that is not a
        function word occurs at least 4 times in the output and more than 2 * (count in
        the source + 1) times: a loop broken up by other words.
    """
    words = _WORD.findall(output.lower())
    if not words:
        return False
    counts = Counter(words)
    most = max(counts.values())
    if _repeats(words, counts, most) and not _repeats(_WORD.findall(source.lower())):
        return True
    return most >= _MIN_NGRAM_COUNT and _ngram_repeated(words, counts, source)


def _repeats(words: list[str], counts: Counter[str] | None = None, most: int | None = None) -> bool:
    """Rules (a) and (b) on a text's lowercased words (and their counts, when known)."""
    if counts is None or most is None:
        counts = Counter(words)
        most = max(counts.values(), default=0)
    # Both word rules need a word written 3 times.
    if most >= 3 and (_word_run(words, counts) or _ends_in_cycle(words)):
        return True
    return _in_word_run(words)


def _word_run(words: list[str], counts: Counter[str]) -> bool:
    # Every word of a unit written 3 times occurs 3 times, so units start at such words,
    # and each later occurrence of the same word gives a unit length to try.
    positions: dict[str, list[int]] = {}
    for index, word in enumerate(words):
        if counts[word] >= 3:
            positions.setdefault(word, []).append(index)
    for where in positions.values():
        for i, a in enumerate(where):
            for b in where[i + 1 :]:
                k = b - a
                unit = words[a:b]
                if words[b : b + k] == unit == words[b + k : b + 2 * k] and _is_stretch(unit):
                    return True
    return False


def _is_stretch(unit: list[str]) -> bool:
    joined = " ".join(unit)
    return 3 <= len(joined) <= _MAX_STRETCH_CHARS and bool(_LETTER.search(joined))


def _ends_in_cycle(words: list[str]) -> bool:
    for k in range(1, min(_MAX_CYCLE_WORDS, len(words) // 3) + 1):
        unit = words[-k:]
        if words[-2 * k : -k] == unit == words[-3 * k : -2 * k] and any(map(_LETTER.search, unit)):
            return True
    return False


def _in_word_run(words: list[str]) -> bool:
    # A word of n characters holding a stretch of L >= 3 three times has at most n - 2L
    # distinct characters: a cheap test that leaves the regex ordinary words only rarely.
    suspects = [
        word for word in words if len(word) >= _MIN_LOOPING_WORD and len(set(word)) <= len(word) - 6
    ]
    # `.` stops at a newline, so no stretch spans two words.
    return bool(suspects) and any(
        _LETTER.search(match.group(1)) for match in _REPEATED_STRETCH.finditer("\n".join(suspects))
    )


def _ngram_repeated(words: list[str], counts: Counter[str], source: str) -> bool:
    """Rule (c). Every counted n-gram holds a content word, which then occurs as often: a
    text with no content word 4 times has no n-gram 4 times (the common case, one Counter)."""
    frequent = {
        word for word, count in counts.items() if count >= _MIN_NGRAM_COUNT and _is_content(word)
    }
    if not frequent:
        return False
    ngrams: Counter[tuple[str, ...]] = Counter()
    for n in range(1, 5):
        for i in range(len(words) - n + 1):
            gram = tuple(words[i : i + n])
            if not frequent.isdisjoint(gram):
                ngrams[gram] += 1
    candidates = [gram for gram, count in ngrams.items() if count >= _MIN_NGRAM_COUNT]
    if not candidates:
        return False
    source_words = _WORD.findall(source.lower())
    in_source = Counter(
        tuple(source_words[i : i + n])
        for n in {len(gram) for gram in candidates}
        for i in range(len(source_words) - n + 1)
    )
    # The output's n-grams are in another language than the source's, so a word the source
    # itself repeats sets the baseline too: "milliards" four times may give "billion" four
    # times.
    most = max(Counter(w for w in source_words if len(w) >= 4).values(), default=0)
    baseline = most if most > 1 else 0
    return any(ngrams[gram] > 2 * (max(in_source[gram], baseline) + 1) for gram in candidates)


def _is_content(word: str) -> bool:
    return len(word) >= 4 and word.isalpha() and word not in _FUNCTION_WORDS


# --- untranslated -----------------------------------------------------------------------

_NOT_LETTERS = re.compile(r"[\W\d_]+")
_LETTERED_WORD = re.compile(r"\S*?[^\W\d_]\S*")


def is_copy(source: str, output: str) -> bool:
    """Whether the output is (nearly) the source, left untranslated.

    bicleaner's no_identical: the same letters once punctuation, digits and spaces are
    removed and case is folded. Or a near copy, as OpusFilter's LongestCommonSubstringFilter
    (threshold 0.9) finds with difflib: here difflib's ratio of the lowercased texts, at or
    above COPY_SIMILARITY. That ratio costs up to a millisecond, so it is computed only
    when at least half of the source's words are in the output (a copy's words are; a
    translation's are not, bar names and numbers).

    Never for a source of fewer than MIN_CHECKED_WORDS words with letters, nor for one made
    of names and numbers ("Emmanuel Macron, Olaf Scholz et Giorgia Meloni."), which is
    rightly copied: at most a third of its words start with a lowercase letter."""
    lowered_source, lowered_output = source.lower(), output.lower()
    # Words as split at spaces, punctuation and all: a quick estimate.
    source_words = set(lowered_source.split())
    if len(source_words) < 2 or not output:
        return False
    shared = source_words.intersection(lowered_output.split())
    if 2 * len(shared) < len(source_words):
        return False
    same_letters = _letters(lowered_source) == _letters(lowered_output)
    if not same_letters and not _similar(lowered_source, lowered_output):
        return False
    return _is_prose(source)


def _letters(text: str) -> str:
    return _NOT_LETTERS.sub("", text).casefold()


def _similar(a: str, b: str) -> bool:
    # autojunk would treat every frequent letter as junk in a text of 200+ characters.
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    return matcher.real_quick_ratio() >= COPY_SIMILARITY and matcher.ratio() >= COPY_SIMILARITY


def _is_prose(source: str) -> bool:
    """At least MIN_CHECKED_WORDS words with letters, over a third of them lowercase."""
    words = _LETTERED_WORD.findall(source)
    if len(words) < MIN_CHECKED_WORDS:
        return False
    lowercase = sum(1 for word in words if next(filter(str.isalpha, word), "").islower())
    return 3 * lowercase > len(words)


def in_wrong_language(detected: tuple[str, float] | None, target_language: str) -> bool:
    """Whether the detector is sure (MIN_WRONG_LANGUAGE_CONFIDENCE) that the output is in
    another language than the target. After OpusFilter's LanguageIDFilter (langid with
    normalised probabilities and a confidence threshold), read the other way round: a
    detection it is not sure of says nothing, rather than "not English"."""
    if detected is None:
        return False
    language, confidence = detected
    return language != target_language and confidence >= MIN_WRONG_LANGUAGE_CONFIDENCE


# --- length -----------------------------------------------------------------------------


def length_ratio_ok(source: str, output: str, thresholds: Thresholds) -> bool:
    """Whether len(output) / len(source), stripped, lies within the thresholds: a far
    shorter output dropped something, a far longer one invented something. After
    OpusFilter's LengthRatioFilter in characters (and bicleaner's length_ratio), but output
    over source rather than longer over shorter, so that the two bounds can differ (English
    runs shorter than French). Sources under MIN_LENGTH_CHECKED_CHARS pass; an empty output
    of a translatable source never does."""
    source, output = source.strip(), output.strip()
    if not output:
        return not is_translatable(source)
    if len(source) < MIN_LENGTH_CHECKED_CHARS:
        return True
    ratio = len(output) / len(source)
    return thresholds.min_length_ratio <= ratio <= thresholds.max_length_ratio
