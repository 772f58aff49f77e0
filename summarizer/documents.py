"""File bytes -> clean text made of paragraphs.

Input comes as plain text in UTF-8 (with or without a byte-order mark), UTF-16 or UTF-32
with a byte-order mark, or a legacy 8-bit encoding (cp1252/latin-1 for French), or as a
saved web page; decoding.py turns the bytes into text. Only a regular file or stdin is
read: anything else could block forever. A web page's article is extracted with
trafilatura; scraping debris (paywall notices, "Back to top", share prompts, ...) is removed
by the rules in boilerplate.py.

A paragraph is a block of lines separated from the next by a blank line; a text with no
blank line at all has one paragraph per line (scraped text often comes that way).
"""

from __future__ import annotations

import os
import re
import stat
import sys
from dataclasses import dataclass, field
from pathlib import Path

from summarizer import boilerplate, files
from summarizer.config import DEFAULT_MAX_INPUT_BYTES
from summarizer.decoding import decode
from summarizer.errors import InputError

STDIN = "-"
HTML_SUFFIXES = (".html", ".htm", ".xhtml", ".shtml")
# A web page whose extracted text has fewer words than this has no article: what is left
# is a menu, a "loading" line or a JavaScript template.
MIN_PAGE_ARTICLE_WORDS = 8
_BLANK_LINE = re.compile(r"\n[ \t\f\v\u00a0]*\n")
_HTML_START = re.compile(
    r"\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)\b",
    re.I | re.S,
)
# What a JavaScript-rendered page shows before its script runs: {{ x }}, {% x %}, ${x}.
_TEMPLATE = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\$\{.*?\}", re.S)
_WORD = re.compile(r"\w")
# trafilatura's output elements that hold a paragraph of their own.
_BLOCK_TAGS = {"p", "head", "item", "list", "quote", "table", "row", "cell", "code"}
_PROSE_TAGS = {"p", "head", "list", "quote"}
_SENTENCE_END = tuple('.!?:;…»"”)')


@dataclass(frozen=True)
class Document:
    """An article as clean paragraphs, and what was taken out of it."""

    # The article's paragraphs; a web page's title comes first when it has one.
    paragraphs: list[str]
    # A web page's title (already the first paragraph); None for plain text.
    title: str | None = None
    # Lines removed as scraping debris, in the order they appeared.
    removed: list[str] = field(default_factory=list)
    # True when a notice said the article is cut short (a paywall).
    paywalled: bool = False

    @property
    def text(self) -> str:
        """The paragraphs separated by one blank line."""
        return join_paragraphs(self.paragraphs)


def read_document(
    source: str,
    *,
    keep_boilerplate: bool = False,
    max_bytes: int = DEFAULT_MAX_INPUT_BYTES,
    summarize: bool = True,
) -> Document:
    """The article in a file (or on stdin for "-"): plain text or a saved web page.

    `summarize` says what the text is for, in the message about an empty one."""
    name = "standard input" if source == STDIN else source
    raw = _read_stdin(max_bytes) if source == STDIN else _read_file(source, max_bytes)
    if len(raw) > max_bytes:
        raise too_large(name, max_bytes)
    by_name = Path(source).suffix.lower() in HTML_SUFFIXES
    # latin-1 decodes any bytes: enough to see an ASCII-compatible page's first tag.
    text = decode(raw, name, html=by_name or looks_like_html(raw[:4096].decode("latin-1")))
    is_html = by_name or looks_like_html(text)
    return _parse(
        text, name, is_html=is_html, keep_boilerplate=keep_boilerplate, summarize=summarize
    )


def parse_text(
    text: str,
    *,
    keep_boilerplate: bool = False,
    name: str = "<text>",
    max_bytes: int = DEFAULT_MAX_INPUT_BYTES,
    summarize: bool = True,
) -> Document:
    """An article given as a string: plain text, or HTML (recognised by its first tag)."""
    if len(text) > max_bytes or len(text.encode("utf-8", errors="replace")) > max_bytes:
        raise too_large(name, max_bytes)
    text = text.removeprefix("\ufeff")
    return _parse(
        text,
        name,
        is_html=looks_like_html(text),
        keep_boilerplate=keep_boilerplate,
        summarize=summarize,
    )


