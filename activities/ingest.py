"""The resolve_documents activity: turn document references into DocumentRefs, ingesting as
needed.

A reference (grammar: ``models.documents.parse_document_source``) is bytes in the store
(``content:<id>/<name>``, what clients upload: the worker reads them from the store, never
from the caller's disk), a file on the worker (``file:<path>``, under DOCORCH_ALLOWED_ROOTS),
or an ingested document's id, id prefix or name (a plain path still reads as ``file:<path>``).

Each bad document becomes a DocumentFailure naming it and the kind of problem; the others go
on. New documents are parsed in a child process (``documents.isolation``) that is killed when
the activity is cancelled or times out, so a hostile file holds neither a thread of the worker
nor its memory. The activity heartbeats while a document parses and records its progress in
the heartbeat details after each document: a retry (after a worker crash, say) resumes after
the last recorded document instead of starting over.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from pathlib import Path

import structlog
from pydantic import BaseModel, Field, ValidationError
from temporalio import activity

from activities.context import ToolContext
from activities.documents.embeddings import embed_document, needs_embedding, semantic_model
from activities.documents.ingestion import (
    NewDocument,
    ingest_here,
    ingest_parsed,
    locate_content,
    locate_file,
    password_for,
)
from activities.documents.isolation import shared_pool
from activities.documents.limits import ParseLimits
from activities.documents.parsed import ParsedDocument
from activities.documents.paths import confined_path
from activities.errors import BadInput, DocumentNotFound
from activities.heartbeat import heartbeat_interval, heartbeat_while
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

HEARTBEAT_SECONDS = 2.0
"""Heartbeat at least this often; more often when the heartbeat timeout is shorter."""


def _looks_like_path(source: str) -> bool:
    return "/" in source or "\\" in source or Path(source).suffix != ""


def _exists(source: str) -> bool:
    try:
        return Path(source).exists()
    except OSError:  # a name too long to be a file's
        return False


def locate(context: ToolContext, source: str) -> DocumentRef | NewDocument:
    """The ingested document ``source`` names (an id, id prefix or name, or bytes whose document
    is stored already), else the bytes to ingest (from the store or a worker file). Raises
    BadInput for a missing, disallowed or too large document."""
    store, settings = context.store, context.settings
    try:
        reference = parse_document_source(source)
    except InvalidDocumentReference as error:
        raise DocumentNotFound(str(error)) from None
    if isinstance(reference, StoredContent):
        return locate_content(store, reference, max_bytes=settings.max_document_bytes)
    if isinstance(reference, StoredDocument) and not _looks_like_path(source):
        found = store.find(source)
        if found is not None:
            return found
        if not _exists(source):
            raise DocumentNotFound(
                f"{source}: no ingested document has this id or name, and no such file"
            )
    path = reference.path if isinstance(reference, WorkerFile) else source
    return locate_file(
        store, confined_path(path, settings.roots()), max_bytes=settings.max_document_bytes
    )


def resolve_one(context: ToolContext, source: str) -> DocumentRef:
    """One reference to a DocumentRef, parsing in this process (tools and tests; workers parse
    in child processes through ``resolve_isolated``)."""
    settings = context.settings
    return ingest_here(
        context.store,
        locate(context, source),
        passwords=settings.pdf_passwords,
        limits=ParseLimits.from_settings(settings),
        model=semantic_model(settings),
    )


async def resolve_isolated(context: ToolContext, source: str) -> DocumentRef:
    """One reference to a DocumentRef, parsing new bytes in a child process of the running
    loop's pool. Cancelling it kills the parse."""
    settings = context.settings
    found = await asyncio.to_thread(locate, context, source)
    if isinstance(found, DocumentRef):
        document = found
    else:
        pool = shared_pool(processes=settings.parse_processes, memory_mb=settings.parse_memory_mb)
        parsed: ParsedDocument = await pool.parse(
            found.path,
            found.data,
            password=password_for(found.path.name, settings.pdf_passwords),
            limits=ParseLimits.from_settings(settings),
        )
        document = await asyncio.to_thread(
            ingest_parsed, context.store, found.path, found.data, parsed, source=found.source
        )
    # with the semantic extra: the chunks' vectors (also for a document stored without it)
    await asyncio.to_thread(embed_document, context.store, document, semantic_model(settings))
    return document


