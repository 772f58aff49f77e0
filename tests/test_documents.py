"""Bytes -> clean paragraphs: encodings, saved web pages, limits. Every input is made here."""

import io
import os
import random
import re
import socket
import sys
import threading

import pytest

from summarizer.decoding import decode
from summarizer.documents import (
    Document,
    parse_text,
    read_document,
    split_paragraphs,
)
from summarizer.errors import InputError
from summarizer.metadata import Metadata
from tests.articles import ENGLISH_ARTICLE, FRENCH_ARTICLE

# Characters that cp1252 has and latin-1 lacks (curly quotes, œ, €, dashes, ellipsis).
CP1252_FRENCH = (
    "L’œuvre du peintre, estimée à 2 000 €, a été retrouvée “par hasard” — dit-il… "
    "« C’est un vœu exaucé », a déclaré Mme Lefèvre à l’été.\n\n" + FRENCH_ARTICLE
)


def junk(seed: int, size: int) -> bytes:
    """Random bytes with no NUL (a NUL alone would already say "binary")."""
    rng = random.Random(seed)
    return bytes(rng.randrange(1, 256) for _ in range(size))


def write(tmp_path, name, content: bytes):
    path = tmp_path / name
    path.write_bytes(content)
    return str(path)


def test_paragraphs_are_blank_line_separated_and_inner_newlines_joined():
    text = "Premier paragraphe,\nsur deux lignes.\n\n  \nDeuxième.\r\n\r\nTroisième.\n"
    assert split_paragraphs(text) == [
        "Premier paragraphe, sur deux lignes.",
        "Deuxième.",
        "Troisième.",
    ]


def test_text_without_blank_lines_has_one_paragraph_per_line():
    assert split_paragraphs("Un.\nDeux.\nTrois.") == ["Un.", "Deux.", "Trois."]


def test_read_document_drops_a_utf8_bom_and_joins_paragraphs(tmp_path):
    path = write(tmp_path, "a.txt", "\ufeffÉté chaud.\n\n\n\nHiver froid.\n".encode())
    assert read_document(path).text == "Été chaud.\n\nHiver froid."


def test_cp1252_copy_reads_exactly_like_the_utf8_original(tmp_path):
    utf8 = read_document(write(tmp_path, "utf8.txt", CP1252_FRENCH.encode("utf-8")))
    cp1252 = read_document(write(tmp_path, "cp1252.txt", CP1252_FRENCH.encode("cp1252")))
    assert cp1252 == utf8
    assert "L’œuvre" in cp1252.text and "2 000 €" in cp1252.text


@pytest.mark.parametrize(
    "text",
    [
        "Été chaud à Noël, dit-il.\n",  # short: detectors often guess a Baltic code page
        "Le garçon a reçu une médaille à Besançon.\n",
        FRENCH_ARTICLE,
    ],
)
def test_latin1_text_is_decoded(tmp_path, text):
    assert read_document(write(tmp_path, "latin1.txt", text.encode("latin-1"))).text == (
        parse_text(text).text
    )


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_with_a_byte_order_mark_is_decoded(tmp_path, encoding):
    # "utf-16" writes the platform's BOM; the -le/-be codecs write none, so add it.
    bom = {"utf-16-le": "\ufeff", "utf-16-be": "\ufeff"}.get(encoding, "")
    path = write(tmp_path, "u16.txt", (bom + CP1252_FRENCH).encode(encoding))
    assert read_document(path).text == parse_text(CP1252_FRENCH).text


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b" \n\t\n", "is empty"),
        ("\ufeff \n".encode(), "is empty"),
        (b"\x00\x01\x02binary", "binary"),
        (b"\x89PNG\r\n\x1a\n" + junk(2, 600), "binary"),
        (junk(1, 2000), "binary"),
        (b"\xff\xfe\x00\xd8", "not valid UTF-16"),
    ],
    ids=["empty", "whitespace", "bom-only", "nul", "png", "random", "bad-utf16"],
)
def test_unusable_files_raise_one_clear_error(tmp_path, content, message):
    path = write(tmp_path, "bad.txt", content)
    with pytest.raises(InputError, match=message) as caught:
        read_document(path)
    assert "\n" not in str(caught.value)


