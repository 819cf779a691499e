"""DOCX: paragraphs and tables in body order with python-docx; heading styles become sections.

A paragraph is a heading when its style is ``Title`` or ``Heading N`` (or it carries an outline
level); bulleted list paragraphs get a ``- `` prefix. Tables keep their cells (horizontally
merged cells once). Word files have no fixed pages, so DOCX anchors carry sections, not pages.
The core properties (author, title, dates, ...) open the text as header fields
(``activities.documents.metadata``).
"""

from __future__ import annotations

import io
import re
import zipfile
from typing import Any

from activities.documents.builder import TextBuilder, clean_inline
from activities.documents.metadata import docx_fields
from activities.documents.parsed import ParsedDocument
from activities.errors import (
    BadInput,
    CorruptDocument,
    DocumentTooComplex,
    DocumentTooLarge,
    EmptyDocument,
)

_HEADING_STYLE = re.compile(r"^heading\s*(\d)$", re.IGNORECASE)
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _style_names(document: Any) -> dict[str, str]:
    """Style id -> style name, read once (python-docx looks styles up per paragraph, slowly)."""
    return {style.style_id: (style.name or "").strip() for style in document.styles}


def _style(paragraph: Any, names: dict[str, str]) -> str:
    style_id = paragraph._p.style
    return names.get(style_id, style_id) if style_id else "Normal"


def _heading_level(paragraph: Any, style: str, shift: int) -> int | None:
    """1 for the Title, Heading N one below it (N + shift) — shift is 1 when a Title is used."""
    if style.lower() == "title":
        return 1
    match = _HEADING_STYLE.match(style)
    if match:
        return int(match.group(1)) + shift
    properties = paragraph._p.pPr
    outline = properties.find(f"{_W}outlineLvl") if properties is not None else None
    if outline is not None:
        value = outline.get(f"{_W}val")
        if value is not None and value.isdigit() and int(value) < 9:
            return int(value) + 1 + shift
    return None


def _table_rows(table: Any) -> list[list[str]]:
    """Cell text per grid column. A horizontally merged cell (listed once per column it spans)
    keeps its text in its first column and leaves the others empty, so every later cell stays
    under its own header; a vertically merged one repeats in each row it spans."""
    rows: list[list[str]] = []
    for row in table.rows:
        cells: list[str] = []
        previous = None
        for cell in row.cells:
            cells.append("" if cell._tc is previous else clean_inline(cell.text))
            previous = cell._tc
        rows.append(cells)
    return rows


_XML_LIMITS = ("XML_PARSE_HUGE", "Resource limit exceeded", "Excessive depth")
# libxml2 out of memory: its own message, or none at all when even that could not be allocated
_XML_OUT_OF_MEMORY = ("Memory allocation failed", "unknown error")


def _xml_error(name: str, error: Exception) -> BadInput:
    """lxml's refusal as a typed error: its safety limits (a text node over 10 MB, nesting past
    256 levels) make the document too complex, running out of memory too large; any other
    syntax error means it is damaged."""
    message = str(error)
    if any(mark in message for mark in _XML_OUT_OF_MEMORY):
        return DocumentTooLarge(f"{name}: the XML parser ran out of the memory allowed for it")
    if any(mark in message for mark in _XML_LIMITS):
        return DocumentTooComplex(
            f"{name}: beyond the XML parser's limits ({message.split(',')[0]}): a single run of "
            "text over 10 MB or nesting over 256 levels"
        )
    return CorruptDocument(f"{name}: damaged DOCX, its XML does not parse ({message})")


def _open(name: str, data: bytes) -> Any:
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from lxml.etree import XMLSyntaxError

    try:
        return docx.Document(io.BytesIO(data))
    except XMLSyntaxError as error:
        raise _xml_error(name, error) from None
    except (zipfile.BadZipFile, PackageNotFoundError, KeyError, ValueError) as error:
        raise CorruptDocument(f"{name}: damaged DOCX that cannot be opened ({error})") from None


def parse_docx(name: str, data: bytes) -> ParsedDocument:
    """Parse a Word document. Raises CorruptDocument or EmptyDocument naming ``name``."""
    from docx.table import Table as DocxTable

    document = _open(name, data)
    builder = TextBuilder()
    title: str | None = None
    try:
        properties = docx_fields(document)
        builder.fields(properties)
        names = _style_names(document)
        shift = int(any(_style(p, names).lower() == "title" for p in document.paragraphs[:50]))
        for block in document.iter_inner_content():
            if isinstance(block, DocxTable):
                builder.table(_table_rows(block))
                continue
            text = block.text
            style = _style(block, names)
            level = _heading_level(block, style, shift)
            if level is not None:
                title = title or (clean_inline(text) if level == 1 else None)
                builder.heading(level, text)
            elif "list bullet" in style.lower():
                builder.paragraph(f"- {text}")
            else:
                builder.paragraph(text)
    except (KeyError, ValueError, AttributeError) as error:
        raise CorruptDocument(f"{name}: damaged DOCX ({type(error).__name__}: {error})") from None
    if not builder.has_body:
        raise EmptyDocument(f"{name}: the document has no text")
    core_title = dict(properties).get("Title")
    return builder.build(format="docx", title=core_title or title, warnings=[])
