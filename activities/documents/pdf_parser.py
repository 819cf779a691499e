"""PDF: text, headings and tables per page — PDFium first, pdfplumber and pypdf as fallbacks.

What the stored text looks like: each page's lines joined into paragraphs (line breaks inside a
paragraph become spaces, hyphenated words are rejoined), headings — lines set clearly larger than
the body, or bold short lines — as ``#`` lines, tables as pipe tables, two-column pages read
column by column, and headers/footers that repeat on most pages dropped. Every page is a page
span, so anchors carry page numbers. The information dictionary (author, title, dates, ...)
opens the text as header fields, on no page (``activities.documents.metadata``).

Readers, fastest first: PDFium through pypdfium2 (:mod:`pdf_pdfium`: text runs, fonts and
ruling lines from the page objects, pdfplumber's table finder only on pages with ruling lines);
pdfplumber's per-character layout when PDFium cannot open the file; pypdf plain text when neither
can. Each page parsed is reported to :mod:`progress` (the ingest activity heartbeats it).

Bad PDFs fail with a BadInput naming the file: EncryptedDocument (no or wrong password),
CorruptDocument (no reader can open it), EmptyDocument (no text layer: a scan; OCR is not
supported).
"""

from __future__ import annotations

import io
from typing import Literal

from activities.documents.builder import clean_inline
from activities.documents.metadata import pdf_fields
from activities.documents.parsed import ParsedDocument
from activities.documents.pdf_fallback import read_pdfplumber, read_pypdf
from activities.documents.pdf_layout import PageLayout
from activities.documents.pdf_pdfium import read_pdfium
from activities.documents.pdf_structure import assemble, drop_running_lines
from activities.documents.progress import report_pages
from activities.errors import CorruptDocument, EmptyDocument, EncryptedDocument

Layout = Literal["pdfium", "pdfplumber"]


def _unlock(name: str, data: bytes, password: str | None) -> str | None:
    """The password that opens the PDF (None when it is not encrypted).

    Owner-only protection (restrictions, but the empty user password) opens without one.
    """
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        encrypted = reader.is_encrypted
    except Exception:
        return password  # damaged beyond pypdf; the readers below decide
    if not encrypted:
        return None
    for candidate in ([password] if password else []) + [""]:
        try:
            if reader.decrypt(candidate):
                return candidate
        except Exception as error:
            raise EncryptedDocument(
                f"{name}: encrypted PDF that cannot be decrypted ({error})"
            ) from None
    if password:
        raise EncryptedDocument(
            f"{name}: encrypted PDF and the password given in DOCORCH_PDF_PASSWORDS "
            "does not open it"
        )
    raise EncryptedDocument(
        f"{name}: encrypted PDF; give its password in DOCORCH_PDF_PASSWORDS, "
        f'e.g. {{"{name}": "<password>"}}'
    )


def _read(
    name: str, data: bytes, password: str | None, layout: Layout
) -> tuple[list[PageLayout], str | None, list[str]]:
    """Pages, title and warnings from the first reader that opens the document."""
    failures: list[str] = []
    if layout == "pdfium":
        try:
            pages, title, page_warnings = read_pdfium(data, password, report_pages)
            return pages, title, [f"{name}: {w}; used its plain text" for w in page_warnings]
        except Exception as error:
            failures.append(f"pypdfium2: {error}")
    try:
        pages, title, page_warnings = read_pdfplumber(data, password, report_pages)
        warnings = [f"{name}: {w}; used pypdf plain text for it" for w in page_warnings]
        if failures:
            warnings.insert(0, f"{name}: PDFium could not read it ({failures[0]}); used pdfplumber")
        return pages, title, warnings
    except Exception as error:
        failures.append(f"pdfplumber: {error}")
    try:
        pages, title = read_pypdf(data, password)
    except Exception as error:
        raise CorruptDocument(
            f"{name}: damaged PDF that no reader can open ({'; '.join(failures)}; pypdf: {error})"
        ) from None
    reason = "; ".join(failures)
    return (
        pages,
        title,
        [f"{name}: no layout reader could read it ({reason}); used pypdf plain text"],
    )


def parse_pdf(
    name: str, data: bytes, password: str | None = None, *, layout: Layout = "pdfium"
) -> ParsedDocument:
    """Parse a PDF; ``password`` opens an encrypted one. Raises BadInput naming ``name``.

    ``layout="pdfplumber"`` skips the PDFium reader (the per-character layout on every page:
    slower, for comparison).
    """
    password = _unlock(name, data, password)
    pages, title, warnings = _read(name, data, password, layout)
    if not pages:
        raise CorruptDocument(f"{name}: damaged PDF: no pages could be read")
    drop_running_lines(pages)
    if not any(page.items for page in pages):
        raise EmptyDocument(f"{name}: PDF has no text layer (scanned?); OCR is not supported")
    blank = [str(p.number) for p in pages if not p.items]
    if blank:
        warnings.append(
            f"{name}: page(s) {', '.join(blank)} have no text layer (scanned?); OCR is not "
            "supported, so their content is missing"
        )
    builder = assemble(pages, pdf_fields(data, password))
    if not builder.has_body:
        raise EmptyDocument(f"{name}: PDF has no text layer (scanned?); OCR is not supported")
    title = clean_inline(title or "") or None
    return builder.build(format="pdf", title=title, warnings=warnings)