def test_missing_file_and_directory_are_input_errors(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read_document(str(tmp_path / "absent.txt"))
    with pytest.raises(InputError, match="is a directory"):
        read_document(str(tmp_path))


def test_input_over_the_size_limit_is_refused(tmp_path, monkeypatch):
    path = write(tmp_path, "big.txt", FRENCH_ARTICLE.encode())
    limit = len(FRENCH_ARTICLE.encode()) - 1
    with pytest.raises(InputError, match=r"larger than .* max_input_bytes"):
        read_document(path, max_bytes=limit)
    with pytest.raises(InputError, match="larger than"):
        parse_text(FRENCH_ARTICLE, max_bytes=limit)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(FRENCH_ARTICLE.encode())))
    with pytest.raises(InputError, match="standard input is larger than"):
        read_document("-", max_bytes=limit)
    assert read_document(path, max_bytes=limit + 1).text == parse_text(FRENCH_ARTICLE).text


# --- saved web pages -------------------------------------------------------------------

TITLE = "Le conseil adopte le plan de rénovation des écoles"
PAGE_PARAGRAPHS = [
    paragraph for paragraph in FRENCH_ARTICLE.strip().split("\n\n") if paragraph.strip()
]


def page(charset: str = "utf-8", body_extra: str = "") -> str:
    """A news page of the usual shape: menus, an article, a sidebar, a footer."""
    paragraphs = "\n".join(f"<p>{' '.join(p.split())}</p>" for p in PAGE_PARAGRAPHS)
    return f"""<!DOCTYPE html>
<html lang="fr-FR"><head><meta charset="{charset}"><title>{TITLE} | Le Journal</title>
<meta name="author" content="Jeanne Martin">
<meta property="article:published_time" content="2024-03-03T08:00:00+01:00">
<meta property="og:site_name" content="Le Journal">
<link rel="canonical" href="https://journal.example/ecoles.html"></head>
<body>
<header><nav><a href="/">Accueil</a> <a href="/politique">Politique</a>
<a href="/sport">Sport</a> <a href="/culture">Culture</a></nav></header>
<div class="cookie-banner">Ce site utilise des cookies pour mesurer son audience.
<button>Tout accepter</button></div>
<main><article>
<h1>{TITLE}</h1>
<p class="byline">Par Jeanne Martin, publié le 3 mars</p>
{paragraphs}
{body_extra}
</article>
<aside><h2>Les plus lus</h2><ul><li><a href="/a">Un titre sans rapport</a></li>
<li><a href="/b">Un autre titre sans rapport</a></li></ul></aside></main>
<footer><p>© 2024 Le Journal. Tous droits réservés.</p>
<a href="/mentions">Mentions légales</a> <a href="/contact">Contact</a></footer>
</body></html>
"""


def test_saved_page_gives_its_title_and_article_paragraphs_in_order(tmp_path):
    document = read_document(write(tmp_path, "article.html", page().encode()))
    assert document.title == TITLE
    # The title is its own field, not the body's first paragraph.
    assert TITLE not in document.paragraphs
    body = document.paragraphs
    expected = [" ".join(p.split()) for p in PAGE_PARAGRAPHS]
    positions = [body.index(paragraph) for paragraph in expected]
    assert positions == sorted(positions)
    for furniture in ("Politique", "Les plus lus", "Mentions légales", "Tous droits", "cookies"):
        assert furniture not in document.text


def test_saved_page_gives_its_metadata(tmp_path):
    metadata = read_document(write(tmp_path, "article.html", page().encode())).metadata
    assert (metadata.title, metadata.author, metadata.site) == (
        TITLE,
        "Jeanne Martin",
        "Le Journal",
    )
    assert metadata.date == "2024-03-03"
    assert (metadata.url, metadata.language) == ("https://journal.example/ecoles.html", "fr")


