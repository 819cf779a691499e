"""Ingestion: a document's bytes parsed, chunked with anchors and put into the document store
(with its chunks' embedding vectors when the semantic extra is installed).

The bytes come from the store itself (``locate_content``: a client put them there, the claim
check) or from a file on the worker (``locate_file``: a corpus mounted on the workers). Same
bytes, same id: bytes whose document is stored already are not parsed again.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from activities.documents.chunking import chunk_document
from activities.documents.embeddings import Embedder, embed_document
from activities.documents.limits import ParseLimits
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


@dataclass(frozen=True)
class NewDocument:
    """Bytes to parse and index: ``path``'s name decides the format, ``source`` says where the
    bytes came from (a ``content:`` reference or the worker file's path)."""

    path: Path
    data: bytes
    source: str


def locate_file(store: DocumentStore, path: Path, *, max_bytes: int) -> DocumentRef | NewDocument:
    """The document already stored with ``path``'s bytes, else the bytes to ingest. Raises
    DocumentTooLarge over ``max_bytes`` (before reading the file)."""
    _refuse_over(path.name, path.stat().st_size, max_bytes)
    data = path.read_bytes()
    return store.get(content_id(data)) or NewDocument(path, data, str(path))


def locate_content(
    store: DocumentStore, content: StoredContent, *, max_bytes: int
) -> DocumentRef | NewDocument:
    """The document of the bytes a client put into the store under ``content.content_id``
    (``content.name``, the file they came from, decides the format), else those bytes to
    ingest. Raises DocumentNotFound when the store has no such bytes, DocumentTooLarge over
    ``max_bytes`` (before reading them)."""
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
    return NewDocument(Path(content.name), data, reference)


def ingest_here(
    store: DocumentStore,
    found: DocumentRef | NewDocument,
    *,
    passwords: Mapping[str, str] | None = None,
    limits: ParseLimits | None = None,
    model: Embedder | None = None,
) -> DocumentRef:
    """``found`` itself when it is stored already, else its bytes parsed in this process and
    indexed (workers parse in child processes: ``activities.ingest.resolve_isolated``); either
    way with its chunks embedded by ``model`` when given (``embeddings.semantic_model``)."""
    if isinstance(found, DocumentRef):
        document = found
    else:
        password = password_for(found.path.name, passwords or {})
        parsed = parse_document(found.path, found.data, password=password, limits=limits)
        document = ingest_parsed(store, found.path, found.data, parsed, source=found.source)
    embed_document(store, document, model)  # a no-op without a model or when done already
    return document


def ingest_file(
    store: DocumentStore,
    path: Path,
    *,
    max_bytes: int,
    passwords: Mapping[str, str] | None = None,
    model: Embedder | None = None,
) -> DocumentRef:
    """Parse and index ``path`` in this process unless the same bytes are already stored, its
    chunks embedded by ``model`` when given (the semantic extra).

    ``passwords`` maps file names or globs to PDF passwords (DOCORCH_PDF_PASSWORDS). Raises
    DocumentTooLarge over ``max_bytes`` (before reading the file) and the parsers' BadInput
    errors for files that cannot be read as documents.
    """
    found = locate_file(store, path, max_bytes=max_bytes)
    return ingest_here(store, found, passwords=passwords, model=model)


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
    where the bytes came from (default: ``path``). Embedding the chunks (the semantic extra) is
    the callers' next step: ``embeddings.embed_document``."""
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
