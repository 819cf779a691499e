"""The slower PDF readers docorch falls back on when PDFium cannot open a document.

* pdfplumber: per-character layout of every page (the parser before issue 15; about 10–20
  pages/s) — same words, tables and reading order as the fast path;
* pypdf: plain text per page, no geometry — for documents neither layout reader can open, and for
  single pages pdfplumber fails on.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable

from activities.documents.builder import clean_rows
from activities.documents.pdf_layout import (
    Item,
    PageLayout,
    page_items,
    pdfplumber_words,
    plain_items,
)

# pdfminer logs every odd object it skips; the parse warnings say what matters
for _noisy in ("pdfminer", "pypdf"):
    logging.getLogger(_noisy).setLevel(logging.ERROR)


def read_pdfplumber(
    data: bytes, password: str | None, on_page: Callable[[int, int], None] | None = None
) -> tuple[list[PageLayout], str | None, list[str]]:
    """Every page's layout from pdfplumber, the title, and warnings for pages read by pypdf;
    ``on_page(done, total)`` after each page."""
    import pdfplumber

    pages: list[PageLayout] = []
    warnings: list[str] = []
    with pdfplumber.open(io.BytesIO(data), password=password or "") as pdf:
        title = pdf.metadata.get("Title") if isinstance(pdf.metadata, dict) else None
        for page in pdf.pages:
            try:
                tables = [(t.bbox, clean_rows(t.extract())) for t in page.find_tables()]
                words = page.extract_words(extra_attrs=["size", "fontname"])
                items, two_columns = page_items(
                    pdfplumber_words(words), [t for t in tables if t[1]], float(page.width)
                )
            except Exception as error:
                warnings.append(f"page {page.page_number}: layout extraction failed ({error})")
                items, two_columns = _pypdf_page_items(data, password, page.page_number - 1), False
            pages.append(PageLayout(page.page_number, float(page.height), items, two_columns))
            page.close()
            if on_page is not None:
                on_page(page.page_number, len(pdf.pages))
    return pages, title if isinstance(title, str) else None, warnings


def _pypdf_reader(data: bytes, password: str | None):  # type: ignore[no-untyped-def]
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data), strict=False)
    if reader.is_encrypted:
        reader.decrypt(password or "")
    return reader


def _pypdf_page_items(data: bytes, password: str | None, index: int) -> list[Item]:
    try:
        return plain_items(_pypdf_reader(data, password).pages[index].extract_text() or "")
    except Exception:
        return []


def read_pypdf(data: bytes, password: str | None) -> tuple[list[PageLayout], str | None]:
    """Every page's plain text from pypdf (no headings by size, no tables), and the title."""
    reader = _pypdf_reader(data, password)
    pages = []
    for number, page in enumerate(reader.pages, start=1):
        try:
            text = page.extract_text() or ""
        except Exception:
            text = ""
        pages.append(PageLayout(number, 800.0, plain_items(text)))
    title = reader.metadata.title if reader.metadata else None
    return pages, title