def test_plain_text_has_no_metadata(tmp_path):
    metadata = read_document(write(tmp_path, "a.txt", FRENCH_ARTICLE.encode())).metadata
    assert metadata == Metadata()


def test_html_is_recognised_without_an_html_suffix_on_stdin_and_in_strings(tmp_path, monkeypatch):
    from_file = read_document(write(tmp_path, "article.html", page().encode()))
    assert read_document(write(tmp_path, "article.txt", page().encode())) == from_file
    with_bom = write(tmp_path, "utf16.txt", page().encode("utf-16"))  # the codec adds a BOM
    assert read_document(with_bom) == from_file
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(page().encode())))
    assert read_document("-") == from_file
    assert parse_text(page()) == from_file


def test_declared_charset_is_respected(tmp_path):
    raw = page(charset="windows-1252").encode("cp1252")
    assert read_document(write(tmp_path, "a.html", raw)) == parse_text(page())


def test_latin1_declaration_is_read_as_windows_1252_as_browsers_do(tmp_path):
    extra = "<p>Le « vœu » du maire — un budget de 3 000 € — a été adopté à l’unanimité.</p>"
    raw = page(charset="iso-8859-1", body_extra=extra).encode("cp1252")
    assert "vœu" in read_document(write(tmp_path, "a.html", raw)).text


@pytest.mark.parametrize(
    ("declared", "encoding"),
    [("iso-8859-1", "utf-8"), ("utf-8", "cp1252"), ("shift_jis", "utf-8")],
)
def test_a_false_charset_declaration_falls_back_to_the_real_encoding(tmp_path, declared, encoding):
    raw = page(charset=declared).encode(encoding)
    document = read_document(write(tmp_path, "a.html", raw))
    assert document == parse_text(page())
    assert "Ã" not in document.text


def test_a_stray_invalid_byte_does_not_turn_a_utf8_page_into_mojibake(tmp_path):
    raw = page().encode().replace(b"<footer>", b"<footer><!-- D\xc8but -->")
    assert read_document(write(tmp_path, "a.html", raw)) == parse_text(page())


JS_PAGES = {
    "template": """<!DOCTYPE html><html><head><title>{{ page.title }}</title>
<script src="/app.js"></script></head><body><div id="app">
<h1>{{ article.headline }}</h1><div class="body">{{ article.body }}</div>
<p>{{ article.author }} - {{ article.date | date }}</p></div>
<noscript>Please enable JavaScript to view this site.</noscript></body></html>""",
    "empty root": """<!DOCTYPE html><html><head><title>Actualités</title></head>
<body><div id="root"></div><script>window.start()</script></body></html>""",
    "menu only": """<!DOCTYPE html><html><head><title>Accueil</title></head><body>
<nav><a href="/">Accueil</a> <a href="/a">Politique</a></nav><footer>© Journal</footer>
</body></html>""",
}


@pytest.mark.parametrize("kind", JS_PAGES)
def test_page_without_article_text_is_an_error_naming_the_file(tmp_path, kind):
    path = write(tmp_path, "page.html", JS_PAGES[kind].encode())
    with pytest.raises(InputError, match=f"^no article text found in {path}$"):
        read_document(path)


def test_document_text_is_its_paragraphs_joined():
    document = Document(paragraphs=["Un.", "Deux."])
    assert document.text == "Un.\n\nDeux."
    assert (document.title, document.removed, document.paywalled) == (None, [], False)


def test_plain_text_articles_are_unchanged_and_have_no_title():
    for article in (FRENCH_ARTICLE, ENGLISH_ARTICLE):
        document = parse_text(article)
        assert document.paragraphs == split_paragraphs(article)
        assert document.title is None


# --- UTF-8 with stray bytes, mojibake and binary (issue 11, points 14 and 15) -----------

