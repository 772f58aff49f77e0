"""PDF and Word files -> paragraphs and Metadata. Every document is written here, with
fpdf2 (PDF) and python-docx (DOCX), from sentences made up for these tests."""

from __future__ import annotations

import datetime as dt
import io
import random
import re
import subprocess
import sys
import zipfile
from collections.abc import Callable

import docx
import pytest
from docx.oxml import parse_xml
from fpdf import FPDF

from summarizer.errors import InputError
from summarizer.formats import extract_docx, extract_pdf, pdf_date, sniff
from summarizer.metadata import Metadata
from tests.processes import child_env

HEADER = "Le Quotidien — 12 mars 2024"
MAYOR = (
    "Le maire de Villeneuve a annoncé mardi la fermeture provisoire du marché couvert, dont "
    "la charpente a été fragilisée par les orages de la semaine dernière. Les commerçants "
    "seront installés sur la place de l'église pendant toute la durée des travaux, qui "
    "devraient commencer au printemps selon les services techniques de la ville."
)
WORKS = "Les travaux coûteront près de deux millions d'euros, financés en partie par la région."
STRIKE_START = "Les syndicats de cheminots ont déposé un préavis de grève, et le ministre a"
STRIKE_END = "rappelé jeudi que la concertation restait ouverte jusqu'à la fin du mois."
HARVEST = "La récolte de lavande s'annonce maigre cette année dans le sud du département."
FLOODS = "Les pompiers sont intervenus plus de trois cents fois pendant le week-end."
W_NS = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def make_pdf(
    pages: list[list[str]],
    *,
    header: str | None = None,
    footer: str | None = None,
    setup: Callable[[FPDF], None] | None = None,
) -> bytes:
    """One PDF page per list of paragraphs (a "\\n" inside one forces a line break), with
    space between paragraphs; `footer` may hold {page} and {pages}."""
    pdf = FPDF(format="A4")
    pdf.core_fonts_encoding = "windows-1252"
    pdf.set_auto_page_break(False)
    pdf.set_creation_date(dt.datetime(2024, 3, 12, 8, 0, tzinfo=dt.UTC))
    if setup:
        setup(pdf)
    for number, paragraphs in enumerate(pages, 1):
        pdf.add_page()
        pdf.set_font("Helvetica", size=9)
        if header:
            pdf.cell(0, 8, header, align="C")
            pdf.ln(14)
        pdf.set_font("Helvetica", size=11)
        for paragraph in paragraphs:
            pdf.multi_cell(0, 5, paragraph)
            pdf.ln(4)
        if footer:
            pdf.set_font("Helvetica", size=9)
            pdf.set_y(-15)
            pdf.cell(0, 8, footer.format(page=number, pages=len(pages)), align="C")
    return bytes(pdf.output())


def make_docx(build: Callable[[docx.document.Document], None]) -> bytes:
    document = docx.Document()
    build(document)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def read_pdf(raw: bytes) -> list[str]:
    return extract_pdf(raw, "article.pdf")[0]


def pdf_error(raw: bytes, name: str = "article.pdf") -> str:
    with pytest.raises(InputError) as caught:
        extract_pdf(raw, name)
    message = str(caught.value)
    assert "\n" not in message
    return message


# PDF: paragraphs and reading order


def test_pdf_paragraph_wrapped_over_lines_is_one_and_two_paragraphs_stay_two():
    assert read_pdf(make_pdf([[MAYOR, WORKS]])) == [MAYOR, WORKS]


def test_pdf_paragraphs_set_without_space_between_split_at_a_short_last_line():
    assert read_pdf(make_pdf([[f"{MAYOR}\n{WORKS}\n{HARVEST}"]])) == [MAYOR, WORKS, HARVEST]


def test_pdf_paragraphs_set_without_space_between_split_at_an_indented_first_line():
    lines = [
        (8, "Le conseil municipal a voté mardi soir le budget de l'année prochaine, après"),
        (0, "un débat de plus de quatre heures sur la rénovation des écoles et des stades."),
        (8, "Six élus de l'opposition se sont abstenus, estimant que les investissements"),
        (0, "prévus ne suffiraient pas à rattraper le retard accumulé depuis plus de dix ans."),
    ]

    def justified(pdf: FPDF) -> None:
        """Every line ends at the same right edge (letter spacing fills it), so only the
        indent tells where the second paragraph starts."""
        pdf.add_page()
        pdf.set_font("Helvetica", size=11)
        right = max(indent + pdf.get_string_width(text) for indent, text in lines)
        for row, (indent, text) in enumerate(lines):
            pdf.set_char_spacing(0)
            spare_mm = right - indent - pdf.get_string_width(text)
            pdf.set_char_spacing(spare_mm / (len(text) - 1) * 72 / 25.4)  # in points
            pdf.set_xy(10 + indent, 20 + 5 * row)
            pdf.cell(text=text)

    assert read_pdf(make_pdf([], setup=justified)) == [
        f"{lines[0][1]} {lines[1][1]}",
        f"{lines[2][1]} {lines[3][1]}",
    ]


