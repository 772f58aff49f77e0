"""PDF and Word (.docx) files -> the same clean paragraphs as a text file, and Metadata.

What extraction promises: paragraphs in reading order, each a clean string (whitespace
collapsed, none empty), with a PDF's running headers, footers and page numbers left out
and its line-end hyphenation undone (the rules, and their limits, are in pdf_layout.py);
and what the file says about itself: title, author, date, declared language. A file that
cannot be read fails with one InputError line, never a traceback.

Limits: a scanned PDF with no text layer is refused (OCR it first); a PDF's text is only
as good as its fonts' character maps (pdfminer writes "(cid:12)" for a glyph it cannot
map); footnotes, comments and text boxes of a Word file are left out; OpenDocument (.odt)
and the old binary .doc are not read. pdfminer.six and python-docx are imported when a
file needs them, so that the command line starts fast.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from summarizer import pdf_layout
from summarizer.errors import InputError
from summarizer.metadata import Metadata, clean, iso_date

# pdfminer logs what it works around in a damaged file ("MediaBox missing", "Data-loss
# while decompressing") as warnings, and adds no handler of its own: Python would then
# print them on stderr amid the command's output. With this one they reach only the
# handlers that an application sets up.
_PDFMINER_QUIET = logging.NullHandler()
# The old binary Office format (.doc), which is also how Office stores a password-protected
# .docx: an OLE compound file, not a zip.
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Titles that name a file or a template, not the article.
_JUNK_TITLE = re.compile(
    r"(?:untitled|sans titre|document\s*\d*|word document)"
    r"|microsoft \w+ - .*|.*\.(?:docx?|pdf|indd|qxd|odt|rtf|txt)",
    re.I,
)
_PDF_DATE = re.compile(
    r"(?:D:)?(\d{4})(\d\d)(\d\d)(?:(\d\d)(\d\d)?(\d\d)?)?(?:(Z)|([+-])(\d\d)'?(\d\d)?'?)?",
    re.I,
)
# What python-docx's own template says when a script did not set a value: not a fact
# about the article.
_PYTHON_DOCX_AUTHOR = "python-docx"
_PYTHON_DOCX_CREATED = dt.datetime(2013, 12, 23, 23, 15, tzinfo=dt.UTC)
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
# Word elements whose children are paragraphs or more containers (tables, content controls).
_CONTAINERS = {_W + tag for tag in ("tbl", "tr", "tc", "sdt", "sdtContent", "customXml")}
# Inside a paragraph: moved-away text, text boxes (and their copy for old readers) and
# properties hold no text of the paragraph. Deleted text is in w:delText, never read.
_NOT_TEXT = {_W + tag for tag in ("moveFrom", "txbxContent", "pPr", "rPr")}
_NOT_TEXT.add(_MC_FALLBACK)
_SPACES = {_W + tag for tag in ("tab", "br", "cr")}


# A Word file whose parts unpack to more than this is a zip bomb, not an article (a
# 300-page report's document.xml is a few MiB).
MAX_DOCX_UNPACKED = 256 * 1024 * 1024


def sniff(raw: bytes, name: str) -> str | None:
    """The format of `raw`: "pdf" when it starts with %PDF-, "docx" when it is a zip
    holding word/document.xml; else the one the name's suffix claims (.pdf, .docx), so
    that its extractor can say why the file is not one; None for anything else."""
    if raw.startswith(b"%PDF-"):
        return "pdf"
    if _has_word_document(raw):
        return "docx"
    suffix = name.lower().rpartition(".")[2]
    return suffix if suffix in ("pdf", "docx") else None


def extract_pdf(raw: bytes, name: str) -> tuple[list[str], Metadata]:
    """The paragraphs and metadata of the PDF `raw`, read from the file `name`."""
    pages, info, language = _read_pdf(raw, name)
    if not pages:
        raise InputError("{path} is a PDF with no pages", path=name)
    if not any(c.isalpha() for page in pages for box in page for x in box.lines for c in x.text):
        raise InputError("{path} has no text layer: OCR it first", path=name)
    metadata = Metadata(
        title=_title(info.get("Title")),
        author=clean(info.get("Author")),
        date=pdf_date(info.get("CreationDate")),
        language=_language(language),
    )
    return pdf_layout.paragraphs(pages), metadata


def _read_pdf(
    raw: bytes, name: str
) -> tuple[list[list[pdf_layout.Box]], dict[str, str], str | None]:
    """(each page's text boxes, the info dictionary's strings, the catalog's /Lang)."""
    if b"%PDF-" not in raw[:1024]:
        raise InputError("{path} is not a readable PDF: it does not start with %PDF-", path=name)
    from pdfminer.converter import PDFPageAggregator
    from pdfminer.layout import LAParams
    from pdfminer.pdfdocument import PDFDocument, PDFEncryptionError, PDFPasswordIncorrect
    from pdfminer.pdfinterp import PDFPageInterpreter, PDFResourceManager
    from pdfminer.pdfpage import PDFPage
    from pdfminer.pdfparser import PDFParser
    from pdfminer.psexceptions import PSEOF, PSException

    logging.getLogger("pdfminer").addHandler(_PDFMINER_QUIET)  # added once: a no-op after
    try:
        document = PDFDocument(PDFParser(io.BytesIO(raw)))
        resources = PDFResourceManager()
        # all_texts: also lay out text drawn inside form XObjects, where some writers put
        # a whole page.
        device = PDFPageAggregator(resources, laparams=LAParams(all_texts=True))
        interpreter = PDFPageInterpreter(resources, device)
        pages = []
        for page in PDFPage.create_pages(document):
            interpreter.process_page(page)
            pages.append(list(_boxes(device.get_result())))
        return pages, _pdf_info(document.info), _pdf_string(document.catalog.get("Lang"))
    except PDFPasswordIncorrect as exc:
        problem = "{path} is encrypted: it cannot be opened without its password"
        hint = "save a copy without the password and read that"
        raise InputError(problem, path=name, hint=hint) from exc
    except PDFEncryptionError as exc:
        problem = f"{{path}} is encrypted in a way that cannot be read: {_reason(exc)}"
        raise InputError(problem, path=name) from exc
    # pdfminer raises PSException subclasses for what it recognises as damage, and plain
    # Python errors where a damaged object is not what it expects (found by corrupting and
    # truncating files).
    except (
        PSException,
        AssertionError,
        EOFError,
        KeyError,
        IndexError,
        TypeError,
        ValueError,
        AttributeError,
        struct.error,
        zlib.error,
        RecursionError,
    ) as exc:
        reason = "it is cut short" if isinstance(exc, PSEOF) else _reason(exc)
        raise InputError(f"{{path}} is not a readable PDF: {reason}", path=name) from exc


def _boxes(container: Any) -> Iterator[pdf_layout.Box]:
    """The horizontal text boxes of a pdfminer layout, also those inside figures."""
    from pdfminer.layout import LTFigure, LTTextBoxHorizontal, LTTextLine

    for item in container:
        if isinstance(item, LTFigure):
            yield from _boxes(item)
        elif isinstance(item, LTTextBoxHorizontal):
            lines = tuple(
                pdf_layout.line(row.get_text(), *row.bbox)
                for row in item
                if isinstance(row, LTTextLine)
            )
            yield pdf_layout.Box(lines, *item.bbox)


def _pdf_info(info: list[dict[str, Any]]) -> dict[str, str]:
    """The info dictionaries' text values (the newest revision's first)."""
    found: dict[str, str] = {}
    for entries in info:
        for key in ("Title", "Author", "CreationDate"):
            value = _pdf_string(entries.get(key))
            if value and key not in found:
                found[key] = value
    return found


def _pdf_string(value: Any) -> str | None:
    """A PDF string object as text (PDFDocEncoding, or UTF-16 with a byte-order mark)."""
    from pdfminer.pdftypes import resolve1
    from pdfminer.utils import decode_text

    value = resolve1(value)
    if isinstance(value, bytes):
        return decode_text(value)
    return value if isinstance(value, str) else None


def pdf_date(value: str | None) -> str | None:
    """A PDF date ("D:20240501093000+02'00'") as ISO 8601 ("2024-05-01T09:30:00+02:00");
    a day alone when it has no time; None when it is not a date or has no day."""
    match = _PDF_DATE.fullmatch((value or "").strip())
    if match is None:
        return None
    year, month, day, hour, minute, second, utc, sign, zone_hours, zone_minutes = match.groups()
    try:
        if hour is None:
            return iso_date(dt.date(int(year), int(month), int(day)))
        zone = None
        if utc or sign:
            offset = dt.timedelta(hours=int(zone_hours or 0), minutes=int(zone_minutes or 0))
            zone = dt.timezone(-offset if sign == "-" else offset)
        parts = (int(year), int(month), int(day), int(hour), int(minute or 0), int(second or 0))
        return iso_date(dt.datetime(*parts, tzinfo=zone))
    except ValueError:  # a month 13, an hour 25, an offset of a day or more
        return None


def extract_docx(raw: bytes, name: str) -> tuple[list[str], Metadata]:
    """The paragraphs and metadata of the Word file `raw`, read from the file `name`.

    The title is the first paragraph styled "Title", taken out of the paragraphs; without
    one, the core properties' title; without that either, the first "Heading 1" paragraph,
    taken out too. Tables are read cell by cell, row by row; headers, footers, footnotes,
    comments and text boxes are not body text; tracked changes read as if accepted."""
    body, styles, metadata = _open_docx(raw, name)
    found = [] if body is None else _blocks(body, styles)
    blocks = [(style, text) for style, text in found if text]
    title_at = _title_index(blocks, metadata.title)
    if title_at is not None:
        metadata = replace(metadata, title=blocks[title_at][1])
    return [text for at, (_, text) in enumerate(blocks) if at != title_at], metadata


def _open_docx(raw: bytes, name: str) -> tuple[Any, dict[str, str], Metadata]:
    """(the body element or None, each style's name in lowercase by its id, the core
    properties)."""
    if raw.startswith(_OLE_MAGIC):
        problem = "{path} is an old binary Word file (.doc) or a password-protected one"
        hint = "save it as .docx, without a password, and read that"
        raise InputError(problem, path=name, hint=hint)
    unpacked = _unpacked_size(raw)
    if unpacked is None:
        what = "has no word/document.xml" if _is_zip(raw) else "is not a .docx archive"
        problem = f"{{path}} is not a readable Word document: it {what}"
        raise InputError(problem, path=name)
    if unpacked > MAX_DOCX_UNPACKED:
        problem = f"{{path}} unpacks to more than {MAX_DOCX_UNPACKED >> 20} MiB: not an article"
        raise InputError(problem, path=name)
    import docx
    from docx.exceptions import PythonDocxError
    from docx.opc.exceptions import OpcError
    from lxml.etree import LxmlError

    try:
        document = docx.Document(io.BytesIO(raw))
        styles = {style.style_id: (style.name or "").lower() for style in document.styles}
        return document.element.body, styles, _core_properties(document.core_properties)
    except (
        zipfile.BadZipFile,
        KeyError,
        ValueError,
        EOFError,
        NotImplementedError,
        RuntimeError,
        zlib.error,
        LxmlError,
        PythonDocxError,
        OpcError,
    ) as exc:
        problem = f"{{path}} is not a readable Word document: {_reason(exc)}"
        raise InputError(problem, path=name) from exc


def _core_properties(properties: Any) -> Metadata:
    """Title, author, creation date and language from python-docx's core properties."""
    try:
        created = properties.created
    except TypeError:  # an empty <dcterms:created/>, which python-docx slices as a string
        created = None
    author = clean(properties.author)
    return Metadata(
        title=_title(properties.title),
        author=None if author == _PYTHON_DOCX_AUTHOR else author,
        date=None if created == _PYTHON_DOCX_CREATED else iso_date(created),
        language=_language(properties.language),
    )


def _blocks(element: Any, styles: dict[str, str]) -> Iterator[tuple[str, str]]:
    """(style name, clean text) of each paragraph under a Word body element, in order."""
    for child in element:
        if child.tag == _W + "p":
            style = child.find(f"{_W}pPr/{_W}pStyle")
            style_id = "Normal" if style is None else style.get(_W + "val", "")
            yield styles.get(style_id, style_id.lower()), clean(_paragraph_text(child)) or ""
        elif child.tag in _CONTAINERS:
            yield from _blocks(child, styles)


def _paragraph_text(element: Any) -> str:
    """A Word paragraph's text: tabs and line breaks are spaces, a non-breaking hyphen is
    a hyphen, and a soft hyphen nothing."""
    parts = []
    for child in element:
        if child.tag in _NOT_TEXT:
            continue
        if child.tag == _W + "t":
            parts.append(child.text or "")
        elif child.tag in _SPACES:
            parts.append(" ")
        elif child.tag == _W + "noBreakHyphen":
            parts.append("-")
        else:
            parts.append(_paragraph_text(child))
    return "".join(parts)


def _title_index(blocks: list[tuple[str, str]], core_title: str | None) -> int | None:
    """Where the title paragraph is: the first styled "Title", else (with no core title)
    the first "Heading 1"."""
    styles = [style for style, _ in blocks]
    if "title" in styles:
        return styles.index("title")
    if core_title is None and "heading 1" in styles:
        return styles.index("heading 1")
    return None


def _has_word_document(raw: bytes) -> bool:
    return _unpacked_size(raw) is not None


def _is_zip(raw: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(raw)):
            return True
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return False


def _unpacked_size(raw: bytes) -> int | None:
    """What a Word archive's parts declare they unpack to (zipfile never reads past a
    part's declared size), or None when `raw` is not one."""
    if not raw.startswith(b"PK"):
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            if "word/document.xml" not in archive.namelist():
                return None
            return sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return None


def _title(value: Any) -> str | None:
    """A title, unless it names a file or a template ("Microsoft Word - x.docx", "Untitled")
    or has no letter."""
    title = clean(value)
    if title is None or _JUNK_TITLE.fullmatch(title) or not any(c.isalpha() for c in title):
        return None
    return title


def _language(value: Any) -> str | None:
    """A declared language tag's primary subtag ("fr-FR" -> "fr"), when it is ISO 639-1."""
    primary = re.split(r"[-_]", clean(value) or "")[0].lower()
    return primary if re.fullmatch(r"[a-z]{2}", primary) else None


def _reason(exc: BaseException) -> str:
    """An exception's message on one line, or its type's name when it has none."""
    message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
    return clean(message) or type(exc).__name__