# Written for these tests: a short French article in which "l'" appears twice.
STRAY_BASE = (
    "Le conseil municipal de Besançon s'est réuni mercredi soir, à la mairie. "
    "Selon l'adjointe chargée des écoles, le chantier durera près d'un an.\n\n"
    "Les élèves de l'école Victor-Hugo seront accueillis dans des préfabriqués dès "
    "la rentrée de septembre, a précisé le maire.\n"
)
# Anything a CJK codec produces: kana, CJK ideographs, Hangul, half- and full-width forms.
CJK = re.compile("[\u1100-\u11ff\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")


def with_cp1252_apostrophes(text: str) -> bytes:
    """`text` in UTF-8 but for its "l'" and "d'", pasted from a cp1252 word processor."""
    raw = text.encode()
    for article in (b" l'", b" d'"):
        raw = raw.replace(article, article[:-1] + b"\x92")
    return raw


@pytest.mark.parametrize(
    "text",
    [STRAY_BASE, "Selon l'adjointe, le chantier durera près d'un an.\n"],
    ids=["article", "one-accent"],
)
def test_utf8_with_stray_cp1252_apostrophes_stays_utf8(tmp_path, text):
    raw = with_cp1252_apostrophes(text)
    assert raw.count(b"\x92") >= 2
    document = read_document(write(tmp_path, "a.txt", raw))
    expected = text.replace(" l'", " l\u2019").replace(" d'", " d\u2019")
    assert document.text == parse_text(expected).text
    assert not CJK.search(document.text)


def test_an_encoded_surrogate_in_utf8_text_becomes_replacement_characters(tmp_path):
    raw = STRAY_BASE.encode().replace(b"mercredi", b"mercredi \xed\xa0\x80")
    document = read_document(write(tmp_path, "a.txt", raw))
    expected = STRAY_BASE.replace("mercredi", "mercredi \ufffd\ufffd\ufffd")
    assert document.text == parse_text(expected).text


def test_ascii_text_with_a_stray_cp1252_byte_reads_it_as_cp1252(tmp_path):
    raw = b"Le maire l\x92a dit hier soir a la radio locale, sans plus de details.\n"
    assert read_document(write(tmp_path, "a.txt", raw)).text == (
        "Le maire l\u2019a dit hier soir a la radio locale, sans plus de details."
    )


# Written for this test: a city council news item in Japanese, Chinese and Korean.
CJK_TEXTS = {
    "shift_jis": "市議会は昨日、新しい図書館の計画を承認した。工事は来年の春に始まる予定だ。",
    "euc_jp": "市議会は昨日、新しい図書館の計画を承認した。工事は来年の春に始まる予定だ。",
    "gbk": "市议会昨天批准了新图书馆的建设计划。市长说，工程将于明年春天开始。",
    "euc_kr": "시의회는 어제 새 도서관 건설 계획을 승인했다. 공사는 내년 봄에 시작된다.",
}


@pytest.mark.parametrize("encoding", CJK_TEXTS)
def test_cjk_text_in_a_legacy_encoding_is_still_read(tmp_path, encoding):
    # Stray bytes never make a CJK reading; CJK text in its own legacy encoding still does.
    text = CJK_TEXTS[encoding] * 2
    document = read_document(write(tmp_path, "a.txt", text.encode(encoding)))
    assert document.text == parse_text(text).text
    page_with_charset = f'<!DOCTYPE html><html><head><meta charset="{encoding}"></head>'
    raw = f"{page_with_charset}<body><p>{text}</p></body></html>".encode(encoding)
    assert text in decode(raw, "a.html", html=True)


def test_scraped_utf8_full_of_replacement_characters_is_text(tmp_path):
    text = "Le pr\ufffdsident a \ufffdt\ufffd re\ufffdu \ufffd l\ufffdElys\ufffde hier.\n" * 3
    assert read_document(write(tmp_path, "a.txt", text.encode())).text == parse_text(text).text


def test_mojibake_is_text(tmp_path):
    # UTF-8 read as latin-1 and saved again: C1 control characters inside, still text.
    mojibake = STRAY_BASE.replace("'", "\u2019").encode().decode("latin-1")
    document = read_document(write(tmp_path, "a.txt", mojibake.encode()))
    assert document.text == parse_text(mojibake).text


