"""An input's bytes -> clean text made of paragraphs, and what is known about the article.

Input comes as plain text in UTF-8 (with or without a byte-order mark), UTF-16 or UTF-32
with a byte-order mark, or a legacy 8-bit encoding (cp1252/latin-1 for French), as a saved
or fetched web page, as a PDF or as a Word (.docx) file; sources.py gets the bytes,
decoding.py turns text bytes into text, formats.py reads PDF and Word files. A web page's
article is extracted with trafilatura, with its title, author, date and site; scraping
debris (paywall notices, "Back to top", share prompts, ...) is removed by the rules in
boilerplate.py, whatever the format.

A paragraph is a block of lines separated from the next by a blank line; a text with no
blank line at all has one paragraph per line (scraped text often comes that way). The
title is not a paragraph: it is translated on its own (issue 13).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import PurePath
from typing import TYPE_CHECKING

from summarizer import boilerplate
from summarizer.config import DEFAULT_MAX_INPUT_BYTES
from summarizer.decoding import decode
from summarizer.errors import InputError
from summarizer.metadata import Metadata, clean, iso_date
from summarizer.sources import STDIN, SUFFIX_KINDS, Source, read_source, too_large

if TYPE_CHECKING:
    from summarizer.fetch import FetchSettings

__all__ = ["STDIN", "Document", "parse_text", "read_bytes", "read_document"]

# A web page whose extracted text has fewer words than this has no article: what is left
# is a menu, a "loading" line or a JavaScript template.
MIN_PAGE_ARTICLE_WORDS = 8
_BLANK_LINE = re.compile(r"\n[ \t\f\v\u00a0]*\n")
_HTML_START = re.compile(
    r"\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)\b",
    re.I | re.S,
)
# The language a page declares on its root element: <html lang="fr-FR">.
_HTML_LANG = re.compile(r"<html\b[^>]*?\blang\s*=\s*[\"']?\s*([A-Za-z]{2,3})\b", re.I)
# What a JavaScript-rendered page shows before its script runs: {{ x }}, {% x %}, ${x}.
_TEMPLATE = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\$\{.*?\}", re.S)
_WORD = re.compile(r"\w")
# trafilatura's output elements that hold a paragraph of their own.
_BLOCK_TAGS = {"p", "head", "item", "list", "quote", "table", "row", "cell", "code"}
_PROSE_TAGS = {"p", "head", "list", "quote"}
_SENTENCE_END = tuple('.!?:;…»"”)')


@dataclass(frozen=True)
class Document:
    """An article as clean paragraphs, what is known about it, and what was taken out."""

    # The article's body, without its title.
    paragraphs: list[str]
    metadata: Metadata = field(default_factory=Metadata)
    # Lines removed as scraping debris, in the order they appeared.
    removed: list[str] = field(default_factory=list)
    # True when a notice said the article is cut short (a paywall).
    paywalled: bool = False

    @property
    def title(self) -> str | None:
        return self.metadata.title

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
    fetch_settings: FetchSettings | None = None,
) -> Document:
    """The article in a file, on stdin ("-") or at an http(s) URL: plain text, a web page,
    a PDF or a Word file.

    `summarize` says what the text is for, in the message about an empty one;
    `fetch_settings` (a fetch.FetchSettings) the limits of a download."""
    found = read_source(source, max_bytes, fetch_settings)
    return _from_source(found, max_bytes, keep_boilerplate=keep_boilerplate, summarize=summarize)


def read_bytes(
    body: bytes,
    name: str,
    *,
    keep_boilerplate: bool = False,
    max_bytes: int = DEFAULT_MAX_INPUT_BYTES,
    summarize: bool = True,
) -> Document:
    """An article given as bytes: NAME's suffix (.pdf, .docx, .html) or the bytes themselves
    say what they hold."""
    found = Source(body, name, SUFFIX_KINDS.get(PurePath(name).suffix.lower()))
    return _from_source(found, max_bytes, keep_boilerplate=keep_boilerplate, summarize=summarize)


def _from_source(
    found: Source, max_bytes: int, *, keep_boilerplate: bool, summarize: bool
) -> Document:
    if len(found.body) > max_bytes:
        raise too_large(found.name, max_bytes)
    if not found.body:
        raise _empty(found.name, summarize)
    kind = found.kind
    if kind not in ("pdf", "docx"):
        from summarizer.formats import sniff

        kind = sniff(found.body, found.name) or kind
    if kind in ("pdf", "docx"):
        from summarizer.formats import extract_docx, extract_pdf

        extract = extract_pdf if kind == "pdf" else extract_docx
        paragraphs, metadata = extract(found.body, found.name)
        if sum(len(paragraph.encode()) for paragraph in paragraphs) > max_bytes:
            raise too_large(found.name, max_bytes, text=True)
        blocks = [[paragraph] for paragraph in paragraphs]
        document = _clean(blocks, found.name, keep_boilerplate, summarize, page=False)
        return replace(document, metadata=_with_fetch(metadata, found.metadata))
    # latin-1 decodes any bytes: enough to see an ASCII-compatible page's first tag.
    is_html = kind == "html" or looks_like_html(found.body[:4096].decode("latin-1"))
    text = decode(found.body, found.name, html=is_html, declared=found.charset)
    is_html = is_html or (kind is None and looks_like_html(text))
    document = _parse(
        text, found.name, is_html=is_html, keep_boilerplate=keep_boilerplate, summarize=summarize
    )
    return replace(document, metadata=_with_fetch(document.metadata, found.metadata))


def _with_fetch(page: Metadata, fetched: Metadata) -> Metadata:
    """The page's own metadata, completed by the fetch's; the address is the one fetched."""
    merged = page.merged(fetched)
    return replace(merged, url=fetched.url) if fetched.url else merged


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
    if "\x00" in text:  # as decoding.py reads a file with a NUL byte
        raise InputError("{path} holds a NUL character: binary data, not text", path=name)
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
        raise _empty(name, summarize)
    if not is_html:
        (blocks, lines_are_paragraphs) = _blocks(text)
        return _clean(
            blocks, name, keep_boilerplate, summarize, lines_are_paragraphs=lines_are_paragraphs
        )
    metadata, paragraphs, removed = extract_html(text)
    if paragraphs and _same_words(paragraphs[0], metadata.title):
        paragraphs = paragraphs[1:]  # the page's heading: the title, not the body
    blocks = [[paragraph] for paragraph in paragraphs]
    document = _clean(blocks, name, keep_boilerplate, summarize, page=True)
    return replace(document, metadata=metadata, removed=removed + document.removed)


def _same_words(text: str, title: str | None) -> bool:
    """TEXT says the title, in any case and punctuation (a heading that repeats it)."""
    return title is not None and _words_of(text) == _words_of(title)


def _words_of(text: str) -> list[str]:
    return re.findall(r"\w+", text.casefold())


def _empty(name: str, summarize: bool) -> InputError:
    task = "summarize" if summarize else "translate"
    return InputError(f"{{path}} is empty: there is no text to {task}", path=name)


def _clean(
    blocks: list[list[str]],
    name: str,
    keep_boilerplate: bool,
    summarize: bool,
    *,
    lines_are_paragraphs: bool = False,
    page: bool = False,
) -> Document:
    """The paragraphs left once debris is removed; none at all (or, on a web page, fewer
    words than an article has) is an error naming the input."""
    paragraphs, removed, paywalled = _remove_debris(
        blocks, keep_boilerplate, lines_are_paragraphs=lines_are_paragraphs
    )
    words = sum(len(paragraph.split()) for paragraph in paragraphs)
    if not paragraphs or (page and words < MIN_PAGE_ARTICLE_WORDS):
        raise InputError("no article text found in {path}", path=name)
    return Document(paragraphs=paragraphs, removed=removed, paywalled=paywalled)


def extract_html(html: str) -> tuple[Metadata, list[str], list[str]]:
    """(metadata, paragraphs, removed) of a web page's article, extracted by trafilatura.

    Paragraphs that hold nothing but JavaScript template expressions ({{ ... }}) are
    removed: they are what a script-rendered page shows before its script runs."""
    import trafilatura

    extracted = trafilatura.bare_extraction(
        html, with_metadata=True, include_comments=False, favor_precision=True
    )
    if extracted is None or extracted.body is None:
        return Metadata(), [], []
    paragraphs, removed = [], []
    for paragraph in _body_paragraphs(extracted.body):
        if _WORD.search(_TEMPLATE.sub("", paragraph)):
            paragraphs.append(paragraph)
        else:
            removed.append(paragraph)
    return _page_metadata(extracted, html), paragraphs, removed


def _page_metadata(extracted, html: str) -> Metadata:  # extracted: trafilatura's Document
    """What the page says of itself; template expressions are no title or name."""

    def shown(value: object) -> str | None:
        text = clean(value)
        return text if text and _WORD.search(_TEMPLATE.sub("", text)) else None

    declared = _HTML_LANG.search(html[:8192])
    return Metadata(
        title=shown(extracted.title),
        author=shown(extracted.author),
        date=iso_date(extracted.date),
        site=shown(extracted.sitename) or shown(extracted.hostname),
        url=clean(extracted.url),
        language=declared.group(1).lower() if declared else None,
    )


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
