"""The fast PDF path (PDFium) against the per-character pdfplumber layout, table-page detection,
fallbacks and per-page progress — on PDFs generated here (fpdf2, and hand-written PDF syntax for
what fpdf2 does not write: form XObjects, text scaled by its matrix)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

import pytest

from activities.documents import pdf_parser, pdf_pdfium
from activities.documents.parsed import ParsedDocument
from activities.documents.pdf_parser import parse_pdf
from activities.documents.pdf_tables import Edge, find_tables
from activities.documents.progress import report_pages, tracking
from bench.pdf_ingest import report_pdf, table_rows
from tests.activities.factories import pdf_bytes, two_column_pdf_bytes

PAGES = [
    [
        ("1. Scope", "This report covers the platform operations of the third quarter."),
        ("2. Volume", "The platform ingested 2.4 million pages, up from 2.03 million."),
    ],
    [("3. Costs", "Total operating cost was EUR 87,600 against EUR 83,200 in Q2.")],
]
TABLE = [("Region", "Q2", "Q3"), ("North", "1.1", "1.3"), ("South", "0.93", "1.1")]
BODY = "The committee reviewed the storage budget and approved the revised capacity plan."
LAST_LINE = "Spending stays within the limit set in March."


def raw_pdf(content: bytes, form: bytes = b"", form_matrix: bytes = b"1 0 0 1 0 0") -> bytes:
    """A one-page US Letter PDF written by hand: ``content`` is the page's content stream, with
    Helvetica as /F1 and Helvetica-Bold as /F2; ``form`` (when given) is a form XObject /Fm1."""
    fonts = b"/Font << /F1 5 0 R /F2 6 0 R >>"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << " + fonts + b" /XObject << /Fm1 7 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold >>",
        b"<< /Type /XObject /Subtype /Form /BBox [0 0 612 792] /Matrix [%s] /Resources << %s >> "
        b"/Length %d >>\nstream\n%s\nendstream" % (form_matrix, fonts, len(form), form),
    ]
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _body_lines(x: int, y: int, size: int = 11) -> bytes:
    words = BODY.split()
    lines = [" ".join(words[:6]), " ".join(words[6:])]
    return b" ".join(
        b"BT /F1 %d Tf %d %d Td (%s) Tj ET" % (size, x, y - 14 * i, line.encode())
        for i, line in enumerate(lines)
    )


def form_xobject_pdf() -> bytes:
    """A heading and two lines of a paragraph inside a form XObject that the form's /Matrix
    scales by 1.25 and the page's ``cm`` moves; the paragraph's last line is on the page itself,
    at the size and place the form's lines end up at. The heading is set at 1 pt and scaled by
    its text matrix (to 16 pt, then 20 pt by the form)."""
    form = b"BT /F2 1 Tf 16 0 0 16 60 560 Tm (Budget Review) Tj ET " + _body_lines(60, 530, 9)
    page = b"q 1 0 0 1 12 40 cm /Fm1 Do Q BT /F1 11.25 Tf 87 667.5 Td (%s) Tj ET" % (
        LAST_LINE.encode()
    )
    return raw_pdf(page, form, b"1.25 0 0 1.25 0 0")


def kerned_words_pdf() -> bytes:
    """Words spaced by TJ kerning instead of space characters, as TeX writes them."""

    def line(words: str, y: int) -> bytes:
        spaced = b"-333".join(b"(%s)" % w.encode() for w in words.split())
        return b"BT /F1 11 Tf 72 %d Td [%s] TJ ET" % (y, spaced)

    words = BODY.split()
    return raw_pdf(
        b"BT /F2 16 Tf 72 720 Td (Kerned Minutes) Tj ET "
        + line(" ".join(words[:7]), 690)
        + b" "
        + line(" ".join(words[7:]), 676)
    )


def producer_quirks_pdf() -> bytes:
    """What real producers write: a word whose run ends in a space and its neighbour set close
    (the boxes touch); bold headings, one with a word slanted by a shear (a synthetic italic);
    a word hyphenated at a line end."""
    institut = 35.352 + 1.0  # "Institut" in 12 pt Helvetica, and a point
    return raw_pdf(
        b"BT /F2 12 Tf 72 720 Td (First Part) Tj ET "
        b"BT /F1 12 Tf 72 700 Td (Institut ) Tj ET BT /F1 12 Tf %.3f 700 Td (fur Stochastik) Tj ET "
        b"BT /F2 12 Tf 72 670 Td (Second Part with ) Tj ET "
        b"BT /F2 12 Tf 1 0 0.333 1 176.7 670 Tm (GeoLing) Tj ET "
        b"BT /F1 12 Tf 72 650 Td (The tests run auto-) Tj ET "
        b"BT /F1 12 Tf 72 636 Td (mated every night.) Tj ET" % (72 + institut)
    )


def glyph_by_glyph_pdf() -> bytes:
    """Every character its own text object (as some PDF producers write), no space characters:
    words are told apart by the gaps alone."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()

    def place(text: str, y: float, style: str, size: int) -> None:
        pdf.set_font("Helvetica", style, size)
        x = 20.0
        for word in text.split():
            for char in word:
                pdf.text(x, y, char)
                x += pdf.get_string_width(char)
            x += pdf.get_string_width(" ")

    place("Quarterly Budget", 30, "B", 18)
    place("The committee approved the revised capacity plan", 45, "", 12)
    place("and the storage budget for next year", 52, "", 12)
    return bytes(pdf.output())


