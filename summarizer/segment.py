"""Paragraphs -> sentences, and token-aware splitting and chunking.

Sentences are the unit of translation (Marian drops sentences when fed several at once) and
the building block of summarization chunks. Token counts come from a function passed in, so
this module never loads a model itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable

TokenCounter = Callable[[str], int]

# Words after which sentencex wrongly ends a sentence in French (and English) news text:
# titles before names, "av. J.-C.", references. Compared case-sensitively, period included.
ABBREVIATIONS = frozenset(
    [
        "M.",
        "MM.",
        "Mme.",
        "Mmes.",
        "Mlle.",
        "Mlles.",
        "Me.",
        "Mgr.",
        "Dr.",
        "Pr.",
        "Prof.",
        "St.",
        "Ste.",
        "Gén.",
        "Col.",
        "Cdt.",
        "Lt.",
        "Sgt.",
        "av.",
        "apr.",
        "cf.",
        "p.",
        "pp.",
        "chap.",
        "vol.",
        "éd.",
        "coll.",
        "env.",
        "art.",
        "al.",
        "réf.",
        "fig.",
        "n.",
        "no.",
        "No.",
        "hab.",
        "min.",
        "Mr.",
        "Mrs.",
        "Ms.",
        "Jr.",
        "Sr.",
        "Gen.",
        "Gov.",
        "Sen.",
        "Rep.",
        "Capt.",
        "Rev.",
        "Hon.",
        "vs.",
        "e.g.",
        "i.e.",
        "approx.",
        "J.-C.",
        "Jan.",
        "Feb.",
        "Febr.",
        "Apr.",
        "Aug.",
        "Sept.",
        "Oct.",
        "Nov.",
        "Dec.",
        "janv.",
        "févr.",
        "avr.",
        "juil.",
        "sept.",
        "oct.",
        "nov.",
        "déc.",
    ]
)
# A lone capital initial ("J." in "J. Dupont", "J." before "-C.") never ends a sentence here.
_INITIAL = re.compile(r"(?:^|\s)[A-ZÀ-ÖØ-Þ]\.$")
_WORD_CHARACTER = re.compile(r"\w")


def is_translatable(segment: str) -> bool:
    """False for empty or punctuation-only segments, which make translation models invent."""
    return bool(_WORD_CHARACTER.search(segment))


def split_sentences(paragraph: str, language: str) -> list[str]:
    """A paragraph's sentences, without the false breaks after abbreviations."""
    from sentencex import segment

    pieces = [piece.strip() for piece in segment(language, paragraph)]
    sentences: list[str] = []
    for piece in pieces:
        if not piece:
            continue
        if sentences and _ends_with_abbreviation(sentences[-1]):
            joiner = "" if piece.startswith("-") else " "
            sentences[-1] = f"{sentences[-1]}{joiner}{piece}"
        else:
            sentences.append(piece)
    return sentences


def _ends_with_abbreviation(sentence: str) -> bool:
    last_word = sentence.rsplit(None, 1)[-1]
    return last_word in ABBREVIATIONS or bool(_INITIAL.search(sentence))


def split_to_fit(text: str, limit: int, count_tokens: TokenCounter) -> list[str]:
    """Split `text` into consecutive pieces of at most `limit` tokens; nothing is dropped.

    Splits at clause punctuation first, then between words, and only inside a word that is
    by itself over the limit.
    """
    # One character cannot be cut further, even when a tiny limit says it should.
    if len(text) <= 1 or count_tokens(text) <= limit:
        return [text]
    for pattern in (r"(?<=[;:])\s+", r"(?<=,)\s+", r"\s+"):
        parts = [part for part in re.split(pattern, text) if part]
        if len(parts) > 1:
            return _pack(parts, limit, count_tokens, separator=" ")
    # One unbroken word longer than the limit: cut it by characters.
    middle = len(text) // 2
    return split_to_fit(text[:middle], limit, count_tokens) + split_to_fit(
        text[middle:], limit, count_tokens
    )


def pack_chunks(sentences: list[str], limit: int, count_tokens: TokenCounter) -> list[str]:
    """Consecutive sentences packed greedily into chunks of at most `limit` tokens."""
    return _pack(sentences, limit, count_tokens, separator=" ")


def _pack(parts: list[str], limit: int, count_tokens: TokenCounter, separator: str) -> list[str]:
    chunks: list[str] = []
    current: list[str] = []
    for part in parts:
        for piece in split_to_fit(part, limit, count_tokens):
            candidate = separator.join([*current, piece])
            if current and count_tokens(candidate) > limit:
                chunks.append(separator.join(current))
                current = [piece]
            else:
                current.append(piece)
    if current:
        chunks.append(separator.join(current))
    return chunks
