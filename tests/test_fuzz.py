"""Property-based tests of the text path (decode -> paragraphs -> sentences -> pieces that
fit the model -> reassembled text) on arbitrary bytes and Unicode.

Two properties: nothing but the tool's own InputError ever escapes, and no text is lost:
every non-whitespace character of the input is in the output, in order. Whitespace may be
normalised; nothing else may change.

The path is spelled out once, in `text_path`, so that when documents.py learns HTML,
other encodings and scraping debris, only that function (and what counts as debris to
drop) needs to follow.
"""

from __future__ import annotations

import os
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from summarizer.cache import NullCache
from summarizer.decoding import decode
from summarizer.documents import join_paragraphs, split_paragraphs
from summarizer.errors import InputError
from summarizer.segment import split_sentences, split_to_fit
from tests.fakes import FakeModel, spec, translate_one

EXAMPLES = int(os.environ.get("SUMMARIZER_FUZZ_EXAMPLES", "300"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    # The autouse fixtures (network guard, private cache folder) need no reset per example.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
LONG_FUZZ = settings(FUZZ, max_examples=20 * EXAMPLES)


def visible(text: str) -> str:
    """The text without its whitespace: what must survive every step."""
    return "".join(text.split())


class Echo(FakeModel):
    """A 'translator' that gives its input back, so that reassembly can be checked exactly."""

    def respond(self, text: str) -> str:
        return text


def text_path(raw: bytes) -> tuple[list[str], list[str]]:
    """(paragraphs read from `raw`, the same paragraphs after segmenting, splitting to fit a
    small model limit, translating with Echo and reassembling)."""
    paragraphs = split_paragraphs(decode(raw, "fuzz.txt"))
    # Six tokens at most per model call: long sentences are cut into many pieces.
    model = Echo(spec(max_input_tokens=6, batch_size=4))
    translated, _stats = translate_one(paragraphs, "fr", model, NullCache())
    return paragraphs, translated


# Pieces that steer examples into the paths news text takes: French abbreviations, initials,
# quotes and dashes, every kind of line break and space, sentence ends, digits.
# fmt: off
NEWS_PIECES = [
    "M. ", "Mme ", "av. J.-C. ", "J. ", "Dupont", "le maire", "a dit", "été", "ça",
    "« ", " »", " — ", "-", "...", ". ", "! ", "? ", ": ", "; ", ", ", "\n", "\n\n",
    "\r\n", "\r", "\t", "\u00a0", "\u2028", "\x0c", " ", "3,5 %", "2024", "\u2019", "\ufeff",
]
# fmt: on
NEWSY = st.lists(st.sampled_from(NEWS_PIECES), max_size=60).map("".join)
ANY_TEXT = st.one_of(st.text(), NEWSY, st.text(alphabet=st.characters(codec="utf-8")))


@FUZZ
@given(st.binary(max_size=2000))
def test_any_bytes_decode_to_text_or_an_input_error(raw):
    try:
        text = decode(raw, "fuzz.txt")
    except InputError:
        return
    assert isinstance(text, str)


@FUZZ
@given(ANY_TEXT)
def test_paragraphs_keep_every_visible_character(text):
    paragraphs = split_paragraphs(text)
    assert all(p and p == p.strip() and "\n" not in p for p in paragraphs)
    assert visible(join_paragraphs(paragraphs)) == visible(text)


@FUZZ
@given(ANY_TEXT, st.sampled_from(["fr", "en"]))
def test_sentences_keep_every_visible_character(text, language):
    for paragraph in split_paragraphs(text):
        sentences = split_sentences(paragraph, language)
        assert all(sentences)
        assert visible("".join(sentences)) == visible(paragraph)


def words_plus_one(text: str) -> int:
    """A token counter shaped like a real one: the words, and an end-of-sentence token."""
    return len(text.split()) + 1


@FUZZ
@given(ANY_TEXT, st.integers(min_value=2, max_value=12))
def test_pieces_fit_the_limit_and_keep_every_visible_character(text, limit):
    for paragraph in split_paragraphs(text):
        pieces = split_to_fit(paragraph, limit, words_plus_one)
        assert all(words_plus_one(piece) <= limit for piece in pieces)
        assert visible("".join(pieces)) == visible(paragraph)


def check_text_path(raw: bytes) -> None:
    try:
        paragraphs, translated = text_path(raw)
    except InputError:
        return  # the tool's own error, with its message for people: allowed
    assert len(translated) == len(paragraphs)
    assert [visible(p) for p in translated] == [visible(p) for p in paragraphs]


@FUZZ
@given(st.one_of(st.binary(max_size=3000), ANY_TEXT.map(str.encode)))
def test_the_whole_text_path_loses_nothing_and_raises_only_input_errors(raw):
    check_text_path(raw)


@pytest.mark.slow
@LONG_FUZZ
@given(st.one_of(st.binary(max_size=20000), ANY_TEXT.map(str.encode)))
def test_the_whole_text_path_at_length(raw):
    check_text_path(raw)


# --- stray bytes in UTF-8 (issue 11, point 14) -----------------------------------------

LATIN_WORDS = [
    "Le", "maire", "a", "déclaré", "l'été", "où", "élèves", "garçon", "cœur", "Noël",
    "3 000 €", "«", "»", "naïf", "Ça", "très", "dit-il.", "\n\n", "août", "école",
]  # fmt: skip
LATIN_TEXT = st.lists(st.sampled_from(LATIN_WORDS), min_size=1, max_size=40).map(" ".join)
# What a CJK codec would make of stray bytes: kana, ideographs, Hangul, half/full width forms.
CJK = re.compile("[\u1100-\u11ff\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")
# Up to this many stray bytes, a text with one accented letter is still read as UTF-8 (more
# than that many invalid bytes per valid character is what a cp1252 file looks like).
MAX_STRAYS = 8


@FUZZ
@given(st.data())
def test_stray_bytes_in_latin_utf8_never_give_cjk_and_keep_every_valid_character(data):
    text = data.draw(LATIN_TEXT)
    count = data.draw(st.integers(min_value=1, max_value=min(MAX_STRAYS, len(text) + 1)))
    where = st.integers(min_value=0, max_value=len(text))
    places = sorted(data.draw(st.lists(where, min_size=count, max_size=count, unique=True)))
    strays = data.draw(st.lists(st.integers(0x80, 0xFF), min_size=count, max_size=count))
    raw = b"".join(
        text[start:end].encode() + (bytes([stray]) if stray is not None else b"")
        for start, end, stray in zip(
            [0, *places], [*places, len(text)], [*strays, None], strict=True
        )
    )
    decoded = decode(raw, "fuzz.txt")
    assert not CJK.search(decoded)
    # One character per stray byte, where it was; everything else exactly as written.
    assert len(decoded) == len(text) + count
    kept = list(decoded)
    for place in places:  # left to right: each removal puts the next stray at its place
        del kept[place]
    assert "".join(kept) == text
