"""PDF: text, headings and tables per page with pdfplumber; pypdf when pdfplumber cannot read it.

What the stored text looks like: each page's lines joined into paragraphs (line breaks inside a
paragraph become spaces, hyphenated words are rejoined), headings — lines set clearly larger than
the body, or bold short lines — as ``#`` lines, tables as pipe tables, two-column pages read
column by column, and headers/footers that repeat on most pages dropped. Every page is a page
span, so anchors carry page numbers.

Bad PDFs fail with a BadInput naming the file: EncryptedDocument (no or wrong password),
CorruptDocument (neither reader can open it), EmptyDocument (no text layer: a scan; OCR is not
supported).
"""

from __future__ import annotations

import io
import itertools
import logging
import re
import statistics
from collections import Counter
from dataclasses import dataclass

from activities.documents.builder import TextBuilder, clean_inline, clean_rows
from activities.documents.parsed import ParsedDocument
from activities.documents.pdf_layout import Item, Line, TableBlock, page_items
from activities.errors import BadInput, CorruptDocument, EmptyDocument, EncryptedDocument

HEADING_SIZE_RATIO = 1.15
"""A line this much larger than the body text is a heading."""
MARGIN_SHARE = 0.08
"""Top and bottom share of the page where running headers and footers live."""
_DIGITS = re.compile(r"\d+")
_PAGE_NUMBER = re.compile(
    r"^(?:page\s+)?[-–—(]?\s*\d+\s*[-–—)]?(?:\s*(?:of|/)\s*\d+)?$", re.IGNORECASE
)
_LIST_ITEM = re.compile(r"^(?:[-•*–·▪]|\d+[.)]|[a-z][.)])\s")
_BULLET = re.compile(r"^[-•*–·▪]\s")
_SENTENCE_END = (".", "!", "?", ":", ";")

# pdfminer logs every odd object it skips; the parse warnings say what matters
for _noisy in ("pdfminer", "pypdf"):
    logging.getLogger(_noisy).setLevel(logging.ERROR)


@dataclass
class _Page:
    number: int
    height: float
    items: list[Item]
    two_columns: bool = False


# ---- opening ---------------------------------------------------------------------------------


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


def _read_pdfplumber(
    data: bytes, password: str | None
) -> tuple[list[_Page], str | None, list[str]]:
    import pdfplumber

    pages: list[_Page] = []
    warnings: list[str] = []
    with pdfplumber.open(io.BytesIO(data), password=password or "") as pdf:
        title = pdf.metadata.get("Title") if isinstance(pdf.metadata, dict) else None
        for page in pdf.pages:
            try:
                tables = [(t.bbox, clean_rows(t.extract())) for t in page.find_tables()]
                words = page.extract_words(extra_attrs=["size", "fontname"])
                items, two_columns = page_items(
                    words, [t for t in tables if t[1]], float(page.width)
                )
            except Exception as error:
                warnings.append(f"page {page.page_number}: layout extraction failed ({error})")
                items, two_columns = _pypdf_page_items(data, password, page.page_number - 1), False
            pages.append(_Page(page.page_number, float(page.height), items, two_columns))
            page.close()
    return pages, title if isinstance(title, str) else None, warnings


def _pypdf_reader(data: bytes, password: str | None):  # type: ignore[no-untyped-def]
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data), strict=False)
    if reader.is_encrypted:
        reader.decrypt(password or "")
    return reader


def _plain_items(text: str) -> list[Item]:
    """pypdf text as lines without geometry: blank lines separate paragraphs."""
    items: list[Item] = []
    top = 0.0
    for raw in text.split("\n"):
        top += 12.0 if raw.strip() else 24.0
        if raw.strip():
            items.append(Line(raw.strip(), top, top + 10.0, 0.0, 0.0, 10.0, False))
    return items


def _pypdf_page_items(data: bytes, password: str | None, index: int) -> list[Item]:
    try:
        return _plain_items(_pypdf_reader(data, password).pages[index].extract_text() or "")
    except Exception:
        return []


def _read_pypdf(data: bytes, password: str | None) -> tuple[list[_Page], str | None]:
    reader = _pypdf_reader(data, password)
    pages = []
    for number, page in enumerate(reader.pages, start=1):
        try:
            text = page.extract_text() or ""
        except Exception:
            text = ""
        pages.append(_Page(number, 800.0, _plain_items(text)))
    title = reader.metadata.title if reader.metadata else None
    return pages, title


# ---- cleaning and structure ------------------------------------------------------------------


def _margin_key(line: Line, height: float) -> str | None:
    if line.top > height * MARGIN_SHARE and line.bottom < height * (1 - MARGIN_SHARE):
        return None
    return _DIGITS.sub("#", line.text.lower())


def _drop_running_lines(pages: list[_Page]) -> None:
    """Remove page numbers and headers/footers repeated on at least half the pages."""
    seen: Counter[str] = Counter()
    for page in pages:
        keys = {_margin_key(i, page.height) for i in page.items if isinstance(i, Line)}
        seen.update(k for k in keys if k)
    repeated = {k for k, n in seen.items() if len(pages) >= 2 and n >= max(2, len(pages) / 2)}
    for page in pages:
        page.items = [
            i
            for i in page.items
            if not (
                isinstance(i, Line)
                and (key := _margin_key(i, page.height)) is not None
                and (key in repeated or _PAGE_NUMBER.match(i.text.strip()))
            )
        ]


