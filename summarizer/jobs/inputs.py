"""Inputs that are not files found in folders: web addresses, and lists of inputs.

A URL's output in a folder run is OUTDIR/HOST/SLUG.EXT: HOST is the address's host name
(with `_PORT` when one is given), SLUG its path and query with every run of characters
other than letters, digits, `.`, `_` and `-` turned into one `-`, a page suffix (.html,
.php, ...) dropped, and `index` for an empty path. A slug longer than 100 characters is cut
and ends with eight characters of the address's SHA-256, as does each of two addresses of
one run that would share a name: names never collide and never leave OUTDIR.
"""

from __future__ import annotations

import codecs
import hashlib
import os
import re
import sys
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

from summarizer.errors import InputError
from summarizer.jobs.digest import DIGEST_CSV, DIGEST_MARKDOWN
from summarizer.jobs.manifest import MANIFEST
from summarizer.sources import STDIN, is_url, looks_like_url, without_credentials

# Outputs a folder run writes beside the documents' own.
RESERVED = {MANIFEST, DIGEST_MARKDOWN, DIGEST_CSV}
# A URL's output file stands in for a page: these suffixes say nothing about its content.
_PAGE_SUFFIXES = {".html", ".htm", ".shtml", ".xhtml", ".php", ".asp", ".aspx", ".jsp", ".cgi"}
_UNSAFE = re.compile(r"[^\w.-]+")
_MAX_SLUG = 100
# A URL's relative output before its extension is chosen: `output_names` swaps this suffix.
URL_SUFFIX = ".url"


def read_input_list(source: str) -> list[str]:
    """The paths and URLs a list (a file, a pipe, or stdin for "-") names: one per line;
    blank lines and lines starting with # are skipped, the spaces around an entry and a
    leading byte-order mark ignored, and an entry listed twice (or a path spelled two ways,
    `a.txt` and `./a.txt`) read once. Lines are bytes, like file names: a name that is not
    UTF-8 is kept as the OS gives it."""
    raw = _list_bytes(source)
    shown = "standard input" if source == STDIN else source
    if b"\x00" in raw:
        problem = "the input list {path} is binary, not one path or URL per line"
        raise InputError(problem, path=shown)
    entries: list[str] = []
    seen: set[str] = set()
    for line in raw.removeprefix(codecs.BOM_UTF8).splitlines():
        entry = os.fsdecode(line).strip()
        key = entry if looks_like_url(entry) else os.path.normpath(entry)
        if entry and not entry.startswith("#") and key not in seen:
            seen.add(key)
            entries.append(entry)
    return entries


def _list_bytes(source: str) -> bytes:
    """A list's bytes; a pipe or FIFO is read too (`--input-list <(find ...)`)."""
    if source == STDIN:
        if sys.stdin is None:
            raise InputError("{path} is closed: there is no input list", path="standard input")
        return sys.stdin.buffer.read()
    try:
        with open(source, "rb") as stream:
            return stream.read()
    except FileNotFoundError as exc:
        raise InputError("no such input list: {path}", path=source) from exc
    except IsADirectoryError as exc:
        raise InputError("the input list {path} is a folder, not a file", path=source) from exc
    except OSError as exc:
        problem = f"cannot read the input list {{path}}: {exc.strerror or exc}"
        raise InputError(problem, path=source) from exc


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
    host = _safe((parts.hostname or "").replace(":", "_")) or "_"  # an IPv6 address too
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
    """Eight characters of the address's SHA-256, its password left out of the hash."""
    address = without_credentials(url).encode("utf-8", "surrogatepass")
    return hashlib.sha256(address).hexdigest()[:8]


def split_urls(inputs: list[str | Path]) -> tuple[list[str], list[Path], list[str]]:
    """(URLs, paths, malformed URLs) among INPUTS, each in its order: an input meant as a
    web address that is not a valid one is never read as a file name."""
    urls: list[str] = []
    paths: list[Path] = []
    malformed: list[str] = []
    for item in inputs:
        if not (isinstance(item, str) and looks_like_url(item)):
            paths.append(Path(item))
        else:
            (urls if is_url(item) else malformed).append(item)
    return urls, paths, malformed


def shown(source: str | Path) -> str:
    """What an input is called in messages, the manifest and results: a URL without the
    user:password@ it may carry."""
    text = str(source)
    return without_credentials(text) if isinstance(source, str) and looks_like_url(text) else text