def two_columns(pdf: FPDF) -> None:
    """A title over two columns; the left one runs longer, and its last paragraph goes on
    at the top of the right one."""
    pdf.add_page()
    pdf.set_font("Helvetica", size=16)
    pdf.cell(0, 10, "Sécheresse : les agriculteurs inquiets", align="C")
    pdf.set_font("Helvetica", size=11)
    for x, paragraphs in ((10, [MAYOR, WORKS, STRIKE_START]), (110, [STRIKE_END, HARVEST])):
        pdf.set_y(30)
        for paragraph in paragraphs:
            pdf.set_x(x)
            pdf.multi_cell(90, 5, paragraph)
            pdf.ln(4)


def test_pdf_two_columns_read_column_by_column_under_a_spanning_title():
    # pdfminer's own order reads the right column's boxes first; its lines split the
    # justified "Les travaux" line in two at a wide space.
    assert read_pdf(make_pdf([], setup=two_columns)) == [
        "Sécheresse : les agriculteurs inquiets",
        MAYOR,
        WORKS,
        f"{STRIKE_START} {STRIKE_END}",
        HARVEST,
    ]


def test_pdf_line_end_hyphen_before_lowercase_joins_unless_the_document_hyphenates_the_word():
    text = (
        "Le porte-parole a confirmé que le gouverne-\nment soutiendra le porte-\n"
        "parole face au vice-\nprésident et à Jean-\nPierre Morel, et aux six-\nCoquelicots."
    )
    assert read_pdf(make_pdf([[text]])) == [
        "Le porte-parole a confirmé que le gouvernement soutiendra le porte-parole face au "
        # No "vice-président" elsewhere in the document: its hyphen is lost (the known limit).
        "viceprésident et à Jean-Pierre Morel, et aux six-Coquelicots."
    ]


# PDF: running headers, footers, page numbers


def test_pdf_running_header_and_page_footer_dropped_and_page_break_paragraph_rejoined():
    raw = make_pdf(
        [[MAYOR, STRIKE_START], [STRIKE_END, WORKS], [HARVEST]],
        header=HEADER,
        footer="Page {page} / {pages}",
    )
    paragraphs = read_pdf(raw)
    assert paragraphs == [MAYOR, f"{STRIKE_START} {STRIKE_END}", WORKS, HARVEST]


def test_pdf_bare_page_numbers_dropped_on_every_page():
    raw = make_pdf([[MAYOR], [WORKS], [HARVEST]], header=HEADER, footer="- {page} -")
    assert read_pdf(raw) == [MAYOR, WORKS, HARVEST]


def test_pdf_one_page_keeps_its_header_line_but_not_a_lone_page_number():
    raw = make_pdf([[MAYOR, WORKS]], header=HEADER, footer="{page}")
    assert read_pdf(raw) == [HEADER, MAYOR, WORKS]


def test_pdf_page_starting_with_a_capital_is_not_joined_to_the_previous_one():
    raw = make_pdf([[MAYOR, "Le tribunal a rendu sa décision"], [FLOODS]], header=HEADER)
    assert read_pdf(raw) == [MAYOR, "Le tribunal a rendu sa décision", FLOODS]


def run_python(code: str, tmp_path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_pdf_repairs_are_not_printed_on_stderr(tmp_path):
    # Same length, so the cross-reference offsets stay right: pdfminer warns that the page
    # has no MediaBox and reads it as US Letter.
    damaged = make_pdf([[MAYOR]]).replace(b"/MediaBox", b"/MediaBix")
    (tmp_path / "damaged.pdf").write_bytes(damaged)
    result = run_python(
        "import pathlib; from summarizer.formats import extract_pdf; "
        "print(extract_pdf(pathlib.Path('damaged.pdf').read_bytes(), 'damaged.pdf')[0])",
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "Le maire de Villeneuve" in result.stdout
    assert result.stderr == ""


def test_importing_formats_loads_neither_pdf_nor_word_library(tmp_path):
    result = run_python(
        "import sys, summarizer.formats; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'pdfminer', 'docx', 'lxml'}))",
        tmp_path,
    )
    assert result.stdout.strip() == "[]", result.stderr


# PDF: metadata


def metadata_setup(title: str) -> Callable[[FPDF], None]:
    def setup(pdf: FPDF) -> None:
        pdf.set_title(title)
        pdf.set_author("Claire Dubois")
        pdf.set_creation_date(
            dt.datetime(2024, 5, 1, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=2)))
        )
        pdf.set_lang("fr-FR")

    return setup


