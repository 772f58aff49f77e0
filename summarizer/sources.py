"""Where an article's bytes come from: a file, standard input or a web address.

Only a regular file or stdin is read: anything else could block forever. A URL is
fetched (fetch.py) with its own limits; what the response says of itself (final address,
type, charset, declared language) travels with the bytes. Every source stops reading one
byte past the size limit, so a huge input costs nothing to refuse.
"""

from __future__ import annotations

import os
import stat
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from summarizer import files
from summarizer.errors import InputError
from summarizer.metadata import Metadata

if TYPE_CHECKING:
    from summarizer.fetch import FetchSettings

STDIN = "-"
# What a file's name says it holds.
SUFFIX_KINDS = {
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".shtml": "html",
    ".pdf": "pdf",
    ".docx": "docx",
}


@dataclass(frozen=True)
class Source:
    """An input's bytes, the name it is reported under, and what is known of it so far."""

    body: bytes
    name: str
    # "html", "text", "pdf", "docx", or None: decided from the bytes.
    kind: str | None = None
    # The charset a server declared for the body (a page's own <meta> is read later).
    charset: str | None = None
    metadata: Metadata = field(default_factory=Metadata)


def is_url(text: str) -> bool:
    """An http:// or https:// address (with a host, no whitespace): fetched, not opened. A
    path is told apart by its first characters, without importing the fetcher."""
    if not looks_like_url(text):
        return False
    from summarizer.fetch import is_url as fetchable

    return fetchable(text)


def looks_like_url(text: str) -> bool:
    """Meant as a web address: it starts with http:// or https://, valid or not."""
    return text[:8].lower().startswith(("http://", "https://"))


def address_in(text: str) -> str | None:
    """The web address a string is, spaces around it aside (valid or not); None for text."""
    line = text.strip()
    return line if "\n" not in line and looks_like_url(line) else None


def without_credentials(url: str) -> str:
    """`url` with its user:password@ removed, also when the password holds a / ? or # that
    should have been percent-encoded ("user:pa/ss@host"); a path's own @ ("/@name")
    stays."""
    scheme, separator, rest = url.partition("://")
    if not separator:
        return url
    end = min((index for index in map(rest.find, "/?#") if index >= 0), default=len(rest))
    authority = rest[:end]
    if "@" in authority:
        return f"{scheme}://{authority.rpartition('@')[2]}{rest[end:]}"
    _user, colon, after = authority.partition(":")
    if colon and not after.isdigit() and "@" in rest[end:]:
        return f"{scheme}://{rest[rest.index('@', end) + 1 :]}"
    return url


def malformed_url(text: str) -> InputError:
    """The error for an input meant as a web address that is not one (its password hidden)."""
    return InputError(
        "{path} is not a valid http:// or https:// address", path=without_credentials(text)
    )


def read_source(source: str, max_bytes: int, fetch_settings: FetchSettings | None = None) -> Source:
    """The bytes of a file, of stdin ("-") or of a URL: at most `max_bytes` + 1 of them."""
    if source == STDIN:
        return Source(_read_stdin(max_bytes), "standard input")
    if is_url(source):
        return _read_url(source, max_bytes, fetch_settings)
    if looks_like_url(source):
        raise malformed_url(source)
    kind = SUFFIX_KINDS.get(Path(source).suffix.lower())
    return Source(_read_file(source, max_bytes), source, kind)


def _read_url(url: str, max_bytes: int, settings: FetchSettings | None) -> Source:
    from summarizer.fetch import FetchSettings, fetch

    fetched = fetch(url, max_bytes=max_bytes, settings=settings or FetchSettings())
    language = (fetched.language or "").split("-")[0].strip().lower() or None
    host = urlsplit(fetched.url).hostname
    metadata = Metadata(url=fetched.url, site=host, language=language)
    return Source(fetched.body, url, fetched.kind, fetched.charset, metadata)


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


def too_large(name: str, max_bytes: int, *, text: bool = False) -> InputError:
    """The error for an input over the size limit, whatever it came from (`text`: the text
    a PDF or Word file holds, which may be larger than the file)."""
    limit = _size(max_bytes)
    what = f"holds more than {limit} of text" if text else f"is larger than {limit}"
    return InputError(
        f"{{path}} {what}, the input size limit: not an article",
        path=name,
        hint="raise [pipeline] max_input_bytes in models.toml to allow it",
    )


def _size(count: int) -> str:
    for unit, scale in (("MiB", 1024 * 1024), ("KiB", 1024)):
        if count >= scale:
            return f"{round(count / scale, 2):g} {unit}"
    return f"{count} bytes"
