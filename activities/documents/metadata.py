"""A document's own metadata — DOCX core properties, the PDF information dictionary — as header
fields: ``Author: …``, ``Created: 2014-09-22`` lines at the top of the stored text, written by
``TextBuilder.fields`` like the header fields of text and HTML documents, so "Who wrote …?" and
"When was … created?" are answered, and cited, the same way.

Only what a person would ask about is kept: title, author, subject, keywords, the dates, and for
PDF the producing software (the ``Creator`` entry names an application, not a person, so it is
shown as ``Application``). Dates are days (``YYYY-MM-DD``).
"""

from __future__ import annotations

import io
import re
from datetime import datetime
from typing import Any

from activities.documents.builder import clean_inline

MAX_VALUE_CHARS = 300
"""A metadata value longer than this (a pasted abstract, garbage) is cut."""

_PDF_DATE = re.compile(r"^(?:D:)?(\d{4})(\d{2})?(\d{2})?")


def pdf_date(raw: object) -> str | None:
    """A PDF date string (``D:20140922104042+02'00'``) as ``2014-09-22``; None when it is not
    one (month and day default to 01 when missing)."""
    match = _PDF_DATE.match(str(raw).strip()) if raw else None
    if match is None:
        return None
    year, month, day = match.group(1), match.group(2) or "01", match.group(3) or "01"
    try:
        return datetime(int(year), int(month), int(day)).strftime("%Y-%m-%d")
    except ValueError:
        return None


def _day(value: datetime | None) -> str | None:
    return value.strftime("%Y-%m-%d") if value is not None else None


def _pairs(entries: list[tuple[str, object]]) -> list[tuple[str, str]]:
    """The entries with a text value, cleaned, each label once."""
    fields: dict[str, str] = {}
    for label, value in entries:
        text = clean_inline(value if isinstance(value, str) else "")[:MAX_VALUE_CHARS]
        if text and label not in fields:
            fields[label] = text
    return list(fields.items())


def docx_fields(document: Any) -> list[tuple[str, str]]:
    """The core properties of a python-docx ``Document`` as fields; none when the file has no
    core properties part (python-docx would invent defaults: the title "Word Document",
    today's date)."""
    from docx.opc.constants import RELATIONSHIP_TYPE

    package = document.part.package
    if not any(rel.reltype == RELATIONSHIP_TYPE.CORE_PROPERTIES for rel in package.rels.values()):
        return []
    core = document.core_properties
    return _pairs(
        [
            ("Title", core.title),
            ("Author", core.author),
            ("Subject", core.subject),
            ("Keywords", core.keywords),
            ("Created", _day(core.created)),
            ("Modified", _day(core.modified)),
            ("Last modified by", core.last_modified_by),
        ]
    )


def pdf_fields(data: bytes, password: str | None) -> list[tuple[str, str]]:
    """The PDF information dictionary as fields (none when it cannot be read: the pages still
    can, and metadata is no reason to refuse a document)."""
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            reader.decrypt(password or "")
        info = reader.metadata
        if info is None:
            return []
        entries: dict[str, Any] = {str(k): info.get(k) for k in info}
    except Exception:
        return []

    def text(key: str) -> object:
        value: Any = entries.get(key)
        try:
            resolved = value.get_object() if hasattr(value, "get_object") else value
        except Exception:
            return None
        return str(resolved) if resolved is not None else None

    return _pairs(
        [
            ("Title", text("/Title")),
            ("Author", text("/Author")),
            ("Subject", text("/Subject")),
            ("Keywords", text("/Keywords")),
            ("Created", pdf_date(text("/CreationDate"))),
            ("Modified", pdf_date(text("/ModDate"))),
            ("Application", text("/Creator")),
            ("Producer", text("/Producer")),
        ]
    )