def _body_style(pages: list[_Page]) -> tuple[float, bool]:
    """The size and boldness most of the text is set in."""
    sizes: Counter[float] = Counter()
    bold: Counter[bool] = Counter()
    for page in pages:
        for item in page.items:
            if isinstance(item, Line):
                sizes[round(item.size, 1)] += len(item.text)
                bold[item.bold] += len(item.text)
    if not sizes:
        return 10.0, False
    return sizes.most_common(1)[0][0], bold.most_common(1)[0][0]


def _is_heading(line: Line, body_size: float, body_bold: bool) -> bool:
    text = line.text.strip()
    if len(text) > 120 or not any(c.isalpha() for c in text) or _BULLET.match(text):
        return False
    if line.size >= body_size * HEADING_SIZE_RATIO:
        return True
    return line.bold and not body_bold and len(text) <= 80 and not text.endswith(_SENTENCE_END)


def _heading_levels(pages: list[_Page], body_size: float, body_bold: bool) -> dict[float, int]:
    """Heading size -> level: the largest size is level 1; bold body-size headings come last."""
    sizes = {
        round(i.size, 1)
        for p in pages
        for i in p.items
        if isinstance(i, Line) and _is_heading(i, body_size, body_bold)
    }
    return {size: level for level, size in enumerate(sorted(sizes, reverse=True)[:6], start=1)}


def _join_line(paragraph: str, text: str) -> str:
    if not paragraph:
        return text
    if (
        paragraph.endswith("-")
        and len(paragraph) > 1
        and paragraph[-2].isalpha()
        and text[:1].islower()
    ):
        return paragraph[:-1] + text
    return f"{paragraph} {text}"


def _paragraph_gap(lines: list[Line]) -> float:
    gaps = [b.top - a.bottom for a, b in itertools.pairwise(lines) if 0 <= b.top - a.bottom < 40]
    return statistics.median(gaps) if gaps else 4.0


def _emit_page(
    builder: TextBuilder, page: _Page, body: tuple[float, bool], levels: dict[float, int]
) -> None:
    body_size, body_bold = body
    builder.start_page(page.number)
    lines = [i for i in page.items if isinstance(i, Line)]
    threshold = _paragraph_gap(lines) + max(2.0, 0.35 * body_size)
    paragraph = ""
    previous: Item | None = None
    heading: tuple[int, str, Line] | None = None

    def flush() -> None:
        nonlocal paragraph, heading
        if heading:
            builder.heading(heading[0], heading[1])
            heading = None
        if paragraph:
            builder.paragraph(paragraph)
            paragraph = ""

    for item in page.items:
        if isinstance(item, TableBlock):
            flush()
            builder.table(item.rows, page=page.number)
            previous = item
            continue
        text = clean_inline(item.text)
        if _is_heading(item, body_size, body_bold):
            level = levels.get(round(item.size, 1), len(levels) or 1)
            if heading and heading[0] == level and 0 <= item.top - heading[2].bottom < item.size:
                heading = (level, f"{heading[1]} {text}", item)  # a heading wrapped over two lines
            else:
                flush()
                heading = (level, text, item)
            previous = item
            continue
        if heading:
            flush()
        if paragraph and isinstance(previous, Line):
            gap = item.top - previous.bottom
            column_jump = gap < -previous.size
            new_paragraph = (
                gap > threshold
                or _LIST_ITEM.match(text) is not None
                or abs(item.size - previous.size) > 1.0
                or (column_jump and paragraph.endswith(_SENTENCE_END))
            )
            if new_paragraph:
                flush()
        paragraph = _join_line(paragraph, text)
        previous = item
    flush()
    builder.end_page()


# ---- entry point -----------------------------------------------------------------------------


def parse_pdf(name: str, data: bytes, password: str | None = None) -> ParsedDocument:
    """Parse a PDF; ``password`` opens an encrypted one. Raises BadInput naming ``name``."""
    password = _unlock(name, data, password)
    warnings: list[str] = []
    try:
        pages, title, page_warnings = _read_pdfplumber(data, password)
        warnings += [f"{name}: {w}; used pypdf plain text for it" for w in page_warnings]
    except BadInput:
        raise
    except Exception as first:
        try:
            pages, title = _read_pypdf(data, password)
        except Exception as second:
            raise CorruptDocument(
                f"{name}: damaged PDF that neither pdfplumber nor pypdf can read "
                f"({first}; {second})"
            ) from None
        warnings.append(f"{name}: pdfplumber could not read it ({first}); used pypdf plain text")
    if not pages:
        raise CorruptDocument(f"{name}: damaged PDF: no pages could be read")
    _drop_running_lines(pages)
    if not any(page.items for page in pages):
        raise EmptyDocument(f"{name}: PDF has no text layer (scanned?); OCR is not supported")
    blank = [str(p.number) for p in pages if not p.items]
    if blank:
        warnings.append(
            f"{name}: page(s) {', '.join(blank)} have no text layer (scanned?); OCR is not "
            "supported, so their content is missing"
        )
    body = _body_style(pages)
    levels = _heading_levels(pages, *body)
    builder = TextBuilder()
    for page in pages:
        _emit_page(builder, page, body, levels)
    if not builder.has_text:
        raise EmptyDocument(f"{name}: PDF has no text layer (scanned?); OCR is not supported")
    title = clean_inline(title or "") or None
    return builder.build(format="pdf", title=title, warnings=warnings)
