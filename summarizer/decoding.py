"""Bytes -> text: a byte-order mark, else UTF-8, else a legacy 8-bit encoding.

UTF-8 comes first and stays unless a legacy reading is clearly better. A file that is UTF-8
but for a few stray bytes (a cp1252 apostrophe pasted from a word processor, the bytes of an
encoded surrogate) stays UTF-8 however short it is: a lone stray byte is read as the cp1252
character it most likely was, a longer run of bad bytes becomes U+FFFD. A legacy reading is
taken only when valid multi-byte UTF-8 characters are rare beside the invalid bytes (a cp1252
French article has almost none), and a multi-byte codec (Shift-JIS, GBK, Big5, EUC-*) only
when the invalid bytes mostly come in runs and outnumber the ASCII letters of the prose, as
in CJK text and never in Latin text with stray bytes (issue 11, point 14).

Binary means binary: a NUL byte, or more than 1% of control characters other than tab,
newline, carriage return, vertical tab and form feed. Mojibake and U+FFFD are text (issue 11,
point 15).
"""

from __future__ import annotations

import codecs
import re

from summarizer.errors import InputError

# Longest BOM first: the UTF-32 LE mark starts with the UTF-16 LE one.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# A text with invalid bytes is read in a legacy encoding only when its invalid bytes
# outnumber its valid multi-byte UTF-8 characters this many times: a cp1252 article has a
# valid-looking pair ("É" then a no-break space) once in hundreds of accented letters, a
# UTF-8 article with pasted fragments has its own accents by the dozen.
_LEGACY_MAJORITY = 8
# A multi-byte legacy codec is considered only when at least this share of the bytes that
# are not valid UTF-8 sit in runs of two or more (CJK text: nearly all of them; Latin text in
# cp1252 or with stray bytes: a few).
_CJK_RUN_SHARE = 0.5
# Binary: more than 1% of the characters are controls that no text contains.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_BINARY_PERCENT = 1
# One or more bytes that are not UTF-8, as the surrogateescape handler spells them.
_ESCAPED_RUN = re.compile("[\udc80-\udcff]+")
_ASCII_LETTER = re.compile("[A-Za-z]")
# What is not prose in a web page: scripts, styles, tags, entities.
_MARKUP = re.compile(r"<script\b.*?</script>|<style\b.*?</style>|<[^>]*>|&#?\w+;", re.I | re.S)
_PRINTABLE_ASCII = bytes([9, 10, 13, *range(32, 127)])
# Browsers read latin-1 and ASCII declarations as windows-1252 (WHATWG Encoding): so do we.
_AS_CP1252 = {"latin_1", "iso8859_1", "ascii", "cp1252"}
# Detector answers that are not an 8-bit reading of ASCII-compatible text: never a guess.
_NOT_LEGACY = {"utf_8", "utf_16", "utf_32", "utf_7", "ascii"}
_DECLARED_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([A-Za-z0-9._:-]+)", re.I)


def decode(raw: bytes, name: str, *, html: bool = False, declared: str | None = None) -> str:
    """Text from bytes: a byte-order mark, else UTF-8, else the charset `declared` (by an
    HTTP header) or, for a web page, its <meta>, else the legacy encoding charset-normalizer
    finds, else UTF-8 with its bad bytes replaced; binary data is an error naming `name`.
    A declaration is believed only where the bytes are not UTF-8, as browsers do for one
    that contradicts the content."""
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            try:
                return _checked_text(raw.decode(encoding), name)
            except UnicodeDecodeError as exc:
                label = encoding.removesuffix("-sig").upper()
                problem = (
                    f"{{path}} starts with a {label} byte-order mark but is not valid {label} text"
                )
                raise InputError(problem, path=name) from exc
    if b"\x00" in raw:
        raise InputError("{path} is a binary file, not text", path=name)
    escaped = raw.decode("utf-8", errors="surrogateescape")
    if not _ESCAPED_RUN.search(escaped):
        return _checked_text(escaped, name)
    multi_byte_allowed = _cjk_shaped(escaped)
    if not _clearly_legacy(escaped, cjk_shaped=multi_byte_allowed):
        return _checked_text(repair_utf8(escaped), name)
    candidates = [_codec(declared.encode("ascii", "replace"))] if declared else []
    candidates += [_declared_charset(raw)] if html else []
    candidates += _legacy_encodings(raw, multi_byte_allowed=multi_byte_allowed)
    for encoding in candidates:
        if encoding is None or not _ascii_compatible(encoding):
            continue
        if _is_multi_byte(encoding) and not multi_byte_allowed:
            continue
        try:
            return _checked_text(raw.decode(encoding), name)
        except (UnicodeDecodeError, LookupError, InputError):
            continue
    return _checked_text(repair_utf8(escaped), name)