def test_pdf_info_and_language_fill_the_metadata():
    raw = make_pdf([[MAYOR]], setup=metadata_setup("Marché couvert : fermeture provisoire"))
    metadata = extract_pdf(raw, "article.pdf")[1]
    assert metadata.title == "Marché couvert : fermeture provisoire"
    assert metadata.author == "Claire Dubois"
    assert metadata.date == "2024-05-01T09:30:00+02:00"
    assert metadata.language == "fr"
    assert (metadata.site, metadata.url) == (None, None)


@pytest.mark.parametrize(
    "title", ["Microsoft Word - brouillon.docx", "untitled", "maquette_v3.indd", "Document1"]
)
def test_pdf_title_naming_a_file_or_template_is_ignored(title):
    raw = make_pdf([[MAYOR]], setup=metadata_setup(title))
    assert extract_pdf(raw, "article.pdf")[1].title is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("D:20240501093000+02'00'", "2024-05-01T09:30:00+02:00"),
        ("D:20240501093000-05'30", "2024-05-01T09:30:00-05:30"),
        ("D:20240501093000Z", "2024-05-01T09:30:00+00:00"),
        ("D:202405010930", "2024-05-01T09:30:00"),
        ("D:20240501", "2024-05-01"),
        ("D:2024", None),
        ("D:20241301", None),
        ("hier soir", None),
        (None, None),
    ],
)
def test_pdf_dates_become_iso_8601(value, expected):
    assert pdf_date(value) == expected


# PDF: files that cannot be read


def test_pdf_without_a_text_layer_asks_for_ocr():
    from PIL import Image

    def scanned(pdf: FPDF) -> None:
        pdf.add_page()
        pdf.image(Image.new("RGB", (120, 160), "lightgray"), x=10, y=10, w=120)

    assert pdf_error(make_pdf([], setup=scanned), "scan.pdf") == (
        "scan.pdf has no text layer: OCR it first"
    )


def test_pdf_without_pages_says_so():
    raw = (
        b"%PDF-1.4\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n"
        b"2 0 obj <</Type /Pages /Kids [] /Count 0>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n"
    )
    assert pdf_error(raw) == "article.pdf is a PDF with no pages"


def test_pdf_needing_a_password_is_refused_in_one_line():
    raw = make_pdf([[MAYOR]], setup=lambda pdf: pdf.set_encryption("owner", "lecteur"))
    assert pdf_error(raw).startswith("article.pdf is encrypted: it cannot be opened without")


def test_pdf_encrypted_without_a_reading_password_is_read():
    raw = make_pdf([[MAYOR]], setup=lambda pdf: pdf.set_encryption("owner"))
    assert read_pdf(raw) == [MAYOR]


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"Ceci n'est pas un PDF, seulement du texte.", "it does not start with %PDF-"),
        (make_pdf([[MAYOR]])[:900], "it is cut short"),
        (b"%PDF-1.7\n" + b"des octets sans structure " * 40, ""),
    ],
    ids=["text", "truncated", "no-structure"],
)
def test_pdf_that_is_not_readable_fails_in_one_line(raw, reason):
    assert pdf_error(raw).startswith(f"article.pdf is not a readable PDF: {reason}")


def test_corrupted_pdfs_read_or_fail_with_an_input_error():
    original = make_pdf([[MAYOR, WORKS], [HARVEST]], header=HEADER)
    rng = random.Random(13)
    for _ in range(40):
        damaged = bytearray(original)
        for _ in range(rng.randint(1, 12)):
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        try:
            extract_pdf(bytes(damaged), "article.pdf")
        except InputError as error:
            assert "\n" not in str(error)


# DOCX


def test_docx_body_and_table_cells_read_in_order_without_empty_paragraphs():
    def build(document):
        document.add_paragraph(MAYOR)
        document.add_paragraph("   ")
        table = document.add_table(rows=2, cols=2)
        table.cell(0, 0).merge(table.cell(0, 1)).text = "Budget des travaux"
        table.cell(1, 0).text = "Charpente"
        table.cell(1, 1).text = "1,2 million d'euros"
        document.add_paragraph(WORKS)

    paragraphs = extract_docx(make_docx(build), "article.docx")[0]
    assert paragraphs == [MAYOR, "Budget des travaux", "Charpente", "1,2 million d'euros", WORKS]


