"""GET /executions/summary, GET /executions/{id}, its /trace and /events, POST its /cancel."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Path, Query
from sse_starlette import EventSourceResponse
from temporalio.client import (
    WorkflowExecutionDescription,
    WorkflowExecutionStatus,
    WorkflowFailureError,
)
from temporalio.service import RPCError, RPCStatusCode

from app.api.context import ApiContext, Ctx
from app.api.schemas import CancelResponse, ErrorBody, ExecutionView
from app.api.sse import SSE_RESPONSES, last_event_offset, sse_response
from client.trace import Trace, TraceNotFound, failure_text, trace, workflow_ui_url
from client.visibility import ExecutionStats, execution_stats
from models.ids import WORKFLOW_ID_PATTERN
from models.names import QUERY_WORKFLOW
from workflows.query import QueryWorkflow

router = APIRouter(prefix="/executions", tags=["executions"])
WorkflowIdPath = Annotated[str, Path(pattern=WORKFLOW_ID_PATTERN, description="Workflow id.")]
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorBody}}
STATE_QUERY_TIMEOUT = timedelta(seconds=5)


async def describe_or_404(ctx: ApiContext, workflow_id: str) -> WorkflowExecutionDescription:
    try:
        return await ctx.sdk.temporal.get_workflow_handle(workflow_id).describe()
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            raise HTTPException(404, detail=f"{workflow_id}: no such execution") from None
        raise


def _ui_url(ctx: ApiContext, workflow_id: str) -> str | None:
    if not ctx.ui_url:
        return None
    return workflow_ui_url(ctx.ui_url, ctx.sdk.temporal.namespace, workflow_id)


@router.get("/summary", response_model=ExecutionStats, summary="Figures over recent queries")
async def summary(
    ctx: Ctx,
    limit: Annotated[int, Query(ge=1, le=1000, description="How many recent queries.")] = 200,
    all_queues: Annotated[
        bool, Query(description="Every task queue, not only this API's.")
    ] = False,
) -> ExecutionStats:
    """Success rate, latency percentiles, confidence distribution and the most common errors
    of the most recent queries, from Temporal visibility."""
    queue = None if all_queues else ctx.sdk.task_queue
    return await execution_stats(ctx.sdk.temporal, limit=limit, task_queue=queue)


@router.get("/{workflow_id}", response_model=ExecutionView, responses=NOT_FOUND)
async def execution(workflow_id: WorkflowIdPath, ctx: Ctx) -> ExecutionView:
    """The execution's status; with the QueryResult once done, the live state while running."""
    description = await describe_or_404(ctx, workflow_id)
    status = description.status
    view = ExecutionView(
        workflow_id=workflow_id,
        run_id=description.run_id,
        workflow_type=description.workflow_type,
        status=status.name.lower() if status else "unknown",
        task_queue=description.task_queue,
        started_at=description.start_time,
        closed_at=description.close_time,
        search_attributes={
            pair.key.name: pair.value for pair in description.typed_search_attributes
        },
        ui_url=_ui_url(ctx, workflow_id),
    )
    if description.workflow_type != QUERY_WORKFLOW:
        return view
    handle = ctx.sdk.handle(workflow_id)
    if status == WorkflowExecutionStatus.RUNNING:
        try:
            view.state = await handle.query(QueryWorkflow.state, rpc_timeout=STATE_QUERY_TIMEOUT)
        except RPCError:
            view.state = None  # no worker answered in time
        return view
    try:
        view.result = await handle.result()
    except WorkflowFailureError as error:
        view.failure = str(error.cause or error)
    except Exception as error:  # terminated, timed out, continued: nothing to decode
        view.failure = failure_text_of(error)
    return view


def failure_text_of(error: Exception) -> str:
    failure = getattr(error, "failure", None)
    return failure_text(failure) if failure is not None else str(error) or type(error).__name__


@router.get("/{workflow_id}/trace", response_model=Trace, responses=NOT_FOUND)
async def execution_trace(workflow_id: WorkflowIdPath, ctx: Ctx) -> Trace:
    """One row per step activity, read from the Temporal history (and replan children)."""
    try:
        return await trace(ctx.sdk.temporal, workflow_id, ui_base_url=ctx.ui_url)
    except TraceNotFound as error:
        raise HTTPException(404, detail=str(error)) from None


@router.post(
    "/{workflow_id}/cancel",
    response_model=CancelResponse,
    status_code=202,
    responses={**NOT_FOUND, 409: {"model": ErrorBody}},
)
async def cancel(workflow_id: WorkflowIdPath, ctx: Ctx) -> CancelResponse:
    """Request cancellation; the query stops its steps and returns a partial result."""
    description = await describe_or_404(ctx, workflow_id)
    if description.status != WorkflowExecutionStatus.RUNNING:
        state = description.status.name.lower() if description.status else "unknown"
        raise HTTPException(409, detail=f"{workflow_id} is not running ({state})")
    await ctx.sdk.temporal.get_workflow_handle(workflow_id).cancel()
    return CancelResponse(workflow_id=workflow_id)


@router.get(
    "/{workflow_id}/events",
    response_class=EventSourceResponse,
    responses={**SSE_RESPONSES, **NOT_FOUND},
    summary="Follow a query's progress as server-sent events",
)
async def execution_events(
    workflow_id: WorkflowIdPath,
    ctx: Ctx,
    after: Annotated[int, Query(ge=-1, description="Last offset seen; -1 for all.")] = -1,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
) -> EventSourceResponse:
    """The same events as /chat/stream, for a query started elsewhere; Last-Event-ID (or
    ``after``) resumes after that offset."""
    offset = last_event_offset(last_event_id) if last_event_id is not None else after
    description = await describe_or_404(ctx, workflow_id)
    if description.workflow_type != QUERY_WORKFLOW:
        raise HTTPException(404, detail=f"{workflow_id}: not a query")
    return sse_response(ctx, workflow_id, offset)
