"""Fetching a web address: against a local server on 127.0.0.1, never the network.

Failures that need another host (a name that does not resolve, a connection that never
answers) are made by replacing urllib3's connection function; nothing is looked up.
"""

from __future__ import annotations

import email.utils
import gzip
import socket
import time
from http.server import BaseHTTPRequestHandler

import pytest
import urllib3.util.connection

from summarizer.errors import InputError
from summarizer.fetch import (
    DOCX,
    USER_AGENT,
    FetchSettings,
    fetch,
    is_url,
    proxy_for,
)
from summarizer.sources import too_large
from tests.http_server import reply

PAGE = b"<!DOCTYPE html><html><head><title>Le titre</title></head><body><p>Texte.</p></body></html>"
PROXY_VARIABLES = ["http_proxy", "https_proxy", "all_proxy", "no_proxy"]


@pytest.fixture
def no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    """No proxy variables, for the tests that name a host other than the loopback server."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


def page(body: bytes = PAGE, content_type: str | None = "text/html", **headers: str):
    """A route answering 200 with `body`."""
    if content_type is not None:
        headers["Content-Type"] = content_type
    return lambda handler: reply(
        handler, 200, body, {k.replace("_", "-"): v for k, v in headers.items()}
    )


def redirect(location: str, status: int = 302):
    return lambda handler: reply(handler, status, b"", {"Location": location})


def failure(url: str, **kwargs) -> InputError:
    kwargs.setdefault("max_bytes", 1024 * 1024)
    with pytest.raises(InputError) as caught:
        fetch(url, **kwargs)
    message = str(caught.value)
    assert "\n" not in message and "Traceback" not in message
    print(message)  # pytest -s shows every message the tests make
    return caught.value


def get(url: str, **kwargs):
    kwargs.setdefault("max_bytes", 1024 * 1024)
    return fetch(url, **kwargs)


# Addresses


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://www.lemonde.fr/article.html", True),
        ("HTTP://example.com", True),
        ("http://user:pw@[::1]:8080/a?b#c", True),
        ("ftp://example.com/file", False),
        ("example.com/page", False),
        ("http://", False),
        ("http:///path", False),
        ("http://exa mple.com/", False),
        ("http://example.com/\x00", False),
        ("http://[::1/", False),
        ("http://example.com:99999/", False),
        ("http://example.com:0/", False),
        ("article.html", False),
    ],
)
def test_is_url_takes_only_http_and_https_addresses_with_a_host(text, expected):
    assert is_url(text) is expected


def test_a_text_that_is_not_an_address_is_refused():
    assert (
        str(failure("ftp://example.com/a"))
        == "ftp://example.com/a is not an http:// or https:// address"
    )


# Pages


def test_a_page_comes_with_its_type_charset_and_language(server):
    server.routes["/page"] = page(
        content_type='text/html; charset="ISO-8859-1"', Content_Language="fr-FR, en"
    )
    fetched = get(server.url("/page"))
    assert fetched.url == server.url("/page")
    assert fetched.body == PAGE
    assert (fetched.content_type, fetched.kind) == ("text/html", "html")
    assert (fetched.charset, fetched.language) == ("ISO-8859-1", "fr-FR")


def test_every_request_names_the_tool_and_what_it_reads(server):
    server.routes["/page"] = page()
    get(server.url("/page"))
    [(_, headers)] = server.requests
    assert headers["user-agent"] == USER_AGENT and USER_AGENT.startswith("summarizer/")
    assert "text/html" in headers["accept"] and "application/pdf" in headers["accept"]
    assert "gzip" in headers["accept-encoding"]


def test_a_gzip_body_is_decoded(server):
    server.routes["/gz"] = page(gzip.compress(PAGE), Content_Encoding="gzip")
    assert get(server.url("/gz")).body == PAGE


@pytest.mark.parametrize(
    ("path", "content_type", "body", "kind"),
    [
        ("/a.pdf", "application/pdf", b"%PDF-1.7\n...", "pdf"),
        ("/a", "application/octet-stream", b"%PDF-1.4\n...", "pdf"),
        ("/a.docx", DOCX, b"PK\x03\x04...", "docx"),
        ("/a.docx", "application/octet-stream", b"PK\x03\x04...", "docx"),
        ("/a", "application/octet-stream", PAGE, "html"),
        ("/a", None, "Un texte en UTF-8, accentué.".encode(), "text"),
        ("/a.txt", "text/plain; charset=utf-8", b"Un texte.", "text"),
        ("/a", "application/xhtml+xml", PAGE, "html"),
    ],
)
def test_each_readable_type_is_read_as_its_kind(server, path, content_type, body, kind):
    server.routes[path] = page(body, content_type)
    fetched = get(server.url(path))
    assert (fetched.kind, fetched.body) == (kind, body)
    assert fetched.content_type == (content_type or "").partition(";")[0]


def test_an_image_is_refused_for_its_type(server):
    server.routes["/photo"] = page(b"\x89PNG\r\n\x1a\n", "image/png")
    url = server.url("/photo")
    message = f"{url} is image/png, not a web page, text, PDF or Word document"
    assert str(failure(url)) == message


def test_binary_data_of_no_readable_kind_is_refused(server):
    server.routes["/blob"] = page(b"\xff\xfe\x00binary", "application/octet-stream")
    server.routes["/zip"] = page(b"PK\x03\x04...", "application/octet-stream")  # not a .docx
    url = server.url("/blob")
    refused = "a web page, text, PDF or Word document"
    assert str(failure(url)) == f"{url} is application/octet-stream data that is not {refused}"
    assert "data that is not" in str(failure(server.url("/zip")))


# Size limit


def test_a_content_length_over_the_limit_fails_before_the_body_in_documents_words(server):
    server.routes["/big"] = lambda h: reply(h, 200, b"", {"Content-Length": str(2**30)})
    url = server.url("/big")
    error = failure(url, max_bytes=1024)
    assert str(error) == str(too_large(url, 1024))
    assert "is larger than 1 KiB" in str(error) and "max_input_bytes" in str(error)


def chunked(handler: BaseHTTPRequestHandler, parts: list[bytes]) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", "text/plain")
    handler.send_header("Transfer-Encoding", "chunked")
    handler.send_header("Connection", "close")
    handler.end_headers()
    for part in [*parts, b""]:
        handler.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))


def test_a_chunked_body_over_the_limit_is_cut_off_while_streaming(server):
    server.routes["/chunked"] = lambda h: chunked(h, [b"x" * 1000] * 10)
    server.routes["/small"] = lambda h: chunked(h, [b"x" * 1000] * 2)
    assert "is larger than 4 KiB" in str(failure(server.url("/chunked"), max_bytes=4096))
    assert get(server.url("/small"), max_bytes=4096).body == b"x" * 2000


def test_a_gzip_bomb_is_cut_off_at_the_limit_of_decoded_bytes(server):
    bomb = gzip.compress(b"\0" * (64 * 1024 * 1024))
    server.routes["/bomb"] = page(bomb, "text/plain", Content_Encoding="gzip")
    started = time.monotonic()
    assert "is larger than 1 MiB" in str(failure(server.url("/bomb")))
    assert len(bomb) < 1024 * 1024 and time.monotonic() - started < 2


# Redirects


def test_a_chain_of_two_redirects_reports_the_final_address(server):
    server.routes["/first"] = redirect("/second", 301)
    server.routes["/second"] = redirect(server.url("/page"), 307)
    server.routes["/page"] = page()
    fetched = get(server.url("/first"))
    assert fetched.url == server.url("/page") and fetched.body == PAGE


def test_a_relative_redirect_is_resolved_against_the_address(server):
    server.routes["/news/old/a"] = redirect("../new/a")
    server.routes["/news/new/a"] = page()
    assert get(server.url("/news/old/a")).url == server.url("/news/new/a")


def test_a_redirect_loop_fails_with_one_line(server):
    server.routes["/loop"] = redirect("/loop")
    url = server.url("/loop")
    assert str(failure(url)) == f"cannot fetch {url}: more than 5 redirects"
    assert len(server.requests) == 6  # the first request and 5 redirects followed


def test_a_redirect_to_another_scheme_is_refused(server):
    server.routes["/ftp"] = redirect("ftp://127.0.0.1/file.txt")
    url = server.url("/ftp")
    expected = f"cannot fetch {url}: redirected to ftp://127.0.0.1/file.txt, which is not an "
    assert str(failure(url)) == expected + "http:// or https:// address"


def test_an_error_after_a_redirect_names_where_it_led(server):
    server.routes["/moved"] = redirect("/gone")
    url = server.url("/moved")
    message = f"cannot fetch {url} (redirected to {server.url('/gone')}): HTTP 404 Not Found"
    assert str(failure(url)) == message


# Statuses and retries


def test_a_missing_page_fails_with_its_status(server):
    url = server.url("/nothing")
    assert str(failure(url)) == f"cannot fetch {url}: HTTP 404 Not Found"


def test_a_server_error_fails_with_its_status(server):
    server.routes["/broken"] = lambda h: reply(h, 500, b"oops")
    url = server.url("/broken")
    assert str(failure(url)) == f"cannot fetch {url}: HTTP 500 Internal Server Error"


def refuse_then_serve(refusals: int, status: int = 429, retry_after: str | None = None):
    """A route that refuses `refusals` times, then serves the page."""
    count = iter(range(refusals))

    def route(handler: BaseHTTPRequestHandler) -> None:
        if next(count, None) is None:
            page()(handler)
        else:
            reply(handler, status, b"", {"Retry-After": retry_after} if retry_after else {})

    return route


def test_a_429_is_retried_after_the_wait_the_server_asks_for(server):
    server.routes["/busy"] = refuse_then_serve(1, retry_after="2")
    waits: list[float] = []
    assert get(server.url("/busy"), sleep=waits.append).body == PAGE
    assert waits == [2.0]


def test_a_503_without_retry_after_backs_off_exponentially(server):
    server.routes["/busy"] = refuse_then_serve(3, status=503)
    waits: list[float] = []
    settings = FetchSettings(backoff=0.5)
    assert get(server.url("/busy"), settings=settings, sleep=waits.append).body == PAGE
    assert waits == [0.5, 1.0, 2.0]


def test_a_retry_after_date_is_waited_until(server):
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    server.routes["/busy"] = refuse_then_serve(1, status=503, retry_after=when)
    waits: list[float] = []
    get(server.url("/busy"), sleep=waits.append)
    assert len(waits) == 1 and 27 < waits[0] <= 30


def test_a_server_refusing_every_retry_fails_after_the_retries(server):
    server.routes["/busy"] = refuse_then_serve(100)
    url = server.url("/busy")
    waits: list[float] = []
    message = f"cannot fetch {url}: HTTP 429 Too Many Requests (still refused after 3 retries)"
    assert str(failure(url, sleep=waits.append)) == message
    assert waits == [1.0, 2.0, 4.0]


def test_a_retry_after_over_the_longest_wait_fails_at_once(server):
    server.routes["/busy"] = refuse_then_serve(1, retry_after="120")
    url = server.url("/busy")
    waits: list[float] = []
    expected = f"cannot fetch {url}: HTTP 429 Too Many Requests: the server asks to wait 120 s"
    assert str(failure(url, sleep=waits.append)) == expected + ", over 60 s"
    assert waits == []


def test_a_wait_that_would_pass_the_deadline_fails_at_once(server):
    server.routes["/busy"] = refuse_then_serve(1, status=503, retry_after="10")
    url = server.url("/busy")
    waits: list[float] = []
    error = failure(url, settings=FetchSettings(total_timeout=5), sleep=waits.append)
    assert str(error).endswith("HTTP 503 Service Unavailable: waiting 10 s to retry would pass 5 s")
    assert waits == []


# Time limits


def test_a_server_silent_before_its_headers_fails_at_the_total_timeout(server):
    server.routes["/slow"] = lambda h: server.stop.wait(10)
    url = server.url("/slow")
    started = time.monotonic()
    error = failure(url, settings=FetchSettings(total_timeout=0.5))
    assert str(error) == f"cannot fetch {url}: took longer than 0.5 s"
    assert time.monotonic() - started < 2


def drip(handler: BaseHTTPRequestHandler) -> None:
    """A body of 1000 bytes sent one byte every 50 ms."""
    handler.send_response(200)
    handler.send_header("Content-Type", "text/plain")
    handler.send_header("Content-Length", "1000")
    handler.end_headers()
    for _ in range(1000):
        handler.wfile.write(b"x")
        handler.wfile.flush()
        if handler.server.stop.wait(0.05):
            return


def test_a_body_sent_a_byte_at_a_time_is_cut_off_at_the_total_timeout(server):
    server.routes["/drip"] = drip
    url = server.url("/drip")
    started = time.monotonic()
    error = failure(url, settings=FetchSettings(total_timeout=0.5))
    assert str(error) == f"cannot fetch {url}: took longer than 0.5 s"
    assert time.monotonic() - started < 2


def fail_connecting(monkeypatch: pytest.MonkeyPatch, exc: BaseException) -> None:
    def create_connection(*args: object, **kwargs: object) -> socket.socket:
        raise exc

    monkeypatch.setattr(urllib3.util.connection, "create_connection", create_connection)


def test_a_connection_that_never_answers_fails_at_the_connect_timeout(monkeypatch, no_proxies):
    fail_connecting(monkeypatch, TimeoutError("timed out"))
    message = str(failure("http://news.invalid/a"))
    assert message == "cannot fetch http://news.invalid/a: no answer within 10 s"
    settings = FetchSettings(total_timeout=3)
    message = str(failure("http://news.invalid/a", settings=settings))
    assert message == "cannot fetch http://news.invalid/a: took longer than 3 s"


# Connection failures


def test_a_host_that_does_not_resolve_is_named(monkeypatch, no_proxies):
    fail_connecting(monkeypatch, socket.gaierror(socket.EAI_NONAME, "Name or service not known"))
    message = str(failure("https://news.invalid/a"))
    assert message == "cannot fetch https://news.invalid/a: host news.invalid not found"


def closed_port() -> int:
    """A loopback port nothing listens on (it was free a moment ago)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_closed_port_is_a_refused_connection():
    url = f"http://127.0.0.1:{closed_port()}/a"
    assert str(failure(url)) == f"cannot fetch {url}: connection refused"