def test_docx_title_style_paragraph_is_the_title_and_not_body():
    def build(document):
        document.core_properties.title = "Version de travail"
        document.add_paragraph("Le marché couvert ferme", style="Title")
        document.add_paragraph(MAYOR)

    paragraphs, metadata = extract_docx(make_docx(build), "article.docx")
    assert (paragraphs, metadata.title) == ([MAYOR], "Le marché couvert ferme")


def test_docx_core_title_is_used_without_a_title_style_and_headings_stay():
    def build(document):
        document.core_properties.title = "Le marché couvert ferme"
        document.add_heading("Les commerçants relogés", level=1)
        document.add_paragraph(MAYOR)

    paragraphs, metadata = extract_docx(make_docx(build), "article.docx")
    assert metadata.title == "Le marché couvert ferme"
    assert paragraphs == ["Les commerçants relogés", MAYOR]


def test_docx_first_heading_1_is_the_title_when_nothing_else_names_one():
    def build(document):
        document.add_heading("Le marché couvert ferme", level=1)
        document.add_paragraph(MAYOR)
        document.add_heading("Les commerçants relogés", level=1)

    paragraphs, metadata = extract_docx(make_docx(build), "article.docx")
    assert metadata.title == "Le marché couvert ferme"
    assert paragraphs == [MAYOR, "Les commerçants relogés"]


def test_docx_page_headers_and_footers_are_not_body_text():
    def build(document):
        document.sections[0].header.paragraphs[0].text = HEADER
        document.sections[0].footer.paragraphs[0].text = "Page 1"
        document.add_paragraph(MAYOR)

    assert extract_docx(make_docx(build), "article.docx")[0] == [MAYOR]


def test_docx_line_breaks_and_tabs_inside_a_paragraph_become_spaces():
    def build(document):
        paragraph = document.add_paragraph("Le conseil a voté le budget.")
        paragraph.add_run().add_break()
        paragraph.add_run("Six élus\tse sont abstenus.")

    paragraphs = extract_docx(make_docx(build), "article.docx")[0]
    assert paragraphs == ["Le conseil a voté le budget. Six élus se sont abstenus."]


def add_xml(paragraph, xml: str) -> None:
    """Append raw WordprocessingML (w: prefix, v: for VML) to a python-docx paragraph."""
    wrapper = parse_xml(
        f'<w:wrapper {W_NS} xmlns:v="urn:schemas-microsoft-com:vml">{xml}</w:wrapper>'
    )
    paragraph._p.extend(list(wrapper))


def test_docx_tracked_changes_read_as_accepted():
    def build(document):
        paragraph = document.add_paragraph("Les travaux dureront ")
        add_xml(paragraph, '<w:del w:id="1"><w:r><w:delText>six</w:delText></w:r></w:del>')
        add_xml(paragraph, '<w:ins w:id="2"><w:r><w:t>huit</w:t></w:r></w:ins>')
        add_xml(paragraph, '<w:moveFrom w:id="3"><w:r><w:t> environ</w:t></w:r></w:moveFrom>')
        paragraph.add_run(" mois.")

    paragraphs = extract_docx(make_docx(build), "article.docx")[0]
    assert paragraphs == ["Les travaux dureront huit mois."]


def test_docx_text_boxes_are_not_body_text():
    def build(document):
        paragraph = document.add_paragraph(MAYOR)
        add_xml(
            paragraph,
            "<w:r><w:pict><v:shape><v:textbox>"
            "<w:txbxContent><w:p><w:r><w:t>Encadré : les chiffres clés</w:t></w:r></w:p>"
            "</w:txbxContent></v:textbox></v:shape></w:pict></w:r>",
        )

    assert extract_docx(make_docx(build), "article.docx")[0] == [MAYOR]


def test_docx_core_properties_fill_the_metadata():
    def build(document):
        properties = document.core_properties
        properties.author = "Claire Dubois"
        properties.created = dt.datetime(2024, 5, 1, 7, 30, tzinfo=dt.UTC)
        properties.language = "fr-FR"
        document.add_paragraph(MAYOR)

    metadata = extract_docx(make_docx(build), "article.docx")[1]
    assert (metadata.author, metadata.date, metadata.language) == (
        "Claire Dubois",
        "2024-05-01T07:30:00+00:00",
        "fr",
    )
    assert (metadata.title, metadata.site, metadata.url) == (None, None, None)


def test_docx_python_docx_template_defaults_are_not_metadata():
    metadata = extract_docx(make_docx(lambda d: d.add_paragraph(MAYOR)), "article.docx")[1]
    assert (metadata.author, metadata.date, metadata.language) == (None, None, None)


