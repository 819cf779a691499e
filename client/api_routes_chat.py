"""POST /chat (the answer), POST /chat/stream and GET /executions/{id}/events (progress as
server-sent events, resumable with Last-Event-ID = the last event offset seen)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException
from pydantic import ValidationError
from sse_starlette import EventSourceResponse, ServerSentEvent
from temporalio.client import WorkflowFailureError, WorkflowHandle
from temporalio.exceptions import ApplicationError

from activities.documents.paths import confined_path
from activities.errors import PathNotAllowed
from client.api import ApiContext, ApiError, context
from client.api_models import ChatRequest, ErrorBody
from models.events import EventKind, ProgressEvent
from models.query import QueryResult
from workflows.query import QueryWorkflow

router = APIRouter(tags=["chat"])
Ctx = Annotated[ApiContext, Depends(context)]
SSE_PING_SECONDS = 15

_REASONING = {
    EventKind.PLAN_CREATED,
    EventKind.REPLAN_STARTED,
    EventKind.REPLAN_FINISHED,
    EventKind.DEGRADED,
}


def sse_event_type(event: ProgressEvent) -> str:
    """reasoning_step | tool_execution | final_answer | error."""
    if event.kind is EventKind.FINAL_ANSWER:
        return "final_answer"
    if event.kind is EventKind.ERROR:
        return "error"
    return "reasoning_step" if event.kind in _REASONING else "tool_execution"


def _looks_like_path(source: str) -> bool:
    return "/" in source or "\\" in source or source.startswith("~")


def check_documents(ctx: ApiContext, documents: list[str]) -> None:
    """Refuse paths outside the allowed roots before a query starts (the worker checks again)."""
    roots = ctx.settings.roots()
    for source in documents:
        if not _looks_like_path(source):
            continue
        try:
            confined_path(source, roots)
        except PathNotAllowed as error:
            raise ApiError(422, str(error), error_type=error.error_type) from None
        except Exception:
            continue  # missing or unreadable: the query reports it per document


async def _start(ctx: ApiContext, body: ChatRequest) -> WorkflowHandle[QueryWorkflow, QueryResult]:
    check_documents(ctx, body.documents)
    try:
        handle = await ctx.sdk.start(
            body.query,
            body.documents,
            config=body.config,
            session_id=body.session_id,
            plan=body.plan.model_dump(mode="json") if body.plan else None,
            workflow_id=body.workflow_id,
            attach_existing=body.workflow_id is not None,
        )
    except ValidationError as error:
        raise HTTPException(422, detail="; ".join(e["msg"] for e in error.errors())) from None
    ctx.metrics.queries.inc()
    return handle


def _failure(error: WorkflowFailureError, workflow_id: str) -> ApiError:
    """A failed query: 422 when it failed on its input (an ApplicationError), else 502."""
    cause: BaseException | None = error.cause
    while cause is not None and not isinstance(cause, ApplicationError):
        cause = cause.__cause__
    if isinstance(cause, ApplicationError):
        return ApiError(422, cause.message, error_type=cause.type, workflow_id=workflow_id)
    return ApiError(502, str(error.cause or error), workflow_id=workflow_id)


@router.post(
    "/chat",
    response_model=QueryResult,
    responses={400: {"model": ErrorBody}, 413: {"model": ErrorBody}, 422: {"model": ErrorBody}},
    summary="Ask a question and wait for the answer",
)
async def chat(body: ChatRequest, ctx: Ctx) -> Any:
    handle = await _start(ctx, body)
    try:
        return await handle.result()
    except WorkflowFailureError as error:
        raise _failure(error, handle.id) from None


def last_event_offset(value: str | None) -> int:
    if value is None or not value.strip():
        return -1
    try:
        offset = int(value)
    except ValueError:
        raise HTTPException(
            422, detail="Last-Event-ID must be an event offset (an integer)"
        ) from None
    if offset < -1:
        raise HTTPException(422, detail="Last-Event-ID must be >= -1")
    return offset


def _event_data(event: ProgressEvent, workflow_id: str) -> dict[str, Any]:
    data = event.model_dump(mode="json")
    data["workflow_id"] = workflow_id
    return data


def _delay_seconds(event: ProgressEvent) -> float | None:
    try:
        at = datetime.fromisoformat(event.at)
    except ValueError:
        return None
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return max(0.0, (datetime.now(UTC) - at).total_seconds())


async def event_stream(
    ctx: ApiContext, workflow_id: str, after: int
) -> AsyncIterator[ServerSentEvent]:
    """The query's events after ``after`` as SSE, ending with final_answer (with the result)
    or error; the SSE id of each event is its offset."""
    handle = ctx.sdk.handle(workflow_id)
    async for event in ctx.sdk.events(workflow_id, after=after):
        kind = sse_event_type(event)
        data = _event_data(event, workflow_id)
        if event.kind is EventKind.FINAL_ANSWER:
            result = await handle.result()
            data["result"] = result.model_dump(mode="json")
        delay = _delay_seconds(event)
        if delay is not None:
            ctx.metrics.sse_delay.observe(delay)
        ctx.metrics.sse_events.labels(kind).inc()
        yield ServerSentEvent(data=json.dumps(data), event=kind, id=str(event.offset))
        if event.is_final:
            return
    # the query ended without a final event (terminated, timed out): say so
    description = await handle.describe()
    status = description.status.name.lower() if description.status else "unknown"
    ctx.metrics.sse_events.labels("error").inc()
    yield ServerSentEvent(
        data=json.dumps({"workflow_id": workflow_id, "message": f"the query ended: {status}"}),
        event="error",
    )


def sse_response(ctx: ApiContext, workflow_id: str, after: int) -> EventSourceResponse:
    return EventSourceResponse(
        event_stream(ctx, workflow_id, after),
        ping=SSE_PING_SECONDS,
        headers={"X-Workflow-Id": workflow_id, "Cache-Control": "no-cache"},
    )


SSE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/event-stream": {}}, "description": "Server-sent events."},
    400: {"model": ErrorBody},
    413: {"model": ErrorBody},
    422: {"model": ErrorBody},
}


@router.post(
    "/chat/stream",
    response_class=EventSourceResponse,
    responses=SSE_RESPONSES,
    summary="Ask a question and follow its progress as server-sent events",
)
async def chat_stream(
    body: ChatRequest,
    ctx: Ctx,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
) -> EventSourceResponse:
    """Events: ``reasoning_step`` (plan, replans, degradation), ``tool_execution`` (steps),
    ``final_answer`` (with the QueryResult) and ``error``; each with the query's
    ``workflow_id`` (also in the X-Workflow-Id header). To resume, send the same body with
    the ``workflow_id`` and ``Last-Event-ID``: later events follow, none twice."""
    after = last_event_offset(last_event_id)
    if after >= 0 and body.workflow_id is None:
        raise HTTPException(422, detail="resuming with Last-Event-ID needs the body's workflow_id")
    handle = await _start(ctx, body)
    return sse_response(ctx, handle.id, after)