def test_a_tls_failure_is_one_line(server):
    server.routes["/page"] = page()
    url = server.url("/page", scheme="https")  # TLS spoken to a plain HTTP server
    assert str(failure(url)).startswith(f"cannot fetch {url}: TLS error: ")


def test_a_server_that_hangs_up_without_answering_is_said_so(server):
    server.routes["/hangup"] = lambda h: setattr(h, "close_connection", True)
    url = server.url("/hangup")
    message = f"cannot fetch {url}: the server closed the connection without answering"
    assert str(failure(url)) == message


def test_a_body_cut_short_is_said_so(server):
    server.routes["/short"] = lambda h: reply(h, 200, b"abc", {"Content-Length": "10"})
    url = server.url("/short")
    message = f"cannot fetch {url}: the connection closed before the whole body came"
    assert str(failure(url)) == message


# Credentials


def test_a_password_in_the_address_never_appears_in_a_message(server):
    server.routes["/moved"] = redirect("/gone")
    port = server.server_address[1]
    for address in (f"127.0.0.1:{port}/missing", f"127.0.0.1:{port}/moved", "127.0.0.1:99999/"):
        error = failure(f"http://reader:s3cret@{address}")
        assert "s3cret" not in str(error) and "reader" not in str(error)
        assert "s3cret" not in error.path


