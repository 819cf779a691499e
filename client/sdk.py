"""OrchestratorClient: the Python SDK. Start queries, wait for answers, follow progress, cancel;
ingest documents and preview plans.

client = await OrchestratorClient.connect()
result = await client.run("What is the notice period?", files=["~/contracts/a.pdf"])
ref = await client.upload("~/contracts/b.pdf")      # content:<id>/b.pdf, for any query
result = await client.run("Who are the parties?", [ref, "file:/corpus/c.pdf"])
async for event in client.stream("Summarize these", ["r1.md", "r2.md"]):
    print(event.kind, event.message)
report = await client.ingest(files=["contracts/b.pdf"])
preview = await client.preview_plan("Compare them", ["contracts/a.pdf", "contracts/b.pdf"])

Waiting for an answer (``result``, ``run``, ``events``) survives a restart of the Temporal server:
calls that cannot reach it are tried again for up to ``reconnect_seconds`` (``client.reconnect``).
"""

from __future__ import annotations

import asyncio
import functools
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Any, TypeVar

from temporalio.client import (
    Client,
    WorkflowHandle,
)
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from client.connection import connect
from client.events import WAIT_UPDATE_AFTER, EventReader
from client.reconnect import DEFAULT_RECONNECT_SECONDS, reconnecting
from client.sessions import Sessions
from client.trace import Trace, trace
from client.uploads import LocalFile, upload_bytes, upload_file, upload_files
from models.events import ProgressEvent
from models.ids import fresh_query_id, query_id_to_read, query_id_to_start
from models.limits import name_batches
from models.plan import Plan
from models.preview import PlanPreview
from models.query import (
    QUERY_PROTOCOL,
    QueryConfig,
    QueryRequest,
    QueryResult,
    QueryState,
    ResolveReport,
    ResolveRequest,
)
from models.settings import Settings
from models.summaries import query_summary, start_details
from models.tools import ToolCatalog
from store import Store, open_store
from workflows.catalog import ToolCatalogWorkflow
from workflows.ingest import IngestWorkflow
from workflows.preview import PlanPreviewWorkflow
from workflows.query import QueryWorkflow

T = TypeVar("T")


def query_request(
    query: str,
    documents: Sequence[str],
    *,
    config: QueryConfig | None = None,
    session_id: str | None = None,
    plan: Plan | dict[str, Any] | None = None,
) -> QueryRequest:
    """The QueryRequest for these arguments; raises pydantic.ValidationError for an empty query
    or no documents, before anything reaches Temporal."""
    return QueryRequest(
        query=query,
        documents=tuple(documents),
        session_id=session_id,
        config=config or QueryConfig(),
        plan=plan,
        protocol=QUERY_PROTOCOL,
    )


