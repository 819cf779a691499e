"""The resolve_documents activity: turn document references into DocumentRefs, ingesting as
needed.

A reference (grammar: ``models.documents.parse_document_source``) is bytes in the store
(``content:<id>/<name>``, what clients upload: the worker reads them from the store, never
from the caller's disk), a file on the worker (``file:<path>``, under DOCORCH_ALLOWED_ROOTS),
or an ingested document's id, id prefix or name (a plain path still reads as ``file:<path>``).

Each bad document becomes a DocumentFailure naming it and the kind of problem; the others go
on. Parsing runs in a thread so a large file never blocks the worker's event loop, and the
activity heartbeats between and during documents with ``(source, {"pages_done": n,
"pages_total": m})`` — the pages the parser has got through (0 of 0 for formats without pages).
A retried activity starts over: documents it already ingested are found in the store by their
content, so only the document it was in the middle of is parsed again.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import structlog
from temporalio import activity

from activities.context import ToolContext
from activities.documents.ingestion import ingest_content, ingest_file
from activities.documents.paths import confined_path, document_roots
from activities.documents.progress import tracking
from activities.errors import BadInput, DocumentNotFound
from activities.registry import heartbeat_while
from models.documents import (
    DocumentRef,
    InvalidDocumentReference,
    StoredContent,
    StoredDocument,
    WorkerFile,
    parse_document_source,
)
from models.names import RESOLVE_ACTIVITY
from models.query import DocumentFailure, ResolveReport, ResolveRequest

log = structlog.get_logger(__name__)


def _looks_like_path(source: str) -> bool:
    return "/" in source or "\\" in source or Path(source).suffix != ""


def resolve_one(context: ToolContext, source: str) -> DocumentRef:
    """One reference to a DocumentRef: stored bytes or a worker file ingested (unless their
    document is stored already), or an ingested document found by id, id prefix or name."""
    store, settings = context.store, context.settings
    try:
        reference = parse_document_source(source)
    except InvalidDocumentReference as error:
        raise DocumentNotFound(str(error)) from None
    if isinstance(reference, StoredContent):
        return ingest_content(
            store,
            reference,
            max_bytes=settings.max_document_bytes,
            passwords=settings.pdf_passwords,
        )
    if isinstance(reference, StoredDocument) and not _looks_like_path(source):
        found = store.find(source)
        if found is not None:
            return found
        if not Path(source).exists():
            raise DocumentNotFound(
                f"{source}: no ingested document has this id or name, and no such file"
            )
    path = reference.path if isinstance(reference, WorkerFile) else source
    return ingest_file(
        store,
        confined_path(path, document_roots(settings)),
        max_bytes=settings.max_document_bytes,
        passwords=settings.pdf_passwords,
    )


class DocumentActivities:
    """Activities bound to one tool context."""

    def __init__(self, context: ToolContext) -> None:
        self._context = context

    @activity.defn(name=RESOLVE_ACTIVITY)
    async def resolve_documents(self, request: ResolveRequest) -> ResolveReport:
        report = ResolveReport()
        seen: set[str] = set()
        for source in request.sources:
            with tracking() as progress:
                task = asyncio.ensure_future(asyncio.to_thread(resolve_one, self._context, source))
                # the parse thread updates ``progress`` page by page; every heartbeat carries it
                # as it is then
                await heartbeat_while(task, 2.0, source, progress)
            try:
                ref = task.result()
            except BadInput as error:
                report.failures.append(
                    DocumentFailure(source=source, error_type=error.error_type, message=str(error))
                )
                continue
            except Exception as error:
                log.exception("ingest_failed", source=source)
                report.failures.append(
                    DocumentFailure(
                        source=source,
                        error_type="CorruptDocument",
                        message=(
                            f"{Path(source).name}: could not be read "
                            f"({type(error).__name__}: {error})"
                        ),
                    )
                )
                continue
            if ref.id not in seen:
                seen.add(ref.id)
                report.documents.append(ref)
        return report