def test_the_fetched_address_has_no_password(server):
    server.routes["/page"] = page()
    port = server.server_address[1]
    fetched = get(f"http://reader:s3cret@127.0.0.1:{port}/page")
    assert fetched.url == server.url("/page")


# Proxies


def set_proxies(monkeypatch: pytest.MonkeyPatch, **values: str) -> None:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    for name, value in values.items():
        monkeypatch.setenv(name, value)


def test_proxy_for_follows_the_environment_but_never_for_loopback(monkeypatch):
    set_proxies(
        monkeypatch,
        http_proxy="http://proxy.example:3128",
        https_proxy="proxy.example:3129",
        no_proxy="intranet.example",
    )
    assert proxy_for("http://news.example/a") == "http://proxy.example:3128"
    assert proxy_for("https://news.example/a") == "http://proxy.example:3129"
    assert proxy_for("https://www.intranet.example/a") is None
    for host in ("127.0.0.1", "127.0.0.2", "[::1]", "localhost", "LOCALHOST."):
        assert proxy_for(f"http://{host}:8080/a") is None


def test_a_loopback_server_is_reached_whatever_proxy_is_set(server, monkeypatch):
    set_proxies(monkeypatch, http_proxy=f"http://127.0.0.1:{closed_port()}")  # refuses all
    server.routes["/page"] = page()
    assert get(server.url("/page")).body == PAGE


