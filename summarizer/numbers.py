"""Numbers in a text and in its translation, compared across French and English notations.

A changed or dropped number is the translation error a journalist can least afford, and
the one a model-free check catches best: every number of the source must be in the
output, whatever its notation ("1 000,5" = "1,000.5" = "1000.5", "55 %" = "55%", "1er" =
"1st", "14h30" = "14:30" = "2:30 pm"). Each mention gets canonical forms; two mentions
match when their forms intersect. Numbers written in words ("trois", "a million") are out
of scope.

bicleaner-hardrules' no_number_inconsistencies (the digits of both sides, sorted, must be
equal) and OpusFilter's NonZeroNumeralsFilter (a similarity of the digit sequences, zeros
left out) compare digits only, so for them "1,5" and "15" agree; reading each number's
value in its own language's notation is what tells those apart.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Languages whose convention is a decimal comma (and a dot or a space between thousands).
# Every other language, English included, is read with a decimal dot.
COMMA_DECIMAL_LANGUAGES = frozenset(
    {"fr", "es", "it", "pt", "ro", "ca", "gl"}  # Romance
    | {"de", "nl", "sv", "da", "no", "nb", "nn", "is"}  # Germanic
    | {"ru", "uk", "be", "pl", "cs", "sk", "sl", "hr", "sr", "bs", "bg", "mk"}  # Slavic
    | {"fi", "et", "hu", "lv", "lt", "el", "eu", "sq", "tr"}  # the other European ones
)


@dataclass(frozen=True)
class Mention:
    text: str  # as written in the text, e.g. "1 000,5" or "14h30"
    forms: frozenset[str]  # canonical forms it may match, e.g. {"1000.5"} or {"t2:30"}


_SPACE = "[ \u00a0\u202f]"  # between thousands: a space, a no-break space, a narrow one
_HOUR = r"(?:[01]?\d|2[0-3])"
_HOUR12 = r"(?:1[0-2]|0?\d)"
_MINUTES = r"[0-5]\d(?!\d)"
_AMPM = rf"{_SPACE}?[aApP](?:\.[mM]\.?|[mM])(?!\w)"  # "pm", "p.m."; "pm." ends a sentence
# One alternation, so that a time's digits are never also read as numbers of their own.
# Alternatives are tried in order: times first, then space-grouped thousands (the same space
# all along: "1\u202f000 000" is two numbers), then the rest.
# No match starts right after a digit: `plain` takes every digit of a run, minutes and
# space groups end where digits do.
# A dot separates hours from minutes only before am/pm: "3.50" is a number.
# Matched only where a digit is (see `_matches`): tried at every character, the alternatives
# cost 10 times more on a sentence.
_MENTION = re.compile(
    rf"""
    (?:
        (?P<h_hour>{_HOUR}){_SPACE}?h(?:eures?)?(?:{_SPACE}?(?P<h_min>{_MINUTES})|(?!\w))
      | (?P<c_hour>{_HOUR}):(?P<c_min>{_MINUTES})(?:{_AMPM})?
      | (?P<d_hour>{_HOUR12})\.(?P<d_min>{_MINUTES}){_AMPM}
      | (?P<p_hour>{_HOUR12}){_AMPM}
      | (?P<grouped>\d{{1,3}}(?P<space>{_SPACE})\d{{3}}(?:(?P=space)\d{{3}})*(?!\d)(?:[.,]\d+)?)
      | (?P<plain>\d+(?:[.,]\d+)*)
    )
    [^\W\d_]*(?:{_SPACE}?%)?
    """,
    re.VERBOSE,
)
# Large-number words after a figure multiply it: "2,5 milliards" = "2.5 billion" =
# 2500000000, so a milliard translated "million" is a changed number. The same word may
# differ between languages: a French "billion" is an English trillion.
_SCALES = {
    "fr": {"million": 6, "millions": 6, "milliard": 9, "milliards": 9, "md": 9, "mds": 9,
           "billion": 12, "billions": 12},
    "en": {"million": 6, "millions": 6, "billion": 9, "billions": 9, "bn": 9,
           "trillion": 12, "trillions": 12},
}  # fmt: skip
_SCALE_WORD = re.compile(rf"{_SPACE}?([^\W\d_]+)")
_DIGIT = re.compile(r"\d")
_NON_ASCII_DIGIT = re.compile(r"[^\D0-9]")
_GROUP_SPACES = str.maketrans("", "", " \u00a0\u202f")
_GROUPS = ("h_hour", "h_min", "c_hour", "c_min", "d_hour", "d_min", "p_hour", "grouped", "plain")


def mentions(text: str, language: str) -> list[Mention]:
    """The numbers and times of `text`, read in `language`'s notation, in order."""
    return [Mention(text[start:end], forms) for start, end, forms in _spans(text, language)]


def scan(text: str, language: str) -> list[tuple[int, Mention]]:
    """`mentions`, each with the index where it starts in `text`."""
    return [
        (start, Mention(text[start:end], forms)) for start, end, forms in _spans(text, language)
    ]


def missing_numbers(
    source: str, source_language: str, output: str, output_language: str = "en"
) -> list[str]:
    """The source's number mentions (their `text`) that no mention of `output` matches
    (forms intersect), each output mention matching one source mention only: "3 morts et
    3 blessés" needs two 3s. Each distinct text once, in the order of the source."""
    wanted = _spans(source, source_language)
    if not wanted:
        return []
    unused = [forms for _, _, forms in _spans(output, output_language)]
    missing: list[str] = []
    for start, end, forms in wanted:
        match = next((i for i, found in enumerate(unused) if not found.isdisjoint(forms)), None)
        if match is not None:
            del unused[match]
        elif source[start:end] not in missing:
            missing.append(source[start:end])
    return missing


