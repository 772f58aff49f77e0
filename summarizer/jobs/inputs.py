"""Inputs that are not files found in folders: web addresses, and lists of inputs.

A URL's output in a folder run is OUTDIR/HOST/SLUG.EXT: HOST is the address's host name
(with `_PORT` when one is given), SLUG its path and query with every run of characters
other than letters, digits, `.`, `_` and `-` turned into one `-`, a page suffix (.html,
.php, ...) dropped, and `index` for an empty path. A slug longer than 100 characters is cut
and ends with eight characters of the address's SHA-256, as does each of two addresses of
one run that would share a name: names never collide and never leave OUTDIR.
"""

from __future__ import annotations

import hashlib
import re
import sys
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

from summarizer import files
from summarizer.errors import InputError
from summarizer.sources import STDIN, is_url

# Outputs a folder run writes beside the documents' own.
RESERVED = {"manifest.jsonl", "digest.md", "digest.csv"}
# A URL's output file stands in for a page: these suffixes say nothing about its content.
_PAGE_SUFFIXES = {".html", ".htm", ".shtml", ".xhtml", ".php", ".asp", ".aspx", ".jsp", ".cgi"}
_UNSAFE = re.compile(r"[^\w.-]+")
_MAX_SLUG = 100
# A URL's relative output before its extension is chosen: `output_names` swaps this suffix.
URL_SUFFIX = ".url"


def read_input_list(source: str) -> list[str]:
    """The paths and URLs a list file (or stdin, "-") names: one per line; blank lines and
    lines starting with # are skipped, and the spaces around an entry ignored."""
    if source == STDIN:
        if sys.stdin is None:
            raise InputError("{path} is closed: there is no input list", path="standard input")
        text = sys.stdin.read()
    else:
        text = files.read_text(source)
        if text is None:
            raise InputError("cannot read the input list {path}", path=source)
    entries = [line.strip() for line in text.splitlines()]
    return [entry for entry in entries if entry and not entry.startswith("#")]


def url_relatives(urls: list[str]) -> list[Path]:
    """Each URL's output path under OUTDIR, with URL_SUFFIX standing for its extension."""
    names = [_url_name(url) for url in urls]
    counts: dict[PurePosixPath, int] = {}
    for name in names:
        counts[name] = counts.get(name, 0) + 1
    unique = [
        name.with_name(f"{name.name}-{_digest(url)}") if counts[name] > 1 else name
        for url, name in zip(urls, names, strict=True)
    ]
    return [Path(name.parent, name.name + URL_SUFFIX) for name in unique]


def _url_name(url: str) -> PurePosixPath:
    parts = urlsplit(url)
    host = _safe(parts.hostname or "") or "_"
    if host in RESERVED:
        host += "_"
    try:
        port = parts.port
    except ValueError:
        port = None
    if port is not None:
        host += f"_{port}"
    path = unquote(parts.path).strip("/")
    suffix = PurePosixPath(path).suffix
    if suffix.lower() in _PAGE_SUFFIXES:
        path = path[: -len(suffix)]
    query = unquote(parts.query)
    slug = _safe("-".join(part for part in (path, query) if part)) or "index"
    if len(slug) > _MAX_SLUG:
        slug = f"{slug[:_MAX_SLUG].rstrip('-.')}-{_digest(url)}"
    return PurePosixPath(host, slug)


def _safe(text: str) -> str:
    """TEXT with unsafe runs made "-", and no leading dot (a hidden file, "..")."""
    return _UNSAFE.sub("-", text).lstrip(".-").rstrip("-")


def _digest(url: str) -> str:
    return hashlib.sha256(url.encode("utf-8", "surrogatepass")).hexdigest()[:8]


def split_urls(inputs: list[str | Path]) -> tuple[list[str], list[Path]]:
    """(URLs, paths) among INPUTS, each in its order."""
    urls = [str(item) for item in inputs if isinstance(item, str) and is_url(item)]
    paths = [Path(item) for item in inputs if not (isinstance(item, str) and is_url(item))]
    return urls, paths


def shown(source: str | Path) -> str:
    """What an input is called in messages, the manifest and results: a URL without the
    user:password@ it may carry."""
    from summarizer.fetch import without_credentials

    text = str(source)
    return without_credentials(text) if isinstance(source, str) and is_url(text) else text