def test_a_proxy_is_asked_for_other_hosts_with_its_credentials(server, monkeypatch):
    port = server.server_address[1]
    set_proxies(monkeypatch, http_proxy=f"http://agent:p%40ss@127.0.0.1:{port}")
    server.routes["http://news.example/a"] = page()
    assert get("http://news.example/a").url == "http://news.example/a"
    [(path, headers)] = server.requests
    assert path == "http://news.example/a"
    assert headers["proxy-authorization"] == "Basic YWdlbnQ6cEBzcw=="  # agent:p@ss


def test_a_socks_proxy_is_refused_in_one_line(monkeypatch):
    set_proxies(monkeypatch, https_proxy="socks5://user:pw@proxy.example:1080")
    message = str(failure("https://news.example/a"))
    expected = "cannot fetch https://news.example/a: the proxy socks5://proxy.example:1080 is "
    assert message == expected + "not an http:// or https:// proxy"


def test_a_proxy_that_refuses_is_named_without_its_password(monkeypatch):
    proxy = f"127.0.0.1:{closed_port()}"
    set_proxies(monkeypatch, http_proxy=f"http://agent:s3cret@{proxy}")
    message = str(failure("http://news.example/a"))
    expected = f"cannot fetch http://news.example/a: the proxy http://{proxy} failed: "
    assert message == expected + "connection refused"