@pytest.mark.parametrize("control", ["\x1b", "\x01", "\x7f"])
def test_text_full_of_control_characters_is_binary(tmp_path, control):
    text = f"Le maire{control} a parlé.{control}\n" * 20
    with pytest.raises(InputError, match="binary"):
        read_document(write(tmp_path, "a.txt", text.encode()))


# --- what may be read (issue 11, points 8 and 20) --------------------------------------


def read_in_thread(path: str) -> BaseException | None:
    """What read_document raised; fails the test if it still runs after 10 s (a hang)."""
    outcome: list[BaseException | None] = []

    def target() -> None:
        try:
            read_document(path)
            outcome.append(None)
        except BaseException as exc:  # handed to the test
            outcome.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(timeout=10)
    assert not thread.is_alive(), f"reading {path} hangs"
    return outcome[0]


def test_a_fifo_is_refused_at_once_naming_its_path(tmp_path):
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    error = read_in_thread(str(fifo))
    assert isinstance(error, InputError)
    assert str(error) == f"{fifo} is a named pipe (FIFO), not an article file"


def test_a_fifo_swapped_in_after_the_check_does_not_hang(tmp_path, monkeypatch):
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    regular = os.stat(__file__)
    monkeypatch.setattr(os, "stat", lambda path, *args, **kwargs: regular)
    error = read_in_thread(str(fifo))
    assert isinstance(error, InputError) and "is a named pipe (FIFO)" in str(error)


def test_devices_and_sockets_are_refused(tmp_path):
    with pytest.raises(InputError, match=r"^/dev/null is a character device, not an article file"):
        read_document("/dev/null")
    path = tmp_path / "s.sock"
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(path))
        with pytest.raises(InputError, match="is a socket, not an article file"):
            read_document(str(path))


def test_closed_stdin_is_one_input_error(monkeypatch):
    monkeypatch.setattr(sys, "stdin", None)
    with pytest.raises(InputError, match=r"^standard input is closed: there is no article"):
        read_document("-")


def test_the_empty_input_message_names_what_the_text_was_for(tmp_path):
    path = write(tmp_path, "empty.txt", b"\n \n")
    with pytest.raises(InputError, match=r"is empty: there is no text to summarize$"):
        read_document(path)
    with pytest.raises(InputError, match=r"is empty: there is no text to translate$"):
        read_document(path, summarize=False)
    with pytest.raises(InputError, match=r"is empty: there is no text to translate$"):
        parse_text(" ", summarize=False)


def test_a_heading_that_repeats_the_title_in_other_case_and_punctuation_is_not_body(tmp_path):
    html = (
        '<!DOCTYPE html><html><head><meta property="og:title" content="Le port : agrandi">'
        "</head><body><article>"
        "<h1>Le port agrandi</h1>"
        + "".join(f"<p>{p}</p>" for p in PAGE_PARAGRAPHS)
        + "</article></body></html>"
    )
    document = read_document(write(tmp_path, "p.html", html.encode()))
    assert document.title == "Le port : agrandi"
    assert document.paragraphs[0] == " ".join(PAGE_PARAGRAPHS[0].split())


def test_text_extracted_from_a_word_file_is_held_to_the_size_limit(tmp_path):
    from tests.test_formats import make_docx

    def build(document):
        for _ in range(400):
            for paragraph in PAGE_PARAGRAPHS:
                document.add_paragraph(paragraph)

    path = write(tmp_path, "long.docx", make_docx(build))
    size = os.path.getsize(path)
    with pytest.raises(InputError, match=r"holds more than .* of text, the input size limit"):
        read_document(path, max_bytes=size)  # the file fits; the text it unpacks to does not


def test_a_string_holding_a_nul_is_binary_like_a_file():
    with pytest.raises(InputError, match="holds a NUL character: binary data, not text"):
        parse_text("Le conseil\x00 a voté.")
