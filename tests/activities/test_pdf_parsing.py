"""PDF parsing on PDFs generated with fpdf2: pages, headings, tables, columns, and bad PDFs."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from activities.context import ToolContext
from activities.documents.chunking import chunk_document
from activities.documents.pdf_parser import parse_pdf
from activities.errors import CorruptDocument, EmptyDocument, EncryptedDocument
from activities.ingest import resolve_one
from tests.activities.factories import (
    pdf_bytes,
    scanned_pdf_bytes,
    two_column_pdf_bytes,
)

PAGES = [
    [
        ("1. Scope", "This report covers the platform operations of the third quarter."),
        ("2. Volume", "The platform ingested 2.4 million pages, up from 2.03 million."),
    ],
    [("3. Costs", "Total operating cost was EUR 87,600 against EUR 83,200 in Q2.")],
]
TABLE = [("Region", "Q2", "Q3"), ("North", "1.1", "1.3"), ("South", "0.93", "1.1")]


def test_every_chunk_carries_the_page_its_text_is_on() -> None:
    parsed = parse_pdf("report.pdf", pdf_bytes(PAGES, title="Q3 Operations Report"))
    assert parsed.page_count == 2
    chunks = chunk_document(parsed)
    # the information dictionary (fpdf2 writes the creation date) is on no page
    assert chunks[0].anchor.page is None and chunks[0].text.startswith("Created: ")
    assert {chunk.anchor.page for chunk in chunks[1:]} == {1, 2}
    for chunk in chunk_document(parsed):
        if "EUR 87,600" in chunk.text:
            assert chunk.anchor.page == 2
        if "2.4 million" in chunk.text:
            assert chunk.anchor.page == 1


def test_larger_bold_lines_become_nested_sections() -> None:
    parsed = parse_pdf("report.pdf", pdf_bytes(PAGES, title="Q3 Operations Report"))
    labels = [s.label for s in parsed.sections]
    assert labels == [
        "Q3 Operations Report",
        "Q3 Operations Report > 1. Scope",
        "Q3 Operations Report > 2. Volume",
        "Q3 Operations Report > 3. Costs",
    ]
    assert parsed.title == "Q3 Operations Report"
    costs = next(c for c in chunk_document(parsed) if "87,600" in c.text)
    assert costs.anchor.label() == "page 2, §3. Costs"


def test_a_table_is_extracted_with_its_page_and_rendered_into_the_text() -> None:
    parsed = parse_pdf("regions.pdf", pdf_bytes(PAGES, table=TABLE))
    assert len(parsed.tables) == 1
    table = parsed.tables[0]
    assert table.rows == [list(r) for r in TABLE]
    assert table.page == 2
    assert table.start is not None and table.end is not None
    rendered = parsed.text[table.start : table.end]
    assert rendered.splitlines()[0] == "| Region | Q2 | Q3 |"
    assert "| South | 0.93 | 1.1 |" in rendered
    # the table's cells are not repeated as loose lines
    assert parsed.text.count("South") == 1


def test_two_columns_are_read_left_column_first() -> None:
    left = "Left column begins. " + " ".join(f"Alpha point {i} is on the left." for i in range(14))
    right = "Right column begins. " + " ".join(
        f"Beta point {i} is on the right." for i in range(14)
    )
    parsed = parse_pdf("news.pdf", two_column_pdf_bytes(left, right))
    text = parsed.text
    assert text.index("Alpha point 13") < text.index("Right column begins")
    assert "Alpha point 5 is on the left. Alpha point 6" in text  # lines joined, not interleaved
    assert parsed.sections[0].label == "Two Column Newsletter"


def test_running_footer_and_page_numbers_are_dropped() -> None:
    parsed = parse_pdf("report.pdf", pdf_bytes(PAGES, footer="Acme confidential - page {page}"))
    assert "confidential" not in parsed.text


def test_encrypted_pdf_without_password_is_refused_naming_the_file() -> None:
    with pytest.raises(
        EncryptedDocument, match=r"minutes\.pdf: encrypted PDF; .*DOCORCH_PDF_PASSWORDS"
    ):
        parse_pdf("minutes.pdf", pdf_bytes(PAGES, user_password="s3cret"))


def test_encrypted_pdf_with_a_wrong_password_is_refused() -> None:
    with pytest.raises(EncryptedDocument, match="does not open it"):
        parse_pdf("minutes.pdf", pdf_bytes(PAGES, user_password="s3cret"), "guess")


def test_owner_only_protection_opens_without_a_password() -> None:
    parsed = parse_pdf("locked.pdf", pdf_bytes(PAGES, owner_password="owner"))
    assert "EUR 87,600" in parsed.text


def test_configured_password_opens_an_encrypted_pdf_at_ingest(
    context: ToolContext,
    docs_dir: Path,
) -> None:
    path = docs_dir / "board-minutes.pdf"
    path.write_bytes(
        pdf_bytes(
            [[("Budget", "The Q4 budget of EUR 95,000 was approved.")]], user_password="s3cret"
        )
    )
    with pytest.raises(EncryptedDocument, match=r"board-minutes\.pdf"):
        resolve_one(context, str(path))
    settings = context.settings.model_copy(update={"pdf_passwords": {"board-*.pdf": "s3cret"}})
    ref = resolve_one(dataclasses.replace(context, settings=settings), str(path))
    assert ref.format == "pdf"
    assert "EUR 95,000" in (context.store.text(ref.id) or "")


def test_damaged_pdf_is_a_corrupt_document() -> None:
    whole = pdf_bytes(PAGES)
    with pytest.raises(CorruptDocument, match=r"cut\.pdf: damaged PDF"):
        parse_pdf("cut.pdf", whole[: len(whole) // 2])
    with pytest.raises(CorruptDocument, match=r"junk\.pdf: damaged PDF"):
        parse_pdf("junk.pdf", b"%PDF-1.7\n" + bytes(range(256)) * 8)


def test_pdf_without_a_text_layer_says_so() -> None:
    with pytest.raises(
        EmptyDocument, match=r"scan\.pdf: .*no text layer \(scanned\?\); OCR is not supported"
    ):
        parse_pdf("scan.pdf", scanned_pdf_bytes())


def test_pypdf_reads_what_neither_layout_reader_can(monkeypatch: pytest.MonkeyPatch) -> None:
    import pdfplumber
    import pypdfium2

    def broken(*args: object, **kwargs: object) -> None:
        raise ValueError("simulated layout failure")

    monkeypatch.setattr(pypdfium2, "PdfDocument", broken)
    monkeypatch.setattr(pdfplumber, "open", broken)
    parsed = parse_pdf("report.pdf", pdf_bytes(PAGES))
    assert "EUR 87,600" in parsed.text
    assert parsed.page_count == 2
    assert any("used pypdf" in w for w in parsed.warnings)
