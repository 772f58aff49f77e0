"""The claims of a summary checked against the text it was made from (issue 12): the
numbers and proper names a summarizer states that its source never has, which is what
abstractive models (BART-CNN above all) invent."""

from __future__ import annotations

import re
from dataclasses import dataclass

from summarizer.numbers import scan
from summarizer.segment import split_sentences


@dataclass(frozen=True)
class Claim:
    text: str
    kind: str  # "number" | "name"


# A word for names: letters, with inner hyphens or apostrophes ("Jean-Luc", "O'Brien").
_NAME_WORD = re.compile(r"[^\W\d_]+(?:[-'\u2019][^\W\d_]+)*")
# English clitics cut off a word before it is compared: "Macron's" is "Macron", "I'm" is I.
_CLITICS = frozenset({"s", "m", "ll", "ve", "d", "re", "t"})
# What makes the next word a sentence start inside a sentence: a colon, or an opening quote
# (a curly or low double quote, a left single quote, a guillemet, or a straight quote right
# before the word: after a word, it closes).
_OPENING = re.compile(r"[:\u201c\u00ab\u201e\u2018]|(?:^|\s)[\"']$")


def unsupported_claims(summary: str, source: str) -> list[Claim]:
    """Numbers and proper names in an English summary that its English source text never
    has: what a summarizer may have invented. Each distinct claim once, in order.

    Numbers: a mention of the summary (numbers.mentions, both read as English) none of
    whose forms any mention of the source has. Names: a capitalised word of 2+ letters
    ("EU" is one, "I" is not), or a run of them separated by spaces only ("European
    Central Bank"). The first word of each sentence, and a word right after a colon or an
    opening quote, is never part of a name, as it is capitalised anyway. A name is
    supported when each of its words is a word of the source (in any case), so
    "President Macron" is supported by "President Emmanuel Macron"."""
    source_forms: set[str] = set()
    for _, mention in scan(source, "en"):
        source_forms.update(mention.forms)
    # In any case: titles ("the president", "President Macron") change case in summaries.
    source_words = {_base(word).lower() for word in set(_NAME_WORD.findall(source))}
    claims: list[Claim] = []
    for paragraph in summary.splitlines():
        for sentence in split_sentences(paragraph, "en") if paragraph.strip() else []:
            found = [
                (start, Claim(mention.text, "number"))
                for start, mention in scan(sentence, "en")
                if mention.forms.isdisjoint(source_forms)
            ]
            found += [
                (start, Claim(name, "name"))
                for start, name in _names(sentence)
                if not all(word.lower() in source_words for word in name.split())
            ]
            claims += [claim for _, claim in sorted(found, key=lambda item: item[0])]
    return list(dict.fromkeys(claims))


def _names(sentence: str) -> list[tuple[int, str]]:
    """(start, text) of each run of capitalised words of `sentence`, sentence starts left out."""
    runs: list[tuple[int, str]] = []
    run: list[str] = []
    run_start = previous_end = 0
    for index, match in enumerate(_NAME_WORD.finditer(sentence)):
        gap = sentence[previous_end : match.start()]
        previous_end = match.end()
        word = _base(match.group())
        glued = _glued_to_digits(sentence, match.start(), match.end())
        is_name = index > 0 and not _OPENING.search(gap) and not glued and _is_capitalised(word)
        if run and not (is_name and gap.isspace()):
            runs.append((run_start, " ".join(run)))
            run = []
        if is_name:
            if not run:
                run_start = match.start()
            run.append(word)
    if run:
        runs.append((run_start, " ".join(run)))
    return runs


def _base(word: str) -> str:
    """The word without an English clitic: "Macron's" -> "Macron"."""
    for apostrophe in "'\u2019":
        head, found, tail = word.rpartition(apostrophe)
        if found and tail.lower() in _CLITICS:
            return head
    return word


def _glued_to_digits(text: str, start: int, end: int) -> bool:
    """ "COP28" and "A380" are numbers (numbers.py reads them), not names."""
    return (start > 0 and text[start - 1].isdigit()) or (end < len(text) and text[end].isdigit())


def _is_capitalised(word: str) -> bool:
    return word[0].isupper() and sum(map(str.isalpha, word)) >= 2