def looks_like_html(text: str) -> bool:
    """True for a saved web page: it opens with a doctype, <html>, <head> or <body>."""
    return bool(_HTML_START.match(text))


def _parse(
    text: str, name: str, *, is_html: bool, keep_boilerplate: bool, summarize: bool
) -> Document:
    if not text.strip():
        task = "summarize" if summarize else "translate"
        raise InputError(f"{{path}} is empty: there is no text to {task}", path=name)
    title = None
    if is_html:
        title, paragraphs, removed = extract_html(text)
        blocks, lines_are_paragraphs = [[paragraph] for paragraph in paragraphs], False
    else:
        (blocks, lines_are_paragraphs), removed = _blocks(text), []
    paragraphs, debris, paywalled = _remove_debris(
        blocks, keep_boilerplate, lines_are_paragraphs=lines_are_paragraphs
    )
    removed += debris
    words = sum(len(paragraph.split()) for paragraph in paragraphs)
    if not paragraphs or (is_html and words < MIN_PAGE_ARTICLE_WORDS):
        raise InputError("no article text found in {path}", path=name)
    if title and paragraphs[0] != title:
        paragraphs.insert(0, title)
    return Document(paragraphs=paragraphs, title=title, removed=removed, paywalled=paywalled)


def _read_stdin(max_bytes: int) -> bytes:
    """At most `max_bytes` + 1 bytes of standard input, which may be anything but closed."""
    if sys.stdin is None:  # Python's stdin when descriptor 0 is closed (`<&-`)
        raise InputError("{path} is closed: there is no article to read", path="standard input")
    try:
        raw = sys.stdin.buffer.read(max_bytes + 1)
    except (OSError, ValueError) as exc:  # ValueError: a closed file object
        problem = f"cannot read {{path}}: {getattr(exc, 'strerror', None) or exc}"
        raise InputError(problem, path="standard input") from exc
    if raw is None:  # a non-blocking descriptor with nothing to read yet
        raise InputError("cannot read {path}: no data is ready", path="standard input")
    return raw


