"""A folder of every input kind a user has (a PDF with text, a Word file, a scanned PDF, a
saved page, plain text), and a PDF fetched over HTTP, run from the command line."""

from __future__ import annotations

import csv
import io
import json

from fpdf import FPDF
from PIL import Image

from tests.articles import french_article
from tests.http_server import reply
from tests.processes import invoke
from tests.test_formats import make_docx, make_pdf

PDF_TITLE = "La gare sera rénovée"


def titled(pdf: FPDF) -> None:
    pdf.set_title(PDF_TITLE)
    pdf.set_author("Paul Martin")


def text_pdf() -> bytes:
    return make_pdf([french_article(21).split("\n\n")], setup=titled)


def scanned_pdf() -> bytes:
    def scan(pdf: FPDF) -> None:
        pdf.add_page()
        pdf.image(Image.new("RGB", (120, 160), "lightgray"), x=10, y=10, w=120)

    return make_pdf([], setup=scan)


def word_file() -> bytes:
    def build(document) -> None:
        document.add_paragraph("Le marché couvert ferme ses portes", style="Title")
        for paragraph in french_article(22).split("\n\n"):
            document.add_paragraph(paragraph)
        document.core_properties.author = "Lucie Bernard"

    return make_docx(build)


def saved_page() -> str:
    paragraphs = "".join(f"<p>{p}</p>" for p in french_article(23).split("\n\n"))
    return (
        '<!DOCTYPE html><html lang="fr"><head><title>Le port agrandi</title>'
        '<meta property="article:published_time" content="2024-06-02"></head><body>'
        f"<article><h1>Le port agrandi</h1>{paragraphs}</article></body></html>"
    )


def test_a_folder_of_every_input_kind_gives_four_outputs_a_digest_and_exit_1(tmp_path, tiny_config):
    folder = tmp_path / "press"
    folder.mkdir()
    (folder / "gare.pdf").write_bytes(text_pdf())
    (folder / "marche.docx").write_bytes(word_file())
    (folder / "scan.pdf").write_bytes(scanned_pdf())
    (folder / "port.html").write_text(saved_page(), encoding="utf-8")
    (folder / "brief.txt").write_text(french_article(24), encoding="utf-8")
    out = tmp_path / "out"
    result = invoke("summarize", folder, "-o", out, "--config", tiny_config)
    assert result.exit_code == 1, result.output
    assert f"failed: {folder / 'scan.pdf'} has no text layer: OCR it first" in result.stderr
    outputs = sorted(path.name for path in out.iterdir())
    assert outputs == [
        "brief.txt", "digest.csv", "digest.md", "gare.txt", "manifest.jsonl", "marche.txt",
        "port.txt",
    ]  # fmt: skip
    text = (out / "digest.csv").read_text(encoding="utf-8").removeprefix("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text)))
    # Dated first (the PDF was made on 2024-03-12), then the undated by title.
    assert [row["output"] for row in rows] == ["gare.txt", "port.txt", "brief.txt", "marche.txt"]
    by_output = {row["output"]: row for row in rows}
    assert by_output["gare.txt"]["title"] == PDF_TITLE
    assert by_output["marche.txt"]["title"] == "Le marché couvert ferme ses portes"
    assert by_output["port.txt"]["date"] == "2024-06-02"
    assert all(row["summary"] and row["title_translation"] for row in rows if row["title"])
    digest = (out / "digest.md").read_text(encoding="utf-8")
    assert "## Failed\n\n- `" in digest and "scan.pdf has no text layer" in digest
    before = {path.name: path.stat().st_mtime_ns for path in out.iterdir()}
    again = invoke("summarize", folder, "-o", out, "--config", tiny_config)
    assert again.exit_code == 1
    assert "0 written, 4 already up to date, 1 failed" in again.stderr
    after = {path.name: path.stat().st_mtime_ns for path in out.iterdir()}
    changed = {name for name in before if before[name] != after[name]}
    assert changed == {"manifest.jsonl"}  # its rows now say "up_to_date"


def test_a_pdf_served_over_http_is_read_with_its_metadata(server, tiny_config):
    server.routes["/gare.pdf"] = lambda handler: reply(
        handler, 200, text_pdf(), {"Content-Type": "application/pdf"}
    )
    url = server.url("/gare.pdf")
    result = invoke("translate", url, "--format", "json", "--config", tiny_config, "-q")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["metadata"]["title"] == PDF_TITLE
    assert data["metadata"]["author"] == "Paul Martin"
    assert data["metadata"]["url"] == url and data["metadata"]["site"] == "127.0.0.1"
    assert data["source_text"] == french_article(21).strip()
    assert data["title_translation"]
