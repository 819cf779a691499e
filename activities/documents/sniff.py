"""What a file really is, from its first bytes, whatever its name says.

Only binary container formats are recognised by content (PDF, DOCX, other ZIP packages, OLE2
files such as legacy .doc or password-protected Office files). Text formats (txt, md, rst, html)
cannot be told apart reliably by content — Markdown may contain HTML — so for them the
extension decides.
"""

from __future__ import annotations

import io
import zipfile
from enum import StrEnum

_PDF_MAGIC = b"%PDF-"
ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# the stream an encrypted OOXML file (a password-protected .docx) keeps in its OLE2 container
_OLE_ENCRYPTION_STREAM = "EncryptionInfo".encode("utf-16-le")


class Content(StrEnum):
    PDF = "pdf"
    DOCX = "docx"
    ZIP = "zip"
    OLE = "ole"
    ENCRYPTED_OFFICE = "encrypted-office"
    OTHER = "other"


def sniff(data: bytes) -> Content:
    """The container format of ``data``; OTHER for text and anything unrecognised."""
    # the PDF header may follow a little junk (the spec allows it within the first 1 KiB)
    if _PDF_MAGIC in data[:1024]:
        return Content.PDF
    if data.startswith(ZIP_MAGIC):
        try:
            names = zipfile.ZipFile(io.BytesIO(data)).namelist()
        except (zipfile.BadZipFile, ValueError):
            return Content.ZIP
        return Content.DOCX if "word/document.xml" in names else Content.ZIP
    if data.startswith(_OLE_MAGIC):
        if _OLE_ENCRYPTION_STREAM in data:
            return Content.ENCRYPTED_OFFICE
        return Content.OLE
    return Content.OTHER
