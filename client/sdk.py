"""OrchestratorClient: the Python SDK. Start queries, wait for answers, follow progress, cancel;
ingest documents and preview plans.

client = await OrchestratorClient.connect()
result = await client.run("What is the notice period?", ["contracts/a.pdf"])
async for event in client.stream("Summarize these", ["r1.md", "r2.md"]):
    print(event.kind, event.message)
report = await client.ingest(["contracts/b.pdf"])
preview = await client.preview_plan("Compare them", ["contracts/a.pdf", "contracts/b.pdf"])
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Any

from temporalio.client import (
    Client,
    WorkflowExecutionStatus,
    WorkflowHandle,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from client.connection import connect
from client.sessions import Sessions
from client.trace import Trace, trace
from models.events import EventPage, EventsAfter, ProgressEvent
from models.limits import name_batches
from models.plan import Plan
from models.preview import PlanPreview
from models.query import (
    QueryConfig,
    QueryRequest,
    QueryResult,
    QueryState,
    ResolveReport,
    ResolveRequest,
)
from models.settings import Settings
from workflows.ingest import IngestWorkflow
from workflows.preview import PlanPreviewWorkflow
from workflows.progress import MAX_EVENTS_PER_READ
from workflows.query import QueryWorkflow

WAIT_UPDATE_PREFIX = "wait-events-after-"
_BACKOFF_START = 0.1
_BACKOFF_MAX = 1.0


def new_query_id() -> str:
    """A fresh query workflow id, ``query-<uuid>``."""
    return f"query-{uuid.uuid4()}"


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
    )


class OrchestratorClient:
    """A typed handle on docorch over any Temporal client."""

    def __init__(self, client: Client, *, task_queue: str | None = None) -> None:
        self.temporal = client
        self.task_queue = task_queue or Settings().task_queue
        self.sessions = Sessions(client, self.task_queue)

    @classmethod
    async def connect(
        cls, settings: Settings | None = None, *, address: str | None = None
    ) -> OrchestratorClient:
        """Connect through envconfig (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, profiles, TLS)."""
        settings = settings or Settings()
        return cls(await connect(settings, address=address), task_queue=settings.task_queue)

    async def start(
        self,
        query: str,
        documents: Sequence[str],
        *,
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

        Raises pydantic.ValidationError for an empty query, no documents or a malformed plan,
        before anything reaches Temporal.
        """
        request = query_request(query, documents, config=config, session_id=session_id, plan=plan)
        workflow_id = workflow_id or new_query_id()
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
                id_conflict_policy=conflict,
                id_reuse_policy=reuse,
            )
        except WorkflowAlreadyStartedError:
            if not attach_existing:
                raise
            return self.handle(workflow_id)

    async def run(self, query: str, documents: Sequence[str], **options: Any) -> QueryResult:
        """Start a query and wait for its QueryResult."""
        handle = await self.start(query, documents, **options)
        return await handle.result()

    def handle(self, workflow_id: str) -> WorkflowHandle[QueryWorkflow, QueryResult]:
        """The typed handle of the query ``workflow_id`` (no RPC)."""
        return self.temporal.get_workflow_handle_for(QueryWorkflow.run, workflow_id)

    async def result(self, workflow_id: str) -> QueryResult:
        """Wait for the query's QueryResult; WorkflowFailureError when it failed."""
        return await self.handle(workflow_id).result()

    async def cancel(self, workflow_id: str) -> None:
        """Request cancellation: in-flight steps are cancelled and a partial result returned."""
        await self.handle(workflow_id).cancel()

    async def events(self, workflow_id: str, *, after: int = -1) -> AsyncIterator[ProgressEvent]:
        """Every event with an offset greater than ``after``, each exactly once, in order, until
        the final one (or the end of the query). Resumable: pass the last offset you saw.

        Catches up with the ``events_after`` query (no history cost), then blocks on the
        ``wait_events`` update while the query runs (no polling). The update id is derived from
        the offset, so every reader waiting at the same offset shares one update and a retried
        call re-attaches to it instead of adding another. When the update is refused (the
        query finished, or it spent its budget of waits) the reader falls back to the query,
        with a short backoff while the query still runs.
        """
        handle = self.handle(workflow_id)
        offset = after
        catch_up = True
        backoff = _BACKOFF_START
        while True:
            batch: list[ProgressEvent] | None
            if catch_up:
                batch = await self._events_after(handle, offset)
            else:
                batch = await self._wait_for_events(handle, offset)
            fresh = [e for e in (batch or []) if e.offset > offset]
            for event in fresh:
                offset = event.offset
                yield event
                if event.is_final:
                    return
            if fresh:
                # a full page means more may be waiting: read on with the query
                catch_up = batch is not None and len(batch) >= MAX_EVENTS_PER_READ
                backoff = _BACKOFF_START
                continue
            if await self._finished(handle):
                for event in await self._events_after(handle, offset):
                    if event.offset > offset:
                        offset = event.offset
                        yield event
                return
            if catch_up and batch is not None:
                catch_up = False  # current: block on the update from now on
            else:
                # the update was refused (or returned nothing): read the query after a pause
                await asyncio.sleep(backoff)
                backoff = min(_BACKOFF_MAX, backoff * 2)
                catch_up = True

    @staticmethod
    async def _events_after(
        handle: WorkflowHandle[QueryWorkflow, QueryResult], offset: int
    ) -> list[ProgressEvent]:
        """Events after ``offset`` now (at most a page)."""
        page: EventPage = await handle.query(QueryWorkflow.events_after, EventsAfter(offset=offset))
        return page.events

    @staticmethod
    async def _wait_for_events(
        handle: WorkflowHandle[QueryWorkflow, QueryResult], offset: int
    ) -> list[ProgressEvent] | None:
        """Events after ``offset`` once there are any; None when the update was refused."""
        try:
            page: EventPage = await handle.execute_update(
                QueryWorkflow.wait_events,
                EventsAfter(offset=offset),
                id=f"{WAIT_UPDATE_PREFIX}{offset}",
            )
        except (WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError, RPCError):
            return None
        return page.events

    @staticmethod
    async def _finished(handle: WorkflowHandle[QueryWorkflow, QueryResult]) -> bool:
        description = await handle.describe()
        return description.status not in (None, WorkflowExecutionStatus.RUNNING)

    async def stream(
        self, query: str, documents: Sequence[str], **options: Any
    ) -> AsyncIterator[ProgressEvent]:
        """Start a query and yield its events as they happen, ending with the final answer."""
        handle = await self.start(query, documents, **options)
        async for event in self.events(handle.id):
            yield event

    async def ingest(self, sources: Sequence[str]) -> ResolveReport:
        """Ingest documents (paths as the workers see them, or ids) on a worker, through
        IngestWorkflow (id ``ingest-<uuid>``): the one path by which documents are parsed and
        indexed. Returns the documents ready to query and, for each source that could not be
        used, its error type and message; a bad document never raises. More sources than one
        request may name (``models.limits``) are ingested batch after batch.

        Raises pydantic.ValidationError for a blank or over-long name, before Temporal."""
        requests = [ResolveRequest(sources=batch) for batch in name_batches(list(sources))]
        reports = [
            await self.temporal.execute_workflow(
                IngestWorkflow.run, request, id=f"ingest-{uuid.uuid4()}", task_queue=self.task_queue
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
        documents: Sequence[str],
        *,
        config: QueryConfig | None = None,
        plan: Plan | dict[str, Any] | None = None,
    ) -> PlanPreview:
        """The plan a query would run (template or LLM, validated) and the documents it would
        read, through PlanPreviewWorkflow (id ``plan-preview-<uuid>``); no step runs.

        Raises pydantic.ValidationError for an empty query or no documents, and
        temporalio.client.WorkflowFailureError (an ApplicationError cause: NoUsableDocuments,
        InvalidPlan, ...) when no document is usable or planning fails.
        """
        request = query_request(query, documents, config=config, plan=plan)
        return await self.temporal.execute_workflow(
            PlanPreviewWorkflow.run,
            request,
            id=f"plan-preview-{uuid.uuid4()}",
            task_queue=self.task_queue,
        )

    async def state(self, workflow_id: str) -> QueryState:
        """The running (or finished) query's execution state: phase, plan, step results."""
        state: QueryState = await self.handle(workflow_id).query(QueryWorkflow.state)
        return state

    async def trace(self, workflow_id: str, *, ui_base_url: str | None = None) -> Trace:
        """The query's execution trace from its Temporal history: one row per step activity.
        Works for running, completed, failed and cancelled queries; TraceNotFound otherwise."""
        return await trace(self.temporal, workflow_id, ui_base_url=ui_base_url)
