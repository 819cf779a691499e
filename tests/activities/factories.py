"""Documents made on the fly for the document-layer tests (fpdf2, python-docx), and helpers."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

from activities.context import ToolContext
from activities.documents.embeddings import semantic_model
from activities.documents.ingestion import ingest_file
from models.documents import Citation, DocumentRef

Section = tuple[str, str]
"""(heading, paragraph text)"""


def pdf_bytes(
    pages: Sequence[Sequence[Section]],
    *,
    title: str | None = None,
    table: Sequence[Sequence[str]] | None = None,
    footer: str | None = None,
    user_password: str | None = None,
    owner_password: str | None = None,
) -> bytes:
    """A PDF with a 16 pt title, 13 pt bold headings and 11 pt body text, one list of sections per
    page; ``table`` goes at the end of the last page; ``footer`` (with {page}) on every page."""
    from fpdf import FPDF

    class Document(FPDF):
        def footer(self) -> None:
            if footer:
                self.set_y(-15)
                self.set_font("Helvetica", "", 8)
                self.cell(0, 8, footer.format(page=self.page_no()), align="C")

    pdf = Document()
    for number, sections in enumerate(pages):
        pdf.add_page()
        if number == 0 and title:
            pdf.set_font("Helvetica", "B", 16)
            pdf.multi_cell(0, 8, title, new_x="LMARGIN", new_y="NEXT")
        for heading, text in sections:
            pdf.set_font("Helvetica", "B", 13)
            pdf.multi_cell(0, 7, heading, new_x="LMARGIN", new_y="NEXT")
            pdf.set_font("Helvetica", "", 11)
            pdf.multi_cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(3)
    if table:
        pdf.set_font("Helvetica", "", 10)
        with pdf.table() as grid:
            for row in table:
                cells = grid.row()
                for cell in row:
                    cells.cell(cell)
    if user_password or owner_password:
        pdf.set_encryption(owner_password=owner_password or "owner", user_password=user_password)
    return bytes(pdf.output())


def two_column_pdf_bytes(left: str, right: str, title: str = "Two Column Newsletter") -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 10, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    top = pdf.get_y() + 4
    pdf.set_xy(10, top)
    pdf.multi_cell(90, 5, left)
    pdf.set_xy(110, top)
    pdf.multi_cell(90, 5, right)
    return bytes(pdf.output())


def scanned_pdf_bytes() -> bytes:
    """A page with only an image and a drawing: what a scan without OCR looks like."""
    from fpdf import FPDF
    from PIL import Image

    pdf = FPDF()
    pdf.add_page()
    pdf.image(Image.new("RGB", (200, 100), "white"), x=10, y=10, w=100)
    pdf.rect(10, 80, 50, 20)
    return bytes(pdf.output())


def docx_bytes(blocks: Sequence[tuple[str, object]], *, title: str | None = None) -> bytes:
    """A Word document from ('title'|'h1'|'h2'|'p'|'bullet'|'table', content) blocks."""
    import docx

    document = docx.Document()
    if title:
        document.core_properties.title = title
    for kind, content in blocks:
        if kind == "title":
            document.add_heading(str(content), 0)
        elif kind in ("h1", "h2", "h3"):
            document.add_heading(str(content), int(kind[1]))
        elif kind == "bullet":
            document.add_paragraph(str(content), style="List Bullet")
        elif kind == "table":
            rows = list(content)  # type: ignore[call-overload]
            grid = document.add_table(rows=len(rows), cols=len(rows[0]))
            for r, row in enumerate(rows):
                for c, text in enumerate(row):
                    grid.cell(r, c).text = text
        else:
            document.add_paragraph(str(content))
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def ingest(context: ToolContext, folder: Path, name: str, data: bytes | str) -> DocumentRef:
    """Write ``data`` as ``folder/name`` and ingest it."""
    path = folder / name
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)
    return ingest_file(
        context.store,
        path,
        max_bytes=context.settings.max_document_bytes,
        model=semantic_model(context.settings),
    )


def assert_citations_exact(context: ToolContext, citations: Sequence[Citation]) -> None:
    """Every citation quotes exactly the stored text at its anchor."""
    for citation in citations:
        anchor = citation.anchor
        text = context.store.text(citation.document_id)
        assert text is not None, f"{citation.document_id} is not in the store"
        assert text[anchor.char_start : anchor.char_end] == citation.quote
