"""Choose a parser by extension and check the content agrees with it.

When the name and the content disagree, the content wins where it can be recognised:

* PDF or DOCX content under another supported extension (``report.txt`` that is really a PDF)
  is parsed as what it is, with a parse warning saying so;
* a ``.pdf``/``.docx`` whose content is plain text is parsed as plain text, with a warning;
* a ``.pdf``/``.docx`` whose content is neither is a CorruptDocument; a legacy ``.doc`` or a
  password-protected Office file (OLE2 containers) is UnsupportedDocument/EncryptedDocument;
* text formats (txt, md, rst, html) cannot be told apart by content, so their extension decides;
  binary content under a text extension is UnsupportedDocument.

An extension that is not supported at all is refused, whatever the content.

Hostile content gets a typed error too: packages and PDFs that inflate past the limits are a
DecompressionBomb before any parser runs (see ``limits``); nesting that exhausts Python's stack
is DocumentTooComplex, running out of memory DocumentTooLarge, and anything else a parser library
raises is a CorruptDocument naming the file: no exception of a library leaves ``parse_document``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import structlog

from activities.documents.docx_parser import parse_docx
from activities.documents.html_parser import parse_html
from activities.documents.limits import ParseLimits, check_pdf, check_zip
from activities.documents.parsed import ParsedDocument
from activities.documents.pdf_parser import parse_pdf
from activities.documents.rst_parser import parse_rst
from activities.documents.sniff import ZIP_MAGIC, Content, sniff
from activities.documents.text_parsers import decode_text, parse_markdown, parse_plain_text
from activities.errors import (
    BadInput,
    CorruptDocument,
    DocumentTooComplex,
    DocumentTooLarge,
    EmptyDocument,
    EncryptedDocument,
    UnsupportedDocument,
)

log = structlog.get_logger(__name__)

Parser = Callable[[str, bytes], ParsedDocument]

PARSERS: dict[str, Parser] = {
    ".txt": parse_plain_text,
    ".text": parse_plain_text,
    ".md": parse_markdown,
    ".markdown": parse_markdown,
    ".rst": parse_rst,
    ".rest": parse_rst,
    ".html": parse_html,
    ".htm": parse_html,
    ".xhtml": parse_html,
    ".pdf": parse_pdf,
    ".docx": parse_docx,
}
_BY_CONTENT: dict[Content, str] = {Content.PDF: ".pdf", Content.DOCX: ".docx"}
_FORMAT_NAMES = {".pdf": "PDF", ".docx": "DOCX"}


def supported_extensions() -> list[str]:
    return sorted(PARSERS)


def _parse(
    extension: str, name: str, data: bytes, password: str | None, limits: ParseLimits
) -> ParsedDocument:
    if extension == ".pdf":
        return parse_pdf(name, data, password)
    return PARSERS[extension](name, data)


def _binary_named_but_not(
    name: str, extension: str, data: bytes, content: Content
) -> ParsedDocument:
    """A .pdf/.docx whose bytes are not that format: plain text is read as such, else refused."""
    label = _FORMAT_NAMES[extension]
    if content is Content.ZIP:
        raise CorruptDocument(f"{name}: damaged DOCX, or a ZIP package that is not a Word document")
    try:
        decode_text(name, data)
    except BadInput:
        detail = "no %PDF- header" if extension == ".pdf" else "not a ZIP package"
        raise CorruptDocument(
            f"{name}: not a valid {label} ({detail}); the file is damaged"
        ) from None
    parsed = parse_plain_text(name, data)
    parsed.warnings.insert(
        0, f"{name}: named {extension} but the content is plain text; parsed as text"
    )
    return parsed


def parse_document(
    path: Path, data: bytes, *, password: str | None = None, limits: ParseLimits | None = None
) -> ParsedDocument:
    """Parse ``data`` read from ``path``. Raises a BadInput subclass naming the file, and no
    other exception for any content.

    ``password`` opens an encrypted PDF; other formats ignore it. ``limits`` bound inflated
    sizes (the parse's time and memory are bounded by whoever runs it: ``isolation``).
    """
    name = path.name
    try:
        return _parse_checked(path, data, password, limits or ParseLimits())
    except BadInput:
        raise
    except RecursionError:
        raise DocumentTooComplex(f"{name}: nested too deeply to parse") from None
    except MemoryError:
        raise DocumentTooLarge(f"{name}: needs more memory to parse than allowed") from None
    except Exception as error:
        log.warning("parser_failed", document=name, exc_info=True)
        raise CorruptDocument(
            f"{name}: could not be read ({type(error).__name__}: {str(error)[:200]})"
        ) from None


def _parse_checked(
    path: Path, data: bytes, password: str | None, limits: ParseLimits
) -> ParsedDocument:
    name = path.name
    if not data:
        raise EmptyDocument(f"{name}: the file is empty")
    extension = path.suffix.lower()
    if extension not in PARSERS:
        formats = ", ".join(sorted({e.lstrip(".") for e in PARSERS}))
        raise UnsupportedDocument(
            f"{name}: {path.suffix or 'no extension'} is not a supported format ({formats})"
        )
    if data.startswith(ZIP_MAGIC):  # before anything opens the package
        check_zip(name, data, limits)
    content = sniff(data)
    if content is Content.PDF:
        check_pdf(name, data, limits)
    if content is Content.ENCRYPTED_OFFICE:
        raise EncryptedDocument(
            f"{name}: a password-protected Office file; remove the password and save it as .docx"
        )
    if content is Content.OLE:
        raise UnsupportedDocument(f"{name}: a legacy binary Office file (.doc); save it as .docx")
    actual = _BY_CONTENT.get(content)
    if actual is not None and actual != extension:
        parsed = _parse(actual, name, data, password, limits)
        label = _FORMAT_NAMES[actual]
        parsed.warnings.insert(
            0, f"{name}: named {extension} but the content is {label}; parsed as {label}"
        )
        return parsed
    if extension in _FORMAT_NAMES and actual is None:
        return _binary_named_but_not(name, extension, data, content)
    return _parse(extension, name, data, password, limits)
