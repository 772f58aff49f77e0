"""URL inputs and input lists, as a user runs them: against a local server on 127.0.0.1
that the test starts (never another address)."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

import pytest

from summarizer.jobs import output_names, url_relatives
from summarizer.options import RunOptions
from summarizer.pipeline import Summarizer
from tests.articles import french_article
from tests.fakes import FakeModel
from tests.http_server import reply
from tests.processes import invoke

TITLE = "Le port de commerce sera agrandi"


def news_page(body: str = french_article(11)) -> bytes:
    paragraphs = "".join(f"<p>{paragraph}</p>" for paragraph in body.split("\n\n"))
    return (
        '<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8">'
        f"<title>{TITLE} | La Gazette</title>"
        '<meta name="author" content="Jeanne Roux">'
        '<meta property="article:published_time" content="2024-06-02T07:30:00+02:00">'
        '<meta property="og:site_name" content="La Gazette"></head><body>'
        "<nav><a href='/'>Accueil</a> <a href='/eco'>Économie</a></nav>"
        f"<article><h1>{TITLE}</h1>{paragraphs}</article></body></html>"
    ).encode()


def serve(server, path: str, body: bytes, content_type: str = "text/html; charset=utf-8"):
    server.routes[path] = lambda handler: reply(handler, 200, body, {"Content-Type": content_type})
    return server.url(path)


def test_a_url_is_fetched_and_read_like_a_saved_page(server, tiny_config):
    url = serve(server, "/eco/port.html", news_page())
    result = invoke("summarize", url, "--format", "json", "--config", tiny_config, "-q")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["input"] == url
    metadata = data["metadata"]
    assert (metadata["title"], metadata["author"]) == (TITLE, "Jeanne Roux")
    assert metadata["date"] == "2024-06-02" and metadata["url"] == url
    assert (metadata["site"], metadata["language"]) == ("La Gazette", "fr")
    assert data["title_translation"] and data["source_language"] == "fr"
    assert data["source_text"] == french_article(11).strip()
    (path, headers), *_ = server.requests
    assert path == "/eco/port.html" and headers["user-agent"].startswith("summarizer/")


@pytest.fixture
def quick_config(tiny_config, tmp_path):
    """The tiny config with a download limit of half a second."""
    text = tiny_config.read_text(encoding="utf-8")
    quick = tmp_path / "quick.toml"
    quick.write_text(text.replace("[pipeline]\n", "[pipeline]\nfetch_timeout = 0.5\n", 1))
    return quick


def slow(handler):
    time.sleep(3)
    reply(handler, 200, b"late", {"Content-Type": "text/plain"})


@pytest.mark.parametrize(
    ("route", "message"),
    [
        (None, "cannot fetch {url}: HTTP 404 Not Found"),
        (slow, "cannot fetch {url}: took longer than 0.5 s"),
        ("loop", "cannot fetch {url}: more than 5 redirects"),
    ],
    ids=["404", "timeout", "redirect-loop"],
)
def test_a_failed_fetch_is_one_line_and_exit_1(server, quick_config, route, message):
    url = server.url("/article")
    if route == "loop":
        server.routes["/article"] = lambda h: reply(h, 302, b"", {"Location": "/other"})
        server.routes["/other"] = lambda h: reply(h, 302, b"", {"Location": "/article"})
    elif route is not None:
        server.routes["/article"] = route
    started = time.monotonic()
    result = invoke("summarize", url, "--config", quick_config)
    assert result.exit_code == 1
    assert result.stderr == f"Error: {message.format(url=url)}\n"
    assert time.monotonic() - started < 3


def test_an_input_list_mixes_urls_and_files_and_reruns_as_up_to_date(server, tiny_config, tmp_path):
    first = serve(server, "/eco/port.html", news_page())
    second = serve(server, "/article?id=42", news_page(french_article(12)))
    local = tmp_path / "local.txt"
    local.write_text(french_article(13), encoding="utf-8")
    listing = tmp_path / "inputs.txt"
    listing.write_text(f"# today's reading\n{first}\n\n  {second}  \nlocal.txt\n")
    out = tmp_path / "out"
    command = ["translate", "--input-list", listing, "-o", out, "--config", tiny_config, "-q"]
    result = invoke(*command, "--no-checks")
    assert result.exit_code == 0, result.output
    host = f"127.0.0.1_{server.server_address[1]}"
    written = sorted(str(p.relative_to(out)) for p in out.rglob("*.txt"))
    assert written == [f"{host}/article-id-42.txt", f"{host}/eco-port.txt", "local.txt"]
    before = {path: path.stat().st_mtime_ns for path in out.rglob("*.txt")}
    result = invoke(*command, "--no-checks")
    assert result.exit_code == 0, result.output
    assert {path: path.stat().st_mtime_ns for path in out.rglob("*.txt")} == before
    rows = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    assert [row["status"] for row in rows] == ["up_to_date"] * 3
    # The page changes: its output is made again, the others stay.
    serve(server, "/eco/port.html", news_page(french_article(14)))
    result = invoke(*command, "--no-checks")
    rows = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    assert {row["input"]: row["status"] for row in rows} == {
        first: "written",
        second: "up_to_date",
        "local.txt": "up_to_date",
    }


def test_an_input_list_on_stdin(server, tiny_config, tmp_path):
    url = serve(server, "/a.html", news_page())
    result = invoke(
        "translate", "--input-list", "-", "--format", "json", "--config", tiny_config, "-q",
        "--no-checks", input=f"{url}\n# done\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    (line,) = result.stdout.splitlines()
    assert json.loads(line)["metadata"]["url"] == url


def test_input_list_mistakes_are_one_line(tmp_path, tiny_config):
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing yet\n\n")
    cases = [
        (["--input-list", empty, "-o", "out"], f"the input list {empty} names no input"),
        (["--input-list", "absent.txt", "-o", "out"], "no such input list: absent.txt"),
        (["--input-list", tmp_path, "-o", "out"],
         f"the input list {tmp_path} is a folder, not a file"),
        (["--input-list", empty.with_name("nul.txt"), "-o", "out"],
         f"the input list {empty.with_name('nul.txt')} is binary, not one path or URL per line"),
    ]  # fmt: skip
    empty.with_name("nul.txt").write_bytes(b"a.txt\x00\nb.txt\n")
    for args, message in cases:
        result = invoke("translate", *args, "--config", tiny_config)
        assert (result.exit_code, result.stderr) == (1, f"Error: {message}\n")
    result = invoke("translate", "-o", tmp_path / "out")
    assert result.exit_code == 2 and "give a PATH" in result.stderr
    (tmp_path / "a.txt").write_text(french_article(1))
    result = invoke("translate", "--input-list", "-", "--config", tiny_config, input="a.txt\n")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: an input list is a batch run: give -o OUTDIR")


def test_an_input_list_is_read_as_the_os_gives_names(tmp_path, tiny_config):
    """A byte-order mark, CRLF, a name that is not UTF-8, an entry twice, a missing one,
    a malformed URL with a password: the missing and malformed fail alone, the rest run."""
    odd = os.fsdecode(b"caf\xe9.txt")
    for name in ("a.txt", odd):
        (tmp_path / name).write_text(french_article(2), encoding="utf-8")
    listing = tmp_path / "list.txt"
    listing.write_bytes(
        b"\xef\xbb\xbfa.txt\r\ncaf\xe9.txt\r\n./a.txt\r\nmissing.txt\r\n"
        b"http://reader:s3cret@127.0.0.1:0/x\r\n"
    )
    out = tmp_path / "out"
    result = invoke(
        "translate", "--input-list", listing, "-o", out, "--config", tiny_config, "--no-checks"
    )
    assert result.exit_code == 1, result.output
    assert "s3cret" not in result.output
    rows = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    statuses = {row["input"]: row["status"] for row in rows}
    assert statuses == {
        "a.txt": "written",
        "caf\\xe9.txt": "written",
        "missing.txt": "failed",
        "http://127.0.0.1:0/x": "failed",
    }
    failure = next(row for row in rows if row["input"] == "http://127.0.0.1:0/x")
    assert failure["error"] == "it is not a valid http:// or https:// address"
    assert (out / os.fsdecode(b"caf\xe9.txt")).is_file()


def test_an_input_list_from_a_pipe(tmp_path, tiny_config):
    (tmp_path / "a.txt").write_text(french_article(3), encoding="utf-8")
    fifo = tmp_path / "list.fifo"
    os.mkfifo(fifo)
    writer = threading.Thread(target=lambda: fifo.write_text("a.txt\n"), daemon=True)
    writer.start()
    result = invoke(
        "translate", "--input-list", fifo, "-o", tmp_path / "out", "--config", tiny_config,
        "--no-checks", "-q",
    )  # fmt: skip
    writer.join(5)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "a.txt").is_file()


def test_a_malformed_url_is_one_line_without_its_password(tmp_path):
    for url in ("http://bob:s3cret@127.0.0.1:99999/x", "http://bob:s3cret@127.0.0.1/a b"):
        result = invoke("summarize", url)
        assert result.exit_code == 1
        shown = url.replace("bob:s3cret@", "")
        assert result.stderr == f"Error: {shown} is not a valid http:// or https:// address\n"


def test_url_output_names_are_unique_and_stay_inside_outdir():
    urls = [
        "https://news.example/politique/2024/05/01/reforme_123.html",
        "http://news.example:8080/",
        "http://news.example/a/b",
        "http://news.example/a/b/",
        "http://news.example/../../etc/passwd",
        "https://digest.md/x",
        "http://news.example/" + "x" * 400,
    ]
    names = output_names(url_relatives(urls), ".md")
    assert [str(name) for name in names[:2]] == [
        "news.example/politique-2024-05-01-reforme_123.md",
        "news.example_8080/index.md",
    ]
    assert len(set(names)) == len(names)
    for name in names:
        assert len(name.parts) == 2 and not name.name.startswith(".")
        assert ".." not in name.parts and len(name.name.encode()) <= 255
    assert names[5].parts[0] == "digest.md_"


def test_the_library_reads_urls_paths_and_bytes(server, tiny_config, tmp_path):
    summarizer = Summarizer(tiny_config, model_loader=lambda spec, _=None: FakeModel(spec))
    options = RunOptions(summarize=False, checks=False)
    url = serve(server, "/p.html", news_page())
    saved = tmp_path / "p.html"
    saved.write_bytes(news_page())
    from_url = summarizer.run(url, options)
    from_path = summarizer.run(saved, options)
    from_bytes = summarizer.run(news_page(), options, name="p.html")
    assert from_url.input == url and from_path.input == str(saved)
    assert from_url.metadata.url == url and from_path.metadata.url is None
    for result in (from_url, from_path, from_bytes):
        assert result.metadata.title == TITLE
        assert result.source_text == french_article(11).strip()
    assert Path(from_bytes.input).name == "p.html"


def test_a_password_in_a_url_is_never_shown_or_written(server, tiny_config, tmp_path):
    good = serve(server, "/a.html", news_page()).replace("http://", "http://reader:s3cret@")
    missing = server.url("/gone.html").replace("http://", "http://reader:s3cret@")
    out = tmp_path / "out"
    result = invoke("summarize", good, missing, "-o", out, "--config", tiny_config)
    assert result.exit_code == 1
    assert "s3cret" not in result.output and "reader" not in result.output
    assert "cannot fetch http://127.0.0.1" in result.stderr
    for path in out.rglob("*"):
        if path.is_file():
            assert "s3cret" not in path.read_text(encoding="utf-8"), path
    single = invoke("translate", good, "--format", "json", "--config", tiny_config, "-q")
    assert "s3cret" not in single.output
    assert json.loads(single.stdout)["input"] == good.replace("reader:s3cret@", "")


@pytest.mark.parametrize(
    ("declared", "encoding"),
    [("iso-8859-1", "utf-8"), ("utf-8", "cp1252"), (None, "cp1252"), ("x-unknown", "utf-8")],
    ids=["latin1-declared-utf8-sent", "utf8-declared-cp1252-sent", "none-cp1252", "unknown"],
)
def test_a_wrong_or_missing_charset_declaration_still_reads_the_page(server, declared, encoding):
    from summarizer.documents import read_document

    body = news_page().decode("utf-8").replace('<meta charset="utf-8">', "")
    content_type = "text/html" + (f"; charset={declared}" if declared else "")
    url = serve(server, "/p.html", body.encode(encoding), content_type)
    document = read_document(url)
    assert document.title == TITLE
    assert document.text == french_article(11).strip()


def test_a_word_file_sent_as_octet_stream_is_read(server, tmp_path):
    from summarizer.documents import read_document
    from tests.test_formats import make_docx

    raw = make_docx(lambda document: document.add_paragraph(french_article(4)))
    url = serve(server, "/download?id=7", raw, "application/octet-stream")
    assert read_document(url).text == " ".join(french_article(4).split())


def test_the_library_takes_a_url_line_bytearray_and_refuses_a_file_name(
    server, tiny_config, tmp_path
):
    from summarizer.errors import InputError

    summarizer = Summarizer(tiny_config, model_loader=lambda spec, _=None: FakeModel(spec))
    options = RunOptions(summarize=False, checks=False)
    url = serve(server, "/p.html", news_page())
    assert summarizer.run(f" {url}\n", options).metadata.url == url
    assert summarizer.run(bytearray(news_page()), options).metadata.title == TITLE
    (tmp_path / "p.html").write_bytes(news_page())
    with pytest.raises(InputError, match="is the name of a file, not an article's text"):
        summarizer.run("p.html", options)
    with pytest.raises(TypeError, match="not int"):
        summarizer.run(5, options)


def test_a_password_holding_a_slash_is_hidden_everywhere(tmp_path, tiny_config):
    from summarizer.documents import read_document
    from summarizer.errors import InputError
    from summarizer.jobs import url_relatives

    url = "http://user:SECRET/PW@127.0.0.1:1/x"
    result = invoke("summarize", url)
    assert result.exit_code == 1 and "SECRET" not in result.stderr
    with pytest.raises(InputError) as caught:
        read_document(url)
    assert "SECRET" not in str(caught.value)
    summarizer = Summarizer(tiny_config, model_loader=lambda spec, _=None: FakeModel(spec))
    with pytest.raises(InputError, match="is not a valid http"):
        summarizer.run(url)
    # A long address's output name ends with a hash of the address without its password.
    long = "/" + "a" * 150
    named = url_relatives(["http://u:pw@news.example" + long, "http://news.example" + long])
    assert named[0] == named[1]


def test_an_input_named_twice_or_in_the_list_too_is_read_once(tmp_path, tiny_config):
    (tmp_path / "a.txt").write_text(french_article(5), encoding="utf-8")
    listing = tmp_path / "list.txt"
    listing.write_text(f"a.txt\n{tmp_path / 'a.txt'}\n.//a.txt\n")
    out = tmp_path / "out"
    result = invoke(
        "translate", "a.txt", "./a.txt", "--input-list", listing, "-o", out,
        "--config", tiny_config, "--no-checks", "-q",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    assert [(row["input"], row["status"]) for row in rows] == [("a.txt", "written")]


def test_an_input_where_the_digest_goes_is_never_overwritten(tmp_path, tiny_config):
    out = tmp_path / "out"
    out.mkdir()
    named = out / "digest.md"
    named.write_text(french_article(6), encoding="utf-8")
    before = named.read_bytes()
    result = invoke("summarize", named, "-o", out, "--config", tiny_config, "--no-checks")
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: cannot write {named}: it is an input of this run, which is never "
        "overwritten; move it out of the output folder\n"
    )
    assert named.read_bytes() == before
    assert (
        invoke(
            "summarize", named, "-o", out, "--config", tiny_config, "--no-checks", "--no-digest"
        ).exit_code
        == 0
    )
    assert named.read_bytes() == before


def test_run_batch_takes_what_run_takes(tiny_config, tmp_path):
    summarizer = Summarizer(tiny_config, model_loader=lambda spec, _=None: FakeModel(spec))
    (tmp_path / "p.html").write_bytes(news_page())
    (tmp_path / " p.txt").write_text(french_article(7), encoding="utf-8")
    results = summarizer.run_batch(
        [french_article(8), tmp_path / "p.html", tmp_path / " p.txt", b"Le port. Le quai."],
        RunOptions(summarize=False, checks=False, source_language="fr"),
    )
    assert [result.input for result in results] == [
        "<text>", str(tmp_path / "p.html"), str(tmp_path / " p.txt"), "<text>",
    ]  # fmt: skip
    assert results[1].metadata.title == TITLE
    assert results[2].source_text == french_article(7).strip()  # the name as given
