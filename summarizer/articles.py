"""The forms an article can be given in (a string, bytes, a path, a Document already read),
each made a Document the way its form says."""

from __future__ import annotations

import os
from dataclasses import dataclass

from summarizer.config import Config
from summarizer.documents import Document, parse_text, read_bytes, read_document
from summarizer.errors import InputError
from summarizer.options import RunOptions
from summarizer.sources import address_in, without_credentials


@dataclass
class Article:
    """One input and the name it is reported under (a path, a URL, "<text>").

    `text` is a string (plain text or HTML, cleaned by the pipeline; a string that is
    nothing but an http(s) URL is fetched), bytes (a file's content: `name`'s suffix or the
    bytes say whether it is a PDF, a Word file, a page or text), a path (os.PathLike) to
    read, or a Document already read."""

    name: str
    text: str | bytes | os.PathLike[str] | Document


def as_article(item: Article | str | bytes | os.PathLike[str] | Document) -> Article:
    """An Article; any other value `run` takes is one, named as `run` names it."""
    if isinstance(item, Article):
        return item
    if isinstance(item, os.PathLike):
        return Article(os.fspath(item), item)
    if isinstance(item, str) and (address := address_in(item)) is not None:
        return Article(without_credentials(address), item)
    return Article("<text>", item)


def read_article(article: Article, config: Config, options: RunOptions) -> Document:
    """The article's Document, from whichever form it was given in."""
    text = article.text
    if isinstance(text, Document):
        return text
    if isinstance(text, bytearray | memoryview):
        text = bytes(text)
    if not isinstance(text, str | bytes | os.PathLike):
        kind = type(text).__name__
        raise TypeError(f"an article is a str, bytes, a path or a Document, not {kind}")
    settings = {
        "keep_boilerplate": options.keep_boilerplate,
        "max_bytes": config.max_input_bytes,
        "summarize": options.summarize,
    }
    if isinstance(text, bytes):
        return read_bytes(text, article.name, **settings)
    fetch = config.fetch_settings()
    if isinstance(text, os.PathLike):
        return read_document(os.fspath(text), fetch_settings=fetch, **settings)
    if (address := address_in(text)) is not None:  # valid or not: read_document says
        return read_document(address, fetch_settings=fetch, **settings)
    line = text.strip()
    if len(line) < 4096 and not any(c.isspace() for c in line) and os.path.exists(line):
        raise InputError(
            "{path} is the name of a file, not an article's text",
            path=line,
            hint="pass pathlib.Path(name) to read the file",
        )
    return parse_text(text, name=article.name, **settings)