@pytest.mark.parametrize(("declared", "expected"), [("FR", "fr"), ("fra", None), ("", None)])
def test_docx_language_is_an_iso_639_1_code_or_nothing(declared, expected):
    def build(document):
        document.core_properties.language = declared
        document.add_paragraph(MAYOR)

    assert extract_docx(make_docx(build), "article.docx")[1].language == expected


def test_docx_with_an_empty_date_or_no_body_reads_as_what_is_there():
    empty_date = edited(GOOD_DOCX, "docProps/core.xml", rb"(<dcterms:created[^>]*>)[^<]*", rb"\1")
    no_body = edited(GOOD_DOCX, "word/document.xml", rb"<w:body>.*</w:body>", b"")
    assert extract_docx(empty_date, "article.docx") == ([MAYOR], Metadata())
    assert extract_docx(no_body, "article.docx") == ([], Metadata())


def rezip(raw: bytes, change: Callable[[str, bytes], bytes | None]) -> bytes:
    """The archive with each member replaced by change(name, data), or left out for None."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw)) as source, zipfile.ZipFile(buffer, "w") as target:
        for member in source.namelist():
            data = change(member, source.read(member))
            if data is not None:
                target.writestr(member, data)
    return buffer.getvalue()


def edited(raw: bytes, member: str, pattern: bytes, replacement: bytes) -> bytes:
    """The archive with `pattern` replaced in one member."""

    def change(name: str, data: bytes) -> bytes:
        return re.sub(pattern, replacement, data, flags=re.S) if name == member else data

    return rezip(raw, change)


GOOD_DOCX = make_docx(lambda document: document.add_paragraph(MAYOR))


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        (b"Ceci n'est pas un document Word.", "is not a readable Word document"),
        (GOOD_DOCX[:700], "is not a readable Word document"),
        (rezip(GOOD_DOCX, lambda m, d: None if m == "word/document.xml" else d), "is not a"),
        (rezip(GOOD_DOCX, lambda m, d: d[:300] if m == "word/document.xml" else d), "is not a"),
        (rezip(GOOD_DOCX, lambda m, d: None if m == "[Content_Types].xml" else d), "is not a"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "is an old binary Word file"),
    ],
    ids=["text", "truncated", "no-document-xml", "broken-xml", "no-content-types", "ole"],
)
def test_docx_that_is_not_readable_fails_in_one_line(raw, problem):
    with pytest.raises(InputError) as caught:
        extract_docx(raw, "article.docx")
    assert str(caught.value).startswith(f"article.docx {problem}")
    assert "\n" not in str(caught.value)


# Sniffing


@pytest.mark.parametrize(
    ("raw", "name", "expected"),
    [
        (make_pdf([[MAYOR]]), "article", "pdf"),
        (GOOD_DOCX, "article.bin", "docx"),
        (rezip(GOOD_DOCX, lambda m, d: None if m == "word/document.xml" else d), "a.zip", None),
        (b"Un article en texte brut.", "article.txt", None),
        (b"<!doctype html><p>Une page.</p>", "page.html", None),
        ("Un texte nommé comme un PDF.".encode(), "article.PDF", "pdf"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "article.docx", "docx"),
    ],
)
def test_sniff_tells_pdf_and_docx_by_content_then_by_suffix(raw, name, expected):
    assert sniff(raw, name) == expected


def test_docx_that_unpacks_to_a_huge_size_is_refused_before_it_is_read(monkeypatch):
    import summarizer.formats

    # The real limit is 256 MiB; a 1 MiB one makes the same bomb in a hundredth the time.
    monkeypatch.setattr(summarizer.formats, "MAX_DOCX_UNPACKED", 1 << 20)
    raw = make_docx(lambda document: document.add_paragraph(WORKS))
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw)) as source, zipfile.ZipFile(buffer, "w") as bomb:
        for info in source.infolist():
            bomb.writestr(info, source.read(info), compress_type=zipfile.ZIP_DEFLATED)
        # 2 MiB of zeros compress to about 2 KiB.
        bomb.writestr("word/media/padding.bin", bytes(2 << 20), zipfile.ZIP_DEFLATED)
    with pytest.raises(InputError, match=r"unpacks to more than 1 MiB: not an article"):
        extract_docx(buffer.getvalue(), "bomb.docx")


def test_a_zip_without_a_word_document_says_what_it_lacks():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "rien")
    with pytest.raises(InputError, match=r"^x.docx is not a readable Word document: it has no"):
        extract_docx(buffer.getvalue(), "x.docx")