class ResolveProgress(BaseModel):
    """The heartbeat details of resolve_documents: the first ``done`` sources are resolved,
    with this report."""

    done: int = 0
    report: ResolveReport = Field(default_factory=ResolveReport)


def _resumed(sources: Sequence[str]) -> ResolveProgress:
    """The progress an earlier attempt recorded, or a fresh start."""
    details = activity.info().heartbeat_details
    if not details:
        return ResolveProgress()
    try:
        progress = ResolveProgress.model_validate(details[0])
    except ValidationError:
        log.warning("resolve_progress_unreadable", details=str(details[0])[:200])
        return ResolveProgress()
    if not 0 <= progress.done <= len(sources):
        return ResolveProgress()
    log.info("resolve_resumed", done=progress.done, of=len(sources))
    return progress


def _failure(source: str, error: Exception) -> DocumentFailure:
    if isinstance(error, BadInput):
        return DocumentFailure(source=source, error_type=error.error_type, message=str(error))
    log.error("ingest_failed", source=source, exc_info=error)
    return DocumentFailure(
        source=source,
        error_type="CorruptDocument",
        message=f"{Path(source).name}: could not be read ({type(error).__name__}: {error})",
    )


class DocumentActivities:
    """Activities bound to one tool context."""

    def __init__(self, context: ToolContext) -> None:
        self._context = context

    @activity.defn(name=RESOLVE_ACTIVITY)
    async def resolve_documents(self, request: ResolveRequest) -> ResolveReport:
        """Resolve every source in order; progress is in the heartbeat details, so a retry
        skips the sources an earlier attempt finished."""
        return (await self.resolve(request.sources)).report

    async def resolve(self, sources: Sequence[str]) -> ResolveProgress:
        """Every source resolved in order, ingesting what is new: the usable documents, each
        once, and the failures. Resumes after the sources an earlier attempt's heartbeat
        details record; the progress returned is the last one heartbeated."""
        progress = _resumed(sources)
        report = progress.report
        seen = {ref.id for ref in report.documents}
        interval = heartbeat_interval(HEARTBEAT_SECONDS)
        for index in range(progress.done, len(sources)):
            source = sources[index]
            task = asyncio.ensure_future(resolve_isolated(self._context, source))
            try:
                await heartbeat_while(task, interval, progress.model_dump(mode="json"))
            except asyncio.CancelledError:
                task.cancel()  # kills the parse process
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
                raise
            try:
                ref = task.result()
            except Exception as error:
                report.failures.append(_failure(source, error))
            else:
                if ref.id not in seen:
                    seen.add(ref.id)
                    report.documents.append(ref)
            progress = ResolveProgress(done=index + 1, report=report)
            activity.heartbeat(progress.model_dump(mode="json"))
        return progress

    async def resolve_stored(self, sources: Sequence[str]) -> ResolveReport | None:
        """The sources that are stored documents already, parsing nothing (for a local
        activity, which cannot heartbeat): None as soon as one would need ingesting (or, with
        the semantic path on, embedding)."""
        return await asyncio.to_thread(self._stored, sources)

    def _stored(self, sources: Sequence[str]) -> ResolveReport | None:
        model = semantic_model(self._context.settings)
        report = ResolveReport()
        seen: set[str] = set()
        for source in sources:
            try:
                found = locate(self._context, source)
            except Exception as error:
                report.failures.append(_failure(source, error))
                continue
            if isinstance(found, NewDocument) or needs_embedding(self._context.store, found, model):
                return None  # the resolve activity ingests it (or embeds it), heartbeating
            if found.id not in seen:
                seen.add(found.id)
                report.documents.append(found)
        return report