def _spans(text: str, language: str) -> list[tuple[int, int, frozenset[str]]]:
    """(start, end, forms) of each mention: what `mentions` gives, without building the
    Mention objects that `missing_numbers`, run on every sentence, does not need."""
    matches = _matches(text)
    if not all(match.group().isascii() for match in matches):
        # Read again with ASCII digits (one character for one, so indexes stay those of
        # `text`): the times' patterns spell out ASCII digits ("[01]?\d").
        matches = _matches(_NON_ASCII_DIGIT.sub(_ascii_digit, text))
    decimal = "," if language in COMMA_DECIMAL_LANGUAGES else "."
    scales = _SCALES.get(language, {})
    spans = []
    previous_end = 0
    for match in matches:
        start, end = match.span()
        # Letters glued before the digits belong to the mention: "A380", "G7".
        while start > previous_end and text[start - 1].isalpha():
            start -= 1
        previous_end = end
        forms = _forms(match, decimal)
        scale = _scale(text, match, scales)
        if scale:
            end = match.end() if scale[1] is None else scale[1]
            forms = frozenset(_scaled(form, scale[0]) for form in forms)
        spans.append((start, end, forms))
    return spans


def _scale(
    text: str, match: re.Match[str], scales: dict[str, int]
) -> tuple[int, int | None] | None:
    """The power of ten a large-number word after the figure gives ("2,5 milliards", "3bn"),
    and where that word ends (None: glued to the figure, already in the match)."""
    if not scales or (match.group("grouped") is None and match.group("plain") is None):
        return None
    glued = match.group()[len(match.group("grouped") or match.group("plain")) :].lower()
    if glued in scales:
        return scales[glued], None
    if glued:
        return None
    word = _SCALE_WORD.match(text, match.end())
    if word is not None and word.group(1).lower() in scales:
        return scales[word.group(1).lower()], word.end()
    return None


def _scaled(form: str, power: int) -> str:
    """A canonical number form times 10**power, in canonical form."""
    whole, _, fraction = form.partition(".")
    if not whole.isdigit() or (fraction and not fraction.isdigit()):
        return form  # not one value ("2.0.1")
    digits = whole + fraction.ljust(power, "0")
    return canonical(digits[: len(whole) + power], digits[len(whole) + power :])


def _matches(text: str) -> list[re.Match[str]]:
    """_MENTION's matches, each tried where the next digit is: finding digits is a fast
    scan, and `plain` matches any digit, so every try succeeds."""
    matches = []
    position = 0
    while (digit := _DIGIT.search(text, position)) is not None:
        match = _MENTION.match(text, digit.start())
        assert match is not None
        matches.append(match)
        position = match.end()
    return matches


def _forms(match: re.Match[str], decimal: str) -> frozenset[str]:
    h_hour, h_min, c_hour, c_min, d_hour, d_min, p_hour, grouped, plain = match.group(*_GROUPS)
    hour = h_hour or c_hour or d_hour or p_hour
    if hour is not None:
        minutes = h_min or c_min or d_min
        if minutes is None:
            # "3h" may be a duration, translated "3 hours": the bare number matches too.
            return frozenset((f"t{int(hour) % 12}:00", str(int(hour))))
        return frozenset((f"t{int(hour) % 12}:{int(minutes):02d}",))
    if grouped is not None:
        return frozenset((_grouped_form(grouped),))
    return frozenset((_plain_form(plain, decimal),))


def _grouped_form(raw: str) -> str:
    """ "1 000,5" or "10 000": spaces between thousands, then any separator is decimal."""
    cut = max(raw.rfind("."), raw.rfind(","))
    if cut < 0:
        return canonical(raw.translate(_GROUP_SPACES))
    return canonical(raw[:cut].translate(_GROUP_SPACES), raw[cut + 1 :])


def _plain_form(raw: str, decimal: str) -> str:
    """Digits with dots and commas, read with the language's decimal separator."""
    dots, commas = raw.count("."), raw.count(",")
    if not dots and not commas:
        return canonical(raw)
    if dots and commas:  # "1,000.5", "1.000,5": the last one is decimal
        cut = max(raw.rfind("."), raw.rfind(","))
        return canonical(raw[:cut].replace(".", "").replace(",", ""), raw[cut + 1 :])
    separator = "." if dots else ","
    head, *groups = raw.split(separator)
    if len(groups) == 1:
        (tail,) = groups
        if separator != decimal and len(tail) == 3:  # "1,500" in English, "1.500" in French
            return canonical(head + tail)
        return canonical(head, tail)  # the decimal separator, or read leniently as one
    if len(head) <= 3 and all(len(group) == 3 for group in groups):  # "1.000.000"
        return canonical(head + "".join(groups))
    return raw  # "2.0.1", "12.03.2024": no one value, the text must match as written


def canonical(whole: str, fraction: str = "") -> str:
    """The value as `Decimal(...).normalize()` writes it without an exponent: "1000.5",
    "3", "0.5" (leading and trailing zeros dropped). Plain string work: this runs on every
    number of every sentence, and a Decimal round trip costs several times more."""
    whole = whole.lstrip("0") or "0"
    fraction = fraction.rstrip("0")
    return f"{whole}.{fraction}" if fraction else whole


def _ascii_digit(match: re.Match[str]) -> str:
    """An Arabic-Indic (or other Unicode decimal) digit as its ASCII digit."""
    return str(unicodedata.decimal(match.group()))
