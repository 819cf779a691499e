"""Ingestion: a file's bytes parsed, chunked with anchors and put into the document store.

Same bytes, same id: a file whose bytes are stored already is not parsed again.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from pathlib import Path

from activities.documents.chunking import chunk_document
from activities.documents.parsed import ParsedDocument
from activities.documents.parsers import parse_document
from activities.errors import DocumentTooLarge
from models.documents import DocumentRef
from store import DocumentRecord, DocumentStore, content_id


def password_for(name: str, passwords: Mapping[str, str]) -> str | None:
    """The password configured for file ``name``: an exact name, else the first matching glob
    (``"*.pdf"``, ``"*"``), else None."""
    if name in passwords:
        return passwords[name]
    return next((pw for pattern, pw in passwords.items() if fnmatch.fnmatch(name, pattern)), None)


def stored_file(
    store: DocumentStore, path: Path, *, max_bytes: int
) -> tuple[bytes, DocumentRef | None]:
    """``path``'s bytes and the document stored with the same bytes, if there is one. Raises
    DocumentTooLarge over ``max_bytes``, before reading the file."""
    size = path.stat().st_size
    if size > max_bytes:
        raise DocumentTooLarge(
            f"{path.name}: {size / 1e6:.1f} MB is over the limit of {max_bytes / 1e6:.1f} MB "
            "(DOCORCH_MAX_DOCUMENT_BYTES)"
        )
    data = path.read_bytes()
    return data, store.get(content_id(data))


def ingest_file(
    store: DocumentStore,
    path: Path,
    *,
    max_bytes: int,
    passwords: Mapping[str, str] | None = None,
) -> DocumentRef:
    """Parse and index ``path`` unless the same bytes are already stored.

    ``passwords`` maps file names or globs to PDF passwords (DOCORCH_PDF_PASSWORDS). Raises
    DocumentTooLarge over ``max_bytes`` (before reading the file) and the parsers' BadInput
    errors for files that cannot be read as documents.
    """
    data, existing = stored_file(store, path, max_bytes=max_bytes)
    if existing is not None:
        return existing
    password = password_for(path.name, passwords or {})
    return ingest_parsed(store, path, data, parse_document(path, data, password=password))


def ingest_parsed(
    store: DocumentStore, path: Path, data: bytes, parsed: ParsedDocument
) -> DocumentRef:
    """Chunk ``parsed`` (the parse of ``data``, read from ``path``) and store it under the id
    of ``data``; the document already stored under that id when there is one."""
    record = DocumentRecord(
        id=content_id(data),
        name=path.name,
        source=str(path),
        format=parsed.format,
        title=parsed.title,
        pages=parsed.page_count,
        size_bytes=len(data),
        text=parsed.text,
        chunks=chunk_document(parsed),
        tables=parsed.tables,
        warnings=parsed.warnings,
    )
    return store.put_document(record).document