def _read_file(source: str, max_bytes: int) -> bytes:
    """At most `max_bytes` + 1 bytes of a regular file (issue 11, point 8: a FIFO, device
    or socket is refused before it is opened; it is opened without blocking, and checked
    again once open, so that one swapped in meanwhile cannot hang the run either)."""
    try:
        _check_regular(os.stat(source).st_mode, source)
        descriptor = os.open(source, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
        with open(descriptor, "rb") as handle:
            _check_regular(os.fstat(descriptor).st_mode, source)
            os.set_blocking(descriptor, True)
            return handle.read(max_bytes + 1)
    except FileNotFoundError as exc:
        raise InputError("no such file: {path}", path=source) from exc
    except PermissionError as exc:
        raise InputError("cannot read {path}: permission denied", path=source) from exc
    except IsADirectoryError as exc:
        raise InputError("{path} is a directory, not an article file", path=source) from exc
    except OSError as exc:
        problem = f"cannot read {{path}}: {exc.strerror or exc}"
        raise InputError(problem, path=source) from exc


def _check_regular(mode: int, source: str) -> None:
    """The same words as a folder run uses for a file it will not open (files.kind_of)."""
    if stat.S_ISDIR(mode):
        raise InputError("{path} is a directory, not an article file", path=source)
    if not stat.S_ISREG(mode):
        raise InputError(f"{{path}} is {files.kind_of(mode)}, not an article file", path=source)


def too_large(name: str, max_bytes: int) -> InputError:
    """The error for an input over the size limit; fetch.py says the same of a web address."""
    return InputError(
        f"{{path}} is larger than {_size(max_bytes)}, the input size limit: not an article",
        path=name,
        hint="raise [pipeline] max_input_bytes in models.toml to allow it",
    )


def _size(count: int) -> str:
    for unit, scale in (("MiB", 1024 * 1024), ("KiB", 1024)):
        if count >= scale:
            return f"{count / scale:g} {unit}"
    return f"{count} bytes"


def extract_html(html: str) -> tuple[str | None, list[str], list[str]]:
    """(title, paragraphs, removed) of a web page's article, extracted by trafilatura.

    Paragraphs that hold nothing but JavaScript template expressions ({{ ... }}) are
    removed: they are what a script-rendered page shows before its script runs."""
    import trafilatura

    extracted = trafilatura.bare_extraction(
        html, with_metadata=True, include_comments=False, favor_precision=True
    )
    if extracted is None or extracted.body is None:
        return None, [], []
    paragraphs, removed = [], []
    for paragraph in _body_paragraphs(extracted.body):
        if _WORD.search(_TEMPLATE.sub("", paragraph)):
            paragraphs.append(paragraph)
        else:
            removed.append(paragraph)
    title = " ".join((extracted.title or "").split()) or None
    if title and not _WORD.search(_TEMPLATE.sub("", title)):
        title = None
    return title, paragraphs, removed


def _body_paragraphs(body) -> list[str]:  # body: an lxml element of trafilatura's output
    """One paragraph per block element; a line break inside one also starts a paragraph.

    Old pages lay out their article in tables: paragraphs inside a table cell are kept,
    but a cell's loose text (a box title, a figure in a data table) is not article prose."""
    for cell in list(body.iter("cell")):
        if not any(child.tag in _PROSE_TAGS for child in cell.iter()):
            tail = cell.tail
            cell.clear()
            cell.tail = tail
    for element in body.iter():
        if element.tag == "lb":
            element.tail = "\n\n" + (element.tail or "")
        elif element.tag in _BLOCK_TAGS:
            element.text = "\n\n" + (element.text or "")
            element.tail = "\n\n" + (element.tail or "")
    return split_paragraphs("".join(body.itertext()))


def _blocks(text: str) -> tuple[list[list[str]], bool]:
    """The lines of each paragraph, and whether each line is a paragraph: paragraphs are
    blank-line separated, or one per line when no line is blank."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if _BLANK_LINE.search(text):
        return [block.split("\n") for block in _BLANK_LINE.split(text)], False
    return [[line] for line in text.split("\n")], True


def _remove_debris(
    blocks: list[list[str]], keep_boilerplate: bool, *, lines_are_paragraphs: bool = False
) -> tuple[list[str], list[str], bool]:
    """(paragraphs, removed lines, paywalled). When each line is a paragraph, a line's
    neighbours still decide whether it may be debris (see _filter_lines)."""
    if lines_are_paragraphs:
        kept, removed, paywalled = _filter_lines([line for [line] in blocks], keep_boilerplate)
        return [" ".join(line.split()) for line in kept if line.strip()], removed, paywalled
    paragraphs: list[str] = []
    removed = []
    paywalled = False
    for lines in blocks:
        kept, debris, paywall = _filter_lines(lines, keep_boilerplate)
        removed += debris
        paywalled = paywalled or paywall
        paragraph = " ".join(" ".join(kept).split())
        if paragraph:
            paragraphs.append(paragraph)
    return paragraphs, removed, paywalled


def _filter_lines(lines: list[str], keep_boilerplate: bool) -> tuple[list[str], list[str], bool]:
    """(kept lines, removed lines, paywalled). A line is debris only where a sentence may
    start and end, so a wrapped article line is never taken for a button."""
    kept: list[str] = []
    removed: list[str] = []
    paywalled = False
    previous_was_debris = False
    for index, line in enumerate(lines):
        previous = "" if index == 0 or previous_was_debris else lines[index - 1]
        following = lines[index + 1] if index + 1 < len(lines) else ""
        rule = boilerplate.match(line)
        previous_was_debris = rule is not None and _stands_alone(previous, following)
        if rule is not None and previous_was_debris:
            paywalled = paywalled or rule.paywall
            if not keep_boilerplate:
                removed.append(" ".join(line.split()))
                continue
        kept.append(line)
    return kept, removed, paywalled


def _stands_alone(previous: str, following: str) -> bool:
    """True when the line between these two may start and end a sentence ("" is none)."""
    previous, following = previous.rstrip(), following.lstrip()
    starts_sentence = not previous or previous.endswith(_SENTENCE_END)
    ends_sentence = not following or not following[0].islower()
    return starts_sentence and ends_sentence


def split_paragraphs(text: str) -> list[str]:
    """Paragraphs with their inner whitespace collapsed; empty ones dropped."""
    paragraphs = (" ".join(" ".join(lines).split()) for lines in _blocks(text)[0])
    return [paragraph for paragraph in paragraphs if paragraph]


def join_paragraphs(paragraphs: list[str]) -> str:
    return "\n\n".join(paragraphs)
