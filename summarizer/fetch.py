"""One http:// or https:// address -> the bytes of an article, for the document step.

A fetch returns the whole body (decoded of gzip or deflate) and what the response says of
it, or fails with one line naming the address as given (never its password) and where a
redirect led. It never runs past `total_timeout` (connecting, redirects, the server's waits
and a body sent a byte at a time all count), never holds more than `max_bytes` of decoded
body, follows at most `max_redirects` redirects and only to http(s), retries only 429 and
503, and keeps only what the document step reads: a web page, plain text, a PDF or a Word
document. Proxies come from the environment (http_proxy, https_proxy, no_proxy), never for
a loopback host.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import http.client
import ipaddress
import re
import socket
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from urllib.parse import unquote, urljoin, urlsplit

import urllib3
from urllib3 import exceptions as u3

from summarizer import __version__
from summarizer.documents import looks_like_html
from summarizer.errors import InputError
from summarizer.files import printable
from summarizer.sources import too_large, without_credentials

USER_AGENT = f"summarizer/{__version__} (news translation and summaries; urllib3)"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# What each content type is read as; the types in _SNIFFED are read by their first bytes.
_KINDS = {"text/html": "html", "application/xhtml+xml": "html", "text/plain": "text"}
_KINDS |= {"application/pdf": "pdf", DOCX: "docx"}
_SNIFFED = frozenset({"", "application/octet-stream", "binary/octet-stream"})
# What we read, then anything at a low rank: a type we do not read is refused after the
# headers with a clearer message than a server's 406.
_ACCEPT = "text/html, application/xhtml+xml, text/plain;q=0.9, application/pdf;q=0.8, "
_ACCEPT += f"{DOCX};q=0.8, application/octet-stream;q=0.5, */*;q=0.1"
# Every encoding urllib3 can decode here (gzip and deflate, brotli or zstd if installed).
_ENCODINGS = urllib3.util.make_headers(accept_encoding=True)["accept-encoding"]
_HEADERS = {"User-Agent": USER_AGENT, "Accept": _ACCEPT, "Accept-Encoding": _ENCODINGS}
# Redirects and retries are ours; the body is streamed (and decoded: urllib3's default).
_OPEN = {"headers": _HEADERS, "retries": False, "redirect": False, "preload_content": False}
_READABLE = "a web page, text, PDF or Word document"
# The longest silence allowed between two reads (never past the deadline).
_READ_TIMEOUT = 30.0
# One socket read at most: the deadline is checked between two.
_CHUNK = 64 * 1024
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_RETRIED = frozenset({429, 503})
_LANGUAGE_TAG = re.compile(r"[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*")
# Control bytes no text has (tab, line feeds and form feed aside): a body with one is data.
_BINARY = re.compile(rb"[\x00-\x08\x0e-\x1f\x7f]")
# What urllib3 found under a connection that broke mid-answer (the first match is said).
_BROKEN: dict[type[BaseException], str] = {
    http.client.RemoteDisconnected: "the server closed the connection without answering",
    ConnectionResetError: "the server reset the connection",
    http.client.IncompleteRead: "the connection closed before the whole body came",
}
_CHARSET = re.compile(r""";\s*charset\s*=\s*["']?([^"';\s]+)""", re.I)


@dataclass(frozen=True)
class FetchSettings:
    connect_timeout: float = 10.0  # seconds to connect
    total_timeout: float = 60.0  # the whole fetch: redirects, retries, a slow drip included
    max_redirects: int = 5
    retries: int = 3  # on 429 and 503 only
    max_retry_after: float = 60.0  # a longer Retry-After fails at once, saying how long
    backoff: float = 1.0  # first wait when no Retry-After is given; doubles each retry


@dataclass(frozen=True)
class Fetched:
    url: str  # final URL after redirects, without user:password
    body: bytes
    content_type: str  # lowercased, no parameters ("text/html"); "" when none was sent
    kind: str  # "html", "text", "pdf" or "docx": what the body is to be read as
    charset: str | None  # from the Content-Type header, if any
    language: str | None  # the first Content-Language tag, if any, as sent ("fr-FR")


def is_url(text: str) -> bool:
    """True for an http:// or https:// address with a host and no whitespace."""
    if not text.lower().startswith(("http://", "https://")):
        return False
    if any(char.isspace() or not char.isprintable() for char in text):
        return False
    try:
        parts = urlsplit(text)
        return bool(parts.hostname) and (parts.port is None or parts.port > 0)
    except ValueError:  # a malformed [IPv6] host, a port out of range
        return False


def proxy_for(url: str) -> str | None:
    """The proxy the environment names for `url` (an address is_url takes), or None: no
    proxy set, a no_proxy host, or a loopback host (never proxied)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    proxy = None if _is_loopback(host) else urllib.request.getproxies().get(parts.scheme)
    if not proxy:
        return None
    if urllib.request.proxy_bypass(host if parts.port is None else f"{host}:{parts.port}"):
        return None
    return proxy if "://" in proxy else f"http://{proxy}"


def fetch(
    url: str,
    *,
    max_bytes: int,
    settings: FetchSettings = FetchSettings(),
    sleep: Callable[[float], None] = time.sleep,
) -> Fetched:
    """The body at `url` and what the response says about it; an InputError otherwise."""
    if not is_url(url):
        problem = "{path} is not an http:// or https:// address"
        raise InputError(problem, path=without_credentials(url))
    return _Fetch(url, max_bytes, settings, sleep).run()


class _Fetch:
    """One fetch: where it stands (address, redirects, retries, time left)."""

    def __init__(
        self, url: str, max_bytes: int, settings: FetchSettings, sleep: Callable[[float], None]
    ) -> None:
        self.given = self.url = url
        self.max_bytes = max_bytes
        self.settings = settings
        self.sleep = sleep
        self.deadline = time.monotonic() + settings.total_timeout
        self.redirects = self.retries = 0
        self.connect_limit = self.read_limit = 0.0  # the timeouts of the current socket step
        self.managers: dict[str | None, urllib3.PoolManager] = {}

    def run(self) -> Fetched:
        try:
            while True:
                response = self._request()
                try:
                    if not (self._redirected(response) or self._retried(response)):
                        return self._read(response)
                finally:
                    response.close()
        except (u3.HTTPError, http.client.HTTPException, OSError) as exc:
            raise self._fail(self._problem(exc)) from exc
        finally:
            for manager in self.managers.values():
                manager.clear()

    def _request(self) -> urllib3.BaseHTTPResponse:
        remaining = self._remaining()
        self.connect_limit = min(self.settings.connect_timeout, remaining)
        self.read_limit = min(_READ_TIMEOUT, remaining)
        timeout = urllib3.Timeout(connect=self.connect_limit, read=self.read_limit)
        return self._manager().urlopen("GET", self.url, timeout=timeout, **_OPEN)

    def _manager(self) -> urllib3.PoolManager:
        """A pool manager for the current address: direct, or through its proxy."""
        proxy = proxy_for(self.url)
        if proxy not in self.managers:
            self.managers[proxy] = urllib3.PoolManager() if proxy is None else self._proxy(proxy)
        return self.managers[proxy]

    def _proxy(self, proxy: str) -> urllib3.ProxyManager:
        parts = urlsplit(proxy)
        if parts.scheme.lower() not in ("http", "https"):
            shown = _shown(without_credentials(proxy))
            raise self._fail(f"the proxy {shown} is not an http:// or https:// proxy")
        headers = None
        if parts.username is not None:  # urllib3 does not read a proxy URL's user:password
            auth = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
            headers = urllib3.make_headers(proxy_basic_auth=auth)
        return urllib3.ProxyManager(without_credentials(proxy), proxy_headers=headers)

    def _redirected(self, response: urllib3.BaseHTTPResponse) -> bool:
        """True when `response` redirects (the address is now its target)."""
        location = response.headers.get("Location")
        if response.status not in _REDIRECTS or not location:
            return False
        if self.redirects >= self.settings.max_redirects:
            problem = f"cannot fetch {{path}}: more than {self.settings.max_redirects} redirects"
            raise self._error(problem)
        target = urljoin(self.url, location.strip())
        if not is_url(target):
            problem = f"redirected to {_shown(without_credentials(target))}, which is not an "
            problem += "http:// or https:// address"
            raise self._error(f"cannot fetch {{path}}: {problem}")
        self.redirects += 1
        self.url = target
        return True

    def _retried(self, response: urllib3.BaseHTTPResponse) -> bool:
        """True after waiting to ask again for a 429 or 503 `response`."""
        if response.status not in _RETRIED:
            return False
        status = _status(response.status)
        if self.retries >= self.settings.retries:
            done = self.retries
            tries = f" (still refused after {done} retr{'y' if done == 1 else 'ies'})"
            raise self._fail(status + tries if done else status)
        asked = _retry_after(response.headers.get("Retry-After"))
        if asked is not None and asked > self.settings.max_retry_after:
            limit = _seconds(self.settings.max_retry_after)
            raise self._fail(f"{status}: the server asks to wait {_seconds(asked)}, over {limit}")
        wait = asked if asked is not None else self.settings.backoff * 2**self.retries
        if time.monotonic() + wait > self.deadline:
            total = _seconds(self.settings.total_timeout)
            raise self._fail(f"{status}: waiting {_seconds(wait)} to retry would pass {total}")
        self.retries += 1
        self.sleep(wait)
        return True

    def _read(self, response: urllib3.BaseHTTPResponse) -> Fetched:
        """The body of a final response, read a socket read at a time against the deadline
        and the size limit; a status other than 2xx or a type we do not read fails first."""
        if not 200 <= response.status < 300:
            missing = " without a Location" if response.status in _REDIRECTS else ""
            raise self._fail(_status(response.status) + missing)
        content_type = response.headers.get("Content-Type", "")
        mime = content_type.partition(";")[0].strip().lower()
        if mime not in _KINDS and mime not in _SNIFFED:
            raise self._refuse(f"is {_shown(mime)}, not")
        length = response.headers.get("Content-Length", "").strip()
        if length.isascii() and length.isdigit() and int(length) > self.max_bytes:
            raise self._too_large()
        chunks, size = [], 0
        while chunk := self._read_chunk(response):
            size += len(chunk)
            if size > self.max_bytes:
                raise self._too_large()
            chunks.append(chunk)
        body = b"".join(chunks)
        kind = _KINDS.get(mime) or _sniff(body, self.url)
        if kind is None:
            raise self._refuse(f"is {mime} data that is not" if mime else "has no type and is not")
        charset = _CHARSET.search(content_type)
        language = response.headers.get("Content-Language", "").partition(",")[0].strip()
        return Fetched(
            url=without_credentials(self.url),
            body=body,
            content_type=mime,
            kind=kind,
            charset=charset.group(1) if charset else None,
            language=language if _LANGUAGE_TAG.fullmatch(language) else None,
        )

    def _read_chunk(self, response: urllib3.BaseHTTPResponse) -> bytes:
        """At most one socket read of decoded body, within the time left."""
        self.read_limit = min(_READ_TIMEOUT, self._remaining())
        sock = getattr(response.connection, "sock", None)
        if sock is not None:
            sock.settimeout(self.read_limit)
        return response.read1(_CHUNK)

    def _remaining(self) -> float:
        """Seconds left before the deadline; an error once it has passed."""
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise self._fail(f"took longer than {_seconds(self.settings.total_timeout)}")
        return remaining

    def _problem(self, exc: BaseException) -> str:
        """One line for what urllib3 (or the socket under it) raised."""
        if isinstance(exc, u3.MaxRetryError) and exc.reason is not None:
            exc = exc.reason
        if isinstance(exc, u3.ProxyError):
            proxy = _shown(without_credentials(proxy_for(self.url) or "?"))
            return f"the proxy {proxy} failed: {self._problem(exc.original_error)}"
        if isinstance(exc, u3.NameResolutionError):
            host = getattr(exc.conn, "host", None) or urlsplit(self.url).hostname
            return f"host {_shown(host or '?')} not found"
        if isinstance(exc, u3.NewConnectionError):  # a subclass of ConnectTimeoutError
            cause = exc.__cause__
            if isinstance(cause, ConnectionRefusedError):
                return "connection refused"
            return f"cannot connect: {_one_line(getattr(cause, 'strerror', None) or cause)}"
        if isinstance(exc, u3.ConnectTimeoutError):
            return self._timed_out(self.connect_limit, self.settings.connect_timeout)
        if isinstance(exc, u3.ReadTimeoutError | socket.timeout):
            return self._timed_out(self.read_limit, _READ_TIMEOUT)
        if isinstance(exc, u3.SSLError):
            reason = re.sub(r"\s*\(_ssl\.c:\d+\)", "", str(exc.args[0] if exc.args else exc))
            return f"TLS error: {_one_line(reason)}"
        if isinstance(exc, u3.ProtocolError):
            reason = exc.args[-1] if exc.args else None
            broken = (line for kind, line in _BROKEN.items() if isinstance(reason, kind))
            return next(broken, f"the connection broke: {_one_line(exc.args[0])}")
        if isinstance(exc, u3.DecodeError):  # "Received response with content-encoding: ..."
            return f"the body cannot be decoded: {_one_line(exc.args[0] if exc.args else exc)}"
        return _one_line(exc)

    def _timed_out(self, limit: float, usual: float) -> str:
        if limit < usual:  # the deadline cut this step short
            return f"took longer than {_seconds(self.settings.total_timeout)}"
        return f"no answer within {_seconds(usual)}"

    def _where(self) -> str:
        """`{path}` (the address as given), and where it led when a redirect changed it."""
        if self.url == self.given:
            return "{path}"
        return f"{{path}} (redirected to {_shown(without_credentials(self.url))})"

    def _error(self, problem: str, hint: str | None = None) -> InputError:
        for address in (self.given, self.url):  # urllib3's own text may quote the address
            userinfo = urlsplit(address).netloc.rpartition("@")[0]
            if userinfo:
                problem = problem.replace(f"{userinfo}@", "")
        return InputError(problem, path=without_credentials(self.given), hint=hint)

    def _fail(self, problem: str) -> InputError:
        return self._error(f"cannot fetch {self._where()}: {problem}")

    def _refuse(self, what: str) -> InputError:
        return self._error(f"{self._where()} {what} {_READABLE}")

    def _too_large(self) -> InputError:
        """documents.py's words for an input over the size limit."""
        error = too_large(without_credentials(self.given), self.max_bytes)
        return self._error(error.problem.replace("{path}", self._where()), error.hint)


def _sniff(body: bytes, url: str) -> str | None:
    """What a body sent without a useful type is, by its first bytes; None if unreadable."""
    from summarizer.formats import sniff

    # A PDF, a Word file (a zip holding word/document.xml), or one the address calls so.
    if found := sniff(body, urlsplit(url).path):
        return found
    if looks_like_html(body[:4096].decode("latin-1")):
        return "html"
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return None if _BINARY.search(body) else "text"


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (seconds or an HTTP date); None if none."""
    value = (value or "").strip()
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    when = when if when.tzinfo else when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())


def _status(code: int) -> str:
    try:
        return f"HTTP {code} {HTTPStatus(code).phrase}"
    except ValueError:
        return f"HTTP {code}"


def _is_loopback(host: str) -> bool:
    """`host` as urlsplit gives it (lowercase, no brackets) is this machine."""
    host = host.rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _seconds(value: float) -> str:
    return f"{round(value, 1):g} s"


def _one_line(value: object) -> str:
    return " ".join(str(value).split())


def _shown(text: str) -> str:
    """Server-sent or user text for a message: one printable line, and no `{path}` mark."""
    return printable(_one_line(text)).replace("{", "%7B").replace("}", "%7D")
