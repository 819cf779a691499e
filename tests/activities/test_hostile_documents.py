"""Hostile documents get a clear typed error (or parse), in bounded time and memory."""

from __future__ import annotations

from pathlib import Path

import pytest

from activities.documents.limits import ParseLimits, check_pdf
from activities.documents.parsers import parse_document
from activities.errors import (
    BAD_INPUT_ERROR_TYPES,
    CorruptDocument,
    DecompressionBomb,
    DocumentTooComplex,
    DocumentTooLarge,
)
from tests.activities.factories import pdf_bytes
from tests.hostile_documents import (
    docx_bomb,
    docx_huge_text_node,
    docx_lying_sizes,
    markdown_redos,
    nested_html,
    pdf_bomb,
)


def test_deeply_nested_html_is_read_and_deep_levels_are_flattened() -> None:
    # 100,000 levels took ~20 minutes (quadratic boilerplate stripping) and overflowed the stack
    parsed = parse_document(Path("deep.html"), nested_html(100_000))
    assert "Top level text." in parsed.text and "Deep text." in parsed.text
    assert any("nested over 256 levels" in w for w in parsed.warnings)


def test_nesting_within_the_depth_limit_keeps_its_structure() -> None:
    page = b"<html><body>" + b"<div>" * 200 + b"<h2>Inner</h2><p>Body.</p>" + b"</div>" * 200
    parsed = parse_document(Path("nested.html"), page + b"</body></html>")
    assert [s.label for s in parsed.sections] == ["Inner"]
    assert parsed.warnings == []


def test_boilerplate_is_stripped_in_one_pass_whatever_the_depth() -> None:
    levels = 50_000
    nav = '<div class="nav">' * levels + "menu" + "</div>" * levels
    header = "<section>" + "<header>" * 300 + "Kept title" + "</header>" * 300 + "</section>"
    page = f"<html><body><p>Body.</p>{nav}{header}</body></html>".encode()
    parsed = parse_document(Path("nav.html"), page)
    assert "menu" not in parsed.text
    assert "Kept title" in parsed.text  # a header inside a section is content


def test_markdown_patterns_do_not_backtrack_on_long_runs_of_spaces() -> None:
    # the old heading pattern took minutes on "# a" + 5,000 spaces; this has 200,000
    parsed = parse_document(Path("notes.md"), markdown_redos(200_000))
    assert parsed.sections[0].label.startswith("Notes")
    assert "Body text." in parsed.text


def test_zip_bomb_docx_is_refused_before_parsing() -> None:
    data = docx_bomb(300_000)
    assert len(data) < 250_000  # a small file, refused from its ZIP headers
    with pytest.raises(DecompressionBomb, match=r"bomb\.docx: word/document\.xml inflates"):
        parse_document(Path("bomb.docx"), data)


def test_inflated_total_over_the_limit_is_refused() -> None:
    limits = ParseLimits(max_inflated_bytes=10_000_000, max_compression_ratio=1e9)
    with pytest.raises(DecompressionBomb, match="DOCORCH_MAX_INFLATED_BYTES"):
        parse_document(Path("bomb.docx"), docx_bomb(100_000), limits=limits)


def test_a_zip_bomb_under_another_name_is_still_refused() -> None:
    with pytest.raises(DecompressionBomb):
        parse_document(Path("report.txt"), docx_bomb(300_000))


def test_zip_member_larger_than_declared_is_a_corrupt_document() -> None:
    # zipfile never inflates past the declared size: the lie shows up as a bad CRC
    with pytest.raises(CorruptDocument, match=r"liar\.docx"):
        parse_document(Path("liar.docx"), docx_lying_sizes())


def test_huge_xml_text_node_is_too_complex() -> None:
    with pytest.raises(DocumentTooComplex, match=r"long\.docx: beyond the XML parser's limits"):
        parse_document(Path("long.docx"), docx_huge_text_node(11_000_000))


def test_pdf_with_a_huge_compressed_stream_is_refused_before_parsing() -> None:
    data = pdf_bomb(1_000_000_000)
    assert len(data) < 1_500_000
    with pytest.raises(DecompressionBomb, match=r"bomb\.pdf: stream 1 inflates"):
        parse_document(Path("bomb.pdf"), data)


def test_pdf_streams_over_the_total_limit_are_refused() -> None:
    limits = ParseLimits(max_inflated_bytes=5_000_000, max_compression_ratio=1e9)
    with pytest.raises(DecompressionBomb, match="DOCORCH_MAX_INFLATED_BYTES"):
        parse_document(Path("bomb.pdf"), pdf_bomb(20_000_000), limits=limits)


def test_a_large_flate_image_is_not_taken_for_a_bomb() -> None:
    # a blank 2000 x 2000 scan (12 MB of pixels) inflates ~1000-fold; text extraction never
    # decodes it
    from fpdf import FPDF
    from PIL import Image

    pdf = FPDF()
    pdf.add_page()
    pdf.image(Image.new("RGB", (2000, 2000), "white"), x=10, y=10, w=100)
    pdf.set_font("Helvetica", "", 11)
    pdf.cell(0, 10, "Scanned page")
    check_pdf("scan.pdf", bytes(pdf.output()), ParseLimits())
    text_pdf = pdf_bytes([[("Intro", "Some text. " * 400)] for _ in range(50)])
    check_pdf("text.pdf", text_pdf, ParseLimits(max_compression_ratio=2))


def test_new_error_types_are_never_retried() -> None:
    for error in (DecompressionBomb, DocumentTooComplex):
        assert error.error_type in BAD_INPUT_ERROR_TYPES
    assert issubclass(DecompressionBomb, DocumentTooLarge)  # the API answers 413 for both