def rotated_pages_pdf() -> bytes:
    """Three pages shown turned by /Rotate 90, 180 and 270 whose content is drawn turned the
    other way, so each reads upright: a heading, a paragraph and a table."""
    import io

    import pypdfium2
    from fpdf import FPDF

    angles = (90, 180, 270)
    pdf = FPDF()
    for angle in angles:
        pdf.add_page()
        with pdf.rotation(angle=angle, x=105, y=148.5):
            pdf.set_xy(10, 110)
            pdf.set_font("Helvetica", "B", 16)
            pdf.multi_cell(0, 8, f"Turned by {angle}", new_x="LMARGIN", new_y="NEXT")
            pdf.set_font("Helvetica", "", 11)
            pdf.multi_cell(0, 6, f"{BODY} {BODY}", new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
            with pdf.table() as grid:
                for row in TABLE:
                    cells = grid.row()
                    for cell in row:
                        cells.cell(cell)
    document = pypdfium2.PdfDocument(bytes(pdf.output()))
    for index, angle in enumerate(angles):
        document[index].set_rotation(angle)
    buffer = io.BytesIO()
    document.save(buffer)
    document.close()
    return buffer.getvalue()


def _column_text(side: str) -> str:
    return f"{side} column begins. " + " ".join(f"{side} point {i} is here." for i in range(14))


DOCUMENTS: dict[str, Callable[[], bytes]] = {
    "headings, table and footer": lambda: pdf_bytes(
        PAGES, title="Q3 Report", table=TABLE, footer="Acme confidential - page {page}"
    ),
    "two columns": lambda: two_column_pdf_bytes(_column_text("Left"), _column_text("Right")),
    "report with tables and columns": lambda: report_pdf(12),
    "form XObject and scaled text": form_xobject_pdf,
    "glyph by glyph": glyph_by_glyph_pdf,
    "words spaced by kerning": kerned_words_pdf,
    "producer quirks": producer_quirks_pdf,
    "rotated pages": rotated_pages_pdf,
}


def _shape(parsed: ParsedDocument) -> tuple[object, ...]:
    return (
        parsed.text,
        parsed.title,
        [(s.label, s.start, s.end) for s in parsed.sections],
        [(p.label, p.start, p.end) for p in parsed.pages],
        [(t.rows, t.page, t.start, t.end) for t in parsed.tables],
    )


@pytest.mark.parametrize("kind", list(DOCUMENTS))
@pytest.mark.parametrize("by", ["text object", "character"])
def test_the_fast_reader_stores_what_the_pdfplumber_layout_stores(
    kind: str, by: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if by == "character":  # as for pages with very many text objects
        monkeypatch.setattr(pdf_pdfium, "CHAR_PATH_OBJECTS", 0)
    data = DOCUMENTS[kind]()
    fast = parse_pdf("doc.pdf", data)
    assert _shape(fast) == _shape(parse_pdf("doc.pdf", data, layout="pdfplumber"))
    assert fast.warnings == []


def test_text_in_a_form_xobject_is_placed_and_sized_by_its_matrices() -> None:
    parsed = parse_pdf("form.pdf", form_xobject_pdf())
    assert parsed.text == f"# Budget Review\n\n{BODY} {LAST_LINE}"
    assert [s.label for s in parsed.sections] == ["Budget Review"]


def test_pages_turned_by_rotate_read_upright() -> None:
    parsed = parse_pdf("turned.pdf", rotated_pages_pdf())
    assert [s.label for s in parsed.sections] == [f"Turned by {a}" for a in (90, 180, 270)]
    assert [(t.page, t.rows) for t in parsed.tables] == [
        (p, [list(r) for r in TABLE]) for p in (1, 2, 3)
    ]
    assert f"{BODY} {BODY}" in parsed.text


def test_producer_quirks_read_as_written() -> None:
    assert parse_pdf("quirks.pdf", producer_quirks_pdf()).text == (
        "# First Part\n\nInstitut fur Stochastik\n\n# Second Part with GeoLing\n\n"
        "The tests run automated every night."
    )


def test_words_spaced_by_kerning_keep_their_spaces() -> None:
    assert parse_pdf("kerned.pdf", kerned_words_pdf()).text == f"# Kerned Minutes\n\n{BODY}"


def test_glyphs_set_one_by_one_come_back_as_words() -> None:
    parsed = parse_pdf("glyphs.pdf", glyph_by_glyph_pdf())
    fields, body = parsed.text.split("\n\n", 1)
    assert fields.startswith("Created: ")  # fpdf2's information dictionary
    assert body == (
        "# Quarterly Budget\n\nThe committee approved the revised capacity plan and the storage "
        "budget for next year"
    )


def table_detection_pdf() -> bytes:
    """Five pages: plain text; a table; text with a horizontal rule and a vertical bar that do
    not cross; two tables; underlined text (underlines are drawn as lines or thin boxes)."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", "", 11)

    def text(words: str) -> None:
        pdf.multi_cell(0, 6, f"{words} {BODY}", new_x="LMARGIN", new_y="NEXT")

    def grid(page: int) -> None:
        with pdf.table() as table:
            for row in table_rows(page):
                cells = table.row()
                for cell in row:
                    cells.cell(cell)

    pdf.add_page()
    text("Plain page.")
    pdf.add_page()
    text("A table follows.")
    grid(2)
    pdf.add_page()
    text("Ruled page.")
    pdf.line(10, 40, 200, 40)  # a horizontal rule across the page
    pdf.line(5, 50, 5, 120)  # a vertical bar in the margin, touching nothing
    text("After the rule.")
    pdf.add_page()
    text("Two tables.")
    grid(4)
    pdf.ln(4)
    grid(40)
    pdf.add_page()
    pdf.set_font("Helvetica", "U", 11)
    text("Underlined text only.")
    return bytes(pdf.output())


def test_only_pages_with_ruled_tables_give_tables() -> None:
    parsed = parse_pdf("mixed.pdf", table_detection_pdf())
    assert [(t.page, t.rows) for t in parsed.tables] == [
        (2, table_rows(2)),
        (4, table_rows(4)),
        (4, table_rows(40)),
    ]
    assert parsed.page_count == 5
    for words in ("Plain page.", "Ruled page.", "After the rule.", "Underlined text only."):
        assert words in parsed.text


def test_the_table_finder_needs_crossing_rules() -> None:
    grid = [Edge("h", 10, y, 110, y) for y in (10, 30, 50)] + [
        Edge("v", x, 10, x, 50) for x in (10, 60, 110)
    ]
    (table,) = find_tables(grid)
    assert table.box == (10, 10, 110, 50)
    assert table.cells == [
        [(10, 10, 60, 30), (60, 10, 110, 30)],
        [(10, 30, 60, 50), (60, 30, 110, 50)],
    ]
    assert find_tables([Edge("h", 10, 10, 500, 10), Edge("v", 5, 40, 5, 200)]) == []
    assert find_tables([Edge("h", 10, y, 500, y) for y in (10, 30, 50)]) == []


def test_pdfplumber_reads_what_pdfium_cannot(monkeypatch: pytest.MonkeyPatch) -> None:
    import pypdfium2

    data = pdf_bytes(PAGES, table=TABLE)
    expected = parse_pdf("report.pdf", data)

    def broken(*args: object, **kwargs: object) -> None:
        raise ValueError("simulated PDFium failure")

    monkeypatch.setattr(pypdfium2, "PdfDocument", broken)
    parsed = parse_pdf("report.pdf", data)
    assert _shape(parsed) == _shape(expected)
    assert parsed.warnings == [
        "report.pdf: PDFium could not read it (pypdfium2: simulated PDFium failure); "
        "used pdfplumber"
    ]


def test_a_page_whose_layout_fails_keeps_its_plain_text(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(edges: list[Edge]) -> None:
        raise ValueError("simulated table failure")

    monkeypatch.setattr(pdf_pdfium, "find_tables", broken)  # runs only on pages with rules
    parsed = parse_pdf("regions.pdf", pdf_bytes(PAGES, table=TABLE))
    assert parsed.warnings == [
        "regions.pdf: page 2: layout extraction failed (simulated table failure); "
        "used its plain text"
    ]
    assert parsed.tables == []
    assert "EUR 87,600" in parsed.text and "0.93" in parsed.text
    assert "This report covers" in parsed.text


async def test_each_parsed_page_is_reported_to_the_tracking_scope_across_threads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[tuple[int, int]] = []

    def recording(done: int, total: int) -> None:
        seen.append((done, total))
        report_pages(done, total)

    monkeypatch.setattr(pdf_parser, "report_pages", recording)
    with tracking() as progress:
        await asyncio.to_thread(parse_pdf, "report.pdf", report_pdf(3))
    assert seen == [(1, 3), (2, 3), (3, 3)]
    assert progress.details() == {"pages_done": 3, "pages_total": 3}
    report_pages(1, 1)  # outside a scope: nothing to report to, and no error
    assert progress.details() == {"pages_done": 3, "pages_total": 3}


def test_parses_in_parallel_threads_agree_with_one_at_a_time() -> None:
    data = report_pdf(8)
    expected = _shape(parse_pdf("report.pdf", data))
    results: list[tuple[object, ...]] = []

    def parse() -> None:
        results.append(_shape(parse_pdf("report.pdf", data)))

    threads = [threading.Thread(target=parse) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [expected] * 4
