"""Ingestion: a document's bytes parsed, chunked with anchors and put into the document store.

The bytes come from the store itself (``ingest_content``: a client put them there, the claim
check) or from a file on the worker (``ingest_file``: a corpus mounted on the workers). Same
bytes, same id: bytes whose document is stored already are not parsed again.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from pathlib import Path

from activities.documents.chunking import chunk_document
from activities.documents.parsed import ParsedDocument
from activities.documents.parsers import parse_document
from activities.errors import DocumentNotFound, DocumentTooLarge
from models.documents import DocumentRef, StoredContent
from store import DocumentRecord, DocumentStore, content_id


def password_for(name: str, passwords: Mapping[str, str]) -> str | None:
    """The password configured for file ``name``: an exact name, else the first matching glob
    (``"*.pdf"``, ``"*"``), else None."""
    if name in passwords:
        return passwords[name]
    return next((pw for pattern, pw in passwords.items() if fnmatch.fnmatch(name, pattern)), None)


def _refuse_over(name: str, size: int, max_bytes: int) -> None:
    if size > max_bytes:
        raise DocumentTooLarge(
            f"{name}: {size / 1e6:.1f} MB is over the limit of {max_bytes / 1e6:.1f} MB "
            "(DOCORCH_MAX_DOCUMENT_BYTES)"
        )


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
    _refuse_over(path.name, path.stat().st_size, max_bytes)
    data = path.read_bytes()
    existing = store.get(content_id(data))
    if existing is not None:
        return existing
    password = password_for(path.name, passwords or {})
    return ingest_parsed(store, path, data, parse_document(path, data, password=password))


def ingest_content(
    store: DocumentStore,
    content: StoredContent,
    *,
    max_bytes: int,
    passwords: Mapping[str, str] | None = None,
) -> DocumentRef:
    """Parse and index the bytes a client put into the store under ``content.content_id``
    (``content.name``, the file they came from, decides the format), unless their document is
    stored already.

    Raises DocumentNotFound when the store has no such bytes, DocumentTooLarge over
    ``max_bytes`` (before reading them) and the parsers' BadInput errors.
    """
    existing = store.get(content.content_id)
    if existing is not None:
        return existing
    reference = content.reference()
    size = store.content_size(content.content_id)
    if size is not None:
        _refuse_over(content.name, size, max_bytes)
    data = store.read_content(content.content_id) if size is not None else None
    if data is None:
        raise DocumentNotFound(
            f"{reference}: the store holds no bytes with this id; put the file's bytes into "
            "the store first (put_content / put_content_stream returns the id)"
        )
    path = Path(content.name)
    password = password_for(content.name, passwords or {})
    parsed = parse_document(path, data, password=password)
    return ingest_parsed(store, path, data, parsed, source=reference)


def ingest_parsed(
    store: DocumentStore,
    path: Path,
    data: bytes,
    parsed: ParsedDocument,
    *,
    source: str | None = None,
) -> DocumentRef:
    """Chunk ``parsed`` (the parse of ``data``, read from ``path``) and store it under the id
    of ``data``; the document already stored under that id when there is one. ``source`` is
    where the bytes came from (default: ``path``)."""
    record = DocumentRecord(
        id=content_id(data),
        name=path.name,
        source=source if source is not None else str(path),
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
