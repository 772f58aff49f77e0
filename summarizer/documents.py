"""File bytes -> clean text made of paragraphs.

A paragraph is a block of lines separated from the next by a blank line; a text with no
blank line at all has one paragraph per line (scraped text often comes that way).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from summarizer.errors import InputError

STDIN = "-"
# Far beyond any news article (a long feature is ~100 KB); protects memory and model time.
MAX_INPUT_BYTES = 10 * 1024 * 1024
_BLANK_LINE = re.compile(r"\n[ \t\f\v\u00a0]*\n")


def read_article(source: str) -> str:
    """The text of a file (or of stdin for "-"), as clean paragraphs."""
    raw = _read_bytes(source)
    name = "standard input" if source == STDIN else source
    text = decode(raw, name)
    paragraphs = split_paragraphs(text)
    if not paragraphs:
        raise InputError(f"{name} is empty: there is no text to summarize")
    return join_paragraphs(paragraphs)


def _read_bytes(source: str) -> bytes:
    if source == STDIN:
        return sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)
    path = Path(source)
    try:
        if path.is_dir():
            raise InputError(f"{source} is a directory, not an article file")
        with path.open("rb") as handle:
            raw = handle.read(MAX_INPUT_BYTES + 1)
    except FileNotFoundError as exc:
        raise InputError(f"no such file: {source}") from exc
    except PermissionError as exc:
        raise InputError(f"cannot read {source}: permission denied") from exc
    except OSError as exc:
        raise InputError(f"cannot read {source}: {exc.strerror or exc}") from exc
    if len(raw) > MAX_INPUT_BYTES:
        raise InputError(
            f"{source} is larger than {MAX_INPUT_BYTES // (1024 * 1024)} MB: not an article"
        )
    return raw


def decode(raw: bytes, name: str) -> str:
    """UTF-8 text (a BOM is dropped); anything else is an error for now."""
    if b"\x00" in raw:
        raise InputError(f"{name} is a binary file, not text")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{name} is not UTF-8 text (byte {exc.start} is invalid)") from exc


def split_paragraphs(text: str) -> list[str]:
    """Paragraphs with their inner whitespace collapsed; empty ones dropped."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    blocks = _BLANK_LINE.split(text) if _BLANK_LINE.search(text) else text.split("\n")
    paragraphs = (" ".join(block.split()) for block in blocks)
    return [paragraph for paragraph in paragraphs if paragraph]


def join_paragraphs(paragraphs: list[str]) -> str:
    return "\n\n".join(paragraphs)