class OrchestratorClient:
    """A typed handle on docorch over any Temporal client.

    Documents a query names are references: ``content:<id>/<name>`` (bytes this client put into
    the document store, see ``upload`` and the ``files`` option), ``file:<path>`` (a corpus on
    the workers' disks, under their DOCORCH_ALLOWED_ROOTS) or an ingested document's id or name.
    The store is the one ``settings`` name (DOCORCH_STORE_URL), opened on first upload.

    While waiting for a query, a Temporal server that cannot be reached (restarting, say) is
    tried again with backoff for up to ``reconnect_seconds``; past that, TemporalUnavailable
    (an RPCError) is raised and the query goes on without the caller."""

    def __init__(
        self,
        client: Client,
        *,
        task_queue: str | None = None,
        settings: Settings | None = None,
        reconnect_seconds: float = DEFAULT_RECONNECT_SECONDS,
    ) -> None:
        self.temporal = client
        self.settings = settings or Settings()
        self.task_queue = task_queue or self.settings.task_queue
        self.reconnect_seconds = reconnect_seconds
        self.sessions = Sessions(client, self.task_queue, reconnect_seconds=reconnect_seconds)

    async def _reconnecting(self, call: Callable[[], Awaitable[T]], what: str) -> T:
        return await reconnecting(
            call,
            within=self.reconnect_seconds,
            what=what,
            target=self.temporal.service_client.config.target_host,
        )

    @functools.cached_property
    def store(self) -> Store:
        """The document store uploads go to (``store.open_store(self.settings)``); raises
        ``store.StoreError`` when it cannot be opened."""
        return open_store(self.settings)

    async def upload(self, source: LocalFile | bytes, *, name: str | None = None) -> str:
        """Put a document's bytes into the store and return the reference a query names it by,
        ``content:<id>/<name>``. ``source`` is a path on this machine (read here; ``name``
        defaults to its file name) or the bytes themselves (then ``name``, whose extension
        decides the format, is required). Bytes already stored are not sent again.

        Raises OSError when the file cannot be read, ``store.ContentTooLarge`` past
        DOCORCH_MAX_DOCUMENT_BYTES (before the file is read whole) and ``store.StoreError``
        when the store cannot be reached."""
        limit = self.settings.max_document_bytes
        if isinstance(source, bytes):
            if not name:
                raise ValueError("upload(bytes) needs name=, e.g. name='report.pdf'")
            return await asyncio.to_thread(upload_bytes, self.store, source, name, max_bytes=limit)
        return await asyncio.to_thread(upload_file, self.store, source, max_bytes=limit, name=name)

    async def _request(
        self, query: str, documents: Sequence[str], files: Sequence[LocalFile], **fields: Any
    ) -> QueryRequest:
        """``query_request`` over ``documents`` and the uploaded ``files``; invalid input
        raises before any file is uploaded."""
        query_request(query, (*documents, *map(str, files)), **fields)
        return query_request(query, await self.references(documents, files), **fields)

    async def references(
        self, documents: Sequence[str], files: Sequence[LocalFile]
    ) -> tuple[str, ...]:
        """``documents`` followed by the references of ``files``, uploaded (in order): what
        ``files=`` does, for callers that pass documents elsewhere (e.g. a session)."""
        if not files:
            return tuple(documents)
        refs = await asyncio.to_thread(
            upload_files, self.store, files, max_bytes=self.settings.max_document_bytes
        )
        return (*documents, *refs)

    @classmethod
    async def connect(
        cls, settings: Settings | None = None, *, address: str | None = None
    ) -> OrchestratorClient:
        """Connect through envconfig (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, profiles, TLS)."""
        settings = settings or Settings()
        return cls(
            await connect(settings, address=address),
            task_queue=settings.task_queue,
            settings=settings,
        )

    async def start(
        self,
        query: str,
        documents: Sequence[str] = (),
        *,
        files: Sequence[LocalFile] = (),
        config: QueryConfig | None = None,
        session_id: str | None = None,
        plan: Plan | dict[str, Any] | None = None,
        workflow_id: str | None = None,
        attach_existing: bool = False,
    ) -> WorkflowHandle[QueryWorkflow, QueryResult]:
        """Start a query; returns at once with its handle (id ``query-<uuid>``).

        With ``attach_existing`` and a ``workflow_id`` that already names a query (running or
        finished), returns that query's handle instead of starting another: a retried request
        never runs the query twice.

        ``plan`` (a Plan or its JSON) runs instead of planning, after the planning activity has
        checked it against the registered tools.

        ``files`` are paths on this machine: each is uploaded (``upload``) and its reference
        follows ``documents``; the workers never read the caller's disk.

        Raises pydantic.ValidationError for an empty query, no documents, a malformed plan or a
        ``workflow_id`` in the sessions' namespace (``session-…``, a session's or a turn's),
        before anything reaches Temporal; what ``upload`` raises for a file.
        """
        request = await self._request(
            query, documents, files, config=config, session_id=session_id, plan=plan
        )
        workflow_id = query_id_to_start(workflow_id) if workflow_id else fresh_query_id()
        if attach_existing:
            conflict, reuse = (
                WorkflowIDConflictPolicy.USE_EXISTING,
                WorkflowIDReusePolicy.REJECT_DUPLICATE,
            )
        else:
            conflict, reuse = (
                WorkflowIDConflictPolicy.UNSPECIFIED,
                WorkflowIDReusePolicy.ALLOW_DUPLICATE,
            )
        try:
            return await self.temporal.start_workflow(
                QueryWorkflow.run,
                request,
                id=workflow_id,
                task_queue=self.task_queue,
                static_summary=query_summary(request.query),
                static_details=start_details(request.query, request.documents, request.plan),
                id_conflict_policy=conflict,
                id_reuse_policy=reuse,
            )
        except WorkflowAlreadyStartedError:
            if not attach_existing:
                raise
            return self.handle(workflow_id)

    async def run(self, query: str, documents: Sequence[str] = (), **options: Any) -> QueryResult:
        """Start a query (``start``'s options, e.g. ``files``) and wait for its QueryResult."""
        handle = await self.start(query, documents, **options)
        return await self.result(handle.id)

    def handle(self, workflow_id: str) -> WorkflowHandle[QueryWorkflow, QueryResult]:
        """The typed handle of the query ``workflow_id`` (no RPC). pydantic.ValidationError
        for a session's id: a session is no query (``sessions`` reaches it)."""
        return self.temporal.get_workflow_handle_for(
            QueryWorkflow.run, query_id_to_read(workflow_id)
        )

    async def result(self, workflow_id: str) -> QueryResult:
        """Wait for the query's QueryResult; WorkflowFailureError when it failed. Keeps
        waiting across a restart of the Temporal server, for up to ``reconnect_seconds`` of
        it being unreachable (then TemporalUnavailable)."""
        handle = self.handle(workflow_id)
        return await self._reconnecting(handle.result, f"waiting for {workflow_id}")

    async def cancel(self, workflow_id: str) -> None:
        """Request cancellation: in-flight steps are cancelled and a partial result returned."""
        await self.handle(workflow_id).cancel()

    async def events(
        self,
        workflow_id: str,
        *,
        after: int = -1,
        wait_update_after: float | None = WAIT_UPDATE_AFTER,
    ) -> AsyncIterator[ProgressEvent]:
        """Every event with an offset greater than ``after``, each exactly once, in order, until
        the final one (or the end of the query). Resumable: pass the last offset you saw.

        Reads the ``events_after`` query, which writes nothing to the query's history: a long
        poll emulated here, again ``POLL_FIRST`` seconds after new events and then less and
        less often (up to ``POLL_MAX``). Once nothing has come for ``wait_update_after``
        seconds (a long step; None: never) the reader blocks on the ``wait_events`` update
        instead, which costs the history a few events but no more polls. The update id is
        derived from the offset, so readers waiting at the same offset share one update and a
        retried call re-attaches to it; when the update is refused (the query finished, or it
        spent its budget of waits) the reader goes back to the query. Like ``result``, it keeps
        following across a restart of the Temporal server.
        """
        reader = EventReader(self.handle(workflow_id), self._reconnecting, wait_update_after)
        async for event in reader.follow(after):
            yield event

    async def stream(
        self, query: str, documents: Sequence[str] = (), **options: Any
    ) -> AsyncIterator[ProgressEvent]:
        """Start a query and yield its events as they happen, ending with the final answer."""
        handle = await self.start(query, documents, **options)
        async for event in self.events(handle.id):
            yield event

    async def ingest(
        self, sources: Sequence[str] = (), *, files: Sequence[LocalFile] = ()
    ) -> ResolveReport:
        """Ingest documents (references: ``content:``, ``file:`` or ids; and ``files`` on this
        machine, uploaded first) on a worker, through IngestWorkflow (id ``ingest-<uuid>``): the
        one path by which documents are parsed and indexed. Returns the documents ready to query
        and, for each source that could not be used, its error type and message; a bad document
        never raises (a file that cannot be read or uploaded here does, as ``upload``). More
        sources than one request may name (``models.limits``) are ingested batch after batch.

        Raises pydantic.ValidationError for a blank or over-long name, before Temporal."""
        sources = await self.references(sources, files)
        requests = [ResolveRequest(sources=batch) for batch in name_batches(list(sources))]
        reports = [
            await self.temporal.execute_workflow(
                IngestWorkflow.run,
                request,
                id=f"ingest-{uuid.uuid4()}",
                task_queue=self.task_queue,
                static_summary=(
                    f"ingest {len(request.sources)} document"
                    f"{'s' if len(request.sources) != 1 else ''}"
                ),
            )
            for request in requests
        ]
        documents = {d.id: d for r in reports for d in r.documents}  # same bytes, same id: once
        return ResolveReport(
            documents=list(documents.values()), failures=[f for r in reports for f in r.failures]
        )

    async def preview_plan(
        self,
        query: str,
        documents: Sequence[str] = (),
        *,
        files: Sequence[LocalFile] = (),
        config: QueryConfig | None = None,
        plan: Plan | dict[str, Any] | None = None,
    ) -> PlanPreview:
        """The plan a query would run (template or LLM, validated) and the documents it would
        read, through PlanPreviewWorkflow (id ``plan-preview-<uuid>``); no step runs.

        Raises pydantic.ValidationError for an empty query or no documents, and
        temporalio.client.WorkflowFailureError (an ApplicationError cause: NoUsableDocuments,
        InvalidPlan, ...) when no document is usable or planning fails. ``files`` as ``start``.
        """
        request = await self._request(query, documents, files, config=config, plan=plan)
        return await self.temporal.execute_workflow(
            PlanPreviewWorkflow.run,
            request,
            id=f"plan-preview-{uuid.uuid4()}",
            task_queue=self.task_queue,
            static_summary=query_summary(f"plan preview: {request.query}"),
            static_details=start_details(request.query, request.documents, request.plan),
        )

    async def tools(self, *, timeout_seconds: float = 10.0) -> ToolCatalog:
        """The tools the workers of this task queue run (one worker answers, through
        ToolCatalogWorkflow, id ``tools-<uuid>``): their specs, schemas and step policies.
        temporalio.client.WorkflowFailureError (timed out) when no worker answers within
        ``timeout_seconds``."""
        return await self.temporal.execute_workflow(
            ToolCatalogWorkflow.run,
            id=f"tools-{uuid.uuid4()}",
            task_queue=self.task_queue,
            execution_timeout=timedelta(seconds=timeout_seconds),
            static_summary="which tools the workers run",
        )

    async def state(self, workflow_id: str) -> QueryState:
        """The running (or finished) query's execution state: phase, plan, step results."""
        state: QueryState = await self.handle(workflow_id).query(QueryWorkflow.state)
        return state

    async def trace(self, workflow_id: str, *, ui_base_url: str | None = None) -> Trace:
        """The query's execution trace from its Temporal history: one row per step activity.
        Works for running, completed, failed and cancelled queries; TraceNotFound otherwise."""
        return await trace(self.temporal, workflow_id, ui_base_url=ui_base_url)
