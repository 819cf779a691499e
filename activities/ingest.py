"""The resolve_documents activity: turn paths or ids into DocumentRefs, ingesting as needed.

Each bad document becomes a DocumentFailure naming it and the kind of problem; the others go
on. Parsing runs in a thread so a large file never blocks the worker's event loop, and the
activity heartbeats between and during documents with ``(source, {"pages_done": n,
"pages_total": m})`` — the pages the parser has got through (0 of 0 for formats without pages).
A retried activity starts over: documents it already ingested are found in the store by their
content, so only the document it was in the middle of is parsed again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import overload

import structlog
from temporalio import activity

from activities.context import ToolContext
from activities.documents.ingestion import ingest_file, stored_file
from activities.documents.paths import confined_path, document_roots
from activities.documents.progress import tracking
from activities.errors import BadInput, DocumentNotFound
from activities.registry import heartbeat_while
from models.documents import DocumentRef
from models.names import RESOLVE_ACTIVITY
from models.query import DocumentFailure, ResolveReport, ResolveRequest

log = structlog.get_logger(__name__)


def _looks_like_path(source: str) -> bool:
    return "/" in source or "\\" in source or Path(source).suffix != ""


@overload
def resolve_one(context: ToolContext, source: str) -> DocumentRef: ...
@overload
def resolve_one(context: ToolContext, source: str, *, parse: bool) -> DocumentRef | None: ...


def resolve_one(context: ToolContext, source: str, *, parse: bool = True) -> DocumentRef | None:
    """One source to a DocumentRef: an ingested id/name, else a file to ingest. With ``parse``
    False a file whose bytes are not stored yet is not parsed: None."""
    store, settings = context.store, context.settings
    if not _looks_like_path(source):
        found = store.find(source)
        if found is not None:
            return found
        if not Path(source).exists():
            raise DocumentNotFound(
                f"{source}: no ingested document has this id or name, and no such file"
            )
    path = confined_path(source, document_roots(settings))
    if not parse:
        return stored_file(store, path, max_bytes=settings.max_document_bytes)[1]
    return ingest_file(
        store, path, max_bytes=settings.max_document_bytes, passwords=settings.pdf_passwords
    )


class DocumentActivities:
    """Activities bound to one tool context."""

    def __init__(self, context: ToolContext) -> None:
        self._context = context

    @activity.defn(name=RESOLVE_ACTIVITY)
    async def resolve_documents(self, request: ResolveRequest) -> ResolveReport:
        return await self.resolve(request.sources)

    @overload
    async def resolve(self, sources: Sequence[str]) -> ResolveReport: ...
    @overload
    async def resolve(self, sources: Sequence[str], *, parse: bool) -> ResolveReport | None: ...

    async def resolve(self, sources: Sequence[str], *, parse: bool = True) -> ResolveReport | None:
        """Every source resolved in order: the usable documents, each once, and the failures.
        With ``parse`` False nothing is parsed: None as soon as a source would need it."""
        report = ResolveReport()
        seen: set[str] = set()
        for source in sources:
            try:
                ref = await self._resolve(source, parse=parse)
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
            if ref is None:
                return None
            if ref.id not in seen:
                seen.add(ref.id)
                report.documents.append(ref)
        return report

    async def _resolve(self, source: str, *, parse: bool) -> DocumentRef | None:
        """``resolve_one`` in a thread, so a large file never blocks the worker's event loop;
        while it parses, the activity heartbeats with the pages done so far."""
        with tracking() as progress:
            task = asyncio.ensure_future(
                asyncio.to_thread(resolve_one, self._context, source, parse=parse)
            )
            if parse:
                # the parse thread updates ``progress`` page by page; every heartbeat carries
                # it as it is then
                await heartbeat_while(task, 2.0, source, progress)
            else:  # nothing is parsed, and a local activity cannot heartbeat
                await asyncio.wait([task])
        return task.result()