def repair_utf8(escaped: str) -> str:
    """UTF-8 decoded with surrogateescape, its bad bytes mended: a lone bad byte becomes the
    cp1252 character it stands for, a longer run of them one U+FFFD per byte."""

    def mend(run: re.Match[str]) -> str:
        raw = run.group().encode("utf-8", errors="surrogateescape")
        if len(raw) == 1:
            return raw.decode("cp1252", errors="replace")
        return "\ufffd" * len(raw)

    return _ESCAPED_RUN.sub(mend, escaped)


def _clearly_legacy(escaped: str, *, cjk_shaped: bool) -> bool:
    """True when the invalid bytes far outnumber the valid multi-byte UTF-8 characters, or,
    in CJK-shaped text, simply outnumber them (a Shift-JIS or GBK text makes a valid UTF-8
    character by accident for every three to six invalid bytes)."""
    invalid = sum(len(run) for run in _ESCAPED_RUN.findall(escaped))
    valid = sum(1 for character in escaped if character > "\x7f") - invalid
    return invalid > _LEGACY_MAJORITY * valid or (cjk_shaped and invalid > valid)


def _cjk_shaped(escaped: str) -> bool:
    """True when the bytes that are not UTF-8 look like CJK text: mostly in runs of two or
    more (stray bytes come alone), and at least as many as the ASCII letters outside markup
    (Latin text has far more letters than bad bytes)."""
    runs = [len(run) for run in _ESCAPED_RUN.findall(escaped)]
    invalid = sum(runs)
    clustered = sum(length for length in runs if length > 1)
    letters = len(_ASCII_LETTER.findall(_MARKUP.sub(" ", escaped)))
    return invalid > 0 and clustered >= _CJK_RUN_SHARE * invalid and invalid >= letters


def _ascii_compatible(encoding: str) -> bool:
    """True when ASCII text reads as itself (not EBCDIC, not UTF-16): the tags and markup a
    guess is made from, and the article's own ASCII, must survive it."""
    try:
        return _PRINTABLE_ASCII.decode(encoding) == _PRINTABLE_ASCII.decode("ascii")
    except (LookupError, UnicodeDecodeError):
        return False


def _is_multi_byte(encoding: str) -> bool:
    from charset_normalizer.utils import is_multi_byte_encoding

    try:
        return is_multi_byte_encoding(codecs.lookup(encoding).name.replace("-", "_"))
    except LookupError:
        return False


def _declared_charset(raw: bytes) -> str | None:
    """The charset a page's <meta> declares, as a Python codec name; None if unknown."""
    found = _DECLARED_CHARSET.search(raw[:8192])
    return _codec(found.group(1)) if found else None


def _codec(label: bytes) -> str | None:
    """A declared charset's Python codec name (latin-1 read as windows-1252); None if
    unknown."""
    try:
        encoding = codecs.lookup(label.decode("ascii").strip()).name.replace("-", "_")
    except (LookupError, UnicodeDecodeError):
        return None
    return "cp1252" if encoding in _AS_CP1252 else encoding


def _legacy_encodings(raw: bytes, *, multi_byte_allowed: bool) -> list[str]:
    """charset-normalizer's guesses, best first, preferring windows-1252 (the encoding of
    French text on Windows, a superset of latin-1) whenever it reads the bytes as cleanly as
    the best guess: on short texts the detector often ranks a Baltic or Central European
    code page first. Multi-byte codecs are left out unless allowed."""
    from charset_normalizer import from_bytes

    matches = [
        match
        for match in from_bytes(raw)
        if match.encoding not in _NOT_LEGACY
        and (multi_byte_allowed or not _is_multi_byte(match.encoding))
    ]
    if not matches:
        return []
    best = matches[0]
    for candidate in matches:
        if (
            "cp1252" in candidate.could_be_from_charset
            and candidate.percent_chaos <= best.percent_chaos + 1.0
        ):
            return ["cp1252", best.encoding]
    return [match.encoding for match in matches]


def _checked_text(text: str, name: str) -> str:
    """`text` unless it holds a NUL or more than 1% of control characters, as binary does."""
    controls = len(_CONTROL.findall(text))
    if "\x00" in text or controls * 100 > _BINARY_PERCENT * len(text):
        raise InputError("{path} is a binary file, not text", path=name)
    return text
